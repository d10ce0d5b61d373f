/// What one translation unit says about itself, as plain values: taken once
/// per parse, cacheable, mergeable across files, and buildable in tests
/// without parsing anything. No libclang type reaches this layer.
public struct UnitFacts: Codable, Sendable, Equatable {
    /// The main file, absolute.
    public var file: String
    /// How its flags were obtained.
    public var flagMode: FlagMode
    /// Functions defined in the main file, and inline functions from headers
    /// that those functions call (directly or through other header functions).
    public var functions: [FunctionFact]
    /// Functions stored into fault-type callback fields.
    public var bindings: [CallbackBinding]
    /// Parse errors (parsing kept going past them).
    public var errors: [ParseError]
    /// Ops tables stored into a field of another table's initializer
    /// (`.vm_ops = &foo_gem_vm_ops` in a `drm_gem_object_funcs`,
    /// `.mmap_ops = &foo_vm_ops`): the op is `init`, `member` the field,
    /// `structName` the initialized struct, `valueName` the ops.
    public var tableStores: [MemberWrite]
    /// Lines of the main file the preprocessor skipped (`#if` branches not
    /// taken in this configuration, directives included), in file order.
    /// Nothing there has facts: a check must not read it as clean. Empty
    /// unless the parse was asked to record them (`mmlint check` does).
    public var skippedLines: [LineRange]

    public init(file: String, flagMode: FlagMode, functions: [FunctionFact] = [],
                bindings: [CallbackBinding] = [], errors: [ParseError] = [], tableStores: [MemberWrite] = [],
                skippedLines: [LineRange] = []) {
        self.file = file
        self.flagMode = flagMode
        self.functions = functions
        self.bindings = bindings
        self.errors = errors
        self.tableStores = tableStores
        self.skippedLines = skippedLines
    }

    /// True when `line` of the main file was skipped by the preprocessor.
    public func isSkipped(line: Int) -> Bool {
        skippedLines.contains { $0.first <= line && line <= $0.last }
    }
}

/// Lines `first` through `last` of a file, 1-based, both included.
public struct LineRange: Codable, Sendable, Equatable {
    public var first: Int
    public var last: Int
    public init(first: Int, last: Int) {
        self.first = first
        self.last = last
    }
}

/// Where a file's compiler flags came from.
public enum FlagMode: String, Codable, Sendable, CaseIterable {
    /// An entry of a compile_commands.json, GCC-only flags translated.
    case compileDatabase = "compile-database"
    /// Synthesized the way kbuild would for this file of a prepared kernel tree.
    case kernelTree = "kernel-tree"
    /// No usable flags: mmlint's prelude of mm declarations stands in for the headers.
    case bare
}

/// A position in a source file. Lines and columns are 1-based; columns count bytes.
public struct Location: Codable, Sendable, Hashable, Comparable {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public static func < (a: Location, b: Location) -> Bool {
        (a.file, a.line, a.column) < (b.file, b.line, b.column)
    }
}

/// A function definition and the calls in its body.
public struct FunctionFact: Codable, Sendable, Equatable {
    /// Unified Symbol Resolution: identical for the same function across
    /// translation units (static functions carry their file's name).
    public var usr: String
    public var name: String
    public var location: Location
    public var isStatic: Bool
    /// Set when the function has a fault handler's shape: returns `vm_fault_t`
    /// and takes a `struct vm_fault *`.
    public var faultSignature: FaultSignature?
    public var calls: [CallFact]
    /// The return type: the fault typedef's name (`vm_fault_t`) when it is
    /// that typedef, else the canonical spelling (`int`).
    public var returnType: String
    /// Writes to members of the mm structs (`vma->vm_flags |= …`, `vma->vm_ops = &ops`).
    public var memberWrites: [MemberWrite]
    /// What each `return` gives back, for functions returning `vm_fault_t` or `int`.
    public var returns: [ValueFact]
    /// Stores into local variables of type `vm_fault_t` or `int` (assignments
    /// and initializers), for functions returning `vm_fault_t` or `int`.
    public var localWrites: [LocalWrite]
    /// The `VM_*` (not `VM_FAULT_*`) and `PFN_*` flag names written in the
    /// body, sorted, for main-file functions.
    public var flagNames: [String]

    public init(usr: String, name: String, location: Location, isStatic: Bool = false,
                faultSignature: FaultSignature? = nil, calls: [CallFact] = [], returnType: String = "",
                memberWrites: [MemberWrite] = [], returns: [ValueFact] = [], localWrites: [LocalWrite] = [],
                flagNames: [String] = []) {
        self.usr = usr
        self.name = name
        self.location = location
        self.isStatic = isStatic
        self.faultSignature = faultSignature
        self.calls = calls
        self.returnType = returnType
        self.memberWrites = memberWrites
        self.returns = returns
        self.localWrites = localWrites
        self.flagNames = flagNames
    }
}

/// A write to a struct member: `vma->vm_flags |= VM_IO`, `vma->vm_ops = &foo_vm_ops`.
public struct MemberWrite: Codable, Sendable, Equatable {
    /// `vm_flags`.
    public var member: String
    /// The struct that has the member, `vm_area_struct`.
    public var structName: String
    /// The operator as written: `=`, `|=`, `&=`, …
    public var op: String
    /// The variable the stored value names, when it is `&x` or `x`
    /// (`foo_vm_ops` for `vma->vm_ops = &foo_vm_ops`).
    public var valueName: String?
    public var valueUSR: String?
    public var location: Location

    public init(member: String, structName: String, op: String, valueName: String? = nil,
                valueUSR: String? = nil, location: Location) {
        self.member = member
        self.structName = structName
        self.op = op
        self.valueName = valueName
        self.valueUSR = valueUSR
        self.location = location
    }
}

/// What an expression stored or returned is, as far as the fault-return
/// rules care: a negative errno, a `VM_FAULT_*` code, a call's result, a
/// variable, zero, or something else.
public struct ValueFact: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        /// `-EINVAL` (name: `EINVAL`).
        case errno
        /// Only `VM_FAULT_*` names (`VM_FAULT_NOPAGE | VM_FAULT_LOCKED`).
        case faultCode = "fault-code"
        /// A call's result (name, usr: the callee; type: its return type).
        case call
        /// A variable (name, usr; type: its type).
        case variable
        /// The literal 0.
        case zero
        case other
    }
    public var kind: Kind
    public var name: String?
    public var usr: String?
    /// The fault typedef's name or the canonical spelling, as `FunctionFact.returnType`.
    public var type: String?
    public var location: Location

    public init(kind: Kind, name: String? = nil, usr: String? = nil, type: String? = nil, location: Location) {
        self.kind = kind
        self.name = name
        self.usr = usr
        self.type = type
        self.location = location
    }
}

/// `ret = value;` or `vm_fault_t ret = value;` for a local variable.
public struct LocalWrite: Codable, Sendable, Equatable {
    public var variable: String
    public var variableUSR: String
    /// The variable's type, spelled as `FunctionFact.returnType`.
    public var variableType: String
    public var value: ValueFact

    public init(variable: String, variableUSR: String, variableType: String, value: ValueFact) {
        self.variable = variable
        self.variableUSR = variableUSR
        self.variableType = variableType
        self.value = value
    }
}

/// The fault-handler shape of a function.
public struct FaultSignature: Codable, Sendable, Equatable {
    /// The name of its `struct vm_fault *` parameter (for concrete suggestions).
    public var vmfParameter: String
    public init(vmfParameter: String) { self.vmfParameter = vmfParameter }
}

/// A direct call.
public struct CallFact: Codable, Sendable, Equatable {
    public var callee: String
    /// The callee's USR; nil when the callee is not a named function.
    public var calleeUSR: String?
    /// Where the call is written; for a call that comes from a macro, the
    /// place the macro is used.
    public var location: Location
    /// The macro used at `location` when the call comes from its expansion.
    public var macro: String?
    /// The member whose address is the first argument: `mmap_lock` for
    /// `down_read(&mm->mmap_lock)`.
    public var addressedMember: String?

    public init(callee: String, calleeUSR: String?, location: Location, macro: String? = nil,
                addressedMember: String? = nil) {
        self.callee = callee
        self.calleeUSR = calleeUSR
        self.location = location
        self.macro = macro
        self.addressedMember = addressedMember
    }
}

/// A function stored into a callback field: `.fault = f` in an initializer
/// of a `struct vm_operations_struct`, or `ops->fault = f`.
public struct CallbackBinding: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable { case initializer, assignment }
    /// The struct type that has the field, e.g. `vm_operations_struct`.
    public var structName: String
    public var field: String
    public var functionUSR: String
    public var functionName: String
    /// The variable initialized (`vfio_pci_mmap_ops`), or, for an assignment,
    /// the function the assignment is in.
    public var holder: String
    public var kind: Kind
    public var location: Location

    public init(structName: String, field: String, functionUSR: String, functionName: String,
                holder: String, kind: Kind, location: Location) {
        self.structName = structName
        self.field = field
        self.functionUSR = functionUSR
        self.functionName = functionName
        self.holder = holder
        self.kind = kind
        self.location = location
    }

    /// How a chain names this root: `.fault of vfio_pci_mmap_ops`.
    public var label: String {
        switch kind {
        case .initializer: return ".\(field) of \(holder)"
        case .assignment: return "\(structName).\(field) assigned in \(holder)()"
        }
    }
}

/// A parse error, kept as a diagnostic (never a finding).
public struct ParseError: Codable, Sendable, Equatable {
    public var message: String
    public var location: Location?
    public init(message: String, location: Location?) {
        self.message = message
        self.location = location
    }
}

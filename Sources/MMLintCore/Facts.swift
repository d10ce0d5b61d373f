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

    public init(file: String, flagMode: FlagMode, functions: [FunctionFact] = [],
                bindings: [CallbackBinding] = [], errors: [ParseError] = []) {
        self.file = file
        self.flagMode = flagMode
        self.functions = functions
        self.bindings = bindings
        self.errors = errors
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

    public init(usr: String, name: String, location: Location, isStatic: Bool = false,
                faultSignature: FaultSignature? = nil, calls: [CallFact] = []) {
        self.usr = usr
        self.name = name
        self.location = location
        self.isStatic = isStatic
        self.faultSignature = faultSignature
        self.calls = calls
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

    public init(callee: String, calleeUSR: String?, location: Location, macro: String? = nil) {
        self.callee = callee
        self.calleeUSR = calleeUSR
        self.location = location
        self.macro = macro
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

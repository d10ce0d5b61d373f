/// What one C file or header says at token level: the names it defines and
/// the names each definition's body mentions, with no preprocessing and no
/// types. A `FileFacts` is self-contained (its identifiers are indices into
/// its own symbol table) so it depends only on the file's bytes and the
/// scanner's `Vocabulary`; a cache can store it under those two keys and
/// merge it later with facts of other files in any order.
public struct FileFacts: Codable, Sendable, Equatable {
    /// The file's distinct identifiers; every `UInt32` identifier below is
    /// an index into this table.
    public var symbols: SymbolTable
    /// Function definitions (and look-alikes: anything at file scope that
    /// reads `name(…) … {`).
    public var functions: [Definition]
    /// `#define NAME` and `#define NAME(…)`; the body excludes the parameters.
    public var macros: [Definition]
    /// Callback fields written by tokens: `.field = value`, `->field = value`,
    /// and the elements of positional initializers of callback structs.
    public var bindings: [BindingSite]
    /// File-scope macro invocations that may expand to definitions.
    public var sites: [Site]
    /// Identifiers used outside function bodies and macro definitions
    /// (initializers of ops tables, declarations), each once.
    public var outside: IdentifierList
    /// `#include "…"` of anything but a header (`.c`, `.inl`, `.def`…): C code
    /// this file compiles as part of itself, as written.
    public var includedFiles: [String]
    /// Storage of every identifier list above.
    public var lists: [UInt32]

    public init(symbols: SymbolTable, functions: [Definition], macros: [Definition], bindings: [BindingSite],
                sites: [Site], outside: IdentifierList, includedFiles: [String], lists: [UInt32]) {
        self.symbols = symbols
        self.functions = functions
        self.macros = macros
        self.bindings = bindings
        self.sites = sites
        self.outside = outside
        self.includedFiles = includedFiles
        self.lists = lists
    }

    /// The identifiers of `list`.
    public func identifiers(_ list: IdentifierList) -> ArraySlice<UInt32> {
        lists[Int(list.start)..<Int(list.start + list.count)]
    }

    /// The spelling of identifier `id`.
    public func name(_ id: UInt32) -> String { symbols.name(id) }

    /// The spellings of the identifiers of `list`.
    public func names(_ list: IdentifierList) -> [String] { identifiers(list).map(name) }
}

/// Identifier spellings stored as one byte buffer, so scanning a file creates
/// no `String` and merging compares bytes.
public struct SymbolTable: Codable, Sendable, Equatable {
    /// The spellings, back to back.
    public var bytes: [UInt8]
    /// End offset in `bytes` of each identifier.
    public var ends: [UInt32]

    public init(bytes: [UInt8] = [], ends: [UInt32] = []) {
        self.bytes = bytes
        self.ends = ends
    }

    public var count: Int { ends.count }

    /// The byte range of identifier `id` in `bytes`.
    public func range(_ id: UInt32) -> Range<Int> {
        let index = Int(id)
        return (index == 0 ? 0 : Int(ends[index - 1]))..<Int(ends[index])
    }

    public func name(_ id: UInt32) -> String { String(decoding: bytes[range(id)], as: UTF8.self) }
}

/// A slice of `FileFacts.lists`.
public struct IdentifierList: Codable, Sendable, Equatable {
    public var start: UInt32
    public var count: UInt32
    public init(start: UInt32, count: UInt32) {
        self.start = start
        self.count = count
    }
    public static let empty = IdentifierList(start: 0, count: 0)
}

/// A function or macro definition.
public struct Definition: Codable, Sendable, Equatable {
    public var name: UInt32
    /// 1-based line of the name.
    public var line: UInt32
    public var flags: Flags
    /// Functions: identifiers of the declaration before the name (return
    /// type, storage class, attributes). Empty for macros.
    public var prefix: IdentifierList
    /// Functions: identifiers between the parentheses after the name (they
    /// name the generated function when `name` is a macro such as
    /// `SYSCALL_DEFINE1(name, …)`). Macros: the parameters.
    public var parameters: IdentifierList
    /// Identifiers of the body followed by `(` (also `(name)(…)`), once
    /// each, in first-use order.
    public var calls: IdentifierList
    /// The other identifiers of the body, once each: variables, constants,
    /// functions passed as values. Member names (after `.` or `->`) are left
    /// out: no name after a member access is called directly.
    public var references: IdentifierList
    /// Macros: the names invoked with one of the macro's parameters among
    /// their arguments (a parameter may reach a macro that calls it).
    public var forwards: IdentifierList

    public init(name: UInt32, line: UInt32, flags: Flags, prefix: IdentifierList, parameters: IdentifierList,
                calls: IdentifierList, references: IdentifierList, forwards: IdentifierList) {
        self.name = name
        self.line = line
        self.flags = flags
        self.prefix = prefix
        self.parameters = parameters
        self.calls = calls
        self.references = references
        self.forwards = forwards
    }

    public struct Flags: OptionSet, Codable, Sendable, Equatable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// `static` appears before the name.
        public static let isStatic = Flags(rawValue: 1)
        /// A macro with a parameter list.
        public static let functionLike = Flags(rawValue: 2)
        /// A macro that pastes tokens (`a ## b`, not the `, ## __VA_ARGS__` comma
        /// idiom): the names it produces are not tokens of any file.
        public static let pastes = Flags(rawValue: 4)
        /// A macro that calls a parameter: `fn(…)` with `fn` a parameter.
        public static let callsParameter = Flags(rawValue: 8)
        /// A macro that stores a parameter into a callback field
        /// (`(ops)->fault = (fn)`): the binding is made where it is used.
        public static let bindsParameter = Flags(rawValue: 32)
        /// A function with nothing but storage words before its name (no
        /// return type): when the name is a function-like macro, the
        /// definition is that macro's expansion (`SYSCALL_DEFINE1(name, …) {`)
        /// and defines functions with other, generated, names.
        public static let untyped = Flags(rawValue: 16)
    }
}

/// A write of a callback field spotted by tokens.
public struct BindingSite: Codable, Sendable, Equatable {
    /// The field (`fault`, …); `nil` for an element of a positional initializer
    /// of a callback struct, whose field only the struct's layout tells.
    public var field: UInt32?
    public var line: UInt32
    public var context: Context
    /// The function the write is in, the macro it is part of, or at file
    /// scope the variable initialized (`foo_vm_ops` of `… foo_vm_ops = { … }`).
    public var holder: UInt32?
    /// Every identifier of the stored value (`&foo`, `(cast)foo`, `a ? f : g`, `M(x)`).
    public var value: IdentifierList

    public init(field: UInt32?, line: UInt32, context: Context, holder: UInt32?, value: IdentifierList) {
        self.field = field
        self.line = line
        self.context = context
        self.holder = holder
        self.value = value
    }

    public enum Context: UInt8, Codable, Sendable {
        /// In a file-scope initializer.
        case fileScope
        /// In a function body (an assignment, or a local ops table).
        case function
        /// In a macro definition: it binds where the macro is used.
        case macro
    }
}

/// A file-scope `name(arguments)` outside every body with nothing but
/// storage words before it: not a prototype (which has a return type) but a
/// macro invocation, which may expand to definitions (`DEFINE_X(name);`).
public struct Site: Codable, Sendable, Equatable {
    public var name: UInt32
    public var line: UInt32
    public var arguments: IdentifierList
    public init(name: UInt32, line: UInt32, arguments: IdentifierList) {
        self.name = name
        self.line = line
        self.arguments = arguments
    }
}

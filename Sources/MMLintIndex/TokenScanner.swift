#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The words a scan looks for besides definitions: the callback fields whose
/// writes make roots, and the callback structs whose positional initializers
/// do. Facts depend on it, so a cache of facts keys on it too.
public struct Vocabulary: Codable, Sendable, Hashable {
    /// `fault`, `huge_fault`, `page_mkwrite`, `pfn_mkwrite`, `map_pages`.
    public var callbackFields: [String]
    /// `vm_operations_struct`, `vm_special_mapping`.
    public var callbackStructs: [String]
    /// Struct members whose every mention (`x->m`, `x.m`) a body records as
    /// a call of the pseudo-name `->m` (rules that look at members: see
    /// `RuleKnowledge.Evidence`).
    public var members: [String]
    /// Struct members whose writes (`x->m = …`, `x->m |= …`, every
    /// assignment operator) a body records as a call of `->m=`.
    public var memberWrites: [String]

    public init(callbackFields: [String], callbackStructs: [String], members: [String] = [],
                memberWrites: [String] = []) {
        self.callbackFields = callbackFields
        self.callbackStructs = callbackStructs
        self.members = members
        self.memberWrites = memberWrites
    }

    /// The pseudo-name a mention of member `name` is recorded as.
    public static func mention(_ name: String) -> String { "->" + name }
    /// The pseudo-name a write of member `name` is recorded as.
    public static func write(_ name: String) -> String { "->" + name + "=" }
}

/// Reads C source once, as tokens, and returns its `FileFacts`: no
/// preprocessing, no parse, no `String` per token. Comments, string and
/// character literals and `#if 0` blocks are skipped; every other `#if`
/// branch is read; macro definitions run to the end of their logical line.
/// In a body, an identifier before `(` is a call and any other a
/// reference; a member name (after `.` or `->`) is neither, and is looked
/// at only for a callback field being written.
///
/// A function definition is a file-scope `name(…) … {` not preceded by `=`
/// (attributes and annotation macros may stand between `)` and `{`; a
/// function returning a function pointer is named by its inner `name(`).
/// Brace depth is not evaluated through `#if`/`#else`, so two conditional
/// branches can leave it off by one; kernel style closes every function with
/// a `}` in column 0, and the scanner uses that: a column-0 `}` ends the
/// function whatever the depth, and a function that began with a column-0
/// `{` and seems to end at an indented `}` keeps collecting identifiers
/// until a column-0 `}` or the next definition. Mistakes therefore add
/// identifiers to a body, which only over-approximates.
///
/// One scanner per thread: it reuses its buffers from file to file.
public final class TokenScanner {
    private var state: ScanState
    private let words: Words

    public init(vocabulary: Vocabulary) {
        var symbols = Interner()
        words = Words(vocabulary: vocabulary, symbols: &symbols)
        symbols.freeze()
        state = ScanState(symbols: symbols)
    }

    deinit { state.deallocate() }

    /// The facts of one file's bytes.
    public func scan(_ bytes: UnsafeRawBufferPointer) -> FileFacts {
        var scan = Scan(base: bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), count: bytes.count,
                        state: state, words: words)
        scan.run()
        let facts = scan.facts()
        state = scan.state
        state.endFile()
        return facts
    }

    public func scan(_ bytes: [UInt8]) -> FileFacts {
        bytes.withUnsafeBytes { scan($0) }
    }
}

/// The scanner's permanent words: their ids are the same in every file, so
/// the hot loop compares integers.
struct Words {
    static let staticKeyword: UInt32 = 0
    /// Statement keywords: never the name of a definition.
    static let control: ClosedRange<UInt32> = 1...9
    /// Basic types: a `(` after one of them opens a declarator, not a parameter list.
    static let types: ClosedRange<UInt32> = 10...20
    /// `__attribute__((…))` and the like: a `(` after one opens no parameter list.
    static let prefixConstructs: ClosedRange<UInt32> = 21...27
    /// Storage words: with `static`, all that may precede a macro that
    /// generates a function (`static DEFINE_X(name) {`).
    static let storage: ClosedRange<UInt32> = 28...29
    static let list = [
        "static",
        "if", "while", "for", "switch", "return", "sizeof", "do", "else", "case",
        "int", "void", "char", "short", "long", "unsigned", "signed", "float", "double", "_Bool", "bool",
        "__attribute__", "__attribute", "__declspec", "typeof", "__typeof__", "__typeof", "_Alignas",
        "inline", "extern",
    ]
    let fields: Range<UInt32>
    let structs: Range<UInt32>
    /// Hashes of the callback fields: a member name is interned only when it may be one.
    let fieldHashes: [UInt64]
    static let variadic = Array("__VA_ARGS__".utf8)

    init(vocabulary: Vocabulary, symbols: inout Interner) {
        @discardableResult
        func add(_ word: String) -> UInt32 {
            let bytes = Array(word.utf8)
            return bytes.withUnsafeBufferPointer { buffer in
                symbols.intern(buffer.baseAddress!, buffer.count, Interner.hash(buffer.baseAddress!, buffer.count))
            }
        }
        for word in Self.list { add(word) }
        let fieldStart = UInt32(symbols.count)
        for word in vocabulary.callbackFields where !Self.list.contains(word) { add(word) }
        fields = fieldStart..<UInt32(symbols.count)
        fieldHashes = vocabulary.callbackFields.map { word in
            Array(word.utf8).withUnsafeBufferPointer { Interner.hash($0.baseAddress!, $0.count) }
        }
        let structStart = UInt32(symbols.count)
        for word in vocabulary.callbackStructs where !Self.list.contains(word) && !vocabulary.callbackFields.contains(word) {
            add(word)
        }
        structs = structStart..<UInt32(symbols.count)
        var watched: [UInt64: (mention: UInt32, write: UInt32)] = [:]
        for name in Set(vocabulary.members + vocabulary.memberWrites).sorted() {
            let hash = Array(name.utf8).withUnsafeBufferPointer { Interner.hash($0.baseAddress!, $0.count) }
            let mention = vocabulary.members.contains(name) ? add(Vocabulary.mention(name)) : none
            let write = vocabulary.memberWrites.contains(name) ? add(Vocabulary.write(name)) : none
            watched[hash] = (mention, write)
            memberSpellings[hash] = Array(name.utf8)
        }
        watchedMembers = watched
    }

    /// Watched members by the hash of their spelling: the pseudo-names of a
    /// mention and of a write (`none` when not watched that way).
    var watchedMembers: [UInt64: (mention: UInt32, write: UInt32)] = [:]
    /// The spelling of each watched member, to rule out hash collisions.
    var memberSpellings: [UInt64: [UInt8]] = [:]
}

/// What a scanner keeps from file to file: the identifier table and the
/// marks that keep each identifier list free of repeats.
private struct ScanState {
    var symbols: Interner
    var callMarks = Marks()
    var referenceMarks = Marks()
    var outsideMarks = Marks()
    var serial: UInt32 = 0

    init(symbols: Interner) { self.symbols = symbols }

    func deallocate() {
        symbols.deallocate()
        callMarks.deallocate()
        referenceMarks.deallocate()
        outsideMarks.deallocate()
    }

    mutating func nextSerial() -> UInt32 {
        serial += 1
        return serial
    }

    mutating func endFile() {
        symbols.clearFile()
        if serial > UInt32.max - (1 << 24) {
            callMarks.reset()
            referenceMarks.reset()
            outsideMarks.reset()
            serial = 0
        }
    }
}

/// Per identifier, the serial of the list it was last added to.
private struct Marks {
    private var marks: UnsafeMutablePointer<UInt32>
    private var capacity = 1 << 12

    init() {
        marks = .allocate(capacity: capacity)
        marks.initialize(repeating: 0, count: capacity)
    }

    func deallocate() { marks.deallocate() }

    func reset() { marks.update(repeating: 0, count: capacity) }

    /// True when `id` did not carry `serial` yet (it does now).
    @inline(__always)
    mutating func insert(_ id: UInt32, _ serial: UInt32) -> Bool {
        let index = Int(id)
        if index >= capacity { grow(index) }
        if marks[index] == serial { return false }
        marks[index] = serial
        return true
    }

    private mutating func grow(_ index: Int) {
        var grownCapacity = capacity
        while grownCapacity <= index { grownCapacity *= 2 }
        let grown = UnsafeMutablePointer<UInt32>.allocate(capacity: grownCapacity)
        grown.moveInitialize(from: marks, count: capacity)
        (grown + capacity).initialize(repeating: 0, count: grownCapacity - capacity)
        marks.deallocate()
        marks = grown
        capacity = grownCapacity
    }
}

/// Byte classes for the lexer: one table load per byte.
private enum ByteClass {
    static let identifier: UInt8 = 1
    static let identifierStart: UInt8 = 2
    static let space: UInt8 = 4

    nonisolated(unsafe) static let table: UnsafePointer<UInt8> = {
        let table = UnsafeMutablePointer<UInt8>.allocate(capacity: 256)
        table.initialize(repeating: 0, count: 256)
        for byte in UInt8(ascii: "a")...UInt8(ascii: "z") { table[Int(byte)] = identifier | identifierStart }
        for byte in UInt8(ascii: "A")...UInt8(ascii: "Z") { table[Int(byte)] = identifier | identifierStart }
        for byte in UInt8(ascii: "0")...UInt8(ascii: "9") { table[Int(byte)] = identifier }
        table[Int(UInt8(ascii: "_"))] = identifier | identifierStart
        table[Int(UInt8(ascii: "$"))] = identifier | identifierStart
        for byte in [0x20, 0x09, 0x0B, 0x0C, 0x0D] { table[byte] = space }
        return UnsafePointer(table)
    }()
}

/// Token kinds the state machines look at.
private enum Kind: UInt8 {
    case identifier, openParen, closeParen, openBrace, closeBrace, openBracket, closeBracket
    case semicolon, comma, assign, dot, arrow, paste, other, none
}

private let none = UInt32.max

/// One file's scan: all state is local, in a struct, for the hot loop.
private struct Scan {
    let base: UnsafePointer<UInt8>?
    let count: Int
    var state: ScanState
    let words: Words
    let classes = ByteClass.table

    // Output.
    var functions: [Definition] = []
    var macros: [Definition] = []
    var bindings: [BindingSite] = []
    var sites: [Site] = []
    var lists: [UInt32] = []
    var includedFiles: [String] = []
    var outsideIds: [UInt32] = []
    var outsideSerial: UInt32 = 0

    // Position.
    var position = 0
    var line: UInt32 = 1
    var lineStart = 0

    // Previous significant tokens.
    var previous = Kind.none
    var beforePrevious = Kind.none
    var previousId = none
    var previousLine: UInt32 = 0

    // Braces and the function being read.
    var depth = 0
    var paren = 0
    var function = -1
    var functionBraceAtColumn0 = false
    /// The last function's body, still open: identifiers go here until it is flushed.
    var bodyCalls: [UInt32] = []
    var bodyReferences: [UInt32] = []
    var bodySerial: UInt32 = 0
    var bodyOpen = false
    /// A body identifier whose next token tells whether it is called.
    var pending = none
    /// `name` of `(name)` just closed: called if `(` follows.
    var closedName = none
    /// The function closed early (at an indented `}`) that still collects identifiers.
    var orphan = false

    // File-scope declaration being read.
    var statement: [UInt32] = []
    var statementStatic = false
    var statementAssign = false
    /// The variable a file-scope `name = …` initializes (an ops table's
    /// name), until the declaration's `;`.
    var assignTarget = none
    var group = GroupState.none
    var groupName = none
    var groupLine: UInt32 = 0
    var groupPrefix: [UInt32] = []
    var groupArguments: [UInt32] = []
    var innerName = none
    var innerLine: UInt32 = 0
    var identifiersSinceClose = 0
    var lastGroupEmpty = false

    // Callback-field writes.
    var fieldCandidate = none
    var binding: (field: UInt32?, line: UInt32, context: BindingSite.Context, holder: UInt32?)?
    var bindingNest = 0
    var bindingValue: [UInt32] = []

    // Positional initializers of callback structs.
    var structSeen = false
    var regionBase = -1
    var designated: [Bool] = []
    var elementStart: [Bool] = []
    var positional: [UInt32] = []
    var positionalLine: UInt32 = 0

    // The macro being defined.
    var inDefine = false
    /// The name and parameters stay byte ranges until the body proves to name
    /// something: most macros of a kernel tree are register numbers, and
    /// interning their names would cost more than the rest of the scan.
    var defineName = Spelling(start: 0, length: 0)
    var defineLine: UInt32 = 0
    var defineFlags: Definition.Flags = []
    var defineParameters: [Spelling] = []
    var defineCalls: [UInt32] = []
    var defineReferences: [UInt32] = []
    var defineForwards: [UInt32] = []
    var defineSerial: UInt32 = 0
    /// A body identifier, or a parameter, whose next token tells whether it is called.
    var pendingDefine = none
    var pendingParameter = false
    /// Names invoked in the body whose parentheses are open, with the depth inside them.
    var invocations: [(name: UInt32, depth: Int)] = []
    var defineParen = 0
    /// Bindings from this index on are in the macro being defined.
    var defineBindings = 0

    enum GroupState { case none, inGroup, inAttribute, afterGroup }

    /// An identifier not interned yet (and not hashed: most macro names
    /// never need it).
    struct Spelling {
        var start: Int
        var length: Int
    }

    /// A directive name, up to eight bytes, as one integer.
    struct Word: Equatable {
        let value: UInt64

        init(_ bytes: UnsafePointer<UInt8>, _ length: Int) {
            var value: UInt64 = length <= 8 ? 0 : UInt64.max
            if length <= 8 {
                for index in 0..<length { value |= UInt64(bytes[index]) << (8 * UInt64(index)) }
            }
            self.value = value
        }

        init(_ word: StaticString) {
            self = word.withUTF8Buffer { Word($0.baseAddress!, $0.count) }
        }

        static let define = Word("define")
        static let include = Word("include")
        static let `if` = Word("if")
        static let ifdef = Word("ifdef")
        static let ifndef = Word("ifndef")
        static let endif = Word("endif")
        static let `else` = Word("else")
        static let elif = Word("elif")
    }

    init(base: UnsafePointer<UInt8>?, count: Int, state: ScanState, words: Words) {
        self.base = base
        self.count = count
        self.state = state
        self.words = words
        outsideSerial = self.state.nextSerial()
    }

    // MARK: Lexing

    mutating func run() {
        guard let p = base, count > 0 else { return }
        let end = count
        while position < end {
            let c = p[position]
            switch c {
            case 0x0A: // \n
                newline(at: position)
                position += 1
            case 0x20, 0x09, 0x0D, 0x0C, 0x0B:
                position += 1
                while position < end && classes[Int(p[position])] == ByteClass.space { position += 1 }
            case 0x5C: // backslash: a continuation is whitespace
                if position + 1 < end, p[position + 1] == 0x0A {
                    position += 1
                    line += 1
                    lineStart = position + 1
                } else if position + 2 < end, p[position + 1] == 0x0D, p[position + 2] == 0x0A {
                    position += 2
                    line += 1
                    lineStart = position + 1
                }
                position += 1
            case 0x2F: // /
                if position + 1 < end, p[position + 1] == 0x2F {
                    skipLineComment()
                } else if position + 1 < end, p[position + 1] == 0x2A {
                    skipBlockComment()
                } else {
                    position += 1
                    if position < end, p[position] == 0x3D { position += 1 }
                    token(.other, at: position - 1)
                }
            case 0x22, 0x27: // " '
                let start = position
                skipLiteral(quote: c)
                token(.other, at: start)
            case 0x23: // #
                if position + 1 < end, p[position + 1] == 0x23 {
                    token(.paste, at: position)
                    position += 2
                } else if !inDefine && isLineStartBefore(position) {
                    directive()
                } else {
                    token(.other, at: position)
                    position += 1
                }
            case 0x30...0x39:
                skipNumber()
                token(.other, at: position - 1)
            case 0x41...0x5A, 0x61...0x7A, 0x5F, 0x24:
                identifier()
            case 0x28: punctuation(.openParen)
            case 0x29: punctuation(.closeParen)
            case 0x7B: punctuation(.openBrace)
            case 0x7D: punctuation(.closeBrace)
            case 0x5B: punctuation(.openBracket)
            case 0x5D: punctuation(.closeBracket)
            case 0x3B: punctuation(.semicolon)
            case 0x2C: punctuation(.comma)
            case 0x3D: // = or ==
                if position + 1 < end, p[position + 1] == 0x3D {
                    token(.other, at: position)
                    position += 2
                } else {
                    punctuation(.assign)
                }
            case 0x2E: // . or ... or .5
                if position + 1 < end, p[position + 1] >= 0x30, p[position + 1] <= 0x39 {
                    skipNumber()
                    token(.other, at: position - 1)
                } else if position + 2 < end, p[position + 1] == 0x2E, p[position + 2] == 0x2E {
                    token(.other, at: position)
                    position += 3
                } else {
                    punctuation(.dot)
                }
            case 0x2D: // - -> -- -=
                if position + 1 < end, p[position + 1] == 0x3E {
                    token(.arrow, at: position)
                    position += 2
                } else {
                    operatorToken()
                }
            default:
                operatorToken()
            }
        }
        endOfFile()
    }

    /// An operator the state machines do not need, with a trailing `=` (so
    /// `+=` is never taken for `=`) and a doubled first character (`<<=`).
    @inline(__always)
    mutating func operatorToken() {
        let p = base!
        let c = p[position]
        let start = position
        position += 1
        if c < 0x80 {
            if position < count, p[position] == c,
               c == 0x3C || c == 0x3E || c == 0x2B || c == 0x2D || c == 0x26 || c == 0x7C {
                position += 1
            }
            if position < count, p[position] == 0x3D { position += 1 }
        }
        token(.other, at: start)
    }

    @inline(__always)
    mutating func punctuation(_ kind: Kind) {
        token(kind, at: position)
        position += 1
    }

    @inline(__always)
    mutating func newline(at offset: Int) {
        line += 1
        lineStart = offset + 1
        if inDefine { endDefine() }
    }

    func isLineStartBefore(_ offset: Int) -> Bool {
        let p = base!
        var i = offset - 1
        while i >= lineStart {
            let c = p[i]
            if c != 0x20 && c != 0x09 && c != 0x0C && c != 0x0B && c != 0x0D { return false }
            i -= 1
        }
        return true
    }

    /// The offset of the next `byte` at or after `offset`, or `count`.
    @inline(__always)
    func find(_ byte: UInt8, from offset: Int) -> Int {
        guard offset < count, let found = memchr(base! + offset, Int32(byte), count - offset) else { return count }
        return UnsafeRawPointer(found) - UnsafeRawPointer(base!)
    }

    /// Whether the newline at `offset` ends in a backslash (`\` or `\` CR).
    func isContinued(newlineAt offset: Int) -> Bool {
        let p = base!
        return offset > 0 && (p[offset - 1] == 0x5C || (p[offset - 1] == 0x0D && offset > 1 && p[offset - 2] == 0x5C))
    }

    /// Skips `//…` up to its newline, which stays (a continued line continues the comment).
    mutating func skipLineComment() {
        while true {
            position = find(0x0A, from: position)
            guard position < count, isContinued(newlineAt: position) else { return }
            line += 1
            lineStart = position + 1
            position += 1
        }
    }

    /// Skips `/* … */`, counting its lines (a comment inside a macro
    /// definition does not end it).
    mutating func skipBlockComment() {
        let p = base!
        var star = position + 2
        while true {
            star = find(0x2A, from: star)
            if star + 1 >= count {
                countLines(upTo: count)
                position = count
                return
            }
            if p[star + 1] == 0x2F {
                countLines(upTo: star)
                position = star + 2
                return
            }
            star += 1
        }
    }

    /// Counts the newlines from `position` to `end`.
    mutating func countLines(upTo end: Int) {
        let p = base!
        var newlines: UInt32 = 0
        for offset in position..<end { newlines &+= p[offset] == 0x0A ? 1 : 0 }
        guard newlines > 0 else { return }
        line += newlines
        var last = end - 1
        while p[last] != 0x0A { last -= 1 }
        lineStart = last + 1
    }

    /// A string or character literal; an unterminated one ends at the line's end.
    mutating func skipLiteral(quote: UInt8) {
        let p = base!
        position += 1
        while position < count {
            let c = p[position]
            if c == quote {
                position += 1
                return
            }
            if c == 0x5C {
                if position + 1 < count, p[position + 1] == 0x0A {
                    line += 1
                    lineStart = position + 2
                }
                position += 2
                continue
            }
            if c == 0x0A { return }
            position += 1
        }
    }

    /// A preprocessing number: digits, letters, `_`, `.`, and a sign after an exponent letter.
    mutating func skipNumber() {
        let p = base!
        position += 1
        while position < count {
            let c = p[position]
            if (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F || c == 0x2E {
                position += 1
            } else if (c == 0x2B || c == 0x2D),
                      p[position - 1] | 0x20 == 0x65 || p[position - 1] | 0x20 == 0x70 {
                position += 1
            } else {
                return
            }
        }
    }

    @inline(__always)
    mutating func identifier() {
        let p = base!
        let start = position
        position += 1
        // Eight bytes at a time while they fit, then one at a time.
        while position + 8 <= count {
            let other = Self.nonIdentifierBytes(UnsafeRawPointer(p + position).loadUnaligned(as: UInt64.self))
            if other != 0 {
                position += other.trailingZeroBitCount >> 3
                break
            }
            position += 8
        }
        while position < count && classes[Int(p[position])] & ByteClass.identifier != 0 { position += 1 }
        let length = position - start
        let hash = Interner.hash(p + start, length, readable: count - start)
        if previous == .dot || previous == .arrow {
            memberToken(start, length, hash)
        } else if inDefine && isParameter(start, length) {
            parameterToken()
        } else {
            identifierToken(state.symbols.intern(p + start, length, hash, readable: count - start))
        }
    }

    /// The high bit of each byte of `word` (little-endian) that cannot
    /// continue an identifier: not a letter, digit, `_` or `$`. No carry
    /// crosses bytes: every sum stays below 0x100.
    @inline(__always)
    static func nonIdentifierBytes(_ word: UInt64) -> UInt64 {
        let high: UInt64 = 0x8080_8080_8080_8080
        let low = word & ~high
        let folded = low | 0x2020_2020_2020_2020
        let letter = (folded &+ 0x1F1F_1F1F_1F1F_1F1F) & ~(folded &+ 0x0505_0505_0505_0505)
        let digit = (low &+ 0x5050_5050_5050_5050) & ~(low &+ 0x4646_4646_4646_4646)
        func equal(_ byte: UInt64) -> UInt64 {
            let difference = low ^ (byte &* 0x0101_0101_0101_0101)
            return ~((difference &+ 0x7F7F_7F7F_7F7F_7F7F) | difference)
        }
        let identifier = (letter | digit | equal(0x5F) | equal(0x24)) & ~word & high
        return ~identifier & high
    }

    /// Reads the identifier at `position` (which must start one).
    mutating func spelling() -> Spelling {
        let p = base!
        let start = position
        while position < count && classes[Int(p[position])] & ByteClass.identifier != 0 { position += 1 }
        return Spelling(start: start, length: position - start)
    }

    func isParameter(_ start: Int, _ length: Int) -> Bool {
        for parameter in defineParameters where parameter.length == length {
            if memcmp(base! + parameter.start, base! + start, length) == 0 { return true }
        }
        return length == Words.variadic.count && Words.variadic.withUnsafeBufferPointer {
            memcmp($0.baseAddress!, base! + start, length) == 0
        }
    }

    mutating func intern(_ spelling: Spelling) -> UInt32 {
        let bytes = base! + spelling.start
        let readable = count - spelling.start
        return state.symbols.intern(bytes, spelling.length, Interner.hash(bytes, spelling.length, readable: readable),
                                    readable: readable)
    }

    // MARK: Directives

    /// A `#` at the start of a line.
    mutating func directive() {
        let p = base!
        // A directive between a name and `(` (`foo\n#ifdef X\n(…)`): count it called.
        if pending != none { classifyPending(called: true) }
        position += 1
        skipHorizontalSpace()
        let nameStart = position
        while position < count, isIdentifierByte(p[position]) { position += 1 }
        let name = Word(p + nameStart, position - nameStart)
        if name == Word.define {
            beginDefine()
        } else if name == Word.include {
            include()
            skipLogicalLine()
        } else if name == Word.if {
            skipHorizontalSpace()
            if position < count, p[position] == 0x30,
               position + 1 >= count || !isIdentifierByte(p[position + 1]) {
                skipFalseBranch()
            } else {
                skipLogicalLine()
            }
        } else {
            skipLogicalLine()
        }
    }

    func isIdentifierByte(_ c: UInt8) -> Bool { classes[Int(c)] & ByteClass.identifier != 0 }

    func isIdentifierStart(_ c: UInt8) -> Bool { classes[Int(c)] & ByteClass.identifierStart != 0 }

    mutating func skipHorizontalSpace() {
        let p = base!
        while position < count {
            let c = p[position]
            if c == 0x20 || c == 0x09 {
                position += 1
            } else if c == 0x5C, position + 1 < count, p[position + 1] == 0x0A {
                position += 2
                line += 1
                lineStart = position
            } else if c == 0x2F, position + 1 < count, p[position + 1] == 0x2A {
                skipBlockComment()
            } else {
                return
            }
        }
    }

    /// Skips to the end of the directive's logical line (the newline stays).
    mutating func skipLogicalLine() {
        let p = base!
        while position < count {
            let c = p[position]
            if c == 0x0A {
                if isContinued(newlineAt: position) {
                    line += 1
                    lineStart = position + 1
                    position += 1
                    continue
                }
                return
            }
            if c == 0x2F, position + 1 < count, p[position + 1] == 0x2A {
                skipBlockComment()
                continue
            }
            if c == 0x2F, position + 1 < count, p[position + 1] == 0x2F {
                skipLineComment()
                return
            }
            position += 1
        }
    }

    /// `#include "x.c"` (or `.inl`, `.def`…, anything but a `.h`): C code
    /// compiled as part of this file.
    mutating func include() {
        let p = base!
        skipHorizontalSpace()
        guard position < count, p[position] == 0x22 else { return }
        let start = position + 1
        var end = start
        while end < count, p[end] != 0x22, p[end] != 0x0A { end += 1 }
        guard end < count, p[end] == 0x22, end > start,
              !(end - start > 2 && p[end - 2] == 0x2E && p[end - 1] == 0x68) else { return }
        includedFiles.append(String(decoding: UnsafeBufferPointer(start: p + start, count: end - start), as: UTF8.self))
    }

    /// After `#if 0`: skips to the matching `#else`, `#elif` (whose code is
    /// read) or `#endif`. Comments are honoured, quotes are not (text in a
    /// dead block need not be C).
    mutating func skipFalseBranch() {
        let p = base!
        var nesting = 0
        skipLogicalLine()
        while position < count {
            // At a newline: go to the next line's first token.
            if p[position] == 0x0A {
                line += 1
                lineStart = position + 1
                position += 1
            }
            skipHorizontalSpace()
            guard position < count else { return }
            if p[position] == 0x23 {
                position += 1
                skipHorizontalSpace()
                let start = position
                while position < count, isIdentifierByte(p[position]) { position += 1 }
                let word = Word(p + start, position - start)
                if word == Word.if || word == Word.ifdef || word == Word.ifndef {
                    nesting += 1
                } else if word == Word.endif {
                    if nesting == 0 {
                        skipLogicalLine()
                        return
                    }
                    nesting -= 1
                } else if nesting == 0, word == Word.else || word == Word.elif {
                    skipLogicalLine()
                    return
                }
            }
            skipLogicalLine()
        }
    }

    mutating func beginDefine() {
        let p = base!
        skipHorizontalSpace()
        guard position < count, isIdentifierStart(p[position]) else {
            skipLogicalLine()
            return
        }
        inDefine = true
        defineName = spelling()
        defineLine = line
        defineFlags = []
        defineParameters.removeAll(keepingCapacity: true)
        defineCalls.removeAll(keepingCapacity: true)
        defineReferences.removeAll(keepingCapacity: true)
        defineForwards.removeAll(keepingCapacity: true)
        invocations.removeAll(keepingCapacity: true)
        pendingDefine = none
        pendingParameter = false
        defineParen = 0
        defineSerial = state.nextSerial()
        defineBindings = bindings.count
        previous = .none
        fieldCandidate = none
        guard position < count, p[position] == 0x28 else {
            if skipNumericBody() { inDefine = false }
            return
        }
        defineFlags.insert(.functionLike)
        position += 1
        while position < count, p[position] != 0x29, p[position] != 0x0A {
            if isIdentifierStart(p[position]) {
                defineParameters.append(spelling())
            } else if p[position] == 0x5C, position + 1 < count, p[position + 1] == 0x0A {
                position += 2
                line += 1
                lineStart = position
            } else {
                position += 1
            }
        }
        if position < count, p[position] == 0x29 { position += 1 }
    }

    /// Skips the body of an object-like macro made of numbers and operators
    /// only (`#define mmREG 0x1234`, a third of a kernel tree's bytes) in
    /// one tight loop; false, with nothing consumed, when the body has
    /// anything else.
    mutating func skipNumericBody() -> Bool {
        let p = base!
        var offset = position
        while offset < count {
            let c = p[offset]
            if c == 0x0A { break }
            if classes[Int(c)] & ByteClass.identifierStart != 0 || c == 0x2F || c == 0x5C || c == 0x22 || c == 0x27 {
                return false
            }
            offset += 1
            if c >= 0x30 && c <= 0x39 {
                while offset < count && classes[Int(p[offset])] & ByteClass.identifier != 0 { offset += 1 }
            }
        }
        position = offset
        return true
    }

    /// A macro whose body names no identifier (a number, an empty flag) and
    /// calls no parameter leads nowhere and is not recorded.
    mutating func endDefine() {
        if pendingDefine != none { addDefine(pendingDefine, called: false) }
        inDefine = false
        finishBinding()
        previous = .none
        fieldCandidate = none
        guard !defineCalls.isEmpty || !defineReferences.isEmpty || !defineForwards.isEmpty
            || !defineFlags.isDisjoint(with: [.callsParameter, .bindsParameter]) else { return }
        let name = intern(defineName)
        for index in defineBindings..<bindings.count { bindings[index].holder = name }
        let parameters = defineParameters.map { intern($0) }
        macros.append(Definition(name: name, line: defineLine, flags: defineFlags, prefix: .empty,
                                 parameters: append(parameters), calls: append(defineCalls),
                                 references: append(defineReferences), forwards: append(defineForwards)))
    }

    mutating func addDefine(_ id: UInt32, called: Bool) {
        if called {
            if state.callMarks.insert(id, defineSerial) { defineCalls.append(id) }
        } else if state.referenceMarks.insert(id, defineSerial) {
            defineReferences.append(id)
        }
    }

    /// A macro parameter in the macro's body: not a name of the file, but
    /// called (`fn(…)`) or handed to an invocation it may reach a call through.
    mutating func parameterToken() {
        if pendingDefine != none {
            addDefine(pendingDefine, called: false)
            pendingDefine = none
        }
        for invocation in invocations where !defineForwards.contains(invocation.name) {
            defineForwards.append(invocation.name)
        }
        if binding != nil { defineFlags.insert(.bindsParameter) }
        pendingParameter = true
        fieldCandidate = none
        beforePrevious = previous
        previous = .identifier
        previousId = none
    }

    /// A member name: only a callback field matters, for bindings.
    mutating func memberToken(_ start: Int, _ length: Int, _ hash: UInt64) {
        if pending != none { classifyPending(called: false) }
        if pendingDefine != none {
            addDefine(pendingDefine, called: false)
            pendingDefine = none
        }
        pendingParameter = false
        fieldCandidate = none
        if words.fieldHashes.contains(hash) {
            let id = state.symbols.intern(base! + start, length, hash, readable: count - start)
            if id >= words.fields.lowerBound && id < words.fields.upperBound { fieldCandidate = id }
        }
        if !words.watchedMembers.isEmpty, let watched = words.watchedMembers[hash],
           let spelling = words.memberSpellings[hash], spelling.count == length,
           spelling.withUnsafeBytes({ memcmp($0.baseAddress!, base! + start, length) == 0 }) {
            if watched.mention != none { watchedMember(watched.mention) }
            if watched.write != none && isAssignment(after: start + length) { watchedMember(watched.write) }
        }
        beforePrevious = previous
        previous = .identifier
        previousId = none
        previousLine = line
    }

    /// A watched member's pseudo-name, as a call of the body or macro it is in.
    mutating func watchedMember(_ id: UInt32) {
        if inDefine {
            addDefine(id, called: true)
        } else if function >= 0, state.callMarks.insert(id, bodySerial) {
            bodyCalls.append(id)
        }
    }

    /// Whether an assignment operator (`=`, `|=`, `<<=`, …, not `==`)
    /// follows `offset`, past blanks and line breaks (and a macro's `\`).
    func isAssignment(after offset: Int) -> Bool {
        let p = base!
        var i = offset
        while i < count, p[i] == 0x20 || p[i] == 0x09 || p[i] == 0x0A || p[i] == 0x0D || p[i] == 0x5C { i += 1 }
        guard i < count else { return false }
        if p[i] == 0x3D { return i + 1 >= count || p[i + 1] != 0x3D }
        switch p[i] {
        case 0x2B, 0x2D, 0x2A, 0x2F, 0x25, 0x26, 0x7C, 0x5E: // + - * / % & | ^
            return i + 1 < count && p[i + 1] == 0x3D
        case 0x3C, 0x3E: // <<= >>=
            return i + 2 < count && p[i + 1] == p[i] && p[i + 2] == 0x3D
        default:
            return false
        }
    }

    /// Files the pending body identifier as called or referenced.
    @inline(__always)
    mutating func classifyPending(called: Bool) {
        if called {
            if state.callMarks.insert(pending, bodySerial) { bodyCalls.append(pending) }
        } else if state.referenceMarks.insert(pending, bodySerial) {
            bodyReferences.append(pending)
        }
        pending = none
    }

    // MARK: Tokens

    mutating func append(_ ids: [UInt32]) -> IdentifierList {
        let start = UInt32(lists.count)
        lists.append(contentsOf: ids)
        return IdentifierList(start: start, count: UInt32(ids.count))
    }

    @inline(__always)
    mutating func identifierToken(_ id: UInt32) {
        if inDefine {
            if pendingDefine != none { addDefine(pendingDefine, called: false) }
            pendingDefine = id
            pendingParameter = false
        } else {
            if pending != none { classifyPending(called: false) }
            if function >= 0 {
                pending = id
            } else {
                if state.outsideMarks.insert(id, outsideSerial) { outsideIds.append(id) }
                if orphan { pending = id }
                if depth == 0 { fileScopeIdentifier(id) }
            }
            if id >= words.structs.lowerBound && id < words.structs.upperBound { structSeen = true }
            if regionBase >= 0 { positionalIdentifier(id) }
        }
        if binding != nil { bindingValue.append(id) }
        fieldCandidate = none
        beforePrevious = previous
        previous = .identifier
        previousId = id
        previousLine = line
    }

    @inline(__always)
    mutating func token(_ kind: Kind, at offset: Int) {
        if binding != nil { bindingToken(kind) }
        if kind == .assign && previous == .identifier && fieldCandidate != none {
            startBinding(field: fieldCandidate)
        }
        if inDefine {
            defineToken(kind)
        } else {
            if pending != none {
                if kind == .closeParen && beforePrevious == .openParen { closedName = pending }
                classifyPending(called: kind == .openParen)
            } else if closedName != none {
                // `(name)(…)`: a call that keeps `name` from expanding as a macro.
                if kind == .openParen && previous == .closeParen {
                    pending = closedName
                    classifyPending(called: true)
                }
                closedName = none
            }
            if regionBase >= 0 { positionalToken(kind) }
            switch kind {
            case .openBrace: openBrace(atColumn0: offset == lineStart)
            case .closeBrace: closeBrace(atColumn0: offset == lineStart)
            case .openParen: openParen()
            case .closeParen: closeParen()
            case .semicolon: semicolon()
            case .comma: comma()
            case .assign:
                if function < 0 && depth == 0 && paren == 0 {
                    statementAssign = true
                    group = .none
                    assignTarget = previous == .identifier ? previousId : none
                }
            default: break
            }
        }
        fieldCandidate = none
        beforePrevious = previous
        previous = kind
    }

    /// A token of a macro body: tracks which names are invoked around the
    /// parameters, and whether a parameter is called.
    mutating func defineToken(_ kind: Kind) {
        if pendingDefine != none {
            addDefine(pendingDefine, called: kind == .openParen)
            if kind == .openParen { invocations.append((pendingDefine, defineParen + 1)) }
            pendingDefine = none
        }
        if pendingParameter {
            if kind == .openParen { defineFlags.insert(.callsParameter) }
            pendingParameter = false
        }
        switch kind {
        case .openParen:
            defineParen += 1
        case .closeParen:
            while let last = invocations.last, last.depth >= defineParen { invocations.removeLast() }
            defineParen -= 1
        case .paste where previous != .comma:
            defineFlags.insert(.pastes)
        default:
            break
        }
    }

    // MARK: File scope: definitions and sites

    @inline(__always)
    mutating func fileScopeIdentifier(_ id: UInt32) {
        guard paren == 0 else {
            if group == .inGroup { groupArguments.append(id) }
            return
        }
        if group == .afterGroup || group == .inAttribute {
            identifiersSinceClose += 1
        }
        if statement.count == 32 { statement.removeFirst() }
        statement.append(id)
        if id == Words.staticKeyword { statementStatic = true }
    }

    mutating func openParen() {
        guard function < 0 && depth == 0 else { return }
        if paren == 0 {
            let named = previous == .identifier && !Words.control.contains(previousId)
            switch group {
            case .none:
                startGroup(named ? previousId : none)
            case .afterGroup where named:
                // `__printf(1, 2) int foo(…)`: a type between the groups, or
                // a first group naming nothing (no parameter list does), make
                // this one the declarator; `foo(…) __acquires(x)` does not.
                if identifiersSinceClose >= 2 || lastGroupEmpty || Words.prefixConstructs.contains(groupName) {
                    // `static DEFINE_LOCK(x) int foo(…)`: a group naming
                    // something, then a type, was a declaration of its own.
                    if !lastGroupEmpty && identifiersSinceClose >= 2 {
                        statement.removeFirst(max(0, statement.count - identifiersSinceClose))
                        statementStatic = statement.contains(Words.staticKeyword)
                    }
                    startGroup(previousId)
                } else {
                    group = .inAttribute
                }
            case .afterGroup:
                group = .inAttribute
            default:
                break
            }
        } else if paren == 1 && group == .inGroup && previous == .identifier && innerName == none {
            innerName = previousId
            innerLine = previousLine
        }
        paren += 1
    }

    mutating func startGroup(_ name: UInt32) {
        group = .inGroup
        groupName = name
        groupLine = previousLine
        groupPrefix.removeAll(keepingCapacity: true)
        if name != none, statement.count > 1 { groupPrefix.append(contentsOf: statement.dropLast()) }
        groupArguments.removeAll(keepingCapacity: true)
        innerName = none
    }

    mutating func closeParen() {
        guard function < 0 && depth == 0 && paren > 0 else { return }
        paren -= 1
        guard paren == 0 else { return }
        if group == .inGroup {
            if groupName != none && untypedGroup && !Words.prefixConstructs.contains(groupName) {
                sites.append(Site(name: groupName, line: groupLine, arguments: append(groupArguments)))
            }
            group = .afterGroup
            identifiersSinceClose = 0
            lastGroupEmpty = groupArguments.isEmpty
        } else if group == .inAttribute {
            group = .afterGroup
            identifiersSinceClose = 0
        }
    }

    /// Nothing but storage words before the group's name: no return type,
    /// so the name, if a macro, generates what follows.
    var untypedGroup: Bool {
        groupPrefix.allSatisfy { $0 == Words.staticKeyword || Words.storage.contains($0) }
    }

    /// The name a group that ends in `{` defines: `foo` in `int foo(…)`, and in
    /// `int (*foo(…))(…)`.
    var definedName: (UInt32, UInt32)? {
        if groupName != none && !Words.types.contains(groupName) && !Words.prefixConstructs.contains(groupName) {
            return (groupName, groupLine)
        }
        return innerName != none ? (innerName, innerLine) : nil
    }

    mutating func openBrace(atColumn0: Bool) {
        if function < 0 && depth == 0 {
            // While an early-closed function still collects, only a kernel-style
            // `{` in column 0 starts another.
            if group == .afterGroup && paren == 0 && !statementAssign && (!orphan || atColumn0),
               let (name, nameLine) = definedName {
                startFunction(name, line: nameLine, braceAtColumn0: atColumn0)
                depth = 1
                resetStatement()
                return
            }
            if structSeen && (previous == .assign || previous == .closeParen) && regionBase < 0 {
                startRegion()
            }
            resetStatement()
        } else if structSeen && (previous == .assign || previous == .closeParen) && regionBase < 0 {
            startRegion()
        }
        structSeen = false
        depth += 1
        if regionBase >= 0 { enterRegionLevel() }
    }

    mutating func closeBrace(atColumn0: Bool) {
        if regionBase >= 0 { leaveRegionLevel() }
        structSeen = false
        if function >= 0 {
            // A `}` in column 0 ends the function, whatever `#if` branches did to the depth.
            if atColumn0 { depth = 1 }
            depth -= 1
            if depth == 0 {
                function = -1
                orphan = functionBraceAtColumn0 && !atColumn0
                resetStatement()
            }
            return
        }
        if atColumn0 { orphan = false }
        if depth > 0 { depth -= 1 }
        if depth == 0 { resetStatement() }
    }

    mutating func semicolon() {
        structSeen = false
        if function < 0 && depth == 0 && paren == 0 {
            resetStatement()
            assignTarget = none
        }
    }

    mutating func comma() {
        if function < 0 && depth == 0 && paren == 0 && group == .afterGroup { group = .none }
    }

    mutating func resetStatement() {
        statement.removeAll(keepingCapacity: true)
        statementStatic = false
        statementAssign = false
        group = .none
        groupName = none
        paren = 0
    }

    mutating func startFunction(_ name: UInt32, line nameLine: UInt32, braceAtColumn0: Bool) {
        flushBody()
        assignTarget = none
        var flags: Definition.Flags = []
        if statementStatic { flags.insert(.isStatic) }
        if name == groupName && untypedGroup { flags.insert(.untyped) }
        functions.append(Definition(name: name, line: nameLine, flags: flags, prefix: append(groupPrefix),
                                    parameters: append(groupArguments), calls: .empty, references: .empty,
                                    forwards: .empty))
        function = functions.count - 1
        functionBraceAtColumn0 = braceAtColumn0
        bodySerial = state.nextSerial()
        bodyOpen = true
        orphan = false
    }

    /// Stores the last function's body: it stays open after the function's
    /// `}` for identifiers that an early `}` left outside.
    mutating func flushBody() {
        guard bodyOpen else { return }
        functions[functions.count - 1].calls = append(bodyCalls)
        functions[functions.count - 1].references = append(bodyReferences)
        bodyCalls.removeAll(keepingCapacity: true)
        bodyReferences.removeAll(keepingCapacity: true)
        bodyOpen = false
    }

    mutating func endOfFile() {
        if inDefine { endDefine() }
        if pending != none { classifyPending(called: false) }
        finishBinding()
        if regionBase >= 0 { finishRegion() }
        flushBody()
    }

    // MARK: Callback-field writes

    mutating func startBinding(field: UInt32?) {
        finishBinding()
        if inDefine {
            binding = (field, line, .macro, nil)
        } else if function >= 0 || orphan {
            binding = (field, line, .function, functions[functions.count - 1].name)
        } else {
            binding = (field, line, .fileScope, assignTarget == none ? nil : assignTarget)
        }
        bindingNest = 0
        bindingValue.removeAll(keepingCapacity: true)
    }

    /// The value ends at `,` or `;` outside brackets, or at a bracket that
    /// closes an enclosing one.
    @inline(__always)
    mutating func bindingToken(_ kind: Kind) {
        switch kind {
        case .openParen, .openBrace, .openBracket:
            bindingNest += 1
        case .closeParen, .closeBrace, .closeBracket:
            bindingNest -= 1
            if bindingNest < 0 { finishBinding() }
        case .comma, .semicolon:
            if bindingNest == 0 { finishBinding() }
        default:
            break
        }
    }

    mutating func finishBinding() {
        guard let current = binding else { return }
        binding = nil
        bindings.append(BindingSite(field: current.field, line: current.line, context: current.context,
                                    holder: current.holder, value: append(bindingValue)))
    }

    // MARK: Positional initializers of callback structs

    mutating func startRegion() {
        regionBase = depth + 1
        designated.removeAll(keepingCapacity: true)
        elementStart.removeAll(keepingCapacity: true)
        positional.removeAll(keepingCapacity: true)
        positionalLine = line
    }

    mutating func enterRegionLevel() {
        designated.append(false)
        elementStart.append(true)
    }

    mutating func leaveRegionLevel() {
        if !designated.isEmpty {
            designated.removeLast()
            elementStart.removeLast()
        }
        if depth <= regionBase { finishRegion() }
    }

    mutating func finishRegion() {
        regionBase = -1
        if !positional.isEmpty {
            let holder = function >= 0 ? functions[function].name : assignTarget == none ? nil : assignTarget
            bindings.append(BindingSite(field: nil, line: positionalLine, context: function >= 0 ? .function : .fileScope,
                                        holder: holder, value: append(positional)))
        }
    }

    /// The first token of an element decides whether it is designated (`.field =`).
    @inline(__always)
    mutating func positionalToken(_ kind: Kind) {
        guard let level = designated.indices.last else { return }
        if elementStart[level] {
            elementStart[level] = false
            designated[level] = kind == .dot
        }
        if kind == .comma && depth - regionBase == level { elementStart[level] = true }
    }

    @inline(__always)
    mutating func positionalIdentifier(_ id: UInt32) {
        guard let level = designated.indices.last else { return }
        if elementStart[level] {
            elementStart[level] = false
            designated[level] = false
        }
        if !designated[level] { positional.append(id) }
    }

    // MARK: Result

    mutating func facts() -> FileFacts {
        let outside = append(outsideIds)
        // Exact-size copies: a tree's facts are held until all files are
        // scanned, and arrays grown by appending carry up to half again.
        func exact<T>(_ array: [T]) -> [T] { array.withUnsafeBufferPointer { Array($0) } }
        return FileFacts(symbols: state.symbols.table(), functions: exact(functions), macros: exact(macros),
                         bindings: bindings, sites: sites, outside: outside, includedFiles: includedFiles,
                         lists: exact(lists))
    }
}

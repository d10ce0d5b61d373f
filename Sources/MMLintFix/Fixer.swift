import MMLintCore

/// A replacement of the bytes `start..<end` of a file by `replacement`.
public struct TextEdit: Sendable, Equatable, Hashable {
    public var file: String
    public var start: Int
    public var end: Int
    public var replacement: String

    public init(file: String, start: Int, end: Int, replacement: String) {
        self.file = file
        self.start = start
        self.end = end
        self.replacement = replacement
    }
}

/// What a fixer makes of one finding.
public enum FixOutcome: Sendable, Equatable {
    /// The edits that fix it, in any files (an mmap handler elsewhere), and
    /// what a reviewer should still look at, if anything.
    case edits([TextEdit], note: String?)
    /// Why no mechanical fix is safe.
    case notMechanical(String)
}

/// Everything a fixer may read: the program's facts, the tree's kernel
/// version, and the files' text.
public struct FixContext {
    public let program: Program
    public let kernelVersion: KernelVersion?
    let read: (String) -> SourceText?
    var cache: [String: SourceText] = [:]

    public init(program: Program, kernelVersion: KernelVersion?, read: @escaping (String) -> SourceText?) {
        self.program = program
        self.kernelVersion = kernelVersion
        self.read = read
    }

    public mutating func source(_ path: String) -> SourceText? {
        if let known = cache[path] { return known }
        let text = read(path)
        cache[path] = text
        return text
    }

    /// Whether the tree's vm_flags are written through the v6.3 modifiers.
    /// Nil when the version is unknown: a fix that must choose says so.
    public var usesFlagModifiers: Bool? { kernelVersion.map { $0 >= KernelVersion(6, 3) } }
}

/// A mechanical fix for one rule's findings. One type per file, keyed by the rule id.
public protocol Fixer: Sendable {
    /// The rule whose findings it fixes.
    static var ruleID: String { get }
    /// The subject line's summary for a mail carrying this fix kind
    /// (`use vm_flags_set() for vm_flags`), lower case, kernel style.
    static var subject: String { get }
    /// The commit message's body: why the change is right.
    func explanation(_ findings: [Finding], context: FixContext) -> String
    init()
    func fix(_ finding: Finding, context: inout FixContext) -> FixOutcome
}

/// The fixers, by rule id.
public enum Fixers {
    public static let all: [any Fixer.Type] = [
        VmFlagsDirectFix.self, FaultErrnoFix.self, RemapInFaultFix.self, InsertNeedsFlagsFix.self, FollowPfnFix.self,
        FaultMmapLockFix.self,
    ]

    public static func fixer(for ruleID: String) -> (any Fixer)? {
        all.first { $0.ruleID == ruleID }.map { $0.init() }
    }
}

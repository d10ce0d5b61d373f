/// One reported misuse.
public struct Finding: Codable, Sendable, Equatable {
    public var ruleID: String
    public var severity: Severity
    public var confidence: Confidence
    /// Where the offending call is written (for a call from a macro: the macro's use).
    public var location: Location
    /// The function that contains the call.
    public var function: String
    /// Its USR, for looking the chain up again in the program (not reported).
    public var functionUSR: String?
    /// The API called, e.g. `io_remap_pfn_range`.
    public var callee: String
    /// The macro written at `location` when the call comes from its expansion.
    public var macro: String?
    /// From the root to the callee: `.fault of vfio_pci_mmap_ops`,
    /// `vfio_pci_mmap_fault`, `io_remap_pfn_range`. Empty outside fault context.
    public var chain: [String]
    /// What is wrong and why.
    public var message: String
    /// What to write instead.
    public var suggestion: String

    public init(ruleID: String, severity: Severity = .warning, confidence: Confidence,
                location: Location, function: String, functionUSR: String? = nil, callee: String,
                macro: String? = nil, chain: [String], message: String, suggestion: String) {
        self.ruleID = ruleID
        self.severity = severity
        self.confidence = confidence
        self.location = location
        self.function = function
        self.functionUSR = functionUSR
        self.callee = callee
        self.macro = macro
        self.chain = chain
        self.message = message
        self.suggestion = suggestion
    }

    /// Identity that survives line shifts: rule, file, function, callee,
    /// chain. What `mmlint fix` keys a finding's fix by, in SARIF `fixes`
    /// and under a review comment.
    public var key: String {
        [ruleID, location.file, function, callee, chain.joined(separator: " → ")].joined(separator: "|")
    }

    /// Report order: file, line, column, rule.
    public static func reportOrder(_ a: Finding, _ b: Finding) -> Bool {
        (a.location, a.ruleID, a.callee) < (b.location, b.ruleID, b.callee)
    }
}

public enum Severity: String, Codable, Sendable {
    case error, warning, note
}

/// How sure a rule is, Coccinelle style.
public enum Confidence: String, Codable, Sendable, Comparable {
    case low, moderate, high
    private var rank: Int { self == .low ? 0 : self == .moderate ? 1 : 2 }
    public static func < (a: Confidence, b: Confidence) -> Bool { a.rank < b.rank }
}

/// A check over the whole program. Each rule is one type in one file; its
/// description carries its documentation and its examples, which run as
/// tests and are shown by `mmlint explain`.
public protocol Rule: Sendable {
    var description: RuleDescription { get }
    /// Findings for the program, in any order.
    func check(_ program: Program) -> [Finding]
}

/// A rule's documentation and examples.
public struct RuleDescription: Sendable {
    /// Public, stable: `mm-remap-in-fault`.
    public var id: String
    /// One line.
    public var summary: String
    /// Why it matters, in a reviewer's words.
    public var rationale: String
    public var confidence: Confidence
    /// C that the rule flags. Each line to be flagged carries
    /// `/* expect: <rule-id> */`.
    public var triggering: [String]
    /// C that the rule leaves alone.
    public var nonTriggering: [String]
    /// The kernel version the examples are analysed at, for a rule whose
    /// judgement depends on it; nil: no version known.
    public var examplesKernelVersion: KernelVersion?

    public init(id: String, summary: String, rationale: String, confidence: Confidence,
                triggering: [String], nonTriggering: [String], examplesKernelVersion: KernelVersion? = nil) {
        self.id = id
        self.summary = summary
        self.rationale = rationale
        self.confidence = confidence
        self.triggering = triggering
        self.nonTriggering = nonTriggering
        self.examplesKernelVersion = examplesKernelVersion
    }
}

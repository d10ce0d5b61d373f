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
    public var triggering: [Example]
    /// C that the rule leaves alone.
    public var nonTriggering: [Example]

    public init(id: String, summary: String, rationale: String, confidence: Confidence,
                triggering: [Example], nonTriggering: [Example]) {
        self.id = id
        self.summary = summary
        self.rationale = rationale
        self.confidence = confidence
        self.triggering = triggering
        self.nonTriggering = nonTriggering
    }
}

/// One C example of a rule, and where it is written: a test that runs it
/// reports a wrong or missing finding at the Swift line that holds the C line.
/// Write the literal's opening `"""` on the line of `Example(`, so that C
/// line n sits at Swift line `line + n`.
public struct Example: Sendable {
    /// The C source, a whole file.
    public var source: String
    /// The kernel version the example is analysed at, for a rule whose
    /// judgement depends on it; nil: no version known.
    public var kernelVersion: KernelVersion?
    /// The Swift file and line of the `Example(` call.
    public var file: StaticString
    public var line: UInt

    public init(_ source: String, kernelVersion: KernelVersion? = nil,
                file: StaticString = #filePath, line: UInt = #line) {
        self.source = source
        self.kernelVersion = kernelVersion
        self.file = file
        self.line = line
    }

    /// The Swift line that holds C line `number` (1-based).
    public func sourceLine(_ number: Int) -> UInt { line + UInt(number) }
}

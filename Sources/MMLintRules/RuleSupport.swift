import MMLintCore

/// A built-in rule: its id, and the two parts of `rules/<id>.yaml` it reads,
/// the knowledge every rule has and its own `Data` (nothing, by default),
/// decoded for it.
protocol BuiltinRule: Rule {
    associatedtype Data: Decodable = NoData
    static var id: String { get }
    init(knowledge: RuleKnowledge, data: Data)
}

/// The `Data` of a rule whose file holds only the common knowledge.
struct NoData: Decodable {}

extension BuiltinRule {
    /// Reads the rule's file from the rules folder; an error names the file.
    init(knowledge: KnowledgeBase) throws(KnowledgeError) {
        self.init(knowledge: try knowledge.rule(Self.id), data: try knowledge.ruleData(Self.id, as: Data.self))
    }
}

extension RuleKnowledge {
    /// A finding in `function` whose message and suggestion are the rule
    /// file's texts for `context` at `version`, with `values` filled in;
    /// `fallback` is the message when the file has none for them.
    func finding(context: String, version: KernelVersion?, values: [String: String], fallback: String,
                 confidence: Confidence, location: Location, function: FunctionFact, callee: String,
                 macro: String? = nil, chain: [String]) -> Finding {
        Finding(
            ruleID: id, confidence: confidence, location: location,
            function: function.name, functionUSR: function.usr, callee: callee, macro: macro, chain: chain,
            message: fill(messages.select(context: context, version: version)?.text ?? fallback, values),
            suggestion: fill(suggestions.select(context: context, version: version)?.text ?? "", values))
    }
}

extension RuleKnowledge {
    /// A finding, with its root's confidence, for each call of one of the
    /// APIs on a fault path: the whole check of a rule that forbids its APIs
    /// in fault context. `fallback` is the message when the file has none.
    func callsOnFaultPaths(in program: Program, fallback: (CallFact) -> String) -> [Finding] {
        var findings: [Finding] = []
        for (function, call) in program.calls(to: Set(apis.map(\.name))) {
            guard let context = program.faultContext(of: function.usr) else { continue }
            findings.append(finding(
                context: "fault", version: program.kernelVersion,
                values: RuleText.values(call: call, function: function, root: context.root, path: context.path),
                fallback: fallback(call), confidence: context.root.confidence,
                location: call.location, function: function, callee: call.callee, macro: call.macro,
                chain: Program.chain(root: context.root, path: context.path, call: call)))
        }
        return findings
    }
}

/// Pieces the fault-path rules share: how a call reads in a message, the
/// placeholder values, and how sure a fault-path finding is.
extension CallFact {
    /// `mmap_read_lock()`, or `mmap_read_lock() (through macro LOCK_MM)`.
    var written: String {
        macro.map { "\(callee)() (through macro \($0))" } ?? "\(callee)()"
    }
}

extension Program.Root {
    /// A root bound in an ops table is certain; one found by its shape alone is not.
    var confidence: Confidence { binding != nil ? .high : .moderate }
}

enum RuleText {
    /// The placeholders every message may use.
    static func values(function: FunctionFact, root: Program.Root?, path: [FunctionFact],
                       extra: [String: String] = [:]) -> [String: String] {
        var values = [
            "function": function.name,
            "root": root?.label ?? "",
            "vmf": path.first?.faultSignature?.vmfParameter ?? function.faultSignature?.vmfParameter ?? "vmf",
        ]
        values.merge(extra) { _, new in new }
        return values
    }

    /// The placeholders of a finding on a call: those above, `callee` and `call`.
    static func values(call: CallFact, function: FunctionFact, root: Program.Root?, path: [FunctionFact],
                       extra: [String: String] = [:]) -> [String: String] {
        values(function: function, root: root, path: path,
               extra: ["callee": call.callee, "call": call.written].merging(extra) { _, new in new })
    }

    /// The chain of a finding that is not a call: the root, then each function down to `path`'s last.
    static func chain(root: Program.Root, path: [FunctionFact], ending: String? = nil) -> [String] {
        [root.label] + path.map(\.name) + (ending.map { [$0] } ?? [])
    }
}

import MMLintCore

/// The per-rule sections of `docs/rules.md`, generated from the rules: the
/// summary, rationale and examples of each rule's description and the APIs
/// and version gates of its YAML. Each section's generated part sits between
/// two markers; what follows the end marker (the real findings) is written
/// by hand and kept. `mmlint rules --update-docs docs/rules.md` rewrites the
/// generated parts, and a test fails while they are stale.
public enum RuleDocs {
    /// Opens rule `id`'s generated part.
    public static func begin(_ id: String) -> String {
        "<!-- generated from rule \(id) by `mmlint rules --update-docs`: edit the rule, not this -->"
    }
    /// Closes a generated part.
    public static let end = "<!-- end of generated part -->"

    /// `document` with every rule's generated part rewritten; a rule with no
    /// section yet gets one at the end, with a stub for its real findings.
    public static func update(_ document: String, rules: [RuleDescription],
                              knowledge: [String: RuleKnowledge]) -> String {
        var document = document
        for rule in rules {
            let generated = begin(rule.id) + "\n\n" + section(rule, knowledge: knowledge[rule.id]) + "\n" + end
            if let start = document.range(of: begin(rule.id)),
               let stop = document.range(of: end, range: start.upperBound..<document.endIndex) {
                document.replaceSubrange(start.lowerBound..<stop.upperBound, with: generated)
            } else {
                if !document.hasSuffix("\n") { document += "\n" }
                document += "\n## \(rule.id)\n\n" + generated + "\n\nReal findings: none yet.\n"
            }
        }
        return document
    }

    /// One rule's generated part, Markdown.
    public static func section(_ rule: RuleDescription, knowledge: RuleKnowledge?) -> String {
        var out = "Summary: \(rule.summary). Confidence: \(rule.confidence.rawValue).\n\n"
        out += Prose.wrap(rule.rationale, width: 76) + "\n"
        if let knowledge {
            out += "\nFrom `rules/\(rule.id).yaml`: "
            out += knowledge.scope == .fault ? "reported on fault paths" : "reported anywhere"
            if let evidence = knowledge.evidence, evidence.since != nil || evidence.until != nil {
                out += ", on kernels " + gate(since: evidence.since, until: evidence.until)
                if evidence.since != nil { out += " (silent when the version is unknown)" }
            }
            out += ".\n"
            if !knowledge.apis.isEmpty {
                out += "\nAPIs:\n\n" + knowledge.apis.map { api in
                    let versions = api.since == nil && api.until == nil ? "" : " (" + gate(since: api.since, until: api.until) + ")"
                    return "- `\(api.name)()`" + versions
                }.joined(separator: "\n") + "\n"
            }
            let gated = [("Messages", knowledge.messages), ("Suggestions", knowledge.suggestions)].compactMap { name, texts in
                let gates = texts.compactMap { text -> String? in
                    guard text.since != nil || text.until != nil else { return nil }
                    return (text.when.map { "`\($0)`, " } ?? "") + gate(since: text.since, until: text.until)
                }
                return gates.isEmpty ? nil : "\(name) by version: " + gates.joined(separator: "; ") + "."
            }
            if !gated.isEmpty { out += "\n" + Prose.wrap(gated.joined(separator: " "), width: 76) + "\n" }
        }
        for (title, examples) in [("Flagged", rule.triggering), ("Not flagged", rule.nonTriggering)] {
            for (index, example) in examples.enumerated() {
                let version = example.kernelVersion.map { ", as on a \($0.releaseName) tree" } ?? ""
                out += "\n\(title) (\(index + 1)\(version)):\n\n" + example.source.split(separator: "\n", omittingEmptySubsequences: false)
                    .map { $0.isEmpty ? "" : "    " + $0 }.joined(separator: "\n") + "\n"
            }
        }
        return out
    }

    /// `since v6.3`, `until v6.10`, `v6.5 to v6.10`.
    static func gate(since: KernelVersion?, until: KernelVersion?) -> String {
        switch (since, until) {
        case let (since?, until?): return "\(since.releaseName) to before \(until.releaseName)"
        case let (since?, nil): return "since \(since.releaseName)"
        case let (nil, until?): return "before \(until.releaseName)"
        case (nil, nil): return "all versions"
        }
    }
}

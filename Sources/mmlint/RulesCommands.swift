import ArgumentParser
import Foundation
import MMLintCore
import MMLintEngine
import MMLintReporters

/// `mmlint rules`: the rules, one per line.
struct Rules: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the rules (with the plugins' rules when --plugin or the config loads some).")

    @OptionGroup var ruleSources: RuleSourceArguments

    @Option(name: .customLong("update-docs"), help: ArgumentHelp(
        "Rewrite the generated parts of the built-in rules' sections of this Markdown file (docs/rules.md).",
        valueName: "file"))
    var updateDocs: String?

    func run() throws {
        try exitWithStatus(of: {
            try list()
            return .clean
        })
    }

    func list() throws(EngineError) {
        let engine = try loadEngine(ruleSources)
        if let updateDocs {
            try update(docs: updateDocs, engine: engine)
            return
        }
        let enabled = Set(engine.rules.map(\.description.id))
        let origin = engine.plugins.reduce(into: [String: String]()) { all, plugin in
            for rule in plugin.rules { all[rule.description.id] = plugin.path }
        }
        let width = engine.allRules.map(\.description.id.count).max() ?? 20
        for rule in engine.allRules.map(\.description) {
            var notes: [String] = []
            if let plugin = origin[rule.id] { notes.append("plugin \((plugin as NSString).lastPathComponent)") }
            if let severity = engine.severities[rule.id] { notes.append("severity \(severity.rawValue)") }
            if !enabled.contains(rule.id) { notes.append("disabled by the config") }
            let note = notes.isEmpty ? "" : " (" + notes.joined(separator: ", ") + ")"
            print("\(rule.id.padding(toLength: width, withPad: " ", startingAt: 0)) \(rule.confidence.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)) \(rule.summary)\(note)")
        }
    }
}

extension Rules {
    /// Rewrites `path`'s generated parts from the built-in rules (plugins' rules are documented by their plugins).
    func update(docs path: String, engine: Engine) throws(EngineError) {
        let pluginRules = Set(engine.plugins.flatMap { $0.rules.map(\.description.id) })
        let rules = engine.allRules.map(\.description).filter { !pluginRules.contains($0.id) }
        do {
            let document = try String(contentsOfFile: path, encoding: .utf8)
            let updated = RuleDocs.update(document, rules: rules, knowledge: engine.knowledge.rules)
            if updated != document { try updated.write(toFile: path, atomically: true, encoding: .utf8) }
        } catch {
            throw .input("\(path): \(error.localizedDescription)")
        }
    }
}

/// `mmlint explain ID`: a rule's documentation, knowledge and examples.
struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Explain a rule, with examples.")

    @Argument(help: "A rule id, e.g. mm-remap-in-fault.")
    var id: String

    @OptionGroup var ruleSources: RuleSourceArguments

    func run() throws {
        try exitWithStatus(of: {
            try explain()
            return .clean
        })
    }

    func explain() throws(EngineError) {
        let engine = try loadEngine(ruleSources)
        guard let rule = engine.allRules.first(where: { $0.description.id == id }) else {
            throw .usage("unknown rule '\(id)'; `mmlint rules` lists them")
        }
        let d = rule.description
        var out = "\(d.id): \(d.summary)\n\nConfidence: \(d.confidence.rawValue)\n\n\(Prose.wrap(d.rationale))\n"
        if let knowledge = engine.knowledge.rules[d.id], !knowledge.apis.isEmpty {
            let plugin = engine.plugins.first { $0.rules.contains { $0.description.id == d.id } }
            out += "\nAPIs (" + (plugin.map { "plugin \($0.path)" } ?? "rules/\(d.id).yaml") + "):\n"
            for api in knowledge.apis {
                var gate = ""
                if let since = api.since { gate += " since v\(since.major).\(since.minor)" }
                if let until = api.until { gate += " until v\(until.major).\(until.minor)" }
                out += "  \(api.name)()\(gate)\n"
            }
        }
        for (title, examples) in [("Flagged", d.triggering), ("Not flagged", d.nonTriggering)] {
            for (index, example) in examples.enumerated() {
                let version = example.kernelVersion.map { ", as on a \($0.releaseName) tree" } ?? ""
                out += "\n\(title) (\(index + 1)\(version)):\n\n" + example.source
                    .split(separator: "\n", omittingEmptySubsequences: false)
                    .map { "    " + $0 }.joined(separator: "\n") + "\n"
            }
        }
        print(out, terminator: "")
    }
}

/// The engine with the current folder's config (or --config) and the plugins.
func loadEngine(_ ruleSources: RuleSourceArguments) throws(EngineError) -> Engine {
    try ruleSources.engine(root: FileManager.default.currentDirectoryPath)
}

import ArgumentParser
import Foundation
import MMLintCore
import MMLintEngine

/// `mmlint rules`: the rules, one per line.
struct Rules: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the rules.")

    func run() throws {
        let engine = try loadEngine()
        let width = engine.rules.map(\.description.id.count).max() ?? 20
        for rule in engine.rules.map(\.description) {
            print("\(rule.id.padding(toLength: width, withPad: " ", startingAt: 0)) \(rule.confidence.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)) \(rule.summary)")
        }
    }
}

/// `mmlint explain ID`: a rule's documentation, knowledge and examples.
struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Explain a rule, with examples.")

    @Argument(help: "A rule id, e.g. mm-remap-in-fault.")
    var id: String

    func run() throws {
        let engine = try loadEngine()
        guard let rule = engine.rules.first(where: { $0.description.id == id }) else {
            printError("mmlint: unknown rule '\(id)'; `mmlint rules` lists them")
            throw ExitCode(Status.error.rawValue)
        }
        let d = rule.description
        var out = "\(d.id): \(d.summary)\n\nConfidence: \(d.confidence.rawValue)\n\n\(Prose.wrap(d.rationale))\n"
        if let knowledge = engine.knowledge.rules[d.id], !knowledge.apis.isEmpty {
            out += "\nAPIs (rules/\(d.id).yaml):\n"
            for api in knowledge.apis {
                var gate = ""
                if let since = api.since { gate += " since v\(since.major).\(since.minor)" }
                if let until = api.until { gate += " until v\(until.major).\(until.minor)" }
                out += "  \(api.name)()\(gate)\n"
            }
        }
        if let version = d.examplesKernelVersion {
            out += "\nThe examples are judged as on a \(version.releaseName) tree.\n"
        }
        for (title, examples) in [("Flagged", d.triggering), ("Not flagged", d.nonTriggering)] {
            for (index, example) in examples.enumerated() {
                out += "\n\(title) (\(index + 1)):\n\n" + example.split(separator: "\n", omittingEmptySubsequences: false)
                    .map { "    " + $0 }.joined(separator: "\n") + "\n"
            }
        }
        print(out, terminator: "")
    }
}

func loadEngine() throws -> Engine {
    do {
        return try Engine()
    } catch {
        printError("mmlint: " + error.description)
        throw ExitCode(Status.error.rawValue)
    }
}

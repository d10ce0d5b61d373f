import Foundation
import MMLintCore

/// The JSON list `b4 review` reads from a per-patch check command
/// (`b4.review-perpatch-check-cmd`): `[{"tool", "status", "summary",
/// "details"}]`, status `pass`, `warn` or `fail`.
///
/// Always exactly one entry: b4 keys its results (and its cache) by tool
/// name per patch, so a second `mmlint` entry would silently replace the
/// first. Its status is the worst of the findings — a high-confidence one
/// (or one the project config makes an error) is `fail`, the rest `warn` —
/// and `fail` whenever a file could not be analysed: an unanalysed patch
/// must never read as passing. The details are plain text, one reviewer's
/// note per finding (b4 shows text it cannot parse as JSON line by line).
public enum B4ReviewReporter {
    public static let tool = "mmlint"

    public enum Status: String, Encodable, Comparable {
        case pass, warn, fail
        private var rank: Int { self == .pass ? 0 : self == .warn ? 1 : 2 }
        public static func < (a: Status, b: Status) -> Bool { a.rank < b.rank }
    }

    struct Entry: Encodable {
        var tool: String
        var status: Status
        var summary: String
        var details: String
    }

    /// What b4 makes of one finding.
    public static func status(of finding: Finding, in report: Report) -> Status {
        switch report.severities[finding.ruleID] {
        case .error?: return .fail
        case .warning?, .note?: return .warn
        case nil: return finding.confidence == .high ? .fail : .warn
        }
    }

    public static func render(_ report: Report) -> String {
        let statuses = report.findings.map { status(of: $0, in: report) }
        var worst = statuses.max() ?? .pass
        if !report.failures.isEmpty { worst = .fail }

        var summary: [String] = []
        if let first = report.findings.first {
            let failing = statuses.filter { $0 == .fail }.count
            let count = report.findings.count
            summary.append(count == 1
                ? "\(report.display(first.location.file)):\(first.location.line): \(headline(first)) [\(first.ruleID)]"
                : "\(count) findings, \(failing) failing, first "
                    + "\(report.display(first.location.file)):\(first.location.line) [\(first.ruleID)]")
        }
        if !report.failures.isEmpty {
            let files = Set(report.failures.map(\.file)).count
            summary.append("\(files) file\(files == 1 ? "" : "s") could not be analysed: not checked")
        }
        if summary.isEmpty {
            summary.append("no mm API misuse added"
                + (report.mode == "hunk-only" ? " (hunk-only: the patched files are not in this tree)" : ""))
        }

        var notes = report.findings.map { note($0, report) }
        notes += report.failures.map { report.failureLine($0) + "; mm API misuse in it would go unseen" }
        if !report.fixed.isEmpty {
            notes += report.fixed.map {
                "fixes \(report.display($0.location.file)):\($0.location.line): \($0.message) [\($0.ruleID)]"
            }
        }
        let entry = Entry(tool: tool, status: worst, summary: summary.joined(separator: "; "),
                          details: notes.joined(separator: "\n\n"))
        return encode([entry])
    }

    /// A fail entry for a run that produced no report (unreadable input, a
    /// tree mmlint cannot use): b4 shows the reason instead of an exit code.
    public static func renderError(_ message: String) -> String {
        encode([Entry(tool: tool, status: .fail, summary: "mmlint could not check this patch", details: message)])
    }

    /// The message up to its first `: ` (rules write a headline, then the
    /// why); the whole message is in the details. The summary is one line.
    static func headline(_ finding: Finding) -> String {
        finding.message.components(separatedBy: ": ").first ?? finding.message
    }

    /// file:line, the message, the line quoted, the chain and the suggestion.
    static func note(_ finding: Finding, _ report: Report) -> String {
        var lines = ["\(report.display(finding.location.file)):\(finding.location.line): \(finding.message) "
                     + "[\(finding.ruleID), \(finding.confidence.rawValue) confidence]"]
        if let source = report.sourceLine(finding.location.file, finding.location.line) {
            let trimmed = source.trimmingCharacters(in: .whitespaces)
            if !trimmed.isEmpty { lines.append("    " + trimmed) }
        }
        if finding.function.isEmpty == false { lines.append("  in \(finding.function)()") }
        if !finding.chain.isEmpty { lines.append("  chain: " + finding.chain.joined(separator: " -> ")) }
        lines.append("  suggestion: " + finding.suggestion)
        return lines.joined(separator: "\n")
    }

    static func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else {
            return #"[{"tool": "mmlint", "status": "fail", "summary": "mmlint could not encode its report"}]"# + "\n"
        }
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}

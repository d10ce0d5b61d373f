import MMLintCore

/// Compiler-style text: `file:line:col: warning: message [rule-id]`, the
/// source line with a caret under the call, then the chain and the suggestion.
public enum TextReporter {
    public static func render(_ report: Report) -> String {
        guard !report.patches.isEmpty else { return render(report.findings, report) }
        // check: findings grouped under the patch that introduced them.
        var out = ""
        for patch in report.patches {
            let findings = report.findings.filter { report.origin(of: $0)?.number == patch.number }
            guard !findings.isEmpty else { continue }
            if report.patches.count > 1 || patch.subject != nil {
                out += (patch.subject ?? "patch \(patch.number)") + "\n"
            }
            out += render(findings, report)
        }
        return out
    }

    static func render(_ findings: [Finding], _ report: Report) -> String {
        var out = ""
        for finding in findings {
            let file = report.display(finding.location.file)
            out += "\(file):\(finding.location.line):\(finding.location.column): "
                + "\(finding.severity.rawValue): \(finding.message) [\(finding.ruleID)]\n"
            if let line = report.sourceLine(finding.location.file, finding.location.line) {
                out += line + "\n" + caret(under: line, column: finding.location.column) + "\n"
            }
            if !finding.chain.isEmpty {
                out += "  chain: " + finding.chain.joined(separator: " → ") + "\n"
            }
            if !finding.suggestion.isEmpty {
                out += "  suggestion: " + finding.suggestion + "\n"
            }
        }
        return out
    }

    /// A caret at byte `column`, keeping the line's tabs so it lines up in any tab width.
    static func caret(under line: String, column: Int) -> String {
        var prefix = ""
        for (index, byte) in line.utf8.enumerated() where index < column - 1 {
            if byte == 0x09 {
                prefix.append("\t")
            } else if byte & 0xC0 != 0x80 {
                prefix.append(" ")
            }
        }
        return prefix + "^"
    }

    /// The summary of a check for stderr: counts, where they came from, and
    /// what the patches fixed.
    public static func checkSummary(_ report: Report) -> String {
        let count = report.patches.count
        var text = "mmlint: \(count) patch\(count == 1 ? "" : "es") checked (\(report.mode ?? "tree") mode"
            + (report.kernelVersion.map { ", kernel \($0)" } ?? "") + "): "
        let findings = report.findings.count
        text += "\(findings) new finding\(findings == 1 ? "" : "s")"
        let introducing = Set(report.findings.compactMap { report.origin(of: $0)?.number }).sorted()
        if count > 1 && !introducing.isEmpty {
            text += " (patch " + introducing.map(String.init).joined(separator: ", ") + ")"
        }
        if !report.fixed.isEmpty { text += ", \(report.fixed.count) fixed" }
        let failed = Set(report.failures.map(\.file)).count
        if failed > 0 { text += ", \(failed) file\(failed == 1 ? "" : "s") could not be analysed" }
        text += String(format: ", %.2fs", report.summary.seconds)
        for fixed in report.fixed {
            let which = count > 1 ? "patch \(report.origin(of: fixed)?.number ?? 0)" : "the patch"
            text += "\nmmlint: \(which) fixes \(fixed.ruleID): \(fixed.callee)() in \(fixed.function)()"
        }
        return text
    }

    /// The one-line summary for stderr.
    public static func summary(_ report: Report) -> String {
        let s = report.summary
        var parts = ["\(s.files) file\(s.files == 1 ? "" : "s")"]
        if s.read > 0 { parts.append("\(s.read) read") }
        parts.append("\(s.parsed) parsed")
        if s.cached > 0 { parts.append("\(s.cached) cached") }
        if s.skipped > 0 { parts.append("\(s.skipped) skipped") }
        if s.failed > 0 { parts.append("\(s.failed) failed") }
        parts.append("\(s.parseErrors) parse error\(s.parseErrors == 1 ? "" : "s")"
                     + (s.parseErrors > 0 ? " in \(s.filesWithParseErrors) file\(s.filesWithParseErrors == 1 ? "" : "s")" : ""))
        parts.append("\(s.findings) finding\(s.findings == 1 ? "" : "s")")
        parts.append(String(format: "%.2fs", s.seconds))
        return "mmlint: " + parts.joined(separator: ", ")
    }
}

import MMLintCore

/// The terse lines `checkpatch.pl --terse --showfile` prints, one per
/// finding, so that b4 can run mmlint as its per-patch check command:
/// `drivers/x/x.c:1701: ERROR: message; suggestion [rule-id]`. b4 counts a
/// line with `ERROR:` as a failure and any other line as a warning, so
/// high-confidence findings are ERROR and the rest WARNING — unless the
/// project config sets the rule's severity: then error is ERROR, warning
/// WARNING and note CHECK (checkpatch's level for a reviewer's attention).
/// A file that could not be analysed is an ERROR line too, after the
/// findings: b4 must not read an unanalysed patch as clean.
public enum CheckpatchReporter {
    public static func render(_ report: Report) -> String {
        var out = ""
        for finding in report.findings {
            let level: String
            switch report.severities[finding.ruleID] {
            case .error?: level = "ERROR"
            case .warning?: level = "WARNING"
            case .note?: level = "CHECK"
            case nil: level = finding.confidence == .high ? "ERROR" : "WARNING"
            }
            out += "\(report.display(finding.location.file)):\(finding.location.line): \(level): "
                + "\(finding.message); \(finding.suggestion) [\(finding.ruleID)]\n"
        }
        for failure in report.failures {
            out += "\(report.display(failure.file)): ERROR: mmlint could not analyse this file"
                + (failure.version.map { " (\($0))" } ?? "") + ": \(failure.cause); "
                + "mm API misuse in it would go unseen\n"
        }
        return out
    }
}

import MMLintCore

/// The terse lines `checkpatch.pl --terse --showfile` prints, one per
/// finding, so that b4 can run mmlint as its per-patch check command:
/// `drivers/x/x.c:1701: WARNING: message [rule-id]`.
public enum CheckpatchReporter {
    public static func render(_ report: Report) -> String {
        var out = ""
        for finding in report.findings {
            let level = finding.severity == .error ? "ERROR" : finding.severity == .note ? "CHECK" : "WARNING"
            out += "\(report.display(finding.location.file)):\(finding.location.line): \(level): "
                + "\(finding.message); \(finding.suggestion) [\(finding.ruleID)]\n"
        }
        return out
    }
}

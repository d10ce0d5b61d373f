import MMLintCore

/// GCC's diagnostic lines, as kbuild's checkers (sparse, smatch) print them
/// and as editors and CI log parsers read them: the finding on one line, its
/// chain and what to write instead on `note:` lines at the same place.
///
///     drivers/x/y.c:1701:6: warning: io_remap_pfn_range() maps … [mm-remap-in-fault]
///     drivers/x/y.c:1701:6: note: chain: .fault of y_ops → y_fault → io_remap_pfn_range
///     drivers/x/y.c:1701:6: note: suggestion: map only the faulting page with …
public enum GCCReporter {
    public static func render(_ findings: [Finding], display: (String) -> String) -> String {
        var out = ""
        for finding in findings {
            let place = "\(display(finding.location.file)):\(finding.location.line):\(finding.location.column): "
            out += place + "\(finding.severity.rawValue): \(finding.message) [\(finding.ruleID)]\n"
            if !finding.chain.isEmpty {
                out += place + "note: chain: " + finding.chain.joined(separator: " → ") + "\n"
            }
            if !finding.suggestion.isEmpty {
                out += place + "note: suggestion: " + finding.suggestion + "\n"
            }
        }
        return out
    }

    public static func render(_ report: Report) -> String {
        render(report.findings) { report.display($0) }
    }
}

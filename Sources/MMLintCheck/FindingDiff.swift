import MMLintCore

/// What a patch changed in the findings: those after it that were not
/// there before (introduced), and those before it that are gone (fixed).
/// Pure: findings in, findings out.
public struct FindingDiff: Sendable {
    /// How a chain names a root found by its shape alone (`vm_fault_t
    /// handler signature`).
    public var signatureLabel: String

    public init(signatureLabel: String) { self.signatureLabel = signatureLabel }

    /// The findings of `after` that `before` has not, by `strictKey`.
    public func introduced(after: [Finding], before: [Finding]) -> [Finding] {
        subtract(after, before, key: strictKey)
    }

    /// The findings of `before` that `after` has not, by `looseKey`.
    public func fixed(before: [Finding], after: [Finding]) -> [Finding] {
        subtract(before, after, key: looseKey)
    }

    /// What makes a finding the same before and after a patch: rule, file,
    /// function, callee and chain — with the root named by its kind only, so
    /// renaming an ops table is not news, while installing a handler that so
    /// far had only the handler's shape is.
    public func strictKey(_ finding: Finding) -> String {
        let kind = finding.chain.first.map { $0 == signatureLabel ? "signature" : "callback" } ?? ""
        return [finding.ruleID, finding.location.file, finding.function, finding.callee, kind,
                finding.chain.dropFirst().joined(separator: " → ")].joined(separator: "|")
    }

    /// A finding is fixed only when no finding of that rule, function and
    /// callee is left in the file (a changed chain is not a fix).
    public func looseKey(_ finding: Finding) -> String {
        [finding.ruleID, finding.location.file, finding.function, finding.callee].joined(separator: "|")
    }

    /// `a` minus `b`, as multisets under `key` (line numbers do not matter; a
    /// second identical call in the same function does).
    func subtract(_ a: [Finding], _ b: [Finding], key: (Finding) -> String) -> [Finding] {
        var remaining: [String: Int] = [:]
        for finding in b { remaining[key(finding), default: 0] += 1 }
        var result: [Finding] = []
        // Prefer reporting the occurrences the patch touched: go through `a`
        // first line first, so that the earlier occurrences match `b` and a
        // surplus falls on the later (usually new) one.
        for finding in a.sorted(by: Finding.reportOrder) {
            if let count = remaining[key(finding)], count > 0 {
                remaining[key(finding)] = count - 1
            } else {
                result.append(finding)
            }
        }
        return result
    }
}

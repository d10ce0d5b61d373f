import MMLintCore

/// The fixes for a set of findings: per file the edits to make, per fix kind
/// the findings fixed, and the findings left with why.
public struct FixPlan: Sendable {
    /// One fixed finding and the edits that fix it.
    public struct Fixed: Sendable {
        public var finding: Finding
        public var edits: [TextEdit]
        public var note: String?
    }

    /// A finding left as it is, and why.
    public struct Left: Sendable {
        public var finding: Finding
        public var why: String
    }

    public var fixed: [Fixed] = []
    public var left: [Left] = []

    /// Runs each finding's fixer. Edits that overlap an earlier fix's are
    /// dropped with their finding (said as left): the next run fixes it on
    /// the new text.
    public static func make(findings: [Finding], context: inout FixContext) -> FixPlan {
        var plan = FixPlan()
        var taken: [TextEdit] = []
        for finding in findings.sorted(by: Finding.reportOrder) {
            guard let fixer = Fixers.fixer(for: finding.ruleID) else {
                plan.left.append(Left(finding: finding, why: "no mechanical fix for \(finding.ruleID) yet"))
                continue
            }
            switch fixer.fix(finding, context: &context) {
            case .notMechanical(let why):
                plan.left.append(Left(finding: finding, why: why))
            case .edits(let edits, let note):
                // Two findings fixed by the same edit (two remaps installed by
                // one mmap handler) share it.
                let new = edits.filter { !taken.contains($0) }
                if new.contains(where: { edit in taken.contains { $0.overlaps(edit) } }) {
                    plan.left.append(Left(finding: finding, why: "its fix overlaps another fix in this run; run mmlint fix again after applying"))
                    continue
                }
                if edits.isEmpty {
                    plan.left.append(Left(finding: finding, why: "its fix finds nothing to change in the text"))
                    continue
                }
                taken += new
                plan.fixed.append(Fixed(finding: finding, edits: new, note: note))
            }
        }
        return plan
    }

    /// The edits per file.
    public var editsByFile: [String: [TextEdit]] {
        Dictionary(grouping: fixed.flatMap(\.edits), by: \.file)
    }

    /// The files the plan changes, in path order.
    public var files: [String] { editsByFile.keys.sorted() }
}

extension TextEdit {
    /// Two edits that touch the same bytes (an insertion at the very start or
    /// end of a replaced range counts: their order would be ambiguous).
    func overlaps(_ other: TextEdit) -> Bool {
        guard file == other.file else { return false }
        if start == end || other.start == other.end {
            return start == other.start || (start > other.start && start < other.end) || (other.start > start && other.start < end)
        }
        return start < other.end && other.start < end
    }
}

public enum EditApplier {
    /// `bytes` with the non-overlapping `edits` made.
    public static func apply(_ edits: [TextEdit], to bytes: [UInt8]) -> [UInt8] {
        var out = bytes
        // Back to front so earlier offsets stay valid; insertions at the same
        // place keep their order.
        for edit in edits.enumerated().sorted(by: { ($0.element.start, $0.offset) > ($1.element.start, $1.offset) }).map(\.element) {
            out.replaceSubrange(edit.start..<edit.end, with: Array(edit.replacement.utf8))
        }
        return out
    }
}

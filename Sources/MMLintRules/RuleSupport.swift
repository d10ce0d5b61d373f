import MMLintCore

/// Pieces the fault-path rules share: how a call reads in a message, the
/// placeholder values, and how sure a fault-path finding is.
extension CallFact {
    /// `mmap_read_lock()`, or `mmap_read_lock() (through macro LOCK_MM)`.
    var written: String {
        macro.map { "\(callee)() (through macro \($0))" } ?? "\(callee)()"
    }
}

extension Program.Root {
    /// A root bound in an ops table is certain; one found by its shape alone is not.
    var confidence: Confidence { binding != nil ? .high : .moderate }
}

enum RuleText {
    /// The placeholders every message may use.
    static func values(function: FunctionFact, root: Program.Root?, path: [FunctionFact],
                       extra: [String: String] = [:]) -> [String: String] {
        var values = [
            "function": function.name,
            "root": root?.label ?? "",
            "vmf": path.first?.faultSignature?.vmfParameter ?? function.faultSignature?.vmfParameter ?? "vmf",
        ]
        values.merge(extra) { _, new in new }
        return values
    }

    /// The chain of a finding that is not a call: the root, then each function down to `path`'s last.
    static func chain(root: Program.Root, path: [FunctionFact], ending: String? = nil) -> [String] {
        [root.label] + path.map(\.name) + (ending.map { [$0] } ?? [])
    }
}

import MMLintCore

/// `mm-insert-needs-flags`: the flag the insert needs (VM_PFNMAP for a pfn
/// insert, VM_MIXEDMAP for a mixed or page insert) set in the mmap handler
/// that installs the ops, before the `vm_ops` store.
public struct InsertNeedsFlagsFix: Fixer {
    public static let ruleID = "mm-insert-needs-flags"
    public static let subject = "set the VMA flag the fault handler's insert needs"
    static let pfnInserts: Set<String> = ["vmf_insert_pfn", "vmf_insert_pfn_prot"]
    public init() {}

    public func explanation(_ findings: [Finding], context: FixContext) -> String {
        let inserts = Set(findings.map(\.callee)).sorted().map { "\($0)()" }.joined(separator: ", ")
        return """
            The fault handler inserts with \(inserts), which BUG_ONs on a VMA \
            that has neither VM_PFNMAP nor VM_MIXEDMAP set. Set the flag where \
            the VMA is set up, in the mmap handler that installs the ops.
            """
    }

    public func fix(_ finding: Finding, context: inout FixContext) -> FixOutcome {
        let flag = Self.pfnInserts.contains(finding.callee) ? "VM_PFNMAP" : "VM_MIXEDMAP"
        guard let usr = finding.functionUSR else { return .notMechanical("the finding names no function") }
        // The table the finding is about: the first root that is an ops table.
        let binding = context.program.faultContexts(of: usr).compactMap(\.root.binding)
            .first { $0.structName == "vm_operations_struct" && $0.kind == .initializer }
        switch MmapFlags.add([flag], for: binding, context: &context) {
        case .success(let edits):
            return .edits(edits, note: nil)
        case .failure(let reason):
            return .notMechanical(reason.why)
        }
    }
}

import MMLintCore

/// `mm-fault-mmap-lock`: from v6.5, a fault handler's own drop of the mmap
/// lock right before it returns VM_FAULT_RETRY becomes
/// `release_fault_lock(vmf)`, which drops whichever lock the fault holds
/// (the per-VMA lock or mmap_lock). A take, a downgrade, or a drop of any
/// other shape changes what the handler's code is protected by: a human
/// decides.
public struct FaultMmapLockFix: Fixer {
    public static let ruleID = "mm-fault-mmap-lock"
    public static let subject = "drop the fault's lock with release_fault_lock() before VM_FAULT_RETRY"
    static let drops: Set<String> = ["mmap_read_unlock", "up_read"]
    public init() {}

    public func explanation(_ findings: [Finding], context: FixContext) -> String {
        """
        Since v6.4 a fault may run under the faulting VMA's own lock instead \
        of mmap_lock, and a handler that drops mmap_lock itself before \
        returning VM_FAULT_RETRY releases a lock it may not hold. \
        release_fault_lock() (v6.5) releases whichever of the two the fault \
        holds.
        """
    }

    public func fix(_ finding: Finding, context: inout FixContext) -> FixOutcome {
        guard Self.drops.contains(finding.callee) else {
            let callee = finding.callee
            if ["mmap_write_unlock", "up_write"].contains(callee) {
                return .notMechanical("\(callee)() releases the write lock, which a fault never holds: it pairs with "
                                      + "a take in the fault path, whose removal decides this one")
            }
            let verb = callee.contains("downgrade") ? "downgrades" : callee.contains("unlock") ? "drops" : "takes"
            return .notMechanical("\(callee)() \(verb) the mmap lock in a fault path, which holds it (or the VMA's "
                                  + "lock) already; what the extra lock protected decides the fix")
        }
        guard let version = context.kernelVersion, version >= KernelVersion(6, 5) else {
            return .notMechanical("release_fault_lock() arrived in v6.5; "
                                  + (context.kernelVersion == nil ? "the kernel version is unknown (pass --kernel-version)"
                                     : "on this tree the drop before VM_FAULT_RETRY is written by hand"))
        }
        guard finding.macro == nil, let usr = finding.functionUSR, let function = context.program.functions[usr],
              let signature = function.faultSignature else {
            return .notMechanical("the drop is in a helper without the struct vm_fault that release_fault_lock() takes")
        }
        guard let source = context.source(finding.location.file), let callee = source.tokenIndex(at: finding.location),
              source.text(callee) == finding.callee, let (_, close) = source.arguments(open: callee + 1),
              source.isToken(close + 1, ";"), callee == 0 || [";", "{", "}", ")"].contains(source.text(callee - 1)) else {
            return .notMechanical("the drop is not a statement of its own")
        }
        // The shape of the retry protocol: the next statement returns VM_FAULT_RETRY.
        guard source.isToken(close + 2, "return"), source.isToken(close + 3, "VM_FAULT_RETRY"),
              source.isToken(close + 4, ";") else {
            return .notMechanical("the drop is not followed by `return VM_FAULT_RETRY;`, the only place a fault "
                                  + "handler may give up its lock")
        }
        let checked = function.calls.contains { $0.callee == "fault_flag_allow_retry_first" }
        return .edits([TextEdit(file: source.path, start: source.tokens[callee].start, end: source.tokens[close].end,
                                replacement: "release_fault_lock(\(signature.vmfParameter))")],
                      note: checked ? nil : "the handler returns VM_FAULT_RETRY without testing "
                        + "fault_flag_allow_retry_first(\(signature.vmfParameter)->flags): the fault core allows the retry only then")
    }
}

import MMLintCore

/// `mm-fault-mmap-lock`: from v6.5, a fault handler's own drop of the mmap
/// lock right before it returns VM_FAULT_RETRY becomes
/// `release_fault_lock(vmf)`, which drops whichever lock the fault holds
/// (the per-VMA lock or mmap_lock). A take, a downgrade, or a drop of any
/// other shape changes what the handler's code is protected by: a human
/// decides.
public struct FaultMmapLockFix: Fixer {
    public static let ruleID = "mm-fault-mmap-lock"
    public static let subject = "use release_fault_lock() before VM_FAULT_RETRY"
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
        // The shape of the retry protocol: every way on from the drop ends in
        // `return VM_FAULT_RETRY;` (the wait in between is the point of it).
        if let why = Self.retryPath(source, from: close + 2) {
            return .notMechanical("the drop does not lead to `return VM_FAULT_RETRY;`, the only place a fault "
                                  + "handler may give up its lock: \(why)")
        }
        // The core allows the retry only with FAULT_FLAG_ALLOW_RETRY and not
        // FAULT_FLAG_RETRY_NOWAIT, whose callers expect the lock still held.
        var tests = false
        if let body = FollowPfnFix.body(of: function, in: source) {
            tests = (body.open...body.close).contains {
                ["fault_flag_allow_retry_first", "FAULT_FLAG_RETRY_NOWAIT"].contains(source.text($0))
            }
        }
        let vmf = signature.vmfParameter
        return .edits([TextEdit(file: source.path, start: source.tokens[callee].start, end: source.tokens[close].end,
                                replacement: "release_fault_lock(\(vmf))")],
                      note: tests ? nil : "the handler gives up the lock without ruling out FAULT_FLAG_RETRY_NOWAIT "
                        + "(fault_flag_allow_retry_first(\(vmf)->flags) does), whose callers expect the lock still held")
    }

    /// Nil when the code from token `start` on, followed as it runs (out of
    /// the blocks it is in, past the else branches it skips), reaches
    /// `return VM_FAULT_RETRY;` before any other exit; else why not.
    static func retryPath(_ source: SourceText, from start: Int) -> String? {
        var depth = 0
        var i = start
        while i < source.tokens.count, i - start < 600 {
            switch source.text(i) {
            case "return":
                guard source.isToken(i + 1, "VM_FAULT_RETRY"), source.isToken(i + 2, ";") else {
                    return "it can return something else first"
                }
                if depth <= 0 { return nil }
                i += 3
                continue
            case "goto", "break", "continue":
                return "it can leave by `\(source.text(i))` first"
            case "{":
                depth += 1
            case "}":
                if depth > 0 {
                    depth -= 1
                    break
                }
                // Leaving a block the drop is in: not a loop's or the function's.
                guard let open = source.matchingBackward(i), open >= 1 else { return "unbalanced braces" }
                let before = source.text(open - 1)
                if before == "do" { return "it is in a loop" }
                if before == ")", let parenthesis = source.matchingBackward(open - 1), parenthesis >= 1 {
                    let keyword = source.text(parenthesis - 1)
                    if ["while", "for", "switch"].contains(keyword) { return "it is in a \(keyword)" }
                    if keyword != "if" { return "it reaches the end of the function" }
                }
                if source.isToken(i + 1, "else") {
                    if source.isToken(i + 2, "{"), let end = source.matching(i + 2) {
                        i = end + 1
                        continue
                    }
                    return "an else branch follows that mmlint does not walk"
                }
            default:
                break
            }
            i += 1
        }
        return "no `return VM_FAULT_RETRY;` follows"
    }
}

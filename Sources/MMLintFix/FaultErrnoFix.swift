import MMLintCore

/// `mm-fault-errno`: an errno returned or stored where a `vm_fault_t` is
/// due goes through `vmf_error()`, which maps -ENOMEM to VM_FAULT_OOM,
/// -EHWPOISON to VM_FAULT_HWPOISON and the rest to VM_FAULT_SIGBUS. Only a
/// value that is always an errno is wrapped: `-E…` written out, or the
/// result of an errno source such as PTR_ERR(). An int that may be 0 or a
/// VM_FAULT_* code would turn success into SIGBUS, so it is left to a human.
public struct FaultErrnoFix: Fixer {
    public static let ruleID = "mm-fault-errno"
    public static let subject = "return vm_fault_t codes, not errnos, from fault handlers"
    static let errnoSources: Set<String> = ["PTR_ERR", "PTR_ERR_OR_ZERO"]
    public init() {}

    public func explanation(_ findings: [Finding], context: FixContext) -> String {
        """
        A fault handler returns VM_FAULT_* bits, not an errno: a negative \
        errno read as vm_fault_t sets several VM_FAULT_* bits at once, and \
        the fault core acts on whichever it tests first. Convert the errno \
        with vmf_error(), which maps -ENOMEM to VM_FAULT_OOM and other \
        errors to VM_FAULT_SIGBUS.
        """
    }

    public func fix(_ finding: Finding, context: inout FixContext) -> FixOutcome {
        guard let source = context.source(finding.location.file) else {
            return .notMechanical("the file cannot be read")
        }
        let written = finding.callee
        // `-EFAULT`, or a macro for a negative constant (`FS_BAD_PAGE (-133)`).
        let isErrno = written.hasPrefix("-") || written.range(of: #" \(-[0-9]+\)$"#, options: .regularExpression) != nil
        let isSource = Self.errnoSources.contains { written == "\($0)()" }
        guard isErrno || isSource else {
            return .notMechanical("\(written) may be 0 or a VM_FAULT_* code as well as an errno; "
                                  + "vmf_error() would turn those into VM_FAULT_SIGBUS. Keep the int in an int "
                                  + "and return vmf_error() only where it is an error")
        }
        guard var first = source.tokenIndex(at: finding.location), let end = source.expressionEnd(from: first) else {
            return .notMechanical("the value is not written out at its position (a macro)")
        }
        // `return (-ENOMEM);`: the parentheses go, the value stays.
        var outer = (first, end)
        while source.isToken(outer.0 - 1, "("), source.matching(outer.0 - 1) == outer.1 + 1 {
            outer = (outer.0 - 1, outer.1 + 1)
        }
        let inner = (first, end)
        first = outer.0
        guard first >= 1, ["return", "=", "?", ":"].contains(source.text(first - 1)) else {
            return .notMechanical("the errno is not returned or stored as a whole expression")
        }
        let last = outer.1
        guard source.isToken(last + 1, ";") || (source.isToken(first - 1, "?") && source.isToken(last + 1, ":")) else {
            return .notMechanical("the errno is part of a larger expression")
        }
        if isSource, source.isToken(inner.0 + 1, "("), source.matching(inner.0 + 1) != inner.1 {
            return .notMechanical("the errno source's result is combined with something else")
        }
        let value = source.text(tokens: inner.0, inner.1)
        return .edits([TextEdit(file: source.path, start: source.tokens[first].start, end: source.tokens[last].end,
                                replacement: "vmf_error(\(value))")], note: nil)
    }
}

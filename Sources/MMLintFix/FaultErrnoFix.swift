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
        let isErrno = written.hasPrefix("-")
        let isSource = Self.errnoSources.contains { written == "\($0)()" }
        guard isErrno || isSource else {
            return .notMechanical("\(written) may be 0 or a VM_FAULT_* code as well as an errno; "
                                  + "vmf_error() would turn those into VM_FAULT_SIGBUS. Keep the int in an int "
                                  + "and return vmf_error() only where it is an error")
        }
        guard let first = source.tokenIndex(at: finding.location) else {
            return .notMechanical("the value is not written out at its position (a macro)")
        }
        guard first >= 1, ["return", "=", "?", ":"].contains(source.text(first - 1)) else {
            return .notMechanical("the errno is not returned or stored as a whole expression")
        }
        guard let last = source.expressionEnd(from: first),
              source.isToken(last + 1, ";") || (source.isToken(first - 1, "?") && source.isToken(last + 1, ":")) else {
            return .notMechanical("the errno is part of a larger expression")
        }
        if isSource, case let end = last, source.isToken(first + 1, "("), source.matching(first + 1) != end {
            return .notMechanical("the errno source's result is combined with something else")
        }
        if source.compact(tokens: first, last).hasPrefix("vmf_error(") { return .edits([], note: nil) }
        let value = source.text(tokens: first, last)
        return .edits([TextEdit(file: source.path, start: source.tokens[first].start, end: source.tokens[last].end,
                                replacement: "vmf_error(\(value))")], note: nil)
    }
}

import MMLintCore

/// `mm-vm-flags-direct`: `vma->vm_flags |= X` becomes `vm_flags_set(vma, X)`,
/// `&= ~X` becomes `vm_flags_clear(vma, X)`, `= X` becomes
/// `vm_flags_reset(vma, X)`, or `vm_flags_init(vma, X)` for a VMA the
/// function has just allocated. Only a write that is a whole statement is
/// rewritten: one used as a value has no modifier to stand for it.
public struct VmFlagsDirectFix: Fixer {
    public static let ruleID = "mm-vm-flags-direct"
    public static let subject = "use the vm_flags modifiers instead of writing vm_flags"
    public init() {}

    public func explanation(_ findings: [Finding], context: FixContext) -> String {
        """
        Since v6.3 vm_area_struct's vm_flags is const and is changed through \
        vm_flags_set(), vm_flags_clear() and vm_flags_reset(), which \
        write-lock the VMA for per-VMA-lock page faults and assert the mmap \
        write lock. A direct write no longer builds there. Convert the \
        direct writes to the modifiers.
        """
    }

    public func fix(_ finding: Finding, context: inout FixContext) -> FixOutcome {
        guard let source = context.source(finding.location.file) else {
            return .notMechanical("the file cannot be read")
        }
        guard finding.macro == nil, let at = source.tokenIndex(at: finding.location) else {
            return .notMechanical("the write is not written out at its position (a macro or generated code)")
        }
        guard let write = Self.locate(source, near: at) else {
            return .notMechanical("no `vm_flags` write found at the finding's position")
        }
        guard let base = source.postfixStart(endingAt: write.member - 2) else {
            return .notMechanical("the VMA the write is applied to is not a plain expression")
        }
        // A whole statement: after `;`, `{`, `}`, `)` of a condition, `else`, or a label.
        let before = base - 1
        guard before < 0 || [";", "{", "}", ")", ":"].contains(source.text(before)) || source.isToken(before, "else") else {
            return .notMechanical("the write is part of a larger expression; a modifier returns nothing")
        }
        guard let valueEnd = source.expressionEnd(from: write.op + 1), source.isToken(valueEnd + 1, ";") else {
            return .notMechanical("the value written does not end the statement")
        }
        let arrow = source.text(write.member - 1)
        var vma = source.text(tokens: base, write.member - 2)
        if arrow == "." { vma = "&" + vma }
        let op = source.text(write.op)
        var valueFirst = write.op + 1
        var valueLast = valueEnd
        let function: String
        switch op {
        case "|=":
            function = "vm_flags_set"
        case "&=":
            guard source.isToken(valueFirst, "~") else {
                return .notMechanical("`&=` with a mask that is not `~flags`: write vm_flags_reset() with the flags to keep")
            }
            valueFirst += 1
            function = "vm_flags_clear"
            // `~(A | B)` clears A | B: the parentheses go with the `~`.
            if source.isToken(valueFirst, "("), source.matching(valueFirst) == valueLast {
                valueFirst += 1
                valueLast -= 1
            }
        case "=":
            // A VMA this function allocates is not visible yet: vm_flags_init()
            // sets its flags without the write lock vm_flags_reset() asserts.
            let fresh = finding.functionUSR.flatMap { context.program.functions[$0] }
                .flatMap { FollowPfnFix.body(of: $0, in: source) }
                .map { Self.allocates(source, variable: vma, in: $0) } ?? false
            function = fresh ? "vm_flags_init" : "vm_flags_reset"
        default:
            return .notMechanical("`vm_flags \(op)` has no vm_flags modifier")
        }
        guard valueFirst <= valueLast else { return .notMechanical("the value written is empty") }
        // A comment between the value and the `;` stays with the value.
        var end = valueLast == valueEnd ? source.tokens[valueEnd + 1].start : source.tokens[valueLast].end
        while end > source.tokens[valueLast].end, [0x20, 0x09, 0x0a].contains(source.bytes[end - 1]) { end -= 1 }
        let value = source.text(source.tokens[valueFirst].start, end)
        let replacement = "\(function)(\(vma), \(value))"
        return .edits([TextEdit(file: source.path, start: source.tokens[base].start,
                                end: valueLast == valueEnd ? end : source.tokens[valueEnd].end,
                                replacement: replacement)], note: nil)
    }

    /// Whether the function body `body` assigns `variable` a VMA it
    /// allocates (`vma = vm_area_alloc(mm);`, `new = vm_area_dup(old);`).
    static func allocates(_ source: SourceText, variable: String, in body: (open: Int, close: Int)) -> Bool {
        guard body.open + 3 < body.close else { return false }
        for i in body.open..<(body.close - 2) where source.text(i) == variable && source.isToken(i + 1, "=")
            && ["vm_area_alloc", "vm_area_dup"].contains(source.text(i + 2)) {
            return true
        }
        return false
    }

    /// The `vm_flags` token and the assignment operator after it, in the
    /// statement around token `at`.
    static func locate(_ source: SourceText, near at: Int) -> (member: Int, op: Int)? {
        let operators: Set<String> = ["=", "|=", "&=", "^=", "+=", "-=", "<<=", ">>="]
        // The location is the assignment's start or its operator; look a
        // statement's width both ways.
        var i = at
        while i > 0, at - i < 40, ![";", "{", "}"].contains(source.text(i - 1)) { i -= 1 }
        while i < source.tokens.count, i - at < 80, source.text(i) != ";" {
            if source.text(i) == "vm_flags", i >= 1, ["->", "."].contains(source.text(i - 1)),
               i + 1 < source.tokens.count, operators.contains(source.text(i + 1)) {
                return (i, i + 1)
            }
            i += 1
        }
        return nil
    }
}

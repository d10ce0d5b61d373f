import MMLintCore

/// `mm-follow-pfn`: outside a fault path, `follow_pfn()` becomes the
/// version's page-table walk that hands out the lock with the pfn —
/// `follow_pte(vma->vm_mm, …)` before v6.10, `follow_pte(vma, …)` in
/// v6.10 and v6.11, `follow_pfnmap_start()`/`follow_pfnmap_end()` from
/// v6.12 — with the pfn read while the lock is held. In a fault path the
/// pfn belongs from the driver's own state, which no rewrite knows.
public struct FollowPfnFix: Fixer {
    public static let ruleID = "mm-follow-pfn"
    public static let subject = "replace follow_pfn() with a locked page-table lookup"
    static let reviewNote = "the pfn is read under the page-table lock and used after it is dropped, as with "
        + "follow_pfn(): if the caller relies on the mapping staying put while it uses the pfn, hold the lock "
        + "across the use or track the VMA with an mmu notifier"
    public init() {}

    public func explanation(_ findings: [Finding], context: FixContext) -> String {
        let replacement: String
        switch context.kernelVersion {
        case let version? where version >= KernelVersion(6, 12):
            replacement = "follow_pfnmap_start() and follow_pfnmap_end()"
        case let version? where version >= KernelVersion(6, 10):
            replacement = "follow_pte(vma, ...) and pte_unmap_unlock()"
        default:
            replacement = "follow_pte(vma->vm_mm, ...) and pte_unmap_unlock()"
        }
        return """
            follow_pfn() returns a pfn after dropping the page-table lock, so \
            nothing keeps the mapping valid while the pfn is used; it is \
            deprecated and was removed in v6.10. Look the pfn up with \
            \(replacement), which read it while the page-table lock is held.

            Review note: \(Self.reviewNote).
            """
    }

    public func fix(_ finding: Finding, context: inout FixContext) -> FixOutcome {
        guard finding.chain.isEmpty else {
            return .notMechanical("follow_pfn() in a fault path: the pfn should come from the driver's own state "
                                  + "(a BAR's start plus the page offset), which only the driver knows")
        }
        guard let version = context.kernelVersion else {
            return .notMechanical("the kernel version is unknown (pass --kernel-version): the replacement differs "
                                  + "before v6.10, in v6.10-6.11 and from v6.12")
        }
        guard finding.macro == nil, let source = context.source(finding.location.file),
              let callee = source.tokenIndex(at: finding.location), source.text(callee) == "follow_pfn",
              let (arguments, close) = source.arguments(open: callee + 1), arguments.count == 3 else {
            return .notMechanical("the call is not written out at its position")
        }
        guard let usr = finding.functionUSR, let function = context.program.functions[usr],
              let body = Self.body(of: function, in: source) else {
            return .notMechanical("the body of the function holding the call is not found")
        }
        let modern = version >= KernelVersion(6, 12)
        let names = modern ? ["args"] : ["ptep", "ptl"]
        for i in body.open...body.close where source.tokens[i].kind == .identifier && names.contains(source.text(i)) {
            return .notMechanical("the function already has a `\(source.text(i))`, the name the lookup's state would take")
        }
        func operand(_ index: Int) -> String {
            let text = source.compact(tokens: arguments[index].0, arguments[index].1)
            return text.contains(" ") ? "(\(text))" : text
        }
        let vma = operand(0)
        let address = source.compact(tokens: arguments[1].0, arguments[1].1)
        let out = source.compact(tokens: arguments[2].0, arguments[2].1)
        let target = out.hasPrefix("&") && !out.contains(" ") ? String(out.dropFirst()) : "*" + operand(2)
        let lookup = modern ? "follow_pfnmap_start(&args)"
            : "follow_pte(\(version >= KernelVersion(6, 10) ? vma : "\(vma)->vm_mm"), \(address), &ptep, &ptl)"
        let setup = modern ? ["args.vma = \(vma);", "args.address = \(address);"] : []
        let read = modern ? ["\(target) = args.pfn;", "follow_pfnmap_end(&args);"]
            : ["\(target) = pte_pfn(ptep_get(ptep));", "pte_unmap_unlock(ptep, ptl);"]
        // The lookup's state, declared first in the function's body.
        let declarations = modern ? ["struct follow_pfnmap_args args = { };"] : ["pte_t *ptep;", "spinlock_t *ptl;"]
        let bodyIndent = source.indentation(of: source.tokens[body.open + 1].start)
        let declarationsAt = source.lineEnd(of: source.tokens[body.open].end) + 1
        guard source.line(of: source.tokens[body.open + 1].start) > source.line(of: source.tokens[body.open].start) else {
            return .notMechanical("the function's body does not start on a line of its own")
        }
        // Kernel style: a blank line between the declarations and the first statement.
        let blank = Self.looksLikeDeclaration(source, at: body.open + 1) ? "" : "\n"
        var edits = [TextEdit(file: source.path, start: declarationsAt, end: declarationsAt,
                              replacement: declarations.map { bodyIndent + $0 + "\n" }.joined() + blank)]
        let statementStart = Self.statementStart(source, before: callee)
        let indent = source.indentation(of: source.tokens[statementStart].start)
        func lines(_ list: [String], _ extra: String = "") -> String { list.map { "\n\(indent)\(extra)\($0)" }.joined() }

        if source.isToken(close + 1, ";"), callee >= 2, source.isToken(callee - 1, "="), statementStart < callee - 1 {
            // `err = follow_pfn(vma, addr, &pfn);`
            let result = source.text(tokens: statementStart, callee - 2)
            var text = setup.map { $0 + "\n" + indent }.joined() + "\(result) = \(lookup);"
            text += "\n\(indent)if (!\(result)) {" + lines(read, "\t") + "\n\(indent)}"
            edits.append(TextEdit(file: source.path, start: source.tokens[statementStart].start,
                                  end: source.tokens[close + 1].end, replacement: text))
        } else if source.isToken(callee - 1, "return"), source.isToken(close + 1, ";") {
            // `return follow_pfn(vma, addr, pfn);`
            var text = setup.map { $0 + "\n" + indent }.joined() + "if (\(lookup))\n\(indent)\treturn -EINVAL;"
            text += lines(read) + "\n\(indent)return 0;"
            edits.append(TextEdit(file: source.path, start: source.tokens[callee - 1].start,
                                  end: source.tokens[close + 1].end, replacement: text))
        } else if source.isToken(callee - 1, "("), source.isToken(callee - 2, "if"), source.matching(callee - 1) == close + 1 {
            // `if (follow_pfn(...)) return/goto …;`: the read follows the if.
            var first = close + 2
            let braced = source.isToken(first, "{")
            if braced { first += 1 }
            guard source.isToken(first, "return") || source.isToken(first, "goto"),
                  let end = source.expressionEnd(from: first + 1) ?? Optional(first), source.isToken(end + 1, ";"),
                  !braced || source.isToken(end + 2, "}") else {
                return .notMechanical("the failure branch does more than return or jump; the read of the pfn has no one place to go")
            }
            let last = braced ? end + 2 : end + 1
            if source.isToken(last + 1, "else") { return .notMechanical("the lookup's `if` has an else branch") }
            edits.append(TextEdit(file: source.path, start: source.tokens[callee].start, end: source.tokens[close].end,
                                  replacement: lookup))
            if !setup.isEmpty {
                let at = source.tokens[callee - 2].start
                edits.append(TextEdit(file: source.path, start: at, end: at,
                                      replacement: setup.map { $0 + "\n" + indent }.joined()))
            }
            edits.append(TextEdit(file: source.path, start: source.tokens[last].end, end: source.tokens[last].end,
                                  replacement: lines(read)))
        } else {
            return .notMechanical("the call's result is used in a way mmlint does not rewrite "
                                  + "(only `x = follow_pfn(...);`, `return follow_pfn(...);` and `if (follow_pfn(...)) return/goto`)")
        }
        return .edits(edits, note: Self.reviewNote)
    }

    /// The `{` and `}` of the function's body.
    static func body(of function: FunctionFact, in source: SourceText) -> (open: Int, close: Int)? {
        guard let name = source.tokenIndex(at: function.location), source.text(name) == function.name,
              source.isToken(name + 1, "("), let parameters = source.matching(name + 1),
              source.isToken(parameters + 1, "{"), let close = source.matching(parameters + 1) else { return nil }
        return (parameters + 1, close)
    }

    /// Whether the statement at token `index` declares something: a type
    /// name then a name or `*` (`int ret;`, `struct page *page;`).
    static func looksLikeDeclaration(_ source: SourceText, at index: Int) -> Bool {
        let statements: Set = ["return", "goto", "if", "while", "for", "switch", "do", "else", "case", "break",
                               "continue", "sizeof", "default"]
        guard index + 1 < source.tokens.count, source.tokens[index].kind == .identifier,
              !statements.contains(source.text(index)) else { return false }
        return source.tokens[index + 1].kind == .identifier || source.isToken(index + 1, "*")
    }

    /// The first token of the statement holding token `index`.
    static func statementStart(_ source: SourceText, before index: Int) -> Int {
        var i = index
        while i > 0, ![";", "{", "}"].contains(source.text(i - 1)) {
            if source.text(i - 1) == ")", let open = source.matchingBackward(i - 1), open >= 1,
               ["if", "while", "for"].contains(source.text(open - 1)) { return i }
            i -= 1
        }
        return i
    }
}

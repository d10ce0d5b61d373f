import MMLintCore

/// `mm-remap-in-fault`: the fault handler's remap of the whole VMA becomes
/// an insert of the faulting page, `vmf_insert_pfn_prot(vma, vmf->address,
/// pfn + ((vmf->address - vma->vm_start) >> PAGE_SHIFT), prot)` (or
/// `vmf_insert_pfn()` when the protection is the VMA's own; an
/// `io_remap_pfn_range()`'s protection goes through `pgprot_decrypted()` as
/// it did inside it), its int result handling becomes vm_fault_t handling,
/// and the mmap handler that installs the ops sets the flags the remap used
/// to set.
public struct RemapInFaultFix: Fixer {
    public static let ruleID = "mm-remap-in-fault"
    public static let subject = "map only the faulting page in the fault handler"
    /// APIs taking (vma, addr, pfn, size, prot).
    static let pfnRemaps: Set<String> = ["remap_pfn_range", "io_remap_pfn_range", "remap_pfn_range_notrack"]
    /// What remap_pfn_range() sets on the VMA.
    static let remapFlags = ["VM_IO", "VM_PFNMAP", "VM_DONTEXPAND", "VM_DONTDUMP"]
    static let reviewNote = "the rest of the handler may assume the whole VMA is mapped after one fault "
        + "(a list of mapped VMAs, a zap of the whole range on error): review it for per-page faults"
    public init() {}

    public func explanation(_ findings: [Finding], context: FixContext) -> String {
        let callees = Set(findings.map(\.callee)).sorted().map { "\($0)()" }.joined(separator: " and ")
        let setter = context.usesFlagModifiers == false ? "vma->vm_flags |=" : "vm_flags_set()"
        return """
            \(callees) maps a whole range and belongs in the mmap handler: \
            called from a fault handler, concurrent faults on the same VMA race \
            into its page-table walk and hit a BUG_ON, and since v6.3 it \
            asserts the mmap write lock, which a fault never holds.

            Insert only the faulting page with the vmf_insert_pfn*() API and \
            return its vm_fault_t, and set the flags the remap used to set \
            (VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP) with \(setter) in \
            the mmap handler that installs the vm_operations_struct.

            Review note: the rest of the handler may assume that one fault \
            mapped the whole VMA (a list of mapped VMAs, a zap of the whole \
            range on error); check it for per-page faults.
            """
    }

    public func fix(_ finding: Finding, context: inout FixContext) -> FixOutcome {
        guard Self.pfnRemaps.contains(finding.callee) else {
            return .notMechanical("\(finding.callee)() maps memory that is not a pfn range starting at vm_pgoff-like "
                                  + "base; which page belongs at the fault address is not mechanical (use "
                                  + "vmf_insert_page()/vmf_insert_pfn() for the faulting page, or map at mmap time)")
        }
        guard finding.macro == nil else {
            return .notMechanical("the remap comes from macro \(finding.macro ?? "")'s expansion")
        }
        guard let usr = finding.functionUSR, let function = context.program.functions[usr] else {
            return .notMechanical("the function holding the remap is not in the scan's facts")
        }
        guard let signature = function.faultSignature else {
            let caller = context.program.faultContext(of: usr)?.path.first.map { "\($0.name)()" } ?? "the fault handler"
            return .notMechanical("the remap is in \(function.name)(), which has no struct vm_fault *: only "
                                  + "\(caller) knows the fault address. Pass vmf down and insert the faulting page "
                                  + "there, or remap once at mmap time and return VM_FAULT_SIGBUS from the fault")
        }
        guard let source = context.source(finding.location.file) else { return .notMechanical("the file cannot be read") }
        guard let callee = source.tokenIndex(at: finding.location), source.text(callee) == finding.callee,
              let (arguments, close) = source.arguments(open: callee + 1), arguments.count == 5 else {
            return .notMechanical("the call is not written out at its position")
        }
        let vma = source.compact(tokens: arguments[0].0, arguments[0].1)
        let start = source.compact(tokens: arguments[1].0, arguments[1].1)
        let size = source.compact(tokens: arguments[3].0, arguments[3].1)
        guard start == "\(vma)->vm_start",
              ["\(vma)->vm_end - \(vma)->vm_start", "(\(vma)->vm_end - \(vma)->vm_start)"].contains(size) else {
            return .notMechanical("the remap does not cover the VMA from vm_start to vm_end, so the pfn of the "
                                  + "faulting page does not follow from its arguments")
        }
        var pfn = source.compact(tokens: arguments[2].0, arguments[2].1)
        if pfn.contains(" ") { pfn = "(\(pfn))" }
        var prot = source.compact(tokens: arguments[4].0, arguments[4].1)
        // io_remap_pfn_range() maps with pgprot_decrypted(prot) (memory
        // encryption): the insert must too, or the BAR reads as ciphertext.
        if finding.callee == "io_remap_pfn_range" { prot = "pgprot_decrypted(\(prot))" }
        let vmf = signature.vmfParameter
        let page = "\(pfn) + ((\(vmf)->address - \(vma)->vm_start) >> PAGE_SHIFT)"
        let insert: (name: String, arguments: [String]) = prot == "\(vma)->vm_page_prot"
            ? ("vmf_insert_pfn", [vma, "\(vmf)->address", page])
            : ("vmf_insert_pfn_prot", [vma, "\(vmf)->address", page, prot])

        var edits: [TextEdit]
        switch resultHandling(source, callee: callee, close: close, function: function, context: context,
                              insert: insert) {
        case .success(let handled): edits = handled
        case .failure(let reason): return .notMechanical(reason.why)
        }
        let binding = context.program.faultContext(of: usr)?.root.binding
        switch MmapFlags.add(Self.remapFlags, for: binding, context: &context) {
        case .success(let flagEdits): edits += flagEdits
        case .failure(let reason): return .notMechanical(reason.why)
        }
        return .edits(edits, note: Self.reviewNote)
    }

    /// The int result handling around the remap at `callee…close`, turned into vm_fault_t handling.
    func resultHandling(_ source: SourceText, callee: Int, close: Int, function: FunctionFact, context: FixContext,
                        insert: (name: String, arguments: [String])) -> Result<[TextEdit], NotMechanical> {
        let faultType = context.program.faultTypeName
        // The vm_fault_t variable the handler returns, if it has one.
        let variable = function.returns.first { $0.kind == .variable && $0.type == faultType }?.name
        // `return remap(...) ? VM_FAULT_SIGBUS : VM_FAULT_NOPAGE;`
        if source.isToken(callee - 1, "return"), source.isToken(close + 1, "?") {
            guard let whenFailed = source.expressionEnd(from: close + 2), source.isToken(whenFailed + 1, ":"),
                  let whenDone = source.expressionEnd(from: whenFailed + 2), source.isToken(whenDone + 1, ";"),
                  source.compact(tokens: whenFailed + 2, whenDone) == "VM_FAULT_NOPAGE" else {
                return .failure(NotMechanical("the remap's result picks between values other than an error and VM_FAULT_NOPAGE"))
            }
            let indent = source.indentation(of: source.tokens[callee - 1].start)
            return .success([TextEdit(file: source.path, start: source.tokens[callee - 1].start,
                                      end: source.tokens[whenDone + 1].end,
                                      replacement: Self.call(insert.name, insert.arguments, prefix: "return ",
                                                             suffix: ";", indent: indent))])
        }
        // `err = remap(...); if (err) return VM_FAULT_…; return VM_FAULT_NOPAGE;`
        if source.isToken(callee - 1, "="), source.isToken(close + 1, ";") {
            return intResult(source, callee: callee, close: close, function: function, insert: insert)
        }
        // `if (remap(...))` and its failure branch.
        guard source.isToken(callee - 1, "("), source.isToken(callee - 2, "if"), source.matching(callee - 1) == close + 1 else {
            return .failure(NotMechanical("the remap's int result is used in a way mmlint does not rewrite "
                                          + "(only `if (remap(...))` and `return remap(...) ? … : VM_FAULT_NOPAGE`)"))
        }
        let ifToken = callee - 2
        let indent = source.indentation(of: source.tokens[ifToken].start)
        guard source.text(source.lineStart(of: source.tokens[ifToken].start), source.tokens[ifToken].start)
            .allSatisfy({ $0 == " " || $0 == "\t" }) else {
            return .failure(NotMechanical("the `if` holding the remap does not start its own line"))
        }
        let bodyFirst = close + 2
        let bodyLast: Int
        if source.isToken(bodyFirst, "{") {
            guard let end = source.matching(bodyFirst) else { return .failure(NotMechanical("unbalanced braces")) }
            bodyLast = end
        } else {
            var i = bodyFirst
            while i < source.tokens.count, !source.isToken(i, ";") { i += 1 }
            bodyLast = i
        }
        if source.isToken(bodyLast + 1, "else") {
            return .failure(NotMechanical("the remap's `if` has an else branch"))
        }
        if source.hasCommentOrDirective(source.tokens[callee].start, source.tokens[close].end) {
            return .failure(NotMechanical("a comment or directive sits inside the remap's arguments and would be lost"))
        }
        guard let variable else {
            // No vm_fault_t variable: `if (remap) return VM_FAULT_…; return VM_FAULT_NOPAGE;` is one return.
            var i = bodyFirst
            if source.isToken(i, "{") { i += 1 }
            guard source.isToken(i, "return"), let value = source.expressionEnd(from: i + 1),
                  source.isToken(value + 1, ";"),
                  (source.isToken(bodyFirst, "{") ? value + 2 == bodyLast : value + 1 == bodyLast),
                  source.isToken(bodyLast + 1, "return"), source.isToken(bodyLast + 2, "VM_FAULT_NOPAGE"),
                  source.isToken(bodyLast + 3, ";") else {
                return .failure(NotMechanical("the fault handler has no vm_fault_t variable to hold the insert's "
                                              + "result and does more than return on failure"))
            }
            return .success([TextEdit(file: source.path, start: source.tokens[ifToken].start,
                                      end: source.tokens[bodyLast + 3].end,
                                      replacement: Self.call(insert.name, insert.arguments, prefix: "return ",
                                                             suffix: ";", indent: indent))])
        }
        let assignment = Self.call(insert.name, insert.arguments, prefix: "\(variable) = ", suffix: ";", indent: indent)
        // A failure branch that only stores a fixed code into the variable:
        // the insert's result is that code already, and the `if` goes.
        let inner = source.isToken(bodyFirst, "{") ? (bodyFirst + 1, bodyLast - 1) : (bodyFirst, bodyLast)
        if inner.1 - inner.0 == 3, source.isToken(inner.0, variable), source.isToken(inner.0 + 1, "="),
           source.text(inner.0 + 2).hasPrefix("VM_FAULT_"), source.isToken(inner.1, ";"),
           !source.hasCommentOrDirective(source.tokens[close + 1].end, source.tokens[bodyLast].end) {
            return .success([TextEdit(file: source.path, start: source.tokens[ifToken].start,
                                      end: source.tokens[bodyLast].end, replacement: assignment)])
        }
        var edits = [TextEdit(file: source.path, start: source.tokens[ifToken].start, end: source.tokens[close + 1].end,
                              replacement: assignment + "\n\(indent)if (\(variable) & VM_FAULT_ERROR)")]
        // In the failure branch the variable already holds the error: a
        // store of a fixed code goes, a return of one returns the variable.
        var i = bodyFirst
        while i < bodyLast {
            if source.isToken(i, variable), source.isToken(i + 1, "="), source.isToken(i + 3, ";"),
               source.text(i + 2).hasPrefix("VM_FAULT_"), source.isToken(i - 1, "{") || source.isToken(i - 1, ";") {
                let lineStart = source.lineStart(of: source.tokens[i].start)
                let lineEnd = source.lineEnd(of: source.tokens[i + 3].end)
                if source.text(lineStart, source.tokens[i].start).allSatisfy({ $0 == " " || $0 == "\t" }),
                   source.text(source.tokens[i + 3].end, lineEnd).allSatisfy({ $0 == " " || $0 == "\t" }) {
                    edits.append(TextEdit(file: source.path, start: lineStart, end: min(lineEnd + 1, source.bytes.count),
                                          replacement: ""))
                }
                i += 4
                continue
            }
            if source.isToken(i, "return"), source.isToken(i + 2, ";"), source.text(i + 1).hasPrefix("VM_FAULT_") {
                edits.append(TextEdit(file: source.path, start: source.tokens[i + 1].start, end: source.tokens[i + 1].end,
                                      replacement: variable))
            }
            i += 1
        }
        return .success(edits)
    }

    /// `err = remap(...);` into an int, tested right after by an `if` whose
    /// branch only returns, then `return VM_FAULT_NOPAGE;`: one return of the
    /// insert. The int's declaration goes when nothing else uses it.
    func intResult(_ source: SourceText, callee: Int, close: Int, function: FunctionFact,
                   insert: (name: String, arguments: [String])) -> Result<[TextEdit], NotMechanical> {
        let shape = NotMechanical("the remap's int result is stored and used in a way mmlint does not rewrite "
                                  + "(`err = remap(...); if (err) return …; return VM_FAULT_NOPAGE;` is)")
        guard callee >= 3, source.tokens[callee - 2].kind == .identifier,
              [";", "{", "}"].contains(source.text(callee - 3)) else { return .failure(shape) }
        let variable = source.text(callee - 2)
        let store = callee - 2
        // The test: `if (err)`, `if (err < 0)`, `if (err != 0)`.
        guard source.isToken(close + 2, "if"), source.isToken(close + 3, "("), let testClose = source.matching(close + 3),
              source.isToken(close + 4, variable),
              [[], ["<", "0"], ["!=", "0"]].contains((close + 5..<testClose).map { source.text($0) }) else {
            return .failure(shape)
        }
        var first = testClose + 1
        let braced = source.isToken(first, "{")
        if braced { first += 1 }
        guard source.isToken(first, "return"), let value = source.expressionEnd(from: first + 1), source.isToken(value + 1, ";") else {
            return .failure(shape)
        }
        let returned = source.compact(tokens: first + 1, value)
        guard returned.hasPrefix("VM_FAULT_") || returned == "vmf_error(\(variable))" else { return .failure(shape) }
        let branchEnd = braced ? value + 2 : value + 1
        guard !braced || source.isToken(branchEnd, "}"), !source.isToken(branchEnd + 1, "else"),
              source.isToken(branchEnd + 1, "return"), source.isToken(branchEnd + 2, "VM_FAULT_NOPAGE"),
              source.isToken(branchEnd + 3, ";") else { return .failure(shape) }
        let end = branchEnd + 3
        if source.hasCommentOrDirective(source.tokens[store].start, source.tokens[end].end) {
            return .failure(NotMechanical("a comment or directive sits between the remap and its return and would be lost"))
        }
        let indent = source.indentation(of: source.tokens[store].start)
        var edits = [TextEdit(file: source.path, start: source.tokens[store].start, end: source.tokens[end].end,
                              replacement: Self.call(insert.name, insert.arguments, prefix: "return ", suffix: ";", indent: indent))]
        // `int err;` alone on its line, and used nowhere else: it goes too.
        if let body = FollowPfnFix.body(of: function, in: source) {
            let uses = (body.open...body.close).filter { source.text($0) == variable && source.tokens[$0].kind == .identifier }
            let here = uses.filter { $0 >= store && $0 <= end }
            if let declaration = uses.first, uses.count == here.count + 1, declaration < store,
               source.isToken(declaration - 1, "int"), source.isToken(declaration + 1, ";"),
               [";", "{", "}"].contains(source.text(declaration - 2)) {
                let lineStart = source.lineStart(of: source.tokens[declaration - 1].start)
                let lineEnd = source.lineEnd(of: source.tokens[declaration + 1].end)
                if source.text(lineStart, source.tokens[declaration - 1].start).allSatisfy({ $0 == " " || $0 == "\t" }),
                   source.text(source.tokens[declaration + 1].end, lineEnd).allSatisfy({ $0 == " " || $0 == "\t" }) {
                    var removeEnd = min(lineEnd + 1, source.bytes.count)
                    // The blank line after the declarations goes with the last one.
                    if source.isToken(declaration - 2, "{"), removeEnd < source.bytes.count, source.bytes[removeEnd] == 0x0a,
                       source.line(of: source.tokens[declaration + 2].start) > source.line(of: removeEnd) {
                        removeEnd += 1
                    }
                    edits.append(TextEdit(file: source.path, start: lineStart, end: removeEnd, replacement: ""))
                }
            }
        }
        return .success(edits)
    }

    /// `prefix name(arguments)suffix` on one line when it fits in 80
    /// columns, else broken after commas with the continuation lines lined
    /// up under the first argument, tabs then spaces, as the kernel does.
    static func call(_ name: String, _ arguments: [String], prefix: String, suffix: String, indent: String) -> String {
        let single = "\(prefix)\(name)(\(arguments.joined(separator: ", ")))\(suffix)"
        func width(_ text: String) -> Int { text.reduce(0) { $1 == "\t" ? ($0 / 8 + 1) * 8 : $0 + 1 } }
        if width(indent + single) <= 80 { return single }
        let column = width(indent + prefix + name + "(")
        let continuation = String(repeating: "\t", count: column / 8) + String(repeating: " ", count: column % 8)
        var lines: [String] = []
        var line = "\(prefix)\(name)("
        var lineIndent = indent
        for (n, argument) in arguments.enumerated() {
            let piece = argument + (n == arguments.count - 1 ? ")\(suffix)" : ",")
            let candidate = line.hasSuffix("(") ? line + piece : line + " " + piece
            if width(lineIndent + candidate) > 80, !line.hasSuffix("(") {
                lines.append(line)
                line = piece
                lineIndent = continuation
            } else {
                line = candidate
            }
        }
        lines.append(line)
        return lines.enumerated().map { $0.offset == 0 ? $0.element : continuation + $0.element }.joined(separator: "\n")
    }
}

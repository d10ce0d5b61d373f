import MMLintCore

/// Flags a fault path needs, set where the VMA is set up: in the mmap
/// handler that installs the ops table (`vma->vm_ops = &ops`), on a line
/// of its own before that store. Shared by the fixes whose new fault code
/// needs VM_PFNMAP and friends.
enum MmapFlags {
    /// The edits that make every installer of `binding`'s table name all of
    /// `flags` (those it names already are left out), or why there are none.
    static func add(_ flags: [String], for binding: CallbackBinding?, context: inout FixContext)
        -> Result<[TextEdit], NotMechanical> {
        guard let binding, binding.structName == "vm_operations_struct" else {
            return .failure(NotMechanical("the fault handler is not bound in a vm_operations_struct the scan sees, "
                                          + "so there is no mmap handler to set \(flags.joined(separator: " | ")) in"))
        }
        guard let modifiers = context.usesFlagModifiers else {
            return .failure(NotMechanical("the kernel version is unknown (no Makefile; pass --kernel-version), "
                                          + "and whether to write vm_flags_set() or vma->vm_flags |= depends on it"))
        }
        var installers: [(FunctionFact, MemberWrite)] = []
        for function in context.program.orderedFunctions {
            for write in function.memberWrites where write.member == "vm_ops" && write.structName == "vm_area_struct"
                && write.valueName == binding.holder {
                // A static table is only ever named in its own file.
                if let usr = write.valueUSR, usr.contains(".c@"), write.location.file != binding.location.file { continue }
                if !installers.contains(where: { $0.0.usr == function.usr }) { installers.append((function, write)) }
            }
        }
        guard !installers.isEmpty else {
            return .failure(NotMechanical("no mmap handler in the scan installs \(binding.holder) "
                                          + "(vma->vm_ops = &\(binding.holder)); set \(flags.joined(separator: " | ")) where it is installed"))
        }
        var edits: [TextEdit] = []
        for (function, write) in installers {
            let missing = flags.filter { !function.flagNames.contains($0) }
            if missing.isEmpty { continue }
            guard let source = context.source(write.location.file), let at = source.tokenIndex(at: write.location),
                  let store = locateStore(source, near: at),
                  let base = source.postfixStart(endingAt: store - 2) else {
                return .failure(NotMechanical("the vm_ops store in \(function.name)() is not written out where "
                                              + "libclang puts it (a macro)"))
            }
            guard base == 0 || [";", "{", "}"].contains(source.text(base - 1)),
                  source.text(source.lineStart(of: source.tokens[base].start), source.tokens[base].start)
                    .allSatisfy({ $0 == " " || $0 == "\t" }) else {
                return .failure(NotMechanical("the vm_ops store in \(function.name)() does not start its own line"))
            }
            var vma = source.text(tokens: base, store - 2)
            let dot = source.text(store - 1) == "."
            let indent = source.indentation(of: source.tokens[base].start)
            let names = missing.joined(separator: " | ")
            let line: String
            if modifiers {
                if dot { vma = "&" + vma }
                line = "\(indent)vm_flags_set(\(vma), \(names));\n"
            } else {
                line = "\(indent)\(vma)\(dot ? "." : "->")vm_flags |= \(names);\n"
            }
            let lineStart = source.lineStart(of: source.tokens[base].start)
            edits.append(TextEdit(file: source.path, start: lineStart, end: lineStart, replacement: line))
        }
        return .success(edits)
    }

    /// The `vm_ops` token of the store around token `at`.
    static func locateStore(_ source: SourceText, near at: Int) -> Int? {
        var i = at
        while i > 0, at - i < 20, ![";", "{", "}"].contains(source.text(i - 1)) { i -= 1 }
        while i + 1 < source.tokens.count, i - at < 40, source.text(i) != ";" {
            if source.text(i) == "vm_ops", i >= 2, ["->", "."].contains(source.text(i - 1)), source.isToken(i + 1, "=") {
                return i
            }
            i += 1
        }
        return nil
    }
}

/// Why a fix is not mechanical, as an error a Result can carry.
struct NotMechanical: Error {
    var why: String
    init(_ why: String) { self.why = why }
}

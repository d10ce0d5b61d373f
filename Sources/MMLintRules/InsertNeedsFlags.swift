import MMLintCore

/// `mm-insert-needs-flags`: a fault handler uses `vmf_insert_pfn*()`,
/// `vmf_insert_mixed*()` or `vmf_insert_page()`, but the mmap handler that
/// installs its `vm_ops` never sets the `VM_PFNMAP`/`VM_MIXEDMAP` the insert
/// needs.
public struct InsertNeedsFlags: BuiltinRule {
    public static let id = "mm-insert-needs-flags"
    let knowledge: RuleKnowledge
    let data: Data

    struct Data: Decodable {
        struct Exempt: Decodable {
            var apis: [String]
            var names: [String]
            var sources: [String]
        }
        var needs: [String: [String]]
        var pfnExempt: Exempt
        var setters: [String: [String]]
    }

    public var description: RuleDescription {
        RuleDescription(
            id: Self.id,
            summary: "vmf_insert_pfn()/vmf_insert_mixed()/vmf_insert_page() on a VMA whose mmap handler never sets VM_PFNMAP/VM_MIXEDMAP",
            rationale: """
                The single-page inserts check the VMA they map into: vmf_insert_pfn() and \
                vmf_insert_pfn_prot() BUG_ON a VMA with neither VM_PFNMAP nor VM_MIXEDMAP, \
                vmf_insert_mixed() one without VM_MIXEDMAP (unless the pfn_t is device \
                memory or special), and vmf_insert_page() goes through vm_insert_page(), \
                which sets VM_MIXEDMAP itself only under a BUG_ON that the mmap lock is \
                held for write, which a fault never holds. The flag belongs in the mmap \
                handler that installs the vm_operations_struct, found here through its \
                `vma->vm_ops = &ops` assignment in any file of the scan; a call there \
                that sets the flag itself (remap_pfn_range() sets VM_PFNMAP) counts, and \
                so do the functions the handler calls and those that call it. Confidence \
                is moderate when the installing handler is in the scan and sets nothing \
                (a caller out of sight may), and low when no handler of the scan installs \
                the ops. Every table whose fault path reaches the insert is judged, \
                through wrappers and handler-shaped helpers: the same handler bound in \
                two tables needs the flag from both installers. Ops stored into a field \
                of another table (a drm_gem_object_funcs' vm_ops, whose core mmap sets the \
                flags; a driver's object ops, read by a common mmap) and vm_special_mapping \
                faults (whose flags are passed to \
                _install_special_mapping()) are not judged, nor are handlers found only \
                by their shape: their ops table is unknown. Mixed inserts of a device, \
                special or zero-page pfn_t (DAX) need no VM_MIXEDMAP.
                """,
            confidence: .moderate,
            triggering: [
                Example("""
                static vm_fault_t bar_fault(struct vm_fault *vmf)
                {
                	unsigned long pfn = vmf->vma->vm_pgoff + vmf->pgoff;

                	return vmf_insert_pfn(vmf->vma, vmf->address, pfn); /* expect: mm-insert-needs-flags */
                }

                static const struct vm_operations_struct bar_vm_ops = {
                	.fault = bar_fault,
                };

                static int bar_mmap(struct file *file, struct vm_area_struct *vma)
                {
                	vma->vm_ops = &bar_vm_ops;
                	return 0;
                }
                """),
            ],
            nonTriggering: [
                Example("""
                static vm_fault_t bar_fault(struct vm_fault *vmf)
                {
                	unsigned long pfn = vmf->vma->vm_pgoff + vmf->pgoff;

                	return vmf_insert_pfn(vmf->vma, vmf->address, pfn);
                }

                static const struct vm_operations_struct bar_vm_ops = {
                	.fault = bar_fault,
                };

                static int bar_mmap(struct file *file, struct vm_area_struct *vma)
                {
                	vm_flags_set(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND);
                	vma->vm_ops = &bar_vm_ops;
                	return 0;
                }
                """),
            ])
    }

    public func check(_ program: Program) -> [Finding] {
        // Who installs which ops variable, by the variable's name.
        var installers: [String: [(function: FunctionFact, write: MemberWrite)]] = [:]
        let ordered = program.orderedFunctions
        for function in ordered {
            for write in function.memberWrites where write.member == "vm_ops" && write.structName == "vm_area_struct" {
                if let name = write.valueName { installers[name, default: []].append((function, write)) }
            }
        }
        // The callers of the installers, the only callers `sets` asks for:
        // a map of every function's callers would copy each function once
        // per call of it (80 MiB on a whole tree).
        let installing = Set(installers.values.joined().map(\.function.usr))
        var callers: [String: [FunctionFact]] = [:]
        for function in ordered {
            for call in function.calls {
                if let callee = call.calleeUSR, installing.contains(callee) { callers[callee, default: []].append(function) }
            }
        }
        let tableStores = program.tableStores
        let fetchingFiles = filesFetchingMarkedPfns(program)
        var findings: [Finding] = []
        for (function, call) in program.calls(to: Set(data.needs.keys)) {
            guard let flags = data.needs[call.callee] else { continue }
            if data.pfnExempt.apis.contains(call.callee),
               !Set(function.flagNames).isDisjoint(with: data.pfnExempt.names)
                || fetchingFiles.contains(function.location.file) { continue }
            // Every ops table whose fault path reaches the call is judged:
            // a handler bound in two tables (or reached from two) needs the
            // flag from each installer. The first table found wanting, the
            // surest first, is the finding.
            var worst: (context: (root: Program.Root, path: [FunctionFact]), kind: String,
                        confidence: Confidence, ops: String, installers: [String])?
            for context in program.faultContexts(of: function.usr) {
                guard let binding = context.root.binding, binding.kind == .initializer,
                      binding.structName == "vm_operations_struct" else { continue }
                let ops = binding.holder
                // An ops variable of the same name in another file is another
                // table; a static one is installed in its own file.
                let candidates = (installers[ops] ?? []).filter { sameTable($0.write, binding) }
                // Stored into another table (a drm_gem_object_funcs' vm_ops,
                // a driver's object ops): whoever reads that field installs
                // it, out of the rule's sight (the DRM core's mmap sets the
                // flags).
                if tableStores.contains(where: { $0.valueName == ops && sameTable($0, binding) }) { continue }
                let kind: String
                var confidence: Confidence
                if candidates.isEmpty {
                    kind = "unseen"
                    confidence = .low
                } else if candidates.contains(where: { sets(flags, around: $0.function, program: program, callers: callers) }) {
                    continue
                } else {
                    kind = "unset"
                    confidence = .moderate
                }
                if context.root.confidence < confidence { confidence = context.root.confidence }
                if let worst, worst.confidence >= confidence { continue }
                worst = (context, kind, confidence, ops, candidates.map { "\($0.function.name)()" })
            }
            guard let worst else { continue }
            let context = worst.context
            let values = RuleText.values(call: call, function: function, root: context.root, path: context.path, extra: [
                "ops": worst.ops, "flags": flags.joined(separator: " or "), "flag": flags[0],
                "installer": worst.installers.joined(separator: ", "),
            ])
            findings.append(knowledge.finding(
                context: worst.kind, version: program.kernelVersion, values: values,
                fallback: "\(call.written) without \(flags.joined(separator: " or "))", confidence: worst.confidence,
                location: call.location, function: function, callee: call.callee, macro: call.macro,
                chain: Program.chain(root: context.root, path: context.path, call: call)))
        }
        return findings
    }

    /// The files that get pfns from a source of pfns a mixed insert takes on
    /// any VMA (a DAX device, the zero page). The DAX core inserts the pfn
    /// its caller got from the core's own lookup, a call chain away, so the
    /// file is the unit. A file is whole in every scan that parses it, so a
    /// scan of fewer files judges the same.
    func filesFetchingMarkedPfns(_ program: Program) -> Set<String> {
        let sources = Set(data.pfnExempt.sources)
        var files = Set<String>()
        for function in program.orderedFunctions
        where function.calls.contains(where: { sources.contains($0.callee) || $0.macro.map(sources.contains) == true }) {
            files.insert(function.location.file)
        }
        return files
    }

    /// Whether `store` names the ops table `binding` is in: a static table
    /// is only ever named in its own file.
    func sameTable(_ store: MemberWrite, _ binding: CallbackBinding) -> Bool {
        guard let usr = store.valueUSR, usr.contains(".c@") else { return true }
        return store.location.file == binding.location.file
    }

    /// Whether the installing handler, a function it calls (two levels down)
    /// or a function that calls it names one of `flags` or calls a setter of one.
    func sets(_ flags: [String], around installer: FunctionFact, program: Program,
              callers: [String: [FunctionFact]]) -> Bool {
        let setterNames = Set(flags.flatMap { data.setters[$0] ?? [] })
        func setsHere(_ function: FunctionFact) -> Bool {
            !Set(function.flagNames).isDisjoint(with: flags) || function.calls.contains { setterNames.contains($0.callee) }
        }
        var seen: Set<String> = [installer.usr]
        var level = [installer]
        for _ in 0..<3 {
            if level.contains(where: setsHere) { return true }
            level = level.flatMap { function in
                function.calls.compactMap { call in
                    call.calleeUSR.flatMap { program.functions[$0] }
                }
            }.filter { seen.insert($0.usr).inserted }
        }
        return (callers[installer.usr] ?? []).contains(where: setsHere)
    }
}

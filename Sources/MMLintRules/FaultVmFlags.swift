import MMLintCore

/// `mm-fault-vm-flags`: a fault path changes `vma->vm_flags`, by a direct
/// write or with `vm_flags_set()` and friends.
public struct FaultVmFlags: BuiltinRule {
    public static let id = "mm-fault-vm-flags"
    let knowledge: RuleKnowledge
    let data: Data

    struct Data: Decodable {
        /// Functions whose own writes and calls are not reported.
        var sanctioned: [String]
    }

    public var description: RuleDescription {
        RuleDescription(
            id: Self.id,
            summary: "vma->vm_flags changed in a fault path",
            rationale: """
                A VMA's flags describe the mapping for everyone who looks at it: the \
                fault core, other threads faulting on it at the same time (a fault holds \
                mmap_lock for read only, or only the VMA's own lock since v6.4), and the \
                vmf_insert_*() helpers that BUG_ON the wrong combination. They are set \
                once, in the mmap handler, where mmap_lock is held for write. A fault \
                handler that flips VM_IO or VM_PFNMAP on first touch races with its own \
                siblings; since v6.3 vm_flags is const, and vm_flags_set(), \
                vm_flags_clear() and vm_flags_mod() take the VMA write lock and assert \
                the mmap write lock, so the same change in a fault path trips lockdep. \
                Writes and calls are reported with the root's confidence: high through an \
                ops table, moderate when only the handler shape says fault.
                """,
            confidence: .high,
            triggering: [
                Example("""
                static vm_fault_t bar_fault(struct vm_fault *vmf)
                {
                	struct vm_area_struct *vma = vmf->vma;

                	vma->vm_flags |= VM_IO | VM_PFNMAP; /* expect: mm-fault-vm-flags */
                	return vmf_insert_pfn(vma, vmf->address, vma->vm_pgoff);
                }

                static const struct vm_operations_struct bar_vm_ops = {
                	.fault = bar_fault,
                };
                """),
                Example("""
                static void buf_mark_dirty(struct vm_area_struct *vma)
                {
                	vm_flags_clear(vma, VM_DONTDUMP); /* expect: mm-fault-vm-flags */
                }

                static vm_fault_t buf_page_mkwrite(struct vm_fault *vmf)
                {
                	buf_mark_dirty(vmf->vma);
                	return 0;
                }

                static const struct vm_operations_struct buf_vm_ops = {
                	.page_mkwrite = buf_page_mkwrite,
                };
                """),
            ],
            nonTriggering: [
                Example("""
                static vm_fault_t bar_fault(struct vm_fault *vmf)
                {
                	return vmf_insert_pfn(vmf->vma, vmf->address, vmf->vma->vm_pgoff);
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
        let apis = Set(knowledge.apis.map(\.name))
        let sanctioned = Set(data.sanctioned)
        let version = program.kernelVersion
        let mmapAdvice = version.map { $0 >= KernelVersion(6, 3) } ?? true
            ? "vm_flags_set(vma, …), where mmap_lock is held for write"
            : "vma->vm_flags |= …, where mmap_lock is held for write"
        var findings: [Finding] = []
        // Direct writes.
        for function in program.orderedFunctions where !apis.contains(function.name) && !sanctioned.contains(function.name) {
            let writes = function.memberWrites.filter {
                $0.member == "vm_flags" && $0.structName == "vm_area_struct"
            }
            guard !writes.isEmpty, let context = program.faultContext(of: function.usr) else { continue }
            for write in writes {
                let change = "vm_flags \(write.op)"
                findings.append(finding(function: function, context: context, kind: "write", change: change,
                                        callee: change, macro: nil, location: write.location,
                                        chain: RuleText.chain(root: context.root, path: context.path, ending: change),
                                        advice: mmapAdvice, version: version))
            }
        }
        // The modifiers.
        for (function, call) in program.calls(to: apis) where !sanctioned.contains(function.name) {
            guard let context = program.faultContext(of: function.usr) else { continue }
            findings.append(finding(function: function, context: context, kind: "call", change: call.written,
                                    callee: call.callee, macro: call.macro, location: call.location,
                                    chain: Program.chain(root: context.root, path: context.path, call: call),
                                    advice: mmapAdvice, version: version))
        }
        return findings
    }

    func finding(function: FunctionFact, context: (root: Program.Root, path: [FunctionFact]), kind: String,
                 change: String, callee: String, macro: String?, location: Location, chain: [String],
                 advice: String, version: KernelVersion?) -> Finding {
        let values = RuleText.values(function: function, root: context.root, path: context.path,
                                     extra: ["change": change, "mmap_advice": advice])
        return knowledge.finding(
            context: kind, version: version, values: values, fallback: "\(change) in a fault path",
            confidence: context.root.confidence, location: location, function: function, callee: callee,
            macro: macro, chain: chain)
    }
}

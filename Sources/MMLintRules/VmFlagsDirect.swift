import MMLintCore

/// `mm-vm-flags-direct`: `vma->vm_flags` written directly on a tree at
/// v6.3 or later, where `vm_flags_set()` and friends are the only way.
public struct VmFlagsDirect: BuiltinRule {
    public static let id = "mm-vm-flags-direct"
    let knowledge: RuleKnowledge
    let data: Data

    struct Data: Decodable {
        /// The first version where a direct write is wrong.
        var since: KernelVersion
    }

    public var description: RuleDescription {
        RuleDescription(
            id: Self.id,
            summary: "vma->vm_flags written directly on a v6.3+ tree; use vm_flags_set()/vm_flags_clear()/vm_flags_mod()",
            rationale: """
                Since v6.3 vm_area_struct's vm_flags is const (a union with the private \
                __vm_flags), and changes go through vm_flags_set(), vm_flags_clear(), \
                vm_flags_mod(), vm_flags_reset() or, for a VMA not yet in the tree, \
                vm_flags_init(). The modifiers write-lock the VMA, which per-VMA-lock page \
                faults (v6.4) depend on, and assert the mmap write lock. A direct write \
                does not build there; it shows up in code carried forward from older \
                kernels, and a cast around the const silently races with those faults. \
                The rule needs the tree's version (read from its Makefile, or \
                --kernel-version): before v6.3 a direct write is the only way and is \
                not reported, and with no version known the rule stays silent rather \
                than guess. Confidence is high: the write is in the source.
                """,
            confidence: .high,
            triggering: [
                Example("""
                static int bar_mmap(struct file *file, struct vm_area_struct *vma)
                {
                	vma->vm_flags |= VM_IO | VM_DONTEXPAND; /* expect: mm-vm-flags-direct */
                	vma->vm_flags &= ~VM_MAYWRITE; /* expect: mm-vm-flags-direct */
                	return 0;
                }
                """, kernelVersion: KernelVersion(6, 12)),
            ],
            nonTriggering: [
                Example("""
                static int bar_mmap(struct file *file, struct vm_area_struct *vma)
                {
                	if (vma->vm_flags & VM_WRITE)
                		return -EPERM;
                	vm_flags_set(vma, VM_IO | VM_DONTEXPAND);
                	vm_flags_clear(vma, VM_MAYWRITE);
                	return 0;
                }
                """, kernelVersion: KernelVersion(6, 12)),
            ])
    }

    public func check(_ program: Program) -> [Finding] {
        guard let version = program.kernelVersion, version >= data.since else { return [] }
        var findings: [Finding] = []
        for function in program.orderedFunctions {
            for write in function.memberWrites where write.member == "vm_flags" && write.structName == "vm_area_struct" {
                let change = "vm_flags \(write.op)"
                let context = program.faultContext(of: function.usr)
                let values = RuleText.values(function: function, root: context?.root, path: context?.path ?? [],
                                             extra: ["change": change])
                findings.append(knowledge.finding(
                    context: write.op, version: version, values: values, fallback: "direct write to vma->vm_flags",
                    confidence: .high, location: write.location, function: function, callee: change, chain: []))
            }
        }
        return findings
    }
}

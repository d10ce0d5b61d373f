import MMLintCore

/// `mm-remap-in-fault`: a range-mapping API (`remap_pfn_range()` and
/// friends, listed in `rules/mm-remap-in-fault.yaml`) reachable from a fault
/// handler.
public struct RemapInFault: BuiltinRule {
    public static let id = "mm-remap-in-fault"
    let knowledge: RuleKnowledge
    let data: NoData

    public var description: RuleDescription {
        RuleDescription(
            id: Self.id,
            summary: "range-mapping API (remap_pfn_range() and friends) called in a fault path",
            rationale: """
                remap_pfn_range(), io_remap_pfn_range() and the other range-mapping \
                helpers populate a whole VMA at once and are meant for the mmap handler. \
                Called from a vm_operations_struct fault handler they are not reentrant: \
                two threads faulting on the same VMA both walk into the page tables, and \
                the second finds entries already present and hits a BUG_ON. Since v6.3 they \
                also assert the mmap write lock, which a fault never holds. A fault \
                handler maps the faulting address only, with the vmf_* API \
                (vmf_insert_pfn_prot(), vmf_insert_pfn(), vmf_insert_mixed()), or the \
                driver remaps at mmap time and the fault handler returns VM_FAULT_SIGBUS.
                """,
            confidence: .high,
            triggering: [
                Example("""
                static vm_fault_t bar_fault(struct vm_fault *vmf)
                {
                	struct vm_area_struct *vma = vmf->vma;

                	if (remap_pfn_range(vma, vma->vm_start, vma->vm_pgoff, /* expect: mm-remap-in-fault */
                			    vma->vm_end - vma->vm_start, vma->vm_page_prot))
                		return VM_FAULT_SIGBUS;
                	return VM_FAULT_NOPAGE;
                }

                static const struct vm_operations_struct bar_vm_ops = {
                	.fault = bar_fault,
                };
                """),
                Example("""
                static int map_bar(struct vm_area_struct *vma)
                {
                	return io_remap_pfn_range(vma, vma->vm_start, vma->vm_pgoff, /* expect: mm-remap-in-fault */
                				  vma->vm_end - vma->vm_start, vma->vm_page_prot);
                }

                static vm_fault_t bar_page_mkwrite(struct vm_fault *vmf)
                {
                	return map_bar(vmf->vma) ? VM_FAULT_SIGBUS : VM_FAULT_NOPAGE;
                }

                static const struct vm_operations_struct bar_vm_ops = {
                	.page_mkwrite = bar_page_mkwrite,
                };
                """),
            ],
            nonTriggering: [
                Example("""
                static int bar_mmap(struct file *file, struct vm_area_struct *vma)
                {
                	return remap_pfn_range(vma, vma->vm_start, vma->vm_pgoff,
                			       vma->vm_end - vma->vm_start, vma->vm_page_prot);
                }
                """),
                Example("""
                static vm_fault_t bar_fault(struct vm_fault *vmf)
                {
                	unsigned long pfn = vmf->vma->vm_pgoff + vmf->pgoff;

                	return vmf_insert_pfn_prot(vmf->vma, vmf->address, pfn, vmf->vma->vm_page_prot);
                }

                static const struct vm_operations_struct bar_vm_ops = {
                	.fault = bar_fault,
                };
                """),
            ])
    }

    public func check(_ program: Program) -> [Finding] {
        knowledge.callsOnFaultPaths(in: program) { "\($0.callee)() in a fault path" }
    }
}

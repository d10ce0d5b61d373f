import MMLintCore

/// `mm-follow-pfn`: any call of `follow_pfn()`.
public struct FollowPfn: BuiltinRule {
    public static let id = "mm-follow-pfn"
    let knowledge: RuleKnowledge
    let data: NoData

    public var description: RuleDescription {
        RuleDescription(
            id: Self.id,
            summary: "follow_pfn() called: deprecated, unsafe, removed in v6.10",
            rationale: """
                follow_pfn() walks the page tables, takes the page-table lock, reads \
                the pfn and drops the lock before returning it: nothing keeps the \
                mapping, or the memory behind the pfn, alive while the caller uses it. \
                mm maintainers asked for no new users and removed it in v6.10. Outside \
                a fault handler, use follow_pte() and read the pfn under the lock it \
                returns (before v6.12), or follow_pfnmap_start()/follow_pfnmap_end() \
                (from v6.12), with an mmu notifier if the pfn is kept. Inside a fault \
                handler, the driver knows its pfn and maps the faulting address with \
                vmf_insert_pfn_prot().
                """,
            confidence: .high,
            triggering: [
                Example("""
                static int lookup_user_pfn(struct vm_area_struct *vma, unsigned long addr,
                			   unsigned long *pfn)
                {
                	return follow_pfn(vma, addr, pfn); /* expect: mm-follow-pfn */
                }
                """),
                Example("""
                static vm_fault_t dev_fault(struct vm_fault *vmf)
                {
                	unsigned long pfn;

                	if (follow_pfn(vmf->vma, vmf->vma->vm_start, &pfn)) /* expect: mm-follow-pfn */
                		return VM_FAULT_SIGBUS;
                	return vmf_insert_pfn(vmf->vma, vmf->address, pfn);
                }
                """),
            ],
            nonTriggering: [
                Example("""
                static int lookup_user_pfn(struct vm_area_struct *vma, unsigned long addr,
                			   unsigned long *pfn)
                {
                	spinlock_t *ptl;
                	pte_t *ptep;
                	int ret = follow_pte(vma->vm_mm, addr, &ptep, &ptl);

                	if (ret)
                		return ret;
                	*pfn = pte_pfn(ptep_get(ptep));
                	pte_unmap_unlock(ptep, ptl);
                	return 0;
                }
                """),
            ])
    }

    public func check(_ program: Program) -> [Finding] {
        let apis = Set(knowledge.apis.map(\.name))
        var findings: [Finding] = []
        for (function, call) in program.calls(to: apis) {
            let context = program.faultContext(of: function.usr)
            findings.append(knowledge.finding(
                context: context == nil ? "other" : "fault", version: program.kernelVersion,
                values: RuleText.values(call: call, function: function, root: context?.root, path: context?.path ?? []),
                fallback: "follow_pfn() is deprecated", confidence: .high,
                location: call.location, function: function, callee: call.callee, macro: call.macro,
                chain: context.map { Program.chain(root: $0.root, path: $0.path, call: call) } ?? []))
        }
        return findings
    }
}

import MMLintCore

/// `example-insert-page-in-fault`: `vm_insert_page()` or `vm_insert_pages()`
/// reachable from a fault handler.
///
/// Both are the mmap-time way to hand kernel pages to user space. When the
/// VMA lacks `VM_MIXEDMAP` they set it, after asserting the mmap write lock
/// (`BUG_ON(mmap_read_trylock(...))`), which a fault never holds; and they
/// return an errno where a fault handler must return a `vm_fault_t`. In a
/// fault path the API is `vmf_insert_page()`, with `VM_MIXEDMAP` set in the
/// mmap handler.
struct InsertPageInFault: Rule {
    static let id = "example-insert-page-in-fault"

    /// What `rules/<id>.yaml` holds for a built-in rule: the watched APIs
    /// (the scan prefilter reads them), the messages and the suggestions.
    static let knowledgeYAML = """
        id: example-insert-page-in-fault
        scope: fault
        apis:
          - name: vm_insert_page
          - name: vm_insert_pages
            since: "5.8"
        messages:
          - text: >-
              {call} in a fault path: it is meant for the mmap handler; on a VMA
              without VM_MIXEDMAP it sets the flag and first asserts the mmap
              write lock, which a fault does not hold, and it returns an errno
              where the fault handler must return a vm_fault_t
        suggestions:
          - text: >-
              return vmf_insert_page({vmf}->vma, {vmf}->address, page) and set
              VM_MIXEDMAP in the mmap handler; or insert the pages once with
              {callee}() at mmap time
        """

    let knowledge: RuleKnowledge

    init() throws(KnowledgeError) {
        knowledge = try RuleKnowledge(yaml: Self.knowledgeYAML)
    }

    var description: RuleDescription {
        RuleDescription(
            id: Self.id,
            summary: "vm_insert_page() or vm_insert_pages() called in a fault path (example plugin)",
            rationale: """
                vm_insert_page() and vm_insert_pages() hand kernel pages to a user VMA \
                at mmap time, under the mmap write lock. On a VMA without VM_MIXEDMAP \
                they set it with BUG_ON(mmap_read_trylock()) first, which fires in a \
                fault handler (it holds the mmap lock for reading, or only the per-VMA \
                lock); and they return an errno, which a handler returning vm_fault_t \
                turns into a bogus fault code. The fault-time call is vmf_insert_page(), \
                with VM_MIXEDMAP set in the mmap handler.
                """,
            confidence: .moderate,
            triggering: [
                Example("""
                struct ring {
                	struct page **pages;
                	unsigned long npages;
                };

                static vm_fault_t ring_fault(struct vm_fault *vmf)
                {
                	struct ring *ring = vmf->vma->vm_private_data;

                	if (vmf->pgoff >= ring->npages)
                		return VM_FAULT_SIGBUS;
                	if (vm_insert_page(vmf->vma, vmf->address, ring->pages[vmf->pgoff])) /* expect: example-insert-page-in-fault */
                		return VM_FAULT_SIGBUS;
                	return VM_FAULT_NOPAGE;
                }

                static const struct vm_operations_struct ring_vm_ops = {
                	.fault = ring_fault,
                };
                """),
            ],
            nonTriggering: [
                Example("""
                struct ring {
                	struct page **pages;
                	unsigned long npages;
                };

                static vm_fault_t ring_fault(struct vm_fault *vmf)
                {
                	struct ring *ring = vmf->vma->vm_private_data;

                	if (vmf->pgoff >= ring->npages)
                		return VM_FAULT_SIGBUS;
                	return vmf_insert_page(vmf->vma, vmf->address, ring->pages[vmf->pgoff]);
                }

                static const struct vm_operations_struct ring_vm_ops = {
                	.fault = ring_fault,
                };

                static int ring_mmap(struct file *file, struct vm_area_struct *vma)
                {
                	struct ring *ring = vma->vm_private_data;

                	vma->vm_ops = &ring_vm_ops;
                	return vm_insert_page(vma, vma->vm_start, ring->pages[0]);
                }
                """),
            ])
    }

    func check(_ program: Program) -> [Finding] {
        let apis = Set(knowledge.apis.map(\.name))
        var findings: [Finding] = []
        for (function, call) in program.calls(to: apis) {
            guard let context = program.faultContext(of: function.usr) else { continue }
            let values = [
                "callee": call.callee,
                "call": call.macro.map { "\(call.callee)() (through macro \($0))" } ?? "\(call.callee)()",
                "vmf": context.path.first?.faultSignature?.vmfParameter ?? "vmf",
            ]
            let message = knowledge.messages.select(context: "fault", version: program.kernelVersion)
            let suggestion = knowledge.suggestions.select(context: "fault", version: program.kernelVersion)
            findings.append(Finding(
                ruleID: Self.id,
                confidence: .moderate,
                location: call.location,
                function: function.name,
                functionUSR: function.usr,
                callee: call.callee,
                macro: call.macro,
                chain: Program.chain(root: context.root, path: context.path, call: call),
                message: fill(message?.text ?? "\(call.callee)() in a fault path", values),
                suggestion: fill(suggestion?.text ?? "", values)))
        }
        return findings
    }
}

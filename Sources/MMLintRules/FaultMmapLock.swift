import MMLintCore

/// `mm-fault-mmap-lock`: a fault path takes, drops or downgrades the mmap
/// lock, through the `mmap_*lock*()` API or `down_read(&mm->mmap_lock)`.
public struct FaultMmapLock: BuiltinRule {
    public static let id = "mm-fault-mmap-lock"
    let knowledge: RuleKnowledge
    let data: Data

    /// The rule file's own part.
    struct Data: Decodable {
        struct Rwsem: Decodable {
            var members: [String]
            var calls: [String]
        }
        var rwsem: Rwsem
        var drops: [String]
        var downgrades: [String]
        var sanctioned: [String]
    }

    public var description: RuleDescription {
        RuleDescription(
            id: Self.id,
            summary: "the mmap lock taken, dropped or downgraded in a fault path",
            rationale: """
                A page fault runs with current->mm's mmap_lock held for read, or, since \
                v6.4, possibly with only the faulting VMA's own lock. A fault handler that \
                takes mmap_lock again deadlocks as soon as a writer queues between the two \
                read acquisitions (and at once for the write lock); one that drops it \
                leaves the core holding a VMA that may be freed. The only sanctioned drop \
                is the VM_FAULT_RETRY protocol: with FAULT_FLAG_ALLOW_RETRY set (and not \
                FAULT_FLAG_RETRY_NOWAIT) a handler may release the fault's lock before a \
                long wait and return VM_FAULT_RETRY, since v6.5 with release_fault_lock(), \
                which knows which lock is held. Takes and downgrades are reported with the \
                root's confidence; drops at moderate confidence, since they may be that \
                protocol, which a reviewer should still see. Seen in review: a 2023 vfio \
                patch took the mmap write lock around io_remap_pfn_range() in its fault \
                handler. down_read(&mm->mmap_lock) and friends count as the API they \
                spell out.
                """,
            confidence: .high,
            triggering: [
                Example("""
                static vm_fault_t bar_fault(struct vm_fault *vmf)
                {
                	struct vm_area_struct *vma = vmf->vma;
                	int ret;

                	mmap_write_lock(vma->vm_mm); /* expect: mm-fault-mmap-lock */
                	ret = io_remap_pfn_range(vma, vma->vm_start, vma->vm_pgoff, /* expect: mm-remap-in-fault */
                				 vma->vm_end - vma->vm_start, vma->vm_page_prot);
                	mmap_write_unlock(vma->vm_mm); /* expect: mm-fault-mmap-lock */
                	return ret ? VM_FAULT_SIGBUS : VM_FAULT_NOPAGE;
                }

                static const struct vm_operations_struct bar_vm_ops = {
                	.fault = bar_fault,
                };
                """),
                Example("""
                static void buf_wait_idle(struct vm_fault *vmf)
                {
                	up_read(&vmf->vma->vm_mm->mmap_lock); /* expect: mm-fault-mmap-lock */
                	down_read(&vmf->vma->vm_mm->mmap_lock); /* expect: mm-fault-mmap-lock */
                }

                static vm_fault_t buf_fault(struct vm_fault *vmf)
                {
                	buf_wait_idle(vmf);
                	return VM_FAULT_NOPAGE;
                }

                static const struct vm_operations_struct buf_vm_ops = {
                	.fault = buf_fault,
                };
                """),
            ],
            nonTriggering: [
                Example("""
                static int bar_mmap(struct file *file, struct vm_area_struct *vma)
                {
                	struct mm_struct *mm = vma->vm_mm;

                	mmap_read_lock(mm);
                	mmap_read_unlock(mm);
                	return 0;
                }
                """),
                Example("""
                static vm_fault_t buf_fault(struct vm_fault *vmf)
                {
                	if (fault_flag_allow_retry_first(vmf->flags) &&
                	    !(vmf->flags & FAULT_FLAG_RETRY_NOWAIT)) {
                		release_fault_lock(vmf);
                		return VM_FAULT_RETRY;
                	}
                	return VM_FAULT_NOPAGE;
                }

                static const struct vm_operations_struct buf_vm_ops = {
                	.fault = buf_fault,
                };
                """),
            ])
    }

    public func check(_ program: Program) -> [Finding] {
        let lockAPIs = Set(knowledge.apis.map(\.name))
        let rwsemCalls = Set(data.rwsem.calls)
        let members = Set(data.rwsem.members)
        let sanctioned = Set(data.sanctioned)
        var findings: [Finding] = []
        for (function, call) in program.calls(to: lockAPIs.union(rwsemCalls))
        where !sanctioned.contains(function.name) && !lockAPIs.contains(function.name) {
            var written = call.written
            if rwsemCalls.contains(call.callee) {
                guard let member = call.addressedMember, members.contains(member) else { continue }
                written = "\(call.callee)(&…->\(member))" + (call.macro.map { " (through macro \($0))" } ?? "")
            }
            guard let context = program.faultContext(of: function.usr) else { continue }
            let action = data.drops.contains(call.callee) ? "drop"
                : data.downgrades.contains(call.callee) ? "downgrade" : "take"
            findings.append(knowledge.finding(
                context: action, version: program.kernelVersion,
                values: RuleText.values(call: call, function: function, root: context.root, path: context.path,
                                        extra: ["call": written]),
                fallback: "\(written) in a fault path",
                confidence: action == "drop" ? .moderate : context.root.confidence,
                location: call.location, function: function, callee: call.callee, macro: call.macro,
                chain: Program.chain(root: context.root, path: context.path, call: call)))
        }
        return findings
    }
}

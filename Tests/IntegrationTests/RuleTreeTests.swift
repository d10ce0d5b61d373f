import Foundation
import MMLintCore
import MMLintEngine
import XCTest

/// The fault-path rules on chosen real files of both trees: exact findings,
/// and the words that depend on the tree's version.
extension KernelTreeTests {
    /// The findings of `rule` when `files` (relative to the tree) are scanned
    /// with kernel-tree flags; every file must be analysed (a failure would
    /// read as "no finding") and, unless `clean` is false, parse cleanly.
    func findings(_ rule: String, _ files: [String], in root: String, clean: Bool = true,
                  file: StaticString = #filePath, line: UInt = #line) -> [Finding] {
        analysis(rule, files, in: root, clean: clean, file: file, line: line).findings
    }

    func analysis(_ rule: String, _ files: [String], in root: String, clean: Bool = true,
                  file: StaticString = #filePath, line: UInt = #line) -> (findings: [Finding], result: AnalysisResult) {
        let result = KernelCache.engine.analyze(AnalysisOptions(files: files.map { root + "/" + $0 }))
        assertAnalysed(result, files.map { root + "/" + $0 }, files.joined(separator: ", "), file: file, line: line)
        for unit in result.units where clean {
            XCTAssertEqual(unit.errors.map(\.message), [], unit.file, file: file, line: line)
        }
        return (result.findings.filter { $0.ruleID == rule }, result)
    }

    /// ttm's fault helpers drop the mmap read lock for the VM_FAULT_RETRY
    /// dance by hand: two drops per tree, with the per-VMA lock words on 6.12.
    /// The helpers have the handler's shape, and ttm's own .fault calls them:
    /// the chains start at its ops table.
    func testTtmFaultHelpersDropTheMmapLock() throws {
        for version in ["6.1", "6.12"] {
            let root = try KernelCache.tree(version)
            let path = "drivers/gpu/drm/ttm/ttm_bo_vm.c"
            let found = findings("mm-fault-mmap-lock", [path], in: root)
            let file = root + "/" + path
            XCTAssertEqual(found.map(\.function), ["ttm_bo_vm_fault_idle", "ttm_bo_vm_reserve"], version)
            XCTAssertEqual(found.map(\.location.line), [
                try line(of: "mmap_read_unlock(vmf->vma->vm_mm)", after: "ttm_bo_vm_fault_idle(", in: file),
                try line(of: "mmap_read_unlock(vmf->vma->vm_mm)", after: "vm_fault_t ttm_bo_vm_reserve(", in: file),
            ], version)
            XCTAssertEqual(found.map(\.callee), ["mmap_read_unlock", "mmap_read_unlock"], version)
            XCTAssertEqual(found.map { $0.chain.joined(separator: " → ") }, [
                ".fault of ttm_bo_vm_ops → ttm_bo_vm_fault → ttm_bo_vm_fault_reserved → ttm_bo_vm_fault_idle → mmap_read_unlock",
                ".fault of ttm_bo_vm_ops → ttm_bo_vm_fault → ttm_bo_vm_reserve → mmap_read_unlock",
            ], version)
            XCTAssertEqual(Set(found.map(\.confidence)), [.moderate], version)
            let message = try XCTUnwrap(found.first?.message)
            XCTAssertEqual(message.contains("per-VMA lock"), version == "6.12", message)
            let suggestion = try XCTUnwrap(found.first?.suggestion)
            XCTAssertEqual(suggestion.contains("release_fault_lock(vmf)"), version == "6.12", suggestion)
        }
    }

    /// sgx's virtual EPC fault handler drops the mmap read lock to return
    /// VM_FAULT_RETRY after checking FAULT_FLAG_ALLOW_RETRY but not
    /// FAULT_FLAG_RETRY_NOWAIT, whose callers expect the lock kept.
    func testSgxVepcFaultDropsTheMmapLock() throws {
        for version in ["6.1", "6.12"] {
            let root = try KernelCache.tree(version)
            let path = "arch/x86/kernel/cpu/sgx/virt.c"
            // Kernel-tree flags give sgx_vepc_init() a second, stub definition
            // (CONFIG_X86_SGX_KVM is off in the synthesized config); the
            // fault handler parses fine.
            let found = findings("mm-fault-mmap-lock", [path], in: root, clean: false)
            XCTAssertEqual(found.map(\.function), ["sgx_vepc_fault"], version)
            XCTAssertEqual(found.first?.location.line,
                           try line(of: "mmap_read_unlock(vma->vm_mm)", after: "sgx_vepc_fault(", in: root + "/" + path))
            XCTAssertEqual(found.first?.chain, [".fault of sgx_vepc_vm_ops", "sgx_vepc_fault", "mmap_read_unlock"])
        }
    }

    /// uio sets its flags in the mmap handler: a direct write on 6.1 (before
    /// v6.3, so not a finding), vm_flags_set() on 6.12; neither in a fault path.
    func testUioFlagsAtMmapTimeAreNoFinding() throws {
        for version in ["6.1", "6.12"] {
            let root = try KernelCache.tree(version)
            let result = KernelCache.engine.analyze(AnalysisOptions(files: [root + "/drivers/uio/uio.c"]))
            assertAnalysed(result, [root + "/drivers/uio/uio.c"], version)
            XCTAssertEqual(result.units.first?.errors.map(\.message), [])
            XCTAssertEqual(result.findings.map(\.ruleID), [], version)
            let writers = result.program.functions.values.filter { function in
                function.memberWrites.contains { $0.member == "vm_flags" }
            }.map(\.name)
            let setters = result.program.functions.values.filter { function in
                function.calls.contains { $0.callee == "vm_flags_set" }
            }.map(\.name)
            // The facts saw the change, the rules judged it fine.
            XCTAssertEqual(writers + setters, ["uio_mmap_logical"], version)
        }
    }

    /// The same direct write is a finding once the tree is v6.3 or later:
    /// 6.1's uio.c judged as 6.3, and 6.12's uio.c with its vm_flags_set()
    /// turned back into a direct write (a parse error there, since vm_flags
    /// is const: the write is still seen).
    func testDirectVmFlagsWriteOnV63AndLater() throws {
        let old = try KernelCache.tree("6.1")
        let oldFile = old + "/drivers/uio/uio.c"
        let asV63 = KernelCache.engine.analyze(AnalysisOptions(files: [oldFile], kernelVersion: KernelVersion(6, 3)))
        assertAnalysed(asV63, [oldFile])
        let direct = asV63.findings.filter { $0.ruleID == "mm-vm-flags-direct" }
        XCTAssertEqual(direct.map(\.location.line),
                       [try line(of: "vma->vm_flags |= VM_DONTEXPAND", after: "static int uio_mmap_logical(", in: oldFile)])
        XCTAssertEqual(direct.first?.suggestion, "use vm_flags_set(vma, flags)")

        let new = try KernelCache.tree("6.12")
        let newFile = new + "/drivers/uio/uio.c"
        let text = try String(contentsOfFile: newFile, encoding: .utf8)
        let setter = "vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP);"
        XCTAssertTrue(text.contains(setter))
        let reverted = text.replacingOccurrences(of: setter, with: "vma->vm_flags |= VM_DONTEXPAND | VM_DONTDUMP;")
        let result = KernelCache.engine.analyze(AnalysisOptions(files: [newFile], overlay: [newFile: Array(reverted.utf8)]))
        assertAnalysed(result, [newFile])
        XCTAssertEqual(result.kernelVersion?.minor, 12)
        XCTAssertFalse(result.units.first?.errors.isEmpty ?? true, "a write to the const vm_flags must not build")
        let found = result.findings.filter { $0.ruleID == "mm-vm-flags-direct" }
        XCTAssertEqual(found.map(\.location.line), [try line(of: setter, after: "static int uio_mmap_logical(", in: newFile)])
        XCTAssertEqual(found.map(\.function), ["uio_mmap_logical"])
        XCTAssertTrue(found.first?.message.contains("does not build on this tree") ?? false)
    }

    /// nouveau's device-memory migrate_to_ram handler stores the int of
    /// nouveau_dmem_copy_one() (-EIO on failure) into its vm_fault_t ret:
    /// the mix-up sparse reports, on both trees.
    func testNouveauDmemStoresAnIntErrorInItsVmFaultT() throws {
        for version in ["6.1", "6.12"] {
            let root = try KernelCache.tree(version)
            let path = "drivers/gpu/drm/nouveau/nouveau_dmem.c"
            let found = findings("mm-fault-errno", [path], in: root, clean: false)
            let file = root + "/" + path
            XCTAssertEqual(found.map(\.function), ["nouveau_dmem_migrate_to_ram"], version)
            XCTAssertEqual(found.first?.location.line,
                           try line(of: "ret = nouveau_dmem_copy_one(", after: "nouveau_dmem_migrate_to_ram(struct vm_fault", in: file))
            XCTAssertEqual(found.first?.confidence, .moderate)
            let errnoLine = try line(of: "return -EIO;", after: "static int nouveau_dmem_copy_one(", in: file)
            XCTAssertTrue(found.first?.message.contains("which can be -EIO (nouveau_dmem_copy_one(), nouveau_dmem.c:\(errnoLine))") ?? false,
                          found.first?.message ?? "")
            XCTAssertTrue(found.first?.suggestion.contains("vmf_error(err)") ?? false)
        }
    }

    /// sgi-gru remaps in its fault handler (mm-remap-in-fault), and with
    /// mm/memory.c in the scan the flags that remap sets are a fault-path
    /// vm_flags change: a direct write on 6.1, vm_flags_set() on 6.12.
    func testGruFaultChangesVmFlagsThroughRemap() throws {
        for version in ["6.1", "6.12"] {
            let root = try KernelCache.tree(version)
            let found = findings("mm-fault-vm-flags", ["drivers/misc/sgi-gru/grumain.c", "mm/memory.c"],
                                 in: root, clean: false)
            XCTAssertEqual(found.map(\.function), ["remap_pfn_range_internal"], version)
            let finding = try XCTUnwrap(found.first)
            XCTAssertEqual(finding.chain.prefix(3), ["vm_fault_t handler signature", "gru_fault", "remap_pfn_range"])
            XCTAssertEqual(finding.location.file, root + "/mm/memory.c")
            if version == "6.1" {
                XCTAssertEqual(finding.callee, "vm_flags |=")
                XCTAssertTrue(finding.message.contains("from v6.3 on a change needs the mmap write lock"), finding.message)
                XCTAssertTrue(finding.suggestion.contains("vma->vm_flags |="), finding.suggestion)
            } else {
                XCTAssertEqual(finding.callee, "vm_flags_set")
                XCTAssertTrue(finding.message.contains("asserts the mmap write lock"), finding.message)
                XCTAssertTrue(finding.suggestion.contains("vm_flags_set(vma, …)"), finding.suggestion)
            }
        }
    }

    /// 6.12's vfio: .fault is a thin wrapper around
    /// vfio_pci_mmap_huge_fault(vmf, 0), whose own .huge_fault entry is under
    /// #ifdef. Its mmap handler sets VM_PFNMAP: no finding, with the insert
    /// seen from both entries. With the entry compiled out and VM_PFNMAP
    /// dropped, the insert is reported through the wrapper.
    func testVfioInsertIsJudgedThroughItsFaultWrapper() throws {
        let root = try KernelCache.tree("6.12")
        let path = "drivers/vfio/pci/vfio_pci_core.c"
        let file = root + "/" + path
        let tree = KernelCache.engine.analyze(AnalysisOptions(files: [file]))
        XCTAssertEqual(tree.failures, [])
        XCTAssertEqual(tree.units.map(\.file), [file])
        XCTAssertEqual(tree.units.first?.errors.map(\.message), [])
        XCTAssertEqual(tree.findings.filter { $0.ruleID == "mm-insert-needs-flags" }.map(\.message), [])
        let huge = try XCTUnwrap(tree.program.functions.values.first { $0.name == "vfio_pci_mmap_huge_fault" })
        XCTAssertTrue(huge.calls.contains { $0.callee == "vmf_insert_pfn" })
        let ways = tree.program.faultContexts(of: huge.usr).map { $0.path.map(\.name) }
        XCTAssertTrue(ways.contains(["vfio_pci_mmap_page_fault", "vfio_pci_mmap_huge_fault"]), "\(ways)")

        let text = try String(contentsOfFile: file, encoding: .utf8)
        let entry = "#ifdef CONFIG_ARCH_SUPPORTS_HUGE_PFNMAP\n\t.huge_fault = vfio_pci_mmap_huge_fault,\n#endif\n"
        let flags = "VM_ALLOW_ANY_UNCACHED | VM_IO | VM_PFNMAP |"
        XCTAssertTrue(text.contains(entry) && text.contains(flags))
        let changed = text.replacingOccurrences(of: entry, with: "")
            .replacingOccurrences(of: flags, with: "VM_ALLOW_ANY_UNCACHED | VM_IO |")
        let result = KernelCache.engine.analyze(AnalysisOptions(files: [file], overlay: [file: Array(changed.utf8)]))
        XCTAssertEqual(result.failures, [])
        XCTAssertEqual(result.units.first?.errors.map(\.message), [])
        let found = result.findings.filter { $0.ruleID == "mm-insert-needs-flags" }
        XCTAssertEqual(found.map(\.chain), [[".fault of vfio_pci_mmap_ops", "vfio_pci_mmap_page_fault",
                                              "vfio_pci_mmap_huge_fault", "vmf_insert_pfn"]])
        XCTAssertEqual(found.first?.location.line,
                       try line(of: "ret = vmf_insert_pfn(vma", after: "static vm_fault_t vfio_pci_mmap_huge_fault(", in: file))
        XCTAssertEqual(found.first?.confidence, .moderate)
        XCTAssertTrue(found.first?.message.contains("vfio_pci_core_mmap(), which installs vfio_pci_mmap_ops") ?? false,
                      found.first?.message ?? "no finding")
    }

    /// sgx's enclave fault inserts pfns; its mmap handler, in driver.c, sets
    /// VM_PFNMAP. Without driver.c in the scan the rule says it cannot see the
    /// flags (low confidence); with it, nothing. tegra's GEM fault inserts
    /// pages into VMAs its mmap marks VM_MIXEDMAP.
    func testInsertFlagsFoundAcrossFiles() throws {
        for version in ["6.1", "6.12"] {
            let root = try KernelCache.tree(version)
            let alone = findings("mm-insert-needs-flags", ["arch/x86/kernel/cpu/sgx/encl.c"], in: root)
            XCTAssertEqual(alone.map(\.function), ["sgx_encl_eaug_page", "sgx_vma_fault"], version)
            XCTAssertEqual(Set(alone.map(\.confidence)), [.low], version)
            XCTAssertTrue(alone.first?.message.contains("no mmap handler of the scan installs sgx_vm_ops") ?? false)
            let together = findings("mm-insert-needs-flags",
                                    ["arch/x86/kernel/cpu/sgx/encl.c", "arch/x86/kernel/cpu/sgx/driver.c"], in: root)
            XCTAssertEqual(together.map(\.function), [], version)
            // tegra: no finding, from a parsed file whose fault handler was
            // seen inserting pages (not from a file that gave nothing).
            let tegra = analysis("mm-insert-needs-flags", ["drivers/gpu/drm/tegra/gem.c"], in: root)
            XCTAssertEqual(tegra.findings.count, 0, version)
            let fault = try XCTUnwrap(tegra.result.program.functions.values.first { $0.name == "tegra_bo_fault" }, version)
            XCTAssertTrue(fault.calls.contains { $0.callee == "vmf_insert_page" },
                          "\(version): \(fault.calls.map(\.callee))")
            XCTAssertEqual(tegra.result.program.faultContext(of: fault.usr)?.root.label, ".fault of tegra_bo_vm_ops", version)
        }
    }
}

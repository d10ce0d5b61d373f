import Foundation
import MMLintCore
import MMLintEngine
import XCTest

/// The rules of issue 7 on chosen real files of both trees: exact findings,
/// and the words that depend on the tree's version.
extension KernelTreeTests {
    /// The findings of `rule` when `files` (relative to the tree) are scanned
    /// with kernel-tree flags; the files must parse cleanly.
    func findings(_ rule: String, _ files: [String], in root: String,
                  file: StaticString = #filePath, line: UInt = #line) -> [Finding] {
        let result = Self.engine.analyze(AnalysisOptions(files: files.map { root + "/" + $0 }))
        for unit in result.units {
            XCTAssertEqual(unit.errors.map(\.message), [], unit.file, file: file, line: line)
        }
        return result.findings.filter { $0.ruleID == rule }
    }

    /// ttm's fault helpers drop the mmap read lock for the VM_FAULT_RETRY
    /// dance by hand: two drops per tree, with the per-VMA lock words on 6.12.
    func testTtmFaultHelpersDropTheMmapLock() throws {
        for version in ["6.1", "6.12"] {
            let root = try tree(version)
            let path = "drivers/gpu/drm/ttm/ttm_bo_vm.c"
            let found = findings("mm-fault-mmap-lock", [path], in: root)
            let file = root + "/" + path
            XCTAssertEqual(found.map(\.function), ["ttm_bo_vm_fault_idle", "ttm_bo_vm_reserve"], version)
            XCTAssertEqual(found.map(\.location.line), [
                try line(of: "mmap_read_unlock(vmf->vma->vm_mm)", after: "ttm_bo_vm_fault_idle(", in: file),
                try line(of: "mmap_read_unlock(vmf->vma->vm_mm)", after: "vm_fault_t ttm_bo_vm_reserve(", in: file),
            ], version)
            XCTAssertEqual(found.map(\.callee), ["mmap_read_unlock", "mmap_read_unlock"], version)
            XCTAssertEqual(found.first?.chain, ["vm_fault_t handler signature", "ttm_bo_vm_fault_idle", "mmap_read_unlock"])
            XCTAssertEqual(Set(found.map(\.confidence)), [.moderate], version)
            let message = try XCTUnwrap(found.first?.message)
            XCTAssertEqual(message.contains("per-VMA lock"), version == "6.12", message)
            let suggestion = try XCTUnwrap(found.first?.suggestion)
            XCTAssertEqual(suggestion.contains("release_fault_lock(vmf)"), version == "6.12", suggestion)
        }
    }
}

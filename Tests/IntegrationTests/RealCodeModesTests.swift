import Foundation
import MMLintCore
import MMLintEngine
import XCTest

/// Bare mode and hunk-only mode on real kernel code: files copied out of the
/// cached trees at test time, and patches generated from them
/// (bench/hunk_recall.py), never committed.
final class RealCodeModesTests: XCTestCase {
    struct RealFile {
        var version: String
        var path: String
        /// (rule, line) of every real finding docs/rules.md lists in this file.
        var findings: Set<String>
        /// Parse errors of the file alone, at most (before the prelude of
        /// kernel idioms and the token repairs the counts were, in order,
        /// 631, 351, 65, 63, 22, 309 on 6.1 and 679, 351, 64, 22, 309 on 6.12).
        var maxParseErrors: Int
    }

    static let files: [RealFile] = [
        RealFile(version: "6.1", path: "drivers/vfio/pci/vfio_pci_core.c", findings: ["mm-remap-in-fault:1701"], maxParseErrors: 404),
        RealFile(version: "6.1", path: "drivers/misc/sgi-gru/grumain.c", findings: ["mm-remap-in-fault:964"], maxParseErrors: 281),
        RealFile(version: "6.1", path: "drivers/media/v4l2-core/videobuf-dma-contig.c", findings: ["mm-follow-pfn:185"],
                 maxParseErrors: 55),
        RealFile(version: "6.1", path: "drivers/gpu/drm/ttm/ttm_bo_vm.c",
                 findings: ["mm-fault-mmap-lock:67", "mm-fault-mmap-lock:139"], maxParseErrors: 39),
        RealFile(version: "6.1", path: "arch/x86/kernel/cpu/sgx/virt.c", findings: ["mm-fault-mmap-lock:88"], maxParseErrors: 8),
        RealFile(version: "6.1", path: "drivers/gpu/drm/nouveau/nouveau_dmem.c", findings: ["mm-fault-errno:206"], maxParseErrors: 227),
        // 6.12's vfio maps one pfn per fault with VM_PFNMAP set at mmap: clean.
        RealFile(version: "6.12", path: "drivers/vfio/pci/vfio_pci_core.c", findings: [], maxParseErrors: 403),
        RealFile(version: "6.12", path: "drivers/misc/sgi-gru/grumain.c", findings: ["mm-remap-in-fault:960"], maxParseErrors: 281),
        RealFile(version: "6.12", path: "drivers/gpu/drm/ttm/ttm_bo_vm.c",
                 findings: ["mm-fault-mmap-lock:62", "mm-fault-mmap-lock:134"], maxParseErrors: 39),
        RealFile(version: "6.12", path: "arch/x86/kernel/cpu/sgx/virt.c", findings: ["mm-fault-mmap-lock:88"], maxParseErrors: 8),
        RealFile(version: "6.12", path: "drivers/gpu/drm/nouveau/nouveau_dmem.c", findings: ["mm-fault-errno:205"], maxParseErrors: 227),
    ]

    /// Each real in-file finding of both trees, found on its file alone
    /// (copied out of the tree, so bare mode: no kernel headers, no flags),
    /// and nothing else; 6.12's vfio_pci_core.c alone gives nothing.
    func testBareModeFindsTheRealFindingsOnEachFileAlone() throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("mmlint-bare-real-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: work) }
        for (index, real) in Self.files.enumerated() {
            let root = try KernelCache.tree(real.version)
            let dir = work + "/\(index)"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let copy = dir + "/" + (real.path as NSString).lastPathComponent
            try FileManager.default.copyItem(atPath: root + "/" + real.path, toPath: copy)
            let version = try XCTUnwrap(KernelVersion(real.version))
            let result = KernelCache.engine.analyze(AnalysisOptions(files: [copy], jobs: 1, kernelVersion: version))
            let label = "\(real.version) \(real.path)"
            XCTAssertEqual(result.failures, [], label)
            XCTAssertEqual(result.units.count, 1, "\(label): parsed")
            XCTAssertEqual(result.units.first?.flagMode, .bare, label)
            let errors = result.units.first?.errors.count ?? -1
            print("bare mode, \(label) alone: \(errors) parse errors, \(result.findings.count) findings")
            XCTAssertLessThanOrEqual(errors, real.maxParseErrors, "\(label): parse errors")
            // Fault-path findings come from the file's own handlers and tables.
            XCTAssertGreaterThan(result.units.first?.functions.count ?? 0, 10, "\(label): function bodies kept")
            let found = Set(result.findings.map { "\($0.ruleID):\($0.location.line)" })
            XCTAssertEqual(found, real.findings, "\(label): " + result.findings.map(\.message).joined(separator: "\n"))
            for finding in result.findings { XCTAssertEqual(finding.location.file, copy, label) }
        }
    }

    /// Hunk-only mode against tree mode on a sample of generated patches:
    /// a follow_pfn(), a remap_pfn_range() and a pr_debug() line added at
    /// three places of functions of drivers/ that return vm_fault_t.
    func testHunkOnlyRecallOnGeneratedPatches() throws {
        let trees = [try KernelCache.tree("6.1"), try KernelCache.tree("6.12")]
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", KernelCache.repo + "/bench/hunk_recall.py", KernelCache.executable] + trees + ["--limit", "10", "--seed", "7", "--json"]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, stderr)
        let results = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [[String: Any]], stderr)
        XCTAssertEqual(results.count, 2)
        for result in results {
            let name = (result["tree"] as? String ?? "?") as NSString
            let label = name.lastPathComponent
            let expected = result["treeFindings"] as? Int ?? 0
            let recall = result["recall"] as? Double ?? 0
            print("hunk-only, \(label): \(result["found"] ?? "?") of \(expected) tree-mode findings, "
                  + "missed \(result["missed"] ?? []), extra \(result["extra"] ?? [])")
            // Enough generated patches that the ratio means something.
            XCTAssertGreaterThanOrEqual(expected, 20, label)
            XCTAssertGreaterThanOrEqual(result["patches"] as? Int ?? 0, 45, label)
            XCTAssertGreaterThanOrEqual(recall, 0.95, "\(label): missed \(result["missed"] ?? [])")
            XCTAssertEqual(result["falsePositives"] as? Int, 0, "\(label): \(result["extra"] ?? [])")
            XCTAssertEqual(result["quietFlagged"] as? Int, 0, "\(label): a pr_debug() patch was reported")
            XCTAssertGreaterThan(result["quietPatches"] as? Int ?? 0, 0, label)
        }
    }
}

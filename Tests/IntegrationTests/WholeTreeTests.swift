import Foundation
import MMLintCore
import MMLintEngine
import MMLintRules
import MMLintIndex
import XCTest

/// `mmlint scan <kernel root>`: the whole of Debian's 6.1 and 6.12 trees,
/// through the token prefilter, as the scan command runs it (the tree's
/// compile database where it has an entry, kernel-tree flags elsewhere).
/// The rules are the two the Coccinelle comparison of bench/scan-bench.sh
/// covers. With every rule the prefilter keeps about 2,000 files of a whole
/// tree, some 17 minutes of parsing on two cores: here the default rule
/// set's selection is checked (every file a documented real finding needs
/// is kept, and no more than a bound), and the other rules' real findings
/// are asserted on subtrees (`RuleTreeTests`).
final class WholeTreeTests: XCTestCase {
    static let engine: Engine = {
        do {
            return try Engine(builtins: BuiltinRules.all, ruleIDs: ["mm-remap-in-fault", "mm-follow-pfn"],
                              rulesDirectory: KernelCache.repo + "/rules")
        } catch { fatalError("\(error)") }
    }()

    struct Scan {
        var selection: ScanSelection
        var result: AnalysisResult
        var sources: Int
        /// `rule file:line:column function callee`, relative to the root.
        var findings: [String]
    }

    func scan(_ version: String) throws -> Scan {
        let root = KernelCache.folder + "/linux-source-" + version
        guard FileManager.default.fileExists(atPath: root + "/.mmlint-prepared") else {
            XCTFail("\(root) is not prepared: run scripts/prepare-kernels.sh (the test command does)")
            throw XCTSkip("no tree")
        }
        let sources = SourceTree(walking: root).sources
        let selection = Self.engine.select(files: sources, headerRoots: [root], threads: 2)
        let result = Self.engine.analyze(AnalysisOptions(
            files: selection.files, compileDatabase: try CompileDatabase(at: root + "/compile_commands.json"), jobs: 2))
        XCTAssertEqual(result.failures, [])
        XCTAssertEqual(result.units.count, selection.files.count, "every selected file was analysed")
        let findings = result.findings.map { finding in
            "\(finding.ruleID) \(finding.location.file.dropFirst(root.count + 1)):\(finding.location.line):"
                + "\(finding.location.column) \(finding.function) \(finding.callee)"
        }
        print("whole \(version) tree: \(sources.count) sources, \(selection.read) files read in "
              + String(format: "%.1f s", selection.seconds) + ", \(selection.files.count) parsed: \(findings)")
        return Scan(selection: selection, result: result, sources: sources.count, findings: findings)
    }

    func test61WholeTreeFindsVfioAndTheOtherTwo() throws {
        let scan = try scan("6.1")
        XCTAssertGreaterThan(scan.sources, 30_000)
        XCTAssertEqual(scan.selection.skipped + scan.selection.files.count, scan.sources)
        XCTAssertGreaterThan(scan.selection.read, scan.sources, "sources and headers are read")
        XCTAssertLessThan(scan.selection.files.count, 50, "the prefilter keeps a handful: \(scan.selection.files)")
        XCTAssertEqual(scan.findings, [
            "mm-follow-pfn drivers/media/v4l2-core/videobuf-dma-contig.c:185:9 videobuf_dma_contig_user_get follow_pfn",
            "mm-remap-in-fault drivers/misc/sgi-gru/grumain.c:964:3 gru_fault remap_pfn_range",
            "mm-remap-in-fault drivers/vfio/pci/vfio_pci_core.c:1701:6 vfio_pci_mmap_fault io_remap_pfn_range",
        ])
        let vfio = try XCTUnwrap(scan.result.findings.first { $0.location.file.hasSuffix("vfio_pci_core.c") })
        XCTAssertEqual(vfio.chain, [".fault of vfio_pci_mmap_ops", "vfio_pci_mmap_fault", "io_remap_pfn_range"])
    }

    /// The default rule set's selection of a whole tree: the files of the
    /// real findings docs/rules.md lists, each kept for the reason its rule
    /// gives, and a selection bounded by the chain bound (it was 9,956 files
    /// of 6.1 before `max-chain`, 30,489 before local evidence).
    func defaultSelection(_ version: String, keeps expected: [String: String], atMost bound: Int,
                          file: StaticString = #filePath, line: UInt = #line) throws {
        let root = try KernelCache.tree(version)
        let sources = SourceTree(walking: root).sources
        let selection = KernelCache.engine.select(files: sources, headerRoots: [root], threads: 2)
        let kept = Set(selection.files.map { String($0.dropFirst(root.count + 1)) })
        print("whole \(version) tree, default rules: \(selection.files.count) of \(sources.count) kept, "
              + String(format: "%.1f s", selection.seconds))
        for (path, reason) in expected.sorted(by: { $0.key < $1.key }) {
            XCTAssertTrue(kept.contains(path), "\(path) (\(reason)) not kept", file: file, line: line)
        }
        XCTAssertLessThan(selection.files.count, bound, file: file, line: line)
        XCTAssertGreaterThan(selection.files.count, expected.count, file: file, line: line)
    }

    func test61DefaultRulesKeepEveryDocumentedFinding() throws {
        try defaultSelection("6.1", keeps: [
            "drivers/vfio/pci/vfio_pci_core.c": "mm-remap-in-fault",
            "drivers/misc/sgi-gru/grumain.c": "mm-remap-in-fault",
            "drivers/media/v4l2-core/videobuf-dma-contig.c": "mm-follow-pfn",
            "arch/x86/kernel/cpu/sgx/virt.c": "mm-fault-mmap-lock",
            "drivers/gpu/drm/ttm/ttm_bo_vm.c": "mm-fault-mmap-lock",
            "mm/memory.c": "mm-fault-vm-flags",
            "drivers/gpu/drm/nouveau/nouveau_dmem.c": "mm-fault-errno",
        ], atMost: 2_500)
    }

    func test612DefaultRulesKeepEveryDocumentedFinding() throws {
        try defaultSelection("6.12", keeps: [
            "drivers/misc/sgi-gru/grumain.c": "mm-remap-in-fault",
            "arch/x86/kernel/cpu/sgx/virt.c": "mm-fault-mmap-lock",
            "drivers/gpu/drm/ttm/ttm_bo_vm.c": "mm-fault-mmap-lock",
            "mm/memory.c": "mm-fault-vm-flags",
            "drivers/gpu/drm/nouveau/nouveau_dmem.c": "mm-fault-errno",
            "drivers/vfio/pci/vfio_pci_core.c": "its handlers, judged clean",
        ], atMost: 2_700)
    }

    func test612WholeTreeHasNoVfioFinding() throws {
        let scan = try scan("6.12")
        XCTAssertGreaterThan(scan.sources, 30_000)
        XCTAssertEqual(scan.selection.skipped + scan.selection.files.count, scan.sources)
        XCTAssertLessThan(scan.selection.files.count, 50, "the prefilter keeps a handful: \(scan.selection.files)")
        XCTAssertFalse(scan.findings.contains { $0.contains("drivers/vfio/") }, "\(scan.findings)")
        XCTAssertEqual(scan.findings, [
            "mm-remap-in-fault drivers/misc/sgi-gru/grumain.c:960:3 gru_fault remap_pfn_range",
        ])
    }
}

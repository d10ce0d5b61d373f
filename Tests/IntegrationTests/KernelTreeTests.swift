import Foundation
import MMLintCore
import MMLintEngine
import MMLintRules
import XCTest

/// mmlint on Debian's real kernel sources, prepared once by
/// scripts/prepare-kernels.sh into a cache folder outside the clone.
final class KernelTreeTests: XCTestCase {
    func vfioFiles(_ root: String) -> [String] {
        (FileManager.default.enumerator(atPath: root + "/drivers/vfio")?.allObjects as? [String] ?? [])
            .filter { $0.hasSuffix(".c") }.sorted().map { root + "/drivers/vfio/" + $0 }
    }

    func database(_ root: String) throws -> CompileDatabase {
        try CompileDatabase(at: root + "/compile_commands.json")
    }

    /// The database's drivers/vfio entries: the files this configuration builds.
    func builtVfioFiles(_ root: String) throws -> [String] {
        try database(root).entries.keys.filter { $0.hasPrefix(root + "/drivers/vfio/") }.sorted()
    }

    /// Every one of `files` was analysed: as many units as files, each of
    /// them one of the files, and no failure. A test that asserts "no
    /// finding" proves nothing unless the files were parsed.
    @discardableResult
    func assertAnalysed(_ result: AnalysisResult, _ files: [String], _ what: String = "",
                        file: StaticString = #filePath, line: UInt = #line) -> Bool {
        XCTAssertFalse(files.isEmpty, "no file to analyse \(what)", file: file, line: line)
        XCTAssertEqual(result.failures, [], what, file: file, line: line)
        XCTAssertEqual(result.units.map(\.file).sorted(), files.sorted(), what, file: file, line: line)
        for unit in result.units {
            XCTAssertFalse(unit.functions.isEmpty, "\(what) \(unit.file) yielded no functions", file: file, line: line)
        }
        return result.failures.isEmpty && result.units.count == files.count
    }

    /// Runs the built `mmlint` in `root`: exit status, stdout, stderr.
    func mmlint(_ arguments: [String], in root: String, environment: [String: String] = [:]) throws
        -> (status: Int32, stdout: Data, stderr: String) {
        try Self.mmlint(arguments, in: root, environment: environment)
    }

    static func mmlint(_ arguments: [String], in root: String, environment: [String: String] = [:]) throws
        -> (status: Int32, stdout: Data, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: KernelCache.executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.currentDirectoryURL = URL(fileURLWithPath: root)
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, stdout, stderr)
    }

    /// The line of `needle` after the first line containing `after`.
    func line(of needle: String, after: String, in file: String) throws -> Int {
        let lines = try String(contentsOfFile: file, encoding: .utf8).components(separatedBy: "\n")
        let start = try XCTUnwrap(lines.firstIndex { $0.contains(after) })
        let index = try XCTUnwrap(lines[start...].firstIndex { $0.contains(needle) })
        return index + 1
    }

    func test61VfioGivesExactlyTheFaultHandlerRemap() throws {
        let root = try KernelCache.tree("6.1")
        let result = KernelCache.engine.analyze(AnalysisOptions(files: vfioFiles(root), compileDatabase: try database(root)))
        assertAnalysed(result, vfioFiles(root))
        XCTAssertEqual(result.kernelVersion?.major, 6)
        XCTAssertEqual(result.kernelVersion?.minor, 1)
        XCTAssertEqual(result.findings.count, 1, result.findings.map(\.message).joined(separator: "\n"))
        let finding = try XCTUnwrap(result.findings.first)
        let file = root + "/drivers/vfio/pci/vfio_pci_core.c"
        XCTAssertEqual(finding.ruleID, "mm-remap-in-fault")
        XCTAssertEqual(finding.location.file, file)
        XCTAssertEqual(finding.location.line,
                       try line(of: "io_remap_pfn_range(vma", after: "static vm_fault_t vfio_pci_mmap_fault(", in: file))
        XCTAssertEqual(finding.function, "vfio_pci_mmap_fault")
        XCTAssertEqual(finding.callee, "io_remap_pfn_range")
        XCTAssertEqual(finding.chain, [".fault of vfio_pci_mmap_ops", "vfio_pci_mmap_fault", "io_remap_pfn_range"])
        XCTAssertEqual(finding.confidence, .high)
        // 6.1 predates the v6.3 lock assertion: the message says it is coming.
        XCTAssertTrue(finding.message.contains("from v6.3 on"), finding.message)
        XCTAssertTrue(finding.suggestion.contains("vmf_insert_pfn_prot(vmf->vma, vmf->address, pfn, prot)"))
    }

    func test612VfioIsCleanAndItsHandlersWereSeen() throws {
        let root = try KernelCache.tree("6.12")
        let result = KernelCache.engine.analyze(AnalysisOptions(files: vfioFiles(root), compileDatabase: try database(root)))
        assertAnalysed(result, vfioFiles(root))
        XCTAssertEqual(result.findings.map(\.message), [])
        // Not an empty analysis: the fixed handlers are roots and reach the vmf_* call.
        let labels = Set(result.program.roots.map(\.label))
        XCTAssertTrue(labels.contains(".fault of vfio_pci_mmap_ops"), "\(labels)")
        XCTAssertTrue(labels.contains(".huge_fault of vfio_pci_mmap_ops"), "\(labels)")
        let huge = try XCTUnwrap(result.program.functions.values.first { $0.name == "vfio_pci_mmap_huge_fault" })
        XCTAssertTrue(huge.calls.contains { $0.callee == "vmf_insert_pfn" })
        // Its shortest way in is its own .huge_fault slot (#ifdef'd, compiled with THP).
        XCTAssertEqual(result.program.faultContext(of: huge.usr)?.root.label, ".huge_fault of vfio_pci_mmap_ops")
    }

    func testEveryDatabaseFileParsesWithoutErrors() throws {
        for version in ["6.1", "6.12"] {
            let root = try KernelCache.tree(version)
            let files = try builtVfioFiles(root)
            XCTAssertGreaterThanOrEqual(files.count, 14, version)
            let result = KernelCache.engine.analyze(AnalysisOptions(files: files, compileDatabase: try database(root)))
            assertAnalysed(result, files, version)
            for unit in result.units {
                XCTAssertEqual(unit.flagMode, .compileDatabase, unit.file)
                XCTAssertEqual(unit.errors.map(\.message), [], "\(version): \(unit.file)")
            }
        }
    }

    /// Kernel-tree mode (no database) parses the same files as cleanly and
    /// finds the same thing: the synthesized flags match kbuild's.
    func testKernelTreeFlagsMatchTheDatabase() throws {
        for version in ["6.1", "6.12"] {
            let root = try KernelCache.tree(version)
            let files = try builtVfioFiles(root)
            let withDatabase = KernelCache.engine.analyze(AnalysisOptions(files: files, compileDatabase: try database(root)))
            let synthesized = KernelCache.engine.analyze(AnalysisOptions(files: files))
            // Equal findings and functions mean something only when both parsed every file.
            assertAnalysed(withDatabase, files, "\(version) with the database")
            assertAnalysed(synthesized, files, "\(version) with kernel-tree flags")
            for unit in synthesized.units {
                XCTAssertEqual(unit.flagMode, .kernelTree, unit.file)
                XCTAssertEqual(unit.errors.map(\.message), [], "\(version): \(unit.file)")
            }
            XCTAssertEqual(synthesized.findings, withDatabase.findings, version)
            let (mine, theirs) = (Set(synthesized.program.functions.keys), Set(withDatabase.program.functions.keys))
            XCTAssertEqual(mine.subtracting(theirs).sorted(), [], "\(version): functions only kernel-tree flags see")
            XCTAssertEqual(theirs.subtracting(mine).sorted(), [], "\(version): functions only the database sees")
        }
    }

    /// A real follow_pfn() user (6.1's videobuf-dma-contig.c), with advice for 6.1.
    func test61FollowPfnUserGetsFollowPteAdvice() throws {
        let root = try KernelCache.tree("6.1")
        let file = root + "/drivers/media/v4l2-core/videobuf-dma-contig.c"
        let result = KernelCache.engine.analyze(AnalysisOptions(files: [file]))
        assertAnalysed(result, [file])
        XCTAssertEqual(result.units.first?.errors.map(\.message), [])
        XCTAssertEqual(result.findings.map(\.ruleID), ["mm-follow-pfn"])
        XCTAssertEqual(result.findings.first?.location.line, try line(of: "follow_pfn(vma", after: "videobuf_dma_contig_user_get", in: file))
        XCTAssertTrue(result.findings.first?.suggestion.contains("follow_pte(vma->vm_mm") ?? false)
    }

    /// Drivers whose Makefiles add include folders parse in kernel-tree mode.
    func testDriversWithMakefileIncludesParse() throws {
        for version in ["6.1", "6.12"] {
            let root = try KernelCache.tree(version)
            let files = ["drivers/gpu/drm/i915/gem/i915_gem_mman.c", "drivers/gpu/drm/nouveau/nouveau_gem.c",
                         "drivers/gpu/drm/amd/amdgpu/amdgpu_gem.c"].map { root + "/" + $0 }
            let result = KernelCache.engine.analyze(AnalysisOptions(files: files))
            // All three parsed: an empty result would pass the loop below.
            assertAnalysed(result, files, version)
            XCTAssertEqual(result.units.count, 3, version)
            for unit in result.units {
                XCTAssertEqual(unit.flagMode, .kernelTree)
                XCTAssertEqual(unit.errors.map(\.message), [], "\(version): \(unit.file)")
            }
        }
    }

    /// The command line on the real tree: database found at the root, SARIF
    /// paths relative to it, exit status 1.
    func testCommandLineOnRealTree() throws {
        let root = try KernelCache.tree("6.1")
        let (status, stdout, stderr) = try mmlint(["scan", "-v", "--format", "sarif", "drivers/vfio/pci"], in: root)
        XCTAssertEqual(status, 1, stderr)
        XCTAssertTrue(stderr.contains("drivers/vfio/pci/vfio_pci_core.c: flags from compile database"), stderr)
        let sarif = try JSONSerialization.jsonObject(with: stdout) as! [String: Any]
        let run = (sarif["runs"] as! [[String: Any]])[0]
        XCTAssertEqual((run["invocations"] as? [[String: Any]])?.first?["executionSuccessful"] as? Bool, true)
        // Every file of the folder was parsed (the summary counts them) and none failed.
        let pci = FileManager.default.enumerator(atPath: root + "/drivers/vfio/pci")?.allObjects as? [String] ?? []
        let count = pci.filter { $0.hasSuffix(".c") }.count
        XCTAssertGreaterThan(count, 5)
        let summary = try XCTUnwrap(stderr.range(of: #"mmlint: (\d+) files, (\d+) parsed(, (\d+) cached)?, \d+ parse error"#,
                                                 options: .regularExpression).map { String(stderr[$0]) }, stderr)
        let numbers = summary.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        XCTAssertEqual(numbers.first, count, summary)
        XCTAssertEqual(numbers.dropFirst().dropLast().reduce(0, +), count, "parsed + cached: \(summary)")
        XCTAssertFalse(stderr.contains("failed") || stderr.contains("could not be analysed"), stderr)
        let result = (run["results"] as! [[String: Any]])[0]
        let location = (result["locations"] as! [[String: Any]])[0]["physicalLocation"] as! [String: Any]
        XCTAssertEqual((location["artifactLocation"] as! [String: Any])["uri"] as? String, "drivers/vfio/pci/vfio_pci_core.c")
    }

    /// A file that crashes the parser (test-only fault injection in the
    /// parse worker) costs that file only: the others parsed and
    /// vfio_pci_core.c's finding still found; then the file is named and the
    /// scan exits 2, never 1 (the findings are not all there is).
    func testParserCrashOnRealTreeCostsOneFile() throws {
        let root = try KernelCache.tree("6.1")
        let (status, stdout, stderr) = try mmlint(["scan", "--no-cache", "-q", "--format", "json", "drivers/vfio/pci"],
                                                  in: root, environment: ["MMLINT_TEST_PARSE_FAULT": "crash=vfio_pci_intrs.c"])
        XCTAssertEqual(status, 2, stderr)
        XCTAssertEqual(stderr, "mmlint: error: drivers/vfio/pci/vfio_pci_intrs.c could not be analysed: "
                       + "the parser crashed (signal 11, segmentation fault)\n")
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: stdout) as? [String: Any])
        XCTAssertEqual((json["failures"] as? [[String: Any]])?.map { $0["file"] as? String },
                       ["drivers/vfio/pci/vfio_pci_intrs.c"])
        let summary = try XCTUnwrap(json["summary"] as? [String: Any])
        XCTAssertEqual(summary["failed"] as? Int, 1)
        XCTAssertEqual((summary["parsed"] as? Int).map { $0 + 1 }, summary["files"] as? Int)
        let findings = try XCTUnwrap(json["findings"] as? [[String: Any]])
        XCTAssertEqual(findings.map { "\($0["file"] ?? ""):\($0["callee"] ?? "")" },
                       ["drivers/vfio/pci/vfio_pci_core.c:io_remap_pfn_range"])
    }
}

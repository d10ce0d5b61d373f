import Foundation
import MMLintCore
import MMLintEngine
import XCTest

/// Every folder of fixtures/ is scanned as one program; its inline
/// expectations must match the findings exactly, and bare mode must parse it
/// without errors.
final class FixtureTests: XCTestCase {
    /// Every folder of fixtures/ with C files, each checked as one program.
    func testEveryFixtureFolder() throws {
        let folders = try Self.fixtureFolders()
        XCTAssertTrue(folders.contains("example") && folders.contains("rule-fault-errno"), "\(folders)")
        for name in folders {
            check(name, version: try Self.kernelVersion(in: Repo.fixtures + "/" + name))
        }
    }

    /// Folders of fixtures/ whose C files another test reads in its own way:
    /// `fix/` holds FixTests' before/after pairs.
    static let ownedElsewhere: Set = ["fix"]

    /// The folders of fixtures/ that hold C files, sorted.
    static func fixtureFolders() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: Repo.fixtures).filter {
            guard !ownedElsewhere.contains($0) else { return false }
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: Repo.fixtures + "/" + $0, isDirectory: &isDirectory)
                && isDirectory.boolValue && !cFiles(in: Repo.fixtures + "/" + $0).isEmpty
        }.sorted()
    }

    /// The version a folder is analysed at: its `/* expect-kernel-version: X.Y */`, if one file says it.
    static func kernelVersion(in dir: String) throws -> KernelVersion? {
        let pattern = try NSRegularExpression(pattern: #"/\* expect-kernel-version: ([0-9.]+) \*/"#)
        var versions: Set<KernelVersion> = []
        for file in (FileManager.default.enumerator(atPath: dir)?.allObjects as? [String] ?? [])
        where file.hasSuffix(".c") || file.hasSuffix(".h") {
            let text = try String(contentsOfFile: dir + "/" + file, encoding: .utf8)
            for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                guard let range = Range(match.range(at: 1), in: text), let version = KernelVersion(String(text[range])) else {
                    throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: dir + "/" + file])
                }
                versions.insert(version)
            }
        }
        guard versions.count <= 1 else { throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: dir]) }
        return versions.first
    }

    /// The version marker is read, and a folder without one has none.
    func testFixtureKernelVersionMarker() throws {
        XCTAssertEqual(try Self.kernelVersion(in: Repo.fixtures + "/rule-vm-flags-direct"), KernelVersion(6, 12))
        XCTAssertNil(try Self.kernelVersion(in: Repo.fixtures + "/rule-fault-errno"))
    }

    func check(_ name: String, version: KernelVersion?, file: StaticString = #filePath, line: UInt = #line) {
        let dir = Repo.fixtures + "/" + name
        let files = cFiles(in: dir)
        XCTAssertFalse(files.isEmpty, "no C files in \(dir)", file: file, line: line)
        let result = sharedEngine.analyze(AnalysisOptions(files: files, jobs: 2, kernelVersion: version))
        XCTAssertEqual(result.failures, [], file: file, line: line)
        for unit in result.units {
            XCTAssertEqual(unit.flagMode, .bare, file: file, line: line)
            XCTAssertEqual(unit.errors.map(\.message), [], "parse errors in \(unit.file)", file: file, line: line)
        }
        let (expected, noFindings) = Expectations.read(in: dir)
        XCTAssertFalse(expected.isEmpty && noFindings.isEmpty,
                       "\(name) states no expectation: add /* expect: … */ or /* expect-no-findings */",
                       file: file, line: line)
        for problem in Expectations.mismatches(findings: result.findings, expected: expected) {
            XCTFail("\(name): \(problem)", file: file, line: line)
        }
        // The scan prefilter must keep every file a finding needs: the
        // selected files give exactly the findings of all of them.
        let selection = sharedEngine.select(files: files, headerRoots: [dir], threads: 2)
        let selected = selection.files.isEmpty ? []
            : sharedEngine.analyze(AnalysisOptions(files: selection.files, jobs: 2, kernelVersion: version)).findings
        XCTAssertEqual(selected.map(describe), result.findings.map(describe),
                       "\(name): prefilter kept \(selection.files), reasons \(selection.reasons)", file: file, line: line)
    }

    /// A finding, every field a report shows.
    func describe(_ finding: Finding) -> String {
        [finding.ruleID, "\(finding.location.file):\(finding.location.line):\(finding.location.column)",
         finding.function, finding.callee, finding.chain.joined(separator: " → "), finding.confidence.rawValue,
         finding.message, finding.suggestion].joined(separator: " | ")
    }


    /// An installing mmap handler that sets nothing gives moderate
    /// confidence; no installing handler in the scan gives low, and says why.
    func testInsertNeedsFlagsConfidenceSaysWhy() {
        let result = sharedEngine.analyze(AnalysisOptions(files: cFiles(in: Repo.fixtures + "/rule-insert-needs-flags"),
                                                          jobs: 2, kernelVersion: KernelVersion(6, 1)))
        let found = result.findings.filter { $0.ruleID == "mm-insert-needs-flags" }
        XCTAssertEqual(found.map(\.function), ["fb_fault", "fb_page_fault", "fb_orphan_fault", "ring_fault", "other_gem_fault"])
        XCTAssertEqual(found.map(\.confidence), [.moderate, .moderate, .low, .moderate, .moderate])
        XCTAssertTrue(found[0].message.contains("fb_mmap(), which installs fb_vm_ops, never sets VM_PFNMAP or VM_MIXEDMAP"))
        XCTAssertTrue(found[2].message.contains("no mmap handler of the scan installs fb_orphan_vm_ops"))
        // A table declared inside its installer is known by its variable's name.
        XCTAssertTrue(found[3].message.contains("ring_mmap(), which installs ring_local_vm_ops, never sets"), found[3].message)
        // 6.1 has no vm_flags_set(): the advice is the direct write.
        XCTAssertTrue(found[0].suggestion.contains("vma->vm_flags |= VM_PFNMAP"), found[0].suggestion)
        let newer = sharedEngine.analyze(AnalysisOptions(files: cFiles(in: Repo.fixtures + "/rule-insert-needs-flags"),
                                                         jobs: 2, kernelVersion: KernelVersion(6, 12)))
        let advice = newer.findings.first { $0.ruleID == "mm-insert-needs-flags" }?.suggestion ?? ""
        XCTAssertTrue(advice.contains("vm_flags_set(vma, VM_PFNMAP)"), advice)
    }

    /// A handler reached through a wrapper is judged as the wrapper's table:
    /// its confidence (high, where the shape alone gives moderate), and for
    /// the insert rule the mmap handler that installs that table.
    func testDelegatedHandlersTakeTheTablesConfidence() throws {
        let result = sharedEngine.analyze(AnalysisOptions(files: cFiles(in: Repo.fixtures + "/rule-delegation"), jobs: 2))
        func confidence(_ rule: String, _ callee: String) -> Confidence? {
            result.findings.first { $0.ruleID == rule && $0.callee == callee }?.confidence
        }
        XCTAssertEqual(confidence("mm-fault-mmap-lock", "mmap_read_lock"), .high)
        XCTAssertEqual(confidence("mm-fault-vm-flags", "vm_flags_set"), .high)
        XCTAssertEqual(confidence("mm-remap-in-fault", "remap_pfn_range"), .high)
        let inserts = result.findings.filter { $0.ruleID == "mm-insert-needs-flags" }
        XCTAssertEqual(inserts.map(\.function), ["gpu_mmio_fault", "pci_bar_huge_fault"])
        XCTAssertEqual(inserts.map(\.confidence), [.moderate, .moderate])
        XCTAssertTrue(inserts[0].message.contains("gpu_mmio_wc_mmap(), which installs gpu_mmio_wc_vm_ops, never sets"),
                      inserts[0].message)
        XCTAssertTrue(inserts[1].message.contains("pci_bar_mmap(), which installs pci_bar_vm_ops, never sets"),
                      inserts[1].message)
    }

    /// Helper errnos are traced to where they are written; written ones are high confidence.
    func testFaultErrnoNamesTheSource() {
        let result = sharedEngine.analyze(AnalysisOptions(files: cFiles(in: Repo.fixtures + "/rule-fault-errno"), jobs: 2))
        let found = result.findings.filter { $0.ruleID == "mm-fault-errno" }
        let store = found.first { $0.function == "fs_page_mkwrite" && $0.confidence == .moderate }
        XCTAssertEqual(store?.message.contains("which can be -ENOSPC (fs_check_quota(), fs_space.c:8)"), true,
                       store?.message ?? "no finding")
        XCTAssertTrue(found.contains { $0.callee == "FS_BAD_PAGE (-133)" && $0.confidence == .high })
        XCTAssertTrue(found.allSatisfy { $0.suggestion.contains("vmf_error(err)") })
    }

    /// Before v6.3 a direct write is the only way; with no version known the rule stays silent.
    func testVmFlagsDirectNeedsAKnownV63Tree() {
        let files = cFiles(in: Repo.fixtures + "/rule-vm-flags-direct")
        for version in [KernelVersion(6, 1), KernelVersion(6, 2, 16), nil] {
            let result = sharedEngine.analyze(AnalysisOptions(files: files, jobs: 2, kernelVersion: version))
            XCTAssertEqual(result.findings.filter { $0.ruleID == "mm-vm-flags-direct" }.map(\.location.line), [],
                           "\(String(describing: version))")
        }
        let at63 = sharedEngine.analyze(AnalysisOptions(files: files, jobs: 2, kernelVersion: KernelVersion(6, 3)))
        let suggestions = at63.findings.filter { $0.ruleID == "mm-vm-flags-direct" }.map(\.suggestion)
        XCTAssertEqual(suggestions.count, 4)
        XCTAssertTrue(suggestions[0].contains("vm_flags_set(vma, flags)"), suggestions[0])
        XCTAssertTrue(suggestions[1].contains("vm_flags_clear(vma, flags)"), suggestions[1])
        XCTAssertTrue(suggestions[3].contains("vm_flags_init(vma, flags)"), suggestions[3])
    }

    /// The harness itself: a missing and an unexpected finding are both reported.
    func testHarnessReportsMissingAndUnexpected() {
        let finding = Finding(ruleID: "mm-follow-pfn", confidence: .high,
                              location: Location(file: "/x/a.c", line: 3, column: 1),
                              function: "f", callee: "follow_pfn", chain: [], message: "", suggestion: "")
        let expectation = Expectation(file: "/x/a.c", line: 4, rule: "mm-follow-pfn", chain: nil)
        let problems = Expectations.mismatches(findings: [finding], expected: [expectation])
        XCTAssertEqual(problems.count, 2)
        XCTAssertTrue(problems.contains { $0.hasPrefix("missing finding") })
        XCTAssertTrue(problems.contains { $0.hasPrefix("unexpected finding") })
    }
}

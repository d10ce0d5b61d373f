import Foundation
import MMLintCore
import MMLintEngine
import MMLintFix
import XCTest

/// `mmlint fix` on the real Linux 6.1 tree: vfio-pci's fault handler
/// remaps the whole BAR (vfio_pci_mmap_fault()); the fix must reparse with
/// the rule silent and nothing new, and the object must build with kbuild
/// and gcc. Everything happens in a throw-away view of the prepared tree:
/// hard links to the cached files, except the folder that is edited and
/// built, which is a real copy; the cached tree is checked to be untouched.
final class FixOnKernelTests: XCTestCase {
    static let repo = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static let cache: String = {
        let env = ProcessInfo.processInfo.environment
        if let explicit = env["MMLINT_KERNEL_CACHE"], !explicit.isEmpty { return explicit }
        let base = env["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (NSHomeDirectory() + "/.cache")
        return base + "/mmlint/kernels"
    }()

    func tree(_ version: String) throws -> String {
        let root = Self.cache + "/linux-source-" + version
        guard FileManager.default.fileExists(atPath: root + "/.mmlint-prepared") else {
            XCTFail("\(root) is not prepared: run scripts/prepare-kernels.sh (the test command does)")
            throw XCTSkip("no tree")
        }
        return root
    }

    @discardableResult
    func shell(_ arguments: [String], in directory: String) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// A view of `root` that a build may write into: hard links to the
    /// sources as extracted, real copies of every file the preparation
    /// built (newer than the top Makefile: objects, .cmd and .d files,
    /// generated headers, host tools; kbuild rewrites some of them in
    /// place, which through a link would write into the cache), and a real
    /// copy of `editable`, the folder the fix is written into.
    func view(of root: String, editable: String) throws -> String {
        let base = NSTemporaryDirectory() + "mmlint-fix-view-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: base) }
        let view = base + "/linux"
        let script = """
            set -e
            cp -al "$1" "$2"
            cd "$2"
            find . -type f -newer Makefile -print0 | while IFS= read -r -d '' f; do
                cp -a --remove-destination "$1/$f" "$f"
            done
            rm -rf "$3"
            cp -a "$1/$3" "$3"
            """
        let made = try shell(["bash", "-c", script, "view", root, view, editable], in: base)
        XCTAssertEqual(made.status, 0, made.output)
        return view
    }

    /// Writes `bytes` as a new file in place of `path` (never through a link).
    func replace(_ path: String, with bytes: [UInt8]) throws {
        let temporary = path + ".mmlint-new"
        try Data(bytes).write(to: URL(fileURLWithPath: temporary))
        XCTAssertEqual(rename(temporary, path), 0)
    }

    func testVfioPciMmapFaultRemapFixedAndBuilt() throws {
        let root = try tree("6.1")
        let relative = "drivers/vfio/pci/vfio_pci_core.c"
        let view = try view(of: root, editable: "drivers/vfio/pci")
        let file = view + "/" + relative
        let engine = try Engine(rulesDirectory: Self.repo + "/rules")
        let options = AnalysisOptions(files: [file], jobs: 2)
        let run = FixRun.run(engine: engine, options: options)
        XCTAssertEqual(run.analysis.failures, [])
        XCTAssertEqual(run.analysis.kernelVersion.map { "\($0.major).\($0.minor)" }, "6.1")
        let remap = run.plan.fixed.filter { $0.finding.ruleID == "mm-remap-in-fault" }
        XCTAssertEqual(remap.map(\.finding.function), ["vfio_pci_mmap_fault"])
        XCTAssertTrue(run.isVerified, "remaining \(run.remaining), introduced \(run.introduced), broken \(run.brokenFiles)")
        let diff = run.diff(root: view)
        XCTAssertTrue(diff.hasPrefix("diff --git a/\(relative) b/\(relative)\n"), diff)
        XCTAssertTrue(diff.contains("+\tret = vmf_insert_pfn(vma, vmf->address,\n"), diff)
        XCTAssertTrue(diff.contains("+\tif (ret & VM_FAULT_ERROR) {\n"), diff)
        XCTAssertTrue(diff.contains("-\t\tret = VM_FAULT_SIGBUS;\n"), diff)
        // 6.1's vfio_pci_core_mmap() sets all four flags already.
        XCTAssertFalse(diff.contains("vm_flags"), diff)
        // The printed diff applies to the tree as it is.
        try diff.write(toFile: view + "/../fix.diff", atomically: true, encoding: .utf8)
        let check = try shell(["git", "apply", "--check", "-p1", "../fix.diff"], in: view)
        XCTAssertEqual(check.status, 0, check.output)

        try replace(file, with: try XCTUnwrap(run.fixedTexts[file]))
        let after = engine.analyze(options)
        XCTAssertEqual(after.failures, [])
        XCTAssertEqual(after.findings.filter { $0.ruleID == "mm-remap-in-fault" }.map(\.function), [])
        let before = Set(run.analysis.findings.map(\.key))
        XCTAssertEqual(after.findings.filter { !before.contains($0.key) }.map(\.key), [])

        // kbuild with gcc: only the edited object is rebuilt; the stamp
        // proves nothing in the cached tree was written.
        let stamp = view + "/../stamp"
        FileManager.default.createFile(atPath: stamp, contents: Data())
        for stale in ["drivers/vfio/pci/vfio_pci_core.o", "drivers/vfio/pci/.vfio_pci_core.o.cmd"] {
            try? FileManager.default.removeItem(atPath: view + "/" + stale)
        }
        let started = Date()
        let build = try shell(["make", "-s", "ARCH=x86_64", "-j2", "drivers/vfio/pci/vfio_pci_core.o"], in: view)
        let seconds = Date().timeIntervalSince(started)
        XCTAssertEqual(build.status, 0, build.output)
        XCTAssertTrue(FileManager.default.fileExists(atPath: view + "/drivers/vfio/pci/vfio_pci_core.o"))
        print("mmlint fix: vfio_pci_core.o built in \(String(format: "%.1f", seconds)) s")
        let touched = try shell(["find", root, "-newer", stamp, "-print", "-quit"], in: view)
        XCTAssertEqual(touched.output, "", "the build wrote into the cached tree")
    }
}

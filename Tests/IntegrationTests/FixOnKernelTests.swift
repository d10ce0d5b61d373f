import Foundation
import MMLintCore
import MMLintEngine
import MMLintRules
import MMLintFix
import XCTest

/// `mmlint fix` on the real Linux 6.1 tree: vfio-pci's fault handler
/// remaps the whole BAR (vfio_pci_mmap_fault()); the fix must reparse with
/// the rule silent and nothing new, and the object must build with kbuild
/// and gcc. Everything happens in a throw-away view of the prepared tree:
/// hard links to the cached files, except the folder that is edited and
/// built, which is a real copy; the cached tree is checked to be untouched.
final class FixOnKernelTests: XCTestCase {
    static let repo = KernelCache.repo

    func tree(_ version: String) throws -> String { try KernelCache.tree(version) }

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
            cd "$1"
            find . -type f -newer Makefile -print0 | xargs -0 -r cp -a --parents --remove-destination -t "$2"
            rm -rf "$2/$3"
            cp -a "$1/$3" "$2/$3"
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

    /// What one fix-and-build run found.
    struct Outcome {
        var run: FixRun
        var diff: String
        var buildSeconds: Double
    }

    /// Writes `mutate`'s version of `relative` into a view of the prepared
    /// tree (the new code under test, made now, never stored), fixes it, checks
    /// the fix (the diff applies; rules it fixed are silent; no new finding)
    /// and builds the object with kbuild and gcc.
    func fixAndBuild(_ version: String, _ relative: String, mutate: (String) throws -> String = { $0 }) throws -> Outcome {
        let root = try tree(version)
        let view = try view(of: root, editable: (relative as NSString).deletingLastPathComponent)
        let file = view + "/" + relative
        let original = try String(contentsOfFile: file, encoding: .utf8)
        let mutated = try mutate(original)
        if mutated != original { try replace(file, with: Array(mutated.utf8)) }
        let engine = try Engine(builtins: BuiltinRules.all, rulesDirectory: Self.repo + "/rules")
        let options = AnalysisOptions(files: [file], jobs: 2)
        let run = FixRun.run(engine: engine, options: options)
        XCTAssertEqual(run.analysis.failures, [])
        XCTAssertEqual(run.analysis.kernelVersion.map { "\($0.major).\($0.minor)" }, version)
        XCTAssertTrue(run.isVerified, "remaining \(run.remaining), introduced \(run.introduced), broken \(run.brokenFiles)")
        let diff = run.diff(root: view)
        XCTAssertTrue(diff.hasPrefix("diff --git a/\(relative) b/\(relative)\n"), diff)
        try diff.write(toFile: view + "/../fix.diff", atomically: true, encoding: .utf8)
        let check = try shell(["git", "apply", "--check", "-p1", "../fix.diff"], in: view)
        XCTAssertEqual(check.status, 0, check.output)

        try replace(file, with: try XCTUnwrap(run.fixedTexts[file]))
        let after = engine.analyze(options)
        XCTAssertEqual(after.failures, [])
        let fixedRules = Set(run.plan.fixed.map(\.finding.ruleID))
        let leftKeys = Set(run.plan.left.map(\.finding.key))
        XCTAssertEqual(after.findings.filter { fixedRules.contains($0.ruleID) && !leftKeys.contains($0.key) }.map(\.key), [])
        let before = Set(run.analysis.findings.map(\.key))
        XCTAssertEqual(after.findings.filter { !before.contains($0.key) }.map(\.key), [])

        // kbuild with gcc: only the edited object is rebuilt; the stamp
        // proves nothing in the cached tree was written.
        let object = (relative as NSString).deletingPathExtension + ".o"
        let stamp = view + "/../stamp"
        FileManager.default.createFile(atPath: stamp, contents: Data())
        let folder = (object as NSString).deletingLastPathComponent
        for stale in [object, folder + "/." + (object as NSString).lastPathComponent + ".cmd"] {
            try? FileManager.default.removeItem(atPath: view + "/" + stale)
        }
        let started = Date()
        let build = try shell(["make", "-s", "ARCH=x86_64", "-j2", object], in: view)
        let seconds = Date().timeIntervalSince(started)
        XCTAssertEqual(build.status, 0, build.output)
        XCTAssertTrue(FileManager.default.fileExists(atPath: view + "/" + object))
        print("mmlint fix: \(version) \(object) built in \(String(format: "%.1f", seconds)) s")
        let touched = try shell(["find", root, "-newer", stamp, "-print", "-quit"], in: view)
        XCTAssertEqual(touched.output, "", "the build wrote into the cached tree")
        return Outcome(run: run, diff: diff, buildSeconds: seconds)
    }

    func replacing(_ text: String, _ old: String, _ new: String) throws -> String {
        guard let range = text.range(of: old) else {
            throw XCTSkip("the tree's code changed: \(old.prefix(60)) not found")
        }
        return text.replacingCharacters(in: range, with: new)
    }

    /// 6.1's vfio_pci_mmap_fault() as it is: the whole-BAR remap.
    func testVfioPciMmapFaultRemapFixedAndBuilt() throws {
        let outcome = try fixAndBuild("6.1", "drivers/vfio/pci/vfio_pci_core.c")
        XCTAssertEqual(outcome.run.plan.fixed.filter { $0.finding.ruleID == "mm-remap-in-fault" }.map(\.finding.function),
                       ["vfio_pci_mmap_fault"])
        let diff = outcome.diff
        XCTAssertTrue(diff.contains("+\tret = vmf_insert_pfn_prot(vma, vmf->address,\n"), diff)
        XCTAssertTrue(diff.contains("pgprot_decrypted(vma->vm_page_prot));\n"), diff)
        XCTAssertTrue(diff.contains("+\tif (ret & VM_FAULT_ERROR) {\n"), diff)
        XCTAssertTrue(diff.contains("-\t\tret = VM_FAULT_SIGBUS;\n"), diff)
        // 6.1's vfio_pci_core_mmap() sets all four flags already.
        XCTAssertFalse(diff.contains("vm_flags"), diff)
    }

    /// New code on 6.1, written into the copy now: an errno stored as the
    /// fault handler's vm_fault_t, and a new follow_pfn() user.
    func testErrnoAndFollowPfnOn61FixedAndBuilt() throws {
        let outcome = try fixAndBuild("6.1", "drivers/vfio/pci/vfio_pci_core.c") { text in
            var text = try self.replacing(text, "\t\tret = VM_FAULT_SIGBUS;\n\t\tgoto up_out;\n\t}\n\n\t/*",
                                          "\t\tret = -EIO;\n\t\tgoto up_out;\n\t}\n\n\t/*")
            text = try self.replacing(text, "static const struct vm_operations_struct vfio_pci_mmap_ops = {", """
                static int __maybe_unused vfio_pci_vma_pfn(struct vm_area_struct *vma, unsigned long *pfn)
                {
                \treturn follow_pfn(vma, vma->vm_start, pfn);
                }

                static const struct vm_operations_struct vfio_pci_mmap_ops = {
                """)
            return text
        }
        let fixed = Set(outcome.run.plan.fixed.map(\.finding.ruleID))
        XCTAssertEqual(fixed, ["mm-fault-errno", "mm-follow-pfn", "mm-remap-in-fault"])
        XCTAssertTrue(outcome.diff.contains("+\t\tret = vmf_error(-EIO);\n"), outcome.diff)
        XCTAssertTrue(outcome.diff.contains("+\tif (follow_pte(vma->vm_mm, vma->vm_start, &ptep, &ptl))\n"), outcome.diff)
    }

    /// New code on 6.12: the mmap handler writes vm_flags directly (which
    /// does not build on 6.12) and lost VM_PFNMAP, which the huge fault
    /// handler's vmf_insert_pfn() needs.
    func testDirectVmFlagsAndLostPfnmapOn612FixedAndBuilt() throws {
        let outcome = try fixAndBuild("6.12", "drivers/vfio/pci/vfio_pci_core.c") { text in
            try self.replacing(text, "\tvm_flags_set(vma, VM_ALLOW_ANY_UNCACHED | VM_IO | VM_PFNMAP |\n\t\t\tVM_DONTEXPAND | VM_DONTDUMP);\n",
                               "\tvma->vm_flags |= VM_ALLOW_ANY_UNCACHED | VM_IO |\n\t\t\tVM_DONTEXPAND | VM_DONTDUMP;\n")
        }
        let fixed = Set(outcome.run.plan.fixed.map(\.finding.ruleID))
        XCTAssertEqual(fixed, ["mm-vm-flags-direct", "mm-insert-needs-flags"])
        XCTAssertTrue(outcome.diff.contains("+\tvm_flags_set(vma, VM_ALLOW_ANY_UNCACHED | VM_IO |\n"), outcome.diff)
        XCTAssertTrue(outcome.diff.contains("+\tvm_flags_set(vma, VM_PFNMAP);\n \tvma->vm_ops = &vfio_pci_mmap_ops;\n"), outcome.diff)
    }

    /// 6.12's ttm as it is: two hand-written mmap_lock drops before
    /// VM_FAULT_RETRY, with the GPU wait in between, become release_fault_lock().
    func testTtmRetryDropsOn612FixedAndBuilt() throws {
        let outcome = try fixAndBuild("6.12", "drivers/gpu/drm/ttm/ttm_bo_vm.c")
        let fixed = outcome.run.plan.fixed.filter { $0.finding.ruleID == "mm-fault-mmap-lock" }
        XCTAssertEqual(fixed.map(\.finding.function).sorted(), ["ttm_bo_vm_fault_idle", "ttm_bo_vm_reserve"])
        let lines = outcome.diff.components(separatedBy: "\n")
        XCTAssertEqual(lines.filter { $0.hasPrefix("+") && $0.hasSuffix("\trelease_fault_lock(vmf);") }.count, 2, outcome.diff)
        XCTAssertEqual(lines.filter { $0.hasPrefix("-") && $0.hasSuffix("\tmmap_read_unlock(vmf->vma->vm_mm);") }.count, 2, outcome.diff)
        XCTAssertEqual(lines.filter { $0.hasPrefix("+") || $0.hasPrefix("-") }.count, 6, outcome.diff)
    }
}

import Foundation
import MMLintCheck
import MMLintCore
import MMLintEngine
import MMLintPatch
import XCTest

/// `mmlint check` (and `review`) on the real 6.1 tree, with patches made at
/// test time from the installed sources (never committed).
final class CheckOnKernelTests: XCTestCase {
    let path = "drivers/vfio/pci/vfio_pci_core.c"

    func tree(file: StaticString = #filePath, line: UInt = #line) throws -> String {
        try KernelCache.tree("6.1", file: file, line: line)
    }

    /// A unified diff of `path` from its text in the tree to `edit(text)`,
    /// made by diff(1) and wrapped as a format-patch mail.
    func patch(_ root: String, subject: String, edit: (String) throws -> String) throws -> [UInt8] {
        let original = try String(contentsOfFile: root + "/" + path, encoding: .utf8)
        let edited = try edit(original)
        XCTAssertNotEqual(edited, original, "the edit changed nothing")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mmlint-kpatch-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try edited.write(toFile: dir + "/new.c", atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/diff")
        process.arguments = ["-u", "-p", "--label", "a/" + path, "--label", "b/" + path, root + "/" + path, dir + "/new.c"]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let diff = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 1)
        let mail = """
            From: Casey Example <casey@example.org>
            To: kvm@vger.kernel.org
            Cc: Alex Maintainer <alex@example.org>
            Date: Mon, 8 Mar 2021 13:21:06 -0700
            Subject: [PATCH] \(subject)
            Message-Id: <20210308.kernel-test@example.org>

            Test patch made by mmlint's integration tests.

            ---
            diff --git a/\(path) b/\(path)

            """
        return Array(mail.utf8) + [UInt8](diff)
    }

    func replace(_ old: String, with new: String, in text: String) throws -> String {
        guard let range = text.range(of: old) else {
            XCTFail("not found in \(path): \(old)")
            throw XCTSkip("source changed")
        }
        return text.replacingCharacters(in: range, with: new)
    }

    /// Checks the mail; both versions of the file must have been analysed,
    /// or "no new finding" would mean nothing.
    func check(_ mail: [UInt8], root: String, file: StaticString = #filePath, line: UInt = #line) throws -> CheckResult {
        let series = try PatchReader.read(mail, name: "test.patch")
        let result = try PatchCheck.run(series, engine: KernelCache.engine, options: CheckOptions(
            tree: root, compileDatabase: try CompileDatabase(at: root + "/compile_commands.json")))
        XCTAssertEqual(result.mode, .tree, file: file, line: line)
        XCTAssertEqual(result.failures, [], file: file, line: line)
        XCTAssertTrue(result.isComplete, file: file, line: line)
        // Before and after the patch, plus any neighbour read for call paths.
        XCTAssertGreaterThanOrEqual(result.parsed, 2, file: file, line: line)
        return result
    }

    /// The reference situation: a new follow_pfn() in vfio_pci_mmap_fault.
    func followPfnPatch(_ root: String) throws -> [UInt8] {
        try patch(root, subject: "vfio/pci: check the mapping in the fault handler") { text in
            var text = try replace("\tvm_fault_t ret = VM_FAULT_NOPAGE;\n\n\tmutex_lock(&vdev->vma_lock);",
                                   with: "\tvm_fault_t ret = VM_FAULT_NOPAGE;\n\tunsigned long pfn;\n\n\tmutex_lock(&vdev->vma_lock);",
                                   in: text)
            text = try replace("\tif (io_remap_pfn_range(vma, vma->vm_start, vma->vm_pgoff,",
                               with: "\tif (!follow_pfn(vma, vma->vm_start, &pfn))\n\t\tgoto up_out;\n\n\tif (io_remap_pfn_range(vma, vma->vm_start, vma->vm_pgoff,",
                               in: text)
            return text
        }
    }

    func testNewFollowPfnIsTheOnlyNewFinding() throws {
        let root = try tree()
        let result = try check(try followPfnPatch(root), root: root)
        XCTAssertEqual(result.mode, .tree)
        XCTAssertEqual(result.findings.count, 1, result.findings.map(\.message).joined(separator: "\n"))
        let finding = try XCTUnwrap(result.findings.first)
        XCTAssertEqual(finding.ruleID, "mm-follow-pfn")
        XCTAssertEqual(finding.function, "vfio_pci_mmap_fault")
        XCTAssertEqual(finding.chain, [".fault of vfio_pci_mmap_ops", "vfio_pci_mmap_fault", "follow_pfn"])
        let post = try XCTUnwrap(result.outcomes.first?.images[root + "/" + path])
        let line = String(decoding: post, as: UTF8.self).components(separatedBy: "\n")[finding.location.line - 1]
        XCTAssertEqual(line, "\tif (!follow_pfn(vma, vma->vm_start, &pfn))")
        XCTAssertTrue(finding.suggestion.contains("vmf_insert_pfn_prot"), finding.suggestion)
        XCTAssertEqual(result.outcomes.first?.fixed.count, 0)
        XCTAssertEqual(result.parseErrors, 0)
    }

    func testReplacingTheRemapWithVmfInsertFixesIt() throws {
        let root = try tree()
        let mail = try patch(root, subject: "vfio/pci: insert the faulting page") { text in
            try replace("\tif (io_remap_pfn_range(vma, vma->vm_start, vma->vm_pgoff,\n\t\t\t       vma->vm_end - vma->vm_start,\n\t\t\t       vma->vm_page_prot)) {",
                        with: "\tif (vmf_insert_pfn_prot(vma, vmf->address,\n\t\t\t\tvma->vm_pgoff + ((vmf->address - vma->vm_start) >> PAGE_SHIFT),\n\t\t\t\tvma->vm_page_prot) & VM_FAULT_ERROR) {",
                        in: text)
        }
        let result = try check(mail, root: root)
        XCTAssertEqual(result.findings.count, 0, result.findings.map(\.message).joined(separator: "\n"))
        XCTAssertEqual(result.outcomes.first?.fixed.map(\.callee), ["io_remap_pfn_range"])
    }

    func testRemapInTheMmapHandlerIsFine() throws {
        let root = try tree()
        let mail = try patch(root, subject: "vfio/pci: map at mmap time") { text in
            try replace("\tvma->vm_ops = &vfio_pci_mmap_ops;",
                        with: "\tif (io_remap_pfn_range(vma, vma->vm_start, vma->vm_pgoff,\n\t\t\t       vma->vm_end - vma->vm_start, vma->vm_page_prot))\n\t\treturn -EAGAIN;\n\tvma->vm_ops = &vfio_pci_mmap_ops;",
                        in: text)
        }
        let result = try check(mail, root: root)
        XCTAssertEqual(result.findings.count, 0, result.findings.map(\.message).joined(separator: "\n"))
        XCTAssertEqual(result.outcomes.first?.fixed.count, 0)
    }

    /// review: one reply that quotes the added follow_pfn() line and puts the
    /// comment right under it.
    func testReviewRepliesUnderTheAddedLine() throws {
        let root = try tree()
        let result = try check(try followPfnPatch(root), root: root)
        let replies = ReviewWriter.replies(for: result, root: root, options: ReviewOptions(
            from: "Ada Reviewer <ada@example.org>", signOff: "Ada"))
        XCTAssertEqual(replies.count, 1)
        let body = try XCTUnwrap(replies.first?.message.components(separatedBy: "\n\n").dropFirst().joined(separator: "\n\n"))
        let lines = body.components(separatedBy: "\n")
        let quoted = try XCTUnwrap(lines.firstIndex(of: "> +\tif (!follow_pfn(vma, vma->vm_start, &pfn))"), body)
        XCTAssertEqual(lines[quoted + 1], "")
        XCTAssertTrue(lines[quoted + 2].hasPrefix("follow_pfn() in a fault path"), lines[quoted + 2])
        XCTAssertTrue(body.contains("> diff --git a/\(path) b/\(path)"), body)
        XCTAssertFalse(body.contains("io_remap_pfn_range() maps"), "the old finding is not the author's: \(body)")
    }

    /// The reproducer of a gate that failed open: every parse times out, so
    /// nothing is known about the patch. The checkpatch output b4 reads has
    /// an ERROR line naming the file, stderr stays empty, and the exit
    /// status is 2 (it was 0, with nothing printed).
    func testTimeoutOnTheRealTreeFailsClosed() throws {
        let root = try tree()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mmlint-kcheck-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data(try followPfnPatch(root)).write(to: URL(fileURLWithPath: dir + "/x.patch"))
        // No fact cache: the tree's file before the patch must be parsed
        // (and time out) too, whatever an earlier run left cached.
        let arguments = ["check", "--no-cache", "--tree", root, "--format", "checkpatch", dir + "/x.patch"]
        let (status, stdout, stderr) = try KernelTreeTests.mmlint(arguments, in: dir,
                                                                  environment: ["MMLINT_PARSE_TIMEOUT": "0.01"])
        XCTAssertEqual(status, 2, stderr)
        XCTAssertEqual(stderr, "")
        XCTAssertEqual(String(decoding: stdout, as: UTF8.self),
                       "\(path): ERROR: mmlint could not analyse this file (before and after the patch): parsing took longer "
                       + "than 0.01 s and was stopped (MMLINT_PARSE_TIMEOUT sets the limit); mm API misuse in it would go unseen\n")

        // With the default timeout the same command reports the finding, and only it.
        let normal = try KernelTreeTests.mmlint(arguments, in: dir)
        XCTAssertEqual(normal.status, 1, normal.stderr)
        let lines = String(decoding: normal.stdout, as: UTF8.self).split(separator: "\n")
        XCTAssertEqual(lines.count, 1, "\(lines)")
        XCTAssertTrue(lines.first?.hasPrefix("\(path):") ?? false, "\(lines)")
        XCTAssertTrue(lines.first?.hasSuffix("[mm-follow-pfn]") ?? false, "\(lines)")
    }
}

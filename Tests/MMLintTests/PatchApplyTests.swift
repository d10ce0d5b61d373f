import Foundation
import MMLintPatch
import XCTest

/// Applying patches in memory: exact and shifted positions, git's anchoring, line bookkeeping, errors.
final class PatchApplyTests: XCTestCase {
    private let ringPath = "drivers/misc/ring/ring-fault.c"

    /// single.patch: two hunks against ring-fault.c.orig.
    private func ringPatch() throws -> FilePatch {
        try XCTUnwrap(try PatchReader.read(try patchFixture("single.patch"), name: "single.patch").patches.first?.files.first)
    }

    /// Post-image lines → pre-image lines of single.patch applied at its stated position.
    private var ringLineMap: [Int: Int] {
        var map: [Int: Int] = [:]
        for line in 1...24 { map[line] = line }
        for (post, pre) in [(29, 27), (30, 28), (32, 31), (34, 35), (35, 36), (36, 37), (48, 48), (49, 49)] {
            map[post] = pre
        }
        for line in 37...45 { map[line] = line + 1 }
        return map
    }

    func testTwoHunksAtTheirStatedPositions() throws {
        let applied = try PatchApplier.apply(try ringPatch(), to: try patchFixture("ring-fault.c.orig"))
        XCTAssertEqual(applied.path, ringPath)
        XCTAssertEqual(patchText(try XCTUnwrap(applied.post)), patchText(try patchFixture("ring-fault.c.post")))
        XCTAssertEqual(applied.addedLines, [25, 26, 27, 28, 31, 33, 46, 47])
        XCTAssertEqual(applied.hunkRanges, [22...36, 43...49])
        XCTAssertEqual(applied.lineMap, ringLineMap)
        XCTAssertEqual(applied.lineMap.count, 49 - 8)
    }

    func testHunksFoundFiveLinesLater() throws {
        let extra = ["#include <linux/io.h>", "#include <linux/fs.h>", "#include <linux/mutex.h>",
                     "#include <linux/pfn.h>", "#include <linux/errno.h>"]
        let original = inserting(extra, after: 6, into: try patchFixture("ring-fault.c.orig"))
        let applied = try PatchApplier.apply(try ringPatch(), to: original)
        XCTAssertEqual(patchText(try XCTUnwrap(applied.post)),
                       patchText(inserting(extra, after: 6, into: try patchFixture("ring-fault.c.post"))))
        XCTAssertEqual(applied.addedLines, [30, 31, 32, 33, 36, 38, 51, 52])
        XCTAssertEqual(applied.hunkRanges, [27...41, 48...54])
        var map: [Int: Int] = [:]
        for (post, pre) in ringLineMap { map[post > 6 ? post + 5 : post] = pre > 6 ? pre + 5 : pre }
        for line in 7...11 { map[line] = line }
        XCTAssertEqual(applied.lineMap, map)
    }

    func testHunksFoundThreeLinesEarlier() throws {
        let original = removing(9...11, from: try patchFixture("ring-fault.c.orig"))
        let applied = try PatchApplier.apply(try ringPatch(), to: original)
        XCTAssertEqual(patchText(try XCTUnwrap(applied.post)), patchText(removing(9...11, from: try patchFixture("ring-fault.c.post"))))
        XCTAssertEqual(applied.addedLines, [22, 23, 24, 25, 28, 30, 43, 44])
        XCTAssertEqual(applied.hunkRanges, [19...33, 40...46])
        var map: [Int: Int] = [:]
        for (post, pre) in ringLineMap where !(9...11).contains(post) { map[post > 11 ? post - 3 : post] = pre > 11 ? pre - 3 : pre }
        XCTAssertEqual(applied.lineMap, map)
    }

    func testContextMismatchNamesFileHunkAndHeader() throws {
        let original = patchText(try patchFixture("ring-fault.c.orig"))
            .replacingOccurrences(of: "\tvma->vm_ops = &ring_vm_ops;", with: "\tvma->vm_ops = &ring_ops;")
        XCTAssertThrowsError(try PatchApplier.apply(try ringPatch(), to: Array(original.utf8))) { error in
            XCTAssertEqual(error as? PatchError,
                           .hunkDoesNotApply(file: ringPath, hunk: 2, header: "@@ -44,6 +43,7 @@", reason: "context not found"))
            XCTAssertEqual("\(error)", "drivers/misc/ring/ring-fault.c: hunk 2 (@@ -44,6 +43,7 @@) does not apply: context not found")
        }
    }

    func testNearestMatchWinsAndTheEarlierOnATie() throws {
        let hunk = "@@ -5,3 +5,3 @@\n x\n-y\n+Y\n z\n"
        // Stated at line 5; x y z at lines 2–4 (3 away) and 7–9 (2 away).
        let nearest = try applyPlain(hunk, to: "a\nx\ny\nz\nb\nc\nx\ny\nz\n")
        XCTAssertEqual(patchText(try XCTUnwrap(nearest.post)), "a\nx\ny\nz\nb\nc\nx\nY\nz\n")
        // x y z at lines 2–4 and 8–10, both 3 away.
        let tie = try applyPlain(hunk, to: "a\nx\ny\nz\nb\nc\nd\nx\ny\nz\n")
        XCTAssertEqual(patchText(try XCTUnwrap(tie.post)), "a\nx\nY\nz\nb\nc\nd\nx\ny\nz\n")
    }

    func testHunkNeverAppliesBeforeThePreviousOne() throws {
        // The second hunk claims line 2, where its context is, but the first hunk already ended at line 6.
        let diff = "@@ -4,3 +4,3 @@\n z\n-q\n+Q\n x\n@@ -2,3 +2,3 @@\n x\n-y\n+Y\n z\n"
        let applied = try applyPlain(diff, to: "p\nx\ny\nz\nq\nx\ny\nz\nr\nx\ny\nz\n")
        XCTAssertEqual(patchText(try XCTUnwrap(applied.post)), "p\nx\ny\nz\nQ\nx\ny\nz\nr\nx\nY\nz\n")
        XCTAssertEqual(applied.hunkRanges, [4...6, 10...12])
    }

    func testHunkAtLineOneMustMatchAtTheTop() throws {
        let hunk = "@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"
        XCTAssertEqual(patchText(try XCTUnwrap(try applyPlain(hunk, to: "a\nb\nc\nd\n").post)), "a\nB\nc\nd\n")
        XCTAssertThrowsError(try applyPlain(hunk, to: "new\na\nb\nc\nd\n")) { error in
            XCTAssertEqual("\(error)", "x.c: hunk 1 (@@ -1,3 +1,3 @@) does not apply: context not found")
        }
    }

    func testHunkWithoutTrailingContextMustMatchAtTheEnd() throws {
        let series = try PatchReader.read(try patchFixture("series.mbox"), name: "series.mbox")
        var content = try patchFixture("tally.c.orig")
        for patch in series.patches.prefix(2) {
            content = try XCTUnwrap(PatchApplier.apply(patch.files[0], to: content).post)
        }
        let third = series.patches[2].files[0]
        XCTAssertEqual(third.hunks[1].lines.last?.kind, .added)
        XCTAssertNoThrow(try PatchApplier.apply(third, to: content))
        XCTAssertThrowsError(try PatchApplier.apply(third, to: content + Array("/* end */\n".utf8))) { error in
            XCTAssertEqual(error as? PatchError, .hunkDoesNotApply(file: "lib/tally.c", hunk: 2, header: "@@ -31,3 +32,8 @@",
                                                                   reason: "context not found"))
        }
    }

    func testNewFileFromNothing() throws {
        let file = try fileKinds()[3]
        let applied = try PatchApplier.apply(file, to: nil)
        XCTAssertEqual(applied.path, "drivers/misc/ring/Kconfig.debug")
        XCTAssertEqual(patchText(try XCTUnwrap(applied.post)),
                       "config RING_DEBUG\n\tbool \"Ring buffer debugging\"\n\tdepends on RING\n\thelp\n\t  Check ring offsets on every fault.\n")
        XCTAssertEqual(applied.addedLines, [1, 2, 3, 4, 5])
        XCTAssertEqual(applied.hunkRanges, [1...5])
        XCTAssertEqual(applied.lineMap, [:])
        XCTAssertThrowsError(try PatchApplier.apply(file, to: [])) { error in
            XCTAssertEqual("\(error)", "drivers/misc/ring/Kconfig.debug: the patch creates this file, but it already exists")
        }
    }

    func testDeletedFileHasNoPostImage() throws {
        let file = try fileKinds()[4]
        let original = "int ring_legacy_probe(void)\n{\n\treturn 0;\n}\n"
        let applied = try PatchApplier.apply(file, to: Array(original.utf8))
        XCTAssertEqual(applied.path, "drivers/misc/ring/ring_legacy.c")
        XCTAssertNil(applied.post)
        XCTAssertEqual(applied.addedLines, [])
        XCTAssertEqual(applied.hunkRanges, [])
        XCTAssertEqual(applied.lineMap, [:])
        XCTAssertThrowsError(try PatchApplier.apply(file, to: Array((original + "int keep;\n").utf8))) { error in
            XCTAssertEqual(error as? PatchError, .deletionLeavesContent(file: "drivers/misc/ring/ring_legacy.c"))
        }
    }

    func testPureRenameKeepsTheContent() throws {
        let file = try fileKinds()[1]
        let applied = try PatchApplier.apply(file, to: Array("Ring\n====\n".utf8))
        XCTAssertEqual(applied.path, "Documentation/misc/ring-buffer.rst")
        XCTAssertEqual(applied.post, Array("Ring\n====\n".utf8))
        XCTAssertEqual(applied.lineMap, [1: 1, 2: 2])
        XCTAssertEqual(applied.hunkRanges, [])
    }

    func testMissingFileAndBinaryPatchAreErrors() throws {
        XCTAssertThrowsError(try PatchApplier.apply(try ringPatch(), to: nil)) { error in
            XCTAssertEqual("\(error)", "drivers/misc/ring/ring-fault.c: the patch changes this file, but it does not exist")
        }
        XCTAssertThrowsError(try PatchApplier.apply(try fileKinds()[6], to: nil)) { error in
            XCTAssertEqual("\(error)", "firmware/ring/fw.bin: binary patch cannot be applied")
        }
    }

    func testNoNewlineAtEndOnBothSides() throws {
        let files = try XCTUnwrap(try PatchReader.read(try patchFixture("no-newline.patch"), name: "no-newline.patch").patches.first?.files)
        // Old side without a final newline, new side with one.
        let makefile = try PatchApplier.apply(files[0], to: Array("obj-y += demo.o\nobj-y += tally.o".utf8))
        XCTAssertEqual(makefile.post, Array("obj-y += demo.o\nobj-y += tally.o\n".utf8))
        XCTAssertEqual(makefile.addedLines, [2])
        XCTAssertEqual(makefile.lineMap, [1: 1])
        // Neither side has one.
        let version = try PatchApplier.apply(files[1], to: Array("/* demo version */\n#define DEMO_MAJOR 1\n#define DEMO_MINOR 4".utf8))
        XCTAssertEqual(version.post, Array("/* demo version */\n#define DEMO_MAJOR 1\n#define DEMO_MINOR 5".utf8))
        XCTAssertEqual(version.hunkRanges, [1...3])
        // The marker is part of the context: a file that does end in a newline does not match.
        XCTAssertThrowsError(try PatchApplier.apply(files[1], to: Array("/* demo version */\n#define DEMO_MAJOR 1\n#define DEMO_MINOR 4\n".utf8))) { error in
            XCTAssertEqual("\(error)", "drivers/misc/demo/version.h: hunk 1 (@@ -1,3 +1,3 @@) does not apply: context not found")
        }
    }

    func testNoNewlineMarkerOnAMiddleLineIsRejected() {
        // A -U0 hunk inserting a line without newline after line 1 of two.
        let hunk = Hunk(oldStart: 1, oldCount: 0, newStart: 2, newCount: 1, header: "@@ -1,0 +2 @@",
                        lines: [HunkLine(kind: .added, text: Array("x".utf8), noNewlineAtEnd: true)])
        let file = FilePatch(oldPath: "a.txt", newPath: "a.txt", hunks: [hunk])
        XCTAssertEqual(try PatchApplier.apply(file, to: Array("a\n".utf8)).post, Array("a\nx".utf8))
        XCTAssertThrowsError(try PatchApplier.apply(file, to: Array("a\nb\n".utf8))) { error in
            XCTAssertEqual("\(error)", "a.txt: hunk 1 (@@ -1,0 +2 @@) does not apply: \"No newline at end of file\" marks a line that is not the last")
        }
    }

    // MARK: helpers

    private func fileKinds() throws -> [FilePatch] {
        try XCTUnwrap(try PatchReader.read(try patchFixture("file-kinds.patch"), name: "file-kinds.patch").patches.first?.files)
    }

    private func applyPlain(_ hunks: String, to original: String) throws -> AppliedFile {
        let series = try PatchReader.read(Array(("--- a/x.c\n+++ b/x.c\n" + hunks).utf8), name: "t.diff")
        return try PatchApplier.apply(try XCTUnwrap(series.patches.first?.files.first), to: Array(original.utf8))
    }

    private func inserting(_ extra: [String], after line: Int, into bytes: [UInt8]) -> [UInt8] {
        var lines = patchText(bytes).components(separatedBy: "\n")
        lines.insert(contentsOf: extra, at: line)
        return Array(lines.joined(separator: "\n").utf8)
    }

    private func removing(_ range: ClosedRange<Int>, from bytes: [UInt8]) -> [UInt8] {
        var lines = patchText(bytes).components(separatedBy: "\n")
        lines.removeSubrange((range.lowerBound - 1)...(range.upperBound - 1))
        return Array(lines.joined(separator: "\n").utf8)
    }
}

import Foundation
import MMLintPatch
import XCTest

/// Reading patches from fixtures/patches: mails, mboxes, MIME, plain diffs and every kind of file header.
final class PatchReadingTests: XCTestCase {
    func testSingleFormatPatchMail() throws {
        let series = try readFixture("single.patch")
        XCTAssertEqual(series.notes, [])
        XCTAssertEqual(series.patches.count, 1)
        let patch = series.patches[0]
        XCTAssertEqual(patch.subject, "ring: insert one page per fault instead of mapping the whole ring")
        XCTAssertEqual(patch.fullSubject, "[PATCH v2 3/5] ring: insert one page per fault instead of mapping the whole ring")
        XCTAssertEqual(patch.index, 3)
        XCTAssertEqual(patch.total, 5)
        XCTAssertEqual(patch.from, "Jane Doe <jane@example.org>")
        XCTAssertEqual(patch.date, "Tue, 4 Mar 2025 10:12:45 +0100")
        XCTAssertEqual(patch.messageID, "<20250304091245.3-jane@example.org>")
        XCTAssertEqual(patch.inReplyTo, "<20250304091245.0-jane@example.org>")
        XCTAssertEqual(patch.references, ["<20250304091245.0-jane@example.org>", "<20250304091245.2-jane@example.org>"])
        XCTAssertEqual(patch.to, ["\"Maintainer, Ring\" <ring-maint@example.org>", "linux-mm@example.org"])
        XCTAssertEqual(patch.cc, ["Alex Roe <alex@example.net>", "(reviewer) sam@example.com"])
        XCTAssertEqual(patch.notes, [])

        XCTAssertEqual(patch.files.count, 1)
        let file = patch.files[0]
        XCTAssertEqual(file.oldPath, "drivers/misc/ring/ring-fault.c")
        XCTAssertEqual(file.newPath, "drivers/misc/ring/ring-fault.c")
        XCTAssertEqual(file.path, "drivers/misc/ring/ring-fault.c")
        XCTAssertEqual([file.isNew, file.isDeleted, file.isRename, file.isCopy, file.isBinary], [false, false, false, false, false])
        XCTAssertEqual(file.oldMode, "100644")
        XCTAssertEqual(file.newMode, "100644")

        XCTAssertEqual(file.hunks.map { [$0.oldStart, $0.oldCount, $0.newStart, $0.newCount] }, [[22, 16, 22, 15], [44, 6, 43, 7]])
        XCTAssertEqual(file.hunks.map(\.section), ["static vm_fault_t ring_fault(struct vm_fault *vmf)",
                                                   "static int ring_mmap(struct file *file, struct vm_area_struct *vma)"])
        XCTAssertEqual(file.hunks[0].header, "@@ -22,16 +22,15 @@ static vm_fault_t ring_fault(struct vm_fault *vmf)")
        XCTAssertEqual(file.hunks[0].lines.filter { $0.kind == .context }.count, 9)
        XCTAssertEqual(file.hunks[0].lines.filter { $0.kind == .removed }.count, 7)
        XCTAssertEqual(file.hunks[0].lines.filter { $0.kind == .added }.count, 6)
        XCTAssertEqual(renderHunk(file.hunks[1]), [
            " ",
            " \tvma->vm_private_data = ring;",
            " \tvma->vm_ops = &ring_vm_ops;",
            "-\tvm_flags_set(vma, VM_IO | VM_PFNMAP);",
            "+\t/* Pages are inserted one at a time by ring_fault(). */",
            "+\tvm_flags_set(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND);",
            " \treturn 0;",
            " }",
        ])

        // Line numbers point into the decoded body, for quoting the patch later.
        let body = patchLines(patch.body)
        XCTAssertEqual(body[0], "ring_fault() remaps the whole ring from the fault handler, which")
        XCTAssertEqual(patch.diffLineOffset, 11)
        XCTAssertEqual(body[11], "diff --git a/drivers/misc/ring/ring-fault.c b/drivers/misc/ring/ring-fault.c")
        XCTAssertEqual(file.hunks.map(\.bodyLine), [15, 38])
        XCTAssertEqual(file.hunks.map { body[$0.bodyLine] }, file.hunks.map(\.header))
    }

    func testMboxSeriesSkipsCoverLetterAndReplyAndOrdersByIndex() throws {
        let series = try readFixture("series.mbox")
        XCTAssertEqual(series.notes, [
            "series.mbox (message 1): skipped cover letter \"[PATCH 0/3] tally: count unmapped pages\"",
            "series.mbox (message 3): skipped \"Re: [PATCH 1/3] tally: count unmapped pages\": no diff",
        ])
        XCTAssertEqual(series.patches.map(\.subject), ["tally: count unmapped pages",
                                                       "tally: subtract unmapped pages when reading",
                                                       "tally: add tally_show()"])
        XCTAssertEqual(series.patches.map(\.index), [1, 2, 3])
        XCTAssertEqual(series.patches.map(\.total), [3, 3, 3])
        XCTAssertEqual(series.patches.map(\.messageID), ["<tally-1@example.com>", "<tally-2@example.com>", "<tally-3@example.com>"])
        XCTAssertEqual(series.patches.map { $0.files.map(\.path) }, [["lib/tally.c"], ["lib/tally.c"], ["lib/tally.c"]])
        XCTAssertEqual(series.patches.map { $0.files[0].hunks.count }, [2, 1, 2])

        // mboxrd: one level of ">" quoting before "From " is undone.
        let body = patchLines(series.patches[1].body)
        XCTAssertEqual(Array(body[0...2]), ["From now on tally_read() reports pages that are still mapped.",
                                            "The old comment said:",
                                            ">From the pool's point of view every page counts."])

        // Applied in order, the series gives the expected file.
        var content = try patchFixture("tally.c.orig")
        for patch in series.patches {
            content = try XCTUnwrap(PatchApplier.apply(patch.files[0], to: content).post)
        }
        XCTAssertEqual(patchText(content), patchText(try patchFixture("tally.c.post")))
    }

    func testQuotedPrintableLatin1MailWithEncodedWords() throws {
        let series = try readFixture("qp-latin1.eml")
        XCTAssertEqual(series.notes, [])
        let patch = try XCTUnwrap(series.patches.first)
        XCTAssertEqual(patch.from, "René François <rene@example.org>")
        XCTAssertEqual(patch.fullSubject, "[PATCH] gpio: demo: fix René's off-by-one")
        XCTAssertEqual(patch.subject, "gpio: demo: fix René's off-by-one")
        XCTAssertNil(patch.index)
        XCTAssertNil(patch.total)
        XCTAssertEqual(patch.messageID, "<qp-1@example.org>")
        XCTAssertEqual(patch.to, ["linux-gpio@example.org"])
        let body = patchLines(patch.body)
        // The soft line break joins the first two lines.
        XCTAssertEqual(Array(body[0...2]), [
            "The demo driver reads one bit past the end of the line table. Spotted by José while testing on the révision B board.",
            "",
            "Signed-off-by: René François <rene@example.org>",
        ])
        let hunk = try XCTUnwrap(patch.files.first?.hunks.first)
        XCTAssertEqual(hunk.section, "static int demo_get(struct gpio_chip *chip, unsigned int offset)")
        XCTAssertEqual(renderHunk(hunk), [
            " {",
            " \tstruct demo_gpio *dg = gpiochip_get_data(chip);",
            " ",
            "-\tif (offset > dg->nr_lines)",
            "+\tif (offset >= dg->nr_lines)",
            " \t\treturn -EINVAL;",
            " \t/* Bit layout as described by René in the board manual, section 4.2, table 7. */",
            " \treturn !!(readl(dg->base + DEMO_DATA) & BIT(offset));",
            " }",
        ])
        // "=20" was the space of an empty context line; Latin-1 é became UTF-8.
        XCTAssertEqual(hunk.lines[2].text, [])
        XCTAssertEqual(Array(hunk.lines[6].text[31...35]), Array("René".utf8))
    }

    func testBase64BodyKeepsInvalidUTF8AndJoinsSplitEncodedWords() throws {
        let patch = try XCTUnwrap(try readFixture("base64.eml").patches.first)
        // "ë" is split across two base64 encoded-words.
        XCTAssertEqual(patch.subject, "mm/demo_pool: credit Zoë for the marker fix")
        // The comma of the decoded display name does not split the address list.
        XCTAssertEqual(patch.to, ["Kim Lee, Jr. <kim.jr@example.com>", "linux-mm@example.org"])
        XCTAssertEqual(patchLines(patch.body)[0], "Zoë found that the demo pool never clears the legacy marker byte.")
        let file = try XCTUnwrap(patch.files.first)
        XCTAssertEqual(file.path, "mm/demo_pool.c")
        let added = file.hunks[0].lines.filter { $0.kind == .added }
        XCTAssertEqual(added.map(\.text), [Array("\t/* legacy marker: ".utf8) + [0xFF] + Array(" */".utf8),
                                           Array("\tpool->marker[0] = 0;".utf8)])
        XCTAssertEqual(file.hunks[0].lines.last, HunkLine(kind: .context, text: []))
    }

    func testCRLFMailIsNormalised() throws {
        let raw = try patchFixture("crlf.eml")
        XCTAssertTrue(patchText(raw).contains("\r\n"), "the fixture must keep its CRLF line ends")
        let patch = try XCTUnwrap(try PatchReader.read(raw, name: "crlf.eml").patches.first)
        XCTAssertFalse(patch.body.contains(UInt8(ascii: "\r")))
        XCTAssertEqual(patch.subject, "ring: mark the bad offset branch unlikely")
        XCTAssertEqual(patch.from, "Sam Poe <sam@example.com>")
        let hunk = try XCTUnwrap(patch.files.first?.hunks.first)
        XCTAssertEqual(hunk.section, "struct ring_dev {")
        XCTAssertEqual(renderHunk(hunk)[3...4], ["-\tif (pgoff >= ring->nr_pages)", "+\tif (unlikely(pgoff >= ring->nr_pages))"])

        let original = try patchFixture("ring-fault.c.orig")
        let applied = try PatchApplier.apply(patch.files[0], to: original)
        XCTAssertEqual(patchText(try XCTUnwrap(applied.post)),
                       patchText(original).replacingOccurrences(of: "\tif (pgoff >= ring->nr_pages)",
                                                           with: "\tif (unlikely(pgoff >= ring->nr_pages))"))
    }

    func testMultipartAttachmentIsUsedAndHTMLIgnored() throws {
        let series = try readFixture("multipart.eml")
        XCTAssertEqual(series.patches.count, 1)
        let patch = series.patches[0]
        XCTAssertEqual(patch.subject, "ring: document why the mapping is not expandable")
        XCTAssertEqual(patch.cc, ["linux-mm@example.org"])
        let body = patchText(patch.body)
        XCTAssertTrue(body.hasPrefix("Hi Jane,\n\nmy mailer mangles inline patches"), body)
        XCTAssertFalse(body.contains("<html>"))
        XCTAssertFalse(body.contains("dmesg") || body.contains("fault at offset 17"))
        // The text part ends in a signature; the diff in the attachment after it still counts.
        XCTAssertEqual(patch.files.map(\.path), ["drivers/misc/ring/ring-fault.c"])
        XCTAssertEqual(patchLines(patch.body)[patch.diffLineOffset],
                       "diff --git a/drivers/misc/ring/ring-fault.c b/drivers/misc/ring/ring-fault.c")
        let hunk = patch.files[0].hunks[0]
        XCTAssertEqual([hunk.oldStart, hunk.oldCount, hunk.newStart, hunk.newCount], [44, 6, 44, 7])
        XCTAssertEqual(hunk.lines.filter { $0.kind == .added }.map { patchText($0.text) },
                       ["\t/* ring_fault() inserts single pages: mremap must not grow the VMA. */"])
    }

    func testPlainDiffWithTimestampsAndEpochNewFile() throws {
        let series = try readFixture("plain.diff")
        let patch = try XCTUnwrap(series.patches.first)
        XCTAssertNil(patch.subject)
        XCTAssertNil(patch.from)
        XCTAssertNil(patch.index)
        XCTAssertEqual(patch.diffLineOffset, 1)
        XCTAssertEqual(patch.files.map(\.oldPath), ["lib/tally.c", nil])
        XCTAssertEqual(patch.files.map(\.newPath), ["lib/tally.c", "lib/tally.h"])
        XCTAssertEqual(patch.files.map(\.isNew), [false, true])
        XCTAssertEqual(patch.files[0].hunks.map(\.section), ["", ""])
        XCTAssertEqual(patch.files[0].hunks.map(\.header), ["@@ -8,6 +8,7 @@", "@@ -15,6 +16,11 @@"])
        XCTAssertEqual(patch.files[1].hunks.map { [$0.oldStart, $0.oldCount, $0.newStart, $0.newCount] }, [[0, 0, 1, 8]])

        let applied = try PatchApplier.apply(patch.files[1], to: nil)
        XCTAssertEqual(patchText(try XCTUnwrap(applied.post)), """
            /* SPDX-License-Identifier: GPL-2.0 */
            #ifndef _DEMO_TALLY_H
            #define _DEMO_TALLY_H

            struct tally;
            void tally_unmap(struct tally *t, unsigned long nr);

            #endif

            """)
    }

    func testGitFileKinds() throws {
        let series = try readFixture("file-kinds.patch")
        let patch = try XCTUnwrap(series.patches.first)
        XCTAssertNil(patch.subject)
        XCTAssertEqual(patch.diffLineOffset, 8)
        XCTAssertEqual(patch.notes, ["firmware/ring/fw.bin: binary diff skipped",
                                     "firmware/ring/table.bin: binary diff skipped"])
        let files = patch.files
        XCTAssertEqual(files.map(\.oldPath), [
            "drivers/misc/ring/ring.h", "Documentation/misc/ring.rst", "drivers/misc/ring/ring-fault.c", nil,
            "drivers/misc/ring/ring_legacy.c", "scripts/ring test.sh", nil, "firmware/ring/table.bin", nil,
        ])
        XCTAssertEqual(files.map(\.newPath), [
            "drivers/misc/ring/ring_dev.h", "Documentation/misc/ring-buffer.rst", "drivers/misc/ring/ring-fault-v2.c",
            "drivers/misc/ring/Kconfig.debug", nil, "scripts/ring test.sh", "firmware/ring/fw.bin",
            "firmware/ring/table.bin", "Documentation/misc/café.txt",
        ])
        XCTAssertEqual(files.map(\.isRename), [true, true, false, false, false, false, false, false, false])
        XCTAssertEqual(files.map(\.isCopy), [false, false, true, false, false, false, false, false, false])
        XCTAssertEqual(files.map(\.isNew), [false, false, false, true, false, false, true, false, true])
        XCTAssertEqual(files.map(\.isDeleted), [false, false, false, false, true, false, false, false, false])
        XCTAssertEqual(files.map(\.isBinary), [false, false, false, false, false, false, true, true, false])
        XCTAssertEqual(files.map(\.hunks.count), [1, 0, 0, 1, 1, 0, 0, 0, 1])
        XCTAssertEqual(files.map(\.oldMode), ["100644", nil, nil, nil, "100644", "100644", nil, "100644", nil])
        XCTAssertEqual(files.map(\.newMode), ["100644", nil, nil, "100644", nil, "100755", "100644", "100644", "100644"])
        XCTAssertEqual(files[4].path, "drivers/misc/ring/ring_legacy.c")
        XCTAssertEqual(renderHunk(files[0].hunks[0]), [
            " /* SPDX-License-Identifier: GPL-2.0 */",
            "-#ifndef _RING_H",
            "-#define _RING_H",
            "+#ifndef _RING_DEV_H",
            "+#define _RING_DEV_H",
            " ",
            " struct ring_dev;",
            " int ring_setup(struct ring_dev *ring);",
        ])
        XCTAssertEqual(files[4].hunks.map { [$0.oldStart, $0.oldCount, $0.newStart, $0.newCount] }, [[1, 4, 0, 0]])
        // "@@ -0,0 +1 @@": an omitted count is 1.
        XCTAssertEqual(files[8].hunks.map { [$0.oldStart, $0.oldCount, $0.newStart, $0.newCount] }, [[0, 0, 1, 1]])
        XCTAssertEqual(renderHunk(files[8].hunks[0]), ["+Notes taken at the café."])
    }

    func testNoNewlineMarkersOnBothSides() throws {
        let files = try XCTUnwrap(try readFixture("no-newline.patch").patches.first?.files)
        XCTAssertEqual(files.map(\.path), ["drivers/misc/demo/Makefile", "drivers/misc/demo/version.h"])
        XCTAssertEqual(renderHunk(files[0].hunks[0]), [" obj-y += demo.o", "-obj-y += tally.o\\", "+obj-y += tally.o"])
        XCTAssertEqual(renderHunk(files[1].hunks[0]), [" /* demo version */", " #define DEMO_MAJOR 1",
                                                   "-#define DEMO_MINOR 4\\", "+#define DEMO_MINOR 5\\"])
    }

    func testOmittedHunkCountsDefaultToOne() throws {
        let diff = """
            --- a/init.c
            +++ b/init.c
            @@ -3 +3 @@ int main(void)
            -\treturn 1;
            +\treturn 0;

            """
        let hunk = try XCTUnwrap(try read(diff, name: "t.diff").patches.first?.files.first?.hunks.first)
        XCTAssertEqual([hunk.oldStart, hunk.oldCount, hunk.newStart, hunk.newCount], [3, 1, 3, 1])
        XCTAssertEqual(hunk.section, "int main(void)")
        XCTAssertEqual(renderHunk(hunk), ["-\treturn 1;", "+\treturn 0;"])
    }

    func testRemovedLineThatLooksLikeASignatureIsNotTheEnd() throws {
        let diff = "--- a/notes.txt\n+++ b/notes.txt\n@@ -1,2 +1 @@\n keep\n-- \n-- \n2.43.0\n"
        let series = try read(diff, name: "t.diff")
        XCTAssertEqual(renderHunk(try XCTUnwrap(series.patches.first?.files.first?.hunks.first)), [" keep", "-- "])
    }

    func testReplyWithDiffIsSkippedBesideAPatchButKeptAlone() throws {
        let patchMail = mail(subject: "[PATCH] demo: fix", body: oneLineDiff)
        let reply = mail(subject: "Re: [PATCH] demo: fix", body: "How about this?\n\n" + oneLineDiff)
        let both = try read("From a@b Mon Jan  1 00:00:00 2024\n" + patchMail + "\nFrom a@b Mon Jan  1 00:00:00 2024\n" + reply,
                            name: "thread.mbox")
        XCTAssertEqual(both.patches.map(\.fullSubject), ["[PATCH] demo: fix"])
        XCTAssertEqual(both.notes, ["thread.mbox (message 2): skipped reply \"Re: [PATCH] demo: fix\""])

        let alone = try read(reply, name: "reply.eml")
        XCTAssertEqual(alone.patches.map(\.subject), ["demo: fix"])
        XCTAssertEqual(alone.notes, [])
    }

    func testGapsInTheNumberingAreNoted() throws {
        let first = mail(subject: "[PATCH 1/3] demo: one", body: oneLineDiff)
        let third = mail(subject: "[PATCH 3/3] demo: three", body: oneLineDiff)
        let series = try read("From x Mon Jan  1 00:00:00 2024\n" + third + "\nFrom x Mon Jan  1 00:00:00 2024\n" + first,
                              name: "gap.mbox")
        XCTAssertEqual(series.patches.map(\.index), [1, 3])
        XCTAssertEqual(series.notes, ["gap.mbox: missing 2/3"])
    }

    // MARK: errors

    func testTruncatedHunkIsAnError() {
        let diff = "--- a/x.c\n+++ b/x.c\n@@ -1,4 +1,4 @@ int x;\n a\n-b\n+c\n d\n"
        XCTAssertThrowsError(try read(diff, name: "t.diff")) { error in
            XCTAssertEqual(error as? PatchError, .truncatedHunk(input: "t.diff", file: "x.c", hunk: 1, header: "@@ -1,4 +1,4 @@"))
            XCTAssertEqual("\(error)", "t.diff: x.c: hunk 1 (@@ -1,4 +1,4 @@) is truncated")
        }
    }

    func testHunkLongerThanItsHeaderIsAnError() {
        let diff = "--- a/x.c\n+++ b/x.c\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n+d\n"
        XCTAssertThrowsError(try read(diff, name: "t.diff")) { error in
            XCTAssertEqual("\(error)", "t.diff: x.c: hunk 1 (@@ -1,2 +1,2 @@) has more lines than its header counts")
        }
    }

    func testMalformedHunkHeaderIsAnError() {
        let diff = "diff --git a/x.c b/x.c\n--- a/x.c\n+++ b/x.c\n@@ -1,2 +1 @\n a\n"
        XCTAssertThrowsError(try read(diff, name: "t.diff")) { error in
            XCTAssertEqual(error as? PatchError, .malformedHunkHeader(input: "t.diff", file: "x.c", hunk: 1, header: "@@ -1,2 +1 @"))
            XCTAssertEqual("\(error)", "t.diff: x.c: hunk 1: malformed hunk header \"@@ -1,2 +1 @\"")
        }
    }

    func testUnknownCharsetIsAnError() {
        let input = "From: a@b\nSubject: [PATCH] x\nContent-Type: text/plain; charset=\"x-foo\"\n\n" + oneLineDiff
        XCTAssertThrowsError(try read(input, name: "bad.eml")) { error in
            XCTAssertEqual("\(error)", "unknown charset \"x-foo\" in bad.eml")
        }
    }

    func testBrokenTransferEncodingsAreErrors() {
        let base64 = "From: a@b\nSubject: x\nContent-Transfer-Encoding: base64\n\nZGlm*ZiAt\n"
        XCTAssertThrowsError(try read(base64, name: "b.eml")) { error in
            XCTAssertEqual("\(error)", "broken base64 in b.eml")
        }
        let quoted = "From: a@b\nSubject: x\nContent-Transfer-Encoding: quoted-printable\n\nx = y;\n"
        XCTAssertThrowsError(try read(quoted, name: "q.eml")) { error in
            XCTAssertEqual("\(error)", "broken quoted-printable in q.eml")
        }
    }

    func testMailWithoutAPatchIsAnError() {
        let input = "From: a@b\nSubject: Re: [PATCH] x\n\n> quoted\nThanks!\n"
        XCTAssertThrowsError(try read(input, name: "reply.eml")) { error in
            XCTAssertEqual(error as? PatchError, .noDiff(input: "reply.eml"))
            XCTAssertEqual("\(error)", "reply.eml: no diff found (not a patch, or a mail without one)")
        }
    }

    // MARK: helpers

    private let oneLineDiff = "diff --git a/demo.c b/demo.c\n--- a/demo.c\n+++ b/demo.c\n@@ -1 +1 @@\n-int x;\n+int y;\n"

    private func mail(subject: String, body: String) -> String {
        "From: Kim Lee <kim@example.com>\nSubject: \(subject)\n\n\(body)"
    }

    private func read(_ input: String, name: String) throws -> PatchSeries {
        try PatchReader.read(Array(input.utf8), name: name)
    }

    private func readFixture(_ name: String) throws -> PatchSeries {
        try PatchReader.read(try patchFixture(name), name: name)
    }
}

/// A file of fixtures/patches as bytes.
func patchFixture(_ name: String) throws -> [UInt8] {
    Array(try Data(contentsOf: URL(fileURLWithPath: Repo.fixtures + "/patches/" + name)))
}

func patchText(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

func patchLines(_ bytes: [UInt8]) -> [String] { patchText(bytes).components(separatedBy: "\n") }

/// A hunk as diff lines; a trailing "\" marks "\ No newline at end of file".
func renderHunk(_ hunk: Hunk) -> [String] {
    hunk.lines.map { line in
        let sign = switch line.kind {
        case .context: " "
        case .added: "+"
        case .removed: "-"
        }
        return sign + patchText(line.text) + (line.noNewlineAtEnd ? "\\" : "")
    }
}

import Foundation
import XCTest

/// `mmlint review`: golden replies for the fixture mails, read back by a real
/// mail parser (Python's email package) and by git's mailsplit/mailinfo.
/// Regenerate the golden files with MMLINT_UPDATE_GOLDEN=1 and read the diff.
final class ReviewTests: XCTestCase {
    let tree = Repo.fixtures + "/check-tree"
    let patches = Repo.fixtures + "/check-patches"
    let golden = Repo.fixtures + "/review"
    let reviewer = "Rev Iewer <rev@example.org>"

    /// `environment`: more `NAME=value` settings (the test-only parse faults).
    func review(_ input: String, output: String? = nil, environment: [String] = []) throws -> (status: Int32, stdout: String, stderr: String) {
        var arguments = ["env", "SOURCE_DATE_EPOCH=1764000000"] + environment + [Repo.executable, "review", "--tree", tree,
                         "--from", reviewer]
        if let output { arguments += ["-o", output] }
        return try runCommand("/usr/bin/env", Array(arguments.dropFirst()) + [patches + "/" + input], in: Repo.root)
    }

    /// Writes the replies for `input` into a fresh folder and compares them
    /// with fixtures/review/<name>/.
    func assertGolden(_ input: String, name: String, expectedReplies: Int, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let out = try temporaryDirectory(self) + "/replies"
        let result = try review(input, output: out)
        XCTAssertEqual(result.status, expectedReplies == 0 ? 0 : 1, result.stderr, file: file, line: line)
        let produced = ((try? FileManager.default.contentsOfDirectory(atPath: out)) ?? []).sorted()
        XCTAssertEqual(produced.count, expectedReplies, "\(produced)", file: file, line: line)
        XCTAssertFalse(produced.contains { $0.hasPrefix(".") }, "temporary files left behind", file: file, line: line)
        let expectedDir = golden + "/" + name
        if ProcessInfo.processInfo.environment["MMLINT_UPDATE_GOLDEN"] == "1" {
            try? FileManager.default.removeItem(atPath: expectedDir)
            try FileManager.default.createDirectory(atPath: expectedDir, withIntermediateDirectories: true)
            for name in produced { try FileManager.default.copyItem(atPath: out + "/" + name, toPath: expectedDir + "/" + name) }
            if produced.isEmpty { try "".write(toFile: expectedDir + "/.no-reply", atomically: true, encoding: .utf8) }
        }
        let expected = ((try? FileManager.default.contentsOfDirectory(atPath: expectedDir)) ?? [])
            .filter { !$0.hasPrefix(".") }.sorted()
        XCTAssertEqual(produced, expected, file: file, line: line)
        for name in produced where expected.contains(name) {
            let got = try String(contentsOfFile: out + "/" + name, encoding: .utf8)
            let want = try String(contentsOfFile: expectedDir + "/" + name, encoding: .utf8)
            XCTAssertEqual(got, want, "\(name) differs from the golden file", file: file, line: line)
        }
        return out
    }

    func testSinglePatch() throws {
        let out = try assertGolden("new-misuse.patch", name: "single", expectedReplies: 1)
        try assertMailParses(out, inReplyTo: "<20261126050815.1-ada@example.org>",
                             subject: "Re: [PATCH] demo: skip faults on pages already mapped",
                             quoted: "> +\tif (!follow_pfn(vma, vmf->address, &cur) && cur == pfn)")
    }

    func testSeriesGetsAReplyOnlyToThePatchWithFindings() throws {
        let out = try assertGolden("series.mbox", name: "series", expectedReplies: 1)
        let names = try FileManager.default.contentsOfDirectory(atPath: out)
        XCTAssertTrue(names[0].hasPrefix("0002-"), names[0])
        try assertMailParses(out, inReplyTo: nil, subject: "Re: [PATCH 2/3] demo: skip faults on pages already mapped",
                             quoted: "> +\tif (!follow_pfn(vma, vmf->address, &cur) && cur == pfn)")
        let text = try String(contentsOfFile: out + "/" + names[0], encoding: .utf8)
        XCTAssertTrue(text.contains("\nReferences: <cover.1795669695.git.ada@example.org>\n    <"), text)
    }

    func testQuotedPrintableMail() throws {
        let out = try assertGolden("quoted-printable.eml", name: "quoted-printable", expectedReplies: 1)
        try assertMailParses(out, inReplyTo: "<20261126050815.2-ada@example.org>",
                             subject: "Re: [PATCH] demo: skip faults on pages already mapped",
                             quoted: "> +\tif (!follow_pfn(vma, vmf->address, &cur) && cur == pfn)")
    }

    func testTwoFindingsInOneHunk() throws {
        let out = try assertGolden("two-findings.patch", name: "two-findings", expectedReplies: 1)
        let name = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: out).first)
        let body = try String(contentsOfFile: out + "/" + name, encoding: .utf8)
        let lines = body.components(separatedBy: "\n")
        for offending in ["> +\tif (!follow_pfn(vma, vmf->address, &cur) && cur == pfn)",
                          "> +\tif (remap_pfn_range(vma, vma->vm_start, pfn, PAGE_SIZE, vma->vm_page_prot))"] {
            let index = try XCTUnwrap(lines.firstIndex(of: offending), body)
            XCTAssertEqual(lines[index + 1], "", "a blank line under the quoted line")
            XCTAssertFalse(lines[index + 2].hasPrefix(">"), "the comment comes right under it")
        }
        for line in lines where !line.hasPrefix(">") {
            XCTAssertLessThanOrEqual(line.count, 72, "prose wrapped at 72: \(line)")
        }
    }

    func testCleanPatchGetsNoReply() throws {
        _ = try assertGolden("mmap-remap.patch", name: "clean", expectedReplies: 0)
        let result = try review("mmap-remap.patch")
        XCTAssertEqual(result.status, 0)
        XCTAssertEqual(result.stdout, "")
    }

    /// Without -o: an mbox on stdout that git mailsplit and mailinfo read.
    func testMboxOnStdoutReadsWithGitMailsplitAndMailinfo() throws {
        let result = try review("two-findings.patch")
        XCTAssertEqual(result.status, 1, result.stderr)
        let dir = try temporaryDirectory(self)
        try result.stdout.write(toFile: dir + "/replies.mbox", atomically: true, encoding: .utf8)
        let split = try runCommand("/usr/bin/git", ["mailsplit", "-o" + dir, dir + "/replies.mbox"])
        XCTAssertEqual(split.status, 0, split.stderr)
        XCTAssertEqual(split.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "1")
        let info = try runCommand("/bin/sh", ["-c", "git mailinfo \(dir)/msg \(dir)/patch < \(dir)/0001"])
        XCTAssertEqual(info.status, 0, info.stderr)
        XCTAssertTrue(info.stdout.contains("Author: Rev Iewer"), info.stdout)
        XCTAssertTrue(info.stdout.contains("Email: rev@example.org"), info.stdout)
        XCTAssertTrue(info.stdout.contains("Subject: demo: map the doorbell page eagerly"), info.stdout)
        let message = try String(contentsOfFile: dir + "/msg", encoding: .utf8)
        XCTAssertTrue(message.contains("> +\tif (remap_pfn_range(vma, vma->vm_start, pfn, PAGE_SIZE, vma->vm_page_prot))"),
                      "tabs preserved: \(message)")
    }

    /// A patch whose file could not be analysed gets no reply, and that is
    /// not "looks fine": exit 2 and a line naming the file. Replies for what
    /// was found elsewhere in the series are still written.
    func testReviewFailsClosed() throws {
        let crash = "could not be analysed: the parser crashed (signal 11, segmentation fault)"
        let lone = try review("new-misuse.patch", environment: ["MMLINT_TEST_PARSE_FAULT=crash=demo_mmap.c"])
        XCTAssertEqual(lone.status, 2, lone.stderr)
        XCTAssertEqual(lone.stdout, "")
        XCTAssertTrue(lone.stderr.contains("mmlint: error: drivers/demo/demo_mmap.c (before and after the patch) " + crash + "\n"),
                      lone.stderr)
        XCTAssertTrue(lone.stderr.contains("0 replies for 1 patch (0 findings, tree mode; incomplete: 1 could not be analysed)"),
                      lone.stderr)

        let out = try temporaryDirectory(self) + "/replies"
        let series = try review("series.mbox", output: out, environment: ["MMLINT_TEST_PARSE_FAULT=crash=demo_map.c"])
        XCTAssertEqual(series.status, 2, series.stderr)
        let written = try FileManager.default.contentsOfDirectory(atPath: out)
        XCTAssertEqual(written.count, 1, "\(written)")
        XCTAssertTrue(written.first?.hasPrefix("0002-") ?? false, "\(written)")
        XCTAssertTrue(series.stderr.contains("mmlint: error: drivers/demo/demo_map.c (before the series and after patches 1, 2, 3) " + crash),
                      series.stderr)
        // The reply is the one written without the fault: nothing claims the rest is fine.
        let reply = try String(contentsOfFile: out + "/" + written[0], encoding: .utf8)
        let golden = try String(contentsOfFile: golden + "/series/" + written[0], encoding: .utf8)
        XCTAssertEqual(reply, golden)
    }

    func testInputErrorsExitTwoAndWriteNothing() throws {
        let out = try temporaryDirectory(self) + "/replies"
        let result = try runCommand(Repo.executable, ["review", "--tree", tree, "--from", reviewer, "-o", out,
                                                      patches + "/not-applying.patch"])
        XCTAssertEqual(result.status, 2)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    }

    /// Python's email package reads every reply: headers, threading, charset,
    /// and the quoted line intact.
    func assertMailParses(_ dir: String, inReplyTo: String?, subject: String, quoted: String,
                          file: StaticString = #filePath, line: UInt = #line) throws {
        let script = """
            import email, email.policy, json, sys, os
            out = []
            for name in sorted(os.listdir(sys.argv[1])):
                with open(os.path.join(sys.argv[1], name), 'rb') as f:
                    m = email.message_from_binary_file(f, policy=email.policy.default)
                out.append({k: str(m[k]) for k in ['From', 'To', 'Cc', 'Subject', 'In-Reply-To', 'References', 'Message-ID', 'Date']}
                           | {'type': m.get_content_type(), 'charset': m.get_content_charset(), 'body': m.get_content(),
                              'defects': [str(d) for d in m.defects]})
            print(json.dumps(out))
            """
        let result = try runCommand("/usr/bin/python3", ["-c", script, dir])
        XCTAssertEqual(result.status, 0, result.stderr, file: file, line: line)
        let mails = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        XCTAssertEqual(mails.count, 1, file: file, line: line)
        let mail = mails[0]
        XCTAssertEqual(mail["From"] as? String, reviewer, file: file, line: line)
        XCTAssertEqual(mail["To"] as? String, "Ada Reviewer <ada@example.org>", file: file, line: line)
        XCTAssertEqual(mail["Subject"] as? String, subject, file: file, line: line)
        XCTAssertFalse((mail["Subject"] as? String ?? "").hasPrefix("Re: Re:"), file: file, line: line)
        if let inReplyTo {
            XCTAssertEqual(mail["In-Reply-To"] as? String, inReplyTo, file: file, line: line)
            XCTAssertTrue((mail["References"] as? String ?? "").hasSuffix(inReplyTo), file: file, line: line)
            XCTAssertEqual(mail["Cc"] as? String, "Demo Maintainer <maint@example.org>, linux-mm@kvack.org", file: file, line: line)
        }
        XCTAssertTrue((mail["Message-ID"] as? String ?? "").hasPrefix("<mmlint-review-"), file: file, line: line)
        XCTAssertEqual(mail["type"] as? String, "text/plain", file: file, line: line)
        XCTAssertEqual(mail["charset"] as? String, "utf-8", file: file, line: line)
        XCTAssertEqual((mail["defects"] as? [String])?.count, 0, file: file, line: line)
        let body = mail["body"] as? String ?? ""
        XCTAssertTrue(body.contains(quoted + "\n\n"), "quoted line with a blank line under it:\n\(body)", file: file, line: line)
        XCTAssertTrue(body.hasPrefix("On "), file: file, line: line)
        XCTAssertFalse(body.contains("mmlint"), "no tool banner in the body", file: file, line: line)
    }
}

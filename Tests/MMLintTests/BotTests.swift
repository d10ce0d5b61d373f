import Foundation
import XCTest

/// `mmlint bot` against Debian's real public-inbox: a fresh v2 inbox fed by
/// public-inbox-mda, patches made at test time against a git copy of
/// fixtures/check-tree, replies read back from the outbox Maildir.
final class BotTests: XCTestCase {
    let list = "list@example.org"
    let reviewer = "Rev Iewer <rev@example.org>"

    struct Lab {
        var dir: String
        /// The checkout the bot checks against.
        var tree: String
        /// A clone where patches are made (committed, formatted, then dropped).
        var work: String
        var inbox: String
        var outbox: String
        var state: String
        var base: String
    }

    // MARK: set-up

    func git(_ arguments: [String], in dir: String) throws -> String {
        let result = try runCommand("/usr/bin/env", ["git", "-c", "user.name=Ada Author", "-c", "user.email=ada@example.org",
                                                     "-c", "init.defaultBranch=master"] + arguments, in: dir)
        guard result.status == 0 else { throw Failure("git \(arguments.joined(separator: " ")): \(result.stderr)") }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// A git copy of the fixture tree, a clone to make patches in, and a fresh
    /// public-inbox v2 inbox (spam check off, as a test list has no spamd).
    func makeLab(publicInbox: Bool = true) throws -> Lab {
        let dir = try temporaryDirectory(self)
        let tree = dir + "/tree"
        let result = try runCommand("/bin/cp", ["-R", Repo.fixtures + "/check-tree", tree])
        XCTAssertEqual(result.status, 0, result.stderr)
        _ = try git(["init", "-q"], in: tree)
        _ = try git(["add", "-A"], in: tree)
        _ = try git(["commit", "-q", "-m", "demo driver"], in: tree)
        let base = try git(["rev-parse", "HEAD"], in: tree)
        _ = try git(["clone", "-q", tree, dir + "/work"], in: dir)
        let lab = Lab(dir: dir, tree: tree, work: dir + "/work", inbox: dir + "/inbox", outbox: dir + "/outbox",
                      state: dir + "/state.sqlite", base: base)
        if publicInbox {
            guard FileManager.default.isExecutableFile(atPath: "/usr/bin/public-inbox-init") else {
                throw Failure("public-inbox is not installed: run scripts/install-deps.sh")
            }
            let init_ = try runCommand("/usr/bin/env", piEnvironment(lab) + ["public-inbox-init", "-V2", "-L", "basic", "test",
                                                                            lab.inbox, "http://example.org/test", list])
            XCTAssertEqual(init_.status, 0, init_.stderr)
            _ = try git(["config", "-f", dir + "/pi-config", "publicinboxmda.spamcheck", "none"], in: dir)
        } else {
            for folder in ["tmp", "new", "cur"] {
                try FileManager.default.createDirectory(atPath: lab.inbox + "/" + folder, withIntermediateDirectories: true)
            }
        }
        return lab
    }

    func piEnvironment(_ lab: Lab) -> [String] {
        ["PI_CONFIG=\(lab.dir)/pi-config", "HOME=\(lab.dir)", "ORIGINAL_RECIPIENT=\(list)"]
    }

    /// An edit of the fixture tree: `old` replaced by `new` in `file`.
    struct Edit {
        var file = "drivers/demo/demo_mmap.c"
        var old: String
        var new: String
    }

    /// Reads a pfn in the doorbell fault handler: a follow_pfn() finding.
    let followPfn = Edit(old: "\tunsigned long pfn = PHYS_PFN(ddev->bar_start) + vmf->pgoff;\n",
                         new: "\tunsigned long pfn = PHYS_PFN(ddev->bar_start) + vmf->pgoff;\n\tunsigned long cur;\n\n"
                              + "\tif (!follow_pfn(vma, vmf->address, &cur) && cur == pfn)\n\t\treturn VM_FAULT_NOPAGE;\n")
    /// Installs the write-notify handler that remaps: a remap-in-fault finding.
    let mkwrite = Edit(old: "\t.fault = demo_bar_fault,\n", new: "\t.fault = demo_bar_fault,\n\t.page_mkwrite = demo_bar_mkwrite,\n")
    /// Comments only: clean.
    let comment = Edit(old: "/* A correct handler for the doorbell page. */",
                       new: "/* A correct handler for the doorbell page, one page per fault. */")
    let comment2 = Edit(file: "drivers/demo/demo_map.c", old: "/* Mapping helpers: meant for mmap time. */",
                        new: "/* Mapping helpers: meant for mmap time only. */")

    func commit(_ edits: [Edit], subject: String, in lab: Lab) throws {
        for edit in edits {
            let path = lab.work + "/" + edit.file
            let text = try String(contentsOfFile: path, encoding: .utf8)
            XCTAssertTrue(text.contains(edit.old), "\(edit.file) lacks the text to edit")
            try text.replacingOccurrences(of: edit.old, with: edit.new).write(toFile: path, atomically: true, encoding: .utf8)
        }
        _ = try git(["commit", "-q", "-a", "-m", subject, "-m", "Signed-off-by: Ada Author <ada@example.org>"], in: lab.work)
    }

    /// Patch mails (a cover letter first when `cover`) for `patches`, each
    /// made on top of the previous, all based on the tree's commit; the work
    /// clone is reset afterwards. Returns the files, in series order.
    func makeMails(_ patches: [(subject: String, edits: [Edit])], cover: Bool, tag: String, in lab: Lab) throws -> [String] {
        for patch in patches { try commit(patch.edits, subject: patch.subject, in: lab) }
        let out = lab.dir + "/mails-\(UUID().uuidString)"
        var arguments = ["format-patch", "-q", "-o", out, "--thread=shallow", "--to=\(list)", "--subject-prefix=\(tag)",
                         "--base=\(lab.base)", "-\(patches.count)"]
        if cover { arguments.insert("--cover-letter", at: 1) } else if patches.count == 1 { arguments.insert("--no-numbered", at: 1) }
        _ = try git(arguments, in: lab.work)
        _ = try git(["reset", "-q", "--hard", lab.base], in: lab.work)
        return try FileManager.default.contentsOfDirectory(atPath: out).sorted().map { out + "/" + $0 }
    }

    /// Delivers one mail through public-inbox-mda (or into the Maildir inbox).
    func deliver(_ file: String, to lab: Lab) throws {
        var text = try String(contentsOfFile: file, encoding: .utf8)
        // format-patch's mbox separator: a single mail does not carry one.
        if text.hasPrefix("From "), let newline = text.firstIndex(of: "\n") { text = String(text[text.index(after: newline)...]) }
        if FileManager.default.fileExists(atPath: lab.inbox + "/new") {
            try text.write(toFile: lab.inbox + "/new/\(UUID().uuidString).test", atomically: true, encoding: .utf8)
            return
        }
        let result = try runCommand("/usr/bin/env", piEnvironment(lab) + ["public-inbox-mda"], stdin: text)
        XCTAssertEqual(result.status, 0, "public-inbox-mda refused \(file): \(result.stderr)")
    }

    func header(_ name: String, of file: String) throws -> String? {
        let text = try String(contentsOfFile: file, encoding: .utf8)
        for line in text.components(separatedBy: "\n") {
            if line.isEmpty { return nil }
            if line.lowercased().hasPrefix(name.lowercased() + ": ") { return String(line.dropFirst(name.count + 2)) }
        }
        return nil
    }

    @discardableResult
    func bot(_ lab: Lab, _ extra: [String] = [], environment: [String] = []) throws -> (status: Int32, signalled: Bool, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = environment + [Repo.executable, "bot", "--inbox", lab.inbox, "--tree", lab.tree,
                                           "--state", lab.state, "--from", reviewer] + extra
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let data = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, process.terminationReason == .uncaughtSignal, String(decoding: data, as: UTF8.self))
    }

    func once(_ lab: Lab, _ extra: [String] = [], environment: [String] = [],
              file: StaticString = #filePath, line: UInt = #line) throws {
        let run = try bot(lab, ["--once", "--outbox", lab.outbox] + extra, environment: environment)
        XCTAssertEqual(run.status, 0, run.stderr, file: file, line: line)
        XCTAssertFalse(run.signalled, run.stderr, file: file, line: line)
    }

    /// The published replies (in new/, or in cur/ where a mail reader moved
    /// them), by the Message-ID they answer.
    func replies(_ lab: Lab) throws -> [String: [String]] {
        var byParent: [String: [String]] = [:]
        for folder in ["/new/", "/cur/"] {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: lab.outbox + folder)) ?? [] {
                let path = lab.outbox + folder + name
                byParent[try header("In-Reply-To", of: path) ?? "(none)", default: []].append(path)
            }
        }
        return byParent
    }

    /// What a mail reader does with mail it has shown: moved to cur/, flagged seen.
    func markRead(_ lab: Lab) throws {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: lab.outbox + "/new")) ?? [] {
            try FileManager.default.moveItem(atPath: lab.outbox + "/new/" + name, toPath: lab.outbox + "/cur/" + name + ":2,S")
        }
    }

    func messageID(_ file: String) throws -> String { try XCTUnwrap(header("Message-Id", of: file)) }

    func status(_ lab: Lab) throws -> String {
        let run = try runCommand(Repo.executable, ["bot", "--status", "--inbox", lab.inbox, "--tree", lab.tree, "--state", lab.state])
        XCTAssertEqual(run.status, 0, run.stderr)
        return run.stdout
    }

    func assertStatus(_ lab: Lab, contains text: String, _ context: String = "",
                      file: StaticString = #filePath, line: UInt = #line) throws {
        let state = try status(lab)
        XCTAssertTrue(state.contains(text), "\(context) expected \"\(text)\" in:\n\(state)", file: file, line: line)
    }

    // MARK: tests

    func testOneReplyThreadedToTheGuiltyPatchThenNothingThenOneMore() throws {
        let lab = try makeLab()
        let guilty = try makeMails([("demo: skip faults on pages already mapped", [followPfn])], cover: false, tag: "PATCH", in: lab)[0]
        let clean = try makeMails([("demo: say what the doorbell handler does", [comment])], cover: false, tag: "PATCH", in: lab)[0]
        try deliver(guilty, to: lab)
        try deliver(clean, to: lab)
        try once(lab)

        var got = try replies(lab)
        XCTAssertEqual(got.count, 1, "\(got)")
        let reply = try XCTUnwrap(got[try messageID(guilty)]?.first, "no reply threaded to the guilty patch: \(got)")
        XCTAssertEqual(try header("Subject", of: reply), "Re: [PATCH] demo: skip faults on pages already mapped")
        XCTAssertEqual(try header("References", of: reply), try messageID(guilty))
        let text = try String(contentsOfFile: reply, encoding: .utf8)
        XCTAssertTrue(text.contains("> +\tif (!follow_pfn(vma, vmf->address, &cur) && cur == pfn)"), text)
        XCTAssertTrue(text.contains("follow_pfn"), text)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: lab.outbox + "/tmp"), [])
        try assertStatus(lab, contains: "series: clean 1, findings 1")

        // Nothing new: nothing more, even with the reply moved to cur/ by a mail reader.
        try markRead(lab)
        try once(lab)
        XCTAssertEqual(try replies(lab).values.map(\.count), [1])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: lab.outbox + "/new"), [])

        let second = try makeMails([("demo: write-notify for the BAR", [mkwrite])], cover: false, tag: "PATCH", in: lab)[0]
        try deliver(second, to: lab)
        try once(lab)
        got = try replies(lab)
        XCTAssertEqual(got.count, 2, "\(got)")
        XCTAssertEqual(got[try messageID(second)]?.count, 1, "\(got)")
        try assertStatus(lab, contains: "replies: published 2")
    }

    func testSeriesWaitsForAllPatchesAndGetsAReplyOnlyForItsGuiltyPatch() throws {
        let lab = try makeLab()
        let mails = try makeMails([("demo: clarify the mapping helpers comment", [comment2]),
                                   ("demo: skip faults on pages already mapped", [followPfn]),
                                   ("demo: say what the doorbell handler does", [comment])],
                                  cover: true, tag: "PATCH v2", in: lab)
        XCTAssertEqual(mails.count, 4)
        for mail in mails.prefix(3) { try deliver(mail, to: lab) }
        try once(lab)
        XCTAssertEqual(try replies(lab).count, 0, "a series missing 3/3 must wait")
        try assertStatus(lab, contains: "series: pending 1")

        try deliver(mails[3], to: lab)
        // A reply to the series on the list: read, skipped.
        let followUp = lab.dir + "/followup.eml"
        try """
            From: Someone <someone@example.org>
            To: \(list)
            Subject: Re: [PATCH v2 2/3] demo: skip faults on pages already mapped
            Date: Tue, 1 Dec 2026 10:00:00 +0000
            Message-ID: <followup@example.org>
            In-Reply-To: \(try messageID(mails[2]))

            Looks odd to me.
            """.write(toFile: followUp, atomically: true, encoding: .utf8)
        try deliver(followUp, to: lab)
        try once(lab)
        let got = try replies(lab)
        XCTAssertEqual(got.count, 1, "\(got)")
        let reply = try XCTUnwrap(got[try messageID(mails[2])]?.first, "no reply to 2/3: \(got)")
        XCTAssertEqual(try header("Subject", of: reply), "Re: [PATCH v2 2/3] demo: skip faults on pages already mapped")
        let state = try status(lab)
        XCTAssertTrue(state.contains("cover 1") && state.contains("patch 3") && state.contains("reply 1"), state)
        XCTAssertTrue(state.contains("series: findings 1"), state)
    }

    /// SIGKILL at each step of write → record → publish (and of reading
    /// and checking), then a restart: every guilty patch has exactly one
    /// reply, none lost and none twice.
    func testKilledAtEachStepRepliesExactlyOnce() throws {
        let lab = try makeLab()
        var guiltyIDs: [String] = []
        let first = try makeMails([("demo: skip faults on pages already mapped", [followPfn])], cover: false, tag: "PATCH", in: lab)[0]
        let clean = try makeMails([("demo: say what the doorbell handler does", [comment])], cover: false, tag: "PATCH", in: lab)[0]
        let series = try makeMails([("demo: clarify the mapping helpers comment", [comment2]),
                                    ("demo: write-notify for the BAR", [mkwrite])], cover: true, tag: "PATCH", in: lab)
        let third = try makeMails([("demo: skip faults, again", [followPfn])], cover: false, tag: "PATCH v3", in: lab)[0]
        for mail in [first, clean] + series + [third] { try deliver(mail, to: lab) }
        guiltyIDs = [try messageID(first), try messageID(series[2]), try messageID(third)]

        let fast = ["MMLINT_PARSE_IN_PROCESS=1"]
        // How often each step is reached in one run: one batch of mail read,
        // four series checked, written and recorded, three replies published.
        let reached = [("ingest", 1), ("checked", 4), ("write", 4), ("record", 4), ("publish", 3)]
        for (step, times) in reached {
            for count in 1...times {
                let run = Lab(dir: lab.dir, tree: lab.tree, work: lab.work, inbox: lab.inbox,
                              outbox: lab.dir + "/outbox-\(step)-\(count)", state: lab.dir + "/state-\(step)-\(count).sqlite",
                              base: lab.base)
                let killed = try bot(run, ["--once", "--outbox", run.outbox],
                                     environment: fast + ["MMLINT_TEST_BOT_KILL=\(step):\(count)"])
                XCTAssertTrue(killed.signalled, "\(step):\(count) was never reached: \(killed.stderr)")
                // A reply published but not yet marked may be read and moved before the restart.
                if step == "publish" { try markRead(run) }
                try once(run, environment: fast)
                let got = try replies(run)
                XCTAssertEqual(Set(got.keys), Set(guiltyIDs), "\(step):\(count): \(got)")
                for (parent, files) in got {
                    XCTAssertEqual(files.count, 1, "\(step):\(count): \(files.count) replies to \(parent)")
                }
                XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: run.outbox + "/tmp"), [],
                               "\(step):\(count): staged replies left behind")
                try assertStatus(run, contains: "replies: published 3", "\(step):\(count)")
            }
        }
    }

    /// A Maildir inbox with hostile and broken mail: each bad message is
    /// recorded and the bot goes on; a series that does not apply gets no
    /// review, is recorded with the reason, and a note only when asked.
    /// A clean patch whose file could not be analysed is never recorded clean.
    func testUnanalysableFileIsUnverifiedNotClean() throws {
        let lab = try makeLab(publicInbox: false)
        let clean = try makeMails([("demo: say more about the doorbell handler", [comment])], cover: false, tag: "PATCH", in: lab)[0]
        try deliver(clean, to: lab)
        try once(lab, environment: ["MMLINT_TEST_PARSE_FAULT=crash=demo_mmap.c"])
        XCTAssertEqual(try replies(lab).count, 0)
        let state = try status(lab)
        XCTAssertTrue(state.contains("unverified 1"), state)
        XCTAssertFalse(state.contains("clean 1"), state)
        XCTAssertTrue(state.contains("could not be analysed"), state)
    }

    func testMaildirInboxBadMailAndApplyFailure() throws {
        let lab = try makeLab(publicInbox: false)
        let guilty = try makeMails([("demo: skip faults on pages already mapped", [followPfn])], cover: false, tag: "PATCH", in: lab)[0]
        try deliver(guilty, to: lab)
        // A patch whose context is not in the tree.
        try """
            From: Mallory <m@example.org>
            To: \(list)
            Subject: [PATCH] demo: a patch for another tree
            Date: Tue, 1 Dec 2026 10:00:00 +0000
            Message-ID: <stale@example.org>

            ---
            diff --git a/drivers/demo/demo_map.c b/drivers/demo/demo_map.c
            --- a/drivers/demo/demo_map.c
            +++ b/drivers/demo/demo_map.c
            @@ -1,3 +1,3 @@
             // nothing like this line is in the tree
            -/* no such comment */
            +/* another comment */
             #include <linux/mm.h>

            """.write(toFile: lab.inbox + "/new/stale.test", atomically: true, encoding: .utf8)
        // Broken base64: unreadable, recorded as bad.
        try """
            From: Mallory <m@example.org>
            Subject: [PATCH] broken
            Message-ID: <broken@example.org>
            Content-Transfer-Encoding: base64

            !!!! not base64 !!!!

            """.write(toFile: lab.inbox + "/new/broken.test", atomically: true, encoding: .utf8)
        // Over the mail size limit set below.
        try ("From: Mallory <m@example.org>\nSubject: [PATCH] huge\nMessage-ID: <huge@example.org>\n\n"
             + String(repeating: "x", count: 300_000) + "\n").write(toFile: lab.inbox + "/new/huge.test", atomically: true, encoding: .utf8)
        // A path that leaves the tree.
        try """
            From: Mallory <m@example.org>
            Subject: [PATCH] escape
            Message-ID: <escape@example.org>

            ---
            diff --git a/../etc/passwd b/../etc/passwd
            --- a/../etc/passwd
            +++ b/../etc/passwd
            @@ -1 +1 @@
            -root
            +toor

            """.write(toFile: lab.inbox + "/new/escape.test", atomically: true, encoding: .utf8)

        try once(lab, ["--limit", "mail-size=200K"])
        let got = try replies(lab)
        XCTAssertEqual(got.count, 1, "\(got)")
        XCTAssertNotNil(got[try messageID(guilty)], "\(got)")
        let state = try status(lab)
        XCTAssertTrue(state.contains("bad 2"), state)
        XCTAssertTrue(state.contains("apply-failed 1"), state)
        XCTAssertTrue(state.contains("rejected 1"), state)
        XCTAssertTrue(state.contains("apply-failed: [PATCH] demo: a patch for another tree: patch does not apply"), state)

        // With --explain-apply-failures a new failing series gets a short note.
        try String(contentsOfFile: lab.inbox + "/new/stale.test", encoding: .utf8)
            .replacingOccurrences(of: "<stale@example.org>", with: "<stale2@example.org>")
            .write(toFile: lab.inbox + "/new/stale2.test", atomically: true, encoding: .utf8)
        try once(lab, ["--explain-apply-failures"])
        let notes = try replies(lab)
        let note = try XCTUnwrap(notes["<stale2@example.org>"]?.first, "\(notes)")
        XCTAssertTrue(try String(contentsOfFile: note, encoding: .utf8).contains("does not apply"))
        XCTAssertEqual(notes.count, 2, "\(notes)")
    }

    func testSIGTERMStopsThePollingLoop() throws {
        let lab = try makeLab(publicInbox: false)
        let guilty = try makeMails([("demo: skip faults on pages already mapped", [followPfn])], cover: false, tag: "PATCH", in: lab)[0]
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Repo.executable)
        process.arguments = ["bot", "--inbox", lab.inbox, "--tree", lab.tree, "--state", lab.state, "--from", reviewer,
                             "--outbox", lab.outbox, "--interval", "0.2"]
        process.standardError = FileHandle.nullDevice
        try process.run()
        // The mail arrives while the bot polls.
        Thread.sleep(forTimeInterval: 0.5)
        try deliver(guilty, to: lab)
        let deadline = Date().addingTimeInterval(60)
        while try replies(lab).isEmpty && Date() < deadline { Thread.sleep(forTimeInterval: 0.2) }
        XCTAssertEqual(try replies(lab).count, 1)
        process.terminate()
        let stopDeadline = Date().addingTimeInterval(20)
        while process.isRunning && Date() < stopDeadline { Thread.sleep(forTimeInterval: 0.1) }
        XCTAssertFalse(process.isRunning, "SIGTERM did not stop the bot")
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .exit)
        XCTAssertEqual(process.terminationStatus, 0)
    }
}

extension BotTests {
    /// Set on an archive that already holds mail, the first run takes it as
    /// read; only what arrives next is checked.
    func testStartAtEndSkipsWhatTheInboxAlreadyHolds() throws {
        let lab = try makeLab()
        let old = try makeMails([("demo: skip faults on pages already mapped", [followPfn])], cover: false, tag: "PATCH", in: lab)[0]
        try deliver(old, to: lab)
        try once(lab, ["--start-at-end"])
        XCTAssertEqual(try replies(lab).count, 0)
        let new = try makeMails([("demo: write-notify for the BAR", [mkwrite])], cover: false, tag: "PATCH", in: lab)[0]
        try deliver(new, to: lab)
        // Not the first run any more: --start-at-end changes nothing.
        try once(lab, ["--start-at-end"])
        let got = try replies(lab)
        XCTAssertEqual(Set(got.keys), [try messageID(new)], "\(got)")
    }
}

extension BotTests {
    /// --sendmail: each reply on the command's standard input, once; a
    /// command that fails leaves the reply recorded, and the next run sends it.
    func testSendmailCommandGetsEachReplyOnce() throws {
        let lab = try makeLab(publicInbox: false)
        let sent = lab.dir + "/sent"
        try FileManager.default.createDirectory(atPath: sent, withIntermediateDirectories: true)
        let guilty = try makeMails([("demo: skip faults on pages already mapped", [followPfn])], cover: false, tag: "PATCH", in: lab)[0]
        try deliver(guilty, to: lab)
        let failing = try bot(lab, ["--once", "--sendmail", "cat >/dev/null; exit 75"])
        XCTAssertEqual(failing.status, 2, failing.stderr)
        XCTAssertTrue(failing.stderr.contains("exited with status 75"), failing.stderr)
        try assertStatus(lab, contains: "replies: recorded 1")

        let command = "cat > '\(sent)'/$$.eml"
        for _ in 0..<2 {
            let run = try bot(lab, ["--once", "--sendmail", command])
            XCTAssertEqual(run.status, 0, run.stderr)
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: sent)
        XCTAssertEqual(files.count, 1, "\(files)")
        XCTAssertEqual(try header("In-Reply-To", of: sent + "/" + files[0]), try messageID(guilty))
        try assertStatus(lab, contains: "replies: published 1")
    }
}

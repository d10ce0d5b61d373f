import Foundation
import MMLintPatch
import XCTest

/// Hostile and broken input: each test feeds the bad input to the
/// real binary and asserts the exit status, the message, and that nothing
/// else changed (the tree, the output folder and a folder outside both are
/// compared before and after).
final class HostileInputTests: XCTestCase {
    var work = ""
    var tree = ""
    var outside = ""

    override func setUpWithError() throws {
        work = try temporaryDirectory(self)
        tree = work + "/tree"
        outside = work + "/outside"
        try FileManager.default.copyItem(atPath: Repo.fixtures + "/check-tree", toPath: tree)
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        try "int secret;\n".write(toFile: outside + "/secret.c", atomically: true, encoding: .utf8)
    }

    // MARK: helpers

    /// Every entry under `dir`: file contents, symlink targets, folders.
    func snapshot(_ dir: String) -> [String: String] {
        var result: [String: String] = [:]
        let fm = FileManager.default
        for relative in (fm.enumerator(atPath: dir)?.allObjects as? [String] ?? []).sorted() {
            let path = dir + "/" + relative
            if let target = try? fm.destinationOfSymbolicLink(atPath: path) {
                result[relative] = "-> " + target
            } else if let data = fm.contents(atPath: path) {
                result[relative] = "file \(data.count) " + data.base64EncodedString()
            } else {
                result[relative] = "folder"
            }
        }
        return result
    }

    func write(_ text: String, _ name: String) throws -> String {
        let path = work + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func mmlint(_ arguments: [String], environment: [String] = [], stdin: String? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
        try runCommand("/usr/bin/env", environment + [Repo.executable] + arguments, in: work, stdin: stdin)
    }

    /// Runs `command` through the shell (for redirections of large inputs) and
    /// returns the status, stderr and the child's peak RSS in MiB.
    func shell(_ command: String) throws -> (status: Int32, stderr: String, peakMiB: Int) {
        // A fresh python3 runs the command, so its children's peak RSS is this command's alone.
        let script = """
            import resource, subprocess, sys
            p = subprocess.run(sys.argv[1], shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            sys.stderr.buffer.write(p.stderr)
            print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)
            sys.exit(p.returncode)
            """
        let result = try runCommand("/usr/bin/env", ["python3", "-c", script, command], in: work)
        return (result.status, result.stderr, Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1)
    }

    /// Under AddressSanitizer, shadow memory and the quarantine of freed
    /// blocks make peak RSS meaningless: the memory bounds are checked in
    /// the plain run.
    static let underAddressSanitizer = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "__asan_init") != nil

    func assertOneLineError(_ stderr: String, contains needle: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertTrue(stderr.contains(needle), stderr, file: file, line: line)
        XCTAssertFalse(stderr.contains("Fatal error") || stderr.contains("Stack dump") || stderr.contains("Backtrace")
                       || stderr.contains("💣"), "no crash report: \(stderr)", file: file, line: line)
    }

    // MARK: paths

    func testPatchPathsLeavingTheTreeAreRefusedAndNothingIsTouched() throws {
        try FileManager.default.createSymbolicLink(atPath: tree + "/link.c", withDestinationPath: outside + "/secret.c")
        try FileManager.default.createSymbolicLink(atPath: tree + "/sub", withDestinationPath: outside)
        try FileManager.default.createSymbolicLink(atPath: tree + "/dangling", withDestinationPath: work + "/nowhere")
        let cases: [(name: String, patch: String, path: String)] = [
            ("dotdot", "--- a/../outside/secret.c\n+++ b/../outside/secret.c\n@@ -1 +1 @@\n-int secret;\n+int leak;\n",
             "../outside/secret.c"),
            ("nested-dotdot", "--- a/drivers/../../outside/secret.c\n+++ b/drivers/../../outside/secret.c\n@@ -1 +1 @@\n-int secret;\n+int leak;\n",
             "drivers/../../outside/secret.c"),
            ("absolute-quoted", "diff --git \"a/\(outside)/secret.c\" \"b/\(outside)/secret.c\"\n--- \"a/\(outside)/secret.c\"\n"
             + "+++ \"b/\(outside)/secret.c\"\n@@ -1 +1 @@\n-int secret;\n+int leak;\n", outside + "/secret.c"),
            ("absolute-rename", "diff --git a/drivers/demo/demo.h b/x\nsimilarity index 100%\nrename from drivers/demo/demo.h\n"
             + "rename to \(outside)/new.h\n", outside + "/new.h"),
            ("symlinked-file", "--- a/link.c\n+++ b/link.c\n@@ -1 +1 @@\n-int secret;\n+int leak;\n", "link.c"),
            ("symlinked-folder-new-file", "--- /dev/null\n+++ b/sub/new.c\n@@ -0,0 +1 @@\n+int planted;\n", "sub/new.c"),
            ("dangling-symlink", "--- /dev/null\n+++ b/dangling/new.c\n@@ -0,0 +1 @@\n+int planted;\n", "dangling/new.c"),
        ]
        for (name, patch, path) in cases {
            let file = try write(patch, name + ".patch")
            let beforeTree = snapshot(tree), beforeOutside = snapshot(outside)
            for command in ["check", "review"] {
                let output = work + "/replies-" + name
                let extra = command == "review" ? ["--from", "R <r@example.org>", "-o", output] : []
                let result = try mmlint([command, "--tree", tree] + extra + [file])
                XCTAssertEqual(result.status, 2, "\(name) \(command): \(result.stderr)")
                assertOneLineError(result.stderr, contains: "\(path): refusing a patch path")
                XCTAssertEqual(result.stdout, "", "\(name) \(command)")
                XCTAssertFalse(FileManager.default.fileExists(atPath: output), "\(name): review wrote replies")
            }
            XCTAssertEqual(snapshot(tree), beforeTree, name)
            XCTAssertEqual(snapshot(outside), beforeOutside, name)
        }
    }

    func testReviewWritesOnlyInsideTheOutputFolder() throws {
        let output = work + "/replies"
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        // A symlink planted at the reply's name must be replaced, not written through.
        let name = "0001-re-demo-skip-faults-on-pages-already-mapped.eml"
        try FileManager.default.createSymbolicLink(atPath: output + "/" + name, withDestinationPath: outside + "/secret.c")
        let beforeTree = snapshot(tree), beforeOutside = snapshot(outside)
        let result = try mmlint(["review", "--tree", tree, "--from", "R <r@example.org>", "-o", output,
                                 Repo.fixtures + "/check-patches/new-misuse.patch"], environment: ["SOURCE_DATE_EPOCH=1764000000"])
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertEqual(snapshot(tree), beforeTree)
        XCTAssertEqual(snapshot(outside), beforeOutside)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: output), [name], "no temporaries left")
        XCTAssertNil(try? FileManager.default.destinationOfSymbolicLink(atPath: output + "/" + name), "the symlink was replaced")
        XCTAssertTrue(try String(contentsOfFile: output + "/" + name, encoding: .utf8).contains("follow_pfn"))

        // An output "folder" that is a file: one-line error, nothing written.
        let notFolder = try write("x", "not-a-folder")
        let refused = try mmlint(["review", "--tree", tree, "--from", "R <r@example.org>", "-o", notFolder,
                                  Repo.fixtures + "/check-patches/new-misuse.patch"])
        XCTAssertEqual(refused.status, 2)
        assertOneLineError(refused.stderr, contains: "not-a-folder: cannot create the output folder")
        XCTAssertEqual(try String(contentsOfFile: notFolder, encoding: .utf8), "x")
    }

    // MARK: limits

    /// A 200 MB mbox: refused from its size before it is read, from a file and from stdin.
    func testHugeMboxIsRefusedInBoundedMemory() throws {
        let path = work + "/huge.mbox"
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: nil))
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: path))
        let message = Data(("From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\nFrom: A <a@example.org>\n"
                            + "Subject: [PATCH] x\n\n" + String(repeating: "junk line of a very long mail body\n", count: 29_000)).utf8)
        var written = 0
        while written < 200_000_000 {
            handle.write(message)
            written += message.count
        }
        try handle.close()
        let beforeTree = snapshot(tree)
        // What mmlint needs anyway (libclang, the runtime): the bound is this plus a little.
        let baseline = try shell("\(Repo.executable) check --tree tree \(Repo.fixtures)/check-patches/new-misuse.patch").peakMiB
        for command in ["mmlint check --tree tree huge.mbox", "mmlint check --tree tree - < huge.mbox",
                        "cat huge.mbox | mmlint check --tree tree -"] {
            let result = try shell(command.replacingOccurrences(of: "mmlint", with: Repo.executable))
            XCTAssertEqual(result.status, 2, result.stderr)
            assertOneLineError(result.stderr, contains: "is over the mail size limit of 100 MiB; pass --limit mail-size=N "
                               + "or set MMLINT_MAX_MAIL_BYTES to raise it")
            if !Self.underAddressSanitizer { XCTAssertLessThan(result.peakMiB, baseline + 120, "peak RSS of mmlint (\(command)); \(baseline) MiB for a small patch") }
            XCTAssertGreaterThan(result.peakMiB, 0)
        }
        XCTAssertEqual(snapshot(tree), beforeTree)

        // The limit is overridable both ways.
        let small = Repo.fixtures + "/check-patches/new-misuse.patch"
        let option = try mmlint(["check", "--tree", tree, "--limit", "mail-size=1K", small])
        XCTAssertEqual(option.status, 2)
        assertOneLineError(option.stderr, contains: "new-misuse.patch: 1.1 KiB is over the mail size limit of 1 KiB")
        let variable = try mmlint(["check", "--tree", tree, small], environment: ["MMLINT_MAX_MAIL_BYTES=1K"])
        XCTAssertEqual(variable.status, 2)
        XCTAssertTrue(variable.stderr.contains("over the mail size limit of 1 KiB"), variable.stderr)
        let raised = try mmlint(["check", "--tree", tree, "--limit", "mail-size=2M", small], environment: ["MMLINT_MAX_MAIL_BYTES=1K"])
        XCTAssertEqual(raised.status, 1, "the option wins over the environment: \(raised.stderr)")
        let bad = try mmlint(["check", "--tree", tree, "--limit", "mail-size=lots", small])
        XCTAssertEqual(bad.status, 2)
        assertOneLineError(bad.stderr, contains: "--limit mail-size=lots: expected a positive number")
    }

    func testTooManyPatchesInOneMbox() throws {
        var mbox = ""
        for n in 1...30 {
            mbox += "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\nFrom: A <a@example.org>\n"
                + "Subject: [PATCH \(n)/30] x\n\n--- a/x.c\n+++ b/x.c\n@@ -1 +1 @@\n-a\n+b\n"
        }
        let path = try write(mbox, "many.mbox")
        let result = try mmlint(["check", "--tree", tree, "--limit", "patches=10", path])
        XCTAssertEqual(result.status, 2)
        assertOneLineError(result.stderr, contains: "many.mbox: 30 messages, over the limit of 10; pass --limit patches=N")
        XCTAssertEqual(result.stdout, "")
    }

    /// A hunk whose header counts a million lines is refused from the header;
    /// with the limit raised, the million lines are read.
    func testMillionLineHunk() throws {
        var text = "--- /dev/null\n+++ b/drivers/demo/big.c\n@@ -0,0 +1,1000000 @@\n"
        text += String(repeating: "+x\n", count: 1_000_000)
        let path = try write(text, "big.patch")
        let beforeTree = snapshot(tree)
        let result = try shell("\(Repo.executable) check --tree tree big.patch")
        XCTAssertEqual(result.status, 2, result.stderr)
        assertOneLineError(result.stderr, contains: "drivers/demo/big.c: hunk 1 (@@ -0,0 +1,1000000 @@) counts 1000000 lines, "
                           + "over the hunk length limit of 500000; pass --limit hunk-lines=N")
        if !Self.underAddressSanitizer { XCTAssertLessThan(result.peakMiB, 200, "peak RSS of mmlint for a 3 MB patch") }
        XCTAssertGreaterThan(result.peakMiB, 0)
        XCTAssertEqual(snapshot(tree), beforeTree)

        var limits = PatchLimits.default
        limits.hunkLines = 1_000_000
        let files = try PatchReader.readDiff(Array(try Data(contentsOf: URL(fileURLWithPath: path))), name: "big.patch", limits: limits)
        XCTAssertEqual(files.first?.hunks.first?.lines.count, 1_000_000)
    }

    func testOverlongLine() throws {
        let long = String(repeating: "y", count: 2 << 20)
        let path = try write("--- a/drivers/demo/demo.h\n+++ b/drivers/demo/demo.h\n@@ -1 +1 @@\n-a\n+\(long)\n", "long.patch")
        let result = try mmlint(["check", "--tree", tree, path])
        XCTAssertEqual(result.status, 2)
        assertOneLineError(result.stderr, contains: "long.patch: line 5 has 2.0 MiB, over the line length limit of 1 MiB; "
                           + "pass --limit line-length=N")
        // Raised, the line is read and the hunk is judged on its merits.
        let raised = try mmlint(["check", "--tree", tree, "--limit", "line-length=4M", path])
        XCTAssertFalse(raised.stderr.contains("line length limit"), raised.stderr)
        // demo.h's first line is not `a`: the hunk was read whole and judged.
        XCTAssertEqual(raised.status, 2)
        assertOneLineError(raised.stderr, contains: "drivers/demo/demo.h: hunk 1 (@@ -1 +1 @@) does not apply: context not found")
    }

    /// A 50,000-file tree: listing stops at the limit, nothing is parsed.
    func testFilesPerScanLimit() throws {
        // 50,000 files take 30 s to create on the disk here and 1 s in memory.
        var big = work + "/big"
        if FileManager.default.isWritableFile(atPath: "/dev/shm") {
            big = "/dev/shm/mmlint-test-\(UUID().uuidString)"
            addTeardownBlock { try? FileManager.default.removeItem(atPath: big) }
        }
        for folder in 0..<50 {
            let dir = big + "/d\(folder)"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            for file in 0..<1000 {
                XCTAssertTrue(FileManager.default.createFile(atPath: dir + "/f\(file).c", contents: Data("int f\(file);\n".utf8)))
            }
        }
        let started = Date()
        let result = try shell("\(Repo.executable) scan --no-cache --limit files=10000 \(big)")
        XCTAssertEqual(result.status, 2, result.stderr)
        assertOneLineError(result.stderr, contains: "more than 10000 C files to scan, over the files-per-scan limit; "
                           + "scan a subfolder, or pass --limit files=N or set MMLINT_MAX_FILES to raise it")
        XCTAssertLessThan(Date().timeIntervalSince(started), 10)
        if !Self.underAddressSanitizer { XCTAssertLessThan(result.peakMiB, 200) }
        let variable = try mmlint(["scan", "--no-cache", big + "/d1", big + "/d2"], environment: ["MMLINT_MAX_FILES=1500"])
        XCTAssertEqual(variable.status, 2)
        XCTAssertTrue(variable.stderr.contains("more than 1500 C files"), variable.stderr)
    }

    // MARK: libclang faults

    func scanWithFault(_ fault: String, timeout: String? = nil, jobs: Int) throws -> (status: Int32, json: [String: Any], stderr: String, seconds: Double) {
        let src = work + "/src"
        if !FileManager.default.fileExists(atPath: src) {
            try FileManager.default.createDirectory(atPath: src, withIntermediateDirectories: true)
            for folder in ["example", "direct-call"] {
                try FileManager.default.copyItem(atPath: Repo.fixtures + "/" + folder, toPath: src + "/" + folder)
            }
        }
        var environment = ["MMLINT_TEST_PARSE_FAULT=" + fault]
        if let timeout { environment.append("MMLINT_PARSE_TIMEOUT=" + timeout) }
        let started = Date()
        let result = try mmlint(["scan", "--no-cache", "--format", "json", "--jobs", String(jobs), src], environment: environment)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], result.stderr)
        return (result.status, json, result.stderr, Date().timeIntervalSince(started))
    }

    func findingFiles(_ json: [String: Any]) -> [String] {
        ((json["findings"] as? [[String: Any]]) ?? []).compactMap { ($0["file"] as? String).map { ($0 as NSString).lastPathComponent } }
    }

    /// The crash costs that file's findings only, and the scan fails closed:
    /// the other findings are printed, the file is named, exit 2.
    func testAParserCrashCostsThatFileOnly() throws {
        for jobs in [1, 2] {
            let result = try scanWithFault("crash=bar_map.c", jobs: jobs)
            XCTAssertEqual(result.status, 2, result.stderr)
            assertOneLineError(result.stderr, contains: "bar_map.c could not be analysed: the parser crashed (signal 11, segmentation fault)\n")
            XCTAssertEqual(result.stderr.components(separatedBy: "could not be analysed").count, 2, result.stderr)
            // bar_map.c's own finding is lost with it; the other folder's is not.
            XCTAssertEqual(findingFiles(result.json), ["fault_direct.c"])
            let summary = try XCTUnwrap(result.json["summary"] as? [String: Any])
            XCTAssertEqual(summary["failed"] as? Int, 1)
            XCTAssertEqual(summary["files"] as? Int, 3)
            XCTAssertEqual(summary["parsed"] as? Int, 2)
            let failures = try XCTUnwrap(result.json["failures"] as? [[String: Any]])
            XCTAssertEqual(failures.count, 1)
            XCTAssertEqual((failures.first?["file"] as? String).map { ($0 as NSString).lastPathComponent }, "bar_map.c")
            XCTAssertEqual(failures.first?["cause"] as? String, "the parser crashed (signal 11, segmentation fault)")
            XCTAssertNil(failures.first?["version"], "scan has one version of each file")
        }
        let clean = try scanWithFault("", jobs: 2)
        XCTAssertEqual(clean.status, 1, clean.stderr)
        XCTAssertEqual(findingFiles(clean.json).sorted(), ["bar_map.c", "fault_direct.c"])
        XCTAssertEqual((clean.json["failures"] as? [[String: Any]])?.count, 0)
        XCTAssertFalse(clean.stderr.contains("could not be analysed"), clean.stderr)
    }

    /// A scan in which every file fails has no findings and still never exits 0.
    func testAScanWhereEverythingFailedIsNotClean() throws {
        let result = try scanWithFault("crash=bar_map.c,crash=bar_mmap.c,crash=fault_direct.c", jobs: 2)
        XCTAssertEqual(result.status, 2, result.stderr)
        XCTAssertEqual(findingFiles(result.json), [])
        let summary = try XCTUnwrap(result.json["summary"] as? [String: Any])
        XCTAssertEqual(summary["failed"] as? Int, summary["files"] as? Int)
        XCTAssertEqual(summary["parsed"] as? Int, 0)
        XCTAssertTrue(result.stderr.contains(", 3 failed,"), result.stderr)
        // SARIF says the run did not succeed, naming each file.
        let sarif = try mmlint(["scan", "--no-cache", "-q", "--format", "sarif", work + "/src"],
                               environment: ["MMLINT_TEST_PARSE_FAULT=crash=bar_map.c"])
        XCTAssertEqual(sarif.status, 2, sarif.stderr)
        let log = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(sarif.stdout.utf8)) as? [String: Any])
        let run = try XCTUnwrap((log["runs"] as? [[String: Any]])?.first)
        let invocation = try XCTUnwrap((run["invocations"] as? [[String: Any]])?.first)
        XCTAssertEqual(invocation["executionSuccessful"] as? Bool, false)
        let notifications = try XCTUnwrap(invocation["toolExecutionNotifications"] as? [[String: Any]])
        XCTAssertEqual(notifications.count, 1)
        XCTAssertEqual(notifications.first?["level"] as? String, "error")
        let uri = ((notifications.first?["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any])
            .flatMap { $0["artifactLocation"] as? [String: Any] }?["uri"] as? String
        XCTAssertEqual(uri.map { ($0 as NSString).lastPathComponent }, "bar_map.c")
        XCTAssertEqual((run["results"] as? [[String: Any]])?.count, 1, "fault_direct.c's finding is still reported")
        // -q keeps the failure line: it is an error, not a summary.
        XCTAssertTrue(sarif.stderr.contains("bar_map.c could not be analysed: the parser crashed"), sarif.stderr)
    }

    func testAHangingParseIsStoppedAfterTheTimeout() throws {
        let result = try scanWithFault("hang=bar_map.c", timeout: "2", jobs: 1)
        XCTAssertEqual(result.status, 2, result.stderr)
        assertOneLineError(result.stderr, contains: "bar_map.c could not be analysed: parsing took longer than 2 s and was stopped "
                           + "(MMLINT_PARSE_TIMEOUT sets the limit)")
        XCTAssertEqual(findingFiles(result.json), ["fault_direct.c"])
        XCTAssertLessThan(result.seconds, 30)
        let bad = try mmlint(["scan", Repo.fixtures + "/example"], environment: ["MMLINT_PARSE_TIMEOUT=soon"])
        XCTAssertEqual(bad.status, 2)
        assertOneLineError(bad.stderr, contains: "MMLINT_PARSE_TIMEOUT=soon: expected a number of seconds greater than 0")
    }

    /// In check, a version that crashed the parser is said, not taken for
    /// "nothing new": exit 2, and the tree is still untouched.
    func testAParserCrashInCheckIsReported() throws {
        let beforeTree = snapshot(tree)
        let result = try mmlint(["check", "--tree", tree, Repo.fixtures + "/check-patches/new-misuse.patch"],
                                environment: ["MMLINT_TEST_PARSE_FAULT=crash=demo_mmap.c"])
        XCTAssertEqual(result.status, 2, result.stderr)
        assertOneLineError(result.stderr, contains: "mmlint: error: drivers/demo/demo_mmap.c (before and after the patch) "
                           + "could not be analysed: the parser crashed (signal 11, segmentation fault)\n")
        XCTAssertEqual(snapshot(tree), beforeTree)
    }

    func testNoWorkerIsLeftBehind() throws {
        _ = try scanWithFault("hang=bar_map.c", timeout: "1", jobs: 2)
        let ps = try runCommand("/bin/ps", ["-eo", "ppid,args"])
        let real = URL(fileURLWithPath: Repo.executable).resolvingSymlinksInPath().path
        // Workers of this process's children that outlived them were reparented.
        let orphans = ps.stdout.split(separator: "\n").filter { $0.contains(" __parse-worker") && $0.contains(real) }
        XCTAssertEqual(orphans, [], ps.stdout)
    }

    // MARK: encodings

    /// Invalid UTF-8 in a patch line comes back byte for byte in the reply.
    func testInvalidUTF8IsQuotedBackByteForByte() throws {
        var patch = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Repo.fixtures + "/check-patches/new-misuse.patch")))
        let marker = Array("/* Already mapped? */".utf8)
        let odd: [UInt8] = Array("/* Already mapped? ".utf8) + [0xFF, 0xFE, 0x63, 0x61, 0x66, 0xE9] + Array(" */".utf8)
        let at = try XCTUnwrap(patch.indices.first { patch[$0...].starts(with: marker) })
        patch.replaceSubrange(at..<(at + marker.count), with: odd)
        let path = work + "/odd.patch"
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(patch)))
        let output = work + "/replies"
        let beforeTree = snapshot(tree)
        let result = try mmlint(["review", "--tree", tree, "--from", "R <r@example.org>", "-o", output, path])
        XCTAssertEqual(result.status, 1, result.stderr)
        let name = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: output).first)
        let reply = [UInt8](try Data(contentsOf: URL(fileURLWithPath: output + "/" + name)))
        let quoted = Array("> +\t".utf8) + odd + [0x0A]
        XCTAssertTrue(reply.indices.contains { reply[$0...].starts(with: quoted) }, String(decoding: reply, as: UTF8.self))
        XCTAssertTrue(String(decoding: reply, as: UTF8.self).contains("> +\tif (!follow_pfn(vma, vmf->address, &cur) && cur == pfn)"))
        XCTAssertEqual(snapshot(tree), beforeTree)

        // And in the mbox on stdout.
        let mbox = Process()
        mbox.executableURL = URL(fileURLWithPath: Repo.executable)
        mbox.arguments = ["review", "--tree", tree, "--from", "R <r@example.org>", path]
        let out = Pipe()
        mbox.standardOutput = out
        mbox.standardError = FileHandle.nullDevice
        try mbox.run()
        let bytes = [UInt8](out.fileHandleForReading.readDataToEndOfFile())
        mbox.waitUntilExit()
        XCTAssertTrue(bytes.indices.contains { bytes[$0...].starts(with: quoted) })
    }

    /// A C file with invalid UTF-8 is checked like any other: no crash, its lines kept.
    func testInvalidUTF8InTheTreeFile() throws {
        let file = tree + "/drivers/demo/demo_mmap.c"
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
        bytes = Array("/* ".utf8) + [0xC3, 0x28, 0xFF] + Array(" */\n".utf8) + bytes
        XCTAssertTrue(FileManager.default.createFile(atPath: file, contents: Data(bytes)))
        // The patch's line numbers are one off now: git apply's offset search finds the hunk.
        let result = try mmlint(["check", "--tree", tree, "--format", "json", Repo.fixtures + "/check-patches/new-misuse.patch"])
        XCTAssertEqual(result.status, 1, result.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let findings = try XCTUnwrap(json["findings"] as? [[String: Any]])
        XCTAssertEqual(findings.map { $0["line"] as? Int }, [31])
    }

    func testUnknownCharsetAndBrokenMIMEAreClearErrors() throws {
        let header = "From: A <a@example.org>\nSubject: [PATCH] x\nMIME-Version: 1.0\n"
        let diff = "--- a/drivers/demo/demo.h\n+++ b/drivers/demo/demo.h\n@@ -1 +1 @@\n-a\n+b\n"
        let cases: [(String, String)] = [
            (header + "Content-Type: text/plain; charset=x-klingon\n\n" + diff, "unknown charset \"x-klingon\" in"),
            (header + "Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\n%%%not base64%%%\n", "broken base64 in"),
            (header + "Content-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\n=ZZ=\nbroken\n", "broken quoted-printable in"),
            (header + "Content-Type: text/plain\nContent-Transfer-Encoding: x-uuencode\n\n" + diff, "unknown Content-Transfer-Encoding \"x-uuencode\""),
            (header + "Content-Type: multipart/mixed\n\n" + diff, "no diff found"),
        ]
        for (index, (mail, message)) in cases.enumerated() {
            let path = try write(mail, "mail\(index).eml")
            let result = try mmlint(["check", "--tree", tree, path])
            XCTAssertEqual(result.status, 2, mail)
            assertOneLineError(result.stderr, contains: message)
            XCTAssertTrue(result.stderr.contains("mail\(index).eml"), "names the input: \(result.stderr)")
            XCTAssertEqual(result.stdout, "")
        }
    }

    // MARK: bad configuration

    func testBrokenCompileDatabases() throws {
        let cases: [(String, String)] = [
            ("{ not json", "not a compile database (expected a JSON array of objects)"),
            ("{\"directory\": \"/\"}", "not a compile database (expected a JSON array of objects)"),
            ("[{\"directory\": \"/\", \"command\": \"cc -c x.c\"}]", "entry 1 lacks \"directory\" or \"file\""),
            ("[{\"directory\": \"/\", \"file\": \"x.c\"}]", "entry 1 (x.c) has neither \"arguments\" nor \"command\""),
            ("[{\"directory\": \"/\", \"file\": \"x.c\", \"arguments\": [1, 2]}]", "entry 1 (x.c) has neither \"arguments\" nor \"command\""),
        ]
        for (text, message) in cases {
            let path = try write(text, "compile_commands.json")
            for arguments in [["scan", "--compile-commands", path, Repo.fixtures + "/example"],
                              ["check", "--tree", tree, "--compile-commands", path, Repo.fixtures + "/check-patches/new-misuse.patch"]] {
                let result = try mmlint(arguments)
                XCTAssertEqual(result.status, 2, text)
                assertOneLineError(result.stderr, contains: "compile_commands.json: " + message)
                XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
            }
        }
        let missing = try mmlint(["scan", "--compile-commands", work + "/none.json", Repo.fixtures + "/example"])
        XCTAssertEqual(missing.status, 2)
        assertOneLineError(missing.stderr, contains: "none.json: cannot read the compile database")
    }

    func testUnreadableAndOddInputs() throws {
        let folder = work + "/folder.patch"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let asFolder = try mmlint(["check", "--tree", tree, folder])
        XCTAssertEqual(asFolder.status, 2)
        assertOneLineError(asFolder.stderr, contains: "folder.patch: not a regular file")
        let none = try mmlint(["check", "--tree", tree, work + "/none.patch"])
        XCTAssertEqual(none.status, 2)
        assertOneLineError(none.stderr, contains: "none.patch: cannot read the patch file (No such file or directory)")

        // A FIFO and a folder named *.c are not sources; a FIFO would block the scan.
        let src = work + "/src"
        try FileManager.default.createDirectory(atPath: src + "/odd.c", withIntermediateDirectories: true)
        XCTAssertEqual(mkfifo(src + "/pipe.c", 0o644), 0)
        try FileManager.default.copyItem(atPath: Repo.fixtures + "/direct-call/fault_direct.c", toPath: src + "/fault_direct.c")
        let scan = try mmlint(["scan", "--no-cache", "--format", "json", src])
        XCTAssertEqual(scan.status, 1, scan.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(scan.stdout.utf8)) as? [String: Any])
        XCTAssertEqual((json["summary"] as? [String: Any])?["files"] as? Int, 1)
        let fifo = try mmlint(["scan", "--no-cache", src + "/pipe.c"])
        XCTAssertEqual(fifo.status, 2)
        assertOneLineError(fifo.stderr, contains: "pipe.c: not a regular file")

        let rules = try mmlint(["scan", Repo.fixtures + "/example"], environment: ["MMLINT_RULES=" + work + "/no-rules"])
        XCTAssertEqual(rules.status, 2)
        XCTAssertEqual(rules.stderr.split(separator: "\n").count, 1, rules.stderr)
        assertOneLineError(rules.stderr, contains: "no-rules")
    }

    /// A cache "folder" that is a file: a warning, and the scan goes on.
    func testCacheFolderThatIsAFile() throws {
        let cache = try write("not a folder", "cache")
        let result = try mmlint(["scan", "--cache-dir", cache, "--format", "json", Repo.fixtures + "/example"])
        XCTAssertEqual(result.status, 1, result.stderr)
        assertOneLineError(result.stderr, contains: "cache not writable")
        XCTAssertTrue(result.stdout.contains("bar_map.c"))
        XCTAssertEqual(try String(contentsOfFile: cache, encoding: .utf8), "not a folder")
    }
}

import Foundation
import XCTest

/// mmlint in the real pre-submit tools: b4 (from PyPI, installed by
/// scripts/install-deps.sh) running `mmlint check --format checkpatch` as its
/// per-patch check command, and `git send-email` (Debian's git-email) with
/// the hook `mmlint install-hook` writes. Offline, in a throwaway HOME.
final class PresubmitToolTests: XCTestCase {
    var home = ""
    var repo = ""
    var environment: [String: String] = [:]

    static var b4: String {
        let env = ProcessInfo.processInfo.environment
        let venv = env["MMLINT_VENV"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((env["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory() + "/.cache") + "/mmlint/venv")
        return venv + "/bin/b4"
    }

    override func setUpWithError() throws {
        home = try temporaryDirectory(self)
        repo = home + "/linux"
        environment = ProcessInfo.processInfo.environment
        environment["HOME"] = home
        environment["XDG_CACHE_HOME"] = home + "/cache"
        environment["XDG_CONFIG_HOME"] = home + "/config"
        environment["GIT_CONFIG_NOSYSTEM"] = "1"
        try git(["config", "--global", "user.name", "Ada Reviewer"], in: home)
        try git(["config", "--global", "user.email", "ada@example.org"], in: home)
        try git(["init", "-q", "-b", "master", repo], in: home)
        try FileManager.default.copyItem(atPath: Repo.fixtures + "/check-tree/drivers", toPath: repo + "/drivers")
        try git(["add", "-A"], in: repo)
        try git(["commit", "-qm", "demo: initial"], in: repo)
    }

    @discardableResult
    func tool(_ executable: String, _ arguments: [String], in dir: String) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: dir)
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }

    @discardableResult
    func git(_ arguments: [String], in dir: String) throws -> String {
        let result = try tool("/usr/bin/git", arguments, in: dir)
        XCTAssertEqual(result.status, 0, "git \(arguments.joined(separator: " ")): \(result.stderr)")
        return result.stdout
    }

    /// A two-patch series on branch `series`: a harmless one, then one that
    /// adds a follow_pfn() call to a fault handler.
    func makeSeries() throws {
        try git(["checkout", "-q", "-b", "series"], in: repo)
        let helper = repo + "/drivers/demo/demo_map.c"
        let text = try String(contentsOfFile: helper, encoding: .utf8)
            .replacingOccurrences(of: "meant for mmap time.", with: "meant for mmap time only.")
        try text.write(toFile: helper, atomically: true, encoding: .utf8)
        try git(["commit", "-qam", "demo: clarify a comment\n\nSigned-off-by: Ada Reviewer <ada@example.org>"], in: repo)
        try git(["apply", Repo.fixtures + "/check-patches/new-misuse.patch"], in: repo)
        try git(["commit", "-qam", "demo: skip faults on pages already mapped\n\nSigned-off-by: Ada Reviewer <ada@example.org>"], in: repo)
    }

    func requireB4() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.b4) else {
            XCTFail("\(Self.b4) missing: run scripts/install-deps.sh (the test command does)")
            throw XCTSkip("no b4")
        }
    }

    func testB4PrepCheckRunsMmlintPerPatch() throws {
        try requireB4()
        try makeSeries()
        let enroll = try tool(Self.b4, ["--offline-mode", "-n", "prep", "--enroll", "master"], in: repo)
        XCTAssertEqual(enroll.status, 0, enroll.stderr)
        let command = "\(Repo.executable) check --format checkpatch"
        let result = try tool(Self.b4, ["--offline-mode", "-n", "-c", "b4.prep-perpatch-check-cmd=\(command)",
                                        "prep", "--no-cache", "--check"], in: repo)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("mmlint: drivers/demo/demo_mmap.c:30: ERROR: follow_pfn() in a fault path"),
                      result.stderr)
        XCTAssertTrue(result.stderr.contains("Error: 1"), result.stderr)
        XCTAssertFalse(result.stderr.contains("demo_bar_fault"), "the old finding must not be reported: \(result.stderr)")
    }

    func testB4AmCheckOnAnMbox() throws {
        try requireB4()
        let result = try tool(Self.b4, ["--offline-mode", "-n", "-c",
                                        "b4.am-perpatch-check-cmd=\(Repo.executable) check --format checkpatch",
                                        "am", "--check", "-m", Repo.fixtures + "/check-patches/series.mbox",
                                        "-o", home + "/am"], in: repo)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("mmlint: drivers/demo/demo_mmap.c:30: ERROR: follow_pfn()"), result.stderr)
        XCTAssertTrue(result.stderr.contains("mmlint: passed all checks"), result.stderr)
    }

    func testSendEmailHookRefusesNewMisuse() throws {
        let install = try tool(Repo.executable, ["install-hook"], in: repo)
        XCTAssertEqual(install.status, 0, install.stderr)
        XCTAssertTrue(install.stdout.contains("sendemail-validate"), install.stdout)
        try makeSeries()
        let out = home + "/outgoing"
        try git(["format-patch", "-q", "-o", out, "master..series"], in: repo)
        let patches = try FileManager.default.contentsOfDirectory(atPath: out).sorted().map { out + "/" + $0 }
        XCTAssertEqual(patches.count, 2)
        let arguments = ["send-email", "--dry-run", "--confirm=never", "--to=maintainer@example.org",
                         "--smtp-server=/bin/true"]
        let clean = try tool("/usr/bin/git", arguments + [patches[0]], in: repo)
        XCTAssertEqual(clean.status, 0, clean.stderr)
        XCTAssertTrue(clean.stdout.contains("Result: OK"), clean.stdout)
        let refused = try tool("/usr/bin/git", arguments + [patches[1]], in: repo)
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("rejected by sendemail-validate hook"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("drivers/demo/demo_mmap.c:30:"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("[mm-follow-pfn]"), refused.stderr)
        // A second install is idempotent; a foreign hook is not overwritten.
        XCTAssertEqual(try tool(Repo.executable, ["install-hook"], in: repo).status, 0)
        try "#!/bin/sh\nexit 0\n".write(toFile: repo + "/.git/hooks/sendemail-validate", atomically: true, encoding: .utf8)
        let foreign = try tool(Repo.executable, ["install-hook"], in: repo)
        XCTAssertEqual(foreign.status, 2)
        XCTAssertTrue(foreign.stderr.contains("was not written by mmlint"), foreign.stderr)
    }

    /// The hook refuses a patch when a file it touches could not be
    /// analysed (here the harmless patch, whose file crashes the parser),
    /// and git's output names the file.
    func testSendEmailHookRefusesAPatchItCouldNotAnalyse() throws {
        XCTAssertEqual(try tool(Repo.executable, ["install-hook"], in: repo).status, 0)
        try makeSeries()
        let out = home + "/outgoing"
        try git(["format-patch", "-q", "-o", out, "master..series"], in: repo)
        let patches = try FileManager.default.contentsOfDirectory(atPath: out).sorted().map { out + "/" + $0 }
        let arguments = ["send-email", "--dry-run", "--confirm=never", "--to=maintainer@example.org",
                         "--smtp-server=/bin/true", patches[0]]
        environment["MMLINT_TEST_PARSE_FAULT"] = "crash=demo_map.c"
        let refused = try tool("/usr/bin/git", arguments, in: repo)
        XCTAssertNotEqual(refused.status, 0, refused.stdout)
        XCTAssertTrue(refused.stderr.contains("rejected by sendemail-validate hook"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("drivers/demo/demo_map.c (before and after the patch) could not be analysed: "
                                              + "the parser crashed (signal 11, segmentation fault)"), refused.stderr)
        XCTAssertFalse(refused.stdout.contains("Result: OK"), refused.stdout)
        // The same patch goes through once the file can be analysed.
        environment["MMLINT_TEST_PARSE_FAULT"] = nil
        let sent = try tool("/usr/bin/git", arguments, in: repo)
        XCTAssertEqual(sent.status, 0, sent.stderr)
        XCTAssertTrue(sent.stdout.contains("Result: OK"), sent.stdout)
    }

    /// b4's per-patch check counts the failure's ERROR line as a failure for
    /// the harmless patch whose file cannot be analysed.
    func testB4CountsAnUnanalysedPatchAsFailing() throws {
        try requireB4()
        try makeSeries()
        let enroll = try tool(Self.b4, ["--offline-mode", "-n", "prep", "--enroll", "master"], in: repo)
        XCTAssertEqual(enroll.status, 0, enroll.stderr)
        environment["MMLINT_TEST_PARSE_FAULT"] = "crash=demo_map.c"
        let command = "\(Repo.executable) check --format checkpatch"
        let result = try tool(Self.b4, ["--offline-mode", "-n", "-c", "b4.prep-perpatch-check-cmd=\(command)",
                                        "prep", "--no-cache", "--check"], in: repo)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("mmlint: drivers/demo/demo_map.c: ERROR: mmlint could not analyse this file"),
                      result.stderr)
        // Both patches fail: the clarifying one (its file crashed) and the one adding follow_pfn().
        XCTAssertTrue(result.stderr.contains("Error: 2"), result.stderr)
        XCTAssertFalse(result.stderr.contains("passed all checks"), result.stderr)
    }

    /// b4 review's own per-patch runner, driven from b4's own config loading:
    /// what its check matrix would show for each patch of the series.
    static let reviewRunner = """
        import json, sys
        import b4
        from b4.review import checks
        topdir = sys.argv[1]
        b4._setup_main_config(None, topdir=topdir)
        perpatch, _series = checks.load_check_cmds()
        patches = []
        for index, path in enumerate(sys.argv[2:]):
            with open(path, 'rb') as handle:
                for msg in b4.mailsplit_bytes(handle.read()):
                    patches.append((str(index), msg))
        results = checks.run_perpatch_checks(patches, perpatch, topdir)
        json.dump({'commands': perpatch, 'results': [results[mid] for mid, _msg in patches]}, sys.stdout)
        """

    /// Runs b4 review's per-patch checks on the series' patches, in the repo;
    /// returns each patch's result entries.
    func reviewChecks(_ patches: [String]) throws -> [[[String: String]]] {
        let python = (Self.b4 as NSString).deletingLastPathComponent + "/python3"
        let script = home + "/review_checks.py"
        try Self.reviewRunner.write(toFile: script, atomically: true, encoding: .utf8)
        let run = try tool(python, [script, repo] + patches, in: repo)
        XCTAssertEqual(run.status, 0, run.stderr)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any],
                                   run.stdout + run.stderr)
        XCTAssertEqual(object["commands"] as? [String], ["\(Repo.executable) check --format b4-review"],
                       "b4 must take the command from b4.review-perpatch-check-cmd")
        return try XCTUnwrap(object["results"] as? [[[String: String]]], run.stdout)
    }

    func testB4ReviewPerPatchCheckRunsMmlint() throws {
        let python = (Self.b4 as NSString).deletingLastPathComponent + "/python3"
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw XCTSkip("b4's venv is missing (\(python)): run scripts/install-deps.sh to install b4 0.16")
        }
        try makeSeries()
        try git(["config", "b4.review-perpatch-check-cmd", "\(Repo.executable) check --format b4-review"], in: repo)
        let out = home + "/review"
        try git(["format-patch", "-q", "-o", out, "master..series"], in: repo)
        let patches = try FileManager.default.contentsOfDirectory(atPath: out).sorted().map { out + "/" + $0 }
        XCTAssertEqual(patches.count, 2)

        // The review branch holds the series (HEAD is its last patch), and
        // the tree without it: the same verdicts either way.
        for branch in ["series", "master"] {
            try git(["checkout", "-q", branch], in: repo)
            let results = try reviewChecks(patches)
            XCTAssertEqual(results.count, 2)
            XCTAssertEqual(results[0].count, 1, "\(branch): \(results[0])")
            XCTAssertEqual(results[0].first?["tool"], "mmlint")
            XCTAssertEqual(results[0].first?["status"], "pass", "\(branch): \(results[0])")
            XCTAssertEqual(results[0].first?["summary"], "no mm API misuse added")
            XCTAssertEqual(results[1].count, 1, "\(branch): \(results[1])")
            let finding = try XCTUnwrap(results[1].first)
            XCTAssertEqual(finding["tool"], "mmlint")
            XCTAssertEqual(finding["status"], "fail", "\(branch): \(finding)")
            XCTAssertEqual(finding["summary"], "drivers/demo/demo_mmap.c:30: follow_pfn() in a fault path [mm-follow-pfn]",
                           "\(branch): \(finding)")
            let details = finding["details"] ?? ""
            XCTAssertTrue(details.hasPrefix("drivers/demo/demo_mmap.c:30: follow_pfn() in a fault path"), details)
            XCTAssertTrue(details.contains("[mm-follow-pfn, high confidence]"), details)
            XCTAssertTrue(details.contains("    if (!follow_pfn(vma, vmf->address, &cur) && cur == pfn)"), details)
            XCTAssertTrue(details.contains("  chain: "), details)
            XCTAssertTrue(details.contains("  suggestion: "), details)
            XCTAssertFalse(details.contains("demo_bar_fault"), "the old finding must not be reported: \(details)")
        }

        // A file that could not be analysed fails the patch that touches it.
        try git(["checkout", "-q", "series"], in: repo)
        environment["MMLINT_TEST_PARSE_FAULT"] = "crash=demo_map.c"
        let faulted = try reviewChecks([patches[0]])
        XCTAssertEqual(faulted.count, 1)
        let entry = try XCTUnwrap(faulted[0].first)
        XCTAssertEqual(faulted[0].count, 1, "\(faulted[0])")
        XCTAssertEqual(entry["tool"], "mmlint")
        XCTAssertEqual(entry["status"], "fail", "\(entry)")
        XCTAssertEqual(entry["summary"], "1 file could not be analysed: not checked")
        XCTAssertTrue(entry["details"]?.contains("drivers/demo/demo_map.c (before and after the patch) could not be analysed: "
                                                 + "the parser crashed") == true, "\(entry)")
    }
}

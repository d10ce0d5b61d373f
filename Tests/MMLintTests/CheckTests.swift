import Foundation
import MMLintCore
import MMLintEngine
@testable import MMLintCheck
import XCTest

/// `mmlint check` on the fixture tree: only what a patch introduces.
final class CheckTests: XCTestCase {
    let tree = Repo.fixtures + "/check-tree"
    let patches = Repo.fixtures + "/check-patches"

    struct Outcome {
        var status: Int32
        var stdout: String
        var stderr: String
        var findings: [[String: Any]]
        var fixed: [[String: Any]]
        var json: [String: Any]
    }

    /// `environment`: `NAME=value` settings for this run (the test-only parse faults).
    func check(_ arguments: [String], stdin: String? = nil, format: String = "json", environment: [String] = []) throws -> Outcome {
        // The fact cache only where a test asks for one: a check must not
        // depend on what an earlier test left in the user's cache.
        let cache = arguments.contains("--cache-dir") ? [] : ["--no-cache"]
        let result = try runCommand("/usr/bin/env", environment + [Repo.executable, "check", "--tree", tree, "--format", format]
                                    + cache + arguments, in: Repo.root, stdin: stdin)
        var json: [String: Any] = [:]
        if format == "json", !result.stdout.isEmpty {
            json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], result.stdout)
        }
        return Outcome(status: result.status, stdout: result.stdout, stderr: result.stderr,
                       findings: json["findings"] as? [[String: Any]] ?? [],
                       fixed: json["fixed"] as? [[String: Any]] ?? [], json: json)
    }

    /// The 1-based line of the first line containing `needle` in `text`.
    func line(of needle: String, in path: String) throws -> Int {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return try XCTUnwrap(text.components(separatedBy: "\n").firstIndex { $0.contains(needle) }) + 1
    }

    func assertNewFollowPfn(_ outcome: Outcome, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(outcome.status, 1, outcome.stderr, file: file, line: line)
        XCTAssertEqual(outcome.findings.count, 1, outcome.stdout, file: file, line: line)
        let finding = outcome.findings.first ?? [:]
        XCTAssertEqual(finding["ruleId"] as? String, "mm-follow-pfn", file: file, line: line)
        XCTAssertEqual(finding["file"] as? String, "drivers/demo/demo_mmap.c", file: file, line: line)
        // Line 30 of the post-image: `if (!follow_pfn(vma, vmf->address, &cur) && cur == pfn)`.
        XCTAssertEqual(finding["line"] as? Int, 30, file: file, line: line)
        XCTAssertEqual(finding["function"] as? String, "demo_db_fault", file: file, line: line)
        XCTAssertEqual(finding["chain"] as? [String], [".fault of demo_db_vm_ops", "demo_db_fault", "follow_pfn"],
                       file: file, line: line)
        XCTAssertEqual(outcome.fixed.count, 0, file: file, line: line)
    }

    func testNewMisuseIsFoundAndOldOneIsNot() throws {
        let outcome = try check([patches + "/new-misuse.patch"])
        assertNewFollowPfn(outcome)
        XCTAssertEqual(outcome.json["mode"] as? String, "tree")
        XCTAssertEqual(outcome.findings.first?["patchIndex"] as? Int, 1)
        XCTAssertEqual(outcome.findings.first?["patchSubject"] as? String, "demo: skip faults on pages already mapped")
    }

    func testAFixIsSilentAndCountedAsFixed() throws {
        let outcome = try check([patches + "/fix.patch"])
        XCTAssertEqual(outcome.status, 0, outcome.stderr)
        XCTAssertEqual(outcome.findings.count, 0)
        XCTAssertEqual(outcome.fixed.count, 1)
        XCTAssertEqual(outcome.fixed.first?["function"] as? String, "demo_bar_fault")
        XCTAssertEqual(outcome.fixed.first?["callee"] as? String, "io_remap_pfn_range")
        XCTAssertTrue(outcome.stderr.contains("the patch fixes mm-remap-in-fault: io_remap_pfn_range() in demo_bar_fault()"),
                      outcome.stderr)
    }

    /// The tree's own files (the touched ones before the patch, their
    /// neighbours) come from the fact cache once a check has parsed them:
    /// a second check parses only the patched versions, and says the same.
    /// The old finding the post-image still holds (`demo_bar_fault`'s remap)
    /// must still be subtracted, from cached facts.
    func testTheTreesOwnFilesComeFromTheCacheTheSecondTime() throws {
        let cache = try temporaryDirectory(self)
        func canonical(_ outcome: Outcome) throws -> String {
            let data = try JSONSerialization.data(withJSONObject: ["findings": outcome.findings, "fixed": outcome.fixed],
                                                  options: [.sortedKeys])
            return String(decoding: data, as: UTF8.self)
        }
        func summary(_ outcome: Outcome) throws -> (parsed: Int, cached: Int) {
            let summary = try XCTUnwrap(outcome.json["summary"] as? [String: Any], outcome.stdout)
            return (try XCTUnwrap(summary["parsed"] as? Int), try XCTUnwrap(summary["cached"] as? Int))
        }
        for patch in ["new-misuse.patch", "fix.patch", "new-call-old-helper.patch", "new-ops-entry.patch", "series.mbox"] {
            let uncached = try check([patches + "/" + patch])
            let cold = try check(["--cache-dir", cache, patches + "/" + patch])
            let warm = try check(["--cache-dir", cache, "-v", patches + "/" + patch])
            XCTAssertEqual(cold.status, uncached.status, patch)
            XCTAssertEqual(warm.status, uncached.status, patch + ": " + warm.stderr)
            XCTAssertEqual(try canonical(cold), try canonical(uncached), patch)
            XCTAssertEqual(try canonical(warm), try canonical(uncached), patch)
            let (coldParsed, coldCached) = try summary(cold)
            let (warmParsed, warmCached) = try summary(warm)
            XCTAssertGreaterThan(warmCached, 0, "\(patch): the tree's files were parsed again")
            XCTAssertLessThan(warmParsed, coldParsed + coldCached, patch)
            // The patched versions are one-offs: always parsed.
            XCTAssertGreaterThan(warmParsed, 0, patch)
            XCTAssertTrue(warm.stderr.contains("taken from the fact cache, not parsed"), warm.stderr)
        }
        XCTAssertEqual(try check([patches + "/new-misuse.patch"]).findings.count, 1)
    }

    /// A new call into an old helper in another file: reported at the new
    /// call, with the chain down to the old remap.
    func testNewCallIntoOldHelperIsReportedAtTheCall() throws {
        let outcome = try check([patches + "/new-call-old-helper.patch"])
        XCTAssertEqual(outcome.status, 1, outcome.stderr)
        XCTAssertEqual(outcome.findings.count, 1, outcome.stdout)
        let finding = try XCTUnwrap(outcome.findings.first)
        XCTAssertEqual(finding["ruleId"] as? String, "mm-remap-in-fault")
        XCTAssertEqual(finding["file"] as? String, "drivers/demo/demo_mmap.c")
        XCTAssertEqual(finding["line"] as? Int, 29)  // `return demo_map_all(vma) ? …` in the post-image
        XCTAssertEqual(finding["chain"] as? [String],
                       [".fault of demo_db_vm_ops", "demo_db_fault", "demo_map_all", "remap_pfn_range"])
        XCTAssertTrue((finding["message"] as? String ?? "").contains("drivers/demo/demo_map.c:10 was already there"),
                      "\(finding["message"] ?? "")")
    }

    /// Installing an old handler (so far a root by its shape only) in an ops
    /// table is new, at the ops line; the weaker old finding is not "fixed".
    func testNewOpsEntryMakesOldHelperReachable() throws {
        let outcome = try check([patches + "/new-ops-entry.patch"])
        XCTAssertEqual(outcome.status, 1, outcome.stderr)
        XCTAssertEqual(outcome.findings.count, 1, outcome.stdout)
        let finding = try XCTUnwrap(outcome.findings.first)
        XCTAssertEqual(finding["line"] as? Int,
                       try line(of: ".fault = demo_bar_fault,", in: tree + "/drivers/demo/demo_mmap.c") + 1)
        XCTAssertEqual((finding["chain"] as? [String])?.first, ".page_mkwrite of demo_bar_vm_ops")
        XCTAssertEqual(finding["confidence"] as? String, "high")
        XCTAssertEqual(outcome.fixed.count, 0)
    }

    func testRemapAtMmapTimeIsFine() throws {
        let outcome = try check([patches + "/mmap-remap.patch"])
        XCTAssertEqual(outcome.status, 0, outcome.stdout + outcome.stderr)
        XCTAssertEqual(outcome.findings.count, 0)
    }

    func testSeriesAttributesToTheIntroducingPatch() throws {
        let outcome = try check([patches + "/series.mbox"])
        XCTAssertEqual(outcome.status, 1, outcome.stderr)
        XCTAssertEqual(outcome.findings.count, 1, outcome.stdout)
        XCTAssertEqual(outcome.findings.first?["patchIndex"] as? Int, 2)
        XCTAssertEqual(outcome.findings.first?["patchSubject"] as? String, "demo: skip faults on pages already mapped")
        XCTAssertEqual(outcome.findings.first?["line"] as? Int, 30)

        let text = try check([patches + "/series.mbox"], format: "text")
        XCTAssertTrue(text.stdout.hasPrefix("[PATCH 2/3] demo: skip faults on pages already mapped\n"), text.stdout)
        XCTAssertTrue(text.stderr.contains("3 patches checked (tree mode): 1 new finding (patch 2)"), text.stderr)
    }

    func testEncodedMailsGiveTheSameAnswer() throws {
        for name in ["quoted-printable.eml", "base64.eml", "crlf.eml"] {
            assertNewFollowPfn(try check([patches + "/" + name]))
        }
    }

    func testPlainDiffOnStandardInput() throws {
        let diff = try String(contentsOfFile: patches + "/plain.diff", encoding: .utf8)
        let outcome = try check(["-"], stdin: diff)
        XCTAssertEqual(outcome.status, 1, outcome.stderr)
        XCTAssertEqual(outcome.findings.map { $0["ruleId"] as? String }, ["mm-remap-in-fault"])
    }

    func testRenameKeepsOldFindingsOld() throws {
        let outcome = try check([patches + "/rename.patch"])
        XCTAssertEqual(outcome.status, 0, outcome.stdout + outcome.stderr)
        XCTAssertEqual(outcome.findings.count, 0)
        XCTAssertEqual(outcome.fixed.count, 0)
    }

    func testPatchThatDoesNotApplyIsAnError() throws {
        let outcome = try check([patches + "/not-applying.patch"], format: "text")
        XCTAssertEqual(outcome.status, 2)
        XCTAssertEqual(outcome.stdout, "")
        XCTAssertTrue(outcome.stderr.contains("drivers/demo/demo_mmap.c"), outcome.stderr)
        XCTAssertTrue(outcome.stderr.contains("hunk 1"), outcome.stderr)
    }

    /// The patch from the reference mail's situation, with no tree: the hunk
    /// header tells the fault handler.
    func testHunkOnlyModeFromThePatchAlone() throws {
        let outcome = try check([patches + "/hunk-only.patch"])
        XCTAssertEqual(outcome.status, 1, outcome.stderr)
        XCTAssertEqual(outcome.json["mode"] as? String, "hunk-only")
        XCTAssertTrue(outcome.stderr.contains("hunk-only mode"), outcome.stderr)
        XCTAssertEqual(outcome.findings.count, 1, outcome.stdout)
        let finding = try XCTUnwrap(outcome.findings.first)
        XCTAssertEqual(finding["ruleId"] as? String, "mm-follow-pfn")
        XCTAssertEqual(finding["file"] as? String, "drivers/vfio/pci/vfio_pci.c")
        XCTAssertEqual(finding["line"] as? Int, 1627)
        XCTAssertEqual(finding["function"] as? String, "vfio_pci_mmap_fault")
        XCTAssertEqual(finding["confidence"] as? String, "low")
        XCTAssertTrue((finding["suggestion"] as? String ?? "").contains("vmf_insert_pfn_prot(vmf->vma, vmf->address"))
    }

    /// b4's check-command lines: one per finding on stdout, nothing on stderr
    /// (b4 counts every stderr line as a failure), nothing at all when clean.
    func testCheckpatchFormat() throws {
        let found = try check([patches + "/new-misuse.patch"], format: "checkpatch")
        XCTAssertEqual(found.status, 1)
        XCTAssertEqual(found.stderr, "")
        let lines = found.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 1)
        XCTAssertTrue(lines[0].hasPrefix("drivers/demo/demo_mmap.c:30: ERROR: follow_pfn() in a fault path"), String(lines[0]))
        XCTAssertTrue(lines[0].hasSuffix("[mm-follow-pfn]"))

        let clean = try check([patches + "/mmap-remap.patch"], format: "checkpatch")
        XCTAssertEqual(clean.status, 0)
        XCTAssertEqual(clean.stdout, "")
        XCTAssertEqual(clean.stderr, "")
    }

    func testSARIFCarriesThePatch() throws {
        let outcome = try check([patches + "/series.mbox"], format: "sarif")
        let sarif = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any])
        let result = try XCTUnwrap(((sarif["runs"] as? [[String: Any]])?.first?["results"] as? [[String: Any]])?.first)
        let properties = try XCTUnwrap(result["properties"] as? [String: Any])
        XCTAssertEqual(properties["patchIndex"] as? Int, 2)
        XCTAssertEqual(properties["patchSubject"] as? String, "demo: skip faults on pages already mapped")
    }

    /// The tree is never written.
    func testTreeIsUntouched() throws {
        func snapshot() throws -> [String: Data] {
            var files: [String: Data] = [:]
            for path in FileManager.default.enumerator(atPath: tree)?.allObjects as? [String] ?? [] {
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: tree + "/" + path, isDirectory: &isDirectory), !isDirectory.boolValue {
                    files[path] = FileManager.default.contents(atPath: tree + "/" + path)
                }
            }
            return files
        }
        let before = try snapshot()
        for name in ["new-misuse.patch", "fix.patch", "rename.patch", "series.mbox", "not-applying.patch"] {
            _ = try check([patches + "/" + name])
        }
        XCTAssertEqual(try snapshot(), before)
    }

    /// The tree already holds the patch (committed, as when git send-email's
    /// hook or b4 prep runs): checked against the tree with it taken out.
    func testAlreadyAppliedPatchIsCheckedInReverse() throws {
        let dir = try temporaryDirectory(self)
        try FileManager.default.copyItem(atPath: tree + "/drivers", toPath: dir + "/drivers")
        let applied = try runCommand("/usr/bin/git", ["apply", patches + "/new-misuse.patch"], in: dir)
        XCTAssertEqual(applied.status, 0, applied.stderr)
        let result = try runCommand(Repo.executable, ["check", "--tree", dir, "--format", "json", patches + "/new-misuse.patch"])
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("the series is already in the tree"), result.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let findings = try XCTUnwrap(json["findings"] as? [[String: Any]])
        XCTAssertEqual(findings.map { $0["ruleId"] as? String }, ["mm-follow-pfn"])
        XCTAssertEqual(findings.first?["line"] as? Int, 30)
    }

    /// --git RANGE: each commit of the range, in a git checkout.
    func testGitRange() throws {
        let dir = try temporaryDirectory(self)
        try FileManager.default.copyItem(atPath: tree + "/drivers", toPath: dir + "/drivers")
        let git = { (arguments: [String]) throws -> String in
            let result = try runCommand("/usr/bin/git", ["-c", "user.name=Ada", "-c", "user.email=ada@example.org"] + arguments, in: dir)
            XCTAssertEqual(result.status, 0, result.stderr)
            return result.stdout
        }
        _ = try git(["init", "-q", "-b", "main"])
        _ = try git(["add", "-A"])
        _ = try git(["commit", "-qm", "base"])
        _ = try git(["apply", patches + "/mmap-remap.patch"])
        _ = try git(["commit", "-qam", "demo: map the BAR at mmap time"])
        _ = try git(["apply", patches + "/new-misuse.patch"])
        _ = try git(["commit", "-qam", "demo: skip faults on pages already mapped"])
        let result = try runCommand(Repo.executable, ["check", "--format", "json", "--git", "HEAD~2..HEAD"], in: dir)
        XCTAssertEqual(result.status, 1, result.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let findings = try XCTUnwrap(json["findings"] as? [[String: Any]])
        XCTAssertEqual(findings.map { $0["patchIndex"] as? Int }, [2])
        XCTAssertEqual(findings.map { $0["ruleId"] as? String }, ["mm-follow-pfn"])
        XCTAssertTrue(result.stderr.contains("2 patches checked"), result.stderr)
    }

    /// A patch that adds a new driver file with the mistake in it.
    func testNewFile() throws {
        let dir = try temporaryDirectory(self)
        let patch = """
            diff --git a/drivers/demo/demo_new.c b/drivers/demo/demo_new.c
            new file mode 100644
            index 0000000..1111111
            --- /dev/null
            +++ b/drivers/demo/demo_new.c
            @@ -0,0 +1,11 @@
            +/* A new file: everything in it is new. */
            +static vm_fault_t new_fault(struct vm_fault *vmf)
            +{
            +	struct vm_area_struct *vma = vmf->vma;
            +
            +	return remap_pfn_range(vma, vma->vm_start, 0, PAGE_SIZE, vma->vm_page_prot) ?
            +		VM_FAULT_SIGBUS : VM_FAULT_NOPAGE;
            +}
            +static const struct vm_operations_struct new_ops = {
            +	.fault = new_fault,
            +};

            """
        try patch.write(toFile: dir + "/new.patch", atomically: true, encoding: .utf8)
        let outcome = try check([dir + "/new.patch"])
        XCTAssertEqual(outcome.status, 1, outcome.stderr)
        XCTAssertEqual(outcome.findings.map { $0["file"] as? String }, ["drivers/demo/demo_new.c"])
        XCTAssertEqual(outcome.findings.map { $0["line"] as? Int }, [6])
        XCTAssertFalse(FileManager.default.fileExists(atPath: tree + "/drivers/demo/demo_new.c"))
    }

    func testPathsLeavingTheTreeAreRefused() throws {
        let dir = try temporaryDirectory(self)
        let patch = """
            --- a/../outside.c
            +++ b/../outside.c
            @@ -1 +1 @@
            -a
            +b

            """
        try patch.write(toFile: dir + "/evil.patch", atomically: true, encoding: .utf8)
        let outcome = try check([dir + "/evil.patch"], format: "text")
        XCTAssertEqual(outcome.status, 2)
        XCTAssertTrue(outcome.stderr.contains("../outside.c: refusing a patch path"), outcome.stderr)

        // A symlink inside the tree that points out of it.
        let root = dir + "/tree"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try "a\n".write(toFile: dir + "/secret.c", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: root + "/link.c", withDestinationPath: dir + "/secret.c")
        try "--- a/link.c\n+++ b/link.c\n@@ -1 +1 @@\n-a\n+b\n".write(toFile: dir + "/link.patch", atomically: true, encoding: .utf8)
        let linked = try runCommand(Repo.executable, ["check", "--tree", root, dir + "/link.patch"])
        XCTAssertEqual(linked.status, 2)
        XCTAssertTrue(linked.stderr.contains("link.c: refusing a patch path that resolves through a symlink"), linked.stderr)
        XCTAssertEqual(try String(contentsOfFile: dir + "/secret.c", encoding: .utf8), "a\n")
    }

    // MARK: failing closed

    static let crash = "the parser crashed (signal 11, segmentation fault)"

    func failures(_ outcome: Outcome) -> [[String: String]] {
        (outcome.json["failures"] as? [[String: Any]] ?? []).map { $0.compactMapValues { $0 as? String } }
    }

    /// The touched file crashes the parser: no findings are known, so the
    /// check is not clean. Exit 2, one line naming the file, its versions
    /// and the cause, and the JSON says the same.
    func testCheckFailsClosedWhenTheTouchedFileCannotBeAnalysed() throws {
        let outcome = try check([patches + "/new-misuse.patch"], environment: ["MMLINT_TEST_PARSE_FAULT=crash=demo_mmap.c"])
        XCTAssertEqual(outcome.status, 2, outcome.stderr)
        XCTAssertEqual(outcome.findings.count, 0)
        XCTAssertEqual(failures(outcome), [["file": "drivers/demo/demo_mmap.c", "version": "before and after the patch",
                                            "cause": Self.crash]])
        let summary = try XCTUnwrap(outcome.json["summary"] as? [String: Any])
        XCTAssertEqual(summary["failed"] as? Int, 1)
        XCTAssertEqual(summary["parsed"] as? Int, 0)
        let errors = outcome.stderr.split(separator: "\n").filter { $0.hasPrefix("mmlint: error: ") }
        XCTAssertEqual(errors, ["mmlint: error: drivers/demo/demo_mmap.c (before and after the patch) could not be analysed: "
                                + Self.crash], outcome.stderr)
        XCTAssertFalse(outcome.stderr.contains("warning"), "a failure is an error, not a warning: \(outcome.stderr)")
        XCTAssertTrue(outcome.stderr.contains("0 new findings, 1 file could not be analysed"), outcome.stderr)

        // Without the fault the same patch is checked: the switch is what failed it.
        assertNewFollowPfn(try check([patches + "/new-misuse.patch"]))
        XCTAssertEqual(failures(try check([patches + "/new-misuse.patch"])), [])
    }

    /// What was found is printed first; the run still exits 2 when another
    /// file of the series could not be analysed.
    func testCheckPrintsItsFindingsThenFailsClosed() throws {
        let fault = ["MMLINT_TEST_PARSE_FAULT=crash=demo_map.c"]
        let json = try check([patches + "/series.mbox"], environment: fault)
        XCTAssertEqual(json.status, 2, json.stderr)
        XCTAssertEqual(json.findings.map { $0["ruleId"] as? String }, ["mm-follow-pfn"])
        XCTAssertEqual(json.findings.first?["patchIndex"] as? Int, 2)
        XCTAssertEqual(failures(json), [["file": "drivers/demo/demo_map.c", "version": "before the series and after patches 1, 2, 3",
                                         "cause": Self.crash]])

        let text = try check([patches + "/series.mbox"], format: "text", environment: fault)
        XCTAssertEqual(text.status, 2, text.stderr)
        XCTAssertTrue(text.stdout.contains("drivers/demo/demo_mmap.c:30:"), text.stdout)
        let lines = text.stderr.split(separator: "\n").map(String.init)
        let error = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("mmlint: error: drivers/demo/demo_map.c (before the series and after patches 1, 2, 3) could not be analysed: ") })
        let summary = try XCTUnwrap(lines.firstIndex { $0.contains("3 patches checked") })
        XCTAssertLessThan(error, summary, "the failure is said before the summary: \(text.stderr)")

        // -q drops the summary, never the failure.
        let quiet = try check([patches + "/series.mbox", "-q"], format: "text", environment: fault)
        XCTAssertEqual(quiet.status, 2)
        XCTAssertEqual(quiet.stderr, "mmlint: error: drivers/demo/demo_map.c (before the series and after patches 1, 2, 3) "
                       + "could not be analysed: \(Self.crash)\n")
    }

    /// b4 counts `ERROR:` lines as failures and every stderr line once more:
    /// the failure is one ERROR line on stdout, after the findings, nothing on stderr.
    func testCheckpatchFormatFailsClosedWithAnErrorLine() throws {
        let lone = try check([patches + "/new-misuse.patch"], format: "checkpatch",
                             environment: ["MMLINT_TEST_PARSE_FAULT=crash=demo_mmap.c"])
        XCTAssertEqual(lone.status, 2)
        XCTAssertEqual(lone.stderr, "")
        XCTAssertEqual(lone.stdout, "drivers/demo/demo_mmap.c: ERROR: mmlint could not analyse this file (before and after the patch): "
                       + "\(Self.crash); mm API misuse in it would go unseen\n")

        // A hang stopped by the timeout, beside a finding in another file.
        let hang = try check([patches + "/series.mbox"], format: "checkpatch",
                             environment: ["MMLINT_TEST_PARSE_FAULT=hang=demo_map.c", "MMLINT_PARSE_TIMEOUT=1"])
        XCTAssertEqual(hang.status, 2)
        XCTAssertEqual(hang.stderr, "")
        let lines = hang.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 2, hang.stdout)
        XCTAssertTrue(lines.first?.hasPrefix("drivers/demo/demo_mmap.c:30: ERROR: follow_pfn()") ?? false, hang.stdout)
        XCTAssertTrue(lines.last?.hasPrefix("drivers/demo/demo_map.c: ERROR: mmlint could not analyse this file ("
                                            + "before the series and after patches 1, 2, 3): parsing took longer than 1 s") ?? false,
                      hang.stdout)
    }

    /// A neighbour (an untouched file next to the patched one, read because
    /// the patch calls into it) that cannot be analysed hides the finding
    /// it would have completed: it fails the check too.
    func testANeighbourThatCannotBeAnalysedFailsTheCheck() throws {
        let outcome = try check([patches + "/new-call-old-helper.patch"], environment: ["MMLINT_TEST_PARSE_FAULT=crash=demo_map.c"])
        XCTAssertEqual(outcome.status, 2, outcome.stderr)
        XCTAssertEqual(outcome.findings.count, 0, "the remap is in the file that failed")
        XCTAssertEqual(failures(outcome), [["file": "drivers/demo/demo_map.c", "version": "as a neighbour of the patched files",
                                            "cause": Self.crash]])
    }

    /// SARIF: the invocation did not succeed, and a notification names the file.
    func testSARIFCarriesTheFailure() throws {
        let outcome = try check([patches + "/series.mbox"], format: "sarif", environment: ["MMLINT_TEST_PARSE_FAULT=crash=demo_map.c"])
        XCTAssertEqual(outcome.status, 2, outcome.stderr)
        let sarif = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any])
        let run = try XCTUnwrap((sarif["runs"] as? [[String: Any]])?.first)
        XCTAssertEqual((run["results"] as? [[String: Any]])?.count, 1)
        let invocations = try XCTUnwrap(run["invocations"] as? [[String: Any]])
        XCTAssertEqual(invocations.count, 1)
        XCTAssertEqual(invocations.first?["executionSuccessful"] as? Bool, false)
        let notification = try XCTUnwrap((invocations.first?["toolExecutionNotifications"] as? [[String: Any]])?.first)
        XCTAssertEqual(notification["level"] as? String, "error")
        XCTAssertEqual((notification["descriptor"] as? [String: Any])?["id"] as? String, "mmlint-analysis-failed")
        let text = (notification["message"] as? [String: Any])?["text"] as? String ?? ""
        XCTAssertTrue(text.hasSuffix("could not be analysed: " + Self.crash), text)
        let artifact = ((notification["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any])?["artifactLocation"] as? [String: Any]
        XCTAssertEqual(artifact?["uri"] as? String, "drivers/demo/demo_map.c")
        XCTAssertEqual(artifact?["uriBaseId"] as? String, "SRCROOT")

        let clean = try check([patches + "/series.mbox"], format: "sarif")
        let cleanRun = try XCTUnwrap(((JSONSerialization.jsonObject(with: Data(clean.stdout.utf8)) as? [String: Any])?["runs"] as? [[String: Any]])?.first)
        let cleanInvocation = try XCTUnwrap((cleanRun["invocations"] as? [[String: Any]])?.first)
        XCTAssertEqual(cleanInvocation["executionSuccessful"] as? Bool, true)
        XCTAssertEqual((cleanInvocation["toolExecutionNotifications"] as? [Any])?.count, 0)
    }

    /// A finding of the version before a patch is not "fixed" when the
    /// version after it could not be analysed. The patch renames the file
    /// so that only the post-image has the name the fault switch matches.
    func testAFixIsNotClaimedWhenThePostImageFailed() throws {
        let dir = try temporaryDirectory(self)
        let fix = try String(contentsOfFile: patches + "/fix.patch", encoding: .utf8)
        let renamed = fix.replacingOccurrences(of: """
            diff --git a/drivers/demo/demo_mmap.c b/drivers/demo/demo_mmap.c
            index 2cb60dd..4f3e721 100644
            --- a/drivers/demo/demo_mmap.c
            +++ b/drivers/demo/demo_mmap.c
            """, with: """
            diff --git a/drivers/demo/demo_mmap.c b/drivers/demo/demo_bar.c
            similarity index 90%
            rename from drivers/demo/demo_mmap.c
            rename to drivers/demo/demo_bar.c
            index 2cb60dd..4f3e721 100644
            --- a/drivers/demo/demo_mmap.c
            +++ b/drivers/demo/demo_bar.c
            """)
        XCTAssertNotEqual(renamed, fix)
        try renamed.write(toFile: dir + "/fix-and-rename.patch", atomically: true, encoding: .utf8)
        let works = try check([dir + "/fix-and-rename.patch"])
        XCTAssertEqual(works.status, 0, works.stderr)
        XCTAssertEqual(works.fixed.map { $0["callee"] as? String }, ["io_remap_pfn_range"])

        let failed = try check([dir + "/fix-and-rename.patch"], environment: ["MMLINT_TEST_PARSE_FAULT=crash=demo_bar.c"])
        XCTAssertEqual(failed.status, 2, failed.stderr)
        XCTAssertEqual(failed.fixed.count, 0, "nothing is known after the patch: \(failed.stdout)")
        XCTAssertFalse(failed.stderr.contains("fixes"), failed.stderr)
        XCTAssertEqual(failures(failed), [["file": "drivers/demo/demo_bar.c", "version": "after the patch", "cause": Self.crash]])
    }

    /// Hunk-only mode (the files are not in the tree): a fragment that
    /// cannot be analysed fails the check the same way.
    func testHunkOnlyModeFailsClosed() throws {
        let outcome = try check([patches + "/hunk-only.patch"], environment: ["MMLINT_TEST_PARSE_FAULT=crash=vfio_pci.c"])
        XCTAssertEqual(outcome.status, 2, outcome.stderr)
        XCTAssertEqual(outcome.json["mode"] as? String, "hunk-only")
        XCTAssertEqual(outcome.findings.count, 0)
        XCTAssertEqual(failures(outcome), [["file": "drivers/vfio/pci/vfio_pci.c", "version": "the hunks of the patch",
                                            "cause": Self.crash]])
        XCTAssertTrue(outcome.stderr.contains("mmlint: error: drivers/vfio/pci/vfio_pci.c (the hunks of the patch) could not be analysed: "),
                      outcome.stderr)
        let checkpatch = try check([patches + "/hunk-only.patch"], format: "checkpatch",
                                   environment: ["MMLINT_TEST_PARSE_FAULT=crash=vfio_pci.c"])
        XCTAssertEqual(checkpatch.status, 2)
        XCTAssertTrue(checkpatch.stdout.hasPrefix("drivers/vfio/pci/vfio_pci.c: ERROR: mmlint could not analyse this file"),
                      checkpatch.stdout)
    }

    /// Parse errors are diagnostics in a file that was analysed, not failures.
    func testParseErrorsAreNotFailures() throws {
        let dir = try temporaryDirectory(self)
        let patch = """
            diff --git a/drivers/demo/demo_broken.c b/drivers/demo/demo_broken.c
            new file mode 100644
            --- /dev/null
            +++ b/drivers/demo/demo_broken.c
            @@ -0,0 +1,3 @@
            +static int broken(void)
            +{
            +	return undeclared_thing +;

            """
        try patch.write(toFile: dir + "/broken.patch", atomically: true, encoding: .utf8)
        let outcome = try check([dir + "/broken.patch"])
        XCTAssertEqual(outcome.status, 0, outcome.stderr)
        let summary = try XCTUnwrap(outcome.json["summary"] as? [String: Any])
        XCTAssertGreaterThan(summary["parseErrors"] as? Int ?? 0, 0)
        XCTAssertEqual(summary["failed"] as? Int, 0)
        XCTAssertEqual(failures(outcome), [])
    }

    // MARK: code this configuration does not build

    /// The parse records which lines the preprocessor skipped: each branch
    /// not taken, from its directive to the directive that ends it, and
    /// nothing of a branch taken.
    func testSkippedLinesAreAFactOfTheUnit() throws {
        let dir = try temporaryDirectory(self)
        let path = dir + "/skipped.c"
        let source = """
            int taken(void)
            {
            #ifdef MMLINT_TEST_UNDEFINED
            \treturn 1;
            #else
            \treturn 2;
            #endif
            }
            #if 0
            int gone(void);
            #endif

            """
        try source.write(toFile: path, atomically: true, encoding: .utf8)
        let plan = sharedEngine.plan(for: AnalysisOptions(files: [path], jobs: 1))
        let plain = try XCTUnwrap(sharedEngine.parse([ParseRequest(path: path)], plan: plan, jobs: 1).first?.facts)
        XCTAssertEqual(plain.skippedLines, [], "a scan does not ask for them")
        let outcome = sharedEngine.parse([ParseRequest(path: path, recordsSkippedLines: true)], plan: plan, jobs: 1)
        let unit = try XCTUnwrap(outcome.first?.facts)
        XCTAssertEqual(unit.skippedLines.count, 2, "\(unit.skippedLines)")
        let skipped = (1...11).filter { unit.isSkipped(line: $0) }
        XCTAssertTrue(skipped.contains(4), "the branch not taken: \(unit.skippedLines)")
        XCTAssertTrue(skipped.contains(10), "#if 0: \(unit.skippedLines)")
        XCTAssertFalse(skipped.contains(6), "the branch taken: \(unit.skippedLines)")
        XCTAssertFalse(skipped.contains(1) || skipped.contains(2) || skipped.contains(8), "\(unit.skippedLines)")
        XCTAssertEqual(try JSONDecoder().decode(UnitFacts.self, from: JSONEncoder().encode(unit)).skippedLines,
                       unit.skippedLines, "the fact survives the cache and the parse workers")
    }

    /// The skipped-lines record (a slower parse) is asked for only where an
    /// added line names something a rule watches: the only lines the check
    /// analyses when the preprocessor skipped them.
    func testSkippedLinesAreRecordedOnlyWhereAnAddedLineCanMatter() {
        let file = PatchCheck.FileState.present(Array("""
            static vm_fault_t demo_fault(struct vm_fault *vmf)
            {
            \tpr_debug("fault at %lx\\n", vmf->address);
            \tif (!follow_pfn(vma, addr, &pfn))
            \t\treturn VM_FAULT_SIGBUS;
            \tmy_follow_pfn_count++;
            }
            """.utf8))
        let watched = TreeCheck.watchedNames(sharedEngine)
        XCTAssertTrue(watched.contains("follow_pfn"))
        XCTAssertTrue(TreeCheck.addsWatchedName(lines: [4], in: file, watched: watched))
        XCTAssertTrue(TreeCheck.addsWatchedName(lines: [3, 4], in: file, watched: watched))
        XCTAssertFalse(TreeCheck.addsWatchedName(lines: [3], in: file, watched: watched), "a debug line")
        XCTAssertFalse(TreeCheck.addsWatchedName(lines: [6], in: file, watched: watched), "a name holding one is not it")
        XCTAssertFalse(TreeCheck.addsWatchedName(lines: [], in: file, watched: watched))
        XCTAssertFalse(TreeCheck.addsWatchedName(lines: [4], in: .deleted, watched: watched))
        XCTAssertFalse(TreeCheck.addsWatchedName(lines: [40], in: file, watched: watched))
    }

    /// A follow_pfn() call added in a fault handler inside an `#ifdef` the
    /// tree's configuration leaves off: the parse never sees it, yet the
    /// check reports it, at low confidence, saying the line is not built.
    func testMisuseInCodeThisConfigurationSkipsIsReported() throws {
        let outcome = try check([patches + "/skipped-misuse.patch"])
        XCTAssertEqual(outcome.status, 1, outcome.stderr + outcome.stdout)
        XCTAssertEqual(failures(outcome), [])
        XCTAssertEqual(outcome.findings.count, 1, outcome.stdout)
        let finding = outcome.findings.first ?? [:]
        XCTAssertEqual(finding["ruleId"] as? String, "mm-follow-pfn")
        XCTAssertEqual(finding["file"] as? String, "drivers/demo/demo_mmap.c")
        // `if (!follow_pfn(vma, vmf->address, &pfn))` in the post-image.
        XCTAssertEqual(finding["line"] as? Int, 30)
        XCTAssertEqual(finding["function"] as? String, "demo_db_fault")
        XCTAssertEqual(finding["confidence"] as? String, "low")
        XCTAssertEqual(finding["patchIndex"] as? Int, 1)
        let message = finding["message"] as? String ?? ""
        XCTAssertTrue(message.contains("not built in this configuration (#ifdef CONFIG_DEMO_DB_RECHECK"), message)
    }

    /// The same kind of patch adding a line that mentions nothing a rule
    /// watches stays clean, and needs no parse beyond the tree's.
    func testHarmlessLineInSkippedCodeStaysClean() throws {
        let outcome = try check([patches + "/skipped-harmless.patch"])
        XCTAssertEqual(outcome.status, 0, outcome.stderr + outcome.stdout)
        XCTAssertEqual(outcome.findings.count, 0, outcome.stdout)
        XCTAssertEqual(failures(outcome), [])
        let summary = try XCTUnwrap(outcome.json["summary"] as? [String: Any])
        XCTAssertEqual(summary["parsed"] as? Int, 2, "before and after the patch, no fragment")
    }

    /// A fragment of skipped code that cannot be analysed fails the check.
    func testSkippedCodeThatCannotBeAnalysedFailsClosed() throws {
        let outcome = try check([patches + "/skipped-misuse.patch"],
                                environment: ["MMLINT_TEST_PARSE_FAULT=crash=/mmlint-skipped/1/drivers/demo/demo_mmap.c"])
        XCTAssertEqual(outcome.status, 2, outcome.stderr)
        XCTAssertEqual(failures(outcome).map { $0["file"] }, ["drivers/demo/demo_mmap.c"])
        XCTAssertEqual(failures(outcome).first?["cause"], Self.crash)
        XCTAssertEqual(failures(outcome).first?["version"], "the patch's lines this configuration does not build")
    }
}

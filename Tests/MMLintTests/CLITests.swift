import Foundation
import XCTest

/// The `mmlint` executable end to end: output formats, exit status, errors.
final class CLITests: XCTestCase {
    func testScanExampleTextAndExitOne() throws {
        let result = try runCommand(Repo.executable, ["scan", "--no-cache", "fixtures/example"], in: Repo.root)
        XCTAssertEqual(result.status, 1, result.stderr)
        let lines = result.stdout.components(separatedBy: "\n")
        XCTAssertTrue(lines[0].hasPrefix("fixtures/example/bar_map.c:10:9: warning: io_remap_pfn_range() maps a whole range"), lines[0])
        XCTAssertTrue(lines[0].hasSuffix("[mm-remap-in-fault]"), lines[0])
        XCTAssertEqual(lines[1], "\treturn io_remap_pfn_range(vma, vma->vm_start, pfn, /* expect: mm-remap-in-fault chain: .fault of bar_mmap_ops → bar_mmap_fault → bar_map_vma → io_remap_pfn_range */")
        XCTAssertEqual(lines[2], "\t       ^")
        XCTAssertEqual(lines[3], "  chain: .fault of bar_mmap_ops → bar_mmap_fault → bar_map_vma → io_remap_pfn_range")
        XCTAssertTrue(lines[4].hasPrefix("  suggestion: map only the faulting page with vmf_insert_pfn_prot(vmf->vma, vmf->address, pfn, prot)"), lines[4])
        XCTAssertTrue(result.stderr.contains("mmlint: 2 files, 2 parsed, 0 parse errors, 1 finding"), result.stderr)
    }

    /// `--prefilter` parses only what can matter and reports the same;
    /// the summary says how many files were read, parsed and skipped.
    func testPrefilterSkipsFilesAndKeepsFindings() throws {
        // Two rules: the others judge every fault handler, and every fixture has one.
        let args = ["scan", "--no-cache", "--format", "json", "--rule", "mm-remap-in-fault", "--rule", "mm-follow-pfn",
                    "fixtures"]
        let with = try runCommand(Repo.executable, args + ["--prefilter"], in: Repo.root)
        let without = try runCommand(Repo.executable, args + ["--no-prefilter"], in: Repo.root)
        XCTAssertEqual(with.status, 1, with.stderr)
        XCTAssertEqual(without.status, 1, without.stderr)
        func parts(_ json: String) throws -> (findings: Data, summary: [String: Any]) {
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
            let findings = try JSONSerialization.data(withJSONObject: object["findings"] as Any, options: [.sortedKeys])
            return (findings, try XCTUnwrap(object["summary"] as? [String: Any]))
        }
        let (found, summary) = try parts(with.stdout)
        let (all, fullSummary) = try parts(without.stdout)
        XCTAssertEqual(String(decoding: found, as: UTF8.self), String(decoding: all, as: UTF8.self))
        let files = try XCTUnwrap(summary["files"] as? Int)
        let parsed = try XCTUnwrap(summary["parsed"] as? Int)
        let skipped = try XCTUnwrap(summary["skipped"] as? Int)
        XCTAssertEqual(parsed + skipped, files)
        XCTAssertGreaterThan(skipped, 0, "the clean fixtures need no parse")
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(summary["read"] as? Int), files)
        XCTAssertEqual(fullSummary["parsed"] as? Int, files)
        XCTAssertEqual(fullSummary["skipped"] as? Int, 0)
        XCTAssertEqual(fullSummary["read"] as? Int, 0)
        XCTAssertTrue(with.stderr.contains("\(files) files, \(summary["read"]!) read, \(parsed) parsed, \(skipped) skipped"),
                      with.stderr)
    }

    /// `--memory-budget` makes parses wait for each other, and changes no
    /// finding; `--memory-budget 0` is no budget. The parse workers stop
    /// once the files are parsed.
    func testMemoryBudgetOrdersParsesAndKeepsFindings() throws {
        let args = ["scan", "--no-cache", "--no-prefilter", "--jobs", "2", "--format", "json", "fixtures"]
        let stats = ["MMLINT_MEMORY_STATS": "1"]
        let tight = try runCommand(Repo.executable, args + ["--memory-budget", "1"], in: Repo.root, environment: stats)
        let none = try runCommand(Repo.executable, args + ["--memory-budget", "0"], in: Repo.root, environment: stats)
        XCTAssertEqual(tight.status, 1, tight.stderr)
        XCTAssertEqual(none.status, 1, none.stderr)
        func findings(_ json: String) throws -> String {
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
            let findings = try XCTUnwrap(object["findings"] as? [Any])
            XCTAssertFalse(findings.isEmpty)
            return String(decoding: try JSONSerialization.data(withJSONObject: findings, options: [.sortedKeys]), as: UTF8.self)
        }
        XCTAssertEqual(try findings(tight.stdout), try findings(none.stdout))
        let waited = tight.stderr.components(separatedBy: "\n").first { $0.contains("waited for the memory budget") }
        let count = try XCTUnwrap(waited?.components(separatedBy: "; ").dropFirst().first?.split(separator: " ").first.flatMap { Int($0) },
                                  tight.stderr)
        XCTAssertGreaterThan(count, 0, "with 1 MiB, a parse waits whenever another is in flight")
        XCTAssertFalse(none.stderr.contains("memory budget"), none.stderr)
        // The workers parse, and are gone before the rules run.
        XCTAssertTrue(none.stderr.contains("files parsed or cached; 2 parse workers hold"), none.stderr)
        XCTAssertTrue(none.stderr.contains("units held; 0 parse workers hold 0 MiB"), none.stderr)
        let refused = try runCommand(Repo.executable, ["scan", "--memory-budget", "-1", "fixtures"], in: Repo.root)
        XCTAssertEqual(refused.status, 2)
        XCTAssertTrue(refused.stderr.contains("--memory-budget"), refused.stderr)
    }

    func testCleanScanExitsZeroAndQuietIsQuiet() throws {
        let result = try runCommand(Repo.executable, ["scan", "-q", "fixtures/no-findings"], in: Repo.root)
        XCTAssertEqual(result.status, 0)
        XCTAssertEqual(result.stdout, "")
        XCTAssertEqual(result.stderr, "")
        // Clean because the files were read, not because nothing was.
        let json = try runCommand(Repo.executable, ["scan", "-q", "--no-cache", "--format", "json", "fixtures/no-findings"],
                                  in: Repo.root)
        XCTAssertEqual(json.status, 0, json.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let summary = try XCTUnwrap(object["summary"] as? [String: Any])
        let files = cFiles(in: Repo.fixtures + "/no-findings").count
        XCTAssertGreaterThan(files, 0)
        XCTAssertEqual(summary["files"] as? Int, files)
        XCTAssertEqual(summary["parsed"] as? Int, files)
        XCTAssertEqual(summary["failed"] as? Int, 0)
        XCTAssertEqual((object["failures"] as? [Any])?.count, 0)
    }

    /// The top-level help states the exit status, a file that could not be
    /// analysed included.
    func testHelpStatesTheExitStatus() throws {
        let help = try runCommand(Repo.executable, ["--help"])
        XCTAssertEqual(help.status, 0)
        let words = help.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        XCTAssertTrue(words.contains("2 usage or input error, or a file that could not be analysed"), help.stdout)
    }

    func testVerboseSaysWhereFlagsCameFrom() throws {
        let result = try runCommand(Repo.executable, ["scan", "-v", "fixtures/direct-call"], in: Repo.root)
        XCTAssertTrue(result.stderr.contains("fault_direct.c: bare mode (mmlint prelude, no kernel headers)"), result.stderr)
    }

    func testUsageAndInputErrorsExitTwo() throws {
        let missing = try runCommand(Repo.executable, ["scan", "no/such/dir"], in: Repo.root)
        XCTAssertEqual(missing.status, 2)
        XCTAssertEqual(missing.stdout, "")
        XCTAssertTrue(missing.stderr.contains("no/such/dir: no such file or folder"), missing.stderr)

        let badOption = try runCommand(Repo.executable, ["scan", "--format", "xml", "fixtures"], in: Repo.root)
        XCTAssertEqual(badOption.status, 2)
        XCTAssertTrue(badOption.stderr.contains("xml"), badOption.stderr)
        // A format of check's is a usage error for scan, which has no patches.
        let checkFormat = try runCommand(Repo.executable, ["scan", "--format", "checkpatch", "fixtures"], in: Repo.root)
        XCTAssertEqual(checkFormat.status, 2)
        XCTAssertEqual(checkFormat.stdout, "")
        XCTAssertTrue(checkFormat.stderr.contains("is for `mmlint check`"), checkFormat.stderr)

        let badRule = try runCommand(Repo.executable, ["scan", "--rule", "mm-nope", "fixtures"], in: Repo.root)
        XCTAssertEqual(badRule.status, 2)
        XCTAssertTrue(badRule.stderr.contains("unknown rule 'mm-nope'"), badRule.stderr)

        let dir = try temporaryDirectory(self)
        try "not json".write(toFile: dir + "/compile_commands.json", atomically: true, encoding: .utf8)
        let badDatabase = try runCommand(Repo.executable, ["scan", "--compile-commands", dir, "fixtures/example"], in: Repo.root)
        XCTAssertEqual(badDatabase.status, 2)
        XCTAssertTrue(badDatabase.stderr.contains("compile_commands.json: not a compile database"), badDatabase.stderr)

        let badVersion = try runCommand(Repo.executable, ["scan", "--kernel-version", "x", "fixtures"], in: Repo.root)
        XCTAssertEqual(badVersion.status, 2)
    }

    func testRuleFilter() throws {
        let result = try runCommand(Repo.executable, ["scan", "-q", "--rule", "mm-follow-pfn", "--format", "json", "fixtures"], in: Repo.root)
        XCTAssertEqual(result.status, 1)
        let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
        let ids = Set((json["findings"] as! [[String: Any]]).map { $0["ruleId"] as! String })
        XCTAssertEqual(ids, ["mm-follow-pfn"])
    }

    func testKernelVersionOptionChangesAdvice() throws {
        let result = try runCommand(Repo.executable, ["scan", "-q", "--kernel-version", "6.12", "fixtures/follow-pfn"], in: Repo.root)
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stdout.contains("follow_pfnmap_start(&args)"), result.stdout)
        XCTAssertTrue(result.stdout.contains("removed in v6.10: this call does not build"), result.stdout)
    }

    func testRulesAndExplain() throws {
        let rules = try runCommand(Repo.executable, ["rules"])
        XCTAssertEqual(rules.status, 0)
        XCTAssertTrue(rules.stdout.contains("mm-remap-in-fault"))
        XCTAssertTrue(rules.stdout.contains("mm-follow-pfn"))

        let explain = try runCommand(Repo.executable, ["explain", "mm-remap-in-fault"])
        XCTAssertEqual(explain.status, 0)
        XCTAssertTrue(explain.stdout.hasPrefix("mm-remap-in-fault: "))
        XCTAssertTrue(explain.stdout.contains("Confidence: high"))
        XCTAssertTrue(explain.stdout.contains("  io_remap_pfn_range()"))
        XCTAssertTrue(explain.stdout.contains("Flagged (1):"))
        XCTAssertTrue(explain.stdout.contains("Not flagged (1):"))
        XCTAssertTrue(explain.stdout.contains("vmf_insert_pfn_prot(vmf->vma, vmf->address, pfn"))

        let unknown = try runCommand(Repo.executable, ["explain", "mm-nope"])
        XCTAssertEqual(unknown.status, 2)
    }
}

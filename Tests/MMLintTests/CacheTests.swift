import Foundation
import XCTest

/// The fact cache: reused when nothing changed, invalidated by a header, by
/// the rules, never trusted when corrupted; output identical whatever --jobs.
final class CacheTests: XCTestCase {
    var work = ""
    var cache = ""

    override func setUpWithError() throws {
        work = try temporaryDirectory(self)
        cache = work + "/cache"
        try FileManager.default.copyItem(atPath: Repo.fixtures + "/bare-includes", toPath: work + "/src")
    }

    func scan(_ extra: [String] = [], environment: [String] = []) throws -> (status: Int32, summary: [String: Any], stdout: String, stderr: String) {
        let result = try runCommand("/usr/bin/env", environment + [Repo.executable, "scan", "--format", "json", "--cache-dir", cache]
                                    + extra + [work + "/src"])
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], result.stderr)
        return (result.status, try XCTUnwrap(json["summary"] as? [String: Any]), result.stdout, result.stderr)
    }

    func testWarmScanReusesFacts() throws {
        let cold = try scan()
        XCTAssertEqual(cold.summary["parsed"] as? Int, 1)
        XCTAssertEqual(cold.summary["cached"] as? Int, 0)
        let warm = try scan()
        XCTAssertEqual(warm.summary["parsed"] as? Int, 0)
        XCTAssertEqual(warm.summary["cached"] as? Int, 1)
        XCTAssertEqual(warm.status, 1)
        XCTAssertEqual(warm.summary["findings"] as? Int, 1)
        let uncached = try scan(["--no-cache"])
        XCTAssertEqual(uncached.summary["parsed"] as? Int, 1)
        XCTAssertEqual(uncached.summary["cached"] as? Int, 0)
    }

    /// The prefilter's choice is reused while no C file or header of the
    /// tree changed (size, time, inode); a touched, added or removed file,
    /// or a corrupted entry, makes it read the tree again.
    func testPrefilterChoiceIsReusedUntilTheTreeChanges() throws {
        try FileManager.default.removeItem(atPath: work + "/src")
        try FileManager.default.copyItem(atPath: Repo.fixtures + "/cross-file", toPath: work + "/src")
        for index in 0..<3 {
            try "int filler_\(index)(int x)\n{\n\treturn x;\n}\n".write(
                toFile: work + "/src/filler_\(index).c", atomically: true, encoding: .utf8)
        }
        func prefiltered() throws -> (reused: Bool, read: Int, findings: String) {
            let result = try scan(["--prefilter", "-v"])
            let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            let findings = try JSONSerialization.data(withJSONObject: json["findings"] as Any, options: .sortedKeys)
            XCTAssertEqual(result.status, 1, result.stderr)
            XCTAssertGreaterThan(result.summary["skipped"] as? Int ?? 0, 0)
            return (result.stderr.contains("prefilter: tree unchanged, choice reused"),
                    result.summary["read"] as? Int ?? -1, String(decoding: findings, as: UTF8.self))
        }
        let cold = try prefiltered()
        XCTAssertFalse(cold.reused)
        XCTAssertGreaterThan(cold.read, 0)
        let warm = try prefiltered()
        XCTAssertTrue(warm.reused)
        XCTAssertEqual(warm.read, 0, "an unchanged tree is not read again")
        XCTAssertEqual(warm.findings, cold.findings)

        let helper = work + "/src/filler_1.c"
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: 60)], ofItemAtPath: helper)
        XCTAssertFalse(try prefiltered().reused, "a touched file")
        XCTAssertTrue(try prefiltered().reused)
        try "#define FILLER 1\n".write(toFile: work + "/src/filler.h", atomically: true, encoding: .utf8)
        XCTAssertFalse(try prefiltered().reused, "a new header")
        try FileManager.default.removeItem(atPath: work + "/src/filler.h")
        XCTAssertFalse(try prefiltered().reused, "a removed header")

        let entries = try FileManager.default.contentsOfDirectory(atPath: cache + "/selections").filter { $0.hasSuffix(".json") }
        XCTAssertFalse(entries.isEmpty)
        for entry in entries { try Data("{\"salt\": 3".utf8).write(to: URL(fileURLWithPath: cache + "/selections/" + entry)) }
        let afterCorruption = try prefiltered()
        XCTAssertFalse(afterCorruption.reused, "a corrupted entry is a miss")
        XCTAssertEqual(afterCorruption.findings, cold.findings)
        XCTAssertTrue(try prefiltered().reused, "and is rewritten")
    }

    func testEditingAnIncludedHeaderInvalidates() throws {
        _ = try scan()
        let header = work + "/src/dev_local.h"
        let text = try String(contentsOfFile: header, encoding: .utf8)
            .replacingOccurrences(of: "return remap_pfn_range(vma, vma->vm_start, vma->vm_pgoff, PAGE_SIZE, vma->vm_page_prot);",
                                  with: "return 0;")
        try text.write(toFile: header, atomically: true, encoding: .utf8)
        let after = try scan()
        XCTAssertEqual(after.summary["parsed"] as? Int, 1)
        XCTAssertEqual(after.summary["cached"] as? Int, 0)
        XCTAssertEqual(after.summary["findings"] as? Int, 0)
        XCTAssertEqual(after.status, 0)
    }

    func testChangingARuleInvalidatesAll() throws {
        _ = try scan()
        let rules = work + "/rules"
        try FileManager.default.copyItem(atPath: Repo.rules, toPath: rules)
        let yaml = rules + "/mm-remap-in-fault.yaml"
        let text = try String(contentsOfFile: yaml, encoding: .utf8).replacingOccurrences(of: "maps a whole range", with: "maps an entire range")
        try text.write(toFile: yaml, atomically: true, encoding: .utf8)
        let after = try scan(environment: ["MMLINT_RULES=" + rules])
        XCTAssertEqual(after.summary["parsed"] as? Int, 1)
        XCTAssertEqual(after.summary["cached"] as? Int, 0)
        XCTAssertTrue(after.stdout.contains("maps an entire range"))
    }

    func testCorruptedEntriesAreRebuiltNotTrusted() throws {
        _ = try scan()
        let entries = (FileManager.default.enumerator(atPath: cache)?.allObjects as? [String] ?? []).filter { $0.hasSuffix(".json") }
        XCTAssertFalse(entries.isEmpty)
        for entry in entries {
            // Valid JSON of the wrong shape, and plain garbage.
            try "{\"salt\": \"x\"}".write(toFile: cache + "/" + entry, atomically: true, encoding: .utf8)
        }
        let after = try scan()
        XCTAssertEqual(after.summary["parsed"] as? Int, 1)
        XCTAssertEqual(after.summary["findings"] as? Int, 1)
        for entry in entries {
            try Data([0xff, 0x00, 0x13]).write(to: URL(fileURLWithPath: cache + "/" + entry))
        }
        XCTAssertEqual(try scan().summary["parsed"] as? Int, 1)
        XCTAssertEqual(try scan().summary["cached"] as? Int, 1, "rebuilt entries are used again")
    }

    func testReadOnlyCacheWarnsAndGoesOn() throws {
        try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: cache)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: cache) }
        guard getuid() != 0 else {
            // root writes anyway; the warning path is exercised with a file in the way instead.
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: cache)
            try FileManager.default.removeItem(atPath: cache)
            try "not a folder".write(toFile: cache, atomically: true, encoding: .utf8)
            let result = try scan()
            XCTAssertEqual(result.summary["findings"] as? Int, 1)
            XCTAssertTrue(result.stderr.contains("cache not writable"), result.stderr)
            return
        }
        let result = try scan()
        XCTAssertEqual(result.summary["findings"] as? Int, 1)
        XCTAssertTrue(result.stderr.contains("cache not writable"), result.stderr)
    }

    /// Same SARIF, byte for byte, whatever the number of workers.
    func testOutputIsIndependentOfJobs() throws {
        var outputs: [String] = []
        for jobs in ["1", "2", "5"] {
            let result = try runCommand(Repo.executable, ["scan", "-q", "--no-cache", "--format", "sarif", "--jobs", jobs, "fixtures"],
                                        in: Repo.root)
            XCTAssertEqual(result.status, 1)
            outputs.append(result.stdout)
        }
        XCTAssertEqual(outputs[0], outputs[1])
        XCTAssertEqual(outputs[0], outputs[2])
    }
}

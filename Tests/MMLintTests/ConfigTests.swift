import Foundation
import MMLintCore
import MMLintEngine
import MMLintRules
import MMLintReporters
import XCTest

/// `.mmlint.yml`: parsing, errors that name file and line, and what the
/// settings do to the rules that run and to every output format.
final class ConfigTests: XCTestCase {
    let path = "/tree/.mmlint.yml"

    func parse(_ text: String) throws(ConfigError) -> ProjectConfig {
        try ProjectConfig(text: text, path: path)
    }

    func error(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> String? {
        do {
            _ = try parse(text)
            XCTFail("accepted:\n\(text)", file: file, line: line)
            return nil
        } catch {
            return error.description
        }
    }

    func testValidConfig() throws {
        let config = try parse("""
            # the project's mmlint settings
            rules:
              mm-follow-pfn:
                enabled: false
              mm-remap-in-fault:
                severity: error
                enabled: true
            plugins:
              - tools/libDriverRules.so
              - ../shared/libMore.so
              - /opt/rules/libAbsolute.so
            """)
        XCTAssertEqual(config.disabled, ["mm-follow-pfn"])
        XCTAssertEqual(config.severities, ["mm-remap-in-fault": .error])
        XCTAssertEqual(config.rules.map(\.line), [3, 5])
        XCTAssertEqual(config.plugins, ["/tree/tools/libDriverRules.so", "/shared/libMore.so", "/opt/rules/libAbsolute.so"])
    }

    func testEmptyConfigAndEmptySectionsConfigureNothing() throws {
        XCTAssertEqual(try parse(""), ProjectConfig(path: path))
        XCTAssertEqual(try parse("# nothing yet\n"), ProjectConfig(path: path))
        XCTAssertEqual(try parse("rules:\nplugins:\n"), ProjectConfig(path: path))
    }

    func testUnknownKeysNameFileAndLine() {
        XCTAssertEqual(error("rules:\n  mm-follow-pfn:\n    enabled: false\nplugin:\n  - x.so\n"),
                       "/tree/.mmlint.yml:4: unknown key 'plugin'; the keys are rules and plugins")
        XCTAssertEqual(error("rules:\n  mm-follow-pfn:\n    level: error\n"),
                       "/tree/.mmlint.yml:3: rules: mm-follow-pfn: unknown key 'level'; the keys are enabled and severity")
    }

    func testBadValuesNameFileAndLine() {
        XCTAssertEqual(error("rules:\n  mm-follow-pfn:\n    severity: fatal\n"),
                       "/tree/.mmlint.yml:3: rules: mm-follow-pfn: severity 'fatal' is not error, warning or note")
        XCTAssertEqual(error("rules:\n  mm-follow-pfn:\n    enabled: sometimes\n"),
                       "/tree/.mmlint.yml:3: rules: mm-follow-pfn: enabled must be true or false, not 'sometimes'")
        XCTAssertEqual(error("rules:\n  mm-follow-pfn: off\n"),
                       "/tree/.mmlint.yml:2: rules: mm-follow-pfn: expected a mapping with enabled and/or severity")
        XCTAssertEqual(error("plugins: libX.so\n"),
                       "/tree/.mmlint.yml:1: plugins: expected a list of shared-library paths")
        XCTAssertEqual(error("- rules\n"), "/tree/.mmlint.yml:1: expected a mapping with the keys rules and plugins")
        XCTAssertTrue(error("rules: [\n")?.hasPrefix("/tree/.mmlint.yml: not valid YAML: ") ?? false)
    }

    /// A project's copy of the rules may set its own chain bound: one below
    /// 1 is refused with the file named; one longer than the prefilter's
    /// distances can hold is no bound to it (more files, never fewer, never
    /// a crash), and its selection still finds what parsing every file does.
    func testChainBoundsFromAProjectsRules() throws {
        let work = try temporaryDirectory(self)
        let rules = work + "/rules"
        try FileManager.default.copyItem(atPath: Repo.rules, toPath: rules)
        let yaml = rules + "/fault-context.yaml"
        let original = try String(contentsOfFile: yaml, encoding: .utf8)
        XCTAssertTrue(original.contains("\nmax-chain: 6\n"))
        func scan(bound: String, _ options: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
            try original.replacingOccurrences(of: "\nmax-chain: 6\n", with: "\nmax-chain: \(bound)\n")
                .write(toFile: yaml, atomically: true, encoding: .utf8)
            return try runCommand("/usr/bin/env", ["MMLINT_RULES=" + rules, Repo.executable, "scan", "--no-cache",
                                                   "--format", "json"] + options + [Repo.fixtures + "/example"])
        }
        let refused = try scan(bound: "0", [])
        XCTAssertEqual(refused.status, 2, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("fault-context.yaml: not a valid rule file: max-chain: 0"), refused.stderr)

        let prefiltered = try scan(bound: "300", ["--prefilter"])
        let everyFile = try scan(bound: "300", ["--no-prefilter"])
        XCTAssertEqual(prefiltered.status, 1, prefiltered.stderr)
        XCTAssertEqual(everyFile.status, 1, everyFile.stderr)
        func findings(_ json: String) throws -> [String] {
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
            return (object["findings"] as? [[String: Any]] ?? []).map { "\($0["file"] ?? ""):\($0["line"] ?? ""):\($0["ruleId"] ?? "")" }
        }
        XCTAssertEqual(try findings(prefiltered.stdout), try findings(everyFile.stdout))
        XCTAssertFalse(try findings(everyFile.stdout).isEmpty)
    }

    func testUnknownRuleIdIsRefusedWithFileAndLine() throws {
        let config = try parse("rules:\n  mm-remap-in-fault:\n    severity: note\n  mm-folow-pfn:\n    enabled: false\n")
        XCTAssertThrowsError(try Engine(builtins: BuiltinRules.all, knowledge: sharedEngine.knowledge, config: config)) { error in
            XCTAssertEqual((error as? EngineError)?.description,
                           "/tree/.mmlint.yml:4: unknown rule 'mm-folow-pfn'; `mmlint rules` lists them "
                           + "(a plugin's rules only with its --plugin or plugins: entry)")
        }
    }

    func testDisabledRuleDoesNotRunUnlessNamedWithRule() throws {
        let config = try parse("rules:\n  mm-remap-in-fault:\n    enabled: false\n")
        let engine = try Engine(builtins: BuiltinRules.all, knowledge: sharedEngine.knowledge, config: config)
        let builtin = try BuiltinRules.all(knowledge: sharedEngine.knowledge).map(\.description.id)
        XCTAssertEqual(builtin.first, "mm-remap-in-fault")
        XCTAssertEqual(engine.rules.map(\.description.id), Array(builtin.dropFirst()))
        XCTAssertEqual(engine.allRules.map(\.description.id), builtin)
        let files = cFiles(in: Repo.fixtures + "/example")
        XCTAssertEqual(engine.analyze(AnalysisOptions(files: files, jobs: 1)).findings.count, 0)
        let named = try Engine(builtins: BuiltinRules.all, knowledge: sharedEngine.knowledge, ruleIDs: ["mm-remap-in-fault"], config: config)
        XCTAssertEqual(named.analyze(AnalysisOptions(files: files, jobs: 1)).findings.map(\.ruleID), ["mm-remap-in-fault"])
    }

    /// The severity set in the config reaches the findings, and through them
    /// text, SARIF and checkpatch output; checkpatch's level follows it even
    /// where confidence alone would say otherwise.
    func testSeverityOverrideReachesEveryFormat() throws {
        let files = cFiles(in: Repo.fixtures + "/example")
        for (severity, sarif, checkpatch) in [(Severity.error, "error", "ERROR"), (.warning, "warning", "WARNING"),
                                              (.note, "note", "CHECK")] {
            let config = try parse("rules:\n  mm-remap-in-fault:\n    severity: \(severity.rawValue)\n")
            let engine = try Engine(builtins: BuiltinRules.all, knowledge: sharedEngine.knowledge, config: config)
            let result = engine.analyze(AnalysisOptions(files: files, jobs: 1))
            XCTAssertEqual(result.findings.map(\.severity), [severity])
            let report = Report(findings: result.findings, rules: engine.rules.map(\.description), root: Repo.root,
                                kernelVersion: nil, severities: engine.severities,
                                summary: .init(files: 2, parsed: 2, failed: 0, filesWithParseErrors: 0, parseErrors: 0,
                                               findings: 1, seconds: 0))
            XCTAssertTrue(TextReporter.render(report).hasPrefix("fixtures/example/bar_map.c:10:9: \(severity.rawValue): "))
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(SARIFReporter.render(report).utf8)) as? [String: Any])
            let run = try XCTUnwrap((object["runs"] as? [[String: Any]])?.first)
            XCTAssertEqual((run["results"] as? [[String: Any]])?.first?["level"] as? String, sarif)
            let rules = try XCTUnwrap(((run["tool"] as? [String: Any])?["driver"] as? [String: Any])?["rules"] as? [[String: Any]])
            let remap = try XCTUnwrap(rules.first { $0["id"] as? String == "mm-remap-in-fault" })
            XCTAssertEqual((remap["defaultConfiguration"] as? [String: Any])?["level"] as? String, sarif)
            XCTAssertTrue(CheckpatchReporter.render(report).hasPrefix("fixtures/example/bar_map.c:10: \(checkpatch): "))
        }
    }

    // MARK: the command line

    func testScanReadsTheConfigAtTheScannedFolder() throws {
        let tree = try temporaryDirectory(self)
        for file in cFiles(in: Repo.fixtures + "/example") {
            try FileManager.default.copyItem(atPath: file, toPath: tree + "/" + (file as NSString).lastPathComponent)
        }
        try "rules:\n  mm-remap-in-fault:\n    severity: error\n".write(toFile: tree + "/.mmlint.yml", atomically: true, encoding: .utf8)
        let text = try runCommand(Repo.executable, ["scan", "--no-cache", "."], in: tree)
        XCTAssertEqual(text.status, 1, text.stderr)
        XCTAssertTrue(text.stdout.hasPrefix("bar_map.c:10:9: error: io_remap_pfn_range()"), text.stdout)
        let sarif = try runCommand(Repo.executable, ["scan", "--no-cache", "--format", "sarif", tree])
        XCTAssertTrue(sarif.stdout.contains("\"level\" : \"error\""), sarif.stdout)

        // --config names another file; the tree's own is then not read.
        try "rules:\n  mm-remap-in-fault:\n    enabled: false\n".write(toFile: tree + "/quiet.yml", atomically: true, encoding: .utf8)
        let other = try runCommand(Repo.executable, ["scan", "--no-cache", "--config", tree + "/quiet.yml", tree])
        XCTAssertEqual(other.status, 0, other.stdout + other.stderr)

        try "rules:\n  mm-remap-in-fault:\n    severity: loud\n".write(toFile: tree + "/.mmlint.yml", atomically: true, encoding: .utf8)
        let bad = try runCommand(Repo.executable, ["scan", "--no-cache", tree])
        XCTAssertEqual(bad.status, 2)
        XCTAssertEqual(bad.stdout, "")
        XCTAssertEqual(bad.stderr, "mmlint: \(tree)/.mmlint.yml:3: rules: mm-remap-in-fault: severity 'loud' is not error, warning or note\n")

        let missing = try runCommand(Repo.executable, ["scan", "--config", tree + "/none.yml", tree])
        XCTAssertEqual(missing.status, 2)
        XCTAssertEqual(missing.stderr, "mmlint: --config \(tree)/none.yml: no such file\n")
    }

    func testRulesShowsWhatTheConfigChanged() throws {
        let dir = try temporaryDirectory(self)
        try "rules:\n  mm-follow-pfn:\n    enabled: false\n  mm-remap-in-fault:\n    severity: error\n"
            .write(toFile: dir + "/.mmlint.yml", atomically: true, encoding: .utf8)
        let result = try runCommand(Repo.executable, ["rules"], in: dir)
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.components(separatedBy: "\n")
        XCTAssertTrue(lines.contains { $0.hasPrefix("mm-follow-pfn ") && $0.hasSuffix("(disabled by the config)") }, result.stdout)
        XCTAssertTrue(lines.contains { $0.hasPrefix("mm-remap-in-fault ") && $0.hasSuffix("(severity error)") }, result.stdout)
    }

    func testCheckpatchOutputOfCheckFollowsTheConfiguredSeverity() throws {
        let dir = try temporaryDirectory(self)
        for (severity, level) in [("warning", "WARNING"), ("note", "CHECK")] {
            let config = dir + "/\(severity).yml"
            try "rules:\n  mm-follow-pfn:\n    severity: \(severity)\n".write(toFile: config, atomically: true, encoding: .utf8)
            let result = try runCommand(Repo.executable, [
                "check", "--tree", Repo.fixtures + "/check-tree", "--format", "checkpatch", "--config", config,
                Repo.fixtures + "/check-patches/new-misuse.patch",
            ])
            XCTAssertEqual(result.status, 1, result.stderr)
            XCTAssertTrue(result.stdout.hasPrefix("drivers/demo/demo_mmap.c:30: \(level): "), result.stdout)
        }
    }
}

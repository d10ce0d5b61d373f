import Foundation
import MMLintCore
import MMLintReporters
import XCTest

/// Machine-readable output keeps its documented shape.
final class ReporterTests: XCTestCase {
    let finding = Finding(
        ruleID: "mm-remap-in-fault", confidence: .high,
        location: Location(file: "/tree/drivers/x/x.c", line: 12, column: 9),
        function: "x_fault", callee: "remap_pfn_range", macro: nil,
        chain: [".fault of x_ops", "x_fault", "remap_pfn_range"], message: "msg", suggestion: "do this")
    let rule = RuleDescription(id: "mm-remap-in-fault", summary: "s", rationale: "r", confidence: .high,
                               triggering: [], nonTriggering: [])

    func report() -> Report {
        Report(findings: [finding], rules: [rule], root: "/tree", kernelVersion: KernelVersion(6, 1, 192),
               summary: .init(files: 3, parsed: 3, failed: 0, filesWithParseErrors: 0, parseErrors: 0,
                              findings: 1, seconds: 0.5),
               sourceLine: { _, _ in "\treturn remap_pfn_range(vma," })
    }

    func testSARIF() throws {
        let object = try JSONSerialization.jsonObject(with: Data(SARIFReporter.render(report()).utf8)) as! [String: Any]
        XCTAssertEqual(object["version"] as? String, "2.1.0")
        let run = (object["runs"] as! [[String: Any]])[0]
        let driver = (run["tool"] as! [String: Any])["driver"] as! [String: Any]
        XCTAssertEqual(driver["name"] as? String, "mmlint")
        XCTAssertEqual((driver["rules"] as! [[String: Any]]).map { $0["id"] as! String }, ["mm-remap-in-fault"])
        let result = (run["results"] as! [[String: Any]])[0]
        XCTAssertEqual(result["ruleId"] as? String, "mm-remap-in-fault")
        XCTAssertEqual(result["level"] as? String, "warning")
        XCTAssertNotNil((result["message"] as! [String: Any])["text"])
        let physical = ((result["locations"] as! [[String: Any]])[0]["physicalLocation"]) as! [String: Any]
        let artifact = physical["artifactLocation"] as! [String: Any]
        XCTAssertEqual(artifact["uri"] as? String, "drivers/x/x.c")
        XCTAssertEqual(artifact["uriBaseId"] as? String, "SRCROOT")
        let region = physical["region"] as! [String: Any]
        XCTAssertEqual(region["startLine"] as? Int, 12)
        XCTAssertEqual(region["startColumn"] as? Int, 9)
        let properties = result["properties"] as! [String: Any]
        XCTAssertEqual(properties["function"] as? String, "x_fault")
        XCTAssertEqual(properties["chain"] as? [String], [".fault of x_ops", "x_fault", "remap_pfn_range"])
        let base = (run["originalUriBaseIds"] as! [String: Any])["SRCROOT"] as! [String: Any]
        XCTAssertEqual(base["uri"] as? String, "file:///tree/")
    }

    func testJSONSchemaVersionOne() throws {
        let object = try JSONSerialization.jsonObject(with: Data(JSONReporter.render(report()).utf8)) as! [String: Any]
        XCTAssertEqual(object["schemaVersion"] as? Int, 1)
        XCTAssertEqual(object["kernelVersion"] as? String, "6.1.192")
        let item = (object["findings"] as! [[String: Any]])[0]
        XCTAssertEqual(Set(item.keys), ["ruleId", "severity", "confidence", "file", "line", "column", "function",
                                        "callee", "chain", "message", "suggestion"])
        XCTAssertEqual(item["file"] as? String, "drivers/x/x.c")
        XCTAssertEqual((object["summary"] as! [String: Any])["findings"] as? Int, 1)
    }

    func testTextCaretKeepsTabs() {
        let text = TextReporter.render(report())
        XCTAssertEqual(text.components(separatedBy: "\n").prefix(3).joined(separator: "\n"), """
            drivers/x/x.c:12:9: warning: msg [mm-remap-in-fault]
            \treturn remap_pfn_range(vma,
            \t       ^
            """)
    }

    /// A report with a file that could not be analysed: every format says
    /// so, and a clean run says it succeeded.
    func failedReport() -> Report {
        var report = report()
        report.failures = [Report.Failure(file: "/tree/drivers/y/y.c", version: "after the patch", cause: "the parser crashed")]
        return report
    }

    func testJSONListsFailures() throws {
        let object = try JSONSerialization.jsonObject(with: Data(JSONReporter.render(failedReport()).utf8)) as! [String: Any]
        XCTAssertEqual(object["schemaVersion"] as? Int, 1, "an added field keeps the version")
        let failures = try XCTUnwrap(object["failures"] as? [[String: String]])
        XCTAssertEqual(failures, [["file": "drivers/y/y.c", "version": "after the patch", "cause": "the parser crashed"]])
        let clean = try JSONSerialization.jsonObject(with: Data(JSONReporter.render(report()).utf8)) as! [String: Any]
        XCTAssertEqual((clean["failures"] as? [Any])?.count, 0, "always present, empty when every file was analysed")
    }

    func testSARIFInvocationSaysWhetherTheRunSucceeded() throws {
        func invocation(_ report: Report) throws -> [String: Any] {
            let object = try JSONSerialization.jsonObject(with: Data(SARIFReporter.render(report).utf8)) as! [String: Any]
            let run = (object["runs"] as! [[String: Any]])[0]
            return try XCTUnwrap((run["invocations"] as? [[String: Any]])?.first)
        }
        let failed = try invocation(failedReport())
        XCTAssertEqual(failed["executionSuccessful"] as? Bool, false)
        let notifications = try XCTUnwrap(failed["toolExecutionNotifications"] as? [[String: Any]])
        XCTAssertEqual(notifications.count, 1)
        XCTAssertEqual(notifications[0]["level"] as? String, "error")
        XCTAssertEqual((notifications[0]["message"] as? [String: Any])?["text"] as? String,
                       "drivers/y/y.c (after the patch) could not be analysed: the parser crashed")
        let artifact = ((notifications[0]["locations"] as? [[String: Any]])?[0]["physicalLocation"] as? [String: Any])?["artifactLocation"] as? [String: Any]
        XCTAssertEqual(artifact?["uri"] as? String, "drivers/y/y.c")
        XCTAssertEqual(artifact?["uriBaseId"] as? String, "SRCROOT")
        XCTAssertEqual((notifications[0]["properties"] as? [String: String])?["version"], "after the patch")
        let clean = try invocation(report())
        XCTAssertEqual(clean["executionSuccessful"] as? Bool, true)
        XCTAssertEqual((clean["toolExecutionNotifications"] as? [Any])?.count, 0)
    }

    func testCheckpatchGivesAFailureAnErrorLineAfterTheFindings() {
        let lines = CheckpatchReporter.render(failedReport()).split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 2)
        XCTAssertTrue(lines[0].hasPrefix("drivers/x/x.c:12: ERROR: msg"), lines[0])
        XCTAssertEqual(lines[1], "drivers/y/y.c: ERROR: mmlint could not analyse this file (after the patch): "
                       + "the parser crashed; mm API misuse in it would go unseen")
        XCTAssertFalse(CheckpatchReporter.render(report()).contains("could not analyse"))
    }

    func testCheckSummaryCountsFilesThatFailed() {
        var report = failedReport()
        report.patches = [(1, "x: y")]
        report.mode = "tree"
        report.failures.append(Report.Failure(file: "/tree/drivers/y/y.c", version: "before the patch", cause: "timeout"))
        XCTAssertTrue(TextReporter.checkSummary(report).contains("1 new finding, 1 file could not be analysed,"),
                      TextReporter.checkSummary(report))
        report.failures = []
        XCTAssertFalse(TextReporter.checkSummary(report).contains("could not be analysed"))
    }

    /// b4 review's per-patch check list: always one `mmlint` entry (b4 keys
    /// results by tool, a second entry would replace the first).
    func b4Review(_ report: Report) throws -> [String: String] {
        let list = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(B4ReviewReporter.render(report).utf8))
            as? [[String: String]])
        XCTAssertEqual(list.count, 1)
        XCTAssertEqual(Set(list[0].keys), ["tool", "status", "summary", "details"])
        XCTAssertEqual(list[0]["tool"], "mmlint")
        return list[0]
    }

    func testB4ReviewFailsAHighConfidenceFindingWithAReviewersNote() throws {
        let entry = try b4Review(report())
        XCTAssertEqual(entry["status"], "fail")
        XCTAssertEqual(entry["summary"], "drivers/x/x.c:12: msg [mm-remap-in-fault]")
        XCTAssertEqual(entry["details"], """
            drivers/x/x.c:12: msg [mm-remap-in-fault, high confidence]
                return remap_pfn_range(vma,
              in x_fault()
              chain: .fault of x_ops -> x_fault -> remap_pfn_range
              suggestion: do this
            """)
    }

    func testB4ReviewWarnsBelowHighConfidenceUnlessTheConfigSaysError() throws {
        var report = report()
        report.findings[0].confidence = .moderate
        XCTAssertEqual(try b4Review(report)["status"], "warn")
        report.severities = ["mm-remap-in-fault": .error]
        XCTAssertEqual(try b4Review(report)["status"], "fail")
        report.findings[0].confidence = .high
        report.severities = ["mm-remap-in-fault": .note]
        XCTAssertEqual(try b4Review(report)["status"], "warn")
        report.severities = [:]
        report.findings.append(report.findings[0])
        report.findings[1].confidence = .low
        report.findings[1].location.line = 40
        let two = try b4Review(report)
        XCTAssertEqual(two["status"], "fail", "the worst finding decides")
        XCTAssertEqual(two["summary"], "2 findings, 1 failing, first drivers/x/x.c:12 [mm-remap-in-fault]")
        XCTAssertTrue(two["details"]?.contains("drivers/x/x.c:40: msg [mm-remap-in-fault, low confidence]") == true)
    }

    func testB4ReviewPassesOnlyAPatchThatWasFullyAnalysed() throws {
        var clean = report()
        clean.findings = []
        let pass = try b4Review(clean)
        XCTAssertEqual(pass["status"], "pass")
        XCTAssertEqual(pass["summary"], "no mm API misuse added")
        XCTAssertEqual(pass["details"], "")
        var failed = failedReport()
        failed.findings = []
        let fail = try b4Review(failed)
        XCTAssertEqual(fail["status"], "fail")
        XCTAssertEqual(fail["summary"], "1 file could not be analysed: not checked")
        XCTAssertEqual(fail["details"], "drivers/y/y.c (after the patch) could not be analysed: the parser crashed; "
                       + "mm API misuse in it would go unseen")
        // A low-confidence finding does not soften an unanalysed file.
        failed = failedReport()
        failed.findings[0].confidence = .low
        XCTAssertEqual(try b4Review(failed)["status"], "fail")
    }

    func testB4ReviewErrorIsAFailEntry() throws {
        let list = try XCTUnwrap(try JSONSerialization.jsonObject(
            with: Data(B4ReviewReporter.renderError("no patch found in the input").utf8)) as? [[String: String]])
        XCTAssertEqual(list, [["tool": "mmlint", "status": "fail", "summary": "mmlint could not check this patch",
                               "details": "no patch found in the input"]])
    }
}

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
}

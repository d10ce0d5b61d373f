import Foundation
import MMLintCore
import MMLintEngine
import XCTest

/// Each rule's own examples (the ones `mmlint explain` shows) are analysed:
/// triggering ones give exactly the marked findings, the others none.
final class RuleExampleTests: XCTestCase {
    func testEveryRuleHasExamples() {
        for rule in sharedEngine.rules {
            XCTAssertFalse(rule.description.triggering.isEmpty, rule.description.id)
            XCTAssertFalse(rule.description.nonTriggering.isEmpty, rule.description.id)
            XCTAssertFalse(rule.description.rationale.isEmpty, rule.description.id)
        }
    }

    func testTriggeringExamples() throws {
        for rule in sharedEngine.rules {
            for (index, example) in rule.description.triggering.enumerated() {
                let findings = try analyse(example, rule: rule.description.id, name: "trigger\(index)",
                                           version: rule.description.examplesKernelVersion)
                let file = findings.path
                var expected: [Expectation] = []
                for (number, line) in example.components(separatedBy: "\n").enumerated()
                where line.contains("/* expect: \(rule.description.id) */") {
                    expected.append(Expectation(file: file, line: number + 1, rule: rule.description.id, chain: nil))
                }
                XCTAssertFalse(expected.isEmpty, "\(rule.description.id) example \(index) marks no line")
                for problem in Expectations.mismatches(findings: findings.findings, expected: expected) {
                    XCTFail("\(rule.description.id) triggering example \(index + 1): \(problem)")
                }
            }
        }
    }

    func testNonTriggeringExamples() throws {
        for rule in sharedEngine.rules {
            for (index, example) in rule.description.nonTriggering.enumerated() {
                let result = try analyse(example, rule: rule.description.id, name: "clean\(index)",
                                         version: rule.description.examplesKernelVersion)
                XCTAssertEqual(result.findings.map(\.message), [],
                               "\(rule.description.id) non-triggering example \(index + 1)")
            }
        }
    }

    private func analyse(_ source: String, rule: String, name: String,
                         version: KernelVersion?) throws -> (path: String, findings: [Finding]) {
        let dir = try temporaryDirectory(self)
        let path = dir + "/\(name).c"
        try source.write(toFile: path, atomically: true, encoding: .utf8)
        let result = sharedEngine.analyze(AnalysisOptions(files: [path], jobs: 1, kernelVersion: version))
        XCTAssertEqual(result.units.first?.errors.map(\.message), [], "\(rule) example \(name) does not parse cleanly")
        return (path, result.findings.filter { $0.ruleID == rule })
    }
}

import Foundation
import MMLintCore
import MMLintEngine
import XCTest

/// Each rule's own examples (the ones `mmlint explain` shows) are analysed:
/// triggering ones give exactly the marked findings, the others none. A
/// failure is reported at the Swift line that holds the C line concerned.
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
            let id = rule.description.id
            for (index, example) in rule.description.triggering.enumerated() {
                let findings = try analyse(example, rule: id, name: "trigger\(index)")
                var expected: [Expectation] = []
                for (number, line) in example.source.components(separatedBy: "\n").enumerated()
                where line.contains("/* expect: \(id) */") {
                    expected.append(Expectation(file: findings.path, line: number + 1, rule: id, chain: nil))
                }
                XCTAssertFalse(expected.isEmpty, "\(id) example \(index + 1) marks no line",
                               file: example.file, line: example.line)
                for problem in Expectations.located(findings: findings.findings, expected: expected) {
                    XCTFail("\(id) triggering example \(index + 1): \(problem)",
                            file: example.file, line: example.sourceLine(problem.line))
                }
            }
        }
    }

    func testNonTriggeringExamples() throws {
        for rule in sharedEngine.rules {
            let id = rule.description.id
            for (index, example) in rule.description.nonTriggering.enumerated() {
                for finding in try analyse(example, rule: id, name: "clean\(index)").findings {
                    XCTFail("\(id) non-triggering example \(index + 1): \(finding.message)",
                            file: example.file, line: example.sourceLine(finding.location.line))
                }
            }
        }
    }

    /// The line an example reports is the line it is written on: C line n
    /// of every built-in example is Swift line `line + n` of its file.
    func testExamplesPointAtTheirSwiftLines() throws {
        for rule in sharedEngine.rules {
            for example in rule.description.triggering + rule.description.nonTriggering {
                let swift = try String(contentsOfFile: "\(example.file)", encoding: .utf8)
                    .components(separatedBy: "\n")
                for (number, line) in example.source.components(separatedBy: "\n").enumerated() {
                    let index = Int(example.sourceLine(number + 1)) - 1
                    XCTAssertTrue(index < swift.count && swift[index].hasSuffix(line),
                                  "\(rule.description.id): C line \(number + 1) is not at \(example.file):\(index + 1)",
                                  file: example.file, line: example.line)
                }
            }
        }
    }

    private func analyse(_ example: Example, rule: String, name: String) throws -> (path: String, findings: [Finding]) {
        let dir = try temporaryDirectory(self)
        let path = dir + "/\(name).c"
        try example.source.write(toFile: path, atomically: true, encoding: .utf8)
        let result = sharedEngine.analyze(AnalysisOptions(files: [path], jobs: 1, kernelVersion: example.kernelVersion))
        XCTAssertEqual(result.units.first?.errors.map(\.message), [], "\(rule) example \(name) does not parse cleanly",
                       file: example.file, line: example.line)
        return (path, result.findings.filter { $0.ruleID == rule })
    }
}

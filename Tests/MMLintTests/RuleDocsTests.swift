import Foundation
import MMLintCore
import MMLintReporters
import XCTest

/// docs/rules.md's generated parts match the rules they come from.
final class RuleDocsTests: XCTestCase {
    static let path = Repo.root + "/docs/rules.md"

    func testRulesDocumentIsUpToDate() throws {
        let document = try String(contentsOfFile: Self.path, encoding: .utf8)
        let rules = sharedEngine.allRules.map(\.description)
        let documented = document.components(separatedBy: "\n").filter { $0.hasPrefix("<!-- generated from rule ") }
        XCTAssertEqual(documented.sorted(), rules.map { RuleDocs.begin($0.id) }.sorted(),
                       "docs/rules.md documents other rules than mmlint has")
        let updated = RuleDocs.update(document, rules: rules, knowledge: sharedEngine.knowledge.rules)
        XCTAssertTrue(updated == document,
                      "docs/rules.md is stale: run `swift run mmlint rules --update-docs docs/rules.md`")
    }

    /// A generated part is replaced and the hand-written text around it kept;
    /// a rule without a section gets one.
    func testUpdateKeepsHandWrittenText() throws {
        let rule = try XCTUnwrap(sharedEngine.allRules.first { $0.description.id == "mm-vm-flags-direct" }).description
        let document = "# Rules\n\n## mm-vm-flags-direct\n\n" + RuleDocs.begin(rule.id) + "\nold text\n" + RuleDocs.end
            + "\n\nReal findings: by hand.\n"
        let updated = RuleDocs.update(document, rules: [rule], knowledge: sharedEngine.knowledge.rules)
        XCTAssertFalse(updated.contains("old text"))
        XCTAssertTrue(updated.hasSuffix(RuleDocs.end + "\n\nReal findings: by hand.\n"), updated)
        XCTAssertTrue(updated.contains("Flagged (1, as on a v6.12 tree):"), updated)
        XCTAssertTrue(updated.contains("reported anywhere, on kernels since v6.3"), updated)
        XCTAssertEqual(RuleDocs.update(updated, rules: [rule], knowledge: sharedEngine.knowledge.rules), updated)
        let added = RuleDocs.update("# Rules\n", rules: [rule], knowledge: sharedEngine.knowledge.rules)
        XCTAssertTrue(added.contains("\n## mm-vm-flags-direct\n\n" + RuleDocs.begin(rule.id)), added)
        XCTAssertTrue(added.hasSuffix(RuleDocs.end + "\n\nReal findings: none yet.\n"), added)
    }
}

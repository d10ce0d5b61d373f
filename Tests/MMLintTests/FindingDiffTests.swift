import MMLintCheck
import MMLintCore
import XCTest

/// `FindingDiff` on findings made by hand: what a patch introduced and
/// what it fixed, as the check reports them.
final class FindingDiffTests: XCTestCase {
    let differ = FindingDiff(signatureLabel: "vm_fault_t handler signature")

    func finding(_ function: String, line: Int, callee: String = "remap_pfn_range",
                 chain: [String]? = nil) -> Finding {
        Finding(ruleID: "mm-remap-in-fault", confidence: .high, location: Location(file: "/t/a.c", line: line, column: 2),
                function: function, callee: callee,
                chain: chain ?? [".fault of a_vm_ops", function, callee], message: "m", suggestion: "s")
    }

    func testMovedLinesAreNotNews() {
        let before = [finding("a_fault", line: 10)]
        let after = [finding("a_fault", line: 14)]
        XCTAssertEqual(differ.introduced(after: after, before: before), [])
        XCTAssertEqual(differ.fixed(before: before, after: after), [])
    }

    func testASecondIdenticalCallIsNewAndTheLaterOneIsReported() {
        let before = [finding("a_fault", line: 10)]
        let after = [finding("a_fault", line: 10), finding("a_fault", line: 20)]
        XCTAssertEqual(differ.introduced(after: after, before: before).map(\.location.line), [20])
    }

    func testRenamedOpsTableIsNotNewButABindingWhereOnlyTheShapeWasIs() {
        let shape = finding("a_fault", line: 10, chain: ["vm_fault_t handler signature", "a_fault", "remap_pfn_range"])
        let bound = finding("a_fault", line: 10, chain: [".fault of a_vm_ops", "a_fault", "remap_pfn_range"])
        let renamed = finding("a_fault", line: 10, chain: [".fault of a_new_ops", "a_fault", "remap_pfn_range"])
        XCTAssertEqual(differ.introduced(after: [renamed], before: [bound]), [])
        XCTAssertEqual(differ.introduced(after: [bound], before: [shape]).count, 1)
    }

    func testAChangedChainIsNotAFix() {
        let before = [finding("a_fault", line: 10, chain: [".fault of a_vm_ops", "a_fault", "helper", "remap_pfn_range"])]
        let after = [finding("a_fault", line: 10)]
        XCTAssertEqual(differ.fixed(before: before, after: after), [])
        XCTAssertEqual(differ.fixed(before: before, after: []).count, 1)
    }
}

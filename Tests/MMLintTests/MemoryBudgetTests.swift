import Foundation
import XCTest
@testable import MMLintEngine
import MMLintSupport

/// `MemoryBudget` orders parses: one in flight when memory is tight, as
/// many as the jobs allow when it is not, and it learns what a parse takes.
final class MemoryBudgetTests: XCTestCase {
    /// A second parse started on another thread.
    final class Second: @unchecked Sendable {
        let admitted = DispatchSemaphore(value: 0)
        var ticket = 0
    }

    /// Starts a second parse; whether it was admitted within `seconds`.
    private func secondParse(_ budget: MemoryBudget, admittedWithin seconds: Double) -> (admitted: Bool, second: Second) {
        let second = Second()
        Thread.detachNewThread {
            second.ticket = budget.admit(worker: nil)
            second.admitted.signal()
        }
        guard second.admitted.wait(timeout: .now() + seconds) == .success else { return (false, second) }
        return (true, second)
    }

    /// Ends the first parse, then waits for the second to be admitted.
    private func admittedOnceTheFirstEnds(_ budget: MemoryBudget, first: Int, _ second: Second) {
        budget.finish(first, resident: nil)
        XCTAssertEqual(second.admitted.wait(timeout: .now() + 10), .success, "admitted once the first ended")
        budget.finish(second.ticket, resident: nil)
    }

    func testAParseWaitsForTheOneInFlightWhenTheBudgetIsSpent() {
        let budget = MemoryBudget(bytes: 1)
        let first = budget.admit(worker: nil)  // alone: always admitted
        let (admitted, second) = secondParse(budget, admittedWithin: 0.3)
        XCTAssertFalse(admitted, "over the budget, a second parse waits for the first")
        admittedOnceTheFirstEnds(budget, first: first, second)
        XCTAssertEqual(budget.waited, 1)
    }

    func testParsesOverlapWhileTheyFit() {
        let budget = MemoryBudget(bytes: Int.max / 2)
        let first = budget.admit(worker: nil)
        let (admitted, second) = secondParse(budget, admittedWithin: 10)
        XCTAssertTrue(admitted)
        budget.finish(first, resident: nil)
        budget.finish(second.ticket, resident: nil)
        XCTAssertEqual(budget.waited, 0)
    }

    /// Before any parse ended nothing is expected of the next; once parses
    /// reported taking 4 GiB, a second one no longer fits beside the first.
    func testWhatAParseTakesIsLearnt() throws {
        let budget = MemoryBudget(bytes: try XCTUnwrap(Memory.residentBytes()) + (512 << 20))
        let first = budget.admit(worker: nil)
        let (early, second) = secondParse(budget, admittedWithin: 10)
        XCTAssertTrue(early, "nothing learnt yet: the second parse fits")
        budget.finish(first, resident: 4 << 30)
        budget.finish(second.ticket, resident: 4 << 30)
        let third = budget.admit(worker: nil)
        let (late, fourth) = secondParse(budget, admittedWithin: 0.3)
        XCTAssertFalse(late, "a parse is now expected to take 4 GiB")
        admittedOnceTheFirstEnds(budget, first: third, fourth)
    }

    /// A parse in flight may have only begun: it counts as at least a
    /// typical one. Two parses of 300 MiB do not fit in 512 MiB more, though
    /// one does.
    func testAParseInFlightCountsAsATypicalOne() throws {
        let budget = MemoryBudget(bytes: try XCTUnwrap(Memory.residentBytes()) + (512 << 20))
        for _ in 0..<8 { budget.finish(budget.admit(worker: nil), resident: 300 << 20) }
        let first = budget.admit(worker: nil)
        let (admitted, second) = secondParse(budget, admittedWithin: 0.3)
        XCTAssertFalse(admitted, "300 MiB in flight and 300 MiB more exceed the 512 MiB left")
        admittedOnceTheFirstEnds(budget, first: first, second)
    }
}

import Foundation
import XCTest
@testable import MMLintEngine
import MMLintSupport

/// `MemoryBudget` orders parses: one in flight when memory is tight, as
/// many as the jobs allow when it is not, and it learns what a parse takes.
final class MemoryBudgetTests: XCTestCase {
    /// Starts a second parse on another thread; whether it was admitted
    /// within `seconds`, and a semaphore signalled once it is.
    private func secondParse(_ budget: MemoryBudget, admittedWithin seconds: Double) -> (admitted: Bool, done: DispatchSemaphore) {
        let admitted = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            budget.admit(worker: nil)
            admitted.signal()
        }
        if admitted.wait(timeout: .now() + seconds) == .success {
            admitted.signal()
            return (true, admitted)
        }
        return (false, admitted)
    }

    func testAParseWaitsForTheOneInFlightWhenTheBudgetIsSpent() {
        let budget = MemoryBudget(bytes: 1)
        budget.admit(worker: nil)  // alone: always admitted
        let second = secondParse(budget, admittedWithin: 0.3)
        XCTAssertFalse(second.admitted, "over the budget, a second parse waits for the first")
        budget.finish(resident: nil)
        XCTAssertEqual(second.done.wait(timeout: .now() + 10), .success, "admitted once the first ended")
        budget.finish(resident: nil)
        XCTAssertEqual(budget.waited, 1)
    }

    func testParsesOverlapWhileTheyFit() {
        let budget = MemoryBudget(bytes: Int.max / 2)
        budget.admit(worker: nil)
        let second = secondParse(budget, admittedWithin: 10)
        XCTAssertTrue(second.admitted)
        budget.finish(resident: nil)
        budget.finish(resident: nil)
        XCTAssertEqual(budget.waited, 0)
    }

    /// Before any parse ended nothing is expected of the next; once parses
    /// reported taking 4 GiB, a second one no longer fits beside the first.
    func testWhatAParseTakesIsLearnt() throws {
        let now = try XCTUnwrap(Memory.residentBytes())
        let budget = MemoryBudget(bytes: now + (512 << 20))
        budget.admit(worker: nil)
        let early = secondParse(budget, admittedWithin: 10)
        XCTAssertTrue(early.admitted, "nothing learnt yet: the second parse fits")
        budget.finish(resident: 4 << 30)
        budget.finish(resident: 4 << 30)
        budget.admit(worker: nil)
        let late = secondParse(budget, admittedWithin: 0.3)
        XCTAssertFalse(late.admitted, "a parse is now expected to take 4 GiB")
        budget.finish(resident: nil)
        XCTAssertEqual(late.done.wait(timeout: .now() + 10), .success, "admitted once the first ended")
        budget.finish(resident: nil)
    }
}

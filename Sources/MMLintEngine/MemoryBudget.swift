import Foundation
import MMLintSupport

/// Keeps a run's parses within a memory budget: the resident memory of
/// mmlint and its parse workers together.
///
/// A libclang translation unit of a kernel file takes 50–150 MiB while the
/// worker holds it, and the parent meanwhile holds the facts of every file
/// parsed so far (200 MiB by the end of a whole-tree scan). Two large files
/// parsing at once on top of that is what sets a scan's peak. So before a
/// thread hands its worker the next file while another parse is in flight,
/// it asks whether what is resident now, plus what a parse is expected to
/// add, fits the budget; if not, it waits for the parses in flight to end,
/// and then parses regardless. A parse alone always runs: the budget orders
/// parses, it never refuses one, so it cannot stall the run, only make it
/// serial where memory is tight.
///
/// What a parse adds is learnt as the run goes: each worker reports its
/// resident size with the translation unit still held; the estimate is the
/// 90th percentile of the last 64 reports, less what the idle worker already
/// holds. Resident sizes are summed over processes, so the pages of libclang
/// the workers share count once per worker: the sum is above what the
/// process tree really holds, which errs on the side of the budget.
final class MemoryBudget: @unchecked Sendable {
    /// The budget, bytes.
    let bytes: Int
    private let condition = NSCondition()
    private var inFlight = 0
    private var recent: [Int] = []
    private var next = 0
    private var waits = 0

    init(bytes: Int) { self.bytes = bytes }

    /// Blocks until a parse may start in `worker` (its process, nil before
    /// it started), then counts it in flight. Every `admit` is paired with a
    /// `finish`.
    func admit(worker: pid_t?) {
        condition.lock()
        defer {
            inFlight += 1
            condition.unlock()
        }
        var waited = false
        while inFlight > 0 && !fits(worker: worker) {
            if !waited { waits += 1 }
            waited = true
            condition.wait()
        }
    }

    /// A parse ended; `resident` is what its worker held at the end of it.
    func finish(resident: Int?) {
        condition.lock()
        inFlight -= 1
        if let resident, resident > 0 {
            if recent.count < 64 { recent.append(resident) } else { recent[next] = resident }
            next = (next + 1) % 64
        }
        condition.broadcast()
        condition.unlock()
    }

    /// How many parses waited for others to end.
    var waited: Int {
        condition.lock()
        defer { condition.unlock() }
        return waits
    }

    private func fits(worker: pid_t?) -> Bool {
        let resident = (Memory.residentBytes() ?? 0) + WorkerProcess.liveProcesses.reduce(0) {
            $0 + (Memory.residentBytes(process: $1) ?? 0)
        }
        return resident + expectedGrowth(worker: worker) <= bytes
    }

    /// What the next parse is expected to add to `worker`'s resident size:
    /// nothing known before a first parse ended.
    private func expectedGrowth(worker: pid_t?) -> Int {
        guard !recent.isEmpty else { return 0 }
        let sorted = recent.sorted()
        let typical = sorted[min(sorted.count - 1, sorted.count * 9 / 10)]
        let idle = worker.flatMap { Memory.residentBytes(process: $0) } ?? 0
        return max(0, typical - idle)
    }
}

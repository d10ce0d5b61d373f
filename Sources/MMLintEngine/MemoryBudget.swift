import Foundation
import MMLintSupport

/// Keeps a run's parses within a memory budget: the resident memory of
/// mmlint and its parse workers together.
///
/// A worker holding a kernel file's libclang translation unit is 100–170
/// MiB resident (medians 104–141 MiB on 6.1 and 6.12), and the parent
/// meanwhile holds the facts of every file parsed so far (200–300 MiB by
/// the end of a whole-tree scan). Two large files
/// parsing at once on top of that is what sets a scan's peak. So before a
/// thread hands its worker the next file while another parse is in flight,
/// it asks whether what is resident now, plus what a parse is expected to
/// add, fits the budget; if not, it waits for the parses in flight to end,
/// and then parses regardless. A parse alone always runs: the budget orders
/// parses, it never refuses one, so it cannot stall the run, only make it
/// serial where memory is tight.
///
/// What a parse takes is learnt as the run goes: each worker reports its
/// resident size with the translation unit still held. A parse about to
/// start is expected to reach the 90th percentile of the last 64 reports,
/// and one in flight at least their median (it may have only begun), less
/// what each worker holds already. Resident sizes are summed over
/// processes, so the pages of libclang the workers share count once per
/// worker: the sum is above what the process tree really holds, which errs
/// on the side of the budget.
final class MemoryBudget: @unchecked Sendable {
    /// The budget, bytes.
    let bytes: Int
    private let condition = NSCondition()
    /// The parses in flight, by ticket: their worker's process.
    private var flying: [Int: pid_t?] = [:]
    private var tickets = 0
    private var recent: [Int] = []
    private var next = 0
    private var waits = 0

    init(bytes: Int) { self.bytes = bytes }

    /// Blocks until a parse may start in `worker` (its process, nil before
    /// it started), then counts it in flight until `finish` gets the ticket
    /// returned.
    func admit(worker: pid_t?) -> Int {
        condition.lock()
        defer { condition.unlock() }
        var waited = false
        while !flying.isEmpty && !fits(worker: worker) {
            if !waited { waits += 1 }
            waited = true
            condition.wait()
        }
        tickets += 1
        flying[tickets] = worker
        return tickets
    }

    /// The parse of `ticket` ended; `resident` is what its worker held at
    /// the end of it.
    func finish(_ ticket: Int, resident: Int?) {
        condition.lock()
        flying[ticket] = nil
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

    /// What the last (up to 64) parses' workers held with the unit, MiB:
    /// median and 90th percentile, for the memory stats.
    var learnt: String {
        condition.lock()
        defer { condition.unlock() }
        guard let (median, high) = percentiles else { return "no parse reported its size" }
        return "a worker held \(median >> 20) MiB with a unit (median), \(high >> 20) MiB (90th percentile)"
    }

    /// The median and the 90th percentile of the sizes reported, bytes; nil
    /// before the first report. The caller holds the lock.
    private var percentiles: (median: Int, high: Int)? {
        guard !recent.isEmpty else { return nil }
        let sorted = recent.sorted()
        return (sorted[sorted.count / 2], sorted[min(sorted.count - 1, sorted.count * 9 / 10)])
    }

    private func fits(worker: pid_t?) -> Bool {
        var total = (Memory.residentBytes() ?? 0) + WorkerProcess.liveResident.bytes
        if let (median, high) = percentiles {
            func held(_ process: pid_t?) -> Int { process.flatMap { Memory.residentBytes(process: $0) } ?? 0 }
            for process in flying.values { total += max(0, median - held(process)) }
            total += max(0, high - held(worker))
        }
        return total <= bytes
    }
}

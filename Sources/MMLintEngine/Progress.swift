import Foundation

/// Counts files done and calls `report` at most every 100 ms (and once at
/// the end) with done, total and seconds elapsed. The command line draws the
/// bar; the engine only counts.
public final class Progress: @unchecked Sendable {
    public let total: Int
    private let report: @Sendable (Int, Int, Double) -> Void
    private let lock = NSLock()
    private var done = 0
    private let started = Date()
    private var lastReport = Date.distantPast

    public init(total: Int, report: @escaping @Sendable (_ done: Int, _ total: Int, _ seconds: Double) -> Void) {
        self.total = total
        self.report = report
    }

    public func advance() {
        lock.lock()
        done += 1
        let now = Date()
        let due = now.timeIntervalSince(lastReport) >= 0.1 || done == total
        if due { lastReport = now }
        let snapshot = done
        lock.unlock()
        if due { report(snapshot, total, now.timeIntervalSince(started)) }
    }
}

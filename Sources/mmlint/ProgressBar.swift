import Foundation

/// A one-line progress bar on stderr, only when stderr is a terminal: files
/// done and total, rate, time left. The report goes to stdout and never
/// mixes with it; the line is erased before the summary.
final class ProgressBar: @unchecked Sendable {
    private let lock = NSLock()
    private var drawn = false

    /// A bar when stderr is a terminal, else nil.
    static func onTerminal() -> ProgressBar? { isatty(2) != 0 ? ProgressBar() : nil }

    func draw(done: Int, total: Int, seconds: Double) {
        let width = 30
        let filled = total > 0 ? width * done / total : width
        let rate = seconds > 0 ? Double(done) / seconds : 0
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let line = "\r[" + String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled) + "] "
            + "\(done)/\(total) files, " + String(format: "%.1f files/s, ETA %.0fs", rate, eta) + "\u{1b}[K"
        lock.lock()
        FileHandle.standardError.write(Data(line.utf8))
        drawn = true
        lock.unlock()
    }

    func clear() {
        lock.lock()
        if drawn { FileHandle.standardError.write(Data("\r\u{1b}[K".utf8)) }
        lock.unlock()
    }
}

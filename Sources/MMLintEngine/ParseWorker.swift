import Foundation
import LibClang
import MMLintCore
import MMLintSupport

/// Parsing in worker processes, so that a translation unit that crashes or
/// hangs libclang costs that file only.
///
/// The command-line tool turns it on (`ParseIsolation.configure`) and
/// re-executes itself as `mmlint __parse-worker`: a worker reads requests as
/// JSON lines on stdin (flags, unsaved files), parses, takes the facts in the
/// worker and streams them back as one JSON line per file. Each of the
/// engine's `--jobs` threads takes a worker from a pool (started at launch,
/// reused by every parse batch of the run), so the cost is one process start
/// per job plus the facts' JSON, not one per file. A
/// worker that dies or passes the per-file timeout is killed; the file is
/// reported as a parse failure and the next file gets a fresh worker.
/// Without `configure` (library users, unit tests) parses stay in-process.
public enum ParseIsolation {
    /// How to start a worker, and how long one file may take.
    public struct Configuration: Sendable {
        /// The executable and the arguments that make it a worker.
        public var command: [String]
        /// Seconds one file may take to parse before its worker is killed.
        public var timeout: Double
        public init(command: [String], timeout: Double) {
            self.command = command
            self.timeout = timeout
        }
    }

    /// The hidden subcommand the CLI answers as a worker.
    public static let workerArgument = "__parse-worker"
    /// The default per-file parse timeout, seconds: a kernel file parses in
    /// 0.1–5 s on a loaded 2-core machine; 120 s leaves room for the largest.
    public static let defaultTimeout: Double = 120
    /// `MMLINT_PARSE_TIMEOUT` overrides the default.
    public static let timeoutVariable = "MMLINT_PARSE_TIMEOUT"
    /// Test-only fault injection, honoured by workers only:
    /// `crash=a.c,hang=b.c` makes the worker crash (SIGSEGV) or hang on files
    /// with that name (or that whole path), so tests can prove a fault costs
    /// that file only.
    public static let testFaultVariable = "MMLINT_TEST_PARSE_FAULT"

    private static let lock = NSLock()
    nonisolated(unsafe) private static var current: Configuration?

    /// Turns isolation on (or off with nil) for every engine of the process.
    /// `prestart` workers are started at once, so that loading them overlaps
    /// with reading the input and planning flags (commands sure to parse).
    public static func configure(_ configuration: Configuration?, prestart: Int = 0) {
        lock.lock()
        current = configuration
        lock.unlock()
        // A write to a worker that just died must be an error, not a signal.
        if configuration != nil { signal(SIGPIPE, SIG_IGN) }
        if let configuration {
            for _ in 0..<prestart { WorkerPool.shared.give(WorkerProcess(configuration: configuration, start: true)) }
            atexit { WorkerPool.shared.shutdown() }
        }
    }

    public static var configuration: Configuration? {
        lock.lock()
        defer { lock.unlock() }
        return current
    }

    /// The timeout from `MMLINT_PARSE_TIMEOUT`, else the default; nil with a
    /// message when the variable is not a positive number.
    public static func timeout(from environment: [String: String]) -> Result<Double, EngineError> {
        guard let text = environment[timeoutVariable], !text.isEmpty else { return .success(defaultTimeout) }
        guard let value = Double(text), value > 0 else {
            return .failure(.usage("\(timeoutVariable)=\(text): expected a number of seconds greater than 0"))
        }
        return .success(value)
    }
}

/// What a worker is asked to do: one parse.
struct WorkerRequest: Codable {
    struct File: Codable {
        var path: String
        var contents: Data
    }
    var path: String
    var arguments: [String]
    var mode: FlagMode
    var unsaved: [File]
    /// With each request (it is small), so a worker serves any engine.
    var faultContext: FaultContextKnowledge
    var recordsSkippedLines: Bool
}

/// What a worker answers: the facts and the files the parse read, or why
/// libclang gave no translation unit.
struct WorkerReply: Codable {
    var facts: UnitFacts?
    var included: [String]
    var failure: String?
    /// The worker's resident size with the translation unit still held,
    /// bytes: what the parse took (`MemoryBudget` learns from it).
    var resident: Int?
}

/// The worker's side: answers requests until stdin closes.
public enum ParseWorkerServer {
    /// Runs the worker loop; returns the exit status.
    public static func serve() -> Int32 {
        let input = LineReader(fd: 0)
        // A worker outlives its engine only by a second: when the parent is
        // gone (killed mid-parse), the worker is reparented and quits.
        let parent = getppid()
        Thread.detachNewThread {
            while getppid() == parent { sleep(1) }
            _exit(3)
        }
        let faults = testFaults()
        let index = ClangIndex()
        let encoder = JSONEncoder()
        while let line = input.nextLine(timeout: nil) {
            guard let request = try? JSONDecoder().decode(WorkerRequest.self, from: Data(line)) else {
                FileHandle.standardError.write(Data("mmlint: \(ParseIsolation.workerArgument) is internal: it expects mmlint to drive it\n".utf8))
                return 2
            }
            let paths = Paths.Memo()
            let extractor = FactExtractor(faultContext: request.faultContext) { paths.normalize($0) }
            switch faults[request.path] ?? faults[(request.path as NSString).lastPathComponent] {
            case "crash":
                // As a libclang crash does: die by SIGSEGV (past any sanitizer's handler).
                signal(SIGSEGV, SIG_DFL)
                raise(SIGSEGV)
            case "hang": while true { sleep(1000) }
            default: break
            }
            var reply = WorkerReply(facts: nil, included: [], failure: nil)
            do {
                let unit = try index.parse(path: request.path, arguments: request.arguments,
                                           unsavedFiles: request.unsaved.map { UnsavedFile(path: $0.path, contents: [UInt8]($0.contents)) },
                                           recordsSkippedRanges: request.recordsSkippedLines)
                reply.facts = extractor.extract(unit, file: request.path, mode: request.mode)
                reply.included = unit.includedFiles.map { paths.normalize($0) }
                reply.resident = Memory.residentBytes()
            } catch {
                reply.failure = String(describing: error)
            }
            guard var data = try? encoder.encode(reply) else { return 2 }
            data.append(0x0A)
            guard writeAll(1, data) else { return 0 }
            // The translation unit is gone: its arenas go back to the
            // system, or the worker keeps the peak of every file it parsed.
            Memory.releaseFreed()
        }
        return 0
    }

    /// True when the test-only switch names `path`: such a file is always
    /// parsed, never taken from the fact cache, or the injected fault would
    /// depend on what an earlier run happened to cache.
    static func isFaultInjected(_ path: String) -> Bool {
        let faults = testFaults()
        return !faults.isEmpty && (faults[path] ?? faults[(path as NSString).lastPathComponent]) != nil
    }

    private static func testFaults() -> [String: String] {
        guard let spec = ProcessInfo.processInfo.environment[ParseIsolation.testFaultVariable] else { return [:] }
        var faults: [String: String] = [:]
        for item in spec.split(separator: ",") {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { faults[parts[1]] = parts[0] }
        }
        return faults
    }
}

/// Idle workers, kept for the next `Engine.parse` of the run (check parses
/// two or three batches) and filled by `configure(prestart:)`.
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool()
    private let lock = NSLock()
    private var idle: [WorkerProcess] = []

    /// An idle worker for `configuration`, else a new one (started on its first request).
    func take(_ configuration: ParseIsolation.Configuration) -> WorkerProcess {
        lock.lock()
        defer { lock.unlock() }
        if let index = idle.lastIndex(where: { $0.configuration.command == configuration.command }) {
            let worker = idle.remove(at: index)
            worker.configuration = configuration
            return worker
        }
        return WorkerProcess(configuration: configuration)
    }

    func give(_ worker: WorkerProcess) {
        lock.lock()
        idle.append(worker)
        lock.unlock()
    }

    /// Ends the idle workers (at exit: none outlives the command).
    func shutdown() {
        lock.lock()
        let workers = idle
        idle = []
        lock.unlock()
        // All told to end first, then each waited for: their exits overlap.
        for worker in workers { worker.closeInput() }
        for worker in workers { worker.stop() }
    }
}

/// The engine's side: one worker process, restarted after a fault.
final class WorkerProcess: @unchecked Sendable {
    /// Used by one thread at a time: the pool hands a worker to one engine thread.
    fileprivate(set) var configuration: ParseIsolation.Configuration
    private var pid: pid_t = 0
    /// The worker's process while it runs (read by the thread that uses it).
    var processID: pid_t? { pid == 0 ? nil : pid }
    /// Every worker process running now, for `MemoryBudget`.
    static var liveProcesses: [pid_t] {
        live.lock()
        defer { live.unlock() }
        return Array(livePIDs)
    }
    /// How many workers run and their resident memory summed, bytes.
    static var liveResident: (workers: Int, bytes: Int) {
        let processes = liveProcesses
        return (processes.count, processes.reduce(0) { $0 + (Memory.residentBytes(process: $1) ?? 0) })
    }
    /// How many workers run and what they hold, for the memory stats.
    static var memoryNote: String {
        let (workers, bytes) = liveResident
        return "\(workers) parse workers hold \(bytes >> 20) MiB"
    }
    private static let live = NSLock()
    nonisolated(unsafe) private static var livePIDs: Set<pid_t> = []
    private var toWorker: Int32 = -1
    private var reader: LineReader?
    /// Why the last start failed, reported with the first request.
    private var startProblem: String?

    init(configuration: ParseIsolation.Configuration, start: Bool = false) {
        self.configuration = configuration
        if start { startProblem = self.start() }
    }

    deinit { stop(kill: false) }

    /// Closes the worker's input and waits for it (killed after a second).
    func stop() { stop(kill: false) }

    /// Closes the worker's input, which ends a healthy worker; `stop` then waits.
    func closeInput() {
        guard toWorker >= 0 else { return }
        close(toWorker)
        toWorker = -1
    }

    enum Outcome {
        case reply(WorkerReply)
        case fault(String)
    }

    /// Parses one request in the worker, starting one when needed.
    func parse(_ request: WorkerRequest) -> Outcome {
        if let problem = startProblem {
            startProblem = nil
            return .fault(problem)
        }
        if pid == 0, let problem = start() { return .fault(problem) }
        guard var data = try? JSONEncoder().encode(request) else { return .fault("cannot encode the parse request") }
        data.append(0x0A)
        guard writeAll(toWorker, data) else { return .fault(stopAndDescribe()) }
        switch reader!.nextLine(timeout: configuration.timeout) {
        case .some(let line):
            guard let reply = try? JSONDecoder().decode(WorkerReply.self, from: Data(line)) else {
                return .fault("the parse worker answered garbage; " + stopAndDescribe())
            }
            return .reply(reply)
        case .none:
            if reader!.timedOut {
                stop(kill: true)
                return .fault("parsing took longer than \(Self.seconds(configuration.timeout)) s and was stopped "
                              + "(\(ParseIsolation.timeoutVariable) sets the limit)")
            }
            return .fault(stopAndDescribe())
        }
    }

    /// Starts the worker; a message when that failed.
    private func start() -> String? {
        var input: [Int32] = [0, 0], output: [Int32] = [0, 0]
        // Close-on-exec, under one lock with the spawn: a worker must not
        // inherit another worker's pipes, or that one would never see its
        // stdin end.
        Self.spawnLock.lock()
        defer { Self.spawnLock.unlock() }
        guard pipe(&input) == 0 else { return "cannot create a pipe for the parse worker" }
        guard pipe(&output) == 0 else {
            close(input[0]); close(input[1])
            return "cannot create a pipe for the parse worker"
        }
        for fd in input + output { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions: posix_spawn_file_actions_t = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, input[0], 0)
        posix_spawn_file_actions_adddup2(&actions, output[1], 1)
        // Crash reports of a dying worker are noise: its failure is reported per file.
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        for fd in [input[0], input[1], output[0], output[1]] { posix_spawn_file_actions_addclose(&actions, fd) }
        // The spawning thread (a dispatch worker) blocks signals, and the CLI
        // ignores SIGPIPE: the worker gets a clean slate, so SIGTERM ends it.
        var environment = ProcessInfo.processInfo.environment
        environment["SWIFT_BACKTRACE"] = "enable=no"
        let env = environment.map { "\($0.key)=\($0.value)" }
        var child: pid_t = 0
        let status = withCStringArray(configuration.command) { argv in
            withCStringArray(env) { envp in
                ChildProcess.withCleanSignals { posix_spawn(&child, configuration.command[0], &actions, $0, argv, envp) }
            }
        }
        close(input[0])
        close(output[1])
        guard status == 0 else {
            close(input[1]); close(output[0])
            return "cannot start the parse worker \(configuration.command[0]): \(String(cString: strerror(status)))"
        }
        pid = child
        Self.live.lock()
        Self.livePIDs.insert(child)
        Self.live.unlock()
        toWorker = input[1]
        reader = LineReader(fd: output[0])
        return nil
    }

    /// Ends the worker (after a fault) and says how it ended.
    private func stopAndDescribe() -> String {
        guard pid != 0 else { return "the parse worker is not running" }
        closeInput()
        var status: Int32 = 0
        // A worker that closed its output but lingers is killed after a moment.
        var waited = 0
        while waitpid(pid, &status, WNOHANG) == 0 {
            if waited >= 50 { kill(pid, SIGKILL) }
            usleep(20_000)
            waited += 1
        }
        cleanUp()
        let signal = status & 0x7f
        if signal != 0 { return "the parser crashed (signal \(signal)\(signal == SIGSEGV ? ", segmentation fault" : ""))" }
        return "the parse worker exited with status \((status >> 8) & 0xff)"
    }

    private func stop(kill hard: Bool) {
        guard pid != 0 else { return }
        closeInput()
        if hard { kill(pid, SIGKILL) }
        var status: Int32 = 0
        if !hard {
            // Closing stdin ends a healthy worker (in a few milliseconds: a
            // check waits for this at exit); one that does not end is killed.
            var waited = 0
            while waitpid(pid, &status, WNOHANG) == 0 {
                if waited >= 1_000 { kill(pid, SIGKILL) }
                usleep(1_000)
                waited += 1
            }
        } else {
            waitpid(pid, &status, 0)
        }
        cleanUp()
    }

    private func cleanUp() {
        reader?.close()
        reader = nil
        Self.live.lock()
        Self.livePIDs.remove(pid)
        Self.live.unlock()
        pid = 0
        toWorker = -1
    }

    private static let spawnLock = NSLock()

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}

/// Reads LF-terminated lines from a file descriptor, with a timeout.
final class LineReader {
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var start = 0
    private var ended = false
    /// Whether the last `nextLine` gave up because of its timeout.
    private(set) var timedOut = false

    init(fd: Int32) { self.fd = fd }

    func close() {
        if !ended { ended = true }
        _ = Glibc.close(fd)
    }

    /// The next line without its LF; nil at the end of input, on an error,
    /// or when `timeout` seconds pass without a whole line.
    func nextLine(timeout: Double?) -> [UInt8]? {
        timedOut = false
        let deadline = timeout.map { Date().addingTimeInterval($0) }
        var scanned = start
        while true {
            if let newline = buffer[scanned...].firstIndex(of: 0x0A) {
                let line = Array(buffer[start..<newline])
                start = newline + 1
                if start > 1 << 20 {
                    buffer.removeFirst(start)
                    start = 0
                }
                return line
            }
            scanned = buffer.count
            if ended { return nil }
            if let deadline {
                let left = deadline.timeIntervalSinceNow
                if left <= 0 {
                    timedOut = true
                    return nil
                }
                var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                let ready = poll(&poller, 1, Int32(min(left * 1000, Double(Int32.max)).rounded(.up)))
                if ready < 0 && errno == EINTR { continue }
                if ready == 0 { continue }
            }
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 {
                ended = true
                return nil
            }
            buffer.append(contentsOf: chunk[..<count])
        }
    }
}

/// Writes all of `data`; false when the other end is gone.
private func writeAll(_ fd: Int32, _ data: Data) -> Bool {
    data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) -> Bool in
        var offset = 0
        while offset < bytes.count {
            let written = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += written
        }
        return true
    }
}

private func withCStringArray<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
    let pointers = strings.map { strdup($0) } + [nil]
    defer { pointers.forEach { free($0) } }
    return body(pointers)
}

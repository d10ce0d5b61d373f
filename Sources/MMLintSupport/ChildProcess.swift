import Glibc

/// Runs a short command to its end and collects what it printed, without
/// Foundation's `Process`: its `waitUntilExit()` polls a run loop every
/// 50 ms, which a pre-submit check paid once per `git` call (a tenth of
/// the whole check of a one-file patch). Here the child is spawned with
/// posix_spawnp (PATH is searched), both outputs are drained with poll(2),
/// and the exit is taken with waitpid(2) as soon as both close.
public enum ChildProcess {
    public struct Result: Sendable {
        /// The exit status, or 128 + the signal that ended it.
        public var status: Int32
        public var output: [UInt8]
        public var errors: [UInt8]
    }

    /// Runs `arguments` (the first is the program, searched on PATH) in
    /// `directory`; nil with strerror's words when it could not start.
    public static func run(_ arguments: [String], in directory: String? = nil) -> (Result?, String?) {
        var output: [Int32] = [0, 0], errors: [Int32] = [0, 0]
        guard pipe(&output) == 0 else { return (nil, String(cString: strerror(errno))) }
        guard pipe(&errors) == 0 else {
            close(output[0]); close(output[1])
            return (nil, String(cString: strerror(errno)))
        }
        for fd in output + errors { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, output[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errors[1], 2)
        if let directory { _ = spawnActionsAddChdir(&actions, directory) }
        var child: pid_t = 0
        let pointers = arguments.map { strdup($0) } + [nil]
        defer { pointers.forEach { free($0) } }
        let started = withCleanSignals { posix_spawnp(&child, arguments[0], &actions, $0, pointers, environ) }
        close(output[1])
        close(errors[1])
        guard started == 0 else {
            close(output[0]); close(errors[0])
            return (nil, String(cString: strerror(started)))
        }
        let (out, err) = drain(output[0], errors[0])
        close(output[0])
        close(errors[0])
        var status: Int32 = 0
        while waitpid(child, &status, 0) < 0 && errno == EINTR {}
        let signal = status & 0x7f
        return (Result(status: signal != 0 ? 128 + signal : (status >> 8) & 0xff, output: out, errors: err), nil)
    }

    /// Spawn attributes for a child with a clean slate of signals: none
    /// blocked, and SIGPIPE, SIGTERM, SIGINT and SIGHUP at their defaults,
    /// whatever the spawning thread blocks or the process ignores (the CLI
    /// ignores SIGPIPE; dispatch threads block signals).
    public static func withCleanSignals<R>(_ body: (UnsafePointer<posix_spawnattr_t>) -> R) -> R {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t(), defaults = sigset_t()
        sigemptyset(&noSignals)
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGTERM, SIGINT, SIGHUP] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        return body(&attributes)
    }

    /// Reads both descriptors to their ends, whichever has data first.
    private static func drain(_ first: Int32, _ second: Int32) -> ([UInt8], [UInt8]) {
        var collected: [[UInt8]] = [[], []]
        var fds = [pollfd(fd: first, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: second, events: Int16(POLLIN), revents: 0)]
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while fds.contains(where: { $0.fd >= 0 }) {
            if poll(&fds, nfds_t(fds.count), -1) < 0 {
                if errno == EINTR { continue }
                break
            }
            for index in fds.indices where fds[index].fd >= 0 && fds[index].revents != 0 {
                let count = buffer.withUnsafeMutableBytes { read(fds[index].fd, $0.baseAddress, $0.count) }
                if count > 0 {
                    collected[index] += buffer[0..<count]
                } else if count == 0 || errno != EINTR {
                    fds[index].fd = -1  // poll skips negative descriptors
                }
            }
        }
        return (collected[0], collected[1])
    }
}

/// glibc's `posix_spawn_file_actions_addchdir_np` (2.29), which the Glibc
/// module map leaves out (it is a GNU extension).
@_silgen_name("posix_spawn_file_actions_addchdir_np")
private func spawnActionsAddChdir(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>,
                                  _ path: UnsafePointer<CChar>) -> Int32

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The process's heap, as the kernel sees it.
public enum Memory {
    /// With `MMLINT_MEMORY_STATS` (or `MMLINT_PREFILTER_STATS`) set, prints
    /// the resident memory at a stage of the work on stderr: where a scan's
    /// peak is, stage by stage.
    public static func stage(_ name: @autoclosure () -> String) {
        let environment = ProcessInfo.processInfo.environment
        guard environment["MMLINT_MEMORY_STATS"] != nil || environment["MMLINT_PREFILTER_STATS"] != nil,
              let resident = residentBytes() else { return }
        FileHandle.standardError.write(Data("mmlint: memory: \(name()): \(resident >> 20) MiB resident\n".utf8))
    }

    /// The resident set of this process, or of `process`, from
    /// /proc/PID/statm (pages of the system's size); nil when there is no
    /// such process (any more).
    public static func residentBytes(process: Int32? = nil) -> Int? {
        let path = process.map { "/proc/\($0)/statm" } ?? "/proc/self/statm"
        guard let statm = try? String(contentsOfFile: path, encoding: .utf8),
              let pages = statm.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else { return nil }
        #if os(Linux)
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
        #else
        return pages * 4096
        #endif
    }

    /// Hands the heap's free pages back to the system. glibc keeps freed
    /// memory for reuse; a long scan frees much more than it keeps (the
    /// prefilter's tables, each parse's libclang arenas, each decoded
    /// reply), and what is not handed back stays resident and counts.
    public static func releaseFreed() {
        #if os(Linux)
        _ = glibcMallocTrim(0)
        #endif
    }
}

#if os(Linux)
/// glibc's `int malloc_trim(size_t)`, which no Swift module map exports.
@_silgen_name("malloc_trim")
private func glibcMallocTrim(_ pad: Int) -> Int32
#endif

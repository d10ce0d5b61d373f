import Glibc

/// Writing files that readers and crashes never see half of. Each function
/// returns nil on success, else what went wrong (strerror's words), for the
/// caller to put in its own message.
public enum AtomicFile {
    /// Writes `final` so that a reader never sees half of it and nothing
    /// outside its folder is touched: a fresh temporary name opened with
    /// O_EXCL and O_NOFOLLOW (an existing file or symlink there is never
    /// written through), written, synced, then rename(2), which replaces a
    /// symlink at the final name rather than following it.
    public static func write(_ bytes: [UInt8], to final: String) -> String? {
        let slash = final.lastIndex(of: "/")
        let folder = slash.map { String(final[..<$0]) } ?? "."
        let name = slash.map { String(final[final.index(after: $0)...]) } ?? final
        let temporary = folder + "/.\(name).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return String(cString: strerror(errno)) }
        var failure = writeAll(bytes, to: fd)
        if failure == nil && fsync(fd) != 0 { failure = String(cString: strerror(errno)) }
        if close(fd) != 0 && failure == nil { failure = String(cString: strerror(errno)) }
        if failure == nil && rename(temporary, final) != 0 { failure = String(cString: strerror(errno)) }
        if failure != nil { unlink(temporary) }
        return failure
    }

    /// Writes `path` in place (created or truncated, never through a
    /// symlink) and syncs it: for a file whose name is itself the staging
    /// place, like a Maildir's `tmp/`, before it is renamed elsewhere.
    public static func writeSynced(_ bytes: [UInt8], to path: String) -> String? {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return String(cString: strerror(errno)) }
        var failure = writeAll(bytes, to: fd)
        if failure == nil && fsync(fd) != 0 { failure = String(cString: strerror(errno)) }
        close(fd)
        return failure
    }

    /// Writes every byte to `fd`, retrying short writes and EINTR.
    public static func writeAll(_ bytes: [UInt8], to fd: Int32) -> String? {
        var failure: String?
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = String(cString: strerror(errno))
                    return
                }
                offset += written
            }
        }
        return failure
    }

    /// Syncs a folder, so that a rename into or out of it survives a crash.
    public static func syncFolder(_ folder: String) {
        let fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }
}

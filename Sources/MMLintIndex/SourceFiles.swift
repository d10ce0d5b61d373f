import Foundation
import MMLintSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads whole files: small ones with one `read` into a reused buffer,
/// large ones mapped (a third of a kernel tree's bytes are in register
/// headers of megabytes, which a copy out of the page cache would double).
/// No `Data`, no per-file allocation. One reader per thread.
public final class FileReader {
    private var buffer: UnsafeMutableRawPointer
    private var capacity: Int
    /// Files at least this big are mapped rather than read.
    private let mapThreshold = 1 << 18

    public init(capacity: Int = 1 << 20) {
        self.capacity = capacity
        buffer = .allocate(byteCount: capacity, alignment: 16)
    }

    deinit { buffer.deallocate() }

    /// Calls `body` with the contents of `path` (valid only during the call),
    /// or returns nil when the file cannot be read. Reads the size `fstat`
    /// reports (to the end when it reports none), with no extra read for
    /// the end of file.
    public func withContents<R>(of path: String, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return nil }
        let size = Int(status.st_size)
        if size >= mapThreshold,
           let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, descriptor, 0), mapped != MAP_FAILED {
            defer { munmap(mapped, size) }
            return try body(UnsafeRawBufferPointer(start: mapped, count: size))
        }
        if size > capacity { grow(to: size, keeping: 0) }
        var length = 0
        while size == 0 || length < size {
            if length == capacity { grow(to: capacity * 2, keeping: length) }
            let got = read(descriptor, buffer + length, capacity - length)
            if got < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if got == 0 { break }
            length += got
        }
        return try body(UnsafeRawBufferPointer(start: buffer, count: length))
    }

    private func grow(to size: Int, keeping length: Int) {
        let grown = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        grown.copyMemory(from: buffer, byteCount: length)
        buffer.deallocate()
        buffer = grown
        capacity = size
    }
}

/// The C sources and headers under a folder, found with `readdir` (file
/// types from the directory entries, no `stat` per file). Hidden entries
/// are skipped, as `mmlint scan` does.
public struct SourceTree: Sendable, Equatable {
    /// Absolute paths of the `.c` files, sorted.
    public var sources: [String]
    /// Absolute paths of the `.h` files, sorted.
    public var headers: [String]

    public init(sources: [String], headers: [String]) {
        self.sources = sources
        self.headers = headers
    }

    /// The walk of `root`, done once per process: a scan lists a tree's
    /// sources, then its prefilter the same tree's headers.
    public static func walked(_ root: String) -> SourceTree {
        walks.lock.lock()
        defer { walks.lock.unlock() }
        if let known = walks.trees[root] { return known }
        let tree = SourceTree(walking: root)
        walks.trees[root] = tree
        return tree
    }

    private final class Walks: @unchecked Sendable {
        let lock = NSLock()
        var trees: [String: SourceTree] = [:]
    }
    private static let walks = Walks()

    /// Walks `root` (an absolute folder path). Symbolic links are not followed.
    public init(walking root: String) {
        var sources: [String] = []
        var headers: [String] = []
        FileTree.walk(root.hasSuffix("/") && root.count > 1 ? String(root.dropLast()) : root) { path, name, kind, _ in
            guard !name.hasPrefix(".") else { return false }
            if kind == .regular {
                if name.hasSuffix(".c") {
                    sources.append(path)
                } else if name.hasSuffix(".h") {
                    headers.append(path)
                }
            }
            return true
        }
        self.sources = sources.sorted()
        self.headers = headers.sorted()
    }
}

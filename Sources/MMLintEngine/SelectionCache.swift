import Foundation
import MMLintCore
#if canImport(Glibc)
import Glibc
#endif

/// Remembers the prefilter's choice for a tree, so that re-scanning an
/// unchanged tree reads no file but the few it parses (whose facts the
/// `FactCache` validates by content). The choice depends on every C file
/// and header of the tree; reading them all to hash their content would
/// cost what the prefilter costs, so, as make and git's index do, an entry
/// is valid only while every one of those files has the same size,
/// modification time (to the nanosecond), inode and path as when it was
/// stored, and the same holds for the fragments (`.inl`, …) they include.
/// Anything else (a file added, removed, touched or replaced, other rules,
/// another mmlint) misses and the prefilter runs again. Entries are written
/// under a temporary name and renamed; an unreadable entry is a miss.
public struct SelectionCache: Sendable {
    public let directory: String
    let salt: String

    /// `factCache`'s folder, `selections/` beside its entries.
    public init(factCache: FactCache, prefilterDescription: String) {
        directory = factCache.directory + "/selections"
        salt = factCache.salt + "|" + prefilterDescription + "|selection-v1"
    }

    struct Entry: Codable {
        var salt: String
        var key: String
        /// Digest of the stamps of the sources and headers.
        var stamps: String
        var fragments: [String]
        /// Digest of the fragments' stamps.
        var fragmentStamps: String
        var files: [String]
        var reasons: [String: [String]]
        var read: Int
    }

    /// The key of a scan: which files, which headers.
    func key(files: [String], headerRoots: [String]) -> String {
        var hasher = FNV1a()
        hasher.add(salt)
        for root in headerRoots { hasher.add(root) }
        hasher.add("--")
        for file in files { hasher.add(file) }
        return hasher.hex
    }

    /// The stored selection, if every file it depends on is as it was.
    func lookup(key: String, stamps: String) -> Entry? {
        guard let data = FileManager.default.contents(atPath: path(for: key)),
              let entry = try? JSONDecoder().decode(Entry.self, from: data),
              entry.salt == salt, entry.key == key, entry.stamps == stamps,
              Self.stamps(of: entry.fragments) == entry.fragmentStamps else { return nil }
        return entry
    }

    /// Stores `entry`; a cache that cannot be written is left alone (the
    /// fact cache already warns about it).
    func store(_ entry: Entry) {
        guard let data = try? JSONEncoder().encode(entry) else { return }
        let final = path(for: entry.key)
        let temporary = directory + "/.\(entry.key).\(UUID().uuidString).tmp"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try data.write(to: URL(fileURLWithPath: temporary))
            if rename(temporary, final) != 0 { try? FileManager.default.removeItem(atPath: temporary) }
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
        }
    }

    private func path(for key: String) -> String { directory + "/" + key + ".json" }

    /// Digest of the paths, sizes, modification times and inodes of `paths`
    /// (a missing file counts as such).
    static func stamps(of paths: [String]) -> String {
        var hasher = FNV1a()
        var status = stat()
        for path in paths {
            hasher.add(path)
            if lstat(path, &status) == 0 {
                withUnsafeBytes(of: (Int64(status.st_size), Int64(status.st_mtim.tv_sec),
                                     Int64(status.st_mtim.tv_nsec), UInt64(status.st_ino))) { hasher.add($0) }
            } else {
                hasher.add("missing")
            }
        }
        return hasher.hex
    }
}

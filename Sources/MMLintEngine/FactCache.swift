import Foundation
import MMLintCore

/// A persistent cache of per-file facts. An entry is found by a key made of
/// the tool version, the rules' fingerprint, the parse arguments and the
/// file's content; it is used only if every file the parse read (each
/// included header) still has the content it had then. Entries are JSON,
/// written under a temporary name and renamed; anything unreadable or
/// inconsistent is ignored and rebuilt, never trusted.
public final class FactCache: @unchecked Sendable {
    public let directory: String
    let salt: String
    private let lock = NSLock()
    private var contentHashes: [String: String] = [:]
    private var writable = true
    public private(set) var warnings: [String] = []

    /// `${XDG_CACHE_HOME:-~/.cache}/mmlint/facts`.
    public static var defaultDirectory: String {
        let env = ProcessInfo.processInfo.environment
        let base = env["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (NSHomeDirectory() + "/.cache")
        return base + "/mmlint/facts"
    }

    public init(directory: String, rulesFingerprint: String) {
        self.directory = directory
        // facts-v2 added member writes, returns, local writes, flag names and
        // addressed members: a v1 entry lacks them, and reading that as
        // "none" would hide findings, so v1 entries are never looked at.
        // facts-v3 records ops tables stored into any field of another
        // table, not only `vm_ops`. facts-v7 names an ops table declared
        // inside a function by its variable, not by the function.
        salt = ToolInfo.version + "|" + rulesFingerprint + "|facts-v7"
    }

    struct Entry: Codable {
        var salt: String
        var key: String
        /// Every file the parse read, with its content hash then.
        var inputs: [Input]
        var facts: UnitFacts
    }

    struct Input: Codable {
        var path: String
        var hash: String
    }

    /// The key for a parse of `file` with `arguments`.
    func key(file: String, arguments: [String], mode: FlagMode) -> String? {
        guard let content = contentHash(file) else { return nil }
        var hasher = FNV1a()
        hasher.add(salt)
        hasher.add(file)
        hasher.add(mode.rawValue)
        for argument in arguments { hasher.add(argument) }
        hasher.add(content)
        return hasher.hex
    }

    /// The cached facts for `key`, when every input is unchanged.
    func lookup(_ key: String) -> UnitFacts? {
        guard let data = FileManager.default.contents(atPath: path(for: key)),
              let entry = try? JSONDecoder().decode(Entry.self, from: data),
              entry.salt == salt, entry.key == key else { return nil }
        for input in entry.inputs where contentHash(input.path) != input.hash { return nil }
        return entry.facts
    }

    func store(_ key: String, facts: UnitFacts, inputs: [String]) {
        lock.lock()
        let canWrite = writable
        lock.unlock()
        guard canWrite else { return }
        let hashed = inputs.compactMap { path in contentHash(path).map { Input(path: path, hash: $0) } }
        guard hashed.count == inputs.count,
              let data = try? JSONEncoder().encode(Entry(salt: salt, key: key, inputs: hashed, facts: facts)) else { return }
        let final = path(for: key)
        let folder = (final as NSString).deletingLastPathComponent
        let temporary = folder + "/.\(key).\(UUID().uuidString).tmp"
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try data.write(to: URL(fileURLWithPath: temporary))
            if rename(temporary, final) != 0 { try? FileManager.default.removeItem(atPath: temporary) }
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            lock.lock()
            if writable {
                writable = false
                warnings.append("\(directory): cache not writable (\(error.localizedDescription)); "
                                + "going on without storing; pass --cache-dir or --no-cache")
            }
            lock.unlock()
        }
    }

    private func path(for key: String) -> String {
        directory + "/" + key.prefix(2) + "/" + key + ".json"
    }

    /// A file's content hash, once per run (headers are shared by many files).
    func contentHash(_ path: String) -> String? {
        lock.lock()
        if let known = contentHashes[path] {
            lock.unlock()
            return known
        }
        lock.unlock()
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        var hasher = FNV1a()
        data.withUnsafeBytes { hasher.add(UnsafeRawBufferPointer($0)) }
        let hex = hasher.hex
        lock.lock()
        contentHashes[path] = hex
        lock.unlock()
        return hex
    }
}

import Foundation

/// A kernel release, `6.1.192`. Ordered; the sublevel defaults to 0.
public struct KernelVersion: Codable, Sendable, Hashable, Comparable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public var sublevel: Int

    public init(_ major: Int, _ minor: Int, _ sublevel: Int = 0) {
        self.major = major
        self.minor = minor
        self.sublevel = sublevel
    }

    /// Parses `6.1`, `6.1.192`, `v6.12`, `6.12.0-rc3` (suffixes ignored).
    public init?(_ text: String) {
        var text = Substring(text.trimmingCharacters(in: .whitespaces))
        if text.hasPrefix("v") { text = text.dropFirst() }
        let numbers = text.split(separator: ".", maxSplits: 2).map { part in
            Int(part.prefix { $0.isNumber })
        }
        guard numbers.count >= 2, let major = numbers[0], let minor = numbers[1] else { return nil }
        self.init(major, minor, numbers.count > 2 ? (numbers[2] ?? 0) : 0)
    }

    /// The version a kernel tree's top Makefile declares (VERSION, PATCHLEVEL,
    /// SUBLEVEL), or nil when `root` is not a kernel tree.
    public init?(kernelRoot root: String) {
        guard let makefile = Self.head(of: root + "/Makefile", lines: 20) else { return nil }
        var values: [String: Int] = [:]
        for line in makefile.split(separator: "\n").prefix(20) {
            let parts = line.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let key = parts[0].trimmingCharacters(in: .whitespaces)
            if ["VERSION", "PATCHLEVEL", "SUBLEVEL"].contains(key) {
                values[key] = Int(parts[1].trimmingCharacters(in: .whitespaces))
            }
        }
        guard let major = values["VERSION"], let minor = values["PATCHLEVEL"] else { return nil }
        self.init(major, minor, values["SUBLEVEL"] ?? 0)
    }

    /// The first `lines` lines of a file, read a few kilobytes at a time: a
    /// top Makefile is 70 KB and its version is in the first five lines,
    /// and a check asks each folder above the patched file.
    private static func head(of path: String, lines: Int) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        var bytes: [UInt8] = []
        while bytes.lazy.filter({ $0 == 0x0A }).count < lines {
            guard let chunk = try? handle.read(upToCount: 4096), !chunk.isEmpty else { break }
            bytes += chunk
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    public var description: String { "\(major).\(minor).\(sublevel)" }
    /// `v6.12`: how kernel people name a release in prose.
    public var releaseName: String { "v\(major).\(minor)" }

    public static func < (a: KernelVersion, b: KernelVersion) -> Bool {
        (a.major, a.minor, a.sublevel) < (b.major, b.minor, b.sublevel)
    }
}

/// A half-open version range: `since` included, `until` excluded. Either end
/// may be open.
public struct VersionRange: Codable, Sendable, Equatable {
    public var since: KernelVersion?
    public var until: KernelVersion?

    public init(since: KernelVersion? = nil, until: KernelVersion? = nil) {
        self.since = since
        self.until = until
    }

    public func contains(_ version: KernelVersion) -> Bool {
        if let since, version < since { return false }
        if let until, version >= until { return false }
        return true
    }

    /// True when the range reaches the newest kernels (no `until`).
    public var isOpenEnded: Bool { until == nil }
}

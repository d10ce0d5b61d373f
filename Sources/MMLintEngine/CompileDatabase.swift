import Foundation
import MMLintCore

/// A `compile_commands.json`: both the `command` and the `arguments` form,
/// entries keyed by their absolute, normalized file path.
public struct CompileDatabase: Sendable {
    public struct Entry: Sendable, Equatable {
        public var directory: String
        public var file: String
        /// The compiler's argv, compiler included.
        public var arguments: [String]
    }

    public let path: String
    private let store: Store
    /// Every entry by file (a database read lazily decodes them all: for
    /// small ones and tests; analysis asks `entry(for:)`).
    public var entries: [String: Entry] { store.all() }
    /// The files the database has, sorted.
    public var files: [String] { store.files }
    public var count: Int { store.files.count }
    /// The bytes of the database's text kept in memory (`Store.textBytesHeld`).
    var textBytesHeld: Int { store.textBytesHeld }
    /// Where the entries came from, for `-v` (a path, or kbuild and its config).
    public var origin: String
    /// The config whose kbuild commands these are, when mmlint made the
    /// database from kbuild's dry run (`mmlint flags`).
    public var kbuildConfig: KernelConfig?
    /// When set, the tree whose include folders an entry's output folders
    /// precede (`KbuildCommands.preferOutput`), applied to the entries
    /// asked for rather than to all of a whole tree's at load.
    public var outputFirstTree: String?
    /// Files by folder, for borrowing a neighbour's flags.
    private var byFolder: [String: [String]] = [:]

    /// Loads `path`, a file or a folder holding `compile_commands.json`.
    public init(at path: String) throws(EngineError) {
        var file = path
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            file = (path as NSString).appendingPathComponent("compile_commands.json")
        }
        // Read whole once to index it; an entry is read again from the
        // file when asked for (below), and the text is let go.
        guard let data = FileManager.default.contents(atPath: file) else {
            throw .input("\(file): cannot read the compile database; pass --compile-commands FILE|DIR "
                         + "or generate one with scripts/clang-tools/gen_compile_commands.py")
        }
        try self.init(data: data, path: file, handle: FileHandle(forReadingAtPath: file))
    }

    public init(data: Data, path: String) throws(EngineError) {
        try self.init(data: data, path: path, handle: nil)
    }

    /// With `handle` (the file `data` was read from, open), a database of
    /// mmlint's shape keeps only its index: an entry's bytes are read from
    /// the file when asked for. An 85 MB allmodconfig database then costs a
    /// scan its index, not its text, for the scan's whole life.
    private init(data: Data, path: String, handle: FileHandle?) throws(EngineError) {
        self.path = path
        origin = "compile database " + path
        // The shape mmlint writes (a whole tree's commands: 85 MB for
        // allmodconfig) is indexed by file and each entry decoded when
        // asked for; decoding all of it took seconds per scan.
        if let objects = Self.objectRanges(data) {
            var ranges: [String: Range<Int>] = [:]
            for (file, range) in objects where ranges[file] == nil { ranges[file] = range }
            store = handle.map { Store(file: $0, ranges: ranges, path: path) }
                ?? Store(data: data, ranges: ranges, path: path)
        } else {
            guard let list = (try? JSONSerialization.jsonObject(with: data)) as? [[String: Any]] else {
                throw .input("\(path): not a compile database (expected a JSON array of objects)")
            }
            var entries: [String: Entry] = [:]
            for (index, object) in list.enumerated() {
                let entry = try Self.entry(object, index: index, path: path)
                // The first entry for a file wins, as in clang's own tools.
                if entries[entry.file] == nil { entries[entry.file] = entry }
            }
            store = Store(entries: entries)
        }
        index()
    }

    static func entry(_ object: [String: Any], index: Int, path: String) throws(EngineError) -> Entry {
        guard let directory = object["directory"] as? String, let file = object["file"] as? String else {
            throw .input("\(path): entry \(index + 1) lacks \"directory\" or \"file\"")
        }
        let arguments: [String]
        if let list = object["arguments"] as? [String] {
            arguments = list
        } else if let command = object["command"] as? String {
            arguments = ShellWords.split(command)
        } else {
            throw .input("\(path): entry \(index + 1) (\(file)) has neither \"arguments\" nor \"command\"")
        }
        return Entry(directory: directory, file: Paths.normalize(file, relativeTo: directory), arguments: arguments)
    }

    /// The objects of a database in the shape `write(to:)` gives (no
    /// blanks, keys sorted so `"file"` comes last, absolute files), each
    /// with its file and byte range; nil for any other shape.
    static func objectRanges(_ data: Data) -> [(file: String, range: Range<Int>)]? {
        data.withUnsafeBytes { raw -> [(file: String, range: Range<Int>)]? in
            guard let base = raw.baseAddress?.assumingMemoryBound(to: UInt8.self), raw.count >= 2,
                  base[0] == UInt8(ascii: "[") else { return nil }
            let count = raw.count
            let key = Array(#""file":""#.utf8)
            // memchr to each ':' (a few per entry), then the key around it:
            // fast even in a debug build, where a Swift loop over every byte is not.
            func find(_ key: [UInt8], from: Int) -> Int? {
                var at = from
                while at < count, let colon = memchr(base + at, Int32(UInt8(ascii: ":")), count - at) {
                    let position = UnsafeRawPointer(colon) - UnsafeRawPointer(base)
                    let begin = position - 6
                    if begin >= from, position + 1 < count,
                       (0..<key.count).allSatisfy({ base[begin + $0] == key[$0] }) {
                        return begin
                    }
                    at = position + 1
                }
                return nil
            }
            var result: [(file: String, range: Range<Int>)] = []
            var start = 1
            if base[start] == UInt8(ascii: "]") { return [] }
            while true {
                guard base[start] == UInt8(ascii: "{"), let hit = find(key, from: start) else { return nil }
                var index = hit + key.count
                var bytes: [UInt8] = []
                while index < count, base[index] != UInt8(ascii: "\"") {
                    if base[index] == UInt8(ascii: "\\") {
                        // Only the escapes a path gets from JSONSerialization.
                        guard index + 1 < count, base[index + 1] == UInt8(ascii: "/") || base[index + 1] == UInt8(ascii: "\\") else {
                            return nil
                        }
                        index += 1
                    }
                    bytes.append(base[index])
                    index += 1
                }
                guard index + 2 < count, base[index + 1] == UInt8(ascii: "}"), bytes.first == UInt8(ascii: "/") else { return nil }
                let end = index + 2
                result.append((String(decoding: bytes, as: UTF8.self), start..<end))
                if base[end] == UInt8(ascii: "]") { return result }
                guard base[end] == UInt8(ascii: ","), end + 1 < count else { return nil }
                start = end + 1
            }
        }
    }

    private mutating func index() {
        byFolder = [:]
        for file in store.files {
            byFolder[(file as NSString).deletingLastPathComponent, default: []].append(file)
        }
    }

    /// A database of `entries` (made by mmlint, as from kbuild's commands).
    public init(entries list: [Entry], path: String, origin: String? = nil) {
        self.path = path
        var entries: [String: Entry] = [:]
        for entry in list where entries[entry.file] == nil { entries[entry.file] = entry }
        store = Store(entries: entries)
        self.origin = origin ?? "compile database " + path
        index()
    }

    /// The entries, decoded all at once or when first asked for.
    final class Store: @unchecked Sendable {
        let files: [String]
        private var decoded: [String: Entry]
        private let data: Data?
        /// The database's file, when entries are read from it rather than from `data`.
        private let file: FileHandle?
        private let ranges: [String: Range<Int>]
        private let path: String
        private let lock = NSLock()

        init(entries: [String: Entry]) {
            decoded = entries
            files = entries.keys.sorted()
            data = nil
            file = nil
            ranges = [:]
            path = ""
        }

        init(data: Data, ranges: [String: Range<Int>], path: String) {
            self.data = data
            file = nil
            self.ranges = ranges
            self.path = path
            files = ranges.keys.sorted()
            decoded = [:]
        }

        init(file: FileHandle, ranges: [String: Range<Int>], path: String) {
            data = nil
            self.file = file
            self.ranges = ranges
            self.path = path
            files = ranges.keys.sorted()
            decoded = [:]
        }

        deinit { try? file?.close() }

        private var isLazy: Bool { data != nil || file != nil }

        /// The database's text this store holds in memory (0 when entries
        /// are read from the file).
        var textBytesHeld: Int { data?.count ?? 0 }

        func contains(_ name: String) -> Bool { isLazy ? ranges[name] != nil : decoded[name] != nil }

        /// Decoded once; an entry that cannot be read or decoded is none
        /// (its file then gets synthesized flags, and is still parsed).
        func entry(_ name: String) -> Entry? {
            lock.lock()
            defer { lock.unlock() }
            if let entry = decoded[name] { return entry }
            guard let range = ranges[name], let bytes = bytes(range),
                  let object = (try? JSONSerialization.jsonObject(with: bytes)) as? [String: Any],
                  let entry = try? CompileDatabase.entry(object, index: 0, path: path), entry.file == name else { return nil }
            decoded[name] = entry
            return entry
        }

        private func bytes(_ range: Range<Int>) -> Data? {
            if let data { return data.subdata(in: (data.startIndex + range.lowerBound)..<(data.startIndex + range.upperBound)) }
            guard let file, (try? file.seek(toOffset: UInt64(range.lowerBound))) != nil,
                  let bytes = try? file.read(upToCount: range.count), bytes.count == range.count else { return nil }
            return bytes
        }

        func all() -> [String: Entry] {
            guard isLazy else { return decoded }
            var result: [String: Entry] = [:]
            for file in files { result[file] = entry(file) }
            return result
        }
    }

    /// The entry of a file of the same folder, else of the nearest folder
    /// above within `root`: a file its config does not build is parsed with
    /// the flags its neighbours get (their folder's ccflags-y, the config's
    /// generated headers), which is closer to kbuild than any synthesis.
    public func neighbour(of file: String, within root: String) -> Entry? {
        var folder = (file as NSString).deletingLastPathComponent
        while folder.hasPrefix(root + "/") || folder == root {
            if let first = byFolder[folder]?.first { return entry(for: first) }
            folder = (folder as NSString).deletingLastPathComponent
        }
        return nil
    }

    /// Whether `file` of the tree at `root` is one no config of this
    /// architecture builds: under another architecture's `arch/` folder, or
    /// missing from a database that covers the architecture.
    public func isNotBuiltOnArchitecture(_ file: String, root: String, architecture: String = "x86") -> Bool {
        guard !store.contains(file) else { return false }
        let relative = Paths.relative(file, to: root)
        if relative.hasPrefix("arch/") {
            let parts = relative.split(separator: "/")
            if parts.count > 2, parts[1] != architecture { return true }
        }
        // allmodconfig builds every option that can be a module on this architecture.
        return kbuildConfig == .allmodconfig && file.hasPrefix(root + "/")
    }


    public func entry(for file: String) -> Entry? {
        guard let entry = store.entry(file) else { return nil }
        guard let outputFirstTree else { return entry }
        return KbuildCommands.preferOutput([entry], tree: outputFirstTree)[0]
    }

    /// Writes the database as `compile_commands.json` (the `arguments` form,
    /// sorted by file), under a temporary name then renamed.
    public func write(to path: String) throws {
        let list = files.compactMap(store.entry).map { entry in
            ["directory": entry.directory, "file": entry.file, "arguments": entry.arguments] as [String: Any]
        }
        let data = try JSONSerialization.data(withJSONObject: list, options: [.sortedKeys])
        let temporary = path + ".tmp"
        try data.write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, path) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
    }
}

/// POSIX shell word splitting for compile commands: quotes and backslashes.
enum ShellWords {
    /// The words of one command, quotes and backslashes resolved as the shell does.
    static func split(_ command: String) -> [String] {
        sentences(command, separators: []).first ?? []
    }

    /// Words as the shell splits them, cut into groups at the unquoted
    /// `separators` (a newline not among them is a blank).
    static func sentences(_ text: String, separators: Set<Character>) -> [[String]] {
        // Unicode scalars, not Characters: grapheme breaking made reading a
        // compile database's commands a tenth of a one-file check's setup,
        // and the shell splits bytes, not graphemes, anyway.
        let separators = Set(separators.flatMap(\.unicodeScalars))
        var sentences: [[String]] = []
        var words: [String] = []
        var current = String.UnicodeScalarView()
        var inWord = false
        var quote: Unicode.Scalar?
        var escaped = false
        func endWord() {
            if inWord { words.append(String(current)) }
            current = String.UnicodeScalarView()
            inWord = false
        }
        for character in text.unicodeScalars {
            if escaped {
                current.append(character)
                escaped = false
                continue
            }
            if let open = quote {
                if character == open {
                    quote = nil
                } else if character == "\\" && open == "\"" {
                    escaped = true
                } else {
                    current.append(character)
                }
                continue
            }
            if separators.contains(character) {
                endWord()
                sentences.append(words)
                words = []
                continue
            }
            switch character {
            case "\\": escaped = true; inWord = true
            case "'", "\"": quote = character; inWord = true
            case " ", "\t", "\n": endWord()
            default:
                current.append(character)
                inWord = true
            }
        }
        endWord()
        sentences.append(words)
        return sentences
    }
}

/// Path helpers shared by the flag sources.
public enum Paths {
    /// `path` made absolute against `base` (or the current folder), with `.`
    /// and `..` resolved textually (no symlink resolution: the tree is named
    /// as the user named it).
    public static func normalize(_ path: String, relativeTo base: String? = nil) -> String {
        if isNormal(path) { return path }
        let joined: String
        if path.hasPrefix("/") {
            joined = path
        } else {
            let root = base ?? FileManager.default.currentDirectoryPath
            joined = root.hasSuffix("/") ? root + path : root + "/" + path
        }
        var parts: [Substring] = []
        for part in joined.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." { if !parts.isEmpty { parts.removeLast() }; continue }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }

    /// True when `path` is absolute and has no empty, `.` or `..` part and no
    /// trailing slash: what `normalize` returns unchanged (most names libclang
    /// gives, which a parse asks about a thousand times).
    static func isNormal(_ path: String) -> Bool {
        var utf8 = path.utf8.makeIterator()
        guard utf8.next() == 0x2F else { return false }
        // Bytes of the current part so far, and whether they are all dots.
        var length = 0, dots = true
        while let byte = utf8.next() {
            if byte == 0x2F {
                if length == 0 || (dots && length <= 2) { return false }
                length = 0
                dots = true
            } else {
                length += 1
                if byte != 0x2E { dots = false }
            }
        }
        return path.utf8.count == 1 || (length > 0 && !(dots && length <= 2))
    }

    /// `normalize` remembered per name, for the names of one parse: libclang
    /// spells the same few hundred headers in every location of a unit, and
    /// normalizing each again took 3 % of a kernel file's check.
    public final class Memo: @unchecked Sendable {
        private let lock = NSLock()
        private var known: [String: String] = [:]

        public init() {}

        public func normalize(_ path: String) -> String {
            lock.lock()
            defer { lock.unlock() }
            if let normalized = known[path] { return normalized }
            let normalized = Paths.normalize(path)
            known[path] = normalized
            return normalized
        }
    }

    /// `path` relative to `root` when inside it, else `path` unchanged.
    public static func relative(_ path: String, to root: String) -> String {
        let prefix = root.hasSuffix("/") ? root : root + "/"
        return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
    }
}

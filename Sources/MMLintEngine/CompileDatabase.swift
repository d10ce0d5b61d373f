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
    public let entries: [String: Entry]
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
        guard let data = FileManager.default.contents(atPath: file) else {
            throw .input("\(file): cannot read the compile database; pass --compile-commands FILE|DIR "
                         + "or generate one with scripts/clang-tools/gen_compile_commands.py")
        }
        try self.init(data: data, path: file)
    }

    public init(data: Data, path: String) throws(EngineError) {
        self.path = path
        guard let list = (try? JSONSerialization.jsonObject(with: data)) as? [[String: Any]] else {
            throw .input("\(path): not a compile database (expected a JSON array of objects)")
        }
        var entries: [String: Entry] = [:]
        for (index, object) in list.enumerated() {
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
            let absolute = Paths.normalize(file, relativeTo: directory)
            // The first entry for a file wins, as in clang's own tools.
            if entries[absolute] == nil {
                entries[absolute] = Entry(directory: directory, file: absolute, arguments: arguments)
            }
        }
        self.entries = entries
        origin = "compile database " + path
        index()
    }

    private mutating func index() {
        byFolder = [:]
        for file in entries.keys.sorted() {
            byFolder[(file as NSString).deletingLastPathComponent, default: []].append(file)
        }
    }

    /// A database of `entries` (made by mmlint, as from kbuild's commands).
    public init(entries list: [Entry], path: String, origin: String? = nil) {
        self.path = path
        var entries: [String: Entry] = [:]
        for entry in list where entries[entry.file] == nil { entries[entry.file] = entry }
        self.entries = entries
        self.origin = origin ?? "compile database " + path
        index()
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
        guard entries[file] == nil else { return false }
        let relative = Paths.relative(file, to: root)
        if relative.hasPrefix("arch/") {
            let parts = relative.split(separator: "/")
            if parts.count > 2, parts[1] != architecture { return true }
        }
        // allmodconfig builds every option that can be a module on this architecture.
        return kbuildConfig == .allmodconfig && file.hasPrefix(root + "/")
    }


    public func entry(for file: String) -> Entry? {
        guard let entry = entries[file] else { return nil }
        guard let outputFirstTree else { return entry }
        return KbuildCommands.preferOutput([entry], tree: outputFirstTree)[0]
    }

    /// Writes the database as `compile_commands.json` (the `arguments` form,
    /// sorted by file), under a temporary name then renamed.
    public func write(to path: String) throws {
        let list = entries.values.sorted { $0.file < $1.file }.map { entry in
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
        var sentences: [[String]] = []
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character?
        var escaped = false
        func endWord() {
            if inWord { words.append(current) }
            current = ""
            inWord = false
        }
        for character in text {
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

    /// `path` relative to `root` when inside it, else `path` unchanged.
    public static func relative(_ path: String, to root: String) -> String {
        let prefix = root.hasSuffix("/") ? root : root + "/"
        return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
    }
}

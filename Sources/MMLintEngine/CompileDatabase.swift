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
    }

    public func entry(for file: String) -> Entry? { entries[file] }
}

/// POSIX shell word splitting for compile commands: quotes and backslashes.
enum ShellWords {
    static func split(_ command: String) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character?
        var escaped = false
        for character in command {
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
            switch character {
            case "\\": escaped = true; inWord = true
            case "'", "\"": quote = character; inWord = true
            case " ", "\t", "\n":
                if inWord { words.append(current) }
                current = ""
                inWord = false
            default:
                current.append(character)
                inWord = true
            }
        }
        if inWord { words.append(current) }
        return words
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

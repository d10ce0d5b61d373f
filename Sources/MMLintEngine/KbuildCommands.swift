import Foundation

/// Reads the compile commands out of what `make -n` prints for a kbuild tree.
///
/// Our own parser rather than `compiledb` (PyPI): kbuild prints each compile
/// as one shell line of a fixed shape (`set -e; echo …; trap …; gcc … -c -o
/// x.o x.c; scripts/basic/fixdep … '<the gcc line again>' > .x.o.cmd; …`),
/// so all it takes is shell word splitting with the control operators kept,
/// and picking the commands that run a C compiler with `-c` on a `.c` file.
/// That is ~100 lines tested here against the shapes of 6.1 and 6.12, with
/// no Python runtime to install, where compiledb guesses commands from
/// generic build logs and would also need the kbuild-specific noise
/// (`fixdep`'s quoted copy of the command, `trap` lines) filtered.
public enum KbuildCommands {
    /// The compile commands in `output` (make's stdout), run from `directory`.
    /// The first command for a file wins; only `.c` sources are kept.
    public static func parse(_ output: String, directory: String) -> [CompileDatabase.Entry] {
        var entries: [CompileDatabase.Entry] = []
        var seen = Set<String>()
        for line in logicalLines(output) where line.contains(" -c ") {
            for command in commands(in: line) {
                guard let source = compiledSource(command) else { continue }
                let file = Paths.normalize(source, relativeTo: directory)
                if seen.insert(file).inserted {
                    entries.append(CompileDatabase.Entry(directory: directory, file: file, arguments: command))
                }
            }
        }
        return entries
    }

    /// make prints a recipe line continued with a backslash as it was written.
    static func logicalLines(_ output: String) -> [String] {
        var lines: [String] = []
        var current = ""
        for raw in output.split(separator: "\n", omittingEmptySubsequences: false) {
            if raw.hasSuffix("\\") {
                current += raw.dropLast() + " "
            } else {
                current += raw
                if !current.isEmpty { lines.append(current) }
                current = ""
            }
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }

    /// A shell line as simple commands: words split as the shell does, cut at
    /// `;`, `&&`, `||`, `|`, `&`, with redirections and leading keywords
    /// (`if`, `then`, `{`, `(` …) taken off.
    static func commands(in line: String) -> [[String]] {
        ShellWords.sentences(line, separators: [";", "&", "|", "\n"]).compactMap(simpleCommand)
    }

    static let keywords: Set<String> = ["if", "then", "else", "elif", "do", "while", "until", "!", "{", "(", "}", ")",
                                        "fi", "done", "exec", "command"]

    /// `words` without leading keywords and without redirections (`> f`, `2>f`).
    static func simpleCommand(_ words: [String]) -> [String]? {
        var result: [String] = []
        var index = 0
        while index < words.count, result.isEmpty, keywords.contains(words[index]) { index += 1 }
        while index < words.count {
            let word = words[index]
            index += 1
            if result.isEmpty, keywords.contains(word) { continue }
            let stripped = word.drop { $0.isNumber }
            if stripped.hasPrefix(">") || stripped.hasPrefix("<") {
                // `>file` carries its target; a bare `>` takes the next word.
                if stripped == ">" || stripped == ">>" || stripped == "<" { index += 1 }
                continue
            }
            result.append(word)
        }
        return result.isEmpty ? nil : result
    }

    /// The C file a command compiles: a C compiler (gcc, cc, clang, with any
    /// target prefix or version suffix, possibly behind ccache) run with `-c`
    /// on one `.c` file.
    static func compiledSource(_ command: [String]) -> String? {
        var argv = command[...]
        if let first = argv.first, (first as NSString).lastPathComponent == "ccache" { argv = argv.dropFirst() }
        guard let compiler = argv.first, isCompiler(compiler), argv.contains("-c") else { return nil }
        var sources: [String] = []
        var index = argv.index(after: argv.startIndex)
        while index < argv.endIndex {
            let word = argv[index]
            index = argv.index(after: index)
            if FlagTranslator.droppedWithValue.contains(word) || FlagTranslator.pathFlags.contains(word)
                || word == "-x" {
                if index < argv.endIndex { index = argv.index(after: index) }
                continue
            }
            if !word.hasPrefix("-"), word.hasSuffix(".c") { sources.append(word) }
        }
        return sources.count == 1 ? sources[0] : nil
    }

    static func isCompiler(_ word: String) -> Bool {
        let name = (word as NSString).lastPathComponent
        for base in ["gcc", "cc", "clang"] {
            // x86_64-linux-gnu-gcc-12, clang-16, cc
            if name == base || name.hasSuffix("-" + base) { return true }
            if name.hasPrefix(base + "-"), name.dropFirst(base.count + 1).allSatisfy({ $0.isNumber || $0 == "." }) {
                return true
            }
            if let range = name.range(of: "-" + base + "-"),
               name[range.upperBound...].allSatisfy({ $0.isNumber || $0 == "." }) {
                return true
            }
        }
        return false
    }

    /// `entries` whose include folders of the tree (`-I<tree>/P`) are each
    /// preceded by the output folder's `P` when it exists. kbuild's order
    /// (source folder, then output folder) assumes a source tree without
    /// generated files; a prepared tree has its own `include/generated`,
    /// for its own config, which would shadow this config's. Output folders
    /// hold only what kbuild generated, so searching them first is safe.
    public static func preferOutput(_ entries: [CompileDatabase.Entry], tree: String) -> [CompileDatabase.Entry] {
        let prefix = tree.hasSuffix("/") ? tree : tree + "/"
        var exists: [String: Bool] = [:]
        return entries.map { entry in
            var arguments: [String] = []
            arguments.reserveCapacity(entry.arguments.count + 8)
            var index = 0
            while index < entry.arguments.count {
                let argument = entry.arguments[index]
                var path: String?
                if argument.hasPrefix("-I" + prefix) {
                    path = String(argument.dropFirst(2 + prefix.count))
                } else if argument == "-I", index + 1 < entry.arguments.count, entry.arguments[index + 1].hasPrefix(prefix) {
                    path = String(entry.arguments[index + 1].dropFirst(prefix.count))
                }
                if let path {
                    let output = Paths.normalize(path, relativeTo: entry.directory)
                    let known = exists[output] ?? FileManager.default.fileExists(atPath: output)
                    exists[output] = known
                    if known, arguments.last != "-I" + output { arguments.append("-I" + output) }
                }
                arguments.append(argument)
                index += 1
            }
            return CompileDatabase.Entry(directory: entry.directory, file: entry.file, arguments: arguments)
        }
    }

    /// `entries` with every path under `from` moved under `to` (the pristine
    /// view of a tree back to the tree itself), arguments included.
    public static func rebase(_ entries: [CompileDatabase.Entry], from: String, to: String) -> [CompileDatabase.Entry] {
        let prefix = from.hasSuffix("/") ? from : from + "/"
        let target = to.hasSuffix("/") ? to : to + "/"
        func move(_ text: String) -> String {
            guard text.contains(prefix) || text == from else { return text }
            if text == from { return to }
            return text.replacingOccurrences(of: prefix, with: target)
        }
        return entries.map { entry in
            CompileDatabase.Entry(directory: move(entry.directory), file: move(entry.file),
                                  arguments: entry.arguments.map(move))
        }
    }
}

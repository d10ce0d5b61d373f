import Foundation

/// Bare mode: a file with no usable flags (outside any tree, or in a tree
/// that was never `make prepare`d). mmlint's prelude (`rules/bare/prelude.h`:
/// its own declarations of the mm types and APIs and of the kernel idioms
/// driver code is written in) is force-included, and `#include` lines that
/// cannot be resolved are blanked out (same length, so lines and columns stay
/// true) instead of stopping the parse. Local headers next to the file are
/// still read, with the same treatment.
///
/// Without the kernel's headers a real driver names hundreds of things the
/// prelude cannot know, and clang drops whole statements around them. Two
/// token-level repairs keep the calls of function bodies visible:
/// - a statement that is a macro use followed by a body
///   (`list_for_each_entry(pos, head, member) {`, `for_each_sg(…)`, any
///   iteration or scoped macro of the kernel or the driver) becomes
///   `while (…)`, same length, so the body and its calls stay in the tree;
/// - upper-case names no file defines (`GRU_GSEG_PAGESIZE`, `PCI_COMMAND`)
///   and `…_t` type names nobody declares are given as `-D` macros (a
///   distinct number, `""` next to a string literal, `unsigned long` for a
///   type), so a call that takes one as an argument is not dropped.
public enum BareMode {
    static func flags(for file: String, prelude: String, resourceInclude: String?) -> [String] {
        let dir = (file as NSString).deletingLastPathComponent
        // Recovery AST keeps a call whose arguments do not resolve (a local
        // from a header mmlint does not have) instead of dropping it.
        return ["-std=gnu11", "-D__KERNEL__", "-D__mmlint_bare__",
                "-Xclang", "-frecovery-ast", "-Xclang", "-frecovery-ast-type",
                "-include", prelude, "-I" + dir]
            + FlagTranslator.common(resourceInclude: resourceInclude)
    }

    /// Arguments and unsaved files of a bare-mode parse of `file`; `read`
    /// supplies contents (patch post-images win over disk).
    static func job(for file: String, prelude: String, resourceInclude: String?,
                    read: (String) -> [UInt8]?) -> (arguments: [String], unsaved: [(path: String, contents: [UInt8])]) {
        let names = PreludeNames.load(prelude)
        var unsaved = unsavedFiles(for: file, read: read)
        for index in unsaved.indices {
            unsaved[index].contents = neutralizeStatementMacros(unsaved[index].contents, keep: names.functionMacros)
        }
        let defines = placeholderDefines(unsaved.map(\.contents), known: names.identifiers)
        return (flags(for: file, prelude: prelude, resourceInclude: resourceInclude)
                + defines.map { "-D" + $0 }, unsaved)
    }

    /// The file and the local headers it reaches, with unresolvable includes
    /// blanked. `read` supplies contents (patch post-images win over disk).
    static func unsavedFiles(for file: String, read: (String) -> [UInt8]?) -> [(path: String, contents: [UInt8])] {
        var result: [(String, [UInt8])] = []
        var pending = [file]
        var seen = Set<String>()
        while let path = pending.popLast(), result.count < 64 {
            guard seen.insert(path).inserted, let bytes = read(path) else { continue }
            let dir = (path as NSString).deletingLastPathComponent
            let (blanked, locals) = blankIncludes(bytes) { name in
                let candidate = Paths.normalize(name, relativeTo: dir)
                return read(candidate) != nil ? candidate : nil
            }
            result.append((path, blanked))
            pending.append(contentsOf: locals)
        }
        return result
    }

    /// Replaces each `#include <…>` and each `#include "…"` that `resolve`
    /// cannot find with spaces. Returns the new bytes and the resolved local headers.
    static func blankIncludes(_ bytes: [UInt8], resolve: (String) -> String?) -> ([UInt8], [String]) {
        var output = bytes
        var locals: [String] = []
        var lineStart = 0
        let count = bytes.count
        while lineStart < count {
            var lineEnd = lineStart
            while lineEnd < count, bytes[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
            var i = lineStart
            func skipSpace() { while i < lineEnd, bytes[i] == 0x20 || bytes[i] == 0x09 { i += 1 } }
            skipSpace()
            if i < lineEnd, bytes[i] == UInt8(ascii: "#") {
                i += 1
                skipSpace()
                let keyword = Array("include".utf8)
                if lineEnd - i > keyword.count, Array(bytes[i..<(i + keyword.count)]) == keyword {
                    i += keyword.count
                    skipSpace()
                    var keep = false
                    if i < lineEnd, bytes[i] == UInt8(ascii: "\"") {
                        let start = i + 1
                        var end = start
                        while end < lineEnd, bytes[end] != UInt8(ascii: "\"") { end += 1 }
                        let name = String(decoding: bytes[start..<end], as: UTF8.self)
                        if let found = resolve(name) {
                            locals.append(found)
                            keep = true
                        }
                    }
                    if !keep {
                        for j in lineStart..<lineEnd where output[j] != 0x09 { output[j] = 0x20 }
                    }
                }
            }
            lineStart = lineEnd + 1
        }
        return (output, locals)
    }

    /// Rewrites each statement that is a macro use followed by a body
    /// (`name(args) {` or `name(args) stmt`) as `while (args)`, padded to the
    /// same length. `keep` names the macros the prelude defines itself.
    public static func neutralizeStatementMacros(_ bytes: [UInt8], keep: Set<String>) -> [UInt8] {
        let tokens = CLexer.tokens(bytes)
        var output = bytes
        func text(_ t: CToken) -> String { String(decoding: bytes[t.start..<t.end], as: UTF8.self) }
        var i = 0
        while i < tokens.count {
            let token = tokens[i]
            defer { i += 1 }
            guard token.kind == .identifier, !token.inDirective, token.depth >= 1,
                  i + 1 < tokens.count, isPunct(tokens[i + 1], "(", bytes), i > 0 else { continue }
            let previous = tokens[i - 1]
            guard !previous.inDirective,
                  isPunct(previous, ";", bytes) || isPunct(previous, "{", bytes) || isPunct(previous, "}", bytes)
                    || (previous.kind == .identifier && text(previous) == "else") else { continue }
            let name = text(token)
            guard !CLexer.keywords.contains(name), !keep.contains(name) else { continue }
            guard let close = matchingParen(tokens, from: i + 1, bytes), close + 1 < tokens.count else { continue }
            let next = tokens[close + 1]
            guard !next.inDirective, isPunct(next, "{", bytes)
                    || (next.kind == .identifier && !["__attribute__", "__acquires", "__releases"].contains(text(next)))
            else { continue }
            let replacement = Array((name.utf8.count >= 5 ? "while" : "if").utf8)
            for (offset, byte) in replacement.enumerated() { output[token.start + offset] = byte }
            for j in (token.start + replacement.count)..<token.end { output[j] = 0x20 }
            i = close
        }
        return output
    }

    static func isPunct(_ token: CToken, _ spelling: String, _ bytes: [UInt8]) -> Bool {
        token.kind == .punctuation && token.end - token.start == spelling.utf8.count
            && bytes[token.start..<token.end].elementsEqual(spelling.utf8)
    }

    static func matchingParen(_ tokens: [CToken], from open: Int, _ bytes: [UInt8]) -> Int? {
        var level = 0
        var j = open
        while j < tokens.count {
            if isPunct(tokens[j], "(", bytes) { level += 1 }
            if isPunct(tokens[j], ")", bytes) {
                level -= 1
                if level == 0 { return j }
            }
            if isPunct(tokens[j], ";", bytes) && level > 0 && tokens[j].depth < tokens[open].depth { return nil }
            j += 1
        }
        return nil
    }

    /// `-D` definitions for names the files use but neither they nor the
    /// prelude define: upper-case constants (a distinct number each, `""`
    /// when written next to a string literal) and `…_t` type names
    /// (`unsigned long`). A name the files define, declare, test in `#if`,
    /// call, or use as a member, tag or label is left alone.
    public static func placeholderDefines(_ files: [[UInt8]], known: Set<String>) -> [String] {
        var excluded = Set<String>()
        var constants: [String: Bool] = [:]  // name → next to a string literal
        var types = Set<String>()
        for bytes in files {
            let tokens = CLexer.tokens(bytes)
            func text(_ t: CToken) -> String { String(decoding: bytes[t.start..<t.end], as: UTF8.self) }
            var enumBodies: [Int] = []  // depth of each open enum body
            var pendingEnum = false
            var inTypedef = false
            var directiveKind: String?
            for (i, token) in tokens.enumerated() {
                let previous = i > 0 ? tokens[i - 1] : nil
                if token.inDirective {
                    if let previous, previous.inDirective, isPunct(previous, "#", bytes), token.kind == .identifier {
                        directiveKind = text(token)
                        continue
                    }
                } else {
                    directiveKind = nil
                }
                if token.kind == .punctuation {
                    if token.inDirective { continue }
                    if isPunct(token, "{", bytes), pendingEnum { enumBodies.append(token.depth); pendingEnum = false }
                    if isPunct(token, "}", bytes), enumBodies.last == token.depth - 1 { enumBodies.removeLast() }
                    if isPunct(token, ";", bytes) { inTypedef = false; pendingEnum = false }
                    continue
                }
                guard token.kind == .identifier else { continue }
                let name = text(token)
                if !token.inDirective {
                    if name == "enum" { pendingEnum = true }
                    if name == "typedef" { inTypedef = true }
                }
                if let kind = directiveKind {
                    if ["define", "undef", "ifdef", "ifndef", "if", "elif", "elifdef", "elifndef"].contains(kind) {
                        let isName = previous.map { $0.kind == .identifier && text($0) == kind } ?? false
                        if kind != "define" || isName { excluded.insert(name) }
                    }
                }
                let next = i + 1 < tokens.count ? tokens[i + 1] : nil
                let before = previous.map(text) ?? ""
                if let next, isPunct(next, "(", bytes) { excluded.insert(name); continue }
                if [".", "->", "struct", "union", "enum", "goto"].contains(before) { excluded.insert(name); continue }
                if !token.inDirective, let last = enumBodies.last, token.depth == last + 1,
                   let previous, isPunct(previous, "{", bytes) || isPunct(previous, ",", bytes) {
                    excluded.insert(name)
                    continue
                }
                if inTypedef, !token.inDirective { excluded.insert(name); continue }
                if let previous, let next, !token.inDirective,
                   previous.kind == .identifier || isPunct(previous, "*", bytes),
                   isPunct(next, "[", bytes) || isPunct(next, "=", bytes) || isPunct(next, ";", bytes) {
                    // `static const char *NAMES[] = …`, `int COUNT;`: a declaration.
                    if previous.kind == .identifier || isPunct(next, "[", bytes) { excluded.insert(name); continue }
                }
                if isConstantName(name) {
                    let nearString = previous?.kind == .string || next?.kind == .string
                    constants[name] = (constants[name] ?? false) || nearString
                } else if name.hasSuffix("_t"), name.count > 2 {
                    types.insert(name)
                }
            }
        }
        var defines: [String] = []
        var number = 0x4d4d00
        for (name, nearString) in constants.sorted(by: { $0.key < $1.key })
        where !excluded.contains(name) && !known.contains(name) && !CLexer.keywords.contains(name) {
            number += 1
            defines.append(nearString ? name + "=\"\"" : name + "=" + String(number))
        }
        for name in types.sorted() where !excluded.contains(name) && !known.contains(name) {
            defines.append(name + "=unsigned long")
        }
        return defines
    }

    /// `FOO_BAR`, `PCI_D3hot` is not one: upper case, digits and `_`, a letter first.
    static func isConstantName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard bytes.count >= 2, bytes[0] >= 0x41 && bytes[0] <= 0x5a || bytes[0] == 0x5f else { return false }
        return bytes.allSatisfy { ($0 >= 0x41 && $0 <= 0x5a) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5f }
            && bytes.contains { $0 >= 0x41 && $0 <= 0x5a } && !name.hasPrefix("__")
    }
}

/// The names the prelude declares or defines, read once per prelude file.
struct PreludeNames: Sendable {
    var identifiers: Set<String> = []
    /// Function-like macros: their uses are the prelude's business.
    var functionMacros: Set<String> = []

    private static let lock = NSLock()
    nonisolated(unsafe) private static var loaded: [String: PreludeNames] = [:]

    static func load(_ path: String) -> PreludeNames {
        lock.lock()
        defer { lock.unlock() }
        if let names = loaded[path] { return names }
        var names = PreludeNames()
        if let data = FileManager.default.contents(atPath: path) {
            let bytes = [UInt8](data)
            let tokens = CLexer.tokens(bytes)
            for (i, token) in tokens.enumerated() where token.kind == .identifier {
                let name = String(decoding: bytes[token.start..<token.end], as: UTF8.self)
                names.identifiers.insert(name)
                if token.inDirective, i >= 1, i + 1 < tokens.count,
                   String(decoding: bytes[tokens[i - 1].start..<tokens[i - 1].end], as: UTF8.self) == "define",
                   tokens[i + 1].start == token.end, bytes[token.end] == 0x28 {
                    names.functionMacros.insert(name)
                }
            }
        }
        loaded[path] = names
        return names
    }
}

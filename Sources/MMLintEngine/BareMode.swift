import Foundation

/// Bare mode: a file with no usable flags (outside any tree, or in a tree
/// that was never `make prepare`d). mmlint's prelude (`rules/bare/prelude.h`:
/// its own declarations of the mm types and APIs) is force-included, and
/// `#include` lines that cannot be resolved are blanked out (same length, so
/// lines and columns stay true) instead of stopping the parse. Local headers
/// next to the file are still read, with the same treatment.
enum BareMode {
    static func flags(for file: String, prelude: String, resourceInclude: String?) -> [String] {
        let dir = (file as NSString).deletingLastPathComponent
        // Recovery AST keeps a call whose arguments do not resolve (a local
        // from a header mmlint does not have) instead of dropping it.
        return ["-std=gnu11", "-D__KERNEL__", "-D__mmlint_bare__",
                "-Xclang", "-frecovery-ast", "-Xclang", "-frecovery-ast-type",
                "-include", prelude, "-I" + dir]
            + FlagTranslator.common(resourceInclude: resourceInclude)
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
}

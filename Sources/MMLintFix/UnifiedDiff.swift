/// A unified diff of one file, as `diff -u` and git print it, with `a/` and
/// `b/` prefixes on the tree-relative path: `git apply` and `patch -p1` take it.
public enum UnifiedDiff {
    static let context = 3

    /// The diff of `old` and `old` with `edits` made: each run of edited
    /// lines is diffed on its own, so a file's size costs nothing.
    public static func make(path: String, old: [UInt8], edits: [TextEdit]) -> String {
        let source = SourceText(path: path, bytes: old)
        // Line regions (first, last) the edits touch, merged.
        var regions: [(Int, Int, [TextEdit])] = []
        for edit in edits.sorted(by: { $0.start < $1.start }) {
            let first = source.line(of: edit.start)
            let last = edit.end > edit.start ? source.line(of: edit.end - 1) : first
            if let previous = regions.last, first <= previous.1 + 1 {
                regions[regions.count - 1] = (previous.0, max(previous.1, last), previous.2 + [edit])
            } else {
                regions.append((first, last, [edit]))
            }
        }
        let a = lines(old)
        var all: [(Character, Int, Int)] = []
        var b: [Line] = []
        var nextOld = 0
        func keep(upTo line: Int) {
            while nextOld < line {
                all.append((" ", nextOld, b.count))
                b.append(a[nextOld])
                nextOld += 1
            }
        }
        for (first, last, regionEdits) in regions {
            keep(upTo: first - 1)
            let startByte = source.lineStarts[first - 1]
            let endByte = last < source.lineStarts.count ? source.lineStarts[last] : old.count
            let shifted = regionEdits.map {
                TextEdit(file: $0.file, start: $0.start - startByte, end: $0.end - startByte, replacement: $0.replacement)
            }
            let oldLines = Array(a[(first - 1)..<min(a.count, last)])
            let newLines = lines(EditApplier.apply(shifted, to: Array(old[startByte..<endByte])))
            var i = first - 1
            var j = 0
            for op in script(oldLines, newLines) {
                switch op {
                case " ":
                    all.append((" ", i, b.count)); b.append(newLines[j]); i += 1; j += 1
                case "-":
                    all.append(("-", i, b.count)); i += 1
                default:
                    all.append(("+", i, b.count)); b.append(newLines[j]); j += 1
                }
            }
            nextOld = min(a.count, last)
        }
        keep(upTo: a.count)
        if !all.contains(where: { $0.0 != " " }) { return "" }
        var out = "--- a/\(path)\n+++ b/\(path)\n"
        var index = 0
        while index < all.count {
            guard let change = all[index...].firstIndex(where: { $0.0 != " " }) else { break }
            let first = max(0, change - context)
            var last = change
            var k = change
            // Extend while the next change is within two contexts.
            while k < all.count {
                if all[k].0 != " " { last = k }
                if k - last > 2 * context { break }
                k += 1
            }
            let end = min(all.count - 1, last + context)
            let slice = all[first...end]
            let oldCount = slice.filter { $0.0 != "+" }.count
            let newCount = slice.filter { $0.0 != "-" }.count
            let oldStart = oldCount == 0 ? slice.first!.1 : slice.first { $0.0 != "+" }!.1 + 1
            let newStart = newCount == 0 ? slice.first!.2 : slice.first { $0.0 != "-" }!.2 + 1
            out += "@@ -\(range(oldStart, oldCount)) +\(range(newStart, newCount)) @@\n"
            for (kind, oi, ni) in slice {
                let line = kind == "+" ? b[ni] : a[oi]
                out += String(kind) + line.text + "\n"
                if !line.newline { out += "\\ No newline at end of file\n" }
            }
            index = end + 1
        }
        return out
    }

    static func range(_ start: Int, _ count: Int) -> String { count == 1 ? "\(start)" : "\(start),\(count)" }

    struct Line: Equatable {
        var text: String
        var newline: Bool
    }

    static func lines(_ bytes: [UInt8]) -> [Line] {
        var out: [Line] = []
        var start = 0
        for (i, byte) in bytes.enumerated() where byte == 0x0a {
            out.append(Line(text: String(decoding: bytes[start..<i], as: UTF8.self), newline: true))
            start = i + 1
        }
        if start < bytes.count { out.append(Line(text: String(decoding: bytes[start...], as: UTF8.self), newline: false)) }
        return out
    }

    /// The edit script from `a` to `b` (" ", "-", "+"), by longest common subsequence.
    static func script(_ a: [Line], _ b: [Line]) -> [Character] {
        let n = a.count, m = b.count
        var table = [[Int]](repeating: [Int](repeating: 0, count: m + 1), count: n + 1)
        if n > 0 && m > 0 {
            for i in stride(from: n - 1, through: 0, by: -1) {
                for j in stride(from: m - 1, through: 0, by: -1) {
                    table[i][j] = a[i] == b[j] ? table[i + 1][j + 1] + 1 : max(table[i + 1][j], table[i][j + 1])
                }
            }
        }
        var ops: [Character] = []
        var i = 0, j = 0
        while i < n || j < m {
            if i < n, j < m, a[i] == b[j] {
                ops.append(" "); i += 1; j += 1
            } else if i < n, j == m || table[i + 1][j] >= table[i][j + 1] {
                ops.append("-"); i += 1
            } else {
                ops.append("+"); j += 1
            }
        }
        return ops
    }
}

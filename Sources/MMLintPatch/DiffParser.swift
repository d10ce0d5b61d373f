/// Reads the files of a unified diff, git or plain, from the lines of a patch body. Hunks are read by
/// their counts, so a removed line that reads "-- " is not taken for the mail signature.
struct DiffParser {
    private let lines: [ArraySlice<UInt8>]
    private let input: String
    private var position: Int
    /// Binary files skipped.
    private(set) var notes: [String] = []

    /// The line where a diff starts: "diff --git", or "--- " directly followed by "+++ ".
    static func start(of lines: [ArraySlice<UInt8>]) -> Int? {
        lines.indices.first { lines[$0].hasPrefix("diff --git ") || isPlainFileStart(lines, at: $0) }
    }

    private static func isPlainFileStart(_ lines: [ArraySlice<UInt8>], at index: Int) -> Bool {
        index + 1 < lines.count && lines[index].hasPrefix("--- ") && lines[index + 1].hasPrefix("+++ ")
    }

    private let maxHunkLines: Int

    init(lines: [ArraySlice<UInt8>], input: String, start: Int, maxHunkLines: Int = PatchLimits.default.hunkLines) {
        self.lines = lines
        self.input = input
        self.position = start
        self.maxHunkLines = maxHunkLines
    }

    /// Every file up to the signature separator "-- " or the end; lines between files are ignored.
    mutating func files() throws(PatchError) -> [FilePatch] {
        var files: [FilePatch] = []
        while position < lines.count, !lines[position].equals("-- ") {
            if lines[position].hasPrefix("diff --git ") {
                files.append(try gitFile())
            } else if Self.isPlainFileStart(lines, at: position) {
                files.append(try plainFile())
            } else {
                position += 1
            }
        }
        return files
    }

    private mutating func gitFile() throws(PatchError) -> FilePatch {
        let headerLine = lines[position]
        let names = Self.gitNames(headerLine.dropFirst("diff --git ".utf8.count))
        position += 1
        var file = FilePatch()
        var source: String?, target: String?
        while position < lines.count {
            let line = lines[position]
            if let mode = line.after("old mode ") {
                file.oldMode = Self.text(mode)
            } else if let mode = line.after("new mode ") {
                file.newMode = Self.text(mode)
            } else if let mode = line.after("deleted file mode ") {
                file.isDeleted = true
                file.oldMode = Self.text(mode)
            } else if let mode = line.after("new file mode ") {
                file.isNew = true
                file.newMode = Self.text(mode)
            } else if let name = line.after("rename from ") ?? line.after("copy from ") {
                source = Self.path(name)
            } else if let name = line.after("rename to ") ?? line.after("copy to ") {
                target = Self.path(name)
                file.isRename = line.hasPrefix("rename")
                file.isCopy = !file.isRename
            } else if let index = line.after("index ") {
                // "index 1a2b..3c4d 100644": the mode when it did not change.
                let fields = index.split(separator: UInt8(ascii: " "))
                if fields.count == 2 {
                    file.oldMode = file.oldMode ?? Self.text(fields[1])
                    file.newMode = file.newMode ?? Self.text(fields[1])
                }
            } else if !line.hasPrefix("similarity index ") && !line.hasPrefix("dissimilarity index ") {
                break
            }
            position += 1
        }
        var minusName: String?, plusName: String?
        if Self.isPlainFileStart(lines, at: position) {
            minusName = Self.fileName(lines[position].dropFirst(4))
            plusName = Self.fileName(lines[position + 1].dropFirst(4))
            file.isNew = file.isNew || minusName == nil
            file.isDeleted = file.isDeleted || plusName == nil
            position += 2
        }
        if !file.isNew { file.oldPath = source ?? minusName ?? names?.old }
        if !file.isDeleted { file.newPath = target ?? plusName ?? names?.new }
        guard file.oldPath != nil || file.newPath != nil else {
            throw .malformedFileHeader(input: input, line: Self.text(headerLine))
        }
        if position < lines.count, lines[position].hasPrefix("Binary files ") {
            file.isBinary = true
            position += 1
        } else if position < lines.count, lines[position].equals("GIT binary patch") {
            file.isBinary = true
            while position < lines.count, !lines[position].hasPrefix("diff --git "), !lines[position].equals("-- ") {
                position += 1
            }
        }
        if file.isBinary { notes.append("\(file.path): binary diff skipped") }
        file.hunks = try hunks(of: file.path)
        return file
    }

    /// `diff -u` output. Both names denote the file in the tree (x.c.orig and x.c, or a/x.c and b/x.c
    /// after the first component goes), so the new one is used for both unless it is /dev/null.
    private mutating func plainFile() throws(PatchError) -> FilePatch {
        let minusName = Self.fileName(lines[position].dropFirst(4))
        let plusName = Self.fileName(lines[position + 1].dropFirst(4))
        guard let name = plusName ?? minusName else {
            throw .malformedFileHeader(input: input, line: Self.text(lines[position]))
        }
        position += 2
        var file = FilePatch(isNew: minusName == nil, isDeleted: plusName == nil)
        if !file.isNew { file.oldPath = name }
        if !file.isDeleted { file.newPath = name }
        file.hunks = try hunks(of: name)
        return file
    }

    private mutating func hunks(of path: String) throws(PatchError) -> [Hunk] {
        var hunks: [Hunk] = []
        while position < lines.count, lines[position].hasPrefix("@@") {
            hunks.append(try hunk(number: hunks.count + 1, of: path))
        }
        return hunks
    }

    private mutating func hunk(number: Int, of path: String) throws(PatchError) -> Hunk {
        let header = Self.text(lines[position])
        guard var hunk = Self.hunkHeader(lines[position], bodyLine: position) else {
            throw .malformedHunkHeader(input: input, file: path, hunk: number, header: header)
        }
        // Refused from the header, before a line of the body is stored.
        if max(hunk.oldCount, hunk.newCount) > maxHunkLines {
            throw .overLimit(input: input, what: "\(path): hunk \(number) (\(hunk.rangeText)) counts "
                             + "\(max(hunk.oldCount, hunk.newCount)) lines, over the hunk length limit of \(maxHunkLines)",
                             limit: .hunkLines)
        }
        let truncated = PatchError.truncatedHunk(input: input, file: path, hunk: number, header: hunk.rangeText)
        let tooLong = PatchError.hunkLineCountMismatch(input: input, file: path, hunk: number, header: hunk.rangeText)
        position += 1
        var oldLeft = hunk.oldCount, newLeft = hunk.newCount
        while oldLeft > 0 || newLeft > 0 {
            guard position < lines.count else { throw truncated }
            let line = lines[position]
            let kind: HunkLine.Kind
            switch line.first {
            case nil, UInt8(ascii: " "):
                // An empty line is an empty context line whose space a mailer stripped.
                guard oldLeft > 0, newLeft > 0 else { throw tooLong }
                kind = .context
                oldLeft -= 1
                newLeft -= 1
            case UInt8(ascii: "+"):
                guard newLeft > 0 else { throw tooLong }
                kind = .added
                newLeft -= 1
            case UInt8(ascii: "-"):
                guard oldLeft > 0 else { throw tooLong }
                kind = .removed
                oldLeft -= 1
            case UInt8(ascii: "\\") where !hunk.lines.isEmpty:
                hunk.lines[hunk.lines.count - 1].noNewlineAtEnd = true
                position += 1
                continue
            default:
                throw truncated
            }
            hunk.lines.append(HunkLine(kind: kind, text: Array(line.dropFirst())))
            position += 1
        }
        if position < lines.count, lines[position].first == UInt8(ascii: "\\"), !hunk.lines.isEmpty {
            hunk.lines[hunk.lines.count - 1].noNewlineAtEnd = true
            position += 1
        }
        if position < lines.count, lines[position].first == UInt8(ascii: "+") || lines[position].first == UInt8(ascii: "-"),
           !lines[position].equals("-- "), !Self.isPlainFileStart(lines, at: position) {
            throw tooLong
        }
        return hunk
    }

    /// "@@ -a[,b] +c[,d] @@[ section]"; an omitted count is 1.
    private static func hunkHeader(_ line: ArraySlice<UInt8>, bodyLine: Int) -> Hunk? {
        var rest = line[...]
        func expect(_ text: String) -> Bool {
            guard let after = rest.after(text) else { return false }
            rest = after
            return true
        }
        func number() -> Int? {
            let digits = rest.prefix { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
            guard !digits.isEmpty, digits.count <= 18 else { return nil }
            rest = rest.dropFirst(digits.count)
            return digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        }
        func range() -> (start: Int, count: Int)? {
            guard let start = number() else { return nil }
            guard expect(",") else { return (start, 1) }
            return number().map { (start, $0) }
        }
        guard expect("@@ -"), let old = range(), expect(" +"), let new = range(), expect(" @@") else { return nil }
        let section = rest.first == UInt8(ascii: " ") ? rest.dropFirst() : rest
        return Hunk(oldStart: old.start, oldCount: old.count, newStart: new.start, newCount: new.count,
                    section: text(section), header: text(line), bodyLine: bodyLine)
    }

    /// The two names of "diff --git a/x b/x", used when no other header names the file: either quoted,
    /// or the same name twice, which finds the split even when the name has spaces.
    private static func gitNames(_ rest: ArraySlice<UInt8>) -> (old: String, new: String)? {
        if let first = unquoted(rest), let second = first.rest.after(" ") {
            guard let secondName = second.first == UInt8(ascii: "\"") ? unquoted(second)?.value : Array(second) else {
                return nil
            }
            return (withoutPrefix(first.value), withoutPrefix(secondName))
        }
        for index in rest.indices where rest[index] == UInt8(ascii: " ") {
            let old = withoutPrefix(Array(rest[..<index])), new = withoutPrefix(Array(rest[(index + 1)...]))
            if old == new { return (old, new) }
        }
        return nil
    }

    /// The name on a "---"/"+++" line without its first component and timestamp; nil for /dev/null and
    /// for the epoch timestamp `diff -N` gives a missing file.
    private static func fileName(_ raw: ArraySlice<UInt8>) -> String? {
        let name: [UInt8], rest: ArraySlice<UInt8>
        if let quoted = unquoted(raw) {
            (name, rest) = quoted
        } else {
            let tab = raw.firstIndex(of: UInt8(ascii: "\t")) ?? raw.endIndex
            (name, rest) = (Array(raw[..<tab]), raw[tab...])
        }
        let timestamp = rest.drop(while: Bytes.isBlank)
        if name.equals("/dev/null") || timestamp.hasPrefix("1970-01-01 ") || timestamp.hasPrefix("1969-12-31 ") {
            return nil
        }
        return withoutPrefix(name)
    }

    /// A name from "rename from"/"copy to" lines, which have no prefix.
    private static func path(_ raw: ArraySlice<UInt8>) -> String {
        text(unquoted(raw)?.value ?? Array(raw))
    }

    /// Drops the first path component ("a/", "b/", "linux.orig/"), as `git apply` does by default.
    private static func withoutPrefix(_ name: [UInt8]) -> String {
        guard let slash = name.firstIndex(of: UInt8(ascii: "/")) else { return text(name) }
        return text(name[(slash + 1)...])
    }

    /// A C-quoted name as git writes names with special characters ("a/tab\there", octal escapes for
    /// non-ASCII bytes); nil when `raw` does not start with a quote or the quote is not closed.
    private static func unquoted(_ raw: ArraySlice<UInt8>) -> (value: [UInt8], rest: ArraySlice<UInt8>)? {
        guard raw.first == UInt8(ascii: "\"") else { return nil }
        let escapes: [UInt8: UInt8] = [UInt8(ascii: "n"): 0x0A, UInt8(ascii: "t"): 0x09, UInt8(ascii: "r"): 0x0D,
                                       UInt8(ascii: "a"): 0x07, UInt8(ascii: "b"): 0x08, UInt8(ascii: "f"): 0x0C,
                                       UInt8(ascii: "v"): 0x0B]
        var value: [UInt8] = []
        var index = raw.startIndex + 1
        while index < raw.endIndex {
            let byte = raw[index]
            if byte == UInt8(ascii: "\"") { return (value, raw[(index + 1)...]) }
            index += 1
            guard byte == UInt8(ascii: "\\"), index < raw.endIndex else {
                value.append(byte)
                continue
            }
            let escaped = raw[index]
            let octal = raw[index...].prefix(3).prefix { (UInt8(ascii: "0")...UInt8(ascii: "7")).contains($0) }
            if octal.count == 3 {
                value.append(octal.reduce(0) { $0 &* 8 &+ ($1 - UInt8(ascii: "0")) })
                index += 3
            } else {
                value.append(escapes[escaped] ?? escaped)
                index += 1
            }
        }
        return nil
    }

    private static func text(_ bytes: some Collection<UInt8>) -> String { String(decoding: bytes, as: UTF8.self) }
}

extension Hunk {
    /// "@@ -a,b +c,d @@" as written, without the section: how messages name the hunk.
    var rangeText: String {
        let afterOpening = header.utf8.dropFirst(2)
        guard let close = afterOpening.indices.first(where: { afterOpening[$0...].starts(with: "@@".utf8) }) else {
            return header
        }
        return String(header[..<header.utf8.index(close, offsetBy: 2)])
    }
}

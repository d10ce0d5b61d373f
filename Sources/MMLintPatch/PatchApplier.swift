/// A post-image with what a linter needs to judge only the patch's own lines.
public struct AppliedFile: Sendable {
    /// The post-image path.
    public var path: String
    /// nil when the file is deleted.
    public var post: [UInt8]?
    /// 1-based post-image line numbers of '+' lines.
    public var addedLines: [Int]
    /// 1-based post-image lines each hunk covers, one per hunk. A hunk that only removes lines covers the
    /// line before the removal (line 1 at the top). Empty for a deleted file.
    public var hunkRanges: [ClosedRange<Int>]
    /// Post-image line → pre-image line, for every line that was there before the patch.
    public var lineMap: [Int: Int]
}

/// Applies in memory, so `check` can lint a post-image without touching the user's tree.
public enum PatchApplier {
    /// Applies like `git apply` (no fuzz): each hunk's context and removed lines must match exactly;
    /// a hunk may be found at an offset from its stated line (searched outward from the expected position,
    /// nearest first, the earlier of two equally near; hunks applied in order, never before the previous
    /// hunk's end). As in git, a hunk stated at line 1 must match at the top and one without trailing
    /// context at the end, unless it has no context at all (`diff -U0`).
    /// `original` is nil for a new file. Handles "\ No newline at end of file" on both sides.
    public static func apply(_ file: FilePatch, to original: [UInt8]?) throws(PatchError) -> AppliedFile {
        let path = file.path
        guard !file.isBinary else { throw .binaryPatch(file: path) }
        if file.isNew, original != nil { throw .fileAlreadyExists(file: path) }
        if !file.isNew, original == nil { throw .fileMissing(file: path) }
        var image = Image(original ?? [])
        var hunkRanges: [ClosedRange<Int>] = []
        var floor = 0
        // How far lines have moved from their place in the original: the line count changes of earlier
        // hunks, and the offset the previous hunk was found at, which later hunks likely share.
        var shift = 0
        for (number, hunk) in file.hunks.enumerated() {
            let stated = hunk.oldCount == 0 ? hunk.oldStart : hunk.oldStart - 1
            let failure = { (reason: String) in
                PatchError.hunkDoesNotApply(file: path, hunk: number + 1, header: hunk.rangeText, reason: reason)
            }
            guard let position = image.find(hunk, near: stated + shift, from: floor) else {
                throw failure("context not found")
            }
            let newCount = image.replace(hunk, at: position)
            let end = position + newCount
            if (position..<end).contains(where: { !image.lines[$0].hasNewline && $0 != image.lines.count - 1 }) {
                throw failure("\"No newline at end of file\" marks a line that is not the last")
            }
            hunkRanges.append(newCount > 0 ? (position + 1)...end : max(position, 1)...max(position, 1))
            floor = end
            shift = position - stated + hunk.lines.filter { $0.kind == .added }.count
                - hunk.lines.filter { $0.kind == .removed }.count
        }
        if file.isDeleted {
            guard image.lines.isEmpty else { throw .deletionLeavesContent(file: path) }
            return AppliedFile(path: path, post: nil, addedLines: [], hunkRanges: [], lineMap: [:])
        }
        var addedLines: [Int] = []
        var lineMap: [Int: Int] = [:]
        for (index, line) in image.lines.enumerated() {
            if let origin = line.origin { lineMap[index + 1] = origin } else { addedLines.append(index + 1) }
        }
        return AppliedFile(path: path, post: image.bytes, addedLines: addedLines, hunkRanges: hunkRanges,
                           lineMap: lineMap)
    }
}

/// A file as lines, each remembering its pre-image line number, so line maps survive any number of hunks.
private struct Image {
    struct Line {
        var text: ArraySlice<UInt8>
        var hasNewline: Bool
        /// 1-based pre-image line; nil for a line a hunk added.
        var origin: Int?
    }

    var lines: [Line]

    init(_ bytes: [UInt8]) {
        lines = Bytes.lines(bytes[...]).enumerated().map { Line(text: $1, hasNewline: true, origin: $0 + 1) }
        if bytes.last != Bytes.lf, !lines.isEmpty { lines[lines.count - 1].hasNewline = false }
    }

    var bytes: [UInt8] {
        var out: [UInt8] = []
        for line in lines {
            out += line.text
            if line.hasNewline { out.append(Bytes.lf) }
        }
        return out
    }

    /// Where the hunk's old side matches, searching outward from `expected` but not before `floor`.
    func find(_ hunk: Hunk, near expected: Int, from floor: Int) -> Int? {
        let old = hunk.lines.filter { $0.kind != .added }
        let last = lines.count - old.count
        guard last >= floor else { return nil }
        let leading = hunk.lines.prefix { $0.kind == .context }.count
        let trailing = hunk.lines.reversed().prefix { $0.kind == .context }.count
        let hasContext = leading + trailing > 0
        let matches = { (position: Int) in
            position >= floor && position <= last && old.indices.allSatisfy { k in
                lines[position + k].text.elementsEqual(old[k].text) && lines[position + k].hasNewline != old[k].noNewlineAtEnd
            }
        }
        let atStart = hasContext ? hunk.oldStart <= 1 : hunk.oldStart == 0
        let atEnd = hasContext && trailing == 0
        if atStart || atEnd {
            let position = atStart ? 0 : last
            return matches(position) && (!atEnd || position == last) ? position : nil
        }
        let start = min(max(expected, floor), last)
        for distance in 0...max(start - floor, last - start) {
            if matches(start - distance) { return start - distance }
            if distance > 0, matches(start + distance) { return start + distance }
        }
        return nil
    }

    /// Replaces the hunk's old side at `position` with its new side; returns the new side's line count.
    mutating func replace(_ hunk: Hunk, at position: Int) -> Int {
        var replacement: [Line] = []
        var cursor = position
        for line in hunk.lines {
            switch line.kind {
            case .context:
                replacement.append(lines[cursor])
                cursor += 1
            case .removed:
                cursor += 1
            case .added:
                replacement.append(Line(text: line.text[...], hasNewline: !line.noNewlineAtEnd, origin: nil))
            }
        }
        lines.replaceSubrange(position..<cursor, with: replacement)
        return replacement.count
    }
}

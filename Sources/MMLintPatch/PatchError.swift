/// Why a patch could not be read or applied, worded so the user knows which input, file and hunk to look at.
public enum PatchError: Error, Equatable, CustomStringConvertible {
    /// `input` names the file read, and the message within it for an mbox.
    case noDiff(input: String)
    case unknownCharset(input: String, charset: String)
    case unknownTransferEncoding(input: String, encoding: String)
    /// `encoding` is "base64" or "quoted-printable".
    case brokenEncoding(input: String, encoding: String)
    /// A "diff --git" line whose names cannot be split and that no other header names.
    case malformedFileHeader(input: String, line: String)
    case malformedHunkHeader(input: String, file: String, hunk: Int, header: String)
    /// The input ends, or stops being a diff, before the hunk has the lines its header counts.
    case truncatedHunk(input: String, file: String, hunk: Int, header: String)
    /// The hunk has more lines of one side than its header counts.
    case hunkLineCountMismatch(input: String, file: String, hunk: Int, header: String)
    case hunkDoesNotApply(file: String, hunk: Int, header: String, reason: String)
    case fileAlreadyExists(file: String)
    case fileMissing(file: String)
    case deletionLeavesContent(file: String)
    case binaryPatch(file: String)
    /// A bound of `PatchLimits` was passed; `what` says by what, in the input's words.
    case overLimit(input: String, what: String, limit: PatchLimits.Name)

    public var description: String {
        switch self {
        case .noDiff(let input):
            "\(input): no diff found (not a patch, or a mail without one)"
        case .unknownCharset(let input, let charset):
            "unknown charset \"\(charset)\" in \(input)"
        case .unknownTransferEncoding(let input, let encoding):
            "unknown Content-Transfer-Encoding \"\(encoding)\" in \(input)"
        case .brokenEncoding(let input, let encoding):
            "broken \(encoding) in \(input)"
        case .malformedFileHeader(let input, let line):
            "\(input): cannot tell the file names from \"\(line)\""
        case .malformedHunkHeader(let input, let file, let hunk, let header):
            "\(input): \(file): hunk \(hunk): malformed hunk header \"\(header)\""
        case .truncatedHunk(let input, let file, let hunk, let header):
            "\(input): \(file): hunk \(hunk) (\(header)) is truncated"
        case .hunkLineCountMismatch(let input, let file, let hunk, let header):
            "\(input): \(file): hunk \(hunk) (\(header)) has more lines than its header counts"
        case .hunkDoesNotApply(let file, let hunk, let header, let reason):
            "\(file): hunk \(hunk) (\(header)) does not apply: \(reason)"
        case .fileAlreadyExists(let file):
            "\(file): the patch creates this file, but it already exists"
        case .fileMissing(let file):
            "\(file): the patch changes this file, but it does not exist"
        case .deletionLeavesContent(let file):
            "\(file): the patch deletes this file, but does not remove all of its lines"
        case .binaryPatch(let file):
            "\(file): binary patch cannot be applied"
        case .overLimit(let input, let what, let limit):
            "\(input): \(what); \(PatchLimits.howToRaise(limit))"
        }
    }
}

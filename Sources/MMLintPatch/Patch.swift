/// Everything one input held, so `check` can apply a series in order and tell the user what it left out.
public struct PatchSeries: Sendable {
    /// In series order (by `[PATCH n/m]` when numbered, else as found).
    public var patches: [Patch]
    /// Cover letters, replies and messages without a diff that were skipped; gaps in the numbering.
    public var notes: [String]

    public init(patches: [Patch] = [], notes: [String] = []) {
        self.patches = patches
        self.notes = notes
    }
}

/// One mail (or plain diff) of a series, with the headers a report needs to name it.
public struct Patch: Sendable {
    /// The decoded subject without its `[PATCH v2 3/5]` tags, e.g. "vfio/pci: make fault reentrant".
    public var subject: String?
    /// The decoded subject as sent, e.g. "[PATCH v2 3/5] vfio/pci: make fault reentrant".
    public var fullSubject: String?
    /// The decoded From header, e.g. "Jane Doe <jane@example.org>".
    public var from: String?
    public var date: String?
    /// With angle brackets, as in the header.
    public var messageID: String?
    public var inReplyTo: String?
    public var references: [String] = []
    /// Addresses as written (decoded), one per top-level comma.
    public var to: [String] = []
    public var cc: [String] = []
    /// From `[PATCH n/m]`; nil for an unnumbered patch or a plain diff.
    public var index: Int?
    public var total: Int?
    public var files: [FilePatch] = []
    /// What was read but not kept, e.g. "drivers/x/fw.bin: binary diff skipped".
    public var notes: [String] = []
    /// The decoded text (MIME-decoded, charset converted to UTF-8, CRLF → LF) that `bodyLine`s count in.
    public var body: [UInt8] = []
    /// 0-based line of `body` where the diff starts.
    public var diffLineOffset = 0
}

/// One file's change; `apply` turns it into a post-image.
public struct FilePatch: Sendable {
    /// nil for a new file; without the "a/" prefix.
    public var oldPath: String?
    /// nil for a deleted file; without the "b/" prefix.
    public var newPath: String?
    public var isNew: Bool
    public var isDeleted: Bool
    public var isRename: Bool
    /// A git copy: `oldPath` is the source and stays as it is.
    public var isCopy: Bool
    /// Binary data is skipped: such a file has no hunks and cannot be applied.
    public var isBinary: Bool
    public var oldMode: String?
    public var newMode: String?
    public var hunks: [Hunk]

    /// The name the file has after the patch (before it, for a deletion).
    public var path: String { newPath ?? oldPath ?? "" }

    public init(oldPath: String? = nil, newPath: String? = nil, isNew: Bool = false, isDeleted: Bool = false,
                isRename: Bool = false, isCopy: Bool = false, isBinary: Bool = false,
                oldMode: String? = nil, newMode: String? = nil, hunks: [Hunk] = []) {
        self.oldPath = oldPath
        self.newPath = newPath
        self.isNew = isNew
        self.isDeleted = isDeleted
        self.isRename = isRename
        self.isCopy = isCopy
        self.isBinary = isBinary
        self.oldMode = oldMode
        self.newMode = newMode
        self.hunks = hunks
    }
}

/// One `@@` block; its stated position is only a hint where to look (see `PatchApplier`).
public struct Hunk: Sendable {
    public var oldStart: Int, oldCount: Int, newStart: Int, newCount: Int
    /// The text after the second "@@", e.g. "static vm_fault_t foo(struct vm_fault *vmf)"; "" if none.
    public var section: String
    /// The whole "@@ ... @@ ..." line.
    public var header: String
    public var lines: [HunkLine]
    /// 0-based line of `Patch.body` holding the "@@" line, for quoting the patch.
    public var bodyLine: Int

    public init(oldStart: Int, oldCount: Int, newStart: Int, newCount: Int, section: String = "",
                header: String, lines: [HunkLine] = [], bodyLine: Int = 0) {
        self.oldStart = oldStart
        self.oldCount = oldCount
        self.newStart = newStart
        self.newCount = newCount
        self.section = section
        self.header = header
        self.lines = lines
        self.bodyLine = bodyLine
    }
}

/// One line of a hunk, kept as bytes so invalid UTF-8 in a source file still matches.
public struct HunkLine: Sendable, Equatable {
    public enum Kind: Sendable { case context, added, removed }
    public var kind: Kind
    /// Without the leading ' ', '+' or '-' and without the newline.
    public var text: [UInt8]
    /// Followed by "\ No newline at end of file".
    public var noNewlineAtEnd: Bool

    public init(kind: Kind, text: [UInt8], noNewlineAtEnd: Bool = false) {
        self.kind = kind
        self.text = text
        self.noNewlineAtEnd = noNewlineAtEnd
    }
}

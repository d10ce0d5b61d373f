/// Bounds on what one input may hold, so a hostile or broken mail costs bounded memory and time and
/// ends with a message that names the limit and how to raise it. The defaults sit well above real
/// kernel mail: vger refuses messages over a few hundred KiB, the largest b4 series mboxes are a few
/// MiB, and the largest generated-header hunks (amdgpu register masks) have around 100,000 lines.
public struct PatchLimits: Sendable, Equatable {
    /// Bytes of one input (a mail, an mbox, a diff, stdin).
    public var mailBytes: Int
    /// Messages in one input.
    public var patches: Int
    /// Lines one hunk header may count, on either side.
    public var hunkLines: Int
    /// Bytes of one line of a message.
    public var lineBytes: Int

    public static let `default` = PatchLimits(mailBytes: 100 << 20, patches: 2_000, hunkLines: 500_000,
                                              lineBytes: 1 << 20)

    public init(mailBytes: Int, patches: Int, hunkLines: Int, lineBytes: Int) {
        self.mailBytes = mailBytes
        self.patches = patches
        self.hunkLines = hunkLines
        self.lineBytes = lineBytes
    }

    /// How each limit is named on the command line (`--limit NAME=VALUE`) and in the environment.
    public enum Name: String, CaseIterable, Sendable {
        case mailSize = "mail-size", patches, hunkLines = "hunk-lines", lineLength = "line-length"

        public var environmentVariable: String {
            switch self {
            case .mailSize: "MMLINT_MAX_MAIL_BYTES"
            case .patches: "MMLINT_MAX_PATCHES"
            case .hunkLines: "MMLINT_MAX_HUNK_LINES"
            case .lineLength: "MMLINT_MAX_LINE_BYTES"
            }
        }
    }

    public subscript(name: Name) -> Int {
        get {
            switch name {
            case .mailSize: mailBytes
            case .patches: patches
            case .hunkLines: hunkLines
            case .lineLength: lineBytes
            }
        }
        set {
            switch name {
            case .mailSize: mailBytes = newValue
            case .patches: patches = newValue
            case .hunkLines: hunkLines = newValue
            case .lineLength: lineBytes = newValue
            }
        }
    }

    /// What to tell the user about raising `name`.
    static func howToRaise(_ name: Name) -> String {
        "pass --limit \(name.rawValue)=N or set \(name.environmentVariable) to raise it"
    }

    /// "100 MiB", "512 KiB", "17 bytes".
    public static func size(_ bytes: Int) -> String {
        for (shift, unit) in [(30, "GiB"), (20, "MiB"), (10, "KiB")] where bytes >= 1 << shift {
            if bytes % (1 << shift) == 0 { return "\(bytes >> shift) \(unit)" }
            let tenths = (bytes * 10 + (1 << shift) / 2) >> shift
            return "\(tenths / 10).\(tenths % 10) \(unit)"
        }
        return "\(bytes) bytes"
    }

    /// A size or count as users write it: `1000`, `64K`, `100M`, `2G` (binary multiples).
    public static func parseAmount(_ text: String) -> Int? {
        var digits = Substring(text.uppercased())
        var multiplier = 1
        if let last = digits.last, let shift = ["K": 10, "M": 20, "G": 30][String(last)] {
            multiplier = 1 << shift
            digits = digits.dropLast()
            if digits.hasSuffix("I") { digits = digits.dropLast() }
        } else if digits.hasSuffix("IB"), let unit = digits.dropLast(2).last,
                  let shift = ["K": 10, "M": 20, "G": 30][String(unit)] {
            multiplier = 1 << shift
            digits = digits.dropLast(3)
        }
        guard let value = Int(digits), value > 0 else { return nil }
        let (product, overflow) = value.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : product
    }
}

/// Turns whatever a user saved (mbox, mail, plain diff) into patches, so `check` need not care which it was.
public enum PatchReader {
    /// Reads one input: an mbox (one or many messages; "From " separator lines; mboxrd ">From " unquoted),
    /// a single mail (.eml / format-patch output), or a plain unified diff (no mail headers) → one Patch.
    /// Series: cover letters ([PATCH 0/n]) are skipped (with a note); patches are ordered by index when
    /// present. Messages without any diff are skipped with a note, and so are replies ("Re:") with a diff
    /// when other patches are present; if that leaves nothing, it is an error.
    public static func read(_ data: [UInt8], name: String, limits: PatchLimits = .default) throws(PatchError) -> PatchSeries {
        try checkSize(data.count, input: name, limits: limits)
        let messages = Mbox.messages(in: Bytes.normalizingNewlines(data))
        if messages.count > limits.patches {
            throw .overLimit(input: name, what: "\(messages.count) messages, over the limit of \(limits.patches)",
                             limit: .patches)
        }
        var notes: [String] = []
        var patches: [Patch] = []
        var replies: [(label: String, patch: Patch)] = []
        for (number, message) in messages.enumerated() {
            let label = messages.count == 1 ? name : "\(name) (message \(number + 1))"
            let patch = try readMessage(message, input: label, limits: limits)
            let quoted = "\"\(patch.fullSubject ?? "(no subject)")\""
            if patch.index == 0 {
                notes.append("\(label): skipped cover letter \(quoted)")
            } else if patch.files.isEmpty {
                notes.append("\(label): skipped \(quoted): no diff")
            } else if patch.fullSubject?.lowercased().hasPrefix("re:") == true {
                replies.append((label, patch))
            } else {
                patches.append(patch)
            }
        }
        if patches.isEmpty {
            patches = replies.map(\.patch)
        } else {
            notes += replies.map { "\($0.label): skipped reply \"\($0.patch.fullSubject ?? "")\"" }
        }
        guard !patches.isEmpty else { throw .noDiff(input: name) }
        patches = patches.enumerated()
            .sorted { ($0.element.index ?? .max, $0.offset) < ($1.element.index ?? .max, $1.offset) }
            .map(\.element)
        notes += numberingNotes(patches, name: name)
        return PatchSeries(patches: patches, notes: notes)
    }

    /// The files of a bare unified diff (git or plain), without mail or mbox
    /// framing: the diff parser alone, as the fuzzer drives it.
    public static func readDiff(_ data: [UInt8], name: String, limits: PatchLimits = .default) throws(PatchError) -> [FilePatch] {
        try checkSize(data.count, input: name, limits: limits)
        let lines = Bytes.lines(Bytes.normalizingNewlines(data)[...])
        try checkLines(lines, input: name, limits: limits)
        guard let start = DiffParser.start(of: lines) else { throw .noDiff(input: name) }
        var parser = DiffParser(lines: lines, input: name, start: start, maxHunkLines: limits.hunkLines)
        return try parser.files()
    }

    /// One message of the input, or the whole input when it is a plain diff.
    /// Refuses an input over the size limit; callers that read files check the size before reading.
    public static func checkSize(_ bytes: Int, input: String, limits: PatchLimits) throws(PatchError) {
        if bytes > limits.mailBytes {
            throw .overLimit(input: input, what: "\(PatchLimits.size(bytes)) is over the mail size limit of "
                             + PatchLimits.size(limits.mailBytes), limit: .mailSize)
        }
    }

    private static func checkLines(_ lines: [ArraySlice<UInt8>], input: String, limits: PatchLimits) throws(PatchError) {
        if let long = lines.firstIndex(where: { $0.count > limits.lineBytes }) {
            throw .overLimit(input: input, what: "line \(long + 1) has \(PatchLimits.size(lines[long].count)), over the "
                             + "line length limit of \(PatchLimits.size(limits.lineBytes))", limit: .lineLength)
        }
    }

    /// One mail as it stands, cover letter, reply or mail without a diff
    /// included (no series rules applied), under the same bounds as `read`:
    /// for a reader of a list archive, which must tell those apart itself.
    public static func readMail(_ data: [UInt8], name: String, limits: PatchLimits = .default) throws(PatchError) -> Patch {
        try checkSize(data.count, input: name, limits: limits)
        return try readMessage(Bytes.normalizingNewlines(data), input: name, limits: limits)
    }

    private static func readMessage(_ message: [UInt8], input: String, limits: PatchLimits) throws(PatchError) -> Patch {
        let mail = MIMEEntity(parsing: message[...])
        var patch = Patch()
        if mail.isMail {
            try readHeaders(of: mail, into: &patch, input: input)
            for text in try mail.patchTexts(input: input) {
                if let last = patch.body.last, last != Bytes.lf { patch.body.append(Bytes.lf) }
                patch.body += text
            }
        } else {
            patch.body = message
        }
        let lines = Bytes.lines(patch.body[...])
        try checkLines(lines, input: input, limits: limits)
        if let start = DiffParser.start(of: lines) {
            var parser = DiffParser(lines: lines, input: input, start: start, maxHunkLines: limits.hunkLines)
            patch.files = try parser.files()
            patch.notes = parser.notes
            patch.diffLineOffset = start
        }
        return patch
    }

    private static func readHeaders(of mail: MIMEEntity, into patch: inout Patch, input: String) throws(PatchError) {
        if let subject = mail.field("subject") {
            let full = try EncodedWords.decode(subject, input: input).collapsingWhitespace
            let parts = splitSubject(full)
            patch.fullSubject = full
            patch.subject = parts.title
            patch.index = parts.index
            patch.total = parts.total
        }
        if let from = mail.field("from") { patch.from = try EncodedWords.decode(from, input: input).collapsingWhitespace }
        patch.date = mail.field("date").map { Bytes.text($0).collapsingWhitespace }
        patch.messageID = mail.field("message-id").flatMap { messageIDs(in: $0).first }
        patch.inReplyTo = mail.field("in-reply-to").flatMap { messageIDs(in: $0).first }
        patch.references = mail.fields("references").flatMap(messageIDs)
        for raw in mail.fields("to").flatMap(splitAddresses) {
            patch.to.append(try EncodedWords.decode(raw, input: input).collapsingWhitespace)
        }
        for raw in mail.fields("cc").flatMap(splitAddresses) {
            patch.cc.append(try EncodedWords.decode(raw, input: input).collapsingWhitespace)
        }
    }

    /// The title without leading "Re:" and "[...]" tags; the first "n/m" inside a tag numbers the patch.
    private static func splitSubject(_ subject: String) -> (title: String, index: Int?, total: Int?) {
        var rest = Substring(subject)
        var index: Int?, total: Int?
        while true {
            rest = rest.drop { $0 == " " }
            if rest.lowercased().hasPrefix("re:") {
                rest = rest.dropFirst(3)
                continue
            }
            guard rest.hasPrefix("["), let close = rest.firstIndex(of: "]") else { break }
            for token in rest[..<close].dropFirst().split(separator: " ") where index == nil {
                let numbers = token.split(separator: "/", omittingEmptySubsequences: false)
                guard numbers.count == 2, numbers.allSatisfy({ !$0.isEmpty && $0.allSatisfy { ("0"..."9").contains($0) } }),
                      let n = Int(numbers[0]), let m = Int(numbers[1])
                else { continue }
                (index, total) = (n, m)
            }
            rest = rest[rest.index(after: close)...]
        }
        return (String(rest), index, total)
    }

    /// The `<...>` identifiers of a Message-ID, In-Reply-To or References field; the whole trimmed value
    /// when it has no angle brackets.
    private static func messageIDs(in raw: [UInt8]) -> [String] {
        let value = Bytes.text(raw)
        var ids: [String] = []
        var rest = Substring(value)
        while let open = rest.firstIndex(of: "<"), let close = rest[open...].firstIndex(of: ">") {
            ids.append(String(rest[open...close]))
            rest = rest[rest.index(after: close)...]
        }
        if ids.isEmpty, !value.trimmingBlanks.isEmpty { ids = value.split(separator: " ").map(String.init) }
        return ids
    }

    /// Splits an address list on commas outside quotes, angle brackets and comments; before decoding,
    /// so a comma inside an encoded display name does not split it.
    private static func splitAddresses(_ raw: [UInt8]) -> [[UInt8]] {
        var addresses: [[UInt8]] = [[]]
        var quoted = false, escaped = false, angle = 0, comment = 0
        for byte in raw {
            if escaped {
                escaped = false
            } else if byte == UInt8(ascii: "\\") && (quoted || comment > 0) {
                escaped = true
            } else if byte == UInt8(ascii: "\"") && comment == 0 {
                quoted.toggle()
            } else if !quoted {
                switch byte {
                case UInt8(ascii: "<"): angle += 1
                case UInt8(ascii: ">"): angle = max(0, angle - 1)
                case UInt8(ascii: "("): comment += 1
                case UInt8(ascii: ")"): comment = max(0, comment - 1)
                case UInt8(ascii: ",") where angle == 0 && comment == 0:
                    addresses.append([])
                    continue
                default: break
                }
            }
            addresses[addresses.count - 1].append(byte)
        }
        return addresses.filter { !Bytes.text($0).trimmingBlanks.isEmpty }
    }

    /// Gaps and duplicates in the "n/m" numbering of a series read from one input, which make later
    /// patches unlikely to apply. A lone patch is not a gap: series are also passed one file per patch.
    private static func numberingNotes(_ patches: [Patch], name: String) -> [String] {
        let indices = patches.compactMap(\.index)
        guard patches.count > 1, let total = patches.first?.total, total > 0, indices.count == patches.count,
              patches.allSatisfy({ $0.total == total })
        else { return [] }
        var notes: [String] = []
        let missing = (1...total).filter { !indices.contains($0) }
        if !missing.isEmpty {
            notes.append("\(name): missing " + missing.map { "\($0)/\(total)" }.joined(separator: ", "))
        }
        let repeated = Set(indices.filter { index in indices.filter { $0 == index }.count > 1 }).sorted()
        if !repeated.isEmpty {
            notes.append("\(name): more than one patch numbered " + repeated.map { "\($0)/\(total)" }.joined(separator: ", "))
        }
        return notes
    }
}

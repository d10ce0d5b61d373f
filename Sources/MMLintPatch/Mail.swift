/// mbox framing, so one file can hold a whole series (git format-patch --stdout, b4 am, list archives).
enum Mbox {
    /// The messages of `bytes`, one per "From " separator line, with mboxrd quoting (">From ") undone;
    /// the whole input when it does not start with a separator.
    static func messages(in bytes: [UInt8]) -> [[UInt8]] {
        let lines = Bytes.lines(bytes[...])
        guard let first = lines.firstIndex(where: { !$0.isEmpty }), isSeparator(lines, at: first, first: first) else {
            return [bytes]
        }
        var messages: [[UInt8]] = []
        var current: [UInt8] = []
        for index in (first + 1)..<lines.count {
            if isSeparator(lines, at: index, first: first) {
                messages.append(current)
                current = []
                continue
            }
            var line = lines[index]
            if line.drop(while: { $0 == UInt8(ascii: ">") }).hasPrefix("From "), line.first == UInt8(ascii: ">") {
                line = line.dropFirst()
            }
            current += line
            current.append(Bytes.lf)
        }
        messages.append(current)
        return messages
    }

    /// A "From " line at the start or after an empty line, followed by a header field. The header check
    /// keeps an unquoted "From " in a commit message from splitting a message. git's own separator
    /// (`From <40 hex> Mon Sep 17 00:00:00 2001`) needs no empty line before it: `git format-patch
    /// --stdout --no-signature` writes none.
    private static func isSeparator(_ lines: [ArraySlice<UInt8>], at index: Int, first: Int) -> Bool {
        lines[index].hasPrefix("From ")
            && (index == first || lines[index - 1].isEmpty || isGitSeparator(lines[index]))
            && index + 1 < lines.count && MIMEEntity.headerColon(lines[index + 1]) != nil
    }

    private static func isGitSeparator(_ line: ArraySlice<UInt8>) -> Bool {
        let text = Array(line)
        let tail = Array(" Mon Sep 17 00:00:00 2001".utf8)
        guard text.count == 5 + 40 + tail.count, text.suffix(tail.count).elementsEqual(tail) else { return false }
        return text[5..<45].allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }
}

/// A mail or a MIME part: its unfolded header fields and the raw body they describe.
struct MIMEEntity {
    /// Lower-cased names; values unfolded (the folding whitespace kept), without leading blanks.
    var fields: [(name: String, value: [UInt8])] = []
    var body: ArraySlice<UInt8>

    /// Header fields up to the first empty line, or up to the first line that is not a field.
    init(parsing bytes: ArraySlice<UInt8>) {
        body = bytes[bytes.endIndex...]
        for line in Bytes.lines(bytes) {
            if line.isEmpty {
                body = bytes[min(line.endIndex + 1, bytes.endIndex)...]
                return
            }
            if let first = line.first, Bytes.isBlank(first), !fields.isEmpty {
                fields[fields.count - 1].value += line
                continue
            }
            guard let colon = Self.headerColon(line) else {
                body = bytes[line.startIndex...]
                return
            }
            let name = String(decoding: line[..<colon], as: UTF8.self).lowercased()
            fields.append((name, Array(line[(colon + 1)...].drop(while: Bytes.isBlank))))
        }
    }

    /// The colon of a "Name: value" line: a non-empty name of printable ASCII without spaces.
    static func headerColon(_ line: ArraySlice<UInt8>) -> Int? {
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex,
              line[..<colon].allSatisfy({ (33...126).contains($0) })
        else { return nil }
        return colon
    }

    func field(_ name: String) -> [UInt8]? { fields.first { $0.name == name }?.value }
    func fields(_ name: String) -> [[UInt8]] { fields.filter { $0.name == name }.map(\.value) }

    /// Whether the fields are a mail's header rather than, say, a quilt patch starting "mm: fix x".
    var isMail: Bool {
        let mailFields: Set = ["from", "subject", "date", "message-id", "to", "mime-version", "content-type",
                               "received", "return-path", "delivered-to"]
        return fields.contains { mailFields.contains($0.name) }
    }

    /// The decoded texts that may carry a patch, in order: text/plain parts, and attachments whose content
    /// looks like a diff. HTML and other parts are left out.
    func patchTexts(input: String) throws(PatchError) -> [[UInt8]] {
        let type = ContentType(field("content-type").map { Bytes.text($0) })
        if type.mimeType.hasPrefix("multipart/") {
            guard let boundary = type.parameters["boundary"], !boundary.isEmpty else { return [] }
            var texts: [[UInt8]] = []
            for part in Self.parts(of: body, boundary: boundary) {
                texts += try MIMEEntity(parsing: part).patchTexts(input: input)
            }
            return texts
        }
        let attachmentTypes: Set = ["text/x-patch", "text/x-diff", "application/octet-stream",
                                    "application/x-patch", "application/x-diff"]
        guard type.mimeType == "text/plain" || attachmentTypes.contains(type.mimeType) else { return [] }
        let encoding = field("content-transfer-encoding").map { Bytes.text($0) } ?? ""
        let decoded = Bytes.normalizingNewlines(try TransferEncoding.decode(body, encoding: encoding, input: input))
        if type.mimeType != "text/plain", DiffParser.start(of: Bytes.lines(decoded[...])) == nil { return [] }
        return [try Charset.utf8(decoded, charset: type.parameters["charset"] ?? "us-ascii", input: input)]
    }

    /// The parts between "--boundary" lines; the newline before a delimiter belongs to the delimiter.
    private static func parts(of body: ArraySlice<UInt8>, boundary: String) -> [ArraySlice<UInt8>] {
        var parts: [ArraySlice<UInt8>] = []
        var partStart: Int?
        for line in Bytes.lines(body) {
            guard let rest = line.after("--" + boundary) else { continue }
            let suffix = rest[..<(rest.lastIndex { !Bytes.isBlank($0) }.map { $0 + 1 } ?? rest.startIndex)]
            let isClosing = suffix.equals("--")
            guard suffix.isEmpty || isClosing else { continue }
            if let start = partStart { parts.append(body[start..<max(start, line.startIndex - 1)]) }
            if isClosing { return parts }
            partStart = min(line.endIndex + 1, body.endIndex)
        }
        if let start = partStart { parts.append(body[start...]) }
        return parts
    }
}

/// A Content-Type value: the lower-cased type and its parameters (names lower-cased, values unquoted).
struct ContentType {
    var mimeType = "text/plain"
    var parameters: [String: String] = [:]

    init(_ value: String?) {
        guard let value else { return }
        var items: [String] = [""]
        var quoted = false
        var escaped = false
        for character in value {
            if escaped {
                escaped = false
            } else if quoted && character == "\\" {
                escaped = true
                continue
            } else if character == "\"" {
                quoted.toggle()
                continue
            } else if character == ";" && !quoted {
                items.append("")
                continue
            }
            items[items.count - 1].append(character)
        }
        let type = items[0].collapsingWhitespace.lowercased()
        if !type.isEmpty { mimeType = type }
        for item in items.dropFirst() {
            guard let equals = item.firstIndex(of: "=") else { continue }
            let name = String(item[..<equals]).collapsingWhitespace.lowercased()
            parameters[name] = String(item[item.index(after: equals)...]).trimmingBlanks
        }
    }
}

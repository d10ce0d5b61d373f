/// Patches stay bytes until a header is shown to a user: these are the few operations they need.
enum Bytes {
    static let lf = UInt8(ascii: "\n")
    static let cr = UInt8(ascii: "\r")

    /// Splits on LF; a final LF ends the last line rather than starting an empty one.
    /// The lines are slices of `bytes`, so their indices locate them in it.
    static func lines(_ bytes: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        var lines: [ArraySlice<UInt8>] = []
        var start = bytes.startIndex
        for index in bytes.indices where bytes[index] == lf {
            lines.append(bytes[start..<index])
            start = index + 1
        }
        if start < bytes.endIndex { lines.append(bytes[start...]) }
        return lines
    }

    /// CRLF → LF: in mail, CRLF is transport, not content.
    static func normalizingNewlines(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var pendingCR = false
        for byte in bytes {
            if pendingCR && byte != lf { out.append(cr) }
            pendingCR = byte == cr
            if !pendingCR { out.append(byte) }
        }
        if pendingCR { out.append(cr) }
        return out
    }

    /// Raw header bytes as text: UTF-8 when valid, else Latin-1, the two that unlabelled 8-bit headers use.
    static func text(_ bytes: some Collection<UInt8>) -> String {
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        return String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
    }

    static func isBlank(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
    }
}

extension Collection<UInt8> {
    func hasPrefix(_ prefix: String) -> Bool { starts(with: prefix.utf8) }
    func equals(_ text: String) -> Bool { elementsEqual(text.utf8) }

    /// The rest of the line after `prefix`, or nil when it does not start with it.
    func after(_ prefix: String) -> SubSequence? {
        hasPrefix(prefix) ? dropFirst(prefix.utf8.count) : nil
    }
}

extension String {
    /// Unfolded headers keep the folding whitespace; shown to users, runs of it are one space.
    var collapsingWhitespace: String {
        split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).joined(separator: " ")
    }

    var trimmingBlanks: String {
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" }
        guard let start = firstIndex(where: { !isBlank($0) }), let end = lastIndex(where: { !isBlank($0) }) else {
            return ""
        }
        return String(self[start...end])
    }
}

/// Content-Transfer-Encoding: mail may carry a patch as quoted-printable or base64.
enum TransferEncoding {
    static func decode(_ body: ArraySlice<UInt8>, encoding: String, input: String) throws(PatchError) -> [UInt8] {
        switch encoding.collapsingWhitespace.lowercased() {
        case "", "7bit", "8bit", "binary":
            return Array(body)
        case "quoted-printable":
            guard let decoded = quotedPrintable(body) else {
                throw .brokenEncoding(input: input, encoding: "quoted-printable")
            }
            return decoded
        case "base64":
            guard let decoded = base64(body) else { throw .brokenEncoding(input: input, encoding: "base64") }
            return decoded
        default:
            throw .unknownTransferEncoding(input: input, encoding: encoding.collapsingWhitespace)
        }
    }

    /// nil when an "=" starts neither a hex escape nor a soft line break. Expects LF line ends.
    /// `underscoreIsSpace` gives the "Q" variant of RFC 2047 headers.
    static func quotedPrintable(_ text: some Collection<UInt8>, underscoreIsSpace: Bool = false) -> [UInt8]? {
        let bytes = Array(text)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "=") {
                if index + 2 < bytes.count, let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2]) {
                    out.append(high << 4 | low)
                    index += 3
                    continue
                }
                // A soft line break, possibly with transport padding before the newline.
                var next = index + 1
                while next < bytes.count, Bytes.isBlank(bytes[next]) { next += 1 }
                guard next == bytes.count || bytes[next] == Bytes.lf else { return nil }
                index = next + 1
                continue
            }
            out.append(underscoreIsSpace && byte == UInt8(ascii: "_") ? UInt8(ascii: " ") : byte)
            index += 1
        }
        return out
    }

    /// nil for a character outside the alphabet, misplaced padding, or a dangling sextet; whitespace is skipped.
    static func base64(_ text: some Collection<UInt8>) -> [UInt8]? {
        var out: [UInt8] = []
        var accumulator: UInt32 = 0
        var sextets = 0
        var padding = 0
        for byte in text {
            if Bytes.isBlank(byte) || byte == Bytes.lf || byte == Bytes.cr { continue }
            if byte == UInt8(ascii: "=") {
                padding += 1
                continue
            }
            guard padding == 0, let value = base64Value(byte) else { return nil }
            accumulator = accumulator << 6 | UInt32(value)
            sextets += 1
            if sextets == 4 {
                out += [UInt8(accumulator >> 16 & 0xFF), UInt8(accumulator >> 8 & 0xFF), UInt8(accumulator & 0xFF)]
                accumulator = 0
                sextets = 0
            }
        }
        switch (sextets, padding) {
        case (0, 0):
            break
        case (2, 0), (2, 2):
            out.append(UInt8(accumulator >> 4 & 0xFF))
        case (3, 0), (3, 1):
            out += [UInt8(accumulator >> 10 & 0xFF), UInt8(accumulator >> 2 & 0xFF)]
        default:
            return nil
        }
        return out
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        default: nil
        }
    }

    private static func base64Value(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): byte - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): byte - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"): 62
        case UInt8(ascii: "/"): 63
        default: nil
        }
    }
}

/// The charsets patches are mailed in, converted to UTF-8 so every later stage sees one encoding.
enum Charset {
    static func utf8(_ bytes: [UInt8], charset: String, input: String) throws(PatchError) -> [UInt8] {
        let name = charset.collapsingWhitespace.lowercased()
        let high: [Unicode.Scalar]
        switch name {
        case "utf-8", "utf8", "us-ascii", "ascii", "ansi_x3.4-1968":
            return bytes
        case "iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "l1", "cp819":
            high = latin1
        case "iso-8859-15", "iso8859-15", "iso_8859-15", "latin9", "latin-9", "l9":
            high = latin9
        case "windows-1252", "cp1252", "x-cp1252":
            high = windows1252
        default:
            throw .unknownCharset(input: input, charset: charset.collapsingWhitespace)
        }
        // Text labelled with a Latin charset that is valid UTF-8 with non-ASCII in it was mislabelled:
        // real Latin text almost never forms valid multi-byte sequences.
        if String(validating: bytes, as: UTF8.self) != nil { return bytes }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + bytes.count / 8)
        for byte in bytes {
            if byte < 0x80 {
                out.append(byte)
            } else {
                out += Array(String(high[Int(byte) - 0x80]).utf8)
            }
        }
        return out
    }

    /// The scalars of bytes 0x80–0xFF, by charset.
    private static let latin1 = scalars(Array(0x80...0xFF))

    /// ISO 8859-15: Latin-1 with eight code points replaced (€, Š, š, Ž, ž, Œ, œ, Ÿ).
    private static let latin9: [Unicode.Scalar] = {
        var table = Array(UInt32(0x80)...0xFF)
        let replaced: [Int: UInt32] = [0xA4: 0x20AC, 0xA6: 0x0160, 0xA8: 0x0161, 0xB4: 0x017D,
                                       0xB8: 0x017E, 0xBC: 0x0152, 0xBD: 0x0153, 0xBE: 0x0178]
        for (byte, scalar) in replaced { table[byte - 0x80] = scalar }
        return scalars(table)
    }()

    /// Windows-1252: Latin-1 with 0x80–0x9F used for punctuation; its five holes map to C1 as browsers do.
    private static let windows1252 = scalars([
        0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
        0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
        0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
        0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
    ] + Array(0xA0...0xFF))

    private static func scalars(_ values: [UInt32]) -> [Unicode.Scalar] { values.compactMap(Unicode.Scalar.init) }
}

/// RFC 2047 encoded-words (`=?UTF-8?Q?...?=`), how mail carries non-ASCII names and subjects.
enum EncodedWords {
    /// Decodes every encoded-word in a header value. Whitespace between adjacent encoded-words is
    /// dropped, and their bytes are joined before conversion, since senders split characters across words.
    static func decode(_ raw: [UInt8], input: String) throws(PatchError) -> String {
        let bytes = Array(Bytes.text(raw).utf8)
        var out: [UInt8] = []
        var run: (charset: String, bytes: [UInt8])?
        var gap: [UInt8] = []
        var index = 0
        while index < bytes.count {
            if let word = Word(bytes, at: index) {
                let decoded = try word.decoded(input: input)
                if let current = run, current.charset == word.charset {
                    run = (current.charset, current.bytes + decoded)
                } else {
                    if let current = run { out += try Charset.utf8(current.bytes, charset: current.charset, input: input) }
                    run = (word.charset, decoded)
                }
                gap = []
                index = word.end
                continue
            }
            if let current = run {
                if Bytes.isBlank(bytes[index]) || bytes[index] == Bytes.lf {
                    gap.append(bytes[index])
                    index += 1
                    continue
                }
                out += try Charset.utf8(current.bytes, charset: current.charset, input: input) + gap
                run = nil
                gap = []
            }
            out.append(bytes[index])
            index += 1
        }
        if let current = run { out += try Charset.utf8(current.bytes, charset: current.charset, input: input) + gap }
        return String(decoding: out, as: UTF8.self)
    }

    /// `=?charset?Q|B?text?=`; the charset may carry an RFC 2231 language (`utf-8*en`).
    private struct Word {
        var charset: String
        var isBase64: Bool
        var text: ArraySlice<UInt8>
        var end: Int

        init?(_ bytes: [UInt8], at start: Int) {
            let question = UInt8(ascii: "?")
            guard bytes[start...].hasPrefix("=?") else { return nil }
            func token(from index: Int) -> Int? {
                var end = index
                while end < bytes.count, bytes[end] != question {
                    if Bytes.isBlank(bytes[end]) || bytes[end] == Bytes.lf { return nil }
                    end += 1
                }
                return end < bytes.count ? end : nil
            }
            guard let charsetEnd = token(from: start + 2), charsetEnd > start + 2,
                  charsetEnd + 2 < bytes.count, bytes[charsetEnd + 2] == question,
                  let textEnd = token(from: charsetEnd + 3),
                  textEnd + 1 < bytes.count, bytes[textEnd + 1] == UInt8(ascii: "=")
            else { return nil }
            switch bytes[charsetEnd + 1] {
            case UInt8(ascii: "B"), UInt8(ascii: "b"): isBase64 = true
            case UInt8(ascii: "Q"), UInt8(ascii: "q"): isBase64 = false
            default: return nil
            }
            let label = String(decoding: bytes[(start + 2)..<charsetEnd], as: UTF8.self)
            charset = String(label.prefix { $0 != "*" }).lowercased()
            text = bytes[(charsetEnd + 3)..<textEnd]
            end = textEnd + 2
        }

        func decoded(input: String) throws(PatchError) -> [UInt8] {
            if isBase64 {
                guard let bytes = TransferEncoding.base64(text) else { throw .brokenEncoding(input: input, encoding: "base64") }
                return bytes
            }
            guard let bytes = TransferEncoding.quotedPrintable(text, underscoreIsSpace: true) else {
                throw .brokenEncoding(input: input, encoding: "quoted-printable")
            }
            return bytes
        }
    }
}

import Foundation
import MMLintCore
import MMLintPatch

/// The reply a kernel reviewer sends: the patch quoted with `> `, trimmed to
/// the hunk lines around each finding, and a plain comment right under the
/// offending line. Reply-all headers, threaded under the patch.
public struct ReviewReply: Sendable {
    /// The patch's 1-based position in the series.
    public var number: Int
    public var subject: String
    /// The whole message: headers, a blank line, the body; LF line ends. Bytes,
    /// because quoted patch lines are given back exactly as the patch had them,
    /// invalid UTF-8 included.
    public var data: [UInt8]
    /// The message as text (invalid UTF-8 shown as U+FFFD), for display.
    public var message: String { String(decoding: data, as: UTF8.self) }
}

public struct ReviewOptions: Sendable {
    /// `Name <address>` of the reviewer.
    public var from: String
    /// A line under the comments (e.g. "Thanks, Ada"); nil or empty for none.
    public var signOff: String?
    public var date: Date
    /// Context lines quoted above each finding.
    public var context: Int
    /// A diff that fixes a finding, by `Finding.key`: shown under its comment.
    public var fixes: [String: String]

    public init(from: String, signOff: String? = nil, date: Date = Date(), context: Int = 3,
                fixes: [String: String] = [:]) {
        self.from = from
        self.signOff = signOff
        self.date = date
        self.context = context
        self.fixes = fixes
    }
}

public enum ReviewWriter {
    /// One reply per patch with new findings, in series order.
    public static func replies(for result: CheckResult, root: String, options: ReviewOptions) -> [ReviewReply] {
        result.outcomes.filter { !$0.findings.isEmpty }.map { outcome in
            reply(to: outcome.patch, number: outcome.number, findings: outcome.findings, root: root, options: options)
        }
    }

    static func reply(to patch: Patch, number: Int, findings: [Finding], root: String, options: ReviewOptions) -> ReviewReply {
        let original = patch.fullSubject ?? patch.subject ?? "your patch"
        let subject = original.range(of: #"^(?i:re:\s*)+"#, options: .regularExpression) != nil
            ? "Re: " + original.replacingOccurrences(of: #"^(?i:re:\s*)+"#, with: "", options: .regularExpression)
            : "Re: " + original
        var headers: [(String, String)] = [("From", options.from)]
        if let author = patch.from { headers.append(("To", author)) }
        let reviewer = address(in: options.from)
        let authorAddress = patch.from.map(address(in:))
        var cc: [String] = []
        for recipient in patch.to + patch.cc {
            let a = address(in: recipient)
            if a != reviewer, a != authorAddress, !cc.contains(where: { address(in: $0) == a }) { cc.append(recipient) }
        }
        if !cc.isEmpty { headers.append(("Cc", cc.joined(separator: ",\n    "))) }
        headers.append(("Subject", subject))
        headers.append(("Date", rfc2822(options.date)))
        headers.append(("Message-ID", messageID(for: patch, number: number, reviewer: reviewer, date: options.date)))
        if let id = patch.messageID {
            headers.append(("In-Reply-To", id))
            headers.append(("References", (patch.references + [id]).joined(separator: "\n    ")))
        }
        headers.append(("MIME-Version", "1.0"))
        headers.append(("Content-Type", "text/plain; charset=utf-8"))
        headers.append(("Content-Transfer-Encoding", "8bit"))

        var body: [UInt8] = []
        let who = patch.from.map(displayName(of:)) ?? "you"
        body += Array((patch.date.map { "On \($0), \(who) wrote:\n" } ?? "\(who) wrote:\n").utf8)
        body += quotedBody(patch, findings: findings, root: root, context: options.context, fixes: options.fixes)
        if let signOff = options.signOff, !signOff.isEmpty { body += Array(("\n" + signOff + "\n").utf8) }
        let head = headers.map { "\($0.0): \($0.1)" }.joined(separator: "\n")
        return ReviewReply(number: number, subject: subject, data: Array((head + "\n\n").utf8) + body)
    }

    /// The quoted diff: each file with findings, its header, then windows of
    /// hunk lines ending at each finding, with the comment under it; `[...]`
    /// wherever quoted lines were left out.
    static func quotedBody(_ patch: Patch, findings: [Finding], root: String, context: Int,
                           fixes: [String: String] = [:]) -> [UInt8] {
        let raw = splitRawLines(patch.body)
        // Lines as text to find the diff's structure; quoted from `raw`, byte for byte.
        let lines = raw.map { String(decoding: $0, as: UTF8.self) }
        var out: [UInt8] = []
        let ellipsis = Array("[...]\n".utf8)
        func cut() { if !out.ends(with: ellipsis) { out += ellipsis } }
        func quote(_ index: Int) { out += quoteRaw(raw[index]) }
        for file in patch.files {
            let path = root + "/" + file.path
            let mine = findings.filter { $0.location.file == path }
            guard !mine.isEmpty, let firstHunk = file.hunks.first else { continue }
            if !out.isEmpty { cut() }
            for index in headerStart(of: firstHunk, in: lines)..<firstHunk.bodyLine { quote(index) }
            for hunk in file.hunks {
                let entries = hunkEntries(hunk, lines: lines)
                let here = mine.compactMap { finding in
                    entries.firstIndex { $0.postLine == finding.location.line }.map { (finding, $0) }
                }.sorted { $0.1 < $1.1 }
                guard !here.isEmpty else { continue }
                if hunk.bodyLine != firstHunk.bodyLine { cut() }
                quote(hunk.bodyLine)
                var next = 0
                for (finding, at) in here {
                    let from = max(next, at - context)
                    if from > next { cut() }
                    if from <= at { for entry in entries[from...at] { quote(entry.bodyIndex) } }
                    next = max(next, at + 1)
                    out += Array(("\n" + comment(for: finding) + "\n\n").utf8)
                    if let fix = fixes[finding.key] {
                        out += Array(("Something like this, untested:\n\n" + fix + "\n").utf8)
                    }
                }
                if next < entries.count { cut() }
            }
        }
        return out
    }

    /// Where a file's diff header starts: its `diff --git` line, or the
    /// `---` line of a plain diff.
    static func headerStart(of hunk: Hunk, in lines: [String]) -> Int {
        var index = hunk.bodyLine - 1
        var plain: Int?
        while index >= 0 {
            if lines[index].hasPrefix("diff --git ") { return index }
            if lines[index].hasPrefix("--- ") && plain == nil { plain = index }
            if lines[index].hasPrefix("@@ ") { break }
            index -= 1
        }
        return plain ?? hunk.bodyLine
    }

    /// The hunk's body lines (after its `@@` line) with their post-image line
    /// numbers; removed lines and `\ No newline` markers have none.
    static func hunkEntries(_ hunk: Hunk, lines: [String]) -> [(bodyIndex: Int, postLine: Int?)] {
        var entries: [(bodyIndex: Int, postLine: Int?)] = []
        var post = hunk.newStart
        var remaining = hunk.lines.count
        var index = hunk.bodyLine + 1
        while index < lines.count, remaining > 0 || lines[index].hasPrefix("\\") {
            let line = lines[index]
            if line.hasPrefix("\\") {
                entries.append((index, nil))
            } else {
                remaining -= 1
                if line.hasPrefix("-") {
                    entries.append((index, nil))
                } else {
                    entries.append((index, post))
                    post += 1
                }
            }
            index += 1
        }
        return entries
    }

    /// The comment under a finding: what is wrong and why, what to write
    /// instead, and the chain when the call sits below the handler.
    static func comment(for finding: Finding) -> String {
        var text = capitalized(finding.message) + "."
        if !finding.suggestion.isEmpty { text += " Instead, " + finding.suggestion + "." }
        if finding.chain.count > 3 {
            text += " The call is reached as " + finding.chain.joined(separator: " → ") + "."
        }
        return Prose.wrap(text, width: 72)
    }

    static func capitalized(_ text: String) -> String {
        guard let first = text.first else { return text }
        // A sentence that starts with a C identifier keeps it as written.
        if text.hasPrefix(text.prefix { $0.isLetter || $0.isNumber || $0 == "_" } + "()") { return text }
        return first.uppercased() + text.dropFirst()
    }

    static func quote(_ line: String) -> String { line.isEmpty ? ">\n" : "> " + line + "\n" }

    static func quoteRaw(_ line: ArraySlice<UInt8>) -> [UInt8] {
        line.isEmpty ? Array(">\n".utf8) : Array("> ".utf8) + line + [0x0A]
    }

    /// The body's lines without their LF; a final LF ends the last line.
    static func splitRawLines(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
        if bytes.last == 0x0A { lines.removeLast() }
        return lines
    }

    /// `Name <a@b>` → `a@b`; a bare address stays.
    static func address(in mailbox: String) -> String {
        if let open = mailbox.lastIndex(of: "<"), let close = mailbox.lastIndex(of: ">"), open < close {
            return mailbox[mailbox.index(after: open)..<close].lowercased()
        }
        return mailbox.trimmingCharacters(in: .whitespaces).lowercased()
    }

    /// `"Name" <a@b>` → `Name`; falls back to the address.
    static func displayName(of mailbox: String) -> String {
        guard let open = mailbox.lastIndex(of: "<") else { return mailbox.trimmingCharacters(in: .whitespaces) }
        let name = mailbox[..<open].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        return name.isEmpty ? address(in: mailbox) : name
    }

    static func rfc2822(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return formatter.string(from: date)
    }

    /// A new, stable Message-ID: derived from the patch's and the reviewer's
    /// identity, so that running the review twice gives the same threading.
    static func messageID(for patch: Patch, number: Int, reviewer: String, date: Date) -> String {
        var hash = FNV1a()
        hash.add(patch.messageID ?? patch.fullSubject ?? patch.subject ?? "")
        hash.add(String(number))
        hash.add(reviewer)
        let domain = reviewer.split(separator: "@").last.map(String.init) ?? "localhost"
        return "<mmlint-review-\(hash.hex)@\(domain)>"
    }

    /// An mbox holding the replies (`From ` lines in bodies quoted mboxrd-style).
    public static func mbox(_ replies: [ReviewReply], date: Date = Date()) -> String {
        String(decoding: mboxData(replies, date: date), as: UTF8.self)
    }

    /// The mbox as bytes, quoted lines exactly as in the patches.
    public static func mboxData(_ replies: [ReviewReply], date: Date = Date()) -> [UInt8] {
        var out: [UInt8] = []
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE MMM dd HH:mm:ss yyyy"
        let from = Array("From ".utf8)
        for reply in replies {
            out += Array("From mmlint \(formatter.string(from: date))\n".utf8)
            for line in reply.data.split(separator: 0x0A, omittingEmptySubsequences: false) {
                // mboxrd: a body line reading (>*)From gets one more >.
                if line.drop(while: { $0 == UInt8(ascii: ">") }).starts(with: from) { out.append(UInt8(ascii: ">")) }
                out += line
                out.append(0x0A)
            }
            if !out.ends(with: [0x0A, 0x0A]) { out.append(0x0A) }
        }
        return out
    }

    /// `0002-re-demo-skip-faults.eml`: sorts in series order.
    public static func fileName(for reply: ReviewReply) -> String {
        let words = reply.subject.lowercased()
            .replacingOccurrences(of: #"\[[^\]]*\]"#, with: "", options: .regularExpression)
            .map { $0.isLetter || $0.isNumber ? $0 : "-" }
        let slug = String(words).split(separator: "-").joined(separator: "-").prefix(52)
        return String(format: "%04d-", reply.number) + slug + ".eml"
    }
}

extension Array where Element == UInt8 {
    func ends(with suffix: [UInt8]) -> Bool { count >= suffix.count && self[(count - suffix.count)...].elementsEqual(suffix) }
}

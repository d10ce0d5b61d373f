import Foundation
import MMLintCore
import MMLintPatch

/// What a list message is to the bot, and which series a patch or cover belongs to.
enum Classifier {
    /// Reads one message (bounds of `mmlint check`) and says what it is.
    static func classify(_ message: InboxMessage, limits: PatchLimits) -> BotState.SeenMessage {
        var seen = BotState.SeenMessage(key: message.key, kind: "bad")
        guard let data = message.data else {
            seen.note = message.problem ?? "not read"
            return seen
        }
        let patch: Patch
        do {
            patch = try PatchReader.readMail(data, name: message.key, limits: limits)
        } catch {
            seen.note = error.description
            return seen
        }
        seen.messageID = patch.messageID
        seen.subject = patch.fullSubject
        let subject = patch.fullSubject ?? ""
        if subject.range(of: #"^\s*(?i:re|aw|sv|antw)\s*:"#, options: .regularExpression) != nil {
            seen.kind = "reply"
            return seen
        }
        let isCover = patch.index == 0
        guard isCover || !patch.files.isEmpty else {
            seen.kind = "other"
            return seen
        }
        guard patch.messageID != nil else {
            // A reply could not be threaded to it.
            seen.note = "a patch without a Message-ID"
            return seen
        }
        let total = max(patch.total ?? 1, 1)
        if total > limits.patches {
            seen.note = "a series of \(total) patches, over the limit of \(limits.patches)"
            return seen
        }
        if let index = patch.index, index > total {
            seen.note = "patch \(index)/\(total): numbered past its series' end"
            return seen
        }
        seen.kind = isCover ? "cover" : "patch"
        seen.number = patch.index ?? 1
        seen.seriesTotal = total
        seen.series = seriesKey(patch, total: total)
        seen.baseCommit = baseCommit(in: patch.body)
        if !isCover { seen.raw = data }
        return seen
    }

    /// Patches of one series share the thread's root, their subject's tags
    /// without the number ("PATCH v2"), their sender and their count. A
    /// lone patch is a series of its own.
    static func seriesKey(_ patch: Patch, total: Int) -> String {
        let own = patch.messageID ?? ""
        if patch.index == nil { return "1|" + own }
        let root = patch.references.first ?? patch.inReplyTo ?? own
        let sender = patch.from.map(address(in:)) ?? ""
        return "\(total)|\(tag(patch.fullSubject ?? ""))|\(sender)|\(root)"
    }

    /// `[PATCH v2 3/5]` → `patch v2`; `[RFC PATCH 1/2] [net]` → `rfc patch net`.
    static func tag(_ subject: String) -> String {
        var rest = Substring(subject)
        var words: [String] = []
        while true {
            rest = rest.drop { $0 == " " }
            guard rest.hasPrefix("["), let close = rest.firstIndex(of: "]") else { break }
            for token in rest[rest.index(after: rest.startIndex)..<close].split(separator: " ")
            where token.range(of: #"^\d+/\d+$"#, options: .regularExpression) == nil {
                words.append(token.lowercased())
            }
            rest = rest[rest.index(after: close)...]
        }
        return words.joined(separator: " ")
    }

    /// The `base-commit:` trailer git format-patch --base and b4 write.
    static func baseCommit(in body: [UInt8]) -> String? {
        for line in body.split(separator: 0x0A) where line.starts(with: Array("base-commit:".utf8)) {
            let value = String(decoding: line.dropFirst(12), as: UTF8.self).trimmingCharacters(in: .whitespaces)
            if value.count >= 7, value.count <= 64, value.allSatisfy(\.isHexDigit) { return value.lowercased() }
        }
        return nil
    }

    static func address(in mailbox: String) -> String {
        if let open = mailbox.lastIndex(of: "<"), let close = mailbox.lastIndex(of: ">"), open < close {
            return mailbox[mailbox.index(after: open)..<close].lowercased()
        }
        return mailbox.trimmingCharacters(in: .whitespaces).lowercased()
    }
}

import Foundation
import MMLintCore

/// `git format-patch`-style mails, one per file and fix kind, for `git am`.
public enum Mbox {
    /// One mail's worth: a file, a fix kind, its findings and its diff.
    public struct Mail: Sendable {
        public var path: String
        public var ruleID: String
        public var subject: String
        public var body: String
        public var diff: String
    }

    /// The mails for `plan`: per file (tree-relative `paths`) and fix kind,
    /// the diff of that kind's edits alone, applied on top of the mails
    /// before it: each mail's diff is taken against the text the earlier
    /// mails left.
    public static func mails(_ plan: FixPlan, relative: (String) -> String, original: (String) -> [UInt8]?,
                             context: FixContext) -> [Mail] {
        var mails: [Mail] = []
        for file in plan.files {
            guard var text = original(file) else { continue }
            let here = plan.fixed.filter { $0.edits.contains { $0.file == file } }
            let kinds = Fixers.all.filter { kind in here.contains { $0.finding.ruleID == kind.ruleID } }
            for kind in kinds {
                let fixes = here.filter { $0.finding.ruleID == kind.ruleID }
                let edits = fixes.flatMap { $0.edits.filter { $0.file == file } }
                let path = relative(file)
                let diff = UnifiedDiff.make(path: path, old: text, edits: edits)
                guard !diff.isEmpty else { continue }
                text = EditApplier.apply(edits, to: text)
                let fixer = kind.init()
                var body = wrap(fixer.explanation(fixes.map(\.finding), context: context))
                let functions = Set(fixes.map(\.finding.function)).sorted().map { "\($0)()" }
                body += "\n\n" + wrap("Found by mmlint (\(kind.ruleID)) in \(functions.joined(separator: ", ")); "
                                      + "the change is mechanical and untested.")
                mails.append(Mail(path: path, ruleID: kind.ruleID, subject: "\(prefix(path)): \(kind.subject)",
                                  body: body, diff: diff))
            }
        }
        return mails
    }

    /// The mbox text: the mails numbered `[PATCH i/n]` when more than one.
    public static func render(_ mails: [Mail], author: String, date: Date = Date()) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, d MMM yyyy HH:mm:ss Z"
        var out = ""
        for (n, mail) in mails.enumerated() {
            let tag = mails.count == 1 ? "[PATCH]" : "[PATCH \(n + 1)/\(mails.count)]"
            let added = mail.diff.split(separator: "\n").filter { $0.hasPrefix("+") && !$0.hasPrefix("+++") }.count
            let removed = mail.diff.split(separator: "\n").filter { $0.hasPrefix("-") && !$0.hasPrefix("---") }.count
            out += "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n"
            out += "From: \(author)\n"
            out += "Date: \(formatter.string(from: date))\n"
            out += "Subject: \(tag) \(mail.subject)\n\n"
            out += mail.body + "\n---\n"
            out += " \(mail.path) | \(added + removed) \(String(repeating: "+", count: min(added, 40)))\(String(repeating: "-", count: min(removed, 40)))\n"
            out += " 1 file changed"
            if added > 0 { out += ", \(added) insertion\(added == 1 ? "" : "s")(+)" }
            if removed > 0 { out += ", \(removed) deletion\(removed == 1 ? "" : "s")(-)" }
            out += "\n\ndiff --git a/\(mail.path) b/\(mail.path)\n" + mail.diff
            out += "-- \nmmlint \(ToolInfo.version)\n\n"
        }
        return out
    }

    /// The subject prefix kernel maintainers use for a file: its subsystem
    /// path (`vfio/pci`, `drm/i915`, `mm`), from the folders under drivers/.
    static func prefix(_ path: String) -> String {
        var parts = path.split(separator: "/").map(String.init).dropLast()
        let driver = parts.first == "drivers"
        if driver { parts = parts.dropFirst() }
        if parts.first == "gpu" { parts = parts.dropFirst() }
        if parts.first == "arch" { parts = parts.dropFirst() }
        let folders = Array(parts.prefix(2))
        if folders.count == 1 && driver {
            let stem = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
            return folders[0] == stem ? stem : "\(folders[0]): \(stem)"
        }
        return folders.isEmpty ? ((path as NSString).lastPathComponent as NSString).deletingPathExtension
            : folders.joined(separator: "/")
    }

    /// Paragraphs wrapped at 72 columns, as commit messages are.
    static func wrap(_ text: String) -> String {
        text.components(separatedBy: "\n\n").map { paragraph in
            var lines: [String] = []
            var line = ""
            for word in paragraph.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
                if !line.isEmpty, line.count + 1 + word.count > 72 {
                    lines.append(line)
                    line = String(word)
                } else {
                    line += (line.isEmpty ? "" : " ") + word
                }
            }
            if !line.isEmpty { lines.append(line) }
            return lines.joined(separator: "\n")
        }.joined(separator: "\n\n")
    }
}

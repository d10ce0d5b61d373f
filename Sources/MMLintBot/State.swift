import Foundation
import GRDB

/// What the bot has done, in SQLite: the messages it has read (and where it
/// stopped reading each epoch), each series and its result, and each reply
/// with the bytes it publishes. Every step that must not be repeated or lost
/// commits here before the next one starts; docs/bot.md says which.
public final class BotState: Sendable {
    let db: DatabaseQueue

    public init(path: String) throws {
        var configuration = Configuration()
        // Another bot on the same state would answer the same patches twice.
        configuration.busyMode = .immediateError
        db = try DatabaseQueue(path: path, configuration: configuration)
        try Self.migrator.migrate(db)
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            // The last commit read of each epoch of a public-inbox v2 inbox.
            try db.execute(sql: """
                CREATE TABLE cursors (source TEXT PRIMARY KEY, position TEXT NOT NULL, updated REAL NOT NULL);
                CREATE TABLE messages (
                    key TEXT PRIMARY KEY,            -- blob:<oid> (v2 inbox) or maildir:<name>
                    message_id TEXT,
                    kind TEXT NOT NULL,              -- patch, cover, reply, other, bad, duplicate, late
                    subject TEXT,
                    series TEXT,
                    number INTEGER,
                    note TEXT,
                    raw BLOB,                        -- a patch's mail, kept until its series is checked
                    seen REAL NOT NULL);
                CREATE INDEX messages_by_id ON messages(message_id);
                CREATE INDEX messages_by_series ON messages(series);
                CREATE TABLE series (
                    key TEXT PRIMARY KEY,
                    total INTEGER NOT NULL,
                    subject TEXT,
                    base_commit TEXT,
                    status TEXT NOT NULL,            -- pending, findings, clean, unverified, apply-failed, rejected, error
                    reason TEXT,
                    checked_tree TEXT,
                    first_seen REAL NOT NULL,
                    checked REAL);
                CREATE TABLE replies (
                    message_id TEXT PRIMARY KEY,     -- the reply's own, deterministic
                    series TEXT NOT NULL,
                    in_reply_to TEXT,
                    kind TEXT NOT NULL,              -- review, apply-failure
                    file TEXT NOT NULL,              -- its name in the outbox Maildir
                    data BLOB NOT NULL,
                    state TEXT NOT NULL,             -- recorded, published
                    recorded REAL NOT NULL,
                    published REAL);
                """)
        }
        return migrator
    }

    // MARK: reading the inbox

    public func cursor(_ source: String) throws -> String? {
        try db.read { db in try String.fetchOne(db, sql: "SELECT position FROM cursors WHERE source = ?", arguments: [source]) }
    }

    public func knows(key: String) throws -> Bool {
        try db.read { db in try Bool.fetchOne(db, sql: "SELECT 1 FROM messages WHERE key = ?", arguments: [key]) ?? false }
    }

    /// All keys seen with this prefix (a Maildir's), to skip them in one look.
    public func keys(prefix: String) throws -> Set<String> {
        try db.read { db in
            Set(try String.fetchAll(db, sql: "SELECT key FROM messages WHERE key >= ? AND key < ?",
                                    arguments: [prefix, prefix + "\u{10FFFF}"]))
        }
    }

    public struct SeenMessage: Sendable {
        public var key: String
        public var messageID: String?
        public var kind: String
        public var subject: String?
        public var series: String?
        public var number: Int?
        public var note: String?
        public var raw: [UInt8]?
        /// For a patch or cover: the series it opens or joins.
        public var seriesTotal: Int?
        public var baseCommit: String?
    }

    /// Records a batch of messages read, and where reading stopped, in one
    /// transaction: a message is taken in exactly once.
    public func ingest(_ messages: [SeenMessage], cursor: (source: String, position: String)?, now: Date) throws {
        try db.write { db in
            for var message in messages {
                if try Bool.fetchOne(db, sql: "SELECT 1 FROM messages WHERE key = ?", arguments: [message.key]) == true {
                    continue
                }
                if let id = message.messageID, message.kind == "patch" || message.kind == "cover",
                   try Bool.fetchOne(db, sql: "SELECT 1 FROM messages WHERE message_id = ? AND kind IN ('patch', 'cover')",
                                     arguments: [id]) == true {
                    message.kind = "duplicate"
                    message.note = "a patch or cover with this Message-ID was read before"
                    message.raw = nil
                }
                if message.kind == "patch" || message.kind == "cover", let series = message.series {
                    let status = try String.fetchOne(db, sql: "SELECT status FROM series WHERE key = ?", arguments: [series])
                    if let status, status != "pending" {
                        message.kind = "late"
                        message.note = "its series was already checked (\(status))"
                        message.raw = nil
                    } else if status == nil {
                        try db.execute(sql: """
                            INSERT INTO series (key, total, subject, base_commit, status, first_seen)
                            VALUES (?, ?, ?, ?, 'pending', ?)
                            """, arguments: [series, message.seriesTotal ?? 1, message.subject, message.baseCommit,
                                             now.timeIntervalSince1970])
                    } else if let base = message.baseCommit {
                        // A cover letter's base wins over a patch's: it speaks for the series.
                        try db.execute(sql: message.kind == "cover"
                                       ? "UPDATE series SET base_commit = ? WHERE key = ?"
                                       : "UPDATE series SET base_commit = coalesce(base_commit, ?) WHERE key = ?",
                                       arguments: [base, series])
                    }
                }
                try db.execute(sql: """
                    INSERT INTO messages (key, message_id, kind, subject, series, number, note, raw, seen)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [message.key, message.messageID, message.kind, message.subject,
                                     message.series, message.number, message.note,
                                     message.raw.map { Data($0) }, now.timeIntervalSince1970])
            }
            if let cursor {
                try db.execute(sql: """
                    INSERT INTO cursors (source, position, updated) VALUES (?, ?, ?)
                    ON CONFLICT(source) DO UPDATE SET position = excluded.position, updated = excluded.updated
                    """, arguments: [cursor.source, cursor.position, now.timeIntervalSince1970])
            }
        }
    }

    // MARK: series

    public struct PendingSeries: Sendable {
        public var key: String
        public var total: Int
        public var subject: String?
        public var baseCommit: String?
        public var firstSeen: Date
        /// (number, message key, raw mail), by number.
        public var patches: [(number: Int, key: String, raw: [UInt8])]
    }

    /// Series still waiting, in the order they arrived, with the patches read so far.
    public func pendingSeries() throws -> [PendingSeries] {
        try db.read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM series WHERE status = 'pending' ORDER BY first_seen, rowid")
            return try rows.map { row in
                let key: String = row["key"]
                let patches = try Row.fetchAll(db, sql: """
                    SELECT key, number, raw FROM messages WHERE series = ? AND kind = 'patch' ORDER BY number, seen, key
                    """, arguments: [key]).map { patch in
                    (number: (patch["number"] as Int?) ?? 1, key: patch["key"] as String,
                     raw: [UInt8]((patch["raw"] as Data?) ?? Data()))
                }
                return PendingSeries(key: key, total: row["total"], subject: row["subject"],
                                     baseCommit: row["base_commit"],
                                     firstSeen: Date(timeIntervalSince1970: row["first_seen"]), patches: patches)
            }
        }
    }

    public struct NewReply: Sendable {
        public var messageID: String
        public var inReplyTo: String?
        public var kind: String
        public var file: String
        public var data: [UInt8]
    }

    /// The record step: the series' result and its replies, in one
    /// transaction. From here on a restart publishes these replies and never
    /// checks the series again.
    public func record(series: String, status: String, reason: String?, tree: String?, replies: [NewReply], now: Date) throws {
        try db.write { db in
            try db.execute(sql: "UPDATE series SET status = ?, reason = ?, checked_tree = ?, checked = ? WHERE key = ?",
                           arguments: [status, reason, tree, now.timeIntervalSince1970, series])
            try db.execute(sql: "UPDATE messages SET raw = NULL WHERE series = ?", arguments: [series])
            for reply in replies {
                try db.execute(sql: """
                    INSERT OR IGNORE INTO replies (message_id, series, in_reply_to, kind, file, data, state, recorded)
                    VALUES (?, ?, ?, ?, ?, ?, 'recorded', ?)
                    """, arguments: [reply.messageID, series, reply.inReplyTo, reply.kind, reply.file,
                                     Data(reply.data), now.timeIntervalSince1970])
            }
        }
    }

    public struct UnpublishedReply: Sendable {
        public var messageID: String
        public var file: String
        public var data: [UInt8]
    }

    public func unpublished() throws -> [UnpublishedReply] {
        try db.read { db in
            try Row.fetchAll(db, sql: "SELECT message_id, file, data FROM replies WHERE state = 'recorded' ORDER BY recorded, file")
                .map { UnpublishedReply(messageID: $0["message_id"], file: $0["file"], data: [UInt8]($0["data"] as Data)) }
        }
    }

    public func markPublished(_ messageID: String, now: Date) throws {
        try db.write { db in
            try db.execute(sql: "UPDATE replies SET state = 'published', published = ? WHERE message_id = ?",
                           arguments: [now.timeIntervalSince1970, messageID])
        }
    }

    /// True before the first message or cursor is recorded.
    public func isFresh() throws -> Bool {
        try db.read { db in
            try Int.fetchOne(db, sql: "SELECT (SELECT count(*) FROM messages) + (SELECT count(*) FROM cursors)") == 0
        }
    }

    // MARK: for `--status` and tests

    public struct Counts: Sendable, CustomStringConvertible {
        public var messages: [String: Int]
        public var series: [String: Int]
        public var replies: [String: Int]
        public var description: String {
            func line(_ name: String, _ counts: [String: Int]) -> String {
                name + ": " + (counts.isEmpty ? "none" : counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
                    .joined(separator: ", "))
            }
            return [line("messages", messages), line("series", series), line("replies", replies)].joined(separator: "\n")
        }
    }

    public func counts() throws -> Counts {
        try db.read { db in
            func group(_ sql: String) throws -> [String: Int] {
                Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: sql).map { ($0[0] as String, $0[1] as Int) })
            }
            return Counts(messages: try group("SELECT kind, count(*) FROM messages GROUP BY kind"),
                          series: try group("SELECT status, count(*) FROM series GROUP BY status"),
                          replies: try group("SELECT state, count(*) FROM replies GROUP BY state"))
        }
    }

    /// Series that were not checked clean, with why: apply failures, files
    /// that could not be analysed, rejected input.
    public func problems() throws -> [(series: String, status: String, reason: String)] {
        try db.read { db in
            try Row.fetchAll(db, sql: """
                SELECT coalesce(subject, key) AS name, status, coalesce(reason, '') AS reason FROM series
                WHERE status NOT IN ('pending', 'clean', 'findings') OR (status = 'findings' AND reason IS NOT NULL)
                ORDER BY checked
                """).map { ($0["name"], $0["status"], $0["reason"]) }
        }
    }
}

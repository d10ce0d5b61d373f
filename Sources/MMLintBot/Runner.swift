import Foundation
import MMLintCheck
import MMLintCore
import MMLintEngine
import MMLintPatch

/// How the bot runs.
public struct BotConfiguration: Sendable {
    /// The git checkout patches are checked against (absolute).
    public var tree: String
    public var jobs: Int
    public var kernelVersion: KernelVersion?
    /// `--compile-commands`; else each checked tree's own compile_commands.json when it has one.
    public var compileDatabase: CompileDatabase?
    public var limits: PatchLimits
    /// How long a series may wait for its missing patches before it is checked as it is.
    public var seriesWait: TimeInterval
    public var explainApplyFailures: Bool
    public var review: ReviewOptions
    /// Where temporary worktrees (a series' base commit) are made; emptied at start.
    public var worktrees: String
    /// The facts of the tree's unpatched files, shared by every check.
    public var cache: FactCache?
    /// Where kbuild's cached commands are looked up (`CheckOptions.kbuildCache`).
    public var kbuildCache: String?
    /// `CheckOptions.memoryBudget`.
    public var memoryBudget: Int?

    public init(tree: String, jobs: Int, kernelVersion: KernelVersion?, compileDatabase: CompileDatabase?,
                limits: PatchLimits, seriesWait: TimeInterval, explainApplyFailures: Bool,
                review: ReviewOptions, worktrees: String, cache: FactCache? = nil, kbuildCache: String? = nil,
                memoryBudget: Int? = nil) {
        self.memoryBudget = memoryBudget
        self.tree = tree
        self.jobs = jobs
        self.kernelVersion = kernelVersion
        self.compileDatabase = compileDatabase
        self.limits = limits
        self.seriesWait = seriesWait
        self.explainApplyFailures = explainApplyFailures
        self.review = review
        self.worktrees = worktrees
        self.cache = cache
        self.kbuildCache = kbuildCache
    }
}

/// The test-only crash switch: `MMLINT_TEST_BOT_KILL=STEP[:N]` sends the
/// process SIGKILL the Nth time (default 1st) it reaches STEP, one of
/// `ingest` (a batch of messages recorded), `checked` (a series checked,
/// nothing written), `write` (its replies staged), `record` (its result and
/// replies committed), `publish` (one reply published, not yet marked).
enum CrashSwitch {
    static let steps = ["ingest", "checked", "write", "record", "publish"]
    static let plan: (step: String, count: Int)? = {
        guard let value = ProcessInfo.processInfo.environment["MMLINT_TEST_BOT_KILL"], !value.isEmpty else { return nil }
        let parts = value.split(separator: ":")
        return (String(parts[0]), parts.count > 1 ? Int(parts[1]) ?? 1 : 1)
    }()
    nonisolated(unsafe) static var reached = 0

    static func at(_ step: String) {
        guard let plan, plan.step == step else { return }
        reached += 1
        if reached == plan.count { kill(getpid(), SIGKILL) }
    }
}

/// The bot: reads what is new in the inbox, checks each complete series,
/// and publishes a reply per patch with new findings, each exactly once
/// (docs/bot.md: write, record, publish).
public final class BotRunner {
    let inbox: any Inbox
    let outbox: any Outbox
    let state: BotState
    let engine: Engine
    let configuration: BotConfiguration
    let log: (String) -> Void
    var firstReply: Date?
    var checkoutDatabase: CompileDatabase?
    var checkoutDatabaseRead = false

    public init(inbox: any Inbox, outbox: any Outbox, state: BotState, engine: Engine,
                configuration: BotConfiguration, log: @escaping (String) -> Void) {
        self.inbox = inbox
        self.outbox = outbox
        self.state = state
        self.engine = engine
        self.configuration = configuration
        self.log = log
    }

    /// What one pass did.
    public struct Pass: Sendable {
        public var messages = 0
        public var series = 0
        public var published = 0
    }

    /// One pass: replies recorded earlier published, new mail taken in, every
    /// series that is ready checked and answered. `stop` is asked between steps.
    public func pass(now: () -> Date = Date.init, stop: () -> Bool = { false }) throws -> Pass {
        var pass = Pass()
        pass.published += try publishRecorded()
        pass.messages += try ingest(stop: stop)
        for series in try state.pendingSeries() {
            if stop() { break }
            let numbers = Set(series.patches.map(\.number))
            let complete = (1...series.total).allSatisfy(numbers.contains)
            guard complete || now().timeIntervalSince(series.firstSeen) >= configuration.seriesWait else { continue }
            if series.patches.isEmpty {
                // A cover letter whose patches never came.
                try state.record(series: series.key, status: "empty", reason: "a cover letter without patches",
                                 tree: nil, replies: [], now: now())
                continue
            }
            guard try check(series, complete: complete, now: now(), stop: stop) else { break }
            pass.series += 1
            pass.published += try publishRecorded()
        }
        return pass
    }

    /// First run only: takes what the inbox holds now as read, without
    /// checking it, so that a bot set on a years-old archive starts with
    /// what arrives next.
    public func startAtEnd() throws {
        guard try state.isFresh() else { return }
        if let v2 = inbox as? PublicInboxV2 {
            for tip in try v2.tips() {
                try state.ingest([], cursor: (tip.source, tip.commit), now: Date())
            }
        } else {
            while let batch = try inbox.next(state: state, limit: 4096, maxBytes: configuration.limits.mailBytes),
                  !batch.messages.isEmpty {
                try state.ingest(batch.messages.map { BotState.SeenMessage(key: $0.key, kind: "skipped") },
                                 cursor: batch.cursor, now: Date())
            }
        }
        log("started at the end of \(inbox.description): what it held is taken as read")
    }

    /// Removes worktrees a killed run left behind.
    public func cleanUp() {
        try? FileManager.default.removeItem(atPath: configuration.worktrees)
        _ = try? runGit(["-C", configuration.tree, "worktree", "prune"])
    }

    // MARK: reading

    func ingest(stop: () -> Bool) throws -> Int {
        var count = 0
        while !stop(), let batch = try inbox.next(state: state, limit: 256, maxBytes: configuration.limits.mailBytes) {
            let seen = batch.messages.map { Classifier.classify($0, limits: configuration.limits) }
            for message in seen where message.kind == "bad" {
                log("skipped a bad message (\(message.key)): \(message.note ?? "unreadable")")
            }
            try state.ingest(seen, cursor: batch.cursor, now: Date())
            CrashSwitch.at("ingest")
            count += seen.count
            if batch.messages.isEmpty && batch.cursor == nil { break }
        }
        return count
    }

    // MARK: checking

    /// False when a stop was asked for during the check: its result is not
    /// recorded (a SIGTERM to the whole process group may have ended parse
    /// workers, and a check that lost them must not pass for a result), and
    /// the series is checked again by the next run.
    @discardableResult
    func check(_ pending: BotState.PendingSeries, complete: Bool, now: Date, stop: () -> Bool = { false }) throws -> Bool {
        let name = pending.subject ?? pending.key
        var series = PatchSeries()
        var used = Set<Int>()
        var notes: [String] = []
        for entry in pending.patches where used.insert(entry.number).inserted {
            do {
                series.patches += try PatchReader.read(entry.raw, name: entry.key, limits: configuration.limits).patches
            } catch {
                try state.record(series: pending.key, status: "error", reason: error.description, tree: nil, replies: [], now: now)
                log("\(name): not checked: \(error.description)")
                return true
            }
        }
        if !complete {
            let missing = (1...pending.total).filter { !used.contains($0) }
            notes.append("checked incomplete after waiting: missing " + missing.map { "\($0)/\(pending.total)" }.joined(separator: ", "))
        }

        // The tree at the series' base when the checkout has that commit.
        var root = Paths.normalize(configuration.tree)
        var worktree: String?
        var treeName = "the tree's checkout"
        if let base = pending.baseCommit {
            if (try? runGit(["-C", configuration.tree, "cat-file", "-e", base + "^{commit}"])) != nil {
                let dir = configuration.worktrees + "/" + outboxFileName(messageID: pending.key).dropLast(4)
                do {
                    try FileManager.default.createDirectory(atPath: configuration.worktrees, withIntermediateDirectories: true)
                    try runGit(["-C", configuration.tree, "worktree", "add", "--detach", "--quiet", dir, base])
                    worktree = dir
                    root = Paths.normalize(dir)
                    treeName = "base-commit \(base)"
                } catch {
                    notes.append("base-commit \(base): no worktree (\(error)); checked against the tree's checkout")
                }
            } else {
                notes.append("base-commit \(base) is not in the tree; checked against the tree's checkout")
            }
        }
        defer {
            if let worktree {
                if (try? runGit(["-C", configuration.tree, "worktree", "remove", "--force", worktree])) == nil {
                    try? FileManager.default.removeItem(atPath: worktree)
                    _ = try? runGit(["-C", configuration.tree, "worktree", "prune"])
                }
            }
        }

        let database = configuration.compileDatabase ?? compileDatabase(of: root, isCheckout: worktree == nil)
        let result: CheckResult
        do {
            result = try PatchCheck.run(series, engine: engine, options: CheckOptions(
                tree: root, compileDatabase: database, jobs: configuration.jobs, kernelVersion: configuration.kernelVersion,
                // A base commit's worktree is gone after this series: its
                // files' facts would only fill the cache.
                cache: worktree == nil ? configuration.cache : nil, kbuildCache: configuration.kbuildCache,
                memoryBudget: configuration.memoryBudget))
        } catch {
            if stop() { return false }
            CrashSwitch.at("checked")
            let reason = (notes + [error.description]).joined(separator: "; ")
            var replies: [BotState.NewReply] = []
            if case .patch = error {
                if configuration.explainApplyFailures, let first = series.patches.first {
                    replies.append(applyFailureNote(to: first, reason: error.description, tree: treeName, date: now))
                }
                log("\(name): does not apply (\(treeName)): \(error.description)")
            } else {
                log("\(name): refused: \(error.description)")
            }
            try stageRecord(pending.key, status: error.isApplyFailure ? "apply-failed" : "rejected",
                            reason: reason, tree: treeName, replies: replies, now: now)
            return true
        }
        if stop() {
            log("\(name): interrupted; it is checked again on the next run")
            return false
        }
        CrashSwitch.at("checked")

        var review = configuration.review
        review.date = now
        let replies = ReviewWriter.replies(for: result, root: root, options: review).map { reply in
            let id = Self.header("Message-ID", in: reply.data) ?? "<mmlint-\(pending.key.hashValue)@localhost>"
            let patch = series.patches.indices.contains(reply.number - 1) ? series.patches[reply.number - 1] : nil
            return BotState.NewReply(messageID: id, inReplyTo: patch?.messageID, kind: "review",
                                     file: outboxFileName(messageID: id), data: reply.data)
        }
        // Fail closed: a series none of whose patches has findings is clean
        // only when everything was analysed; any warning (a file that could
        // not be parsed, a guess about flags) leaves it "unverified", with why.
        var reasons = notes + result.warnings
        reasons += result.failures.map { "could not be analysed: \($0)" }
        if result.mode == .hunkOnly { reasons.append("checked hunk by hunk: the files are not in the tree") }
        let status = !replies.isEmpty ? "findings" : (reasons.isEmpty ? "clean" : "unverified")
        try stageRecord(pending.key, status: status, reason: reasons.isEmpty ? nil : reasons.joined(separator: "; "),
                        tree: treeName, replies: replies, now: now)
        log("\(name): \(status), \(result.findings.count) finding\(result.findings.count == 1 ? "" : "s"), "
            + "\(replies.count) repl\(replies.count == 1 ? "y" : "ies")"
            + (reasons.isEmpty ? "" : " (" + reasons.joined(separator: "; ") + ")"))
        return true
    }

    /// The tree's own compile_commands.json, read once for the checkout (a
    /// whole kernel's is tens of MiB), afresh for each temporary worktree.
    func compileDatabase(of root: String, isCheckout: Bool) -> CompileDatabase? {
        if isCheckout && checkoutDatabaseRead { return checkoutDatabase }
        let candidate = root + "/compile_commands.json"
        let database = FileManager.default.fileExists(atPath: candidate) ? try? CompileDatabase(at: candidate) : nil
        if isCheckout { (checkoutDatabase, checkoutDatabaseRead) = (database, true) }
        return database
    }

    /// Write, then record: the staged replies become real only with the
    /// transaction that records the series as checked.
    func stageRecord(_ key: String, status: String, reason: String?, tree: String, replies: [BotState.NewReply], now: Date) throws {
        for reply in replies {
            try outbox.stage(.init(messageID: reply.messageID, file: reply.file, data: reply.data))
        }
        CrashSwitch.at("write")
        try state.record(series: key, status: status, reason: reason, tree: tree, replies: replies, now: now)
        CrashSwitch.at("record")
    }

    /// Publishes every reply recorded and not yet marked published. Safe to
    /// repeat: the outbox knows a reply it already holds by its file name.
    func publishRecorded() throws -> Int {
        var count = 0
        for reply in try state.unpublished() {
            try outbox.publish(reply)
            CrashSwitch.at("publish")
            try state.markPublished(reply.messageID, now: Date())
            if firstReply == nil { firstReply = Date() }
            log("published \(reply.messageID) to \(outbox.description)")
            count += 1
        }
        return count
    }

    /// When the first reply of this process was published.
    public var firstReplyDate: Date? { firstReply }

    // MARK: mail

    /// A short reply saying the series was not checked because it does not apply.
    func applyFailureNote(to patch: Patch, reason: String, tree: String, date: Date) -> BotState.NewReply {
        let review = configuration.review
        let original = patch.fullSubject ?? patch.subject ?? "your patch"
        let subject = original.lowercased().hasPrefix("re:") ? original : "Re: " + original
        var hash = FNV1a()
        hash.add(patch.messageID ?? original)
        hash.add("apply-failure")
        let reviewer = Classifier.address(in: review.from)
        let domain = reviewer.split(separator: "@").last.map(String.init) ?? "localhost"
        let id = "<mmlint-apply-\(hash.hex)@\(domain)>"
        var headers = ["From: \(review.from)"]
        if let author = patch.from { headers.append("To: \(author)") }
        let cc = (patch.to + patch.cc).filter { Classifier.address(in: $0) != reviewer }
        if !cc.isEmpty { headers.append("Cc: " + cc.joined(separator: ",\n    ")) }
        headers.append("Subject: \(subject)")
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        headers.append("Date: " + formatter.string(from: date))
        headers.append("Message-ID: \(id)")
        if let parent = patch.messageID {
            headers.append("In-Reply-To: \(parent)")
            headers.append("References: " + (patch.references + [parent]).joined(separator: "\n    "))
        }
        headers += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit"]
        var body = "mmlint could not check this series for mm API misuse: it does not apply to \(tree).\n\n"
        body += Prose.wrap(reason, width: 72) + "\n"
        if let signOff = review.signOff, !signOff.isEmpty { body += "\n" + signOff + "\n" }
        let data = Array((headers.joined(separator: "\n") + "\n\n" + body).utf8)
        return BotState.NewReply(messageID: id, inReplyTo: patch.messageID, kind: "apply-failure",
                                 file: outboxFileName(messageID: id), data: data)
    }

    /// The first value of a header field of a message (unfolded lines not needed: ours are one line).
    static func header(_ name: String, in data: [UInt8]) -> String? {
        let prefix = Array((name + ": ").utf8)
        for line in data.split(separator: 0x0A, omittingEmptySubsequences: false) {
            if line.isEmpty { return nil }
            if line.starts(with: prefix) { return String(decoding: line.dropFirst(prefix.count), as: UTF8.self) }
        }
        return nil
    }
}

extension CheckError {
    var isApplyFailure: Bool {
        if case .patch = self { return true }
        return false
    }
}

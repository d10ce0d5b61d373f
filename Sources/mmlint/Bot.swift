import ArgumentParser
import Foundation
import MMLintBot
import MMLintCheck
import MMLintCore
import MMLintEngine
import Synchronization

/// Set by SIGTERM or SIGINT: the loop finishes the series it is on and stops.
let botStopRequested = Atomic<Bool>(false)

/// `mmlint bot`: watches a list archive and answers each patch that adds mm
/// API misuse, once.
struct Bot: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Review a mailing list's patches as they arrive (public-inbox v2 inbox or Maildir), each once.",
        discussion: """
            Reads the messages new since the last run, groups patches into series (waiting for all \
            n/m), checks each series as `check` does against --tree (at the series' base-commit when \
            the checkout has it), and writes a reply as `review` does for each patch with new findings, \
            into the --outbox Maildir or through --sendmail. State (messages seen, series results, \
            replies) is kept in the SQLite database --state; a restart, even after SIGKILL, neither \
            repeats nor loses a reply (docs/bot.md). SIGTERM stops the loop after the current series.
            """)

    @Option(help: "A public-inbox v2 inbox (the folder holding git/0.git …) or a Maildir.")
    var inbox: String?

    @Option(help: "The git checkout of the kernel the patches are checked against.")
    var tree: String?

    @Option(help: "The bot's state database (SQLite), created if missing.")
    var state: String

    @Option(help: "Write replies into this Maildir (tmp/ then new/).")
    var outbox: String?

    @Option(help: "Hand each reply to this command on standard input, run by /bin/sh (e.g. \"msmtp -t\").")
    var sendmail: String?

    @Flag(help: "Handle what is new, then exit.")
    var once = false

    @Option(help: "Seconds between two looks at the inbox.")
    var interval: Double = 60

    @Option(name: .customLong("series-wait"), help: "Seconds a series may wait for its missing patches before it is checked as it is.")
    var seriesWait: Double = 3600

    @Flag(name: .customLong("explain-apply-failures"), help: "Answer a series that does not apply with a short note saying so.")
    var explainApplyFailures = false

    @Option(help: "The reviewer, \"Name <address>\" (default: git's user.name and user.email in the tree).")
    var from: String?

    @Option(name: .customLong("sign-off"), help: "The line under the comments (default: the reviewer's first name; \"\" for none).")
    var signOff: String?

    @Flag(name: .customLong("start-at-end"), help: "On the first run (empty state), take what the inbox already holds as read.")
    var startAtEnd = false

    @Flag(name: .customLong("status"), help: "Print what the state database holds, and exit.")
    var status = false

    @OptionGroup var analysis: AnalysisArguments

    @OptionGroup var factCache: FactCacheOptions

    @OptionGroup var limits: LimitOptions

    func validate() throws {
        if !status && (outbox == nil) == (sendmail == nil) {
            throw ValidationError("give one of --outbox MAILDIR or --sendmail COMMAND")
        }
        if !status && (inbox == nil || tree == nil) {
            throw ValidationError("give --inbox PATH and --tree PATH")
        }
        guard interval > 0, seriesWait >= 0 else { throw ValidationError("--interval must be positive, --series-wait not negative") }
    }

    func run() throws {
        do {
            let database = try BotState(path: state)
            if status {
                print(try database.counts())
                for problem in try database.problems() { print("\(problem.status): \(problem.series): \(problem.reason)") }
                return
            }
            let tree = self.tree!
            let root = Paths.normalize(tree)
            guard (try? Git.run(["rev-parse", "--git-dir"], in: root)) != nil else {
                throw EngineError.input("--tree \(tree): not a git checkout")
            }
            let reviewer = try from ?? gitIdentity(root: root, asking: "who is the bot?")
            let engine = try analysis.engine(root: root)
            let source = try openInbox(inbox!)
            let sink: any Outbox = try outbox.map { try MaildirOutbox(path: Paths.normalize($0)) }
                ?? SendmailOutbox(command: sendmail!)
            let configuration = BotConfiguration(
                tree: root, jobs: analysis.jobs, kernelVersion: analysis.version,
                compileDatabase: try analysis.compileCommands.map { try CompileDatabase(at: $0) },
                limits: try limits.resolved().patch, seriesWait: seriesWait,
                explainApplyFailures: explainApplyFailures,
                review: ReviewOptions(from: reviewer, signOff: signOff ?? ReviewWriterNames.firstName(of: reviewer)),
                worktrees: Paths.normalize(state) + ".worktrees", cache: factCache.cache(for: engine),
                kbuildCache: analysis.kbuildCache, memoryBudget: analysis.memoryBudget)
            let runner = BotRunner(inbox: source, outbox: sink, state: database, engine: engine,
                                   configuration: configuration, log: { printError("mmlint bot: " + $0) })
            for signal in [SIGTERM, SIGINT] {
                Glibc.signal(signal) { _ in botStopRequested.store(true, ordering: .relaxed) }
            }
            runner.cleanUp()
            if startAtEnd { try runner.startAtEnd() }
            printError("mmlint bot: reading \(source.description), replying to \(sink.description)")
            let stop = { botStopRequested.load(ordering: .relaxed) }
            while true {
                let started = Date()
                let pass = try runner.pass(stop: stop)
                if pass.messages + pass.series + pass.published > 0 {
                    printError("mmlint bot: \(pass.messages) new message\(pass.messages == 1 ? "" : "s"), "
                               + "\(pass.series) series checked, \(pass.published) repl\(pass.published == 1 ? "y" : "ies") published "
                               + String(format: "(%.1f s)", Date().timeIntervalSince(started)))
                }
                if once || stop() { break }
                let wake = Date().addingTimeInterval(interval)
                while Date() < wake && !stop() { usleep(200_000) }
                if stop() { break }
            }
            if stop() { printError("mmlint bot: stopped") }
        } catch let error as CustomStringConvertible & Error {
            printError("mmlint bot: " + error.description)
            throw ExitCode(Status.error.rawValue)
        }
    }
}

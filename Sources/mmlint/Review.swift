import ArgumentParser
import Foundation
import MMLintCheck
import MMLintCore
import MMLintEngine
import MMLintPatch
import MMLintReporters
import MMLintSupport

/// `mmlint review`: drafts the reply a kernel reviewer would send to a patch
/// mail, one per patch with new findings. Never sends anything.
struct Review: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draft review replies (quoted patch, comment under each offending line) for patch mails.",
        discussion: """
            Input: a patch mail or a series (mbox, .eml, b4 am or git format-patch output, or -). \
            Output: an mbox on stdout, or with -o DIR one .eml per reply, named to sort in \
            series order. Exit status: 0 no reply needed, 1 replies written, 2 input errors \
            or a file that could not be analysed (the replies found are written first).
            """)

    @OptionGroup var input: PatchInput

    @Option(help: "The reviewer, \"Name <address>\" (default: git's user.name and user.email).")
    var from: String?

    @Option(name: .customLong("sign-off"), help: "The line under the comments (default: the reviewer's first name; \"\" for none).")
    var signOff: String?

    @Option(name: .shortAndLong, help: "Write one .eml per reply into this folder instead of an mbox on stdout.")
    var output: String?

    @Flag(name: .shortAndLong, help: "No summary line on stderr.")
    var quiet = false

    @Flag(help: "Show under each comment the diff that fixes it, when mmlint fix has one (\"something like this, untested\").")
    var fix = false

    func run() throws {
        try exitWithStatus(of: {
            let (engine, root, _, result) = try input.check()
            let fixes = fix ? try FollowUpFix.suggestions(result, engine: engine, root: root, input: input) : [:]
            let reviewer = try from ?? gitIdentity(root: root, asking: "who is reviewing?")
            let firstName = ReviewWriterNames.firstName(of: reviewer)
            // SOURCE_DATE_EPOCH (reproducible builds' convention) pins the date.
            let date = ProcessInfo.processInfo.environment["SOURCE_DATE_EPOCH"].flatMap(TimeInterval.init)
                .map { Date(timeIntervalSince1970: $0) } ?? Date()
            let replies = ReviewWriter.replies(for: result, root: root, options: ReviewOptions(
                from: reviewer, signOff: signOff ?? firstName, date: date, fixes: fixes))
            if let output {
                try write(replies, to: output)
            } else {
                FileHandle.standardOutput.write(Data(ReviewWriter.mboxData(replies, date: date)))
            }
            // A patch with no reply is not one that looks fine when a file it
            // touches could not be analysed: say which, and exit 2.
            for failure in result.failures {
                printError("mmlint: error: " + Report.failureLine(file: Paths.relative(failure.file, to: root),
                                                                  version: failure.version, cause: failure.cause))
            }
            if !quiet {
                printError("mmlint: \(replies.count) repl\(replies.count == 1 ? "y" : "ies") for "
                           + "\(result.outcomes.count) patch\(result.outcomes.count == 1 ? "" : "es") "
                           + "(\(result.findings.count) finding\(result.findings.count == 1 ? "" : "s"), "
                           + "\(result.mode.rawValue) mode"
                           + (result.isComplete ? "" : "; incomplete: \(result.failures.count) could not be analysed") + ")")
            }
            return !result.isComplete ? .error : replies.isEmpty ? .clean : .findings
        })
    }

    /// Each reply written under a temporary name, then renamed: a reader never
    /// sees half a file, and nothing is written outside `dir`.
    func write(_ replies: [ReviewReply], to dir: String) throws(EngineError) {
        let fm = FileManager.default
        do {
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        } catch {
            throw .input("\(dir): cannot create the output folder: \(error.localizedDescription)")
        }
        for reply in replies {
            let name = ReviewWriter.fileName(for: reply)
            let final = (dir as NSString).appendingPathComponent(name)
            if let problem = AtomicFile.write(reply.data, to: final) {
                throw .input("\(final): cannot write the reply: \(problem)")
            }
            if !quiet { printError("mmlint: wrote \(final)") }
        }
    }
}

/// `Name <address>` from git's user.name and user.email at `root`; a usage
/// error that asks `question` when either is unset.
func gitIdentity(root: String, asking question: String) throws(EngineError) -> String {
    let name = (try? Git.run(["config", "user.name"], in: root)).map { String(decoding: $0, as: UTF8.self) }
    let email = (try? Git.run(["config", "user.email"], in: root)).map { String(decoding: $0, as: UTF8.self) }
    guard let name = name?.trimmingCharacters(in: .whitespacesAndNewlines), !name.isEmpty,
          let email = email?.trimmingCharacters(in: .whitespacesAndNewlines), !email.isEmpty else {
        throw .usage("\(question) pass --from \"Name <address>\" or set git's user.name and user.email")
    }
    return "\(name) <\(email)>"
}

enum ReviewWriterNames {
    /// `Ada Reviewer <ada@example.org>` → `Ada`.
    static func firstName(of mailbox: String) -> String? {
        let name = mailbox.split(separator: "<").first.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " \"")) }
        return name?.split(separator: " ").first.map(String.init)
    }
}

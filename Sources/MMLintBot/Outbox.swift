import Foundation
import MMLintCore
import MMLintSupport

/// Where replies go. `stage` happens before the reply is recorded, `publish`
/// after; `publish` must be safe to repeat for a reply whose earlier publish
/// may or may not have happened (a restart after SIGKILL).
public protocol Outbox {
    func stage(_ reply: BotState.UnpublishedReply) throws
    func publish(_ reply: BotState.UnpublishedReply) throws
    var description: String { get }
}

public enum OutboxError: Error, CustomStringConvertible {
    case failed(String)
    public var description: String {
        switch self { case .failed(let message): message }
    }
}

/// The outbox file name of a reply: derived from its Message-ID alone, so
/// that a second publish of the same reply finds the first.
public func outboxFileName(messageID: String) -> String {
    var hash = FNV1a()
    hash.add(messageID)
    var second = FNV1a()
    second.add("mmlint-bot")
    second.add(messageID)
    return "mmlint-\(hash.hex)\(second.hex).eml"
}

/// A Maildir: the reply written whole into `tmp/`, then renamed into
/// `new/`, as every Maildir reader expects. Published means: a file of
/// that name is in `new/`, or in `cur/` with flags after a colon (a mail
/// reader moved it there).
public struct MaildirOutbox: Outbox {
    public let path: String
    public var description: String { "Maildir \(path)" }

    public init(path: String) throws {
        self.path = path
        for folder in ["", "/tmp", "/new", "/cur"] {
            do {
                try FileManager.default.createDirectory(atPath: path + folder, withIntermediateDirectories: true)
            } catch {
                throw OutboxError.failed("--outbox \(path): cannot create \(path + folder): \(error.localizedDescription)")
            }
        }
    }

    func isPublished(_ name: String) -> Bool {
        if access(path + "/new/" + name, F_OK) == 0 || access(path + "/cur/" + name, F_OK) == 0 { return true }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path + "/cur")) ?? []
        return names.contains { $0.hasPrefix(name + ":") }
    }

    public func stage(_ reply: BotState.UnpublishedReply) throws {
        try write(reply.data, to: path + "/tmp/" + reply.file)
    }

    public func publish(_ reply: BotState.UnpublishedReply) throws {
        if isPublished(reply.file) { return }
        let staged = path + "/tmp/" + reply.file
        // The staged file is written again from the recorded bytes unless it
        // holds exactly them: a restart may find it missing or stale.
        if FileManager.default.contents(atPath: staged).map({ [UInt8]($0) }) != reply.data {
            try write(reply.data, to: staged)
        }
        guard rename(staged, path + "/new/" + reply.file) == 0 else {
            throw OutboxError.failed("\(staged): cannot move into \(path)/new: \(String(cString: strerror(errno)))")
        }
        AtomicFile.syncFolder(path + "/new")
        AtomicFile.syncFolder(path + "/tmp")
    }

    func write(_ bytes: [UInt8], to file: String) throws {
        if let failure = AtomicFile.writeSynced(bytes, to: file) {
            throw OutboxError.failed("\(file): cannot write: \(failure)")
        }
    }
}

/// A sendmail-style command (`msmtp -t`, `sendmail -t`, run by /bin/sh)
/// that reads the reply on standard input and exits 0 once it has taken it.
/// A command cannot be asked whether it already sent a message: a SIGKILL
/// after it exits 0 and before the bot records that may send the reply
/// again on restart, with the same Message-ID (docs/bot.md).
public struct SendmailOutbox: Outbox {
    public let command: String
    public var description: String { "sendmail command \"\(command)\"" }

    public init(command: String) { self.command = command }

    public func stage(_ reply: BotState.UnpublishedReply) throws {}

    public func publish(_ reply: BotState.UnpublishedReply) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        let input = Pipe()
        process.standardInput = input
        do {
            try process.run()
        } catch {
            throw OutboxError.failed("--sendmail \(command): cannot run: \(error.localizedDescription)")
        }
        // A command that exits without reading must not kill the bot with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        // A write error shows as the command's failure below.
        _ = AtomicFile.writeAll(reply.data, to: input.fileHandleForWriting.fileDescriptor)
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            throw OutboxError.failed("--sendmail \(command): exited with status \(process.terminationStatus) for \(reply.messageID)")
        }
    }
}

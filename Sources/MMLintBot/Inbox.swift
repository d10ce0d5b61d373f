import Foundation

/// One message as the inbox holds it.
public struct InboxMessage: Sendable {
    /// Stable across restarts and history rewrites: `blob:<oid>` for a v2
    /// inbox (the message's content), `maildir:<unique name>` for a Maildir.
    public var key: String
    /// The mail, or nil with `problem` set when it was not read (over the size limit).
    public var data: [UInt8]?
    public var problem: String?
}

/// A batch of new messages and where reading them left the inbox.
public struct InboxBatch: Sendable {
    public var messages: [InboxMessage]
    /// What to record once the batch is taken in (a v2 epoch and its last commit read).
    public var cursor: (source: String, position: String)?
}

/// Where the bot reads mail from.
public protocol Inbox {
    /// The next messages not yet taken in, in the inbox's order, at most `limit`.
    func next(state: BotState, limit: Int, maxBytes: Int) throws -> InboxBatch?
    var description: String { get }
}

public enum InboxError: Error, CustomStringConvertible {
    case unusable(String)
    public var description: String {
        switch self { case .unusable(let message): message }
    }
}

/// Opens `path` as a public-inbox v2 inbox (`git/N.git` epochs) or a Maildir (`cur/`, `new/`).
public func openInbox(_ path: String) throws -> any Inbox {
    let fm = FileManager.default
    var isDirectory: ObjCBool = false
    guard fm.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
        throw InboxError.unusable("--inbox \(path): no such folder")
    }
    if fm.fileExists(atPath: path + "/git") { return PublicInboxV2(path: path) }
    if fm.fileExists(atPath: path + "/new") && fm.fileExists(atPath: path + "/cur") { return MaildirInbox(path: path) }
    throw InboxError.unusable("--inbox \(path): neither a public-inbox v2 inbox (no git/ folder of epochs) "
                              + "nor a Maildir (no cur/ and new/); a v1 inbox can be converted with public-inbox-convert")
}

/// A public-inbox v2 inbox: epochs `git/0.git`, `git/1.git`, … each a bare
/// repository whose commits each add one message as the blob `m` (or delete
/// one, with `d`). Read oldest epoch first, each from the commit after the
/// last one recorded.
public final class PublicInboxV2: Inbox {
    public let path: String
    public var description: String { "public-inbox v2 inbox \(path)" }
    /// Commits listed but not yet read, and after which commit they start:
    /// one `git rev-list` per epoch and pass, however many batches follow.
    var listed: (source: String, after: String?, commits: ArraySlice<String>)?

    public init(path: String) { self.path = path }

    func epochs() -> [(number: Int, path: String)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path + "/git")) ?? []
        return names.compactMap { name -> (Int, String)? in
            guard name.hasSuffix(".git"), let number = Int(name.dropLast(4)) else { return nil }
            return (number, path + "/git/" + name)
        }.sorted { $0.0 < $1.0 }
    }

    public func next(state: BotState, limit: Int, maxBytes: Int) throws -> InboxBatch? {
        for epoch in epochs() {
            let source = "git/\(epoch.number).git"
            let last = try state.cursor(source)
            var commits: ArraySlice<String>
            if let listed, listed.source == source, listed.after == last {
                commits = listed.commits
            } else {
                commits = try newCommits(epoch.path, after: last)[...]
            }
            guard !commits.isEmpty else { continue }
            let batch = commits.prefix(limit)
            listed = (source, batch.last, commits.dropFirst(batch.count))
            let reader = try BlobReader(gitDir: epoch.path)
            defer { reader.close() }
            var messages: [InboxMessage] = []
            for commit in batch {
                // A commit without `m` deletes a message (`d`): nothing to read.
                guard let blob = try reader.read(commit + ":m", maxBytes: maxBytes) else { continue }
                let key = "blob:" + blob.oid
                if let data = blob.data {
                    messages.append(InboxMessage(key: key, data: data))
                } else {
                    messages.append(InboxMessage(key: key, problem: "\(source) \(commit): a message of \(blob.size) bytes, over the mail size limit of \(maxBytes) bytes"))
                }
            }
            return InboxBatch(messages: messages, cursor: (source, batch.last!))
        }
        return nil
    }

    /// The tip of each epoch, to start reading from there.
    public func tips() throws -> [(source: String, commit: String)] {
        epochs().compactMap { epoch in
            (try? runGit(["--git-dir", epoch.path, "rev-parse", "--verify", "-q", "HEAD^{commit}"]))
                .map { ("git/\(epoch.number).git", $0) }
        }
    }

    /// Commits after `last` on the epoch's HEAD, oldest first.
    func newCommits(_ gitDir: String, after last: String?) throws -> [String] {
        guard let head = try? runGit(["--git-dir", gitDir, "rev-parse", "--verify", "-q", "HEAD^{commit}"]) else {
            return []  // an epoch without commits yet
        }
        if last == head { return [] }
        var range = head
        if let last, (try? runGit(["--git-dir", gitDir, "merge-base", "--is-ancestor", last, head])) != nil {
            range = last + ".." + head
        }
        // Else the epoch was rewritten (a purge): read it again from the
        // start; messages already seen are known by their content's key.
        let out = try runGit(["--git-dir", gitDir, "rev-list", "--reverse", range])
        return out.split(separator: "\n").map(String.init)
    }
}

/// A Maildir: every file in `new/` and `cur/`, oldest first, known by its
/// unique name (the part before `:2,…`, which a mail reader may change).
public struct MaildirInbox: Inbox {
    public let path: String
    public var description: String { "Maildir \(path)" }

    public init(path: String) { self.path = path }

    public func next(state: BotState, limit: Int, maxBytes: Int) throws -> InboxBatch? {
        let known = try state.keys(prefix: "maildir:")
        var candidates: [(mtime: Int, name: String, file: String, key: String)] = []
        for folder in ["new", "cur"] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path + "/" + folder)) ?? []
            for name in names where !name.hasPrefix(".") {
                let unique = name.split(separator: ":", maxSplits: 1).first.map(String.init) ?? name
                let key = "maildir:" + unique
                guard !known.contains(key) else { continue }
                let file = path + "/" + folder + "/" + name
                var info = stat()
                guard lstat(file, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
                candidates.append((Int(info.st_mtim.tv_sec), unique, file, key))
            }
        }
        guard !candidates.isEmpty else { return nil }
        candidates.sort { ($0.mtime, $0.name) < ($1.mtime, $1.name) }
        var messages: [InboxMessage] = []
        var keys = Set<String>()
        for candidate in candidates where keys.insert(candidate.key).inserted {
            if messages.count >= limit { break }
            messages.append(readFile(candidate.file, key: candidate.key, maxBytes: maxBytes))
        }
        return InboxBatch(messages: messages, cursor: nil)
    }

    func readFile(_ file: String, key: String, maxBytes: Int) -> InboxMessage {
        let fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return InboxMessage(key: key, problem: "\(file): cannot read (\(String(cString: strerror(errno))))") }
        defer { Glibc.close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return InboxMessage(key: key, problem: "\(file): cannot stat") }
        if Int(info.st_size) > maxBytes {
            return InboxMessage(key: key, problem: "\(file): \(info.st_size) bytes, over the mail size limit of \(maxBytes) bytes")
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count < 0 { return InboxMessage(key: key, problem: "\(file): read failed") }
            if count == 0 { break }
            bytes += chunk[..<count]
            // The file may grow after the stat: the bound holds all the same.
            if bytes.count > maxBytes {
                return InboxMessage(key: key, problem: "\(file): over the mail size limit of \(maxBytes) bytes")
            }
        }
        return InboxMessage(key: key, data: bytes)
    }
}

/// `git cat-file --batch` over one repository: one process for a whole
/// batch of messages, each read with its size known first, so an oversized
/// blob is skipped without being held.
final class BlobReader {
    let process = Process()
    let input = Pipe()
    let output = Pipe()
    var buffer: [UInt8] = []
    var position = 0

    init(gitDir: String) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "--git-dir", gitDir, "cat-file", "--batch"]
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    struct Blob {
        var oid: String
        var size: Int
        var data: [UInt8]?
    }

    /// nil when the object does not exist (a deletion commit has no `m`).
    func read(_ object: String, maxBytes: Int) throws -> Blob? {
        input.fileHandleForWriting.write(Data((object + "\n").utf8))
        let header = String(decoding: try line(), as: UTF8.self)
        let fields = header.split(separator: " ")
        if fields.count == 2 && fields[1] == "missing" || fields.count == 2 && fields[1] == "ambiguous" { return nil }
        guard fields.count == 3, fields[1] == "blob", let size = Int(fields[2]), size >= 0 else {
            throw InboxError.unusable("git cat-file: unexpected answer \"\(header)\" for \(object)")
        }
        let oid = String(fields[0])
        if size > maxBytes {
            try skip(size + 1)
            return Blob(oid: oid, size: size, data: nil)
        }
        let data = try take(size)
        _ = try take(1)  // the LF after the content
        return Blob(oid: oid, size: size, data: data)
    }

    func close() {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }

    private func fill() throws {
        if position > 0 && position == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            position = 0
        }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        let fd = output.fileHandleForReading.fileDescriptor
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw InboxError.unusable("git cat-file ended early") }
            buffer += chunk[..<count]
            return
        }
    }

    private func line() throws -> [UInt8] {
        while true {
            if let newline = buffer[position...].firstIndex(of: 0x0A) {
                let line = Array(buffer[position..<newline])
                position = newline + 1
                return line
            }
            try fill()
        }
    }

    private func take(_ count: Int) throws -> [UInt8] {
        while buffer.count - position < count { try fill() }
        let bytes = Array(buffer[position..<(position + count)])
        position += count
        if position == buffer.count { buffer.removeAll(keepingCapacity: true); position = 0 }
        return bytes
    }

    private func skip(_ count: Int) throws {
        var left = count
        while left > 0 {
            if position == buffer.count { try fill() }
            let step = min(left, buffer.count - position)
            position += step
            left -= step
            if position == buffer.count { buffer.removeAll(keepingCapacity: true); position = 0 }
        }
    }
}

/// Runs git; its standard output without the final newline, or throws with its message.
@discardableResult
func runGit(_ arguments: [String], in directory: String? = nil) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["git"] + arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    // Both pipes drained at once: a chatty stderr must not block the child.
    nonisolated(unsafe) var message = Data()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async {
        message = err.fileHandleForReading.readDataToEndOfFile()
        group.leave()
    }
    let data = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw InboxError.unusable("git \(arguments.joined(separator: " ")): "
                                  + String(decoding: message, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
    return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .newlines)
}

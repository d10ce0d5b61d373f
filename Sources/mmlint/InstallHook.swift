import ArgumentParser
import Foundation

/// `mmlint install-hook`: makes `git send-email` refuse patches that add mm
/// API misuse, through git's `sendemail-validate` hook.
struct InstallHook: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install-hook",
        abstract: "Install a git sendemail-validate hook that runs `mmlint check` on each patch.",
        discussion: """
            git send-email runs the hook on each patch before sending anything; a patch \
            with new findings, one that does not apply to the worktree, or one touching a \
            file mmlint could not analyse (parser crash or timeout) stops the send. \
            `git send-email --no-validate` bypasses it.
            """)

    @Option(help: "The git worktree (default: the one containing the current folder).")
    var tree: String?

    @Flag(help: "Replace an existing hook that mmlint did not write.")
    var force = false

    static let marker = "# installed by mmlint install-hook"

    func run() throws {
        let start = tree ?? FileManager.default.currentDirectoryPath
        let hook: String
        do {
            let output = try Git.run(["rev-parse", "--path-format=absolute", "--git-path", "hooks/sendemail-validate"], in: start)
            hook = String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        } catch {
            printError("mmlint: \(start): not in a git worktree (\(error)); run it inside the kernel checkout or pass --tree")
            throw ExitCode(Status.error.rawValue)
        }
        let fm = FileManager.default
        if let existing = fm.contents(atPath: hook), !String(decoding: existing, as: UTF8.self).contains(Self.marker), !force {
            printError("mmlint: \(hook) exists and was not written by mmlint; merge it by hand or pass --force")
            throw ExitCode(Status.error.rawValue)
        }
        let executable = (try? fm.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let script = """
            #!/bin/sh
            \(Self.marker)
            # git send-email runs this on each patch ($1) from the worktree's top;
            # a non-zero exit (1: new findings, 2: an error, or a file mmlint
            # could not analyse) stops the send. Bypass: git send-email --no-validate.
            exec \(shellQuote(executable)) check --tree "$(git rev-parse --show-toplevel)" "$1"

            """
        do {
            try fm.createDirectory(atPath: (hook as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            let temporary = hook + ".mmlint-tmp"
            try Data(script.utf8).write(to: URL(fileURLWithPath: temporary))
            try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: temporary)
            _ = try? fm.removeItem(atPath: hook)
            try fm.moveItem(atPath: temporary, toPath: hook)
        } catch {
            printError("mmlint: \(hook): cannot write the hook: \(error.localizedDescription)")
            throw ExitCode(Status.error.rawValue)
        }
        print("mmlint: installed \(hook)")
    }

    func shellQuote(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }
}

import ArgumentParser
import Foundation
import MMLintCore
import MMLintEngine

/// `mmlint flags TREE`: kbuild's own compile command for every file a config
/// builds, as a compile database in the cache.
struct Flags: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the compile database of a kernel tree from kbuild's own commands, without building it.",
        discussion: """
            kbuild is run with -n (print, do not compile) on a pristine view of the tree's \
            sources in the cache folder, with its output in a folder of its own, so the tree \
            is never written. The first run takes minutes (`make prepare` for the config, then \
            the dry run); later runs reuse the database until the config or a Makefile, \
            Kbuild or Kconfig file changes. `mmlint scan --kconfig CONFIG` uses the same database; \
            a scan with no flags named uses the broadest current one (allmodconfig once made) for \
            the files the tree's own .config does not build.
            """)

    @Argument(help: "The kernel source tree.")
    var tree: String

    @Option(name: .customLong("kconfig"), help: ArgumentHelp(
        "defconfig, allmodconfig, tree (the tree's own .config, the default) or a config file.",
        valueName: "config"))
    var kconfig = "tree"

    @Option(name: .shortAndLong, help: "Parallel jobs for `make prepare` (default: number of cores).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(name: .customLong("cache-dir"), help: "Where databases are kept (default: ~/.cache/mmlint/flags).")
    var cacheDir: String?

    @Flag(name: .shortAndLong, help: "No progress lines on stderr.")
    var quiet = false

    func run() throws {
        do {
            guard let root = KernelTree.root(containing: Paths.normalize(tree)) else {
                throw EngineError.input("\(tree): not inside a kernel source tree (no Makefile with VERSION and a Kconfig)")
            }
            let config = try KernelConfig(argument: kconfig)
            let flags = KbuildFlags(tree: root, config: config, cacheDirectory: cacheDir ?? KbuildFlags.defaultDirectory,
                                    jobs: max(1, jobs), progress: quiet ? nil : { FlagsProgress.say($0, transient: $1) })
            let started = Date()
            // A current database is only reported, not loaded.
            let (path, count, reused): (String, Int, Bool)
            if flags.isCurrent(), let known = flags.cachedFileCount() {
                (path, count, reused) = (flags.databasePath, known, true)
            } else {
                let outcome = try flags.database()
                FlagsProgress.clear()
                (path, count, reused) = (outcome.path, outcome.database.count, outcome.reused)
            }
            print(path)
            printError(String(format: "mmlint: %@ C files with kbuild's compile command for %@ (%@), %@ in %.1fs",
                              "\(count)", root, "\(config)",
                              reused ? "reused (nothing changed)" : "made", Date().timeIntervalSince(started)))
        } catch let error as EngineError {
            FlagsProgress.clear()
            printError("mmlint: " + error.description)
            throw ExitCode(Status.error.rawValue)
        }
    }
}

/// Progress of a database being made: lines on stderr, a transient line
/// redrawn in place when stderr is a terminal.
enum FlagsProgress {
    nonisolated(unsafe) static var transientShown = false

    static func say(_ message: String, transient: Bool) {
        let terminal = isatty(2) != 0
        if transient {
            guard terminal else { return }
            FileHandle.standardError.write(Data(("\rmmlint: flags: " + message + "\u{1b}[K").utf8))
            transientShown = true
            return
        }
        clear()
        printError("mmlint: flags: " + message)
    }

    static func clear() {
        if transientShown { FileHandle.standardError.write(Data("\r\u{1b}[K".utf8)) }
        transientShown = false
    }
}

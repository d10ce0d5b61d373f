import ArgumentParser
import Foundation
import MMLintCore
import MMLintEngine
import MMLintIndex
import MMLintReporters

/// `mmlint scan PATH...`: every C file of the paths, one program.
struct Scan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Scan files or folders for mm API misuse.",
        discussion: """
            Flags for each file come from --kconfig or --compile-commands when given; \
            else from a compile_commands.json at the kernel tree's root, then kbuild's \
            commands `mmlint flags` cached for the tree (its own .config's; for files \
            that config does not build, the broadest, allmodconfig once made), then \
            kbuild's rules read for a prepared kernel tree, else bare mode (mmlint's \
            prelude of mm declarations). -v says which, per file.
            """)

    @Argument(help: "C files or folders (folders are searched for .c files).")
    var paths: [String]

    @OptionGroup var analysis: AnalysisArguments

    @Option(help: "Output format: text, json or sarif.")
    var format: OutputFormat = .text

    @Flag(name: .shortAndLong, help: "Say where each file's flags came from, and show parse errors.")
    var verbose = false

    @Flag(name: .shortAndLong, help: "No progress bar and no summary line on stderr.")
    var quiet = false

    @OptionGroup var factCache: FactCacheOptions

    @Flag(inversion: .prefixedNo, help: ArgumentHelp(
        "Parse only the files whose tokens show they can contribute a finding.",
        discussion: """
            The prefilter reads every C file and header of the tree as tokens and keeps \
            the files on a path from a fault handler to a watched API (across files, \
            macros and inline functions), so the findings are the same as without it. \
            Default: on when the scan has more than \(Scan.prefilterThreshold) files.
            """))
    var prefilter: Bool?

    /// Below this many files, parsing them all costs less than reading the tree's headers.
    static let prefilterThreshold = 48
    /// A selection this big is said on stderr before parsing.
    static let largeSelection = 500

    @OptionGroup var limits: LimitOptions

    func validate() throws {
        guard OutputFormat.scanFormats.contains(format) else {
            throw ValidationError("--format \(format.rawValue) speaks of patches: it is for `mmlint check`; "
                                  + "scan writes text, json or sarif")
        }
    }

    // The shared options under the names run() uses.
    var compileCommands: String? { analysis.compileCommands }
    var jobs: Int { analysis.jobs }
    var kernelVersion: String? { analysis.kernelVersion }

    func run() throws {
        let started = Date()
        try exitWithStatus(of: { () throws(EngineError) -> Status in
            let files = try SourceFiles.collect(paths, limit: (try? limits.resolved().files) ?? LimitOptions.defaultFiles)
            let engine = try analysis.engine(root: ScanRoot.find(paths: paths, files: files))
            var database = try analysis.kbuildDatabase(files: files, quiet: quiet)
            if database == nil { database = try CompileDatabaseLocator.find(explicit: compileCommands, files: files) }
            let cache = factCache.cache(for: engine)
            let selection = prefilter ?? (files.count > Self.prefilterThreshold)
                ? engine.select(files: files, headerRoots: headerRoots(files), threads: jobs, cache: cache,
                                kernelVersion: kernelVersion.flatMap { KernelVersion($0) }) : .all(files)
            // A rule whose evidence is common (a lock, a field) makes the
            // prefilter keep much of a tree: say so before a long parse.
            if !quiet && !verbose && selection.read > 0 && selection.files.count > Self.largeSelection {
                printError("mmlint: the prefilter kept \(selection.files.count) of \(files.count) C files for the rules "
                           + "in use; parsing them takes a while (--rule ID narrows the scan; `mmlint scan -v` says why each was kept)")
            }
            // Said before the parse, which can take long with many rules.
            if verbose {
                let root = KernelTree.root(containing: files.first ?? "") ?? FileManager.default.currentDirectoryPath
                if selection.cached {
                    printError(String(format: "mmlint: prefilter: tree unchanged, choice reused (%.2fs), kept %d of %d C files",
                                      selection.seconds, selection.files.count, files.count))
                } else if selection.read > 0 {
                    printError(String(format: "mmlint: prefilter: read %d files in %.2fs, kept %d of %d C files",
                                      selection.read, selection.seconds, selection.files.count, files.count))
                    for file in selection.files {
                        for why in selection.reasons[file] ?? [] {
                            printError("mmlint: prefilter: \(Paths.relative(file, to: root)): \(why)")
                        }
                    }
                }
            }
            let bar = quiet ? nil : ProgressBar.onTerminal()
            let result = engine.analyze(AnalysisOptions(
                files: selection.files, compileDatabase: database, jobs: jobs,
                kernelVersion: kernelVersion.flatMap { KernelVersion($0) }, cache: cache,
                progress: bar.map { bar in Progress(total: selection.files.count) { bar.draw(done: $0, total: $1, seconds: $2) } },
                kbuildCache: analysis.kbuildCache, memoryBudget: analysis.memoryBudget))
            bar?.clear()
            for warning in result.warnings { printError("mmlint: warning: " + warning) }
            let root = result.kernelRoot ?? FileManager.default.currentDirectoryPath
            if verbose {
                if let version = result.kernelVersion { printError("mmlint: kernel version \(version)") }
                for note in result.flagNotes { printError("mmlint: " + note) }
                for unit in result.units {
                    for error in unit.errors {
                        let place = error.location.map {
                            "\(Paths.relative($0.file, to: root)):\($0.line):\($0.column): "
                        } ?? "\(Paths.relative(unit.file, to: root)): "
                        printError(place + "parse error: " + error.message)
                    }
                }
            }
            // Files no config of this architecture builds are said once, apart.
            let notBuilt = result.notBuiltOnArchitecture
            var report = Report(
                findings: result.findings, rules: engine.rules.map(\.description), root: root,
                kernelVersion: result.kernelVersion,
                summary: Report.Summary(
                    files: files.count, read: selection.cached ? 0 : selection.read, parsed: result.units.count - result.cached,
                    cached: result.cached, skipped: selection.skipped,
                    failed: result.failures.count,
                    filesWithParseErrors: result.units.filter { !$0.errors.isEmpty && !notBuilt.contains($0.file) }.count,
                    parseErrors: result.units.filter { !notBuilt.contains($0.file) }.reduce(0) { $0 + $1.errors.count },
                    findings: result.findings.count, seconds: Date().timeIntervalSince(started)))
            report.severities = engine.severities
            report.failures = result.failures.map { Report.Failure(file: $0.file, cause: $0.cause) }
            FileHandle.standardOutput.write(Data(format.render(report).utf8))
            printFailures(report)
            if !quiet { printError(TextReporter.summary(report)) }
            if !quiet, !notBuilt.isEmpty {
                let broken = result.units.filter { notBuilt.contains($0.file) && !$0.errors.isEmpty }.count
                printError("mmlint: \(notBuilt.count) file\(notBuilt.count == 1 ? "" : "s") not built on this architecture "
                           + "(analysed with a built neighbour's flags; \(broken) with parse errors, not counted above)")
            }
            if !quiet, let hint = KbuildHint.text(result) { printError(hint) }
            // A file that could not be analysed may hold what the scan looks
            // for: the findings printed are all that is known, not all there is.
            return !report.isComplete ? .error : result.findings.isEmpty ? .clean : .findings
        })
    }

    /// Where the prefilter finds the headers the scanned files can reach:
    /// the kernel tree's root, else the folders named.
    func headerRoots(_ files: [String]) -> [String] { Self.headerRoots(paths: paths, files: files) }

    static func headerRoots(paths: [String], files: [String]) -> [String] {
        if let root = files.first.flatMap(KernelTree.root(containing:)) { return [root] }
        var roots: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            let absolute = Paths.normalize(path)
            if FileManager.default.fileExists(atPath: absolute, isDirectory: &isDirectory) {
                roots.append(isDirectory.boolValue ? absolute : (absolute as NSString).deletingLastPathComponent)
            }
        }
        return roots
    }
}

/// The C files named by the command line: files as given, folders searched
/// recursively (hidden folders skipped), in path order.
enum SourceFiles {
    static func collect(_ paths: [String], limit: Int = LimitOptions.defaultFiles) throws(EngineError) -> [String] {
        var files: [String] = []
        let fm = FileManager.default
        for path in paths {
            let absolute = Paths.normalize(path)
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: absolute, isDirectory: &isDirectory) else {
                throw .input("\(path): no such file or folder")
            }
            if !isDirectory.boolValue {
                guard isRegularFile(absolute) else { throw .input("\(path): not a regular file (a FIFO or device cannot be scanned)") }
                guard fm.isReadableFile(atPath: absolute) else { throw .input("\(path): cannot be read") }
                files.append(absolute)
                continue
            }
            // readdir with the entries' types (regular files only: a FIFO
            // named *.c would block the read): a kernel tree has 80,000 entries.
            files.append(contentsOf: SourceTree.walked(absolute).sources)
            if files.count > limit { throw tooMany(limit) }
        }
        var seen = Set<String>()
        files = files.filter { seen.insert($0).inserted }
        if files.count > limit { throw tooMany(limit) }
        return files
    }

    /// A regular file, or a symlink to one.
    static func isRegularFile(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }

    static func tooMany(_ limit: Int) -> EngineError {
        .input("more than \(limit) C files to scan, over the files-per-scan limit; scan a subfolder, "
               + "or pass --limit files=N or set \(LimitOptions.filesVariable) to raise it")
    }
}

/// What a scan without named flags says when files the tree's config does
/// not build had only guessed flags: how many, and the one command that
/// gives them kbuild's own.
enum KbuildHint {
    static func text(_ result: AnalysisResult) -> String? {
        guard let root = result.kernelRoot, !result.withoutKbuildCommand.isEmpty else { return nil }
        let count = result.withoutKbuildCommand.count
        let broken = result.units.filter { result.withoutKbuildCommand.contains($0.file) && !$0.errors.isEmpty }.count
        return "mmlint: \(count) file\(count == 1 ? "" : "s") the tree's .config does not build had flags guessed "
            + "for that config (\(broken) with parse errors); for kbuild's exact flags run once "
            + "`mmlint flags --kconfig allmodconfig \(root)` (3-7 min of CPU on two cores; later scans reuse it)"
    }
}

/// `--compile-commands`, else a compile_commands.json at the kernel tree's
/// root, else none.
enum CompileDatabaseLocator {
    static func find(explicit: String?, files: [String]) throws(EngineError) -> CompileDatabase? {
        if let explicit { return try CompileDatabase(at: explicit) }
        guard let first = files.first, let root = KernelTree.root(containing: first) else { return nil }
        let candidate = root + "/compile_commands.json"
        guard FileManager.default.fileExists(atPath: candidate) else { return nil }
        return try CompileDatabase(at: candidate)
    }
}

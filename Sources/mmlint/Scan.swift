import ArgumentParser
import Foundation
import MMLintCore
import MMLintEngine
import MMLintReporters

/// `mmlint scan PATH...`: every C file of the paths, one program.
struct Scan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Scan files or folders for mm API misuse.",
        discussion: """
            Flags for each file come from a compile_commands.json (--compile-commands, \
            or one at the kernel tree's root), else from kbuild's rules for a prepared \
            kernel tree, else bare mode (mmlint's prelude of mm declarations). \
            -v says which, per file.
            """)

    @Argument(help: "C files or folders (folders are searched for .c files).")
    var paths: [String]

    @Option(name: .customLong("compile-commands"), help: "A compile_commands.json, or the folder holding it.")
    var compileCommands: String?

    @Option(help: "Output format: text, json or sarif.")
    var format: Format = .text

    @Option(name: .shortAndLong, help: "Parallel parsers (default: number of cores).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(name: .customLong("rule"), help: "Run only this rule (repeatable).")
    var rules: [String] = []

    @Option(name: .customLong("kernel-version"), help: "Kernel version for messages (default: the tree's Makefile).")
    var kernelVersion: String?

    @Flag(name: .shortAndLong, help: "Say where each file's flags came from, and show parse errors.")
    var verbose = false

    @Flag(name: .shortAndLong, help: "No progress bar and no summary line on stderr.")
    var quiet = false

    @Option(name: .customLong("cache-dir"), help: "Where per-file facts are cached (default: ~/.cache/mmlint/facts).")
    var cacheDir: String?

    @Flag(name: .customLong("no-cache"), help: "Parse every file; neither read nor write the cache.")
    var noCache = false

    @OptionGroup var limits: LimitOptions

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json, sarif
    }

    func validate() throws {
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
        if let kernelVersion, KernelVersion(kernelVersion) == nil {
            throw ValidationError("--kernel-version '\(kernelVersion)' is not a version like 6.1 or 6.12.3")
        }
    }

    func run() throws {
        let started = Date()
        var status = Status.error
        do {
            let engine = try Engine(ruleIDs: rules)
            let files = try SourceFiles.collect(paths, limit: (try? limits.resolved().files) ?? LimitOptions.defaultFiles)
            let database = try CompileDatabaseLocator.find(explicit: compileCommands, files: files)
            let cache = noCache ? nil : FactCache(directory: cacheDir ?? FactCache.defaultDirectory,
                                                  rulesFingerprint: engine.knowledge.fingerprint)
            let bar = quiet ? nil : ProgressBar.onTerminal()
            let result = engine.analyze(AnalysisOptions(
                files: files, compileDatabase: database, jobs: jobs,
                kernelVersion: kernelVersion.flatMap { KernelVersion($0) }, cache: cache,
                progress: bar.map { bar in Progress(total: files.count) { bar.draw(done: $0, total: $1, seconds: $2) } }))
            bar?.clear()
            for warning in result.warnings { printError("mmlint: warning: " + warning) }
            for failure in result.failures { printError("mmlint: error: " + failure) }
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
            let report = Report(
                findings: result.findings, rules: engine.rules.map(\.description), root: root,
                kernelVersion: result.kernelVersion,
                summary: Report.Summary(
                    files: files.count, parsed: result.units.count - result.cached, cached: result.cached,
                    failed: result.failures.count,
                    filesWithParseErrors: result.units.filter { !$0.errors.isEmpty }.count,
                    parseErrors: result.units.reduce(0) { $0 + $1.errors.count },
                    findings: result.findings.count, seconds: Date().timeIntervalSince(started)))
            let output = OutputFormat(rawValue: format.rawValue)!.render(report)
            FileHandle.standardOutput.write(Data(output.utf8))
            if !quiet { printError(TextReporter.summary(report)) }
            status = result.findings.isEmpty ? .clean : .findings
        } catch {
            printError("mmlint: " + error.description)
        }
        throw ExitCode(status.rawValue)
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
            guard let walker = fm.enumerator(atPath: absolute) else { throw .input("\(path): cannot be listed") }
            var found: [String] = []
            while let relative = walker.nextObject() as? String {
                let name = (relative as NSString).lastPathComponent
                if name.hasPrefix(".") {
                    if (walker.fileAttributes?[.type] as? FileAttributeType) == .typeDirectory { walker.skipDescendants() }
                    continue
                }
                // A folder, FIFO or device named *.c is no source (a FIFO would block the read).
                if name.hasSuffix(".c"), isRegularFile(absolute + "/" + relative) { found.append(absolute + "/" + relative) }
                // Stop listing once over the limit: a huge tree costs no more than the limit.
                if files.count + found.count > limit { throw tooMany(limit) }
            }
            files.append(contentsOf: found.sorted())
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

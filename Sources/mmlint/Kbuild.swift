import ArgumentParser
import Foundation
import MMLintCore
import MMLintEngine
import MMLintReporters

/// `make C=1 CHECK="mmlint kbuild"`: mmlint as kbuild's checker, one file per
/// run; `mmlint kbuild --report` after the build for the whole picture.
struct Kbuild: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check each file kbuild compiles: make C=1 CHECK=\"mmlint kbuild\" (C=2: every file).",
        discussion: """
            kbuild runs the checker once per C file, from the top of the build (the O= \
            folder when there is one), as `$(CHECK) $(CHECKFLAGS) $(c_flags) file.c`. \
            mmlint parses the file with exactly those flags (less sparse's own and GCC's \
            that clang lacks; CF=... passes through) and prints GCC-style diagnostics on \
            stderr, the chain and the suggestion as note: lines. It exits 0 so the build \
            goes on (--werror: 1 on a finding, 2 when the file could not be analysed).

            What one check can see: the file itself, the headers it includes (inline \
            functions, macros), and the files of this build checked before it. Each check \
            records the file's facts; a chain through other files is completed from the \
            recorded files that define what this file calls or call what it defines (at \
            most --linked files). What it cannot see: files checked after it (under make \
            -jN the order varies), and with C=1 the files that were not recompiled. A \
            finding may so be printed by the check of any file on its chain.

            The whole picture, after the build: `mmlint kbuild --report` in the same \
            folder evaluates every file the build checked as one program, prints each \
            finding once, and exits 0 clean, 1 findings, 2 when a file could not be analysed.
            """,
        // No -h: kbuild's flags are single-dash words mmlint must not read as its own.
        helpNames: [.long])

    @Flag(help: "Exit 1 when the file has a finding (2 when it could not be analysed), stopping make.")
    var werror = false

    @Flag(help: "After the build: evaluate every file the build checked, as one program.")
    var report = false

    @Option(help: ArgumentHelp("--report's output: gcc (the checker's lines), text, json or sarif.", valueName: "format"))
    var format: ReportFormat = .gcc

    @Option(help: ArgumentHelp("--report: the folder kbuild ran in, the O= folder if any (default: the current folder).",
                               valueName: "dir"))
    var objtree: String?

    @Option(name: .customLong("rule"), help: "Run only this rule (repeatable).")
    var rules: [String] = []

    @OptionGroup var ruleSources: RuleSourceArguments

    @Option(help: ArgumentHelp("Recorded files a check loads to complete chains through other files.", valueName: "n"))
    var linked = 64

    @OptionGroup var factCache: FactCacheOptions

    @Option(name: .customLong("record-dir"), help: ArgumentHelp(
        "Where each build's checked files are recorded (default: ~/.cache/mmlint/kbuild).", valueName: "dir"))
    var recordDir: String?

    @Flag(help: "Say which flags were used and show parse errors.")
    var verbose = false

    @Argument(parsing: .captureForPassthrough, help: ArgumentHelp(
        "What kbuild passes: CHECKFLAGS, the file's c_flags, the file.", valueName: "kbuild-arguments"))
    var kbuildArguments: [String] = []

    enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
        case gcc, text, json, sarif
    }

    func validate() throws {
        guard linked >= 0 else { throw ValidationError("--linked must be 0 or more") }
    }

    func run() throws {
        // The arguments are captured whole, so --help arrives as one of them.
        if kbuildArguments == ["--help"] { throw CleanExit.helpRequest(self) }
        let here = FileManager.default.currentDirectoryPath
        do {
            if report {
                guard kbuildArguments.isEmpty else {
                    throw EngineError.usage("--report takes no file; run it where kbuild ran (or pass --objtree)")
                }
                throw ExitCode(try wholePicture(objtree: objtree.map { Paths.normalize($0) } ?? here).rawValue)
            }
            throw ExitCode(try check(in: here).rawValue)
        } catch let error as EngineError {
            printError("mmlint: " + error.description)
            throw ExitCode(Status.error.rawValue)
        }
    }

    func record(objtree: String) -> KbuildRecord {
        KbuildRecord(objtree: objtree, cacheDirectory: recordDir.map { Paths.normalize($0) } ?? KbuildRecord.defaultDirectory())
    }

    /// One file, as kbuild asks.
    func check(in directory: String) throws(EngineError) -> Status {
        let entry = try KbuildCheckerArguments.entry(kbuildArguments, directory: directory)
        let file = entry.file
        // A C file kbuild generated in the O= folder is not in the source
        // tree: the build's `source` link (or the folder itself) names it.
        let fileRoot = KernelTree.root(containing: file)
        let root = fileRoot ?? KernelTree.root(containing: Self.sourceTree(of: directory)) ?? directory
        let engine = try ruleSources.engine(ruleIDs: rules, root: root)
        let cache = factCache.cache(for: engine)
        let database = CompileDatabase(entries: [entry], path: file, origin: "kbuild's checker arguments")
        let result = engine.analyze(AnalysisOptions(files: [file], compileDatabase: database, jobs: 1,
                                                    kernelVersion: fileRoot == nil ? KernelVersion(kernelRoot: root) : nil,
                                                    cache: cache))
        for warning in result.warnings { printError("mmlint: warning: " + warning) }
        let shown = { (path: String) in Paths.relative(path, to: directory) }
        let record = record(objtree: directory)
        guard let unit = result.units.first else {
            let cause = result.failures.first?.cause ?? "no facts"
            record.storeFailure(file: file, cause: cause)
            printError("\(shown(file)): error: mmlint could not analyse this file: \(cause)")
            return werror ? .error : .clean
        }
        if verbose {
            for note in result.flagNotes { printError("mmlint: " + note) }
            for error in unit.errors {
                let place = error.location.map { "\(shown($0.file)):\($0.line):\($0.column): " } ?? "\(shown(file)): "
                printError(place + "note: mmlint parse error: " + error.message)
            }
        }
        // Unrecorded, this file's own findings still stand; later checks
        // and the report just cannot see it.
        do {
            try record.store(unit)
        } catch {
            printError("mmlint: warning: " + error.description)
        }
        let others = linked > 0 ? record.linked(to: unit, limit: linked) : []
        let (program, findings) = engine.evaluate([unit] + others, kernelVersion: result.kernelVersion)
        let mine = findings.filter { Self.involves($0, file: file, program: program) }
        if verbose, !others.isEmpty {
            printError("mmlint: chains completed with \(others.count) file\(others.count == 1 ? "" : "s") checked before: "
                       + others.map { shown($0.file) }.joined(separator: ", "))
        }
        let text = GCCReporter.render(mine, display: shown)
        if !text.isEmpty { FileHandle.standardError.write(Data(text.utf8)) }
        return werror && !mine.isEmpty ? .findings : .clean
    }

    /// The source tree of a build folder: its `source` link (an O= build),
    /// else the folder itself.
    static func sourceTree(of directory: String) -> String {
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: directory + "/source") else {
            return directory
        }
        return Paths.normalize(target, relativeTo: directory)
    }

    /// Whether a finding is this file's to print: its call is written here,
    /// or its chain runs through a function or an ops table defined here.
    static func involves(_ finding: Finding, file: String, program: Program) -> Bool {
        if finding.location.file == file { return true }
        guard let usr = finding.functionUSR else { return false }
        return program.faultContexts(of: usr).contains { context in
            context.root.binding?.location.file == file || context.path.contains { $0.location.file == file }
        }
    }

    /// Every file the build checked, as one program.
    func wholePicture(objtree: String) throws(EngineError) -> Status {
        let started = Date()
        let record = record(objtree: objtree)
        guard record.exists else {
            throw .input("\(objtree): no file was checked there (\(record.folder) is empty); run "
                         + "`make C=2 CHECK=\"mmlint kbuild\"` first, and --report in the folder kbuild ran in (the O= folder)")
        }
        let (units, failures) = record.all()
        let root = units.first.flatMap { KernelTree.root(containing: $0.file) } ?? objtree
        let engine = try ruleSources.engine(ruleIDs: rules, root: root)
        let version = KernelVersion(kernelRoot: root)
        let (_, findings) = engine.evaluate(units, kernelVersion: version)
        var report = Report(
            findings: findings, rules: engine.rules.map(\.description), root: root, kernelVersion: version,
            summary: Report.Summary(files: units.count + failures.count, parsed: 0, cached: units.count,
                                    failed: failures.count,
                                    filesWithParseErrors: units.filter { !$0.errors.isEmpty }.count,
                                    parseErrors: units.reduce(0) { $0 + $1.errors.count },
                                    findings: findings.count, seconds: Date().timeIntervalSince(started)))
        report.severities = engine.severities
        report.failures = failures.map { Report.Failure(file: $0.file, cause: $0.cause) }
        let output = format == .gcc ? GCCReporter.render(report) : OutputFormat(rawValue: format.rawValue)!.render(report)
        FileHandle.standardOutput.write(Data(output.utf8))
        printFailures(report)
        printError(TextReporter.summary(report) + " (recorded by the build's checks in \(record.folder))")
        return !report.isComplete ? .error : findings.isEmpty ? .clean : .findings
    }
}

import ArgumentParser
import Foundation
import MMLintCheck
import MMLintCore
import MMLintEngine
import MMLintPatch
import MMLintReporters
import MMLintSupport

/// `mmlint check`: what a patch (or a series) introduces, nothing else.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Report the mm API misuse a patch or a series introduces.",
        discussion: """
            Reads git format-patch files, plain diffs, mbox series (cover letter skipped) \
            or stdin (-), applies them in memory to the tree (never writing to it), \
            analyses before and after, and reports only new findings, each under the \
            patch that introduced it. When the patched files are not in the tree, each \
            hunk is analysed alone (hunk-only mode, lower confidence).
            """)

    @OptionGroup var input: PatchInput

    @Option(help: "Output format: text, json, sarif, checkpatch (b4's check-command lines) or b4-review (b4 review's per-patch check JSON).")
    var format: OutputFormat = .text

    @Flag(name: .shortAndLong, help: "Say how the patches were checked and where flags came from.")
    var verbose = false

    @Flag(name: .shortAndLong, help: "No summary line on stderr.")
    var quiet = false

    @Flag(help: ArgumentHelp(
        "After the report, print a diff on top of the series that fixes what it introduces (as mmlint fix would).",
        discussion: "Text output only; findings with no mechanical fix are said on stderr."))
    var fix = false

    func run() throws {
        let started = Date()
        try exitWithStatus(of: {
            let (engine, root, series, result) = try input.check()
            emit(result, series: series, engine: engine, root: root, started: started)
            if fix { try FollowUpFix.print(result, engine: engine, root: root, input: input) }
            // A file that could not be analysed may hide what the patch adds:
            // never "clean", whatever was found elsewhere.
            return !result.isComplete ? .error : result.findings.isEmpty ? .clean : .findings
        }, alsoReport: { message in
            // b4 review shows a JSON entry's summary, but for a bare exit code only "exited with error code 2".
            if format == .b4Review {
                FileHandle.standardOutput.write(Data(B4ReviewReporter.renderError(message).utf8))
            }
        })
    }

    func validate() throws {
        if fix && format != .text { throw ValidationError("--fix prints a diff after the text report; it takes no --format \(format.rawValue)") }
    }

    func emit(_ result: CheckResult, series: PatchSeries, engine: Engine, root: String, started: Date) {
        // b4 reads every stderr line as a failure: checkpatch output keeps stderr for errors only.
        let quiet = self.quiet || format == .checkpatch
        if !quiet { for warning in result.warnings { printError("mmlint: warning: " + warning) } }
        if verbose {
            printError("mmlint: \(result.mode.rawValue) mode" + (result.kernelVersion.map { ", kernel \($0)" } ?? ""))
            for note in series.notes { printError("mmlint: " + note) }
            for note in result.flagNotes { printError("mmlint: " + note) }
            if result.cached > 0 {
                printError("mmlint: \(result.cached) unpatched file\(result.cached == 1 ? "" : "s") taken from the fact cache, not parsed")
            }
        }
        let images = result.outcomes.reduce(into: [String: [UInt8]]()) { all, outcome in
            all.merge(outcome.images) { _, newer in newer }
        }
        let findings = result.findings
        let failures = result.failures.map { Report.Failure(file: $0.file, version: $0.version, cause: $0.cause) }
        let report = Report(
            findings: findings, rules: engine.rules.map(\.description), root: root,
            kernelVersion: result.kernelVersion, severities: engine.severities,
            summary: Report.Summary(files: result.parsed + failures.count, parsed: result.parsed - result.cached,
                                    cached: result.cached, failed: failures.count,
                                    filesWithParseErrors: 0, parseErrors: result.parseErrors,
                                    findings: findings.count, seconds: Date().timeIntervalSince(started)),
            sourceLine: { path, line in
                // A finding's line is in its patch's post-image.
                let finding = findings.first { $0.location.file == path && $0.location.line == line }
                let own = finding.flatMap { f in result.outcomes.first { $0.findings.contains(f) }?.images[path] }
                if let bytes = own ?? images[path] { return Report.line(line, of: bytes) }
                return Report.diskLine(path, line)
            },
            mode: result.mode.rawValue,
            fixed: result.outcomes.flatMap(\.fixed),
            patches: result.outcomes.map { ($0.number, $0.patch.fullSubject ?? $0.patch.subject) },
            failures: failures, origins: Self.origins(of: result))
        FileHandle.standardOutput.write(Data(format.render(report).utf8))
        // After what was found; checkpatch output carries them as ERROR lines
        // (a stderr line would count twice with b4).
        if format != .checkpatch { printFailures(report) }
        if !quiet { printError(TextReporter.checkSummary(report)) }
    }
}

extension Check {
    /// The patch each finding a check reports (and each it fixed) belongs to.
    static func origins(of result: CheckResult) -> [String: Report.PatchOrigin] {
        var origins: [String: Report.PatchOrigin] = [:]
        for outcome in result.outcomes {
            let origin = Report.PatchOrigin(number: outcome.number, subject: outcome.patch.subject)
            for finding in outcome.findings + outcome.fixed { origins[Report.originKey(finding)] = origin }
        }
        return origins
    }
}

/// What `check` and `review` read, and how they check it.
struct PatchInput: ParsableArguments {
    @Argument(help: "Patch files, mbox files, or - for standard input.")
    var patches: [String] = []

    @Option(help: "The tree the patches apply to (default: the git worktree of the current folder, else the current folder).")
    var tree: String?

    @Option(help: "Check each commit of this range of the tree's git history (e.g. origin/master..HEAD).")
    var git: String?

    @OptionGroup var analysis: AnalysisArguments

    @OptionGroup var factCache: FactCacheOptions

    @OptionGroup var limits: LimitOptions

    func validate() throws {
        if git != nil && !patches.isEmpty { throw ValidationError("give patch files or --git RANGE, not both") }
    }

    /// Reads the input and runs the check: the one path `check` and `review` share.
    func check() throws -> (Engine, String, PatchSeries, CheckResult) {
        let root = try resolveTree()
        let engine = try analysis.engine(root: root)
        let series = try readSeries(root: root)
        let database = try compileDatabase(root: root)
        let result = try PatchCheck.run(series, engine: engine, options: CheckOptions(
            tree: root, compileDatabase: database, jobs: analysis.jobs, kernelVersion: analysis.version,
            cache: factCache.cache(for: engine), kbuildCache: analysis.kbuildCache,
            memoryBudget: analysis.memoryBudget))
        return (engine, root, series, result)
    }

    func resolveTree() throws(EngineError) -> String {
        if let tree {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: tree, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw .input("--tree \(tree): no such folder")
            }
            return Paths.normalize(tree)
        }
        let here = FileManager.default.currentDirectoryPath
        if Git.mayBeRepository(here), let top = try? Git.run(["rev-parse", "--show-toplevel"], in: here), !top.isEmpty {
            return Paths.normalize(String(decoding: top, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return FileManager.default.currentDirectoryPath
    }

    func readSeries(root: String) throws -> PatchSeries {
        let limits = try self.limits.resolved().patch
        var inputs: [(name: String, data: [UInt8])] = []
        if let git {
            do {
                inputs.append(("--git \(git)", try Git.run(["format-patch", "--stdout", "--no-signature", git], in: root)))
            } catch {
                throw EngineError.input("--git \(git): \(error); run it inside a git checkout of the tree, or pass --tree")
            }
        } else if patches.isEmpty || patches == ["-"] {
            inputs.append(("<stdin>", try BoundedInput.readStandardInput(limits: limits)))
        } else {
            for path in patches {
                if path == "-" {
                    inputs.append(("<stdin>", try BoundedInput.readStandardInput(limits: limits)))
                    continue
                }
                inputs.append((path, try BoundedInput.read(path: path, limits: limits)))
            }
        }
        var combined = PatchSeries(patches: [], notes: [])
        for input in inputs {
            let series = try PatchReader.read(input.data, name: input.name, limits: limits)
            combined.patches += series.patches
            combined.notes += series.notes
        }
        if combined.patches.isEmpty { throw EngineError.input("no patch found in the input") }
        return combined
    }

    func compileDatabase(root: String) throws(EngineError) -> CompileDatabase? {
        if let compileCommands = analysis.compileCommands { return try CompileDatabase(at: compileCommands) }
        if let kbuild = try analysis.kbuildDatabase(files: [root + "/Makefile"], quiet: false) { return kbuild }
        let candidate = root + "/compile_commands.json"
        return FileManager.default.fileExists(atPath: candidate) ? try CompileDatabase(at: candidate) : nil
    }
}

/// Runs git; returns its standard output, or throws with its message.
enum Git {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func run(_ arguments: [String], in directory: String) throws -> [UInt8] {
        let (result, problem) = ChildProcess.run(["git"] + arguments, in: directory)
        guard let result else { throw Failure(description: "cannot run git: \(problem ?? "unknown error")") }
        guard result.status == 0 else {
            throw Failure(description: String(decoding: result.errors, as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return result.output
    }

    /// False when git cannot see a repository from `directory`: no `.git`
    /// in it or any folder above, and no `GIT_DIR` or `GIT_WORK_TREE` to
    /// point elsewhere. Asking git costs a process; this costs a few stat(2)s.
    static func mayBeRepository(_ directory: String) -> Bool {
        let environment = ProcessInfo.processInfo.environment
        if environment["GIT_DIR"] != nil || environment["GIT_WORK_TREE"] != nil { return true }
        var folder = Paths.normalize(directory)
        while true {
            if FileManager.default.fileExists(atPath: folder == "/" ? "/.git" : folder + "/.git") { return true }
            if folder == "/" { return false }
            folder = (folder as NSString).deletingLastPathComponent
        }
    }
}

import ArgumentParser
import Foundation
import MMLintCheck
import MMLintCore
import MMLintEngine
import MMLintFix
import MMLintIndex
import MMLintReporters

/// `mmlint fix PATH...`: the findings it can fix mechanically, as a diff,
/// as mails, or written in place.
struct Fix: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print (or apply) mechanical fixes for the findings of a scan.",
        discussion: """
            Scans like `mmlint scan`, then rewrites what it can: a unified diff on stdout \
            (a/ and b/ paths relative to the tree's root, for `git apply` or `patch -p1`), \
            or with --format mbox one git-format-patch mail per file and fix kind (for \
            `git am`). --apply writes the fixed files in place instead. Every fix is \
            checked before it is shown: the fixed files are parsed again, the fixed \
            findings must be gone and no new finding may appear. Findings with no \
            mechanical fix are listed on stderr with why. Exit status: 0 nothing to fix, \
            1 fixes printed or applied, 2 an error (or a file that could not be analysed).
            """)

    @Argument(help: "C files or folders (folders are searched for .c files).")
    var paths: [String]

    @OptionGroup var analysis: AnalysisArguments

    @Option(help: "Output format: diff, mbox, or sarif (the findings with their fixes as SARIF `fixes`).")
    var format: Format = .diff

    @Flag(help: "Write the fixes into the files (atomically, only inside the tree) instead of printing them.")
    var apply = false

    @Option(help: ArgumentHelp("The From: of --format mbox mails (default: git config user.name and user.email).",
                               valueName: "name <email>"))
    var author: String?

    @Flag(name: .shortAndLong, help: "No summary line on stderr.")
    var quiet = false

    @OptionGroup var factCache: FactCacheOptions

    @Flag(inversion: .prefixedNo, help: ArgumentHelp(
        "Parse only the files whose tokens show they can contribute a finding, as scan does.",
        discussion: "Default: on when there are more than \(Scan.prefilterThreshold) files."))
    var prefilter: Bool?

    @OptionGroup var limits: LimitOptions

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case diff, mbox, sarif
    }

    func validate() throws {
        if apply && format != .diff { throw ValidationError("--apply writes the files; it takes no --format \(format.rawValue)") }
    }

    func run() throws {
        var status = Status.error
        do {
            status = try fix()
        } catch {
            printError("mmlint: " + error.description)
        }
        throw ExitCode(status.rawValue)
    }

    func fix() throws(EngineError) -> Status {
        let files = try SourceFiles.collect(paths, limit: (try? limits.resolved().files) ?? LimitOptions.defaultFiles)
        let engine = try analysis.engine(root: ScanRoot.find(paths: paths, files: files))
        var database = try analysis.kbuildDatabase(files: files, quiet: quiet)
        if database == nil { database = try CompileDatabaseLocator.find(explicit: analysis.compileCommands, files: files) }
        let cache = factCache.cache(for: engine)
        // The scan's prefilter: the same findings from fewer parses.
        let selected = prefilter ?? (files.count > Scan.prefilterThreshold)
            ? engine.select(files: files, headerRoots: Scan.headerRoots(paths: paths, files: files), threads: analysis.jobs,
                            cache: cache, kernelVersion: analysis.version).files
            : files
        let run = FixRun.run(engine: engine, options: AnalysisOptions(
            files: selected, compileDatabase: database, jobs: analysis.jobs, kernelVersion: analysis.version, cache: cache,
            kbuildCache: analysis.kbuildCache, memoryBudget: analysis.memoryBudget))
        for warning in run.analysis.warnings { printError("mmlint: warning: " + warning) }
        let root = run.analysis.kernelRoot ?? Self.treeRoot(of: files.first)
        func place(_ location: Location) -> String {
            "\(Paths.relative(location.file, to: root)):\(location.line):\(location.column)"
        }
        for left in run.plan.left {
            printError("\(place(left.finding.location)): \(left.finding.ruleID): not fixed: \(left.why)")
        }
        for fixed in run.plan.fixed {
            if let note = fixed.note { printError("\(place(fixed.finding.location)): \(fixed.finding.ruleID): review: \(note)") }
        }
        for failure in run.analysis.failures {
            printError("mmlint: error: \(Paths.relative(failure.file, to: root)): not analysed (\(failure.cause)); its findings are unknown")
        }
        // A fix that does not do what it claims is never printed.
        guard run.isVerified else {
            for file in run.brokenFiles {
                printError("mmlint: error: \(Paths.relative(file, to: root)): the fixed file no longer parses as before; no fix printed")
            }
            for finding in run.remaining {
                printError("mmlint: error: \(place(finding.location)): \(finding.ruleID): still reported after its fix; no fix printed")
            }
            for finding in run.introduced {
                printError("mmlint: error: \(place(finding.location)): \(finding.ruleID): appears after the fix; no fix printed")
            }
            return .error
        }
        let fixes = run.plan.fixed.filter { !$0.edits.isEmpty }.count
        if apply {
            for file in run.plan.files {
                guard let text = run.fixedTexts[file], let original = run.originals[file] else { continue }
                try Self.write(text, to: file, expecting: original, root: root)
            }
        } else {
            switch format {
            case .diff:
                FileHandle.standardOutput.write(Data(run.diff(root: root).utf8))
            case .mbox:
                let context = FixContext(program: run.analysis.program, kernelVersion: run.analysis.kernelVersion) { _ in nil }
                let mails = Mbox.mails(run.plan, relative: { Paths.relative($0, to: root) },
                                       original: { run.originals[$0] }, context: context)
                FileHandle.standardOutput.write(Data(Mbox.render(mails, author: author ?? Self.gitAuthor(root: root)).utf8))
            case .sarif:
                var report = Report(
                    findings: run.analysis.findings, rules: engine.rules.map(\.description), root: root,
                    kernelVersion: run.analysis.kernelVersion, severities: engine.severities,
                    summary: Report.Summary(files: files.count, parsed: run.analysis.units.count, failed: run.analysis.failures.count,
                                            filesWithParseErrors: 0, parseErrors: 0, findings: run.analysis.findings.count, seconds: 0),
                    failures: run.analysis.failures.map { Report.Failure(file: $0.file, cause: $0.cause) })
                report.fixes = Self.suggestedFixes(run)
                FileHandle.standardOutput.write(Data(SARIFReporter.render(report).utf8))
            }
        }
        if !quiet {
            let verb = apply ? "applied" : "printed"
            printError("mmlint: \(fixes) fix\(fixes == 1 ? "" : "es") \(verb) in \(run.plan.files.count) file\(run.plan.files.count == 1 ? "" : "s"), "
                       + "\(run.plan.left.count) finding\(run.plan.left.count == 1 ? "" : "s") left")
        }
        if !run.analysis.failures.isEmpty { return .error }
        return fixes > 0 ? .findings : .clean
    }

    /// Each fixed finding's edits as regions of the original files.
    static func suggestedFixes(_ run: FixRun) -> [String: Report.SuggestedFix] {
        var fixes: [String: Report.SuggestedFix] = [:]
        for fixed in run.plan.fixed where !fixed.edits.isEmpty {
            var changes: [(file: String, replacements: [Report.SuggestedFix.Replacement])] = []
            for (file, edits) in Dictionary(grouping: fixed.edits, by: \.file).sorted(by: { $0.key < $1.key }) {
                guard let original = run.originals[file] else { continue }
                let source = SourceText(path: file, bytes: original)
                func position(_ offset: Int) -> (Int, Int) {
                    (source.line(of: offset), offset - source.lineStart(of: offset) + 1)
                }
                changes.append((file, edits.sorted { $0.start < $1.start }.map { edit in
                    let (startLine, startColumn) = position(edit.start)
                    let (endLine, endColumn) = position(edit.end)
                    return .init(startLine: startLine, startColumn: startColumn, endLine: endLine, endColumn: endColumn,
                                 text: edit.replacement)
                }))
            }
            let subject = Fixers.all.first { $0.ruleID == fixed.finding.ruleID }?.subject ?? fixed.finding.ruleID
            fixes[fixed.finding.key] = Report.SuggestedFix(
                description: subject + (fixed.note.map { "; review: " + $0 } ?? ""), changes: changes)
        }
        return fixes
    }

    /// The root diff paths are relative to outside a kernel tree: the git
    /// work tree holding the files, else the current folder.
    static func treeRoot(of file: String?) -> String {
        let start = file.map { ($0 as NSString).deletingLastPathComponent } ?? ""
        var folder = start
        while folder.count > 1 {
            if FileManager.default.fileExists(atPath: folder + "/.git") { return folder }
            folder = (folder as NSString).deletingLastPathComponent
        }
        let current = FileManager.default.currentDirectoryPath
        // A file outside the current folder: its own folder, so that the
        // diff's paths stay relative.
        guard let file, !file.hasPrefix(current.hasSuffix("/") ? current : current + "/") else { return current }
        return start
    }

    /// `name <email>` from git's config in `root`, else a placeholder git am takes.
    static func gitAuthor(root: String) -> String {
        func config(_ key: String) -> String? {
            guard let data = try? Git.run(["config", key], in: root) else { return nil }
            let value = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return value.isEmpty ? nil : value
        }
        return "\(config("user.name") ?? "mmlint") <\(config("user.email") ?? "mmlint@localhost")>"
    }

    /// Replaces `file` by `text` through a temporary file in its folder and
    /// a rename, so a reader sees the old or the new file, never half of
    /// one; only inside `root`, and only if the file is still what was analysed.
    static func write(_ text: [UInt8], to file: String, expecting original: [UInt8], root: String) throws(EngineError) {
        let real = URL(fileURLWithPath: file).resolvingSymlinksInPath().path
        let realRoot = URL(fileURLWithPath: root).resolvingSymlinksInPath().path
        guard real.hasPrefix(realRoot.hasSuffix("/") ? realRoot : realRoot + "/") else {
            throw .input("\(file): outside the tree \(root); not written")
        }
        guard let now = FileManager.default.contents(atPath: real), [UInt8](now) == original else {
            throw .input("\(file): changed since it was analysed; not written (run mmlint fix again)")
        }
        let folder = (real as NSString).deletingLastPathComponent
        let temporary = folder + "/.\((real as NSString).lastPathComponent).mmlint-fix-\(getpid())"
        let attributes = try? FileManager.default.attributesOfItem(atPath: real)
        guard FileManager.default.createFile(atPath: temporary, contents: Data(text),
                                             attributes: attributes.flatMap { $0[.posixPermissions] }.map { [.posixPermissions: $0] }) else {
            throw .input("\(folder): cannot write a temporary file there; nothing written for \(file)")
        }
        guard rename(temporary, real) == 0 else {
            unlink(temporary)
            throw .input("\(file): cannot replace it (\(String(cString: strerror(errno)))); not written")
        }
    }
}

/// `mmlint check --fix` and `mmlint review --fix`: the fixes of the
/// findings a series introduces, made on the series' post-images.
enum FollowUpFix {
    /// A check places a finding that a patch makes reachable at the patch's
    /// line; a scan places it at the call: same rule, function, API, chain.
    static func identity(_ finding: Finding) -> String {
        [finding.ruleID, finding.function, finding.callee, finding.chain.joined(separator: " → ")].joined(separator: "|")
    }

    /// Fixes `findings` in `images` (post-images by absolute path): the
    /// files holding them, the patched C files and the C files next to them
    /// are analysed, and the findings matching `findings` fixed and checked.
    static func run(_ findings: [Finding], images: [String: [UInt8]], kernelVersion: KernelVersion?,
                    engine: Engine, root: String, input: PatchInput) throws -> FixRun {
        // A finding's helper may sit next to the file the patch touched.
        let touched = Set(findings.map(\.location.file) + images.keys).filter { $0.hasSuffix(".c") }
        let folders = Set(touched.map { ($0 as NSString).deletingLastPathComponent })
        let neighbours = folders.flatMap { folder in
            ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
                .filter { $0.hasSuffix(".c") }.map { folder + "/" + $0 }
        }
        let files = touched.union(neighbours).filter { images[$0] != nil || FileManager.default.fileExists(atPath: $0) }.sorted()
        let wanted = Set(findings.map(identity))
        return FixRun.run(engine: engine, options: AnalysisOptions(
            files: files, compileDatabase: try input.compileDatabase(root: root), jobs: input.analysis.jobs,
            overlay: images, kernelVersion: kernelVersion, kbuildCache: input.analysis.kbuildCache), include: { wanted.contains(identity($0)) })
    }

    /// The series' post-images after each patch, by patch number.
    static func images(after result: CheckResult) -> [Int: [String: [UInt8]]] {
        var state: [String: [UInt8]] = [:]
        var out: [Int: [String: [UInt8]]] = [:]
        for outcome in result.outcomes.sorted(by: { $0.number < $1.number }) {
            state.merge(outcome.images) { _, newer in newer }
            out[outcome.number] = state
        }
        return out
    }

    /// `check --fix`: after the report, the follow-up diff on top of the series.
    static func print(_ result: CheckResult, engine: Engine, root: String, input: PatchInput) throws {
        guard !result.findings.isEmpty else { return }
        guard result.mode == .tree else {
            printError("mmlint: --fix: the patched files are not in the tree (hunk-only mode); no follow-up fix")
            return
        }
        let last = images(after: result)[result.outcomes.map(\.number).max() ?? 0] ?? [:]
        let run = try run(result.findings, images: last, kernelVersion: result.kernelVersion,
                          engine: engine, root: root, input: input)
        func place(_ location: Location) -> String {
            "\(Paths.relative(location.file, to: root)):\(location.line):\(location.column)"
        }
        let seen = Set(run.plan.fixed.map { identity($0.finding) } + run.plan.left.map { identity($0.finding) })
        for finding in result.findings where !seen.contains(identity(finding)) {
            printError("\(place(finding.location)): \(finding.ruleID): not fixed: not found again when the patched files were analysed on their own")
        }
        for left in run.plan.left {
            printError("\(place(left.finding.location)): \(left.finding.ruleID): not fixed: \(left.why)")
        }
        guard run.isVerified else {
            printError("mmlint: error: --fix: the follow-up fix does not hold when reparsed; none printed")
            return
        }
        let diff = run.diff(root: root)
        guard !diff.isEmpty else { return }
        for fixed in run.plan.fixed {
            if let note = fixed.note { printError("\(place(fixed.finding.location)): \(fixed.finding.ruleID): review: \(note)") }
        }
        FileHandle.standardOutput.write(Data(("\nFollow-up fix, on top of the series (untested):\n\n" + diff).utf8))
    }

    /// `review --fix`: per finding of the check (by `Finding.key`), the
    /// short diff that fixes it on top of its patch.
    static func suggestions(_ result: CheckResult, engine: Engine, root: String, input: PatchInput) throws -> [String: String] {
        guard result.mode == .tree else { return [:] }
        let states = images(after: result)
        var suggestions: [String: String] = [:]
        for outcome in result.outcomes where !outcome.findings.isEmpty {
            let run = try run(outcome.findings, images: states[outcome.number] ?? [:], kernelVersion: result.kernelVersion,
                              engine: engine, root: root, input: input)
            // A fix that does not hold is not offered.
            guard run.isVerified else { continue }
            for fixed in run.plan.fixed where !fixed.edits.isEmpty {
                var diff = ""
                for (file, edits) in Dictionary(grouping: fixed.edits, by: \.file).sorted(by: { $0.key < $1.key }) {
                    guard let original = run.originals[file] else { continue }
                    let path = Paths.relative(file, to: root)
                    diff += UnifiedDiff.make(path: path, old: original, edits: edits)
                }
                for finding in outcome.findings where identity(finding) == identity(fixed.finding) {
                    suggestions[finding.key] = diff
                }
            }
        }
        return suggestions
    }
}

import Foundation
import MMLintCore
import MMLintEngine
import MMLintPatch
import MMLintSupport

/// How a check runs.
public struct CheckOptions: Sendable {
    /// The tree the patches apply to (absolute).
    public var tree: String
    public var compileDatabase: CompileDatabase?
    public var jobs: Int
    public var kernelVersion: KernelVersion?
    /// Where the facts of the tree's own files are kept between runs: the
    /// touched files before the series and their neighbours, which every
    /// check against the same tree parses again. Patched versions are
    /// one-offs and never cached.
    public var cache: FactCache?
    /// See `AnalysisOptions.kbuildCache`.
    public var kbuildCache: String?
    /// See `AnalysisOptions.memoryBudget`.
    public var memoryBudget: Int?

    public init(tree: String, compileDatabase: CompileDatabase? = nil,
                jobs: Int = ProcessInfo.processInfo.activeProcessorCount, kernelVersion: KernelVersion? = nil,
                cache: FactCache? = nil, kbuildCache: String? = nil, memoryBudget: Int? = nil) {
        self.cache = cache
        self.memoryBudget = memoryBudget
        self.kbuildCache = kbuildCache
        self.tree = tree
        self.compileDatabase = compileDatabase
        self.jobs = jobs
        self.kernelVersion = kernelVersion
    }
}

/// What one patch of a series did.
public struct PatchOutcome: Sendable {
    /// 1-based position in the series as checked.
    public var number: Int
    public var patch: Patch
    /// Findings the patch introduces, placed in its post-image.
    public var findings: [Finding]
    /// Findings present before the patch and gone after it.
    public var fixed: [Finding]
    /// The patch's post-images by absolute path, for quoting lines.
    public var images: [String: [UInt8]]
}

/// The answer to "does this series add mm API misuse?".
public struct CheckResult: Sendable {
    public enum Mode: String, Sendable {
        /// Each patch applied in memory to the tree and both sides analysed.
        case tree
        /// The files are not in the tree: each hunk analysed alone, in bare mode.
        case hunkOnly = "hunk-only"
    }
    public var mode: Mode
    public var outcomes: [PatchOutcome]
    public var kernelRoot: String?
    public var kernelVersion: KernelVersion?
    public var warnings: [String]
    /// Files analysed (translation units, pre and post images counted once
    /// each), `cached` of them taken from the fact cache rather than parsed.
    public var parsed: Int
    public var cached: Int = 0
    public var parseErrors: Int
    public var flagNotes: [String]
    /// Versions of files the check needed and could not analyse, one entry
    /// per file and cause. Any entry makes the answer incomplete: findings in
    /// those versions are unknown, so "nothing new" cannot be claimed.
    public var failures: [CheckFailure] = []

    public var findings: [Finding] { outcomes.flatMap(\.findings) }
    /// Every file the check needed was analysed.
    public var isComplete: Bool { failures.isEmpty }
}

/// A file the check needed and could not analyse (the parser crashed or
/// hung, the worker died): not a parse error, which is a diagnostic in a
/// file that was analysed.
public struct CheckFailure: Sendable, Equatable, CustomStringConvertible {
    /// Absolute path in the tree.
    public var file: String
    /// Which versions: `before the patch`, `after patch 2`, `as a neighbour
    /// of the patched files`, `the hunks of the patch`, …
    public var version: String
    public var cause: String

    public init(file: String, version: String, cause: String) {
        self.file = file
        self.version = version
        self.cause = cause
    }

    public var description: String { "\(file) (\(version)): \(cause)" }

    /// One entry per file and cause, its versions (states of the series, or
    /// whatever `label` makes words of) named together, in the order first seen.
    static func grouped(_ failed: [(file: String, cause: String, versions: [Int])],
                        label: ([Int]) -> String) -> [CheckFailure] {
        var order: [String] = []
        var merged: [String: (file: String, cause: String, versions: Set<Int>)] = [:]
        for entry in failed {
            let key = entry.file + "\u{0}" + entry.cause
            if merged[key] == nil {
                order.append(key)
                merged[key] = (entry.file, entry.cause, [])
            }
            merged[key]!.versions.formUnion(entry.versions)
        }
        return order.map { key in
            let entry = merged[key]!
            return CheckFailure(file: entry.file, version: label(entry.versions.sorted()), cause: entry.cause)
        }
    }

    /// `before the patch`, `before and after the patch`, `before the
    /// series and after patches 1, 3`: states of a series (0: before it,
    /// k: after patch k) in words.
    static func states(_ states: [Int], patches: Int) -> String {
        if patches == 1 {
            switch (states.contains(0), states.contains(1)) {
            case (true, true): return "before and after the patch"
            case (true, false): return "before the patch"
            default: return "after the patch"
            }
        }
        var parts: [String] = []
        if states.contains(0) { parts.append("before the series") }
        let after = states.filter { $0 > 0 }
        if !after.isEmpty {
            parts.append((after.count == 1 ? "after patch " : "after patches ") + after.map(String.init).joined(separator: ", "))
        }
        return parts.joined(separator: " and ")
    }
}

/// Why a check could not run.
public enum CheckError: Error, CustomStringConvertible, Equatable {
    case patch(String)
    case input(String)
    public var description: String {
        switch self {
        case .patch(let message), .input(let message): return message
        }
    }
}

/// `mmlint check`: applies a series in memory, analyses the touched files
/// before and after each patch (all versions parsed in one parallel batch),
/// and reports what each patch introduced.
public enum PatchCheck {
    /// The contents of a path at some point of the series.
    enum FileState: Equatable {
        case present([UInt8])
        case deleted
    }

    public static func run(_ series: PatchSeries, engine: Engine, options: CheckOptions) throws(CheckError) -> CheckResult {
        let root = Paths.normalize(options.tree)
        for patch in series.patches {
            for file in patch.files {
                for path in [file.oldPath, file.newPath].compactMap({ $0 }) {
                    try PathSafety.checkPath(path, root: root)
                }
            }
        }
        if !PathSafety.allFilesPresent(series, root: root) {
            return try HunkOnlyCheck.run(series, engine: engine, options: options, root: root)
        }
        return try TreeCheck(series: series, engine: engine, options: options, root: root).run()
    }

    static func isC(_ path: String) -> Bool { path.hasSuffix(".c") || path.hasSuffix(".h") }
}

/// Tree mode.
struct TreeCheck {
    let series: PatchSeries
    let engine: Engine
    let options: CheckOptions
    let root: String

    typealias FileState = PatchCheck.FileState

    func run() throws(CheckError) -> CheckResult {
        // 1. Apply the series cumulatively, in memory. When it does not apply
        //    to the tree but the tree already holds it (committed, as when git
        //    send-email's hook runs), start from the tree with the series
        //    taken back out.
        var base: [String: FileState] = [:]
        var alreadyApplied = false
        var applied: Application
        do {
            applied = try apply(from: base)
        } catch let forward {
            guard let unapplied = try? unapply() else { throw forward }
            base = unapplied
            alreadyApplied = true
            applied = try apply(from: base)
        }
        let (snapshots, added, renames) = (applied.snapshots, applied.added, applied.renames)

        // 2. The files to analyse: touched C sources, and for touched
        //    headers the sources next to them that include them.
        let touched = Set(snapshots.flatMap(\.keys)).sorted()
        var sources = touched.filter { $0.hasSuffix(".c") }
        for header in touched where header.hasSuffix(".h") {
            sources += includers(of: header, in: snapshots.last!).filter { !sources.contains($0) }
        }
        let plan = engine.plan(for: AnalysisOptions(
            files: sources.map { root + "/" + $0 }, compileDatabase: options.compileDatabase, jobs: options.jobs,
            kbuildCache: options.kbuildCache))

        // 3. One request per distinct (file, version of the touched files).
        //    Skipped lines are recorded (libclang's detailed preprocessing
        //    record: up to 1.45x a parse) only where they can matter: a
        //    version in which the patch added a line naming a watched name,
        //    the only lines `skippedCode` looks at. Before the series none
        //    are, so that parse is the tree's own and can come from the cache.
        let watched = Self.watchedNames(engine)
        var requests: [ParseRequest] = []
        var requestIndex: [String: Int] = [:]
        var stateRequests: [[Int]] = []
        for (state, snapshot) in snapshots.enumerated() {
            let overlay = self.overlay(snapshot)
            var fingerprint = FNV1a()
            for path in overlay.keys.sorted() {
                fingerprint.add(path)
                fingerprint.add(overlay[path]!)
            }
            var indices: [Int] = []
            for source in sources where exists(source, in: snapshot) {
                let records = Self.addsWatchedName(lines: added[state][source] ?? [], in: snapshot[source], watched: watched)
                let key = source + "|" + fingerprint.hex
                if let known = requestIndex[key] {
                    indices.append(known)
                    if records { requests[known].recordsSkippedLines = true }
                } else {
                    requestIndex[key] = requests.count
                    indices.append(requests.count)
                    requests.append(ParseRequest(path: root + "/" + source, overlay: overlay, recordsSkippedLines: records))
                }
            }
            stateRequests.append(indices)
        }
        var outcomes = engine.parse(requests, plan: plan, jobs: options.jobs, cache: options.cache,
                                    memoryBudget: options.memoryBudget)

        // 4. Neighbours (two rounds at most): files next to the touched ones
        //    that define what fault paths call, or call what the patches changed.
        let neighbourStart = outcomes.count
        var neighbours: [String] = []
        for _ in 0..<2 {
            let states = stateRequests.map { indices in
                indices.compactMap { outcomes[$0].facts } + outcomes[neighbourStart...].compactMap(\.facts)
            }
            let more = NeighbourSearch(engine: engine, root: root)
                .files(states: states, added: added, sources: sources + neighbours)
            guard !more.isEmpty else { break }
            neighbours += more
            outcomes += engine.parse(more.map { ParseRequest(path: root + "/" + $0) }, plan: plan, jobs: options.jobs,
                                     cache: options.cache, memoryBudget: options.memoryBudget)
        }
        let neighbourUnits = outcomes[neighbourStart...].compactMap(\.facts)

        // 5. Findings at each point of the series, then the differences.
        let version = options.kernelVersion ?? plan.tree?.version
        let evaluated = stateRequests.map { indices in
            engine.evaluate(indices.compactMap { outcomes[$0].facts } + neighbourUnits, kernelVersion: version)
        }
        let findings = evaluated.map(\.1)
        let programs = evaluated.map(\.0)
        // Files of each state that could not be analysed: their old findings
        // cannot be called fixed.
        var failedIn = [Set<String>](repeating: [], count: stateRequests.count)
        for (state, indices) in stateRequests.enumerated() {
            for index in indices where outcomes[index].facts == nil { failedIn[state].insert(requests[index].path) }
        }
        var results: [PatchOutcome] = []
        var skippedFailures: [CheckFailure] = []
        var skippedParsed = 0
        for (offset, patch) in series.patches.enumerated() {
            let k = offset + 1
            let before = findings[k - 1].map { rekey($0, renames: renames[k]) }
            let after = findings[k]
            let addedLines = added[k].reduce(into: [String: Set<Int>]()) { $0[root + "/" + $1.key] = $1.value }
            let differ = FindingDiff(signatureLabel: engine.knowledge.faultContext.signatureLabel)
            let introduced = differ.introduced(after: after, before: before).map { finding in
                relocate(finding, program: programs[k], added: addedLines)
            }
            let skipped = skippedCode(patch: patch, number: k, units: stateRequests[k].compactMap { outcomes[$0].facts },
                                      added: added[k], state: snapshots[k], kernelVersion: version)
            skippedFailures += skipped.failures
            skippedParsed += skipped.parsed
            let fixed = differ.fixed(before: before, after: after).filter { !failedIn[k].contains($0.location.file) }
            var images: [String: [UInt8]] = [:]
            for (path, file) in snapshots[k] {
                if case .present(let bytes) = file { images[root + "/" + path] = bytes }
            }
            results.append(PatchOutcome(number: k, patch: patch,
                                        findings: (introduced + skipped.findings).sorted(by: Finding.reportOrder),
                                        fixed: fixed.sorted(by: Finding.reportOrder), images: images))
        }
        let units = outcomes.compactMap(\.facts)
        let cached = outcomes.filter(\.cached).count
        var warnings = plan.warnings
        if alreadyApplied {
            warnings.append("the series is already in the tree: checked against the tree with it taken back out")
        }
        var result = CheckResult(mode: .tree, outcomes: results, kernelRoot: plan.tree?.root, kernelVersion: version,
                                 warnings: warnings, parsed: units.count + skippedParsed,
                                 parseErrors: units.reduce(0) { $0 + $1.errors.count },
                                 flagNotes: Array(Set(outcomes.map(\.note))).sorted(),
                                 failures: failures(outcomes, stateRequests: stateRequests, neighbourStart: neighbourStart)
                                     + skippedFailures)
        result.cached = cached
        return result
    }

    /// A version that could not be analysed has no findings: each is named
    /// with the states of the series it stands for, or "nothing new" would
    /// be a silent guess.
    func failures(_ outcomes: [ParseOutcome], stateRequests: [[Int]], neighbourStart: Int) -> [CheckFailure] {
        let neighbour = -1
        var states: [Int: [Int]] = [:]
        for (state, indices) in stateRequests.enumerated() {
            for index in indices { states[index, default: []].append(state) }
        }
        let failed = outcomes.enumerated().compactMap { index, outcome in
            outcome.failure.map { failure in
                (file: failure.file, cause: failure.cause,
                 versions: index >= neighbourStart ? [neighbour] : states[index] ?? [])
            }
        }
        return CheckFailure.grouped(failed) { versions in
            versions == [neighbour] ? "as a neighbour of the patched files"
                : CheckFailure.states(versions.filter { $0 != neighbour }, patches: series.patches.count)
        }
    }

    /// What a patch adds in code this configuration does not compile (the
    /// branch of an `#if` the preprocessor skipped): the parse saw none of
    /// it, so the lines that mention a name some rule watches are analysed
    /// as hunk-only mode analyses a hunk — the branch the patch writes in is
    /// the one parsed — and their findings reported at low confidence. A
    /// fragment that cannot be analysed fails the check: skipped code is
    /// never read as clean.
    func skippedCode(patch: Patch, number k: Int, units: [UnitFacts], added: [String: Set<Int>],
                     state: [String: FileState], kernelVersion: KernelVersion?)
        -> (findings: [Finding], failures: [CheckFailure], parsed: Int) {
        let watched = Self.watchedNames(engine)
        var files: [FilePatch] = []
        var skippedLines: [String: [Int: String]] = [:]
        for unit in units where !unit.skippedLines.isEmpty {
            let path = Paths.relative(unit.file, to: root)
            guard let lines = added[path], case .present(let bytes)? = state[path],
                  let file = patch.files.first(where: { $0.newPath == path && !$0.isBinary }) else { continue }
            let text = bytes.split(separator: 0x0a, omittingEmptySubsequences: false)
            var watchedHere: [Int: String] = [:]
            for line in lines.sorted() where line <= text.count {
                guard let range = unit.skippedLines.first(where: { $0.first <= line && line <= $0.last }),
                      Self.mentionsWatchedName(text[line - 1], watched: watched) else { continue }
                let directive = String(decoding: text[range.first - 1], as: UTF8.self)
                    .trimmingCharacters(in: .whitespacesAndNewlines)
                watchedHere[line] = directive
            }
            guard !watchedHere.isEmpty else { continue }
            var trimmed = file
            trimmed.hunks = file.hunks.filter { hunk in
                var line = hunk.newStart
                for hunkLine in hunk.lines where hunkLine.kind != .removed {
                    if hunkLine.kind == .added, watchedHere[line] != nil { return true }
                    line += 1
                }
                return false
            }
            files.append(trimmed)
            skippedLines[root + "/" + path] = watchedHere
        }
        guard !files.isEmpty else { return ([], [], 0) }
        let plan = engine.plan(for: AnalysisOptions(files: [], jobs: options.jobs))
        let analysis = HunkOnlyCheck.analyse(files, syntheticRoot: "/mmlint-skipped/\(k)/", root: root, engine: engine,
                                             plan: plan, jobs: options.jobs, kernelVersion: kernelVersion)
        let findings = analysis.findings.compactMap { finding -> Finding? in
            guard let directive = skippedLines[finding.location.file]?[finding.location.line] else { return nil }
            var finding = finding
            finding.message += "; this line is not built in this configuration (\(directive) is not taken here), "
                + "so it was analysed from the patch's hunk alone"
            return finding
        }
        let version = series.patches.count == 1 ? "the patch's lines this configuration does not build"
            : "the lines patch \(k) adds that this configuration does not build"
        let failures = analysis.failed.map { CheckFailure(file: $0.file, version: version, cause: $0.cause) }
        return (findings, failures, analysis.parsed)
    }

    /// True when one of `lines` (1-based, of the file's version `file`)
    /// mentions a name of `watched`: the added lines `skippedCode` analyses
    /// when the preprocessor skipped them.
    static func addsWatchedName(lines: Set<Int>, in file: FileState?, watched: Set<String>) -> Bool {
        guard !lines.isEmpty, case .present(let bytes)? = file else { return false }
        let text = bytes.split(separator: 0x0a, omittingEmptySubsequences: false)
        return lines.contains { line in
            line >= 1 && line <= text.count && mentionsWatchedName(text[line - 1], watched: watched)
        }
    }

    /// Whether one line's bytes mention a name of `watched` as a whole identifier.
    static func mentionsWatchedName(_ line: ArraySlice<UInt8>, watched: Set<String>) -> Bool {
        let bytes = Array(line)
        return watched.contains { mentions(bytes, identifier: $0) }
    }

    /// Names whose mention on a line can make a finding there: the APIs the
    /// rules watch and the names and members their evidence is made of.
    static func watchedNames(_ engine: Engine) -> Set<String> {
        var names = engine.watchedAPIs
        for rule in engine.knowledge.rules.values {
            guard let evidence = rule.evidence else { continue }
            names.formUnion(evidence.names ?? [])
            names.formUnion(evidence.members ?? [])
            names.formUnion(evidence.memberWrites ?? [])
            names.formUnion(evidence.declared ?? [])
            for together in evidence.together ?? [] {
                names.formUnion(together.calls)
                names.formUnion(together.members)
            }
        }
        return names
    }

    /// The states of the touched files after each patch (index 0: before
    /// the series), the lines each patch added, and its renames.
    struct Application {
        var snapshots: [[String: FileState]]
        var added: [[String: Set<Int>]]
        var renames: [[String: String]]
    }

    func apply(from base: [String: FileState]) throws(CheckError) -> Application {
        var state = base
        var result = Application(snapshots: [state], added: [[:]], renames: [[:]])
        for patch in series.patches {
            var addedHere: [String: Set<Int>] = [:]
            var renamed: [String: String] = [:]
            for file in patch.files where !file.isBinary {
                let original: [UInt8]? = file.isNew ? nil : contents(of: file.oldPath ?? file.path, in: state)
                let applied: AppliedFile
                do {
                    applied = try PatchApplier.apply(file, to: original)
                } catch {
                    let which = patch.fullSubject.map { " (\($0))" } ?? ""
                    throw .patch("patch does not apply\(which): \(error.description)")
                }
                if file.isRename, let old = file.oldPath, old != applied.path {
                    state[old] = .deleted
                    renamed[old] = applied.path
                }
                state[applied.path] = applied.post.map(FileState.present) ?? .deleted
                addedHere[applied.path, default: []].formUnion(applied.addedLines)
            }
            result.snapshots.append(state)
            result.added.append(addedHere)
            result.renames.append(renamed)
        }
        return result
    }

    /// The touched files as they were before the series, when the tree holds
    /// the series already: each patch applied in reverse, last first.
    func unapply() throws -> [String: FileState] {
        var state: [String: FileState] = [:]
        for patch in series.patches.reversed() {
            for file in patch.files.reversed() where !file.isBinary {
                let reverse = Self.reversed(file)
                let current: [UInt8]? = reverse.isNew ? nil : contents(of: reverse.oldPath ?? reverse.path, in: state)
                let applied = try PatchApplier.apply(reverse, to: current)
                if file.isRename, let new = file.newPath, new != applied.path { state[new] = .deleted }
                state[applied.path] = applied.post.map(FileState.present) ?? .deleted
            }
        }
        return state
    }

    /// The patch that undoes `file`.
    static func reversed(_ file: FilePatch) -> FilePatch {
        FilePatch(oldPath: file.newPath, newPath: file.oldPath, isNew: file.isDeleted, isDeleted: file.isNew,
                  isRename: file.isRename, isCopy: file.isCopy, isBinary: file.isBinary,
                  oldMode: file.newMode, newMode: file.oldMode,
                  hunks: file.hunks.map { hunk in
                      Hunk(oldStart: hunk.newStart, oldCount: hunk.newCount, newStart: hunk.oldStart,
                           newCount: hunk.oldCount, section: hunk.section, header: hunk.header,
                           lines: hunk.lines.map { line in
                               var line = line
                               switch line.kind {
                               case .added: line.kind = .removed
                               case .removed: line.kind = .added
                               case .context: break
                               }
                               return line
                           },
                           bodyLine: hunk.bodyLine)
                  })
    }

    func contents(of path: String, in state: [String: FileState]) -> [UInt8]? {
        switch state[path] {
        case .present(let bytes): return bytes
        case .deleted: return nil
        case nil: return FileManager.default.contents(atPath: root + "/" + path).map { [UInt8]($0) }
        }
    }

    func exists(_ path: String, in state: [String: FileState]) -> Bool {
        switch state[path] {
        case .present: return true
        case .deleted: return false
        case nil: return FileManager.default.fileExists(atPath: root + "/" + path)
        }
    }

    /// Unsaved-file contents for a point of the series: every touched file
    /// that is present there.
    func overlay(_ state: [String: FileState]) -> [String: [UInt8]] {
        var overlay: [String: [UInt8]] = [:]
        for (path, file) in state {
            if case .present(let bytes) = file { overlay[root + "/" + path] = bytes }
        }
        return overlay
    }

    /// `.c` files in the header's folder that include it by name.
    func includers(of header: String, in state: [String: FileState]) -> [String] {
        let dir = (header as NSString).deletingLastPathComponent
        let name = (header as NSString).lastPathComponent
        let needle = Array("\(name)\"".utf8)
        return NeighbourSearch(engine: engine, root: root).cFiles(in: dir).filter { file in
            guard let bytes = contents(of: file, in: state) else { return false }
            return ByteSearch.contains(bytes, needle)
        }
    }

    /// A finding of the state before a patch, under the names the patch gave
    /// to renamed files.
    func rekey(_ finding: Finding, renames: [String: String]) -> Finding {
        var finding = finding
        let relative = Paths.relative(finding.location.file, to: root)
        if let new = renames[relative] { finding.location.file = root + "/" + new }
        return finding
    }

    /// A new finding whose call predates the patch is shown at the line the
    /// patch touched that made it reachable (a new `.fault =`, a new call
    /// into an old helper), and says so.
    func relocate(_ finding: Finding, program: Program, added: [String: Set<Int>]) -> Finding {
        if added[finding.location.file]?.contains(finding.location.line) == true { return finding }
        guard let usr = finding.functionUSR, let context = program.faultContext(of: usr) else { return finding }
        let sites = Program.chainSites(root: context.root, path: context.path)
        guard let site = sites.reversed().first(where: { added[$0.file]?.contains($0.line) == true }) else {
            return finding
        }
        var moved = finding
        moved.location = site
        let original = Paths.relative(finding.location.file, to: root) + ":\(finding.location.line)"
        moved.message += "; the \(finding.callee)() call at \(original) was already there, and this line "
            + "puts it in a fault path"
        return moved
    }
}

/// True when `identifier` occurs in `bytes` as a whole C identifier.
func mentions(_ bytes: [UInt8], identifier: String) -> Bool {
    let needle = Array(identifier.utf8)
    guard !needle.isEmpty, bytes.count >= needle.count else { return false }
    func isIdentifierByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b == 0x5f
    }
    var i = 0
    while i <= bytes.count - needle.count {
        if bytes[i] == needle[0], bytes[i..<(i + needle.count)].elementsEqual(needle),
           i == 0 || !isIdentifierByte(bytes[i - 1]),
           i + needle.count == bytes.count || !isIdentifierByte(bytes[i + needle.count]) {
            return true
        }
        i += 1
    }
    return false
}

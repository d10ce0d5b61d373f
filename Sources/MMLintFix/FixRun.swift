import Foundation
import MMLintCore
import MMLintEngine

/// One `mmlint fix` over analysed files: the plan, the fixed texts, and the
/// proof that the fixed texts are what the plan meant: reparsed, the fixed
/// findings are gone and no finding appeared that was not there before.
public struct FixRun: Sendable {
    public var analysis: AnalysisResult
    public var plan: FixPlan
    /// The original text of each file the plan changes.
    public var originals: [String: [UInt8]]
    /// The fixed text of each file the plan changes.
    public var fixedTexts: [String: [UInt8]]
    /// Findings of the fixed files that the fix should have removed but did not.
    public var remaining: [Finding]
    /// Findings of the fixed texts that the originals did not have.
    public var introduced: [Finding]
    /// Fixed files that could not be reparsed, or that parse with more errors than before.
    public var brokenFiles: [String]

    /// Analyses `options.files` (with `options.overlay` standing for files
    /// on disk: a patch's post-images), plans the fixes of the findings
    /// (those `include` accepts, when given) and checks them
    /// by reparsing the fixed files.
    public static func run(engine: Engine, options: AnalysisOptions, include: ((Finding) -> Bool)? = nil) -> FixRun {
        let analysis = engine.analyze(options)
        let overlay = options.overlay
        var context = FixContext(program: analysis.program, kernelVersion: analysis.kernelVersion) { path in
            if let bytes = overlay[path] { return SourceText(path: path, bytes: bytes) }
            guard let data = FileManager.default.contents(atPath: path) else { return nil }
            return SourceText(path: path, bytes: [UInt8](data))
        }
        let wanted = include.map { analysis.findings.filter($0) } ?? analysis.findings
        var plan = FixPlan.make(findings: wanted, context: &context)
        var run = FixRun(analysis: analysis, plan: plan, originals: [:], fixedTexts: [:],
                         remaining: [], introduced: [], brokenFiles: [])
        // A fix that does not hold is taken back with the others in its
        // files, and the rest checked again; a problem no fix's file explains
        // stays, and nothing is shown.
        for _ in 0..<3 {
            run.plan = plan
            run.check(engine: engine, options: options, context: &context)
            if run.isVerified { break }
            let blamed = run.blamed()
            guard !blamed.isEmpty else { break }
            plan.left += blamed.sorted().map {
                FixPlan.Left(finding: plan.fixed[$0].finding, why: "its fix did not hold when the fixed file was "
                             + "analysed again (a finding stayed or appeared, or a parse error); not shown")
            }
            plan.fixed = plan.fixed.enumerated().filter { !blamed.contains($0.offset) }.map(\.element)
        }
        return run
    }

    /// Where each fix's edits sit, in the original and in the fixed text
    /// (first and last line, per file), to tell which fix a finding of the
    /// fixed text comes from.
    struct Placement {
        var fix: Int
        var file: String
        var old: ClosedRange<Int>
        var new: ClosedRange<Int>
    }

    func placements() -> [Placement] {
        var out: [Placement] = []
        for (file, fixed) in fixedTexts {
            guard let original = originals[file] else { continue }
            let old = SourceText(path: file, bytes: original)
            let new = SourceText(path: file, bytes: fixed)
            var owned: [(fix: Int, edit: TextEdit)] = []
            for (index, fix) in plan.fixed.enumerated() {
                for edit in fix.edits where edit.file == file { owned.append((index, edit)) }
            }
            var delta = 0
            for (fix, edit) in owned.sorted(by: { $0.edit.start < $1.edit.start }) {
                let newStart = edit.start + delta
                let newEnd = newStart + edit.replacement.utf8.count
                delta += edit.replacement.utf8.count - (edit.end - edit.start)
                out.append(Placement(fix: fix, file: file,
                                     old: old.line(of: edit.start)...old.line(of: max(edit.start, edit.end - 1)),
                                     new: new.line(of: newStart)...new.line(of: max(newStart, newEnd - 1))))
            }
        }
        return out
    }

    /// The fixes (indices into `plan.fixed`) to take back: the one whose
    /// finding stayed, the one whose edits hold a new finding, every fix of
    /// a file that parses worse. A new finding inside a fix's edits that its
    /// original text had too (same rule and function: `mm-fault-vm-flags` on
    /// a `vm_flags |=` now spelled `vm_flags_set()`) is the same finding, not
    /// a new one. Empty when a problem is in no fix's edits.
    mutating func blamed() -> Set<Int> {
        let places = placements()
        var blamed = Set<Int>()
        for finding in remaining {
            guard let index = plan.fixed.firstIndex(where: { $0.finding.key == finding.key }) else { return [] }
            blamed.insert(index)
        }
        var stillIntroduced: [Finding] = []
        for finding in introduced {
            guard let place = places.first(where: { $0.file == finding.location.file && $0.new.contains(finding.location.line) })
            else { return [] }
            let respelled = analysis.findings.contains {
                $0.ruleID == finding.ruleID && $0.function == finding.function && $0.location.file == place.file
                    && place.old.contains($0.location.line)
            }
            if respelled { continue }
            stillIntroduced.append(finding)
            blamed.insert(place.fix)
        }
        introduced = stillIntroduced
        for file in brokenFiles {
            for (index, fix) in plan.fixed.enumerated() where fix.edits.contains(where: { $0.file == file }) {
                blamed.insert(index)
            }
        }
        return blamed
    }

    /// Makes the plan's edits and analyses the changed files again:
    /// `remaining`, `introduced` and `brokenFiles` say what did not hold.
    mutating func check(engine: Engine, options: AnalysisOptions, context: inout FixContext) {
        originals = [:]
        fixedTexts = [:]
        remaining = []
        introduced = []
        brokenFiles = []
        for (file, edits) in plan.editsByFile {
            guard let source = context.source(file) else { continue }
            originals[file] = source.bytes
            fixedTexts[file] = EditApplier.apply(edits, to: source.bytes)
        }
        guard !fixedTexts.isEmpty else { return }
        // Reparse the files that changed (and those of the scan that include
        // a changed file are unaffected: only .c files are edited).
        let changed = analysis.units.map(\.file).filter { fixedTexts[$0] != nil }
        let planFlags = engine.plan(for: options)
        let fixedOverlay = options.overlay.merging(fixedTexts) { _, fixed in fixed }
        let outcomes = engine.parse(changed.map { ParseRequest(path: $0, overlay: fixedOverlay) }, plan: planFlags,
                                    jobs: options.jobs)
        var units = analysis.units.filter { fixedTexts[$0.file] == nil }
        for (file, outcome) in zip(changed, outcomes) {
            guard let facts = outcome.facts else {
                brokenFiles.append(file)
                continue
            }
            let before = analysis.units.first { $0.file == file }?.errors.count ?? 0
            if facts.errors.count > before { brokenFiles.append(file) }
            units.append(facts)
        }
        let (_, after) = engine.evaluate(units, kernelVersion: analysis.kernelVersion)
        let fixedKeys = Set(plan.fixed.map(\.finding.key))
        let beforeKeys = Set(analysis.findings.map(\.key))
        remaining = after.filter { fixedKeys.contains($0.key) }
        introduced = after.filter { !beforeKeys.contains($0.key) }
    }

    /// Whether the fixes did what they meant to.
    public var isVerified: Bool { remaining.isEmpty && introduced.isEmpty && brokenFiles.isEmpty }

    /// The unified diff of every changed file, paths relative to `root`.
    public func diff(root: String) -> String {
        var out = ""
        for file in plan.files {
            guard let original = originals[file] else { continue }
            let path = Paths.relative(file, to: root)
            let text = UnifiedDiff.make(path: path, old: original, edits: plan.editsByFile[file] ?? [])
            if !text.isEmpty { out += "diff --git a/\(path) b/\(path)\n" + text }
        }
        return out
    }

}

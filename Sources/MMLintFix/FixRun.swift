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
        var originals: [String: [UInt8]] = [:]
        let overlay = options.overlay
        var context = FixContext(program: analysis.program, kernelVersion: analysis.kernelVersion) { path in
            if let bytes = overlay[path] { return SourceText(path: path, bytes: bytes) }
            guard let data = FileManager.default.contents(atPath: path) else { return nil }
            return SourceText(path: path, bytes: [UInt8](data))
        }
        let wanted = include.map { analysis.findings.filter($0) } ?? analysis.findings
        let plan = FixPlan.make(findings: wanted, context: &context)
        var fixedTexts: [String: [UInt8]] = [:]
        for (file, edits) in plan.editsByFile {
            guard let source = context.source(file) else { continue }
            originals[file] = source.bytes
            fixedTexts[file] = EditApplier.apply(edits, to: source.bytes)
        }
        var run = FixRun(analysis: analysis, plan: plan, originals: originals, fixedTexts: fixedTexts,
                         remaining: [], introduced: [], brokenFiles: [])
        guard !fixedTexts.isEmpty else { return run }
        // Reparse the files that changed (and those of the scan that include
        // a changed file are unaffected: only .c files are edited).
        let changed = analysis.units.map(\.file).filter { fixedTexts[$0] != nil }
        let planFlags = engine.plan(for: options)
        let fixedOverlay = overlay.merging(fixedTexts) { _, fixed in fixed }
        let outcomes = engine.parse(changed.map { ParseRequest(path: $0, overlay: fixedOverlay) }, plan: planFlags,
                                    jobs: options.jobs)
        var units = analysis.units.filter { fixedTexts[$0.file] == nil }
        for (file, outcome) in zip(changed, outcomes) {
            guard let facts = outcome.facts else {
                run.brokenFiles.append(file)
                continue
            }
            let before = analysis.units.first { $0.file == file }?.errors.count ?? 0
            if facts.errors.count > before { run.brokenFiles.append(file) }
            units.append(facts)
        }
        let (_, after) = engine.evaluate(units, kernelVersion: analysis.kernelVersion)
        let fixedKeys = Set(plan.fixed.map(\.finding.key))
        let beforeKeys = Set(analysis.findings.map(\.key))
        run.remaining = after.filter { fixedKeys.contains($0.key) }
        run.introduced = after.filter { !beforeKeys.contains($0.key) }
        return run
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

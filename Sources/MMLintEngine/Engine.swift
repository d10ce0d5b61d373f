import Foundation
import LibClang
import MMLintCore
import MMLintRules

/// An error the user can act on: it says what failed and what to do.
public enum EngineError: Error, CustomStringConvertible, Equatable {
    case input(String)
    case usage(String)

    public var description: String {
        switch self {
        case .input(let message), .usage(let message): return message
        }
    }
}

/// What to analyse and how.
public struct AnalysisOptions: Sendable {
    /// Files to parse, absolute.
    public var files: [String]
    public var compileDatabase: CompileDatabase?
    /// Parallel workers, each with its own libclang index.
    public var jobs: Int
    /// Contents that replace files on disk (patch post-images).
    public var overlay: [String: [UInt8]]
    /// Overrides the version read from the tree's Makefile.
    public var kernelVersion: KernelVersion?

    public init(files: [String], compileDatabase: CompileDatabase? = nil,
                jobs: Int = ProcessInfo.processInfo.activeProcessorCount,
                overlay: [String: [UInt8]] = [:], kernelVersion: KernelVersion? = nil) {
        self.files = files
        self.compileDatabase = compileDatabase
        self.jobs = max(1, jobs)
        self.overlay = overlay
        self.kernelVersion = kernelVersion
    }
}

/// The outcome of an analysis.
public struct AnalysisResult: Sendable {
    public var findings: [Finding]
    public var units: [UnitFacts]
    /// Files libclang could not parse at all (no facts), with the reason.
    public var failures: [String]
    /// The kernel tree the files belong to, when there is one.
    public var kernelRoot: String?
    public var kernelVersion: KernelVersion?
    /// One line per file: which flags were used.
    public var flagNotes: [String]
    /// Said once: problems with the set-up that changed how files were parsed.
    public var warnings: [String]
    public var program: Program
}

/// The one pipeline of every command: flags → parse → facts → program → rules.
public final class Engine: Sendable {
    public let knowledge: KnowledgeBase
    public let rules: [any Rule]
    let prelude: String

    public init(knowledge: KnowledgeBase, ruleIDs: [String] = []) throws(EngineError) {
        self.knowledge = knowledge
        let all: [any Rule]
        do {
            all = try BuiltinRules.all(knowledge: knowledge)
        } catch {
            throw .input(error.description)
        }
        if ruleIDs.isEmpty {
            rules = all
        } else {
            for id in ruleIDs where !all.contains(where: { $0.description.id == id }) {
                throw .usage("unknown rule '\(id)'; `mmlint rules` lists them")
            }
            rules = all.filter { ruleIDs.contains($0.description.id) }
        }
        prelude = knowledge.directory + "/bare/prelude.h"
        guard FileManager.default.fileExists(atPath: prelude) else {
            throw .input("\(prelude): missing; the rules folder is incomplete")
        }
    }

    /// Loads the rules folder found next to the executable (or `$MMLINT_RULES`).
    public convenience init(ruleIDs: [String] = [], rulesDirectory: String? = nil) throws(EngineError) {
        guard let directory = rulesDirectory ?? KnowledgeBase.locateDirectory() else {
            throw .input("cannot find mmlint's rules/ folder; set MMLINT_RULES to it")
        }
        let knowledge: KnowledgeBase
        do {
            knowledge = try KnowledgeBase(directory: directory)
        } catch {
            throw .input(error.description)
        }
        try self.init(knowledge: knowledge, ruleIDs: ruleIDs)
    }

    /// Parses every file and runs the rules over the merged program.
    public func analyze(_ options: AnalysisOptions) -> AnalysisResult {
        let plan = FlagPlan(options: options, prelude: prelude)
        let extractor = FactExtractor(faultContext: knowledge.faultContext) { Paths.normalize($0) }
        let files = options.files
        let slots = ResultSlots(count: files.count)
        let next = Counter()
        let overlay = options.overlay
        DispatchQueue.concurrentPerform(iterations: min(options.jobs, max(files.count, 1))) { _ in
            let index = ClangIndex()
            while true {
                let i = next.increment()
                guard i < files.count else { break }
                let file = files[i]
                let job = plan.job(for: file)
                var unsaved = job.unsaved.map { UnsavedFile(path: $0.path, contents: $0.contents) }
                for (path, contents) in overlay where !job.unsaved.contains(where: { $0.path == path }) {
                    unsaved.append(UnsavedFile(path: path, contents: contents))
                }
                do {
                    let unit = try index.parse(path: file, arguments: job.arguments, unsavedFiles: unsaved)
                    let facts = extractor.extract(unit, file: file, mode: job.mode)
                    slots.set(i, .parsed(facts, job.note))
                } catch {
                    slots.set(i, .failed(String(describing: error), job.note))
                }
            }
        }
        var units: [UnitFacts] = []
        var failures: [String] = []
        var notes: [String] = []
        for slot in slots.values {
            switch slot {
            case .parsed(let facts, let note):
                units.append(facts)
                notes.append(note)
            case .failed(let reason, let note):
                failures.append(reason)
                notes.append(note)
            case .none:
                break
            }
        }
        let version = options.kernelVersion ?? plan.tree?.version
        let program = Program(units: units, faultContext: knowledge.faultContext, kernelVersion: version)
        var findings: [Finding] = []
        var seen = Set<String>()
        for rule in rules {
            for finding in rule.check(program)
            where seen.insert("\(finding.ruleID)|\(finding.location.file):\(finding.location.line):\(finding.location.column)|\(finding.callee)").inserted {
                findings.append(finding)
            }
        }
        findings.sort(by: Finding.reportOrder)
        return AnalysisResult(findings: findings, units: units, failures: failures,
                              kernelRoot: plan.tree?.root, kernelVersion: version,
                              flagNotes: notes, warnings: plan.warnings, program: program)
    }
}

/// Thread-safe, index-addressed result storage for the workers.
private final class ResultSlots: @unchecked Sendable {
    enum Slot { case parsed(UnitFacts, String), failed(String, String) }
    private let lock = NSLock()
    private var storage: [Slot?]
    init(count: Int) { storage = Array(repeating: nil, count: count) }
    func set(_ index: Int, _ slot: Slot) {
        lock.lock()
        storage[index] = slot
        lock.unlock()
    }
    var values: [Slot?] {
        lock.lock()
        defer { lock.unlock() }
        return storage
    }
}

private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func increment() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value - 1
    }
}

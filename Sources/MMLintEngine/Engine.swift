import Foundation
import LibClang
import MMLintCore
import MMLintSupport

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
    /// Facts of unchanged files come from here when set.
    public var cache: FactCache?
    public var progress: Progress?
    /// The folder of `mmlint flags`' databases, when the flags were not
    /// named (no `--compile-commands`, no `--kconfig`): a file the tree's
    /// config does not build then takes kbuild's command from the broadest
    /// current database cached there for the tree. Nothing is ever made.
    public var kbuildCache: String?
    /// Bytes that mmlint and its parse workers should stay within together
    /// (`MemoryBudget`): past it, parses in workers run one at a time.
    /// Nil: no budget.
    public var memoryBudget: Int?

    public init(files: [String], compileDatabase: CompileDatabase? = nil,
                jobs: Int = ProcessInfo.processInfo.activeProcessorCount,
                overlay: [String: [UInt8]] = [:], kernelVersion: KernelVersion? = nil,
                cache: FactCache? = nil, progress: Progress? = nil, kbuildCache: String? = nil,
                memoryBudget: Int? = nil) {
        self.files = files
        self.memoryBudget = memoryBudget
        self.compileDatabase = compileDatabase
        self.kbuildCache = kbuildCache
        self.jobs = max(1, jobs)
        self.overlay = overlay
        self.kernelVersion = kernelVersion
        self.cache = cache
        self.progress = progress
    }
}

/// The outcome of an analysis.
public struct AnalysisResult: Sendable {
    public var findings: [Finding]
    public var units: [UnitFacts]
    /// How many units came from the fact cache.
    public var cached: Int
    /// Files that could not be analysed at all (no facts): libclang gave no
    /// translation unit, the parser crashed or hung, the worker died.
    public var failures: [AnalysisFailure]
    /// The kernel tree the files belong to, when there is one.
    public var kernelRoot: String?
    public var kernelVersion: KernelVersion?
    /// One line per file: which flags were used.
    public var flagNotes: [String]
    /// Files no config of this architecture builds (another architecture's
    /// `arch/`, or missing from allmodconfig's commands): analysed as well
    /// as can be, their parse errors reported apart.
    public var notBuiltOnArchitecture: Set<String> = []
    /// Files the tree's config does not build, parsed with flags guessed
    /// for that config because no cached kbuild database has their command.
    public var withoutKbuildCommand: Set<String> = []
    /// Said once: problems with the set-up that changed how files were parsed.
    public var warnings: [String]
    public var program: Program
}

/// Makes the built-in rules from the rules folder's knowledge. The engine
/// knows no rule: the command line passes `BuiltinRules.all`.
public typealias RuleFactory = (KnowledgeBase) throws(KnowledgeError) -> [any Rule]

/// The one pipeline of every command: flags → parse → facts → program → rules.
public final class Engine: Sendable {
    /// `rules/*.yaml`, plus the knowledge loaded plugins give for their rules.
    public let knowledge: KnowledgeBase
    /// The rules that run: built-ins then plugins' rules, less those the
    /// project config disables (unless named with `ruleIDs`).
    public let rules: [any Rule]
    /// Every rule known, enabled or not: built-ins, then plugins' rules.
    public let allRules: [any Rule]
    public let plugins: [LoadedPlugin]
    /// Severity per rule id set by the project config; findings of other
    /// rules keep the severity their rule gave.
    public let severities: [String: Severity]
    let prelude: String

    /// `ruleIDs` (the command line's `--rule`) wins over the config's `enabled`.
    public init(builtins: RuleFactory, knowledge: KnowledgeBase, ruleIDs: [String] = [], plugins: [LoadedPlugin] = [],
                config: ProjectConfig? = nil) throws(EngineError) {
        var knowledge = knowledge
        var all: [any Rule]
        do {
            all = try builtins(knowledge)
        } catch {
            throw .input(error.description)
        }
        var owner = Dictionary(all.map { ($0.description.id, "a built-in rule") }) { first, _ in first }
        for plugin in plugins {
            for rule in plugin.rules {
                let id = rule.description.id
                if let other = owner[id] {
                    throw .input("\(plugin.path): the plugin's rule '\(id)' has the id of \(other); rename the plugin's rule")
                }
                owner[id] = "a rule of \(plugin.path)"
                all.append(rule)
                // Like a built-in rule's rules/<id>.yaml: the scan prefilter
                // learns from it which files the rule needs.
                guard let entry = plugin.knowledge.first(where: { $0.id == id }) else {
                    throw .input("\(plugin.path): the plugin's rule '\(id)' comes without its RuleKnowledge (the APIs it watches, which the scan's prefilter needs); pass it to MMLintPlugin.export(rules:knowledge:)")
                }
                knowledge.rules[id] = entry
            }
        }
        if let config {
            do {
                try config.validate(ruleIDs: Set(owner.keys))
            } catch {
                throw .input(error.description)
            }
        }
        self.knowledge = knowledge
        self.allRules = all
        self.plugins = plugins
        self.severities = config?.severities ?? [:]
        if ruleIDs.isEmpty {
            let disabled = config?.disabled ?? []
            rules = all.filter { !disabled.contains($0.description.id) }
        } else {
            for id in ruleIDs where owner[id] == nil {
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
    public convenience init(builtins: RuleFactory, ruleIDs: [String] = [], rulesDirectory: String? = nil,
                            plugins: [LoadedPlugin] = [], config: ProjectConfig? = nil) throws(EngineError) {
        guard let directory = rulesDirectory ?? KnowledgeBase.locateDirectory() else {
            throw .input("cannot find mmlint's rules/ folder; set MMLINT_RULES to it")
        }
        let knowledge: KnowledgeBase
        do {
            knowledge = try KnowledgeBase(directory: directory)
        } catch {
            throw .input(error.description)
        }
        try self.init(builtins: builtins, knowledge: knowledge, ruleIDs: ruleIDs, plugins: plugins, config: config)
    }

    /// Every API some rule watches (from rules/*.yaml).
    public var watchedAPIs: Set<String> {
        Set(knowledge.rules.values.flatMap { $0.apis.map(\.name) })
    }

    /// The watched APIs of the active rules by scope: `fault` (a finding only
    /// on a fault path) and `anywhere`.
    public func watchedAPIs(scope: RuleKnowledge.Scope) -> Set<String> {
        let active = Set(rules.map(\.description.id))
        return Set(knowledge.rules.values.filter { active.contains($0.id) && $0.scope == scope }
            .flatMap { $0.apis.map(\.name) })
    }

    /// Parses every file and runs the rules over the merged program.
    public func analyze(_ options: AnalysisOptions) -> AnalysisResult {
        let plan = FlagPlan(options: options, prelude: prelude)
        let requests = options.files.map { ParseRequest(path: $0, overlay: options.overlay) }
        let outcomes = parse(requests, plan: plan, jobs: options.jobs, cache: options.cache, progress: options.progress,
                             memoryBudget: options.memoryBudget)
        // Nothing more parses here: idle workers would hold their memory
        // (115 MiB each after a kernel scan) through the rules for nothing.
        // A later parse of the process starts new ones.
        WorkerPool.shared.shutdown()
        let units = outcomes.compactMap(\.facts)
        let version = options.kernelVersion ?? plan.tree?.version
        let (program, findings) = evaluate(units, kernelVersion: version)
        var warnings = plan.warnings
        warnings += options.cache?.warnings ?? []
        var result = AnalysisResult(findings: findings, units: units, cached: outcomes.filter(\.cached).count,
                                    failures: outcomes.compactMap(\.failure),
                                    kernelRoot: plan.tree?.root, kernelVersion: version,
                                    flagNotes: outcomes.map(\.note), warnings: warnings, program: program)
        for (request, outcome) in zip(requests, outcomes) {
            switch outcome.unbuilt {
            case .onArchitecture: result.notBuiltOnArchitecture.insert(request.path)
            case .withoutCommand: result.withoutKbuildCommand.insert(request.path)
            case nil: break
            }
        }
        return result
    }

    /// Flag decisions for a set of files (the tree, the database, warnings).
    public func plan(for options: AnalysisOptions) -> FlagPlan { FlagPlan(options: options, prelude: prelude) }

    /// Parses each request in parallel (one libclang index per worker) and
    /// returns the outcomes in request order. With `memoryBudget` (bytes),
    /// parses in workers start only while the process tree fits it, or one
    /// at a time.
    public func parse(_ requests: [ParseRequest], plan: FlagPlan, jobs: Int, cache: FactCache? = nil,
                      progress: Progress? = nil, memoryBudget: Int? = nil) -> [ParseOutcome] {
        let paths = Paths.Memo()
        let extractor = FactExtractor(faultContext: knowledge.faultContext) { paths.normalize($0) }
        let slots = LockedSlots<ParseOutcome>(count: requests.count)
        // Units repeat the header functions they pull in: one copy is kept.
        let pool = FactPool()
        let next = LockedCounter()
        let isolation = ParseIsolation.configuration
        let budget = isolation == nil ? nil : memoryBudget.map(MemoryBudget.init(bytes:))
        DispatchQueue.concurrentPerform(iterations: min(max(jobs, 1), max(requests.count, 1))) { _ in
            // In a worker process when isolation is on (the CLI), else in this one.
            let worker = isolation.map { WorkerPool.shared.take($0) }
            defer { if let worker { WorkerPool.shared.give(worker) } }
            lazy var index = ClangIndex()
            while true {
                let i = next.next()
                guard i < requests.count else { break }
                let request = requests[i]
                // Decoded replies leave freed pages behind on both threads'
                // heaps; without this the parent's memory grows with the scan.
                if i % 16 == 15 { Memory.releaseFreed() }
                let job = plan.job(for: request.path, overlay: request.overlay, forceBare: request.forceBare)
                defer { progress?.advance() }
                // Only plain files are cached: overlays (patches) are one-offs,
                // and cached facts never carry skipped lines.
                let key = request.overlay.isEmpty && !request.forceBare && !request.recordsSkippedLines
                    && !(isolation != nil && ParseWorkerServer.isFaultInjected(request.path))
                    ? cache?.key(file: request.path, arguments: job.arguments, mode: job.mode) : nil
                if let key, let facts = cache?.lookup(key) {
                    slots.set(i, ParseOutcome(facts: pool.share(facts), failure: nil, note: job.note, cached: true,
                                              unbuilt: job.unbuilt))
                    continue
                }
                var unsaved = job.unsaved.map { UnsavedFile(path: $0.path, contents: $0.contents) }
                for (path, contents) in request.overlay where !job.unsaved.contains(where: { $0.path == path }) {
                    unsaved.append(UnsavedFile(path: path, contents: contents))
                }
                if let worker {
                    let ticket = budget?.admit(worker: worker.processID)
                    let outcome = worker.parse(WorkerRequest(
                        path: request.path, arguments: job.arguments, mode: job.mode,
                        unsaved: unsaved.map { WorkerRequest.File(path: $0.path, contents: Data($0.contents)) },
                        faultContext: knowledge.faultContext, recordsSkippedLines: request.recordsSkippedLines))
                    if let budget, let ticket {
                        if case .reply(let reply) = outcome {
                            budget.finish(ticket, resident: reply.resident)
                        } else {
                            budget.finish(ticket, resident: nil)
                        }
                    }
                    switch outcome {
                    case .reply(let reply):
                        if let facts = reply.facts, let key {
                            cache?.store(key, facts: facts, inputs: reply.included)
                        }
                        slots.set(i, ParseOutcome(facts: reply.facts.map(pool.share),
                                                  failure: reply.failure.map { AnalysisFailure(file: request.path, message: $0) },
                                                  note: job.note, cached: false, unbuilt: job.unbuilt))
                    case .fault(let why):
                        slots.set(i, ParseOutcome(facts: nil, failure: AnalysisFailure(file: request.path, cause: why),
                                                  note: job.note, cached: false, unbuilt: job.unbuilt))
                    }
                    continue
                }
                do {
                    let unit = try index.parse(path: request.path, arguments: job.arguments, unsavedFiles: unsaved,
                                               recordsSkippedRanges: request.recordsSkippedLines)
                    let facts = extractor.extract(unit, file: request.path, mode: job.mode)
                    if let key {
                        cache?.store(key, facts: facts, inputs: unit.includedFiles.map { paths.normalize($0) })
                    }
                    slots.set(i, ParseOutcome(facts: pool.share(facts), failure: nil, note: job.note, cached: false,
                                              unbuilt: job.unbuilt))
                } catch {
                    slots.set(i, ParseOutcome(facts: nil, failure: AnalysisFailure(file: request.path, message: String(describing: error)),
                                              note: job.note, cached: false, unbuilt: job.unbuilt))
                }
            }
        }
        Memory.stage("\(requests.count) files parsed or cached; " + WorkerProcess.memoryNote
                     + (budget.map { "; \($0.waited) parses waited for the memory budget; " + $0.learnt } ?? ""))
        return slots.values.enumerated().map { i, slot in
            slot ?? ParseOutcome(facts: nil, failure: AnalysisFailure(file: requests[i].path, cause: "not parsed"),
                                 note: "", cached: false)
        }
    }

    /// Runs the rules over the program the units make; findings in report
    /// order, one per rule and call site.
    public func evaluate(_ units: [UnitFacts], kernelVersion: KernelVersion?) -> (Program, [Finding]) {
        Memory.stage("\(units.count) units held; " + WorkerProcess.memoryNote)
        let program = Program(units: units, faultContext: knowledge.faultContext, kernelVersion: kernelVersion)
        Memory.stage("program built: \(program.functions.count) functions")
        var findings: [Finding] = []
        var seen = Set<String>()
        for rule in rules {
            defer { Memory.stage("rule \(rule.description.id) run") }
            for finding in rule.check(program)
            where seen.insert("\(finding.ruleID)|\(finding.location.file):\(finding.location.line):\(finding.location.column)|\(finding.callee)").inserted {
                var finding = finding
                if let severity = severities[finding.ruleID] { finding.severity = severity }
                findings.append(finding)
            }
        }
        findings.sort(by: Finding.reportOrder)
        return (program, findings)
    }
}

/// One file to parse, with the contents that replace files on disk for it.
public struct ParseRequest: Sendable {
    public var path: String
    public var overlay: [String: [UInt8]]
    /// Parse with the bare prelude whatever the tree offers (hunk-only analysis).
    public var forceBare: Bool
    /// Record the lines the preprocessor skipped (`UnitFacts.skippedLines`):
    /// a check needs them for the files a patch touches; a scan does not
    /// pay for them.
    public var recordsSkippedLines: Bool
    public init(path: String, overlay: [String: [UInt8]] = [:], forceBare: Bool = false,
                recordsSkippedLines: Bool = false) {
        self.path = path
        self.overlay = overlay
        self.forceBare = forceBare
        self.recordsSkippedLines = recordsSkippedLines
    }
}

/// A file that could not be analysed: no facts at all, so nothing is known
/// about it (unlike parse errors, which are diagnostics in a file that was).
public struct AnalysisFailure: Sendable, Hashable, CustomStringConvertible {
    /// The file asked for (absolute).
    public var file: String
    /// Why: the parser crashed, hung, or libclang gave no translation unit.
    public var cause: String

    public init(file: String, cause: String) {
        self.file = file
        self.cause = cause
    }

    /// From a message that may already start with the file's name (libclang's errors do).
    init(file: String, message: String) {
        self.file = file
        cause = message.hasPrefix(file + ": ") ? String(message.dropFirst(file.count + 2)) : message
    }

    public var description: String { "\(file): \(cause)" }
}

/// What parsing one request gave.
public struct ParseOutcome: Sendable {
    public var facts: UnitFacts?
    public var failure: AnalysisFailure?
    /// Which flags were used, for verbose output.
    public var note: String
    /// Taken from the fact cache instead of parsed.
    public var cached: Bool
    /// Why the file had no compile command of its own, when that matters to the summary.
    public var unbuilt: FlagPlan.Unbuilt?
}


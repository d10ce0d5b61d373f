import Foundation
import MMLintCore
import MMLintIndex

/// Which of a scan's C files to parse: all of them, or the ones the token
/// prefilter keeps (see `Prefilter`), chosen so that the findings are the
/// same either way.
public struct ScanSelection: Sendable {
    /// The files to parse, in the scan's order.
    public var files: [String]
    /// Files set aside as unable to contribute a finding.
    public var skipped: Int
    /// Files the prefilter read (sources, headers, included fragments); 0 without it.
    public var read: Int
    /// Why each kept file was kept (prefilter only), for `-v`.
    public var reasons: [String: [String]]
    public var seconds: Double
    /// Taken from the selection cache: the tree was not read again.
    public var cached = false

    /// Every file, no prefilter.
    public static func all(_ files: [String]) -> ScanSelection {
        ScanSelection(files: files, skipped: 0, read: 0, reasons: [:], seconds: 0)
    }
}

extension Engine {
    /// The prefilter for the active rules: their APIs and evidence by scope,
    /// and where fault context starts.
    public func prefilter(threads: Int) -> Prefilter {
        let active = Set(rules.map(\.description.id))
        let ruleData = knowledge.rules.values.filter { active.contains($0.id) }
        func names(_ scope: RuleKnowledge.Scope) -> Set<String> {
            Set(ruleData.filter { $0.scope == scope }.flatMap { $0.apis.map(\.name) + ($0.evidence?.names ?? []) })
        }
        func members(_ scope: RuleKnowledge.Scope, writes: Bool) -> Set<String> {
            Set(ruleData.filter { $0.scope == scope }.flatMap {
                (writes ? $0.evidence?.memberWrites : $0.evidence?.members) ?? []
            })
        }
        var prefilter = Prefilter(
            faultAPIs: names(.fault), anywhereAPIs: names(.anywhere),
            callbackFields: Array(Set(knowledge.faultContext.callbacks.flatMap(\.fields))).sorted(),
            callbackStructs: knowledge.faultContext.callbackStructs.sorted(),
            faultTypedef: knowledge.faultContext.signature.returns, threads: threads)
        prefilter.faultMembers = members(.fault, writes: false)
        prefilter.anywhereMembers = members(.anywhere, writes: false)
        prefilter.faultMemberWrites = members(.fault, writes: true)
        prefilter.anywhereMemberWrites = members(.anywhere, writes: true)
        prefilter.rootsAreEvidence = ruleData.contains { $0.evidence?.roots == true }
        prefilter.holdersNeeded = ruleData.contains { $0.evidence?.holders == true }
        prefilter.rootCalleeDepth = ruleData.compactMap { $0.evidence?.rootCallees }.max() ?? 0
        prefilter.rootCalleeTypes = Set(ruleData.flatMap { $0.evidence?.rootCalleeTypes ?? [] })
        return prefilter
    }

    /// Chooses the files of a scan to parse. `files` are the scan's C
    /// files; the headers are every `.h` under `headerRoots` (the kernel
    /// tree's root, so that every macro and inline function a file can
    /// reach is known) and bare mode's prelude. With a cache, an unchanged
    /// tree's choice is reused (see `SelectionCache`).
    public func select(files: [String], headerRoots: [String], threads: Int,
                       cache: FactCache? = nil) -> ScanSelection {
        let started = Date()
        // Bare mode parses with mmlint's prelude: its macros count too.
        var headers: Set = [prelude]
        for root in headerRoots { headers.formUnion(SourceTree.walked(root).headers) }
        let sortedHeaders = headers.sorted()
        let prefilter = prefilter(threads: threads)
        let selections = cache.map { SelectionCache(factCache: $0, prefilterDescription: prefilter.description) }
        let key = selections?.key(files: files, headerRoots: headerRoots)
        let stamps = selections.map { _ in SelectionCache.stamps(of: files + sortedHeaders) }
        if let selections, let key, let stamps, let entry = selections.lookup(key: key, stamps: stamps) {
            let kept = Set(entry.files)
            var selection = ScanSelection(files: files.filter { kept.contains($0) }, skipped: files.count - kept.count,
                                          read: entry.read, reasons: entry.reasons,
                                          seconds: Date().timeIntervalSince(started))
            selection.cached = true
            return selection
        }
        let selection = prefilter.select(sources: files, headers: sortedHeaders)
        Prefilter.releaseMemory()
        if let selections, let key, let stamps {
            selections.store(SelectionCache.Entry(
                salt: selections.salt, key: key, stamps: stamps, fragments: selection.fragments,
                fragmentStamps: SelectionCache.stamps(of: selection.fragments), files: selection.files,
                reasons: selection.reasons, read: selection.counts.filesRead))
        }
        let kept = Set(selection.files)
        return ScanSelection(files: files.filter { kept.contains($0) }, skipped: files.count - kept.count,
                             read: selection.counts.filesRead, reasons: selection.reasons,
                             seconds: Date().timeIntervalSince(started))
    }
}

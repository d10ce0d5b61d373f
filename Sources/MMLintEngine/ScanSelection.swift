import Foundation
import MMLintCore
import MMLintIndex
import MMLintSupport

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
    /// The prefilter for the active rules: their APIs and evidence, one
    /// group per rule (and one per `together` pair), and where fault context
    /// starts. A rule silent at `kernelVersion` gives no evidence.
    public func prefilter(threads: Int, kernelVersion: KernelVersion? = nil) -> Prefilter {
        let active = Set(rules.map(\.description.id))
        let ruleData = knowledge.rules.values.filter { active.contains($0.id) }.sorted { $0.id < $1.id }
        var prefilter = Prefilter(
            faultAPIs: [], anywhereAPIs: [],
            callbackFields: Array(Set(knowledge.faultContext.callbacks.flatMap(\.fields))).sorted(),
            callbackStructs: knowledge.faultContext.callbackStructs.sorted(),
            faultTypedef: knowledge.faultContext.signature.returns, threads: threads)
        // The prefilter keeps distances in bytes; a longer bound is no bound
        // to it, which keeps more files, never fewer.
        prefilter.chainLimit = knowledge.faultContext.maxChain.flatMap { $0 < Int(UInt8.max) ? $0 : nil }
        for rule in ruleData {
            let evidence = rule.evidence ?? RuleKnowledge.Evidence()
            guard evidence.speaks(at: kernelVersion) else { continue }
            // An API's since/until does not gate it: the rules report a call
            // of one outside its versions too (follow_pfn() on 6.12, in
            // forward-ported code), so such a call stays evidence.
            let apis = rule.apis.map(\.name)
            var base = EvidenceGroup(
                fault: rule.scope == .fault,
                names: Set(apis + (evidence.names ?? []) + (evidence.members ?? []).map(Vocabulary.mention)
                           + (evidence.memberWrites ?? []).map(Vocabulary.write)),
                sanctioned: Set(evidence.sanctioned ?? []), declared: Set(evidence.declared ?? []),
                helperDepth: evidence.rootCallees ?? 0, helperTypes: Set(evidence.rootCalleeTypes ?? []))
            if !base.names.isEmpty { prefilter.groups.append(base) }
            for pair in evidence.together ?? [] {
                base.names = Set(pair.calls)
                base.also = [Set(pair.members.map(Vocabulary.mention))]
                base.helperDepth = 0
                prefilter.groups.append(base)
            }
            if evidence.roots == true { prefilter.rootsAreEvidence = true }
            if evidence.holders == true {
                prefilter.holdersNeeded = true
                // A holders rule names its flags in `needs` and their setters
                // in `setters`: what counts as setting one around an installer.
                if let data = try? knowledge.ruleData(rule.id, as: HolderNames.self) {
                    prefilter.holderNames.formUnion(data.needs.values.joined())
                    prefilter.holderNames.formUnion(data.setters.values.joined())
                }
            }
        }
        return prefilter
    }

    private struct HolderNames: Decodable {
        var needs: [String: [String]]
        var setters: [String: [String]]
    }

    /// Chooses the files of a scan to parse. `files` are the scan's C
    /// files; the headers are every `.h` under `headerRoots` (the kernel
    /// tree's root, so that every macro and inline function a file can
    /// reach is known) and bare mode's prelude. With a cache, an unchanged
    /// tree's choice is reused (see `SelectionCache`).
    public func select(files: [String], headerRoots: [String], threads: Int,
                       cache: FactCache? = nil, kernelVersion: KernelVersion? = nil) -> ScanSelection {
        let started = Date()
        // Bare mode parses with mmlint's prelude: its macros count too.
        var headers: Set = [prelude]
        for root in headerRoots { headers.formUnion(SourceTree.walked(root).headers) }
        let sortedHeaders = headers.sorted()
        // The version the analysis will judge with: given, else the tree's.
        let version = kernelVersion ?? headerRoots.lazy.compactMap { KernelVersion(kernelRoot: $0) }.first
        let prefilter = prefilter(threads: threads, kernelVersion: version)
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
        Memory.releaseFreed()
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

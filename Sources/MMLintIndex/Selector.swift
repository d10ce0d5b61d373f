import Dispatch
import Foundation
import MMLintSupport

/// The selection proper, over the merged facts of every file. The rules and
/// the argument that they lose no finding are in `Prefilter`'s documentation.
struct Selector {
    let sources: [String]
    /// The headers' paths, after the sources (for diagnostics).
    var headers: [String] = []
    /// The shards' lists and bindings (their definitions move to `definitions`).
    var shards: [Shard]
    let interner: Interner
    /// Every watched name of each scope.
    let faultAPIs: Set<UInt32>
    let anywhereAPIs: Set<UInt32>
    var groups: [Group]
    /// Every root is relevant (`Prefilter.rootsAreEvidence`).
    let rootsAreEvidence: Bool
    /// The installs of relevant roots' ops tables are needed (`Prefilter.holdersNeeded`).
    let holdersNeeded: Bool
    let typedef: UInt32

    /// An `EvidenceGroup` with names as ids (names no file spells dropped).
    struct Group {
        var fault: Bool
        var names: [UInt32]
        var also: [[UInt32]]
        var sanctioned: Set<UInt32>
        var declared: [UInt32]
        var helperDepth: Int
        var helperTypes: Set<UInt32>
    }
    /// Sources that could not be read: the prefilter cannot judge them.
    let unreadable: [Int32]
    let threads: Int

    /// Every definition of every shard, with the shard that holds its lists.
    var definitions: [Shard.DefinitionRecord] = []
    var definitionShard: [UInt8] = []
    /// Per shard: the index of its first definition in `definitions`.
    var shardStart: [Int] = []
    /// Per name: its index among names that have definitions (or are
    /// watched APIs), -1 for others.
    var slot: [Int32] = []
    var slotCount = 0
    var slotName: [UInt32] = []
    /// Per name slot: function-like macros or header functions.
    var hasHeaderCode: [Bool] = []
    /// Definitions grouped by name slot.
    var byNameOffsets: [Int32] = []
    var byName: [Int32] = []
    /// Per source file: its `#include "….c"` group (a union-find root).
    var group: [Int32] = []
    /// (group, name) → the first static definition of `name` in the group's sources.
    var staticDefinitions: [UInt64: Int32] = [:]
    /// The next static definition of the same name in the same group, or -1.
    var nextStatic: [Int32] = []
    /// Non-static source functions defined first by another file: the
    /// analysis keys functions by USR and keeps the first in path order,
    /// so these never enter it.
    var shadowed: [Bool] = []
    var shadowedByFile: [Int32: [Int32]] = [:]
    /// (group, name) → a shadowed definition of `name` in the group's
    /// sources, chained through `nextStatic` like static ones.
    var shadowedDefinitions: [UInt64: Int32] = [:]
    var hasShadowed: [Bool] = []
    /// Per name slot: the first non-static source definition, or -1.
    var firstDefinition: [Int32] = []
    var hasStatic: [Bool] = []
    var hasObjectMacro: [Bool] = []
    var hasFunctionMacro: [Bool] = []
    /// Untyped definitions named after a function-like macro: the macro's
    /// expansion, defining functions whose names are generated.
    var generator: [Bool] = []

    var reasons: [Int: Set<String>] = [:]
    /// The most functions a finding's chain may have (`Prefilter.chainLimit`).
    let chainLimit: Int?
    /// `Prefilter.holderNames`.
    let holderNames: [UInt32]
    /// The expansions whose sources wait for the chains to be known, and
    /// the matcher of their arguments (`selectExpansions`).
    var pendingExpansions: ([Expansion], PieceMatcher)?

    /// Node ids: definitions first, then four layers per name slot, each the
    /// union of the next: object-like macros ⊂ macros and header functions
    /// ⊂ those and the first non-static source definition ⊂ those and every
    /// static source definition of the name.
    enum Layer: Int {
        case objectMacros = 0, headerCode, global, everywhere
    }

    init(prefilter: Prefilter, sources: [String], names: Interner, shards: [Shard], unreadable: [Int32]) {
        func id(_ name: String) -> UInt32 {
            Array(name.utf8).withUnsafeBufferPointer {
                names.lookup($0.baseAddress!, $0.count, Interner.hash($0.baseAddress!, $0.count))!
            }
        }
        self.sources = sources
        self.shards = shards
        faultAPIs = Set(prefilter.watchedNames(fault: true).map(id))
        anywhereAPIs = Set(prefilter.watchedNames(fault: false).map(id))
        groups = prefilter.allGroups.map { group in
            Group(fault: group.fault, names: group.names.sorted().map(id), also: group.also.map { $0.sorted().map(id) },
                  sanctioned: Set(group.sanctioned.map(id)), declared: group.declared.sorted().map(id),
                  helperDepth: group.helperDepth, helperTypes: Set(group.helperTypes.map(id)))
        }
        rootsAreEvidence = prefilter.rootsAreEvidence
        chainLimit = prefilter.chainLimit
        holderNames = prefilter.holderNames.sorted().map(id)
        holdersNeeded = prefilter.holdersNeeded
        typedef = id(prefilter.faultTypedef)
        interner = names
        self.unreadable = unreadable
        threads = prefilter.threads
    }

    func name(_ id: UInt32) -> String { interner.name(of: id) }

    func isSource(_ file: Int32) -> Bool { Int(file) < sources.count }

    func list(_ definition: Int, _ list: IdentifierList) -> ArraySlice<UInt32> {
        shards[Int(definitionShard[definition])].list(list)
    }

    func layer(_ slot: Int32, _ layer: Layer) -> UInt32 {
        UInt32(definitions.count + 4 * Int(slot) + layer.rawValue)
    }

    /// The layer node that stands for `wanted`: the first non-empty one at
    /// or below it (an empty layer equals the next, and gets no node of its own).
    func canonical(_ nameSlot: Int32, _ wanted: Layer) -> UInt32 {
        var current = wanted
        while true {
            switch current {
            case .everywhere where !hasStatic[Int(slotName[Int(nameSlot)])]: current = .global
            case .global where firstDefinition[Int(nameSlot)] < 0: current = .headerCode
            case .headerCode where !hasHeaderCode[Int(nameSlot)]: current = .objectMacros
            default: return layer(nameSlot, current)
            }
        }
    }

    var nodeCount: Int { definitions.count + 4 * slotCount }

    mutating func select(_ file: Int32, _ reason: String) {
        reasons[Int(file), default: []].insert(reason)
    }

    // MARK: Indexing

    mutating func index() {
        for number in shards.indices {
            shardStart.append(definitions.count)
            definitions.append(contentsOf: shards[number].definitions)
            definitionShard.append(contentsOf: repeatElement(UInt8(number), count: shards[number].definitions.count))
            shards[number].definitions = []
        }
        let nameCount = interner.count
        slot = [Int32](repeating: -1, count: nameCount)
        for name in faultAPIs.union(anywhereAPIs).union(holderNames).sorted() { assignSlot(name) }
        for definition in definitions { assignSlot(definition.name) }

        var counts = [Int32](repeating: 0, count: slotCount + 1)
        for definition in definitions { counts[Int(slot[Int(definition.name)]) + 1] += 1 }
        for index in 0..<slotCount { counts[index + 1] += counts[index] }
        byNameOffsets = counts
        byName = [Int32](repeating: 0, count: definitions.count)
        var next = counts
        for (index, definition) in definitions.enumerated() {
            let nameSlot = Int(slot[Int(definition.name)])
            byName[Int(next[nameSlot])] = Int32(index)
            next[nameSlot] += 1
        }

        groupSources()
        hasStatic = [Bool](repeating: false, count: nameCount)
        hasShadowed = [Bool](repeating: false, count: nameCount)
        hasObjectMacro = [Bool](repeating: false, count: nameCount)
        hasFunctionMacro = [Bool](repeating: false, count: nameCount)
        for definition in definitions where definition.isMacro {
            if definition.flags.contains(.functionLike) {
                hasFunctionMacro[Int(definition.name)] = true
            } else {
                hasObjectMacro[Int(definition.name)] = true
            }
        }
        generator = definitions.map { !$0.isMacro && $0.flags.contains(.untyped) && hasFunctionMacro[Int($0.name)] }
        hasHeaderCode = [Bool](repeating: false, count: slotCount)
        for (index, definition) in definitions.enumerated() where !generator[index] {
            if definition.isMacro ? definition.flags.contains(.functionLike) : !isSource(definition.file) {
                hasHeaderCode[Int(slot[Int(definition.name)])] = true
            }
        }
        nextStatic = [Int32](repeating: -1, count: definitions.count)
        shadowed = [Bool](repeating: false, count: definitions.count)
        firstDefinition = [Int32](repeating: -1, count: slotCount)
        let order = sourceOrder()
        for (index, definition) in definitions.enumerated() where !definition.isMacro && !generator[index] {
            if isSource(definition.file) {
                if definition.flags.contains(.isStatic) {
                    hasStatic[Int(definition.name)] = true
                    let key = UInt64(UInt32(group[Int(definition.file)])) << 32 | UInt64(definition.name)
                    if let first = staticDefinitions[key] { nextStatic[index] = first }
                    staticDefinitions[key] = Int32(index)
                } else {
                    let nameSlot = Int(slot[Int(definition.name)])
                    let first = firstDefinition[nameSlot]
                    if first < 0 || order[Int(definition.file)] < order[Int(definitions[Int(first)].file)] {
                        firstDefinition[nameSlot] = Int32(index)
                    }
                }
            }
        }
        for (index, definition) in definitions.enumerated() where !definition.isMacro && isSource(definition.file)
            && !definition.flags.contains(.isStatic) && !generator[index] {
            let first = Int(firstDefinition[Int(slot[Int(definition.name)])])
            if definitions[first].file != definition.file {
                shadowed[index] = true
                shadowedByFile[definition.file, default: []].append(Int32(index))
                hasShadowed[Int(definition.name)] = true
                let key = UInt64(UInt32(group[Int(definition.file)])) << 32 | UInt64(definition.name)
                if let next = shadowedDefinitions[key] { nextStatic[index] = next }
                shadowedDefinitions[key] = Int32(index)
            }
        }
    }

    private mutating func assignSlot(_ name: UInt32) {
        if slot[Int(name)] < 0 {
            slot[Int(name)] = Int32(slotCount)
            slotName.append(name)
            slotCount += 1
        }
    }

    /// Each source's rank in path order, the order `Program` merges units in
    /// (usually the order given).
    func sourceOrder() -> [Int] {
        if zip(sources, sources.dropFirst()).allSatisfy({ $0 < $1 }) { return Array(sources.indices) }
        var order = [Int](repeating: 0, count: sources.count)
        for (rank, index) in sources.indices.sorted(by: { sources[$0] < sources[$1] }).enumerated() {
            order[index] = rank
        }
        return order
    }

    /// Sources that include one another (`#include "x.c"`) share one
    /// translation unit, so they share static functions.
    mutating func groupSources() {
        group = Array(0..<Int32(sources.count))
        func root(_ file: Int32) -> Int32 {
            var file = file
            while group[Int(file)] != file { file = group[Int(file)] }
            return file
        }
        guard shards.contains(where: { !$0.includes.isEmpty }) else { return }
        var index: [String: Int32] = [:]
        for (position, path) in sources.enumerated() { index[path] = Int32(position) }
        for shard in shards {
            for (file, included) in shard.includes where isSource(file) {
                guard let target = index[Prefilter.resolve(included, from: sources[Int(file)])] else { continue }
                let (a, b) = (root(file), root(target))
                if a != b { group[Int(max(a, b))] = min(a, b) }
            }
        }
        for file in group.indices { group[file] = root(Int32(file)) }
    }

    // MARK: Graph

    /// Where a call of `name` written in `file` can land: a static function of
    /// the file's translation unit (and macros and header functions of the
    /// name), else the name's global layer and the unit's own definitions
    /// that an earlier source's shadow (in case one is static after all: a
    /// storage class is read from tokens); from a header, anything named so.
    func resolveCall(_ name: UInt32, from file: Int32, into targets: inout [UInt32]) {
        let nameSlot = slot[Int(name)]
        guard nameSlot >= 0 else { return }
        guard isSource(file) else { return targets.append(canonical(nameSlot, .everywhere)) }
        let key = UInt64(UInt32(group[Int(file)])) << 32 | UInt64(name)
        if hasStatic[Int(name)], var definition = staticDefinitions[key] {
            while definition >= 0 {
                targets.append(UInt32(definition))
                definition = nextStatic[Int(definition)]
            }
            targets.append(canonical(nameSlot, .headerCode))
            return
        }
        targets.append(canonical(nameSlot, .global))
        if hasShadowed[Int(name)], var definition = shadowedDefinitions[key] {
            while definition >= 0 {
                targets.append(UInt32(definition))
                definition = nextStatic[Int(definition)]
            }
        }
    }

    /// Macros that call a parameter (`.callsParameter`) or store one into
    /// a callback field (`.bindsParameter`), directly or by handing it to
    /// one that does.
    func macros(handingArgumentsTo flag: Definition.Flags) -> NodeSet {
        var seeds: [UInt32] = []
        var used: [UInt32] = []
        var users: [UInt32] = []
        for (index, definition) in definitions.enumerated() where definition.isMacro {
            if definition.flags.contains(flag) { seeds.append(definition.name) }
            for forwarded in list(index, definition.forwards) {
                used.append(forwarded)
                users.append(definition.name)
            }
        }
        return NameGraph(nodeCount: interner.count, sources: used, targets: users).reachable(from: seeds)
    }

    /// The names given and the macros whose bodies lead to one of them
    /// through other macros (the fault typedef and the macros that spell it).
    func macrosReaching(_ names: [UInt32]) -> NodeSet {
        var used: [UInt32] = []
        var users: [UInt32] = []
        for (index, definition) in definitions.enumerated() where definition.isMacro {
            for name in list(index, definition.calls) + list(index, definition.references) {
                used.append(name)
                users.append(definition.name)
            }
        }
        return NameGraph(nodeCount: interner.count, sources: used, targets: users).reachable(from: names)
    }

    func buildGraph() -> NameGraph {
        var from: [UInt32] = []
        var to: [UInt32] = []
        let callsArgument = macros(handingArgumentsTo: .callsParameter)
        let watchedNames = faultAPIs.union(anywhereAPIs).union(holderNames)
        let parts = parallelMap(over: definitions.count) { range in
            var counts: [UInt32] = []
            counts.reserveCapacity(range.count)
            var to: [UInt32] = []
            var targets: [UInt32] = []
            for index in range {
                let definition = definitions[index]
                targets.removeAll(keepingCapacity: true)
                let calls = list(index, definition.calls)
                for name in calls { resolveCall(name, from: definition.file, into: &targets) }
                let references = list(index, definition.references)
                if definition.isMacro || calls.contains(where: { callsArgument[Int($0)] }) {
                    for name in references { resolveCall(name, from: definition.file, into: &targets) }
                } else {
                    for name in references where hasObjectMacro[Int(name)] {
                        targets.append(layer(slot[Int(name)], .objectMacros))
                    }
                }
                // A watched name used as a value (a rule's evidence, say
                // `EINVAL`, whose number-only macro the scanner drops).
                for name in references where watchedNames.contains(name) {
                    targets.append(canonical(slot[Int(name)], .headerCode))
                }
                if generator[index] { targets.append(canonical(slot[Int(definition.name)], .headerCode)) }
                counts.append(UInt32(targets.count))
                to.append(contentsOf: targets)
            }
            return (counts, to)
        }
        func edge(_ source: UInt32, _ target: UInt32) {
            from.append(source)
            to.append(target)
        }
        for nameSlot in 0..<Int32(slotCount) {
            let first = firstDefinition[Int(nameSlot)]
            if first >= 0 {
                edge(layer(nameSlot, .global), UInt32(first))
                edge(layer(nameSlot, .global), canonical(nameSlot, .headerCode))
            }
            if hasHeaderCode[Int(nameSlot)] && hasObjectMacro[Int(slotName[Int(nameSlot)])] {
                edge(layer(nameSlot, .headerCode), layer(nameSlot, .objectMacros))
            }
            if hasStatic[Int(slotName[Int(nameSlot)])] { edge(layer(nameSlot, .everywhere), canonical(nameSlot, .global)) }
            for index in byNameOffsets[Int(nameSlot)]..<byNameOffsets[Int(nameSlot) + 1] {
                let target = byName[Int(index)]
                let definition = definitions[Int(target)]
                if generator[Int(target)] { continue }
                if definition.isMacro {
                    edge(layer(nameSlot, definition.flags.contains(.functionLike) ? .headerCode : .objectMacros),
                         UInt32(target))
                } else if !isSource(definition.file) {
                    edge(layer(nameSlot, .headerCode), UInt32(target))
                } else if definition.flags.contains(.isStatic) {
                    edge(layer(nameSlot, .everywhere), UInt32(target))
                }
            }
        }
        return NameGraph(nodeCount: nodeCount, rows: parts, other: (from, to))
    }

    /// The nodes a call of a watched API lands on: its name's layers (but
    /// not its value references) and every definition with its name.
    func seeds(_ apis: [UInt32]) -> [UInt32] {
        var seeds: [UInt32] = []
        for api in apis {
            let nameSlot = slot[Int(api)]
            guard nameSlot >= 0 else { continue }
            seeds += [canonical(nameSlot, .headerCode), canonical(nameSlot, .global), canonical(nameSlot, .everywhere)]
            for index in byNameOffsets[Int(nameSlot)]..<byNameOffsets[Int(nameSlot) + 1] {
                seeds.append(UInt32(byName[Int(index)]))
            }
        }
        return seeds
    }

    /// Whether a walk for local evidence goes on through `node`: a layer (a
    /// use of a name, not yet what it lands on) or a macro (its body is
    /// spelled where it expands). A function is a body of its own.
    func expandsLocally(_ node: UInt32) -> Bool {
        Int(node) >= definitions.count || definitions[Int(node)].isMacro
    }

    /// The seeds, and the nodes whose own text uses one: the layers and
    /// macros that lead to one through layers and macros only, and the
    /// functions whose body (or a macro expanded there) uses one of those.
    func localReaching(_ seeds: [UInt32], graph: NameGraph) -> NodeSet {
        graph.reaching(seeds, expanding: expandsLocally)
    }

    /// The functions the bodies of `nodes` call (through macros, not
    /// through other functions), each once.
    func localCallees(of nodes: [UInt32], graph: NameGraph) -> [UInt32] {
        var seen = NodeSet(count: nodeCount)
        var pending: [UInt32] = []
        for node in nodes where seen.insert(Int(node)) { pending += graph.targets(of: node) }
        var found: [UInt32] = []
        while let next = pending.popLast() {
            guard seen.insert(Int(next)) else { continue }
            if expandsLocally(next) { pending += graph.targets(of: next) } else { found.append(next) }
        }
        return found
    }

    /// Where each scope's evidence is: the functions that may hold a
    /// finding (hosts), and the layers and macros whose expansion spells it.
    struct Evidence {
        var localFault: NodeSet
        var localAnywhere: NodeSet
        var faultHosts: [UInt32] = []
        var anywhereHosts: [UInt32] = []
        /// Per group with helpers (`EvidenceGroup.helperDepth`): the hosts
        /// that call one, and every helper of the group.
        var helperGroups: [HelperGroup] = []

        struct HelperGroup {
            var fault: Bool
            var callers: [UInt32]
            var helpers: NodeSet
            var depth: Int
        }
    }

    /// Each group's hosts: the functions whose own body, or a macro
    /// expanded there, spells its evidence (one of its names, and one of
    /// each `also` set), not named after one of its names or sanctioned,
    /// and declared with one of its types when it has some; with helpers,
    /// also those calling a helper, and the helpers that call leads to.
    func evidence(graph: NameGraph) -> Evidence {
        var result = Evidence(localFault: NodeSet(count: nodeCount), localAnywhere: NodeSet(count: nodeCount))
        for group in groups {
            var closure = localReaching(seeds(group.names), graph: graph)
            for set in group.also { closure.formIntersection(localReaching(seeds(set), graph: graph)) }
            let excluded = Set(group.names).union(group.sanctioned)
            let declared = group.declared.isEmpty ? nil : macrosReaching(group.declared)
            func isHost(_ index: Int) -> Bool {
                let definition = definitions[index]
                guard !definition.isMacro, !excluded.contains(definition.name) else { return false }
                guard let declared else { return true }
                return list(index, definition.prefix).contains { declared[Int($0)] }
            }
            var hosts = (0..<definitions.count).filter { closure[$0] && isHost($0) }
            if group.helperDepth > 0 && !group.helperTypes.isEmpty {
                func typed(_ index: Int) -> Bool {
                    !definitions[index].isMacro && !excluded.contains(definitions[index].name)
                        && list(index, definitions[index].prefix).contains(where: group.helperTypes.contains)
                }
                var level = (0..<definitions.count).filter { closure[$0] && typed($0) }
                var all = NodeSet(count: nodeCount)
                for index in level { all.insert(index) }
                for _ in 1..<group.helperDepth where !level.isEmpty {
                    let callers = localReaching(level.map(UInt32.init), graph: graph)
                    level = (0..<definitions.count).filter { callers[$0] && typed($0) && all.insert($0) }
                }
                let allHelpers = (0..<definitions.count).filter { all[$0] }
                let callers = localReaching(allHelpers.map(UInt32.init), graph: graph)
                let callingHosts = (0..<definitions.count).filter { callers[$0] && !all[$0] && isHost($0) }
                result.helperGroups.append(Evidence.HelperGroup(
                    fault: group.fault, callers: callingHosts.map(UInt32.init), helpers: all, depth: group.helperDepth))
                hosts = Array(Set(hosts + callingHosts)).sorted()
            }
            // What an expansion spells: with declared types, only macros that spell one too.
            let declaredNames = group.declared.isEmpty ? nil : macrosReaching(group.declared)
            for node in 0..<nodeCount where closure[node] {
                let isFunction = node < definitions.count && !definitions[node].isMacro
                if isFunction && !isHost(node) { continue }
                if !isFunction, let declaredNames {
                    let name = node < definitions.count ? definitions[node].name : slotName[(node - definitions.count) / 4]
                    if !declaredNames[Int(name)] { continue }
                }
                if group.fault { result.localFault.insert(node) } else { result.localAnywhere.insert(node) }
            }
            if group.fault { result.faultHosts += hosts.map(UInt32.init) } else { result.anywhereHosts += hosts.map(UInt32.init) }
        }
        return result
    }

    /// The helpers whose bodies the findings of the relevant hosts read:
    /// from each relevant host that calls a helper (a fault group's host
    /// only when it is on a fault path), the helpers its calls lead to,
    /// level by level.
    func helpers(of evidence: Evidence, relevant: NodeSet, graph: NameGraph) -> [UInt32] {
        var kept = NodeSet(count: nodeCount)
        for group in evidence.helperGroups {
            var frontier = group.callers.filter { !group.fault || relevant[Int($0)] }
            for _ in 0..<group.depth where !frontier.isEmpty {
                frontier = localCallees(of: frontier, graph: graph).filter {
                    group.helpers[Int($0)] && kept.insert(Int($0))
                }
            }
        }
        return (0..<definitions.count).filter { kept[$0] }.map(UInt32.init)
    }

    /// The nodes on a path to a host, by scope (hosts included).
    struct Paths {
        let fault: NodeSet
        let anywhere: NodeSet

        init(graph: NameGraph, evidence: Evidence, extra: (fault: [UInt32], anywhere: [UInt32]) = ([], [])) {
            fault = graph.reaching(evidence.faultHosts + extra.fault)
            anywhere = graph.reaching(evidence.anywhereHosts + extra.anywhere)
        }
    }

    /// Functions generated by macros (`DEFINE_X(name)` at file scope, or
    /// `SYSCALL_DEFINE1(name, …) { … }`) have names no file spells as a
    /// definition: they are pasted from the arguments. For each expansion
    /// that reaches a watched API, every identifier that no file defines and
    /// that contains one of its arguments is taken for a generated function.
    /// Returned: an edge from each definition calling one to the expansion
    /// (its macro, or its definition), and the expansions that are roots
    /// (a generated name is stored into a callback field, or the macro can
    /// write the handler's shape or a binding itself). Selected: the sources
    /// storing a generated name, and each expanding source whose expansion
    /// may matter: it reaches an anywhere API (a generated function may hold
    /// the call), or is a root, or something calls a generated name.
    mutating func generatedFunctions(paths: Paths, evidence: Evidence, faultTypes: NodeSet, graph: NameGraph)
        -> (edges: [(from: UInt32, to: UInt32)], roots: [UInt32], hosts: (fault: [UInt32], anywhere: [UInt32])) {
        // With a chain bound, an expansion matters when its functions can
        // reach a host within the bound (they are at least one call below
        // a root): farther, no chain through them is short enough.
        let near = chainLimit.map { limit in
            graph.distances(from: evidence.faultHosts + evidence.anywhereHosts, reverse: true,
                            limit: max(0, limit - 2), counts: isCounted)
        }
        func matters(_ node: Int) -> Bool {
            if evidence.localFault[node] || evidence.localAnywhere[node] { return true }
            if let near { return near[node] != .max }
            return paths.fault[node] || paths.anywhere[node]
        }
        var generators: [UInt64: [UInt32]] = [:]
        for (index, definition) in definitions.enumerated() where generator[index] && matters(index) {
            generators[UInt64(UInt32(definition.file)) << 32 | UInt64(definition.name), default: []].append(UInt32(index))
        }
        var expansions: [Expansion] = []
        for shard in shards {
            for site in shard.sites where hasFunctionMacro[Int(site.name)] {
                let macro = canonical(slot[Int(site.name)], .headerCode)
                var nodes = generators[UInt64(UInt32(site.file)) << 32 | UInt64(site.name)] ?? []
                if matters(Int(macro)) { nodes.append(macro) }
                guard !nodes.isEmpty else { continue }
                expansions.append(Expansion(file: site.file, macro: site.name, nodes: nodes,
                                            anywhere: nodes.contains { evidence.localAnywhere[Int($0)] },
                                            arguments: site.arguments.map { Array($0.utf8) }.filter { !$0.isEmpty }))
            }
        }
        guard !expansions.isEmpty else { return ([], [], ([], [])) }

        // Calls and bindings of generated names: among the names nothing defines.
        let matcher = PieceMatcher(expansions)
        var stored = Set<Int>()
        // Many expansions share their nodes (every MODULE_DEVICE_TABLE is
        // one macro): each caller gets one edge per distinct node, and a
        // name's matches are looked up once, as nodes, not kept per name.
        var edgeSet = Set<UInt64>()
        for (number, shard) in shards.enumerated() {
            let offset = shardStart[number]
            var nodesOf: [UInt32: [UInt32]] = [:]
            for (callee, definition) in shard.undefinedCalls {
                let nodes: [UInt32]
                if let known = nodesOf[callee] {
                    nodes = known
                } else {
                    var distinct = Set<UInt32>()
                    for expansion in matcher.owners(of: shard.undefined.bytes(of: callee)) {
                        distinct.formUnion(expansions[expansion].nodes)
                    }
                    nodes = Array(distinct)
                    nodesOf[callee] = nodes
                }
                for node in nodes { edgeSet.insert(UInt64(offset + Int(definition)) << 32 | UInt64(node)) }
            }
            var storedNames = Set<UInt32>()
            for (name, file) in shard.undefinedStores where storedNames.insert(name).inserted || isSource(file) {
                for expansion in matcher.owners(of: shard.undefined.bytes(of: name)) {
                    stored.insert(expansion)
                    if isSource(file) {
                        select(file, "binds a function generated by \(self.name(expansions[expansion].macro))")
                    }
                }
            }
        }
        let edges = edgeSet.map { (from: UInt32($0 >> 32), to: UInt32($0 & 0xffff_ffff)) }
        var bindingMacros: [UInt32] = []
        for shard in shards {
            for binding in shard.bindings where binding.context == .macro && !binding.installsOps {
                if let holder = binding.holder { bindingMacros.append(holder) }
            }
        }
        let writesBindings = macrosReaching(bindingMacros)
        var roots: [UInt32] = []
        // A generated function whose body spells evidence holds it: the
        // expansion is a host, and its callers are on a path to one.
        var hosts: (fault: [UInt32], anywhere: [UInt32]) = ([], [])
        for (index, expansion) in expansions.enumerated() {
            let root = stored.contains(index) || faultTypes[Int(expansion.macro)] || writesBindings[Int(expansion.macro)]
            if root { roots += expansion.nodes }
            if isSource(expansion.file) && expansion.anywhere {
                select(expansion.file, "expands \(name(expansion.macro)), which may define functions holding evidence")
            }
            expansions[index].root = root
            hosts.fault += expansion.nodes.filter { evidence.localFault[Int($0)] }
            hosts.anywhere += expansion.nodes.filter { evidence.localAnywhere[Int($0)] }
        }
        pendingExpansions = (expansions, matcher)
        return (edges, roots, hosts)
    }

    /// The expanding sources whose generated functions can be on a chain
    /// (`generatedFunctions` defers them until the chains are known): an
    /// expansion that is a root on a chain, or one whose arguments a name
    /// called from a function on a chain contains. Each site on its own: a
    /// macro's node stands for all its expansions, but a call names one.
    mutating func selectExpansions(relevant: NodeSet) {
        guard let (expansions, matcher) = pendingExpansions else { return }
        pendingExpansions = nil
        var chosen = Set<Int>()
        for (index, expansion) in expansions.enumerated()
        where !expansion.anywhere && expansion.root && expansion.nodes.contains(where: { relevant[Int($0)] }) {
            chosen.insert(index)
        }
        for (number, shard) in shards.enumerated() {
            let offset = shardStart[number]
            var seen = Set<UInt32>()
            for (callee, definition) in shard.undefinedCalls
            where relevant[offset + Int(definition)] && seen.insert(callee).inserted {
                for owner in matcher.owners(of: shard.undefined.bytes(of: callee))
                where !expansions[owner].anywhere && expansions[owner].nodes.contains(where: { relevant[Int($0)] }) {
                    chosen.insert(owner)
                }
            }
        }
        for index in chosen.sorted() where isSource(expansions[index].file) {
            select(expansions[index].file,
                   "expands \(name(expansions[index].macro)), which may define functions on a chain")
        }
    }

    /// A macro expansion at file scope that reaches a watched API.
    struct Expansion {
        var file: Int32
        var macro: UInt32
        /// The generator definitions of the expansion, and its macro's layer, that reach a watched API.
        var nodes: [UInt32]
        var anywhere: Bool
        var arguments: [[UInt8]]
        /// A generated name is stored into a callback field, or the macro
        /// can write the handler's shape or a binding itself.
        var root = false
    }

    /// Which of many short pieces (an expansion's arguments) occur in a
    /// spelling: tables of the pieces' first byte and first two bytes rule
    /// out most positions with one load.
    struct PieceMatcher: Sendable {
        private var pieces: [(bytes: [UInt8], owner: Int)] = []
        private var singles = [[Int]](repeating: [], count: 256)
        private var byPrefix = [[Int]](repeating: [], count: 1 << 16)

        init(_ expansions: [Expansion]) {
            for (owner, expansion) in expansions.enumerated() {
                for argument in expansion.arguments {
                    if argument.count == 1 {
                        singles[Int(argument[0])].append(pieces.count)
                    } else {
                        byPrefix[Int(argument[0]) << 8 | Int(argument[1])].append(pieces.count)
                    }
                    pieces.append((argument, owner))
                }
            }
        }

        /// The expansions one of whose arguments `spelling` contains as whole
        /// parts: after its start or a `_`, before its end, a `_` or a digit
        /// (`__do_sys_mprotect` and `__se_sys_mprotect` hold `mprotect`,
        /// `cam_fault` holds `cam`; `strlen` does not hold `len`). Pasted names
        /// are made so: `__do_sys##name`, `name##_open`, `trace_##name`.
        func owners(of spelling: UnsafeBufferPointer<UInt8>) -> Set<Int> {
            let underscore = UInt8(ascii: "_")
            func ends(at end: Int) -> Bool {
                end == spelling.count || spelling[end] == underscore
                    || (spelling[end] >= UInt8(ascii: "0") && spelling[end] <= UInt8(ascii: "9"))
            }
            var owners = Set<Int>()
            for position in spelling.indices where position == 0 || spelling[position - 1] == underscore {
                for index in singles[Int(spelling[position])] where ends(at: position + 1) {
                    owners.insert(pieces[index].owner)
                }
                guard position + 1 < spelling.count else { break }
                for index in byPrefix[Int(spelling[position]) << 8 | Int(spelling[position + 1])] {
                    let piece = pieces[index].bytes
                    if position + piece.count <= spelling.count
                        && spelling[position..<position + piece.count].elementsEqual(piece) && ends(at: position + piece.count) {
                        owners.insert(pieces[index].owner)
                    }
                }
            }
            return owners
        }
    }

    /// `body` over `0..<count` cut in one range per thread, run on all threads.
    func parallelMap<T>(over count: Int, _ body: @Sendable (Range<Int>) -> T) -> [T] {
        let parts = max(1, min(threads, count))
        let results = LockedSlots<T>(count: parts)
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            results.set(part, body(count * part / parts..<count * (part + 1) / parts))
        }
        return results.values.map { $0! }
    }

    // MARK: Selection

    /// A node's name for a reason: a definition's, or a layer's name.
    func describe(_ node: UInt32) -> String {
        if Int(node) < definitions.count { return name(definitions[Int(node)].name) }
        return name(slotName[(Int(node) - definitions.count) / 4])
    }

    /// Rules 5 and 6, to a fixed point: a selected source brings the sources of
    /// its translation unit (`#include "x.c"`), and, for each non-static
    /// function it defines that an earlier file defines too and that reaches
    /// a watched API (`tainted`), that earlier file: the analysis keeps the
    /// first definition in path order, so leaving that file out would let
    /// this one's take its place, and add what it reaches.
    mutating func closeOverTranslationUnits(tainted: (Int) -> Bool) {
        var members: [Int32: [Int32]] = [:]
        for file in group.indices where group[file] != Int32(file) {
            members[group[file], default: [group[file]]].append(Int32(file))
        }
        var pending = Array(reasons.keys)
        var done = Set<Int>()
        while let file = pending.popLast() {
            guard done.insert(file).inserted else { continue }
            for member in members[group[file]] ?? [] where Int(member) != file {
                select(member, "shares a translation unit with \((sources[file] as NSString).lastPathComponent)")
                pending.append(Int(member))
            }
            for index in shadowedByFile[Int32(file)] ?? [] where tainted(Int(index)) {
                let first = definitions[Int(firstDefinition[Int(slot[Int(definitions[Int(index)].name)])])]
                let later = (sources[file] as NSString).lastPathComponent
                select(first.file, "defines \(name(first.name)) first (before \(later))")
                pending.append(Int(first.file))
            }
        }
    }

    mutating func run() -> Selection {
        index()
        Memory.releaseFreed()
        Memory.stage("prefilter: definitions indexed")
        var graph = buildGraph()
        Memory.releaseFreed()
        Memory.stage("prefilter: graph built")
        let faultTypes = macrosReaching([typedef])
        let handedToBinders = macroBindings()
        var roots = self.roots(faultTypes: faultTypes) + handedToBinders.flatMap(\.targets)
        // Hosts are read before generated calls join the graph: a call of a
        // generated function is a call, not the caller's own text.
        let evidence = self.evidence(graph: graph)
        var paths = Paths(graph: graph, evidence: evidence)
        let generated = generatedFunctions(paths: paths, evidence: evidence, faultTypes: faultTypes, graph: graph)
        // Each step's scratch (walks' queues and distances, the matcher's
        // tables, 40 MiB on 6.12) goes back before the next allocates.
        Memory.releaseFreed()
        if !generated.edges.isEmpty || !generated.roots.isEmpty || !generated.hosts.fault.isEmpty
            || !generated.hosts.anywhere.isEmpty {
            graph.add(generated.edges)
            paths = Paths(graph: graph, evidence: evidence, extra: generated.hosts)
            roots += generated.roots
        }
        let reached = graph.reachable(from: roots)
        Memory.stage("prefilter: generated functions matched")
        if ProcessInfo.processInfo.environment["MMLINT_PREFILTER_STATS"] != nil { stats(graph: graph, reached: reached) }
        var relevant = NodeSet(count: nodeCount)
        // A finding's chain is the shortest from the roots: every node on a
        // path from a root to a host, of at most `chainLimit` functions.
        // A host of an anywhere rule holds its finding whether or not a root
        // reaches it.
        let onPath = self.onPaths(graph: graph, roots: roots, reached: reached, paths: paths,
                                  faultHosts: evidence.faultHosts + generated.hosts.fault,
                                  anywhereHosts: evidence.anywhereHosts + generated.hosts.anywhere)
        for node in 0..<nodeCount where onPath.fault[node] || onPath.anywhere[node] { relevant.insert(node) }
        if ProcessInfo.processInfo.environment["MMLINT_PREFILTER_STATS"] != nil {
            hostStats(graph: graph, onPath: onPath, hosts: evidence.faultHosts + evidence.anywhereHosts)
        }
        if let names = ProcessInfo.processInfo.environment["MMLINT_PREFILTER_EXPLAIN"], !names.isEmpty {
            explain(Set(names.split(separator: ",").map(String.init)), graph: graph, roots: roots,
                    hosts: evidence.faultHosts + generated.hosts.fault + evidence.anywhereHosts + generated.hosts.anywhere,
                    onPath: onPath)
        }
        var anywhereHosts = NodeSet(count: nodeCount)
        for host in evidence.anywhereHosts + generated.hosts.anywhere {
            relevant.insert(Int(host))
            anywhereHosts.insert(Int(host))
        }
        var helpers = NodeSet(count: nodeCount)
        for helper in self.helpers(of: evidence, relevant: relevant, graph: graph) {
            relevant.insert(Int(helper))
            helpers.insert(Int(helper))
        }
        if rootsAreEvidence {
            for root in roots { relevant.insert(Int(root)) }
        }

        selectExpansions(relevant: relevant)
        for file in unreadable { select(file, "cannot be read") }
        for (index, definition) in definitions.enumerated()
        where !definition.isMacro && isSource(definition.file) && !shadowed[index] && relevant[index] {
            let why = onPath.fault[index] ? "on a fault path\(onPath.distances(index))"
                : anywhereHosts[index] ? "holds evidence of an anywhere rule"
                : onPath.anywhere[index] ? "on a fault path to evidence of an anywhere rule\(onPath.distances(index))"
                : helpers[index] ? "a helper a host's finding reads" : "a fault root"
            select(definition.file, "defines \(name(definition.name)) at line \(definition.line) (\(why))")
        }
        for (file, line, name, targets) in sourceBindings() where targets.contains(where: { relevant[Int($0)] }) {
            select(file, "binds root \(self.name(name)) at line \(line)")
        }
        for (index, file, name, targets) in handedToBinders
        where isSource(file) && targets.contains(where: { relevant[Int($0)] }) {
            select(file, "\(self.name(definitions[index].name)) hands root \(self.name(name)) to a macro that binds it")
        }
        selectHeaderRootCallers(graph: graph, relevant: relevant, roots: Set(roots))
        if holdersNeeded { selectInstalls(graph: graph, relevant: relevant) }
        closeOverTranslationUnits { paths.fault[$0] || paths.anywhere[$0] || helpers[$0] }

        Memory.stage("prefilter: selection made")
        let files = reasons.keys.sorted().map { sources[$0] }
        var byPath: [String: [String]] = [:]
        for (file, why) in reasons { byPath[sources[file]] = why.sorted() }
        return Selection(
            files: files, reasons: byPath,
            counts: Selection.Counts(
                filesRead: 0, bytesRead: 0, functions: definitions.count { !$0.isMacro }, selected: files.count,
                unreadable: unreadable.count))
    }

    /// The nodes on a chain from a root to a host of each scope. Unbounded,
    /// that is every node a root reaches that reaches a host. With
    /// `chainLimit` K, a node `f` is on one when the functions on its way
    /// from the nearest root (`f` included, the root not) and on its way to
    /// the nearest host (the host included, `f` not) number at most K - 1:
    /// then a chain of at most K functions can pass through `f`. The token
    /// graph has every call the analysis sees (and more), so these
    /// distances are at most the analysis's, and every function of a chain
    /// the analysis reports (at most K functions, `Program`'s bound) is kept.
    func onPaths(graph: NameGraph, roots: [UInt32], reached: NodeSet, paths: Paths,
                 faultHosts: [UInt32], anywhereHosts: [UInt32]) -> OnPath {
        var fault = NodeSet(count: nodeCount)
        var anywhere = NodeSet(count: nodeCount)
        guard let limit = chainLimit else {
            for node in 0..<nodeCount where reached[node] {
                if paths.fault[node] { fault.insert(node) }
                if paths.anywhere[node] { anywhere.insert(node) }
            }
            return OnPath(fault: fault, anywhere: anywhere)
        }
        let counts = isCounted
        let steps = max(0, limit - 1)
        let fromRoots = graph.distances(from: roots, reverse: false, limit: steps, counts: counts)
        let toFault = graph.distances(from: faultHosts, reverse: true, limit: steps, counts: counts)
        let toAnywhere = graph.distances(from: anywhereHosts, reverse: true, limit: steps, counts: counts)
        for node in 0..<nodeCount where fromRoots[node] != .max {
            let near = Int(fromRoots[node])
            if toFault[node] != .max && near + Int(toFault[node]) <= steps { fault.insert(node) }
            if toAnywhere[node] != .max && near + Int(toAnywhere[node]) <= steps { anywhere.insert(node) }
        }
        return OnPath(fault: fault, anywhere: anywhere, fromRoots: fromRoots, toHosts: zip(toFault, toAnywhere).map(min))
    }

    /// Whether a node counts as a function of a chain (macros and layers do
    /// not). Each read builds a table over every definition: read it once
    /// per use.
    var isCounted: (UInt32) -> Bool {
        let functions = definitions.count
        let isFunction = definitions.map { !$0.isMacro }
        return { Int($0) < functions && isFunction[Int($0)] }
    }

    struct OnPath {
        var fault: NodeSet
        var anywhere: NodeSet
        /// With a chain bound: each node's distance from the nearest root
        /// and to the nearest host, in functions.
        var fromRoots: [UInt8] = []
        var toHosts: [UInt8] = []

        func distances(_ node: Int) -> String {
            guard node < fromRoots.count else { return "" }
            return ", \(fromRoots[node]) calls from a root, \(toHosts[node]) to evidence"
        }
    }

    /// On stderr: the hosts the most functions on a chain call directly
    /// (which evidence keeps the most files).
    func hostStats(graph: NameGraph, onPath: OnPath, hosts: [UInt32]) {
        var isHost = NodeSet(count: nodeCount)
        for host in hosts { isHost.insert(Int(host)) }
        var callers: [UInt32: Int] = [:]
        for node in 0..<definitions.count where (onPath.fault[node] || onPath.anywhere[node]) && !definitions[node].isMacro {
            for callee in localCallees(of: [UInt32(node)], graph: graph) where isHost[Int(callee)] && callee != node {
                callers[callee, default: 0] += 1
            }
        }
        let top = callers.sorted { $0.value > $1.value }.prefix(40)
        let text = top.map { "\(name(definitions[Int($0.key)].name)) (\(sources.indices.contains(Int(definitions[Int($0.key)].file)) ? (sources[Int(definitions[Int($0.key)].file)] as NSString).lastPathComponent : "header")): \($0.value)" }
        FileHandle.standardError.write("prefilter: hosts by callers on a chain: \(text.joined(separator: ", "))\n".data(using: .utf8)!)
    }

    /// On stderr, for each function named in `names` that is on a chain: a
    /// shortest path from a root to it and from it to a host, node by node
    /// (`MMLINT_PREFILTER_EXPLAIN=f,g`: why the prefilter keeps a file).
    func explain(_ names: Set<String>, graph: NameGraph, roots: [UInt32], hosts: [UInt32], onPath: OnPath) {
        var isHost = NodeSet(count: nodeCount)
        for host in hosts { isHost.insert(Int(host)) }
        let counts = isCounted
        func label(_ node: UInt32) -> String {
            guard Int(node) < definitions.count else {
                let layer = (Int(node) - definitions.count) % 4
                return "\(describe(node))[layer \(layer)]"
            }
            let definition = definitions[Int(node)]
            let header = Int(definition.file) - sources.count
            let file = header < 0 ? sources[Int(definition.file)]
                : headers.indices.contains(header) ? headers[header] : "header #\(definition.file)"
            return "\(describe(node))\(definition.isMacro ? "!" : "")(\(file.split(separator: "/").suffix(3).joined(separator: "/")):\(definition.line))"
        }
        for (index, definition) in definitions.enumerated()
        where !definition.isMacro && names.contains(name(definition.name)) && (onPath.fault[index] || onPath.anywhere[index]) {
            let node = UInt32(index)
            let limit = min(chainLimit ?? 254, 254)
            let up = graph.path(from: roots, to: { $0 == node }, limit: limit, counts: counts) ?? []
            let down = graph.path(from: [node], to: { isHost[Int($0)] }, limit: limit, counts: counts) ?? []
            FileHandle.standardError.write(("prefilter: explain \(label(node)) \(onPath.distances(index)):\n  root: "
                + up.map(label).joined(separator: " → ") + "\n  host: " + down.map(label).joined(separator: " → ") + "\n")
                .data(using: .utf8)!)
        }
    }

    /// Per group, on stderr: its hosts, and the functions on a path from a
    /// root to them (to see which evidence keeps much of a tree).
    func stats(graph: NameGraph, reached: NodeSet) {
        let reachedFunctions = (0..<definitions.count).count { reached[$0] && !definitions[$0].isMacro }
        FileHandle.standardError.write("prefilter: \(definitions.count) definitions, \(reachedFunctions) functions reached\n".data(using: .utf8)!)
        for group in groups {
            var one = self
            one.groups = [group]
            let evidence = one.evidence(graph: graph)
            let hosts = evidence.faultHosts + evidence.anywhereHosts
            let paths = graph.reaching(hosts)
            let onPath = (0..<definitions.count).filter { reached[$0] && paths[$0] && !definitions[$0].isMacro }
            let sample = hosts.prefix(12).map { name(definitions[Int($0)].name) }.joined(separator: " ")
            let names = group.names.prefix(3).map(name).joined(separator: ",")
            FileHandle.standardError.write(("prefilter: group \(names)…: \(hosts.count) hosts, \(evidence.helperGroups.map(\.callers.count).reduce(0, +)) hosts calling helpers, "
                + "\(onPath.count) on root paths; hosts: \(sample)\n").data(using: .utf8)!)
        }
    }

    /// Holders: the ops tables that hold a relevant root, the sources that
    /// install one (`vma->vm_ops = &foo_vm_ops`, or a table's `.vm_ops =`),
    /// and the installing functions' direct callers and their callees to
    /// two levels, where a rule may look for what the install needs.
    mutating func selectInstalls(graph: NameGraph, relevant: NodeSet) {
        var tables = Set<UInt32>()
        for shard in shards {
            for binding in shard.bindings where !binding.installsOps && binding.context != .macro {
                guard let holder = binding.holder, holder != UInt32.max else { continue }
                var targets: [UInt32] = []
                for value in shard.list(binding.value) { resolveCall(value, from: binding.file, into: &targets) }
                if targets.contains(where: { relevant[Int($0)] }) { tables.insert(holder) }
            }
        }
        guard !tables.isEmpty else { return }
        var installers: [UInt32] = []
        for shard in shards {
            for binding in shard.bindings where binding.installsOps {
                guard let table = shard.list(binding.value).first(where: tables.contains) else { continue }
                if isSource(binding.file) {
                    select(binding.file, "installs \(name(table)) at line \(binding.line)")
                }
                guard binding.context == .function, let holder = binding.holder, holder != UInt32.max,
                      slot[Int(holder)] >= 0 else { continue }
                let nameSlot = Int(slot[Int(holder)])
                for index in byNameOffsets[nameSlot]..<byNameOffsets[nameSlot + 1]
                where definitions[Int(byName[Int(index)])].file == binding.file {
                    installers.append(UInt32(byName[Int(index)]))
                }
            }
        }
        guard !installers.isEmpty else { return }
        var around: [UInt32]
        if holderNames.isEmpty {
            let callers = localReaching(installers, graph: graph)
            around = (0..<definitions.count).filter { callers[$0] && !definitions[$0].isMacro }.map(UInt32.init)
            var seen = Set(installers)
            var frontier = installers
            for _ in 0..<2 {
                frontier = localCallees(of: frontier, graph: graph).filter { seen.insert($0).inserted }
                around += frontier
            }
        } else {
            // The rule looks for a flag (or a call setting one) in the
            // installer, its callees two levels down and its direct callers:
            // only the functions on the way from the installer to one that
            // spells it can change its answer. (The names are watched: each
            // has its node, defined or not.)
            let spells = localReaching(seeds(holderNames), graph: graph)
            let spellers = (0..<definitions.count).filter { spells[$0] && !definitions[$0].isMacro }.map(UInt32.init)
            let counts = isCounted
            let down = graph.distances(from: installers, reverse: false, limit: 2, counts: counts)
            let up = graph.distances(from: installers, reverse: true, limit: 1, counts: counts)
            let toSpeller = graph.distances(from: spellers, reverse: true, limit: 2, counts: counts)
            around = (0..<definitions.count).filter { index in
                guard !definitions[index].isMacro, toSpeller[index] != .max else { return false }
                return (down[index] != .max && Int(down[index]) + Int(toSpeller[index]) <= 2)
                    || (up[index] == 1 && toSpeller[index] == 0)
            }.map(UInt32.init)
        }
        for node in Set(around) where Int(node) < definitions.count {
            let definition = definitions[Int(node)]
            guard isSource(definition.file), !shadowed[Int(node)] else { continue }
            select(definition.file, "defines \(name(definition.name)) at line \(definition.line) "
                   + "(calls or is called by an install of a relevant ops table)")
        }
    }

    /// Functions whose declaration before the name has the fault typedef (or
    /// a macro spelling it), and every name written into a callback field.
    func roots(faultTypes: NodeSet) -> [UInt32] {
        var roots: [UInt32] = []
        for (index, definition) in definitions.enumerated() where !definition.isMacro && !shadowed[index] {
            if list(index, definition.prefix).contains(where: { faultTypes[Int($0)] }) { roots.append(UInt32(index)) }
        }
        for shard in shards {
            for binding in shard.bindings where !binding.installsOps {
                for value in shard.list(binding.value) { resolveCall(value, from: binding.file, into: &roots) }
            }
        }
        return roots
    }

    /// The names a definition hands to a macro that stores its argument into
    /// a callback field (all its values: which argument is stored is not
    /// known), with where they land.
    func macroBindings() -> [(definition: Int, file: Int32, name: UInt32, targets: [UInt32])] {
        let binders = macros(handingArgumentsTo: .bindsParameter)
        var result: [(Int, Int32, UInt32, [UInt32])] = []
        for (index, definition) in definitions.enumerated()
        where !shadowed[index] && list(index, definition.calls).contains(where: { binders[Int($0)] }) {
            for value in list(index, definition.references) + list(index, definition.calls) {
                var targets: [UInt32] = []
                resolveCall(value, from: definition.file, into: &targets)
                if !targets.isEmpty { result.append((index, definition.file, value, targets)) }
            }
        }
        return result
    }

    /// Each name a source writes into a callback field, with its line and where it lands.
    func sourceBindings() -> [(file: Int32, line: UInt32, name: UInt32, targets: [UInt32])] {
        var result: [(Int32, UInt32, UInt32, [UInt32])] = []
        for shard in shards {
            for binding in shard.bindings where isSource(binding.file) && !binding.installsOps {
                for value in shard.list(binding.value) {
                    var targets: [UInt32] = []
                    resolveCall(value, from: binding.file, into: &targets)
                    result.append((binding.file, binding.line, value, targets))
                }
            }
        }
        return result
    }

    /// Rule 3: a header function is in the analysis only where a parsed
    /// source pulls it in, so a relevant header root, and header code that
    /// binds a relevant root, need the sources that reach them through
    /// header code and macros.
    mutating func selectHeaderRootCallers(graph: NameGraph, relevant: NodeSet, roots: Set<UInt32>) {
        var seeds: [UInt32] = []
        for (index, definition) in definitions.enumerated()
        where !definition.isMacro && !isSource(definition.file) && relevant[index] && roots.contains(UInt32(index)) {
            seeds.append(UInt32(index))
        }
        for shard in shards {
            for binding in shard.bindings where !isSource(binding.file) && !binding.installsOps {
                guard let holder = binding.holder, holder != UInt32.max, slot[Int(holder)] >= 0 else { continue }
                var targets: [UInt32] = []
                for value in shard.list(binding.value) { resolveCall(value, from: binding.file, into: &targets) }
                guard targets.contains(where: { relevant[Int($0)] }) else { continue }
                let nameSlot = Int(slot[Int(holder)])
                for index in byNameOffsets[nameSlot]..<byNameOffsets[nameSlot + 1]
                where definitions[Int(byName[Int(index)])].file == binding.file {
                    seeds.append(UInt32(byName[Int(index)]))
                }
            }
        }
        guard !seeds.isEmpty else { return }
        let pulled = graph.reaching(seeds, through: { node in
            Int(node) >= definitions.count || definitions[Int(node)].isMacro || !isSource(definitions[Int(node)].file)
        })
        for (index, definition) in definitions.enumerated() where isSource(definition.file) && !shadowed[index] {
            if let target = graph.targets(of: UInt32(index)).first(where: { pulled[Int($0)] }) {
                select(definition.file, "\(name(definition.name)) at line \(definition.line) calls "
                       + "\(describe(target)), header code leading to a root")
            }
        }
        for (file, line, name, targets) in sourceBindings() where targets.contains(where: { pulled[Int($0)] }) {
            select(file, "binds header root \(self.name(name)) at line \(line)")
        }
    }
}


import Dispatch

/// Which definitions reach which: a directed graph over dense node ids,
/// stored as compressed rows, forward and reverse, built once from an edge
/// list, plus a few edges added later on the side.
struct NameGraph {
    let nodeCount: Int
    private let forwardOffsets: [UInt32]
    private let forwardTargets: [UInt32]
    private let reverseOffsets: [UInt32]
    private let reverseSources: [UInt32]
    private var extraForward: [UInt32: [UInt32]] = [:]
    private var extraReverse: [UInt32: [UInt32]] = [:]

    /// Sorts the edges, given in parts (`sources[i]` to `targets[i]` of each),
    /// into forward rows, drops the parts, and transposes the rows into the
    /// reverse ones: the edge list and both row sets never coexist.
    init(nodeCount: Int, edges parts: consuming [(sources: [UInt32], targets: [UInt32])]) {
        self.nodeCount = nodeCount
        (forwardOffsets, forwardTargets) = Self.rows(nodeCount: nodeCount, parts.map { ($0.sources, $0.targets) })
        parts = []
        (reverseOffsets, reverseSources) = Self.transpose(nodeCount: nodeCount, forwardOffsets, forwardTargets)
    }

    /// The same from rows already grouped by source: `rows` give, for the
    /// nodes 0, 1, … in order, how many edges each has and their targets;
    /// `other` holds the remaining edges as pairs. Half the memory of pairs.
    init(nodeCount: Int, rows: consuming [(counts: [UInt32], targets: [UInt32])],
         other: consuming (sources: [UInt32], targets: [UInt32])) {
        self.nodeCount = nodeCount
        var offsets = [UInt32](repeating: 0, count: nodeCount + 1)
        var node = 0
        for part in rows.indices {
            for count in rows[part].counts {
                offsets[node] = count
                node += 1
            }
        }
        for edge in other.sources.indices { offsets[Int(other.sources[edge])] += 1 }
        var total: UInt32 = 0
        for index in 0..<nodeCount {
            let count = offsets[index]
            offsets[index] = total
            total += count
        }
        var targets = [UInt32](repeating: 0, count: Int(total))
        node = 0
        for part in rows.indices {
            var next = 0
            for count in rows[part].counts {
                for _ in 0..<Int(count) {
                    targets[Int(offsets[node])] = rows[part].targets[next]
                    offsets[node] += 1
                    next += 1
                }
                node += 1
            }
        }
        rows = []
        for edge in other.sources.indices {
            let source = Int(other.sources[edge])
            targets[Int(offsets[source])] = other.targets[edge]
            offsets[source] += 1
        }
        other = ([], [])
        for index in stride(from: nodeCount, to: 0, by: -1) { offsets[index] = offsets[index - 1] }
        offsets[0] = 0
        (forwardOffsets, forwardTargets) = (offsets, targets)
        (reverseOffsets, reverseSources) = Self.transpose(nodeCount: nodeCount, forwardOffsets, forwardTargets)
    }

    /// The reverse rows of `offsets`/`targets`, by counting sort.
    private static func transpose(nodeCount: Int, _ offsets: [UInt32], _ targets: [UInt32]) -> ([UInt32], [UInt32]) {
        var reverseOffsets = [UInt32](repeating: 0, count: nodeCount + 1)
        for target in targets { reverseOffsets[Int(target)] += 1 }
        var total: UInt32 = 0
        for index in 0..<nodeCount {
            let count = reverseOffsets[index]
            reverseOffsets[index] = total
            total += count
        }
        var sources = [UInt32](repeating: 0, count: Int(total))
        for source in 0..<nodeCount {
            for edge in Int(offsets[source])..<Int(offsets[source + 1]) {
                let target = Int(targets[edge])
                sources[Int(reverseOffsets[target])] = UInt32(source)
                reverseOffsets[target] += 1
            }
        }
        for index in stride(from: nodeCount, to: 0, by: -1) { reverseOffsets[index] = reverseOffsets[index - 1] }
        reverseOffsets[0] = 0
        return (reverseOffsets, sources)
    }

    init(nodeCount: Int, sources: [UInt32], targets: [UInt32]) {
        self.init(nodeCount: nodeCount, edges: [(sources, targets)])
    }

    /// Counting sort of the edges by source. The offsets serve as cursors
    /// while filling (each ends at the next row's start) and are shifted
    /// back after: no second array.
    private static func rows(nodeCount: Int, _ parts: [(from: [UInt32], to: [UInt32])]) -> ([UInt32], [UInt32]) {
        var offsets = [UInt32](repeating: 0, count: nodeCount + 1)
        for part in parts {
            for source in part.from { offsets[Int(source)] += 1 }
        }
        var total: UInt32 = 0
        for index in 0..<nodeCount {
            let count = offsets[index]
            offsets[index] = total
            total += count
        }
        var row = [UInt32](repeating: 0, count: Int(total))
        for part in parts {
            for (source, target) in zip(part.from, part.to) {
                row[Int(offsets[Int(source)])] = target
                offsets[Int(source)] += 1
            }
        }
        for index in stride(from: nodeCount, to: 0, by: -1) { offsets[index] = offsets[index - 1] }
        offsets[0] = 0
        return (offsets, row)
    }

    /// Adds edges without rebuilding the rows (for a handful of them).
    mutating func add(_ edges: [(from: UInt32, to: UInt32)]) {
        for edge in edges {
            extraForward[edge.from, default: []].append(edge.to)
            extraReverse[edge.to, default: []].append(edge.from)
        }
    }

    func targets(of node: UInt32) -> [UInt32] {
        Array(forwardTargets[Int(forwardOffsets[Int(node)])..<Int(forwardOffsets[Int(node) + 1])])
            + (extraForward[node] ?? [])
    }

    /// The seeds and every node that reaches one of them; a node other than
    /// a seed is entered only when `through` allows it.
    func reaching(_ seeds: [UInt32], through allowed: (UInt32) -> Bool = { _ in true }) -> NodeSet {
        closure(seeds, offsets: reverseOffsets, edges: reverseSources, extra: extraReverse, allowed: allowed)
    }

    /// The seeds and every node that reaches one of them through nodes that
    /// `expanding` accepts: a node it refuses is entered but not gone
    /// through (the seeds are gone through).
    func reaching(_ seeds: [UInt32], expanding: (UInt32) -> Bool) -> NodeSet {
        var seen = NodeSet(count: nodeCount)
        var queue: [UInt32] = []
        for seed in seeds where seen.insert(Int(seed)) { queue.append(seed) }
        let seedCount = queue.count
        var head = 0
        while head < queue.count {
            let node = queue[head]
            head += 1
            guard head <= seedCount || expanding(node) else { continue }
            for edge in Int(reverseOffsets[Int(node)])..<Int(reverseOffsets[Int(node) + 1]) {
                let next = reverseSources[edge]
                if seen.insert(Int(next)) { queue.append(next) }
            }
            if !extraReverse.isEmpty, let more = extraReverse[node] {
                for next in more where seen.insert(Int(next)) { queue.append(next) }
            }
        }
        return seen
    }

    /// How far each node is from the seeds, forward (`reverse` false: from
    /// the seeds to the node) or backward (from the node to the seeds),
    /// counting only the nodes `counts` accepts (function definitions) on
    /// the way, the far end included and the near end not: a seed is at 0,
    /// a function it calls at 1, whatever a layer or a macro stands between.
    /// Nodes farther than `limit` (and those not reached) are `UInt8.max`.
    /// A breadth-first search in levels: free steps stay in the level.
    func distances(from seeds: [UInt32], reverse: Bool, limit: Int, counts: (UInt32) -> Bool) -> [UInt8] {
        walk(from: seeds, reverse: reverse, limit: limit, counts: counts, parents: false).distance
    }

    /// `distances`, and with `parents` each node's predecessor on a
    /// shortest way from the seeds (a seed its own).
    private func walk(from seeds: [UInt32], reverse: Bool, limit: Int, counts: (UInt32) -> Bool,
                      parents: Bool) -> (distance: [UInt8], parent: [UInt32]) {
        precondition(limit < Int(UInt8.max), "a chain bound below 255")
        var distance = [UInt8](repeating: .max, count: nodeCount)
        var parent = parents ? [UInt32](repeating: .max, count: nodeCount) : []
        let offsets = reverse ? reverseOffsets : forwardOffsets
        let edges = reverse ? reverseSources : forwardTargets
        let extra = reverse ? extraReverse : extraForward
        var level: [UInt32] = []
        for seed in seeds where distance[Int(seed)] != 0 {
            distance[Int(seed)] = 0
            if parents { parent[Int(seed)] = seed }
            level.append(seed)
        }
        var depth = 0
        while !level.isEmpty {
            var next: [UInt32] = []
            var head = 0
            while head < level.count {
                let node = level[head]
                head += 1
                // Backward, the step's cost is the node stepped from (the
                // callee); forward, the node stepped to.
                let fromCost = reverse && counts(node) ? 1 : 0
                func visit(_ target: UInt32) {
                    let cost = reverse ? fromCost : (counts(target) ? 1 : 0)
                    let reach = depth + cost
                    guard reach <= limit, Int(distance[Int(target)]) > reach else { return }
                    distance[Int(target)] = UInt8(reach)
                    if parents { parent[Int(target)] = node }
                    if cost == 0 { level.append(target) } else { next.append(target) }
                }
                for edge in Int(offsets[Int(node)])..<Int(offsets[Int(node) + 1]) { visit(edges[edge]) }
                if !extra.isEmpty, let more = extra[node] { for target in more { visit(target) } }
            }
            level = next.filter { Int(distance[Int($0)]) == depth + 1 }
            depth += 1
        }
        return (distance, parent)
    }

    /// A path forward from one of the seeds to a node `isTarget` accepts,
    /// with the fewest nodes `counts` accepts on it, at most `limit` (a
    /// diagnostic: why a function is on a chain). Nil when none is reached.
    func path(from seeds: [UInt32], to isTarget: (UInt32) -> Bool, limit: Int, counts: (UInt32) -> Bool) -> [UInt32]? {
        let (distance, parent) = walk(from: seeds, reverse: false, limit: limit, counts: counts, parents: true)
        guard var node = (0..<UInt32(nodeCount)).filter({ distance[Int($0)] != .max && isTarget($0) })
            .min(by: { distance[Int($0)] < distance[Int($1)] }) else { return nil }
        var path = [node]
        while parent[Int(node)] != node {
            node = parent[Int(node)]
            path.append(node)
        }
        return path.reversed()
    }

    /// The seeds and every node one of them reaches.
    func reachable(from seeds: [UInt32]) -> NodeSet {
        closure(seeds, offsets: forwardOffsets, edges: forwardTargets, extra: extraForward) { _ in true }
    }

    private func closure(_ seeds: [UInt32], offsets: [UInt32], edges: [UInt32], extra: [UInt32: [UInt32]],
                         allowed: (UInt32) -> Bool) -> NodeSet {
        var seen = NodeSet(count: nodeCount)
        var queue: [UInt32] = []
        for seed in seeds where seen.insert(Int(seed)) { queue.append(seed) }
        var head = 0
        while head < queue.count {
            let node = Int(queue[head])
            head += 1
            for edge in Int(offsets[node])..<Int(offsets[node + 1]) {
                let next = edges[edge]
                if !seen[Int(next)] && allowed(next) {
                    seen.insert(Int(next))
                    queue.append(next)
                }
            }
            if !extra.isEmpty, let more = extra[UInt32(node)] {
                for next in more where !seen[Int(next)] && allowed(next) {
                    seen.insert(Int(next))
                    queue.append(next)
                }
            }
        }
        return seen
    }
}

/// A set of node ids, one bit each: a graph of millions of nodes is walked
/// several times, and each walk's result stays.
struct NodeSet: Sendable {
    private var words: [UInt64]

    init(count: Int) { words = [UInt64](repeating: 0, count: (count + 63) / 64) }

    subscript(node: Int) -> Bool { words[node >> 6] & (1 << UInt64(node & 63)) != 0 }

    /// Keeps the nodes `other` has too.
    mutating func formIntersection(_ other: NodeSet) {
        for index in words.indices { words[index] &= other.words[index] }
    }

    /// Adds `node`; true when it was not there.
    @discardableResult
    mutating func insert(_ node: Int) -> Bool {
        let bit: UInt64 = 1 << UInt64(node & 63)
        if words[node >> 6] & bit != 0 { return false }
        words[node >> 6] |= bit
        return true
    }
}

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
    /// into forward and reverse rows, on two threads.
    init(nodeCount: Int, edges parts: [(sources: [UInt32], targets: [UInt32])]) {
        self.nodeCount = nodeCount
        let forward = RowsBox()
        let reverse = RowsBox()
        DispatchQueue.concurrentPerform(iterations: 2) { side in
            if side == 0 {
                forward.rows = Self.rows(nodeCount: nodeCount, parts.map { ($0.sources, $0.targets) })
            } else {
                reverse.rows = Self.rows(nodeCount: nodeCount, parts.map { ($0.targets, $0.sources) })
            }
        }
        (forwardOffsets, forwardTargets) = forward.rows
        (reverseOffsets, reverseSources) = reverse.rows
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

/// Rows sorted on one of the two threads.
private final class RowsBox: @unchecked Sendable {
    var rows: ([UInt32], [UInt32]) = ([], [])
}

/// A set of node ids, one bit each: a graph of millions of nodes is walked
/// several times, and each walk's result stays.
struct NodeSet: Sendable {
    private var words: [UInt64]

    init(count: Int) { words = [UInt64](repeating: 0, count: (count + 63) / 64) }

    subscript(node: Int) -> Bool { words[node >> 6] & (1 << UInt64(node & 63)) != 0 }

    /// Adds `node`; true when it was not there.
    @discardableResult
    mutating func insert(_ node: Int) -> Bool {
        let bit: UInt64 = 1 << UInt64(node & 63)
        if words[node >> 6] & bit != 0 { return false }
        words[node >> 6] |= bit
        return true
    }
}

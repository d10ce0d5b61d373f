/// The facts of every file of a scan merged into one program: the functions
/// by USR, the call graph across files, the fault-type roots, and what each
/// root reaches. Rules query this; they never see a parse.
public struct Program: Sendable {
    /// Function definitions by USR. When two files define the same USR (a
    /// header inline function seen by many files), the first file in path
    /// order wins, so the result does not depend on parse order.
    public let functions: [String: FunctionFact]
    public let bindings: [CallbackBinding]
    public let units: [UnitFacts]
    /// Every unit's `tableStores`, in file order.
    public var tableStores: [MemberWrite] { units.flatMap(\.tableStores) }
    /// The kernel version of the tree, when known.
    public let kernelVersion: KernelVersion?
    /// The fault handlers' return type, `vm_fault_t`, as facts spell it.
    public let faultTypeName: String
    /// Every root of fault context and how it was found. A shape root that
    /// a callback root reaches stays listed, but its functions' chains start
    /// at the callback.
    public let roots: [Root]
    /// For each function reachable from a root: the shortest chain to it.
    private let reach: [String: Reach]
    /// For each function: the functions of the program that call it, each
    /// once, in definition order.
    private let callers: [String: [String]]
    /// The most functions a chain may have (`FaultContextKnowledge.maxChain`).
    private let maxChain: Int

    /// A function that runs in fault context by construction.
    public struct Root: Sendable, Equatable {
        public var usr: String
        public var name: String
        /// How a chain names the root: `.fault of foo_vm_ops`, or
        /// `vm_fault_t handler signature` when only the shape tells.
        public var label: String
        public var binding: CallbackBinding?
    }

    struct Reach: Sendable {
        var rootIndex: Int
        /// USRs from the root function to this function, both included.
        var path: [String]
    }

    public init(units: [UnitFacts], faultContext: FaultContextKnowledge, kernelVersion: KernelVersion? = nil) {
        let ordered = units.sorted { $0.file < $1.file }
        var functions: [String: FunctionFact] = [:]
        var bindings: [CallbackBinding] = []
        for unit in ordered {
            for function in unit.functions where functions[function.usr] == nil {
                functions[function.usr] = function
            }
            bindings.append(contentsOf: unit.bindings)
        }
        // The same initializer seen through a shared header appears once.
        var seenBindings = Set<String>()
        bindings = bindings.filter { binding in
            seenBindings.insert("\(binding.functionUSR)|\(binding.label)|\(binding.location.file):\(binding.location.line)")
                .inserted
        }
        self.functions = functions
        self.bindings = bindings
        self.units = ordered
        self.kernelVersion = kernelVersion
        self.faultTypeName = faultContext.signature.returns

        // Roots: callback bindings first (they name the ops table), then
        // functions that only have the handler shape.
        var roots: [Root] = []
        var rooted = Set<String>()
        for binding in bindings.sorted(by: { ($0.location, $0.label) < ($1.location, $1.label) })
        where faultContext.isFaultCallback(structName: binding.structName, field: binding.field) {
            roots.append(Root(usr: binding.functionUSR, name: binding.functionName,
                              label: binding.label, binding: binding))
            rooted.insert(binding.functionUSR)
        }
        let definitionOrder = functions.values.sorted { ($0.location, $0.usr) < ($1.location, $1.usr) }
        for function in definitionOrder where function.faultSignature != nil && !rooted.contains(function.usr) {
            roots.append(Root(usr: function.usr, name: function.name,
                              label: faultContext.signatureLabel, binding: nil))
            rooted.insert(function.usr)
        }
        self.roots = roots

        // Breadth-first search from the roots, in two waves. The callback
        // roots go first: a function with the handler's shape that one of
        // them calls (`.fault` a thin wrapper around `foo_huge_fault(vmf,
        // 0)`, a `.huge_fault` entry compiled out by `#ifdef`) is part of
        // that root's path, with its confidence and its ops table, not a
        // root of its own. Then the shape roots search on their own (through
        // the functions the first wave reached, too) and give a chain to the
        // functions no callback reaches. Within a wave every reachable
        // function gets the shortest chain, ties going to the earlier root,
        // and no chain has more than `maxChain` functions: so a function's
        // context depends only on the chains that lead to it, never on how
        // far another function's chain went.
        let maxChain = faultContext.maxChain ?? Int.max
        // A call of a cut is no edge: not searched forward, not backward.
        let cuts = Set(faultContext.cuts ?? [])
        var reach: [String: Reach] = [:]
        for wave in [true, false] {
            var found: [String: Reach] = [:]
            var queue: [String] = []
            for (index, root) in roots.enumerated() where (root.binding != nil) == wave && found[root.usr] == nil {
                found[root.usr] = Reach(rootIndex: index, path: [root.usr])
                queue.append(root.usr)
            }
            var head = 0
            while head < queue.count {
                let usr = queue[head]
                head += 1
                guard let function = functions[usr], let current = found[usr], current.path.count < maxChain
                else { continue }
                for call in function.calls where !cuts.contains(call.callee) {
                    guard let callee = call.calleeUSR, functions[callee] != nil, found[callee] == nil else { continue }
                    found[callee] = Reach(rootIndex: current.rootIndex, path: current.path + [callee])
                    queue.append(callee)
                }
            }
            reach.merge(found) { first, _ in first }
        }
        self.reach = reach
        self.maxChain = maxChain

        var callers: [String: [String]] = [:]
        for function in definitionOrder {
            for callee in Set(function.calls.filter { !cuts.contains($0.callee) }.compactMap(\.calleeUSR))
            where functions[callee] != nil {
                callers[callee, default: []].append(function.usr)
            }
        }
        self.callers = callers
    }

    /// How `usr` runs in fault context: the root and the function chain from
    /// the root's function to `usr`. Nil when no root reaches it.
    public func faultContext(of usr: String) -> (root: Root, path: [FunctionFact])? {
        guard let found = reach[usr] else { return nil }
        return (roots[found.rootIndex], found.path.compactMap { functions[$0] })
    }

    /// Every root that reaches `usr`, each with its shortest chain to it:
    /// the same function bound in two ops tables is in the fault path of
    /// both, and a rule that judges the table (the mmap handler installing
    /// it) must see each. The context `faultContext(of:)` gives comes first,
    /// then the other roots in root order.
    public func faultContexts(of usr: String) -> [(root: Root, path: [FunctionFact])] {
        guard let primary = reach[usr] else { return [] }
        // Backwards from `usr`: for each function that reaches it, the next
        // function on a shortest way there.
        var next: [String: String] = [usr: usr]
        var depth: [String: Int] = [usr: 1]
        var queue = [usr]
        var head = 0
        while head < queue.count {
            let current = queue[head]
            head += 1
            guard depth[current, default: 1] < maxChain else { continue }
            for caller in callers[current] ?? [] where next[caller] == nil {
                next[caller] = current
                depth[caller] = depth[current, default: 1] + 1
                queue.append(caller)
            }
        }
        var result = [(root: roots[primary.rootIndex], path: primary.path.compactMap { functions[$0] })]
        for (index, root) in roots.enumerated() where index != primary.rootIndex && next[root.usr] != nil {
            var path = [root.usr]
            while let step = next[path[path.count - 1]], step != path[path.count - 1] { path.append(step) }
            result.append((root, path.compactMap { functions[$0] }))
        }
        return result
    }

    /// All function definitions in a stable order (file, line, USR).
    public var orderedFunctions: [FunctionFact] {
        functions.values.sorted { ($0.location, $0.usr) < ($1.location, $1.usr) }
    }
}

extension Program {
    /// Every call to one of `callees`, with the function it is in, in a
    /// stable order. Calls inside the watched functions themselves are left
    /// out: `io_remap_pfn_range()` calling `remap_pfn_range()` in mm.h is the
    /// API's own business, not a use of it.
    public func calls(to callees: Set<String>) -> [(function: FunctionFact, call: CallFact)] {
        var result: [(FunctionFact, CallFact)] = []
        for function in orderedFunctions where !callees.contains(function.name) {
            for call in function.calls where callees.contains(call.callee) {
                result.append((function, call))
            }
        }
        return result
    }

    /// The chain a finding shows: the root, each function from the root's
    /// function down, the macro when the call comes from one, the callee.
    public static func chain(root: Root, path: [FunctionFact], call: CallFact) -> [String] {
        var chain = [root.label] + path.map(\.name)
        if let macro = call.macro, macro != call.callee { chain.append("\(macro) (macro)") }
        chain.append(call.callee)
        return chain
    }
}

extension Program {
    /// Where the links of a chain are written, root first: the binding that
    /// makes the root (when there is one), then each call from one function
    /// of `path` to the next.
    public static func chainSites(root: Root, path: [FunctionFact]) -> [Location] {
        var sites: [Location] = []
        if let binding = root.binding { sites.append(binding.location) }
        for (caller, callee) in zip(path, path.dropFirst()) {
            if let call = caller.calls.first(where: { $0.calleeUSR == callee.usr }) {
                sites.append(call.location)
            }
        }
        return sites
    }
}

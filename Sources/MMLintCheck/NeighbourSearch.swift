import Foundation
import MMLintCore
import MMLintEngine
import MMLintIndex

/// The files next to a patch's touched sources that a new finding may
/// need, read as tokens.
struct NeighbourSearch {
    let engine: Engine
    let root: String
    private let scanner = TokenScanner(vocabulary: Vocabulary(callbackFields: [], callbackStructs: []))

    init(engine: Engine, root: String) {
        self.engine = engine
        self.root = root
    }

    /// Files next to the touched sources that a new finding may need. A new
    /// finding needs a new path from a root to a watched call (or a stronger
    /// root), so only what the patches changed can lead elsewhere: functions
    /// called from added lines or from functions a patch made reachable (we need the files
    /// that define them), and non-static functions a patch gave a watched
    /// call (we need the files that may call them). A file's tokens tell
    /// its definitions from its calls (comments and strings say nothing); a
    /// wrong guess costs one parse, never a finding.
    func files(states: [[UnitFacts]], added: [[String: Set<Int>]], sources: [String]) -> [String] {
        let watched = engine.watchedAPIs
        let programs = states.map { Program(units: $0, faultContext: engine.knowledge.faultContext) }
        var defineNeeded = Set<String>()
        var mentionNeeded = Set<String>()
        for k in 1..<programs.count {
            let program = programs[k]
            let addedLines = added[k].reduce(into: Set<String>()) { all, entry in
                for line in entry.value { all.insert(root + "/" + entry.key + ":\(line)") }
            }
            for function in program.functions.values {
                // Reached now and not before, or now through an installed
                // callback where before only its shape said fault.
                let now = program.faultContext(of: function.usr)?.root
                let before = programs[k - 1].faultContext(of: function.usr)?.root
                let newlyReached = now != nil && (before == nil || (before?.binding == nil && now?.binding != nil))
                for call in function.calls {
                    let onAddedLine = addedLines.contains("\(call.location.file):\(call.location.line)")
                    if watched.contains(call.callee) {
                        if onAddedLine && !function.isStatic { mentionNeeded.insert(function.name) }
                    } else if newlyReached || onAddedLine, let usr = call.calleeUSR, program.functions[usr] == nil {
                        defineNeeded.insert(call.callee)
                    }
                }
            }
        }
        guard !defineNeeded.isEmpty || !mentionNeeded.isEmpty else { return [] }
        let dirs = Set(sources.map { ($0 as NSString).deletingLastPathComponent })
        var found: [String] = []
        for dir in dirs.sorted() {
            for file in cFiles(in: dir) where !sources.contains(file) {
                guard let bytes = FileManager.default.contents(atPath: root + "/" + file).map({ [UInt8]($0) }) else { continue }
                let facts = scanner.scan(bytes)
                let defined = Set(facts.functions.map { facts.name($0.name) })
                let spelled = Set((0..<UInt32(facts.symbols.count)).map(facts.name))
                if !mentionNeeded.isDisjoint(with: spelled) || !defineNeeded.isDisjoint(with: defined) {
                    found.append(file)
                }
                if found.count >= 32 { return found }
            }
        }
        return found
    }

    /// The `.c` files of a folder of the tree, relative to the root.
    func cFiles(in dir: String) -> [String] {
        let full = dir.isEmpty ? root : root + "/" + dir
        let names = (try? FileManager.default.contentsOfDirectory(atPath: full)) ?? []
        return names.filter { $0.hasSuffix(".c") }.sorted().map { dir.isEmpty ? $0 : dir + "/" + $0 }
    }
}

import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Picks the C files of a tree whose parse can contribute a finding, from
/// tokens alone, so that analysing only those files gives the same findings
/// as analysing all of them. Parsing a kernel file costs ~0.3 s; reading and
/// tokenizing all 55,000 sources and headers of a tree costs less than
/// parsing ten of them.
///
/// ## What the analysis needs from a file
///
/// `Program` merges the facts of the parsed sources: each source's
/// functions, and the header functions that those call (transitively) or
/// store into a callback field. Functions are keyed by USR (a static
/// function by file and name, any other by name) and the first definition
/// in path order wins. Roots are the functions written into a callback field
/// by a parsed source (or by header code it pulls in) and those with the
/// handler's shape. A finding is a call of a watched API from a function
/// not named after one of the rule's APIs: anywhere for the anywhere APIs
/// (`follow_pfn`), reached from a root for the fault APIs; it carries the
/// shortest chain from the roots (ties to the earlier root) and the root's
/// label. A subset of the sources gives the same findings when it yields
/// every function on a root-to-finding path and every function holding a
/// finding's call, every root on such a path with all of its bindings, and
/// no function that displaces one of those.
///
/// ## The model
///
/// Nodes are the definitions the `TokenScanner` finds (functions and macros,
/// in sources and headers) and, per name, four layers a use of the name can
/// land on, each the union of the next: the name's object-like macros; its
/// macros and header functions; those and its first non-static source
/// definition (in path order, as `Program` keeps); those and every static
/// source definition. Edges follow how C resolves a name, loosely:
///
/// - `name(` in a source lands on the static functions so named in the
///   source's translation unit (it and the `.c` files it includes or that
///   include it) and on the name's macros and header functions, else on the
///   name's global layer (and on the unit's own definitions of the name, in
///   case a storage class was misread); in a header, on everything so named
///   (a header is compiled into any source);
/// - a value (`name` not before `(`) lands on object-like macros only (they
///   expand), except in a function that invokes a macro that calls one of
///   its parameters, directly or through another macro: there values count
///   as calls;
/// - every identifier of a macro body counts as a call (the use may be
///   followed by `(`), parameters excepted;
/// - member names (after `.` or `->`) name nothing: C calls nothing directly
///   by a member name.
///
/// All `#if` branches are read (`#if 0` ones excepted). So every direct call
/// libclang reports from `f` to `g`, written in `f`, coming from a macro or
/// from a macro that calls an argument, is a path from `f`'s node to `g`'s.
///
/// A node is *tainted* when it reaches a watched API (its layers, or a
/// definition with its name); a *host* is a tainted definition not named
/// after the API; a *path* node reaches a host. *Roots*: functions whose
/// declaration before the name has the fault typedef (or a macro spelling
/// it), and every name written into a callback field (`.field = …`,
/// `->field = …`, positional initializers of the callback structs), or
/// handed to a macro that writes its argument into one.
/// *Relevant*: reached from a root and on a fault-API path, or on an
/// anywhere-API path.
///
/// ## The rules
///
/// 1. A source defining a relevant function.
/// 2. A source writing a relevant root into a callback field, itself or
///    through a macro (the root's label, and the order of roots, come from
///    the bindings).
/// 3. A source whose definitions lead, through header code and macros only,
///    to a relevant header root or to header code binding a relevant root:
///    a header function is in the program only if a parsed source pulls it in.
/// 4. Functions a macro expansion defines have names no file spells; for
///    each file-scope expansion (`DEFINE_X(name)`, `SYSCALL_DEFINE1(…) {`)
///    reaching a watched API, identifiers no file defines that contain one
///    of its arguments are taken for its functions: their callers get an
///    edge to the expansion, sources storing them are selected, and so is
///    the expanding source when the expansion reaches an anywhere API, is a
///    root (it can write the handler's shape or a binding), or is called.
/// 5. The other sources of a selected source's translation unit.
/// 6. For each non-static function a selected source defines that another
///    source defines first and that reaches a watched API, that source:
///    otherwise the selected definition would take the place of the one the
///    whole analysis keeps, and could add a finding.
///
/// ## Why no finding is lost
///
/// Take a finding of the whole analysis: a call of API `a` in `f`, with the
/// chain `r = f0 → … → fk = f`. Every `fi` reaches `a`, and for a fault API
/// is reached from `r`, so every `fi` is relevant (the model's edges cover
/// the analysis's calls; a static `fi` resolves to its own node, a
/// non-static one through its global layer to the first definition, the
/// one the analysis keeps). A source `fi` is in a file rule 1 selects. A
/// header `fi` following a source `fj` is pulled in by `fj`'s parse, as the
/// whole analysis pulled it. When `f0` … `fi` are all header functions,
/// `f0` is a header root and rule 3 selects the sources that pull it in. A
/// function generated by an expansion is rule 4's. Rule 2 keeps every
/// binding of every relevant root; rule 5 keeps translation units whole.
/// The chain itself does not change: any root or function on any path from
/// a root to `f` is relevant too, hence present, and a function that is not
/// on such a path never enters the search before one that is (it would then
/// reach `f`). A function of the subset that is not the whole analysis's
/// (a non-static one defined earlier by a source left out) reaches no
/// watched API (rule 6), so no finding is added either.
///
/// ## Assumptions
///
/// - A call whose callee's name is pasted at the call site (`ops_##name(…)`)
///   is not followed (names pasted into definitions are rule 4's).
/// - A function a file-scope expansion defines is named by one of its
///   arguments or contains one (`cam_fault` from `DEFINE_FAULT(cam)`), or
///   is stored into a callback field by the macro itself.
/// - A positional initializer of a struct that embeds a callback struct is
///   not read as a binding (designated ones are: `.vm_ops = { .fault = f }`).
/// - A header function has the same facts in every translation unit.
/// - The headers given are those the sources include (all `.h` of the tree).
public struct Prefilter: Sendable {
    /// Range-mapping APIs: findings only in fault context (rules/mm-remap-in-fault.yaml).
    public var faultAPIs: Set<String>
    /// APIs whose every call is a finding (rules/mm-follow-pfn.yaml).
    public var anywhereAPIs: Set<String>
    /// The callback fields and structs whose writes make roots.
    public var vocabulary: Vocabulary
    /// The fault handler's return type (`vm_fault_t`), which makes a root.
    public var faultTypedef: String
    /// Threads that read, scan and index.
    public var threads: Int
    /// Struct members whose mention in a function makes it hold a finding,
    /// on a fault path or anywhere (`RuleKnowledge.Evidence.members`).
    public var faultMembers: Set<String> = []
    public var anywhereMembers: Set<String> = []
    /// Struct members whose write makes a function hold a finding.
    public var faultMemberWrites: Set<String> = []
    public var anywhereMemberWrites: Set<String> = []
    /// Every root holds a finding (a rule judges the handler itself).
    public var rootsAreEvidence = false
    /// The mmap handlers that install an ops table are needed: every write
    /// of `->vm_ops` counts as a finding's place, anywhere.
    public var holdersNeeded = false
    /// Functions a root calls, to this depth, declared to return one of
    /// `rootCalleeTypes` (`int`, `long`), and those they call: their bodies
    /// count (0: none).
    public var rootCalleeDepth = 0
    public var rootCalleeTypes: Set<String> = []

    /// What a fault path must reach: the fault APIs and the pseudo-names of
    /// the fault members (see `Vocabulary.mention`).
    var faultNames: Set<String> {
        faultAPIs.union(faultMembers.map(Vocabulary.mention)).union(faultMemberWrites.map(Vocabulary.write))
    }
    /// What any function may not reach, wherever it is.
    var anywhereNames: Set<String> {
        anywhereAPIs.union(anywhereMembers.map(Vocabulary.mention))
            .union((anywhereMemberWrites.union(holdersNeeded ? ["vm_ops"] : [])).map(Vocabulary.write))
    }
    /// Everything the selection depends on besides the files, for cache keys.
    public var description: String {
        [faultNames.sorted().joined(separator: ","), anywhereNames.sorted().joined(separator: ","),
         scanVocabulary.callbackFields.joined(separator: ","), scanVocabulary.callbackStructs.joined(separator: ","),
         scanVocabulary.members.joined(separator: ","), scanVocabulary.memberWrites.joined(separator: ","),
         faultTypedef, rootsAreEvidence ? "roots" : "", holdersNeeded ? "holders" : "",
         "callees \(rootCalleeDepth) " + rootCalleeTypes.sorted().joined(separator: ",")].joined(separator: "|")
    }

    /// The vocabulary the scanner reads with: the callback words and the watched members.
    var scanVocabulary: Vocabulary {
        var words = vocabulary
        words.members = faultMembers.union(anywhereMembers).sorted()
        words.memberWrites = faultMemberWrites.union(anywhereMemberWrites).union(holdersNeeded ? ["vm_ops"] : []).sorted()
        return words
    }

    public init(faultAPIs: Set<String>, anywhereAPIs: Set<String>, callbackFields: [String],
                callbackStructs: [String], faultTypedef: String,
                threads: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.faultAPIs = faultAPIs
        self.anywhereAPIs = anywhereAPIs
        self.vocabulary = Vocabulary(callbackFields: callbackFields, callbackStructs: callbackStructs)
        self.faultTypedef = faultTypedef
        self.threads = max(1, threads)
    }

    /// Reads and scans `sources` (C files) and `headers` (absolute paths) on
    /// `threads` threads, and selects among the sources. Files that a source
    /// or header includes by a name not ending in `.h` (`"impl.c"`,
    /// `"table.inl"`) and that are not among them are read too, as headers.
    public func select(sources: [String], headers: [String]) -> Selection {
        let given = headers.count
        var headers = headers
        let table = Shard.NameTable(extra: watched, files: sources.count + headers.count)
        var (facts, bytesRead) = scan(sources + headers, names: table)
        var known = Set(sources + headers)
        var fresh = 0..<facts.count
        while true {
            var extra: [String] = []
            for index in fresh {
                let includer = index < sources.count ? sources[index] : headers[index - sources.count]
                for included in facts[index]?.includedFiles ?? [] {
                    let path = Self.resolve(included, from: includer)
                    if known.insert(path).inserted && FileManager.default.isReadableFile(atPath: path) {
                        extra.append(path)
                    }
                }
            }
            guard !extra.isEmpty else { break }
            let more = scan(extra, names: table)
            fresh = facts.count..<facts.count + extra.count
            headers += extra
            facts += more.facts
            bytesRead += more.bytes
        }
        let fragments = Array(headers[given...])
        var selection = choose(sources: sources, facts: consume facts, names: table, bytesRead: bytesRead)
        selection.fragments = fragments
        return selection
    }

    /// The watched names: the APIs and the typedef.
    private var watched: [String] {
        faultNames.sorted() + anywhereNames.sorted() + [faultTypedef] + rootCalleeTypes.sorted()
    }

    /// `included` as written in `file`'s `#include "…"`, made absolute.
    static func resolve(_ included: String, from file: String) -> String {
        var components = included.hasPrefix("/") ? [] : file.split(separator: "/").dropLast().map(String.init)
        for component in included.split(separator: "/") {
            switch component {
            case ".": continue
            case "..": if !components.isEmpty { components.removeLast() }
            default: components.append(String(component))
            }
        }
        return "/" + components.joined(separator: "/")
    }

    /// Reads and scans `paths` on `threads` threads; nil facts for files that cannot be read.
    private func scan(_ paths: [String], names: Shard.NameTable) -> (facts: [FileFacts?], bytes: Int) {
        let results = FactSlots(count: paths.count)
        let next = WorkCounter()
        let vocabulary = self.scanVocabulary
        DispatchQueue.concurrentPerform(iterations: min(threads, max(paths.count, 1))) { _ in
            let scanner = TokenScanner(vocabulary: vocabulary)
            let reader = FileReader()
            var bytesRead = 0
            while true {
                let chunk = next.take(16)
                guard chunk.lowerBound < paths.count else { break }
                for index in chunk.clamped(to: 0..<paths.count) {
                    let facts = reader.withContents(of: paths[index]) { bytes in
                        bytesRead += bytes.count
                        return scanner.scan(bytes)
                    }
                    if let facts { names.add(definitionsOf: facts) }
                    results.set(index, facts)
                }
            }
            results.add(bytes: bytesRead)
        }
        return (results.values, results.bytes)
    }

    /// Selects among `sources` given facts already taken (from a cache, say):
    /// `facts[i]` belongs to `sources[i]`, then to the headers.
    public func select(sources: [String], headers: [String], facts: [FileFacts]) -> Selection {
        precondition(facts.count == sources.count + headers.count, "one FileFacts per source and header")
        let table = Shard.NameTable(extra: watched, files: facts.count)
        for file in facts { table.add(definitionsOf: file) }
        return choose(sources: sources, facts: facts, names: table, bytesRead: 0)
    }

    /// Re-keys the facts to the table of defined names, then selects. The
    /// table owns the interner every shard reads: it lives until the
    /// selection is made. The facts are dropped once the shards are built.
    private func choose(sources: [String], facts: consuming [FileFacts?], names table: Shard.NameTable,
                        bytesRead: Int) -> Selection {
        let unreadable = (0..<Int32(sources.count)).filter { facts[Int($0)] == nil }
        let filesRead = facts.count { $0 != nil }
        let box = FactsBox(consume facts)
        return withExtendedLifetime(table) {
            let names = table.frozen
            var shards = self.shards(of: box, names: names)
            let undefinedNames = shards.map(\.undefined)
            defer { for table in undefinedNames { table.deallocate() } }
            releaseFreedMemory()
            // Handed over, not copied: the selector empties the shards'
            // definitions into its own table, which a copy here would keep.
            var selector = Selector(prefilter: self, sources: sources, names: names, shards: shards,
                                    unreadable: unreadable)
            shards = []
            var selection = selector.run()
            selection.counts.filesRead = filesRead
            selection.counts.bytesRead = bytesRead
            return selection
        }
    }

    /// The facts re-keyed to `names`, one shard per thread. Each file's facts
    /// are dropped as soon as its shard has them, so the two never add up.
    private func shards(of facts: FactsBox, names: Interner) -> [Shard] {
        let slots = ResultBox<Shard>(count: threads)
        let next = WorkCounter()
        let count = facts.count
        DispatchQueue.concurrentPerform(iterations: threads) { worker in
            var shard = Shard()
            while true {
                let chunk = next.take(64)
                guard chunk.lowerBound < count else { break }
                for index in chunk.clamped(to: 0..<count) {
                    guard let file = facts.take(index) else { continue }
                    shard.add(file, file: Int32(index), names: names)
                }
                if chunk.lowerBound % 4096 == 0 { releaseFreedMemory() }
            }
            slots.set(worker, shard)
        }
        return slots.values
    }
}

/// Per-file facts handed from the scan to the shard builders, each taken
/// (and so freed) exactly once; distinct threads take distinct indices.
private final class FactsBox: @unchecked Sendable {
    private var slots: UnsafeMutableBufferPointer<FileFacts?>

    init(_ facts: consuming [FileFacts?]) {
        slots = .allocate(capacity: facts.count)
        _ = slots.initialize(from: facts)
    }

    deinit {
        slots.deinitialize()
        slots.deallocate()
    }

    var count: Int { slots.count }

    func take(_ index: Int) -> FileFacts? {
        let facts = slots[index]
        slots[index] = nil
        return facts
    }
}

/// Hands the heap's free pages back to the system (glibc keeps them
/// otherwise), so that the selection's peak does not stack on the scan's.
func releaseFreedMemory() {
    #if os(Linux)
    _ = glibcMallocTrim(0)
    #endif
}

#if os(Linux)
/// glibc's `int malloc_trim(size_t)`, which no Swift module map exports.
@_silgen_name("malloc_trim")
private func glibcMallocTrim(_ pad: Int) -> Int32
#endif

extension Prefilter {
    /// Hands the selection's freed memory back to the system before the
    /// parse workers start their work.
    public static func releaseMemory() { releaseFreedMemory() }
}

/// The files chosen, with why.
public struct Selection: Sendable, Equatable {
    /// Absolute paths of the selected C files, sorted.
    public var files: [String]
    /// For each selected file, why (sorted, one line each).
    public var reasons: [String: [String]]
    public var counts: Counts
    /// Files read beyond the sources and headers given: what they include
    /// by a name not ending in `.h` (`"impl.c"`, `"table.inl"`).
    public var fragments: [String] = []

    public struct Counts: Sendable, Equatable {
        /// Sources, headers and the fragments they include (`.inl`, …).
        public var filesRead: Int
        public var bytesRead: Int
        /// Function definitions found, in sources and headers.
        public var functions: Int
        public var selected: Int
        /// Files that could not be read. An unreadable source is selected:
        /// the prefilter cannot judge it, the parser will say what is wrong.
        public var unreadable: Int
    }
}

/// Hands out chunks of file indices to the scan threads.
private final class WorkCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0

    func take(_ count: Int) -> Range<Int> {
        lock.lock()
        defer { lock.unlock() }
        next += count
        return (next - count)..<next
    }
}

/// The scan threads' results, one slot per file.
private final class FactSlots: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [FileFacts?]
    private(set) var bytes = 0

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ facts: FileFacts?) {
        lock.lock()
        slots[index] = facts
        lock.unlock()
    }

    func add(bytes count: Int) {
        lock.lock()
        bytes += count
        lock.unlock()
    }

    var values: [FileFacts?] {
        lock.lock()
        defer { lock.unlock() }
        return slots
    }
}




import Dispatch
import Foundation
import MMLintSupport
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
/// ## Evidence is local
///
/// Each rule's evidence is a group (`EvidenceGroup`): names whose call or
/// mention is a finding's place (an API, a number-only macro such as
/// `EINVAL`, the pseudo-name of a member mention or write), sets of names
/// one of which must be spelled too (`down_read` with `->mmap_lock`),
/// functions that never hold a finding (the rule's sanctioned ones, and
/// those named after one of the names: the API's own code), types a host
/// must be declared with (`vm_fault_t`), and helpers. A node *spells* a
/// group's names when it reaches one of their nodes through layers and
/// macros only: for a function, a use in its own body or in a macro
/// expanded there, never a use in a function it calls. A *host* of a
/// group is a function that spells its names and one name of each of its
/// sets, is neither sanctioned nor named after one of its names, and is
/// declared with one of its types (when it has some). With helpers of
/// depth `d` and types `T`, a helper of level 0 is a function declared with
/// a type of `T` that spells the names, one of level `k` one declared so
/// that spells a call of a helper of level `k-1`, for `k < d`; a declared
/// function spelling a call of a helper is a host too, and the helpers its
/// calls lead to are kept. A node is on a *fault path* when it reaches a
/// host of a fault group, on an *anywhere path* when it reaches a host of
/// an anywhere group; with a chain bound K (`chainLimit`, the `max-chain`
/// of `rules/fault-context.yaml`, which `Program` applies too), only when
/// the functions between the nearest root and it (it included) and
/// between it and the nearest host (the host included) number at most
/// K - 1. Macros and layers count nothing, so a distance in the model is at
/// most the analysis's chain length between the same functions. *Roots*: functions whose declaration before the name
/// has the fault typedef (or a macro spelling it), and every name written
/// into a callback field (`.field = …`, `->field = …`, positional
/// initializers of the callback structs), or handed to a macro that writes
/// its argument into one. *Relevant*: reached from a root and on a path;
/// a host of an anywhere group; a kept helper.
///
/// What the rules judge is no wider: a rule reports a call (or write,
/// return, store) written in a function's body, where libclang attributes
/// the calls of the macros expanded there; `RemapInFault` and its siblings
/// skip functions named after their APIs and the sanctioned ones;
/// `FaultMmapLock` counts an rwsem call only with `&…->mmap_lock` as its
/// argument, spelled in the body or a macro expanded there; `FaultErrno`
/// judges only functions declared `vm_fault_t`, and an errno there is a
/// negative `E…` name, `PTR_ERR()`, or the int result of a helper it follows
/// to depth 4 (each level an `int`/`long` function returning one); a rule
/// silent at the tree's version (`VmFlagsDirect` before its `since`) gives
/// no group. An API's own `since`/`until` gates nothing: the rules report a
/// call of it on any tree. A finding's chain is the shortest from the roots, so only paths
/// from roots matter: a caller of an anywhere host that no root reaches
/// changes nothing.
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
///    that spells evidence or reaches a host (within K - 2 functions, with
///    a bound: its functions are at least one call below a root),
///    identifiers no file defines that contain one of its arguments (as
///    whole `_`-separated parts), C's keywords aside (`void`, `long`,
///    `struct`: a keyword is no name, so no generated one), are taken for
///    its functions: their
///    callers get an edge to the expansion (a host when it spells
///    evidence), sources storing them are selected, and so is the
///    expanding source when the expansion spells an anywhere group's
///    evidence, is a relevant root (it can write the handler's shape or a
///    binding), or a relevant function calls a name containing one of this
///    expansion's own arguments.
/// 7. Holders (`holdersNeeded`): every source installing an ops table that
///    holds a relevant root (`vma->vm_ops = &foo_vm_ops`, or a table's
///    `.vm_ops = …`), and the sources of the installing function's callers
///    and of its callees to two levels that spell one of `holderNames` (a
///    flag, or a call setting one) or, for a callee, call one that does:
///    the rule asks only whether one of those functions sets the flag, and
///    a function it passes on the way must be there for it to look.
/// 5. The other sources of a selected source's translation unit.
/// 6. For each non-static function a selected source defines that another
///    source defines first and that is on a path or a kept helper, that source:
///    otherwise the selected definition would take the place of the one the
///    whole analysis keeps, and could add a finding.
///
/// ## Why no finding is lost
///
/// Take a finding of the whole analysis: a call of API `a` (or a write, a
/// return) in `f`, with the chain `r = f0 → … → fk = f`, k < K (`Program`
/// reports no longer chain, and its first wave's chains do not depend on
/// the second's: a function's context depends only on the chains leading
/// to it, so each `fi` is at most i functions from a root and k - i from a
/// host in the model). `f` is a host of
/// the rule's group (above: what the rule judges is no wider), every `fi`
/// reaches `f` and is reached from `r`, so every `fi` is relevant, and so
/// is `f` for an anywhere rule without a chain (the model's edges cover the
/// analysis's calls; a static `fi` resolves to its own node, a non-static
/// one through its global layer to the first definition, the one the
/// analysis keeps). A helper a finding names is kept with the helpers below it. A source `fi` is in a file rule 1 selects. A
/// header `fi` following a source `fj` is pulled in by `fj`'s parse, as the
/// whole analysis pulled it. When `f0` … `fi` are all header functions,
/// `f0` is a header root and rule 3 selects the sources that pull it in. A
/// function generated by an expansion is rule 4's. Rule 2 keeps every
/// binding of every relevant root; rule 5 keeps translation units whole.
/// The chain itself does not change: any root or function on any path from
/// a root to `f` is relevant too, hence present, and a function that is not
/// on such a path never enters the search before one that is (it would then
/// reach `f`). A function of the subset that is not the whole analysis's
/// (a non-static one defined earlier by a source left out) is on no path
/// and is no helper (rule 6), so no finding is added either.
///
/// ## Assumptions
///
/// - A call whose callee's name is pasted at the call site (`ops_##name(…)`)
///   is not followed (names pasted into definitions are rule 4's).
/// - A function a file-scope expansion defines is named by one of its
///   arguments or contains one as whole `_`-separated parts (`cam_fault`
///   from `DEFINE_FAULT(cam)`, `__do_sys_mprotect` from
///   `SYSCALL_DEFINE3(mprotect, …)`), or is stored into a callback field by
///   the macro itself.
/// - A positional initializer of a struct that embeds a callback struct is
///   not read as a binding (designated ones are: `.vm_ops = { .fault = f }`).
/// - A header function has the same facts in every translation unit.
/// - The headers given are those the sources include (all `.h` of the tree).
/// - A negative errno in a `vm_fault_t` function is spelled with its `E…`
///   name (or through a macro that spells one), not as a bare number.
/// - An ops table is named where it is installed (`&foo_vm_ops`), and an
///   installing function is a source function, not a header one.
public struct Prefilter: Sendable {
    /// Names whose call on a fault path is a finding, as one group of
    /// their own. `Engine.prefilter` leaves this empty and gives each rule's
    /// evidence as `groups`; callers without rule data (tests, the bench)
    /// name their APIs here.
    public var faultAPIs: Set<String>
    /// Names whose every call is a finding, likewise.
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
    /// The mmap handlers that install a relevant root's ops table are
    /// needed, with their callers and callees (the rule looks there for the
    /// flags its inserts need).
    public var holdersNeeded = false
    /// What sets the flags an install needs (the flags, and the calls that
    /// set one): of the installing function's callers and callees, only
    /// those on the way to a function spelling one are needed. Empty: all.
    public var holderNames: Set<String> = []
    /// The most functions a finding's chain may have, root and host
    /// included (`FaultContextKnowledge.maxChain`); nil for no bound.
    public var chainLimit: Int?
    /// The rules' evidence, one group per kind (see `EvidenceGroup`),
    /// besides the APIs and members above (which make one group per scope).
    public var groups: [EvidenceGroup] = []

    /// Every group: those given, and the ones the fields above make.
    var allGroups: [EvidenceGroup] {
        var result = groups
        let fault = faultAPIs.union(faultMembers.map(Vocabulary.mention)).union(faultMemberWrites.map(Vocabulary.write))
        if !fault.isEmpty { result.append(EvidenceGroup(fault: true, names: fault)) }
        let anywhere = anywhereAPIs.union(anywhereMembers.map(Vocabulary.mention))
            .union(anywhereMemberWrites.map(Vocabulary.write))
        if !anywhere.isEmpty { result.append(EvidenceGroup(fault: false, names: anywhere)) }
        return result
    }

    /// Every name the groups of one scope watch.
    func watchedNames(fault: Bool) -> Set<String> {
        var names = Set<String>()
        for group in allGroups where group.fault == fault {
            names.formUnion(group.names)
            for set in group.also { names.formUnion(set) }
        }
        return names
    }

    /// Everything the selection depends on besides the files, for cache keys.
    public var description: String {
        ([scanVocabulary.callbackFields.joined(separator: ","), scanVocabulary.callbackStructs.joined(separator: ","),
          scanVocabulary.members.joined(separator: ","), scanVocabulary.memberWrites.joined(separator: ","),
          faultTypedef, rootsAreEvidence ? "roots" : "", holdersNeeded ? "holders" : "", "local",
          chainLimit.map { "chain\($0)" } ?? "", holderNames.sorted().joined(separator: ",")]
         + allGroups.map(\.description).sorted()).joined(separator: "|")
    }

    /// The vocabulary the scanner reads with: the callback words (and the
    /// ops field, for holders) and the watched members.
    var scanVocabulary: Vocabulary {
        var words = vocabulary
        var members = Set<String>()
        var writes = Set<String>()
        for name in watchedNames(fault: true).union(watchedNames(fault: false)) where name.hasPrefix("->") {
            if name.hasSuffix("=") {
                writes.insert(String(name.dropFirst(2).dropLast()))
            } else {
                members.insert(String(name.dropFirst(2)))
            }
        }
        words.members = members.sorted()
        words.memberWrites = writes.sorted()
        if holdersNeeded && !words.callbackFields.contains(Self.opsField) { words.callbackFields.append(Self.opsField) }
        return words
    }

    /// The field of `struct vm_area_struct` an mmap handler installs its
    /// callback table into: the kernel's layout, not a rule's choice.
    static let opsField = "vm_ops"

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
        var selection = choose(sources: sources, headers: headers, facts: consume facts, names: table, bytesRead: bytesRead)
        selection.fragments = fragments
        return selection
    }

    /// The watched names: the groups' names and types, and the typedef.
    private var watched: [String] {
        var names = watchedNames(fault: true).union(watchedNames(fault: false)).union([faultTypedef]).union(holderNames)
        for group in allGroups { names.formUnion(group.declared.union(group.helperTypes).union(group.sanctioned)) }
        return names.sorted()
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
        let results = LockedSlots<FileFacts>(count: paths.count)
        let bytes = LockedCounter()
        let next = LockedCounter()
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
                    if let facts { results.set(index, facts) }
                }
            }
            _ = bytes.take(bytesRead)
        }
        return (results.values, bytes.total)
    }

    /// Selects among `sources` given facts already taken (from a cache, say):
    /// `facts[i]` belongs to `sources[i]`, then to the headers.
    public func select(sources: [String], headers: [String], facts: [FileFacts]) -> Selection {
        precondition(facts.count == sources.count + headers.count, "one FileFacts per source and header")
        let table = Shard.NameTable(extra: watched, files: facts.count)
        for file in facts { table.add(definitionsOf: file) }
        return choose(sources: sources, headers: headers, facts: facts, names: table, bytesRead: 0)
    }

    /// Re-keys the facts to the table of defined names, then selects. The
    /// table owns the interner every shard reads: it lives until the
    /// selection is made. The facts are dropped once the shards are built.
    private func choose(sources: [String], headers: [String], facts: consuming [FileFacts?], names table: Shard.NameTable,
                        bytesRead: Int) -> Selection {
        Memory.stage("prefilter: files scanned")
        let unreadable = (0..<Int32(sources.count)).filter { facts[Int($0)] == nil }
        let filesRead = facts.count { $0 != nil }
        let box = FactsBox(consume facts)
        return withExtendedLifetime(table) {
            let names = table.frozen
            var shards = self.shards(of: box, names: names)
            let undefinedNames = shards.map(\.undefined)
            defer { for table in undefinedNames { table.deallocate() } }
            Memory.releaseFreed()
            Memory.stage("prefilter: shards built, facts dropped")
            // Handed over, not copied: the selector empties the shards'
            // definitions into its own table, which a copy here would keep.
            var selector = Selector(prefilter: self, sources: sources, names: names, shards: shards,
                                    unreadable: unreadable)
            selector.headers = headers
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
        let slots = LockedSlots<Shard>(count: threads)
        let next = LockedCounter()
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
                if chunk.lowerBound % 4096 == 0 { Memory.releaseFreed() }
            }
            slots.set(worker, shard)
        }
        return slots.values.map { $0! }
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

/// One kind of evidence of one rule (`RuleKnowledge.Evidence`): a function
/// holds a possible finding when its own body, or a macro expanded there,
/// spells one of `names` and one name of each set of `also`, unless it is
/// named after one of `names` (the API's own code) or `sanctioned`; with
/// `declared`, only a function declared to return one of those types does,
/// and a call of a helper counts too (see `helperDepth`).
public struct EvidenceGroup: Sendable, Hashable {
    /// Only on a fault path (else anywhere).
    public var fault: Bool
    /// Called or mentioned names, and member pseudo-names (`Vocabulary.mention`).
    public var names: Set<String>
    public var also: [Set<String>] = []
    public var sanctioned: Set<String> = []
    public var declared: Set<String> = []
    /// Helpers to this depth: functions declared to return one of
    /// `helperTypes` that spell one of `names`, or call a helper of the
    /// level below. In a `declared` function a call of one is evidence, and
    /// the helpers it leads to are kept (the rule reads their bodies).
    public var helperDepth = 0
    public var helperTypes: Set<String> = []

    public init(fault: Bool, names: Set<String>, also: [Set<String>] = [], sanctioned: Set<String> = [],
                declared: Set<String> = [], helperDepth: Int = 0, helperTypes: Set<String> = []) {
        self.fault = fault
        self.names = names
        self.also = also
        self.sanctioned = sanctioned
        self.declared = declared
        self.helperDepth = helperDepth
        self.helperTypes = helperTypes
    }

    var description: String {
        [fault ? "fault" : "anywhere", names.sorted().joined(separator: ","),
         also.map { $0.sorted().joined(separator: ",") }.joined(separator: "+"),
         sanctioned.sorted().joined(separator: ","), declared.sorted().joined(separator: ","),
         "\(helperDepth)", helperTypes.sorted().joined(separator: ",")].joined(separator: ";")
    }
}

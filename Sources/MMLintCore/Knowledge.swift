import Foundation
import Yams

/// What mmlint knows about the mm API, read from `rules/*.yaml`: where
/// fault context starts (the callback fields and the handler shape), and per
/// rule the APIs it watches, its messages and its suggestions with their
/// version gates, and what the fact extractor records (the structs whose
/// member writes are facts, the flag and fault-code prefixes, the ops
/// structs). Adding a forbidden API, a callback kind or a watched struct is
/// an edit there, not here. (The scan prefilter keeps its own token-level
/// copy of some of these names.)
public struct KnowledgeBase: Sendable {
    public var directory: String
    public var faultContext: FaultContextKnowledge
    public var rules: [String: RuleKnowledge]
    /// SHA-free fingerprint of the YAML text (for caches): changes when any rule file changes.
    public var fingerprint: String
    /// Each rule file's text by rule id, for the data only one rule reads
    /// (see `ruleData(_:as:)`).
    var texts: [String: String] = [:]

    public init(directory: String) throws(KnowledgeError) {
        self.directory = directory
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: directory) else {
            throw .missingDirectory(directory)
        }
        var faultContext: FaultContextKnowledge?
        var rules: [String: RuleKnowledge] = [:]
        var texts: [String: String] = [:]
        var hasher = FNV1a()
        let decoder = YAMLDecoder()
        for name in names.sorted() where name.hasSuffix(".yaml") {
            let path = directory + "/" + name
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw .unreadable(path)
            }
            hasher.add(name)
            hasher.add(text)
            do {
                if name == "fault-context.yaml" {
                    faultContext = try decoder.decode(FaultContextKnowledge.self, from: text)
                    if let bound = faultContext?.maxChain, bound < 1 {
                        throw KnowledgeError.invalid(path, "max-chain: \(bound): a chain holds at least the callback's own "
                                                     + "function; give 1 or more, or leave it out for no bound")
                    }
                } else {
                    let rule = try decoder.decode(RuleKnowledge.self, from: text)
                    guard name == rule.id + ".yaml" else { throw KnowledgeError.misnamed(path, rule.id) }
                    rules[rule.id] = rule
                    texts[rule.id] = text
                }
            } catch let error as KnowledgeError {
                throw error
            } catch {
                throw .invalid(path, String(describing: error))
            }
        }
        guard let faultContext else { throw .missingFile(directory + "/fault-context.yaml") }
        self.faultContext = faultContext
        self.rules = rules
        self.fingerprint = hasher.hex
        self.texts = texts
    }

    /// The rule's knowledge, or an error naming the file that should hold it.
    public func rule(_ id: String) throws(KnowledgeError) -> RuleKnowledge {
        guard let rule = rules[id] else { throw .missingFile(directory + "/" + id + ".yaml") }
        return rule
    }

    /// A rule's own data from its file, beyond what `RuleKnowledge` holds
    /// (e.g. which flag each insert API needs), decoded as `T`.
    public func ruleData<T: Decodable>(_ id: String, as type: T.Type) throws(KnowledgeError) -> T {
        guard let text = texts[id] else { throw .missingFile(directory + "/" + id + ".yaml") }
        do {
            return try YAMLDecoder().decode(T.self, from: text)
        } catch {
            throw .invalid(directory + "/" + id + ".yaml", String(describing: error))
        }
    }

    /// Finds `rules/`: `$MMLINT_RULES`, then `share/mmlint/rules` next to the
    /// executable's folder, then a source checkout above the executable (a
    /// `swift build` tree), then the checkout this binary was built from.
    public static func locateDirectory(executable: String = CommandLine.arguments.first ?? "") -> String? {
        let fm = FileManager.default
        let marker = "fault-context.yaml"
        if let explicit = ProcessInfo.processInfo.environment["MMLINT_RULES"], !explicit.isEmpty {
            return explicit
        }
        var candidates: [URL] = []
        let exe = URL(fileURLWithPath: (try? fm.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? executable)
        var dir = exe.deletingLastPathComponent()
        candidates.append(dir.appendingPathComponent("../share/mmlint/rules"))
        for _ in 0..<6 {
            candidates.append(dir.appendingPathComponent("rules"))
            dir = dir.deletingLastPathComponent()
        }
        // Sources/MMLintCore/Knowledge.swift, or MMLintCore/Sources/MMLintCore/… as the
        // dynamic library's package compiles it through its symbolic link.
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(source.deletingLastPathComponent().appendingPathComponent("rules"))
        candidates.append(source.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("rules"))
        for candidate in candidates {
            let path = candidate.standardizedFileURL.path
            if fm.fileExists(atPath: path + "/" + marker) { return path }
        }
        return nil
    }
}

/// Why the rules folder could not be used.
public enum KnowledgeError: Error, CustomStringConvertible {
    case missingDirectory(String)
    case missingFile(String)
    case unreadable(String)
    case invalid(String, String)
    case misnamed(String, String)

    public var description: String {
        switch self {
        case .missingDirectory(let dir):
            return "\(dir): rules folder not found; set MMLINT_RULES to the rules/ folder of mmlint"
        case .missingFile(let path): return "\(path): missing; the rules folder is incomplete"
        case .unreadable(let path): return "\(path): cannot be read"
        case .invalid(let path, let why): return "\(path): not a valid rule file: \(why)"
        case .misnamed(let path, let id): return "\(path): holds rule \(id); name the file \(id).yaml"
        }
    }
}

/// Where fault context starts: callback fields, and the handler shape.
public struct FaultContextKnowledge: Codable, Sendable {
    public struct Callback: Codable, Sendable {
        /// The struct that holds the callback, e.g. `vm_operations_struct`.
        public var `struct`: String
        public var fields: [String]
        public init(struct name: String, fields: [String]) {
            self.struct = name
            self.fields = fields
        }
    }
    public struct Signature: Codable, Sendable {
        /// The return type's typedef name, `vm_fault_t`.
        public var returns: String
        /// The struct a parameter points to, `vm_fault`.
        public var parameter: String
        public var label: String
        public init(returns: String, parameter: String, label: String) {
            self.returns = returns
            self.parameter = parameter
            self.label = label
        }
    }
    /// What the fact extractor records of a function beyond its calls.
    public struct Facts: Codable, Sendable {
        /// Structs whose member writes are facts (`vma->vm_flags |= …`, `vma->vm_ops = …`).
        public var memberWriteStructs: [String]
        /// Prefixes of the flag names a function spells (`VM_IO`, `PFN_DEV`)…
        public var flagPrefixes: [String]
        /// …but for these (`VM_FAULT_SIGBUS` is a fault code, not a flag).
        public var notFlagPrefixes: [String]
        /// Prefixes of the codes a fault handler returns: a value spelled
        /// only with them is a fault code, not an errno.
        public var faultCodePrefixes: [String]
        /// Ops structs whose tables, stored into a field of another table's
        /// initializer (`.vm_ops = &foo_vm_ops`), are facts.
        public var opsStructs: [String]

        public init(memberWriteStructs: [String] = [], flagPrefixes: [String] = [], notFlagPrefixes: [String] = [],
                    faultCodePrefixes: [String] = [], opsStructs: [String] = []) {
            self.memberWriteStructs = memberWriteStructs
            self.flagPrefixes = flagPrefixes
            self.notFlagPrefixes = notFlagPrefixes
            self.faultCodePrefixes = faultCodePrefixes
            self.opsStructs = opsStructs
        }
    }
    public var callbacks: [Callback]
    public var signature: Signature
    /// The most functions a fault-context chain may have, from the root's
    /// function to the one holding the call, both included; nil for no
    /// bound. A function deeper than that is not in fault context.
    public var maxChain: Int?
    public var facts: Facts
    /// Functions a fault path does not go through: a call of one is not
    /// followed, so what only it reaches is not in fault context (`mmput()`
    /// tears down an mm that is never the faulting one). Nil for none.
    public var cuts: [String]?

    enum CodingKeys: String, CodingKey {
        case callbacks, signature, facts, cuts
        case maxChain = "max-chain"
    }

    public init(callbacks: [Callback], signature: Signature, maxChain: Int? = nil, facts: Facts = Facts(),
                cuts: [String]? = nil) {
        self.callbacks = callbacks
        self.signature = signature
        self.maxChain = maxChain
        self.facts = facts
        self.cuts = cuts
    }

    public func isFaultCallback(structName: String, field: String) -> Bool {
        callbacks.contains { $0.struct == structName && $0.fields.contains(field) }
    }
    public var callbackStructs: Set<String> { Set(callbacks.map(\.struct)) }
    public var signatureLabel: String { signature.label }
}

/// One rule's data: the APIs it watches and its words.
public struct RuleKnowledge: Codable, Sendable {
    public struct API: Codable, Sendable {
        public var name: String
        /// The versions that have the API; outside them it does not exist.
        public var since: KernelVersion?
        public var until: KernelVersion?
        public var range: VersionRange { VersionRange(since: since, until: until) }
    }
    /// A piece of text for some context and some versions.
    public struct Text: Codable, Sendable {
        /// `fault` (the call runs in fault context), `other`, or nil for both.
        public var when: String?
        public var since: KernelVersion?
        public var until: KernelVersion?
        public var text: String
        public var range: VersionRange { VersionRange(since: since, until: until) }
    }
    /// Where a call of one of the APIs is a finding.
    public enum Scope: String, Codable, Sendable { case fault, anywhere }
    /// What a function must spell in its own body (or in a macro expanded
    /// there) for this rule to find something in it, beyond calls of `apis`:
    /// the scan's token prefilter parses only the files of such functions
    /// and of the paths from the fault roots to them. A rule that looks at
    /// more than calls must say so here, or the prefilter will skip its
    /// findings; one that looks at less (a call only with a certain
    /// argument, only in functions of a certain type) may say so too, and
    /// the prefilter keeps less.
    public struct Evidence: Codable, Sendable, Equatable {
        /// Identifiers (macros, functions, typedefs) whose mention is evidence.
        public var names: [String]?
        /// Struct members whose mention (`x->m`, `x.m`) is evidence.
        public var members: [String]?
        /// Struct members whose write (`x->m = …`, `|=`, `&=`, …) is evidence.
        public var memberWrites: [String]?
        /// A call of one of `calls` is evidence only in a body that also
        /// mentions one of `members` (`down_read(&mm->mmap_lock)`).
        public struct Together: Codable, Sendable, Equatable {
            public var calls: [String]
            public var members: [String]
            public init(calls: [String], members: [String]) {
                self.calls = calls
                self.members = members
            }
        }
        public var together: [Together]?
        /// Only functions declared to return one of these types (or a macro
        /// spelling one) are evidence: the rule judges no other.
        public var declared: [String]?
        /// Functions whose own calls the rule never reports: not evidence.
        public var sanctioned: [String]?
        /// The versions the rule reports on. On a tree outside them the
        /// rule gives no evidence; with `since` set, neither does a tree of
        /// unknown version (the rule is silent then).
        public var since: KernelVersion?
        public var until: KernelVersion?
        /// Every fault root is evidence (the rule judges the handler itself).
        public var roots: Bool?
        /// The sources naming a relevant root's ops variable (`&foo_vm_ops`),
        /// where the mmap handler installs it, are needed too, with the
        /// installing function's callers and callees.
        public var holders: Bool?
        /// Helpers to this depth: functions declared to return one of
        /// `rootCalleeTypes` that spell one of `names` in their own body, or
        /// call such a helper of the level below. A call of one is evidence
        /// (in a `declared` function), and the helpers it leads to are read
        /// (an int helper whose errno a handler returns).
        public var rootCallees: Int?
        public var rootCalleeTypes: [String]?
        public init(names: [String]? = nil, members: [String]? = nil, memberWrites: [String]? = nil,
                    together: [Together]? = nil, declared: [String]? = nil, sanctioned: [String]? = nil,
                    since: KernelVersion? = nil, until: KernelVersion? = nil,
                    roots: Bool? = nil, holders: Bool? = nil, rootCallees: Int? = nil,
                    rootCalleeTypes: [String]? = nil) {
            self.names = names
            self.members = members
            self.memberWrites = memberWrites
            self.together = together
            self.declared = declared
            self.sanctioned = sanctioned
            self.since = since
            self.until = until
            self.roots = roots
            self.holders = holders
            self.rootCallees = rootCallees
            self.rootCalleeTypes = rootCalleeTypes
        }

        /// Whether the rule can report on a tree of `version`.
        public func speaks(at version: KernelVersion?) -> Bool {
            guard let version else { return since == nil }
            return VersionRange(since: since, until: until).contains(version)
        }
    }
    public var id: String
    public var scope: Scope
    public var apis: [API]
    public var evidence: Evidence?
    public var messages: [Text]
    public var suggestions: [Text]
}

extension KernelVersion {
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text: String
        if let string = try? container.decode(String.self) {
            text = string
        } else {
            text = String(try container.decode(Double.self))
        }
        guard let version = KernelVersion(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a kernel version: \(text)")
        }
        self = version
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension Array where Element == RuleKnowledge.Text {
    /// The first text for `context` at `version`. With no version known, the
    /// first text without a version gate, else the one for the newest kernels.
    public func select(context: String, version: KernelVersion?) -> RuleKnowledge.Text? {
        let fitting = filter { $0.when == nil || $0.when == context }
        if let version { return fitting.first { $0.range.contains(version) } }
        return fitting.first { $0.since == nil && $0.until == nil }
            ?? fitting.first { $0.range.isOpenEnded } ?? fitting.last
    }
}

/// Fills `{name}` placeholders.
public func fill(_ template: String, _ values: [String: String]) -> String {
    var result = template
    for (key, value) in values {
        result = result.replacingOccurrences(of: "{\(key)}", with: value)
    }
    return result
}

/// 64-bit FNV-1a: a small, stable content hash for cache keys (not for security).
public struct FNV1a: Sendable {
    private var state: UInt64 = 0xcbf2_9ce4_8422_2325
    public init() {}
    public mutating func add(_ bytes: some Sequence<UInt8>) {
        for byte in bytes {
            state ^= UInt64(byte)
            state = state &* 0x0000_0100_0000_01b3
        }
    }
    public mutating func add(_ string: String) {
        add(string.utf8)
        add([0])
    }
    public var hex: String { String(format: "%016llx", state) }
}

import Yams

/// What a rule plugin hands mmlint. A plugin is a shared library, built by
/// the same Swift toolchain as mmlint, linked against `libMMLintCore.so`
/// (the MMLintCore package's dynamic product), that exports two C symbols:
///
/// ```swift
/// @_cdecl("mmlint_plugin_abi_version")
/// public func abiVersion() -> Int { MMLintPlugin.abiVersion }
///
/// @_cdecl("mmlint_plugin_create")
/// public func create() -> UnsafeMutableRawPointer {
///     MMLintPlugin.export(rules: [MyRule()], knowledge: [MyRule.knowledge])
/// }
/// ```
///
/// `docs/plugins.md` walks through it.
public enum MMLintPlugin {
    /// The rule API's version. `@_transparent` puts the number into the
    /// plugin's own code when it is compiled, so the host compares the API
    /// the plugin was built against with its own. Any change to this
    /// module's public API changes what a plugin sees, so it bumps the
    /// number: `PluginABITests` digests the API, records the digest with the
    /// number in `MMLintCore/abi-digests.txt`, and fails when one moves
    /// without the other.
    @_transparent public static var abiVersion: Int { 7 }

    /// `Int mmlint_plugin_abi_version(void)`.
    public static let abiVersionSymbol = "mmlint_plugin_abi_version"
    /// `void *mmlint_plugin_create(void)`: a +1 reference to a `PluginRuleSet`.
    public static let createSymbol = "mmlint_plugin_create"

    /// The factory's return value: a retained `PluginRuleSet` the host takes over.
    public static func export(rules: [any Rule], knowledge: [RuleKnowledge] = []) -> UnsafeMutableRawPointer {
        Unmanaged.passRetained(PluginRuleSet(rules: rules, knowledge: knowledge)).toOpaque()
    }
}

/// A plugin's rules, and for each the knowledge a built-in rule keeps in
/// `rules/<id>.yaml` (the APIs it watches, its scope and evidence): the scan
/// prefilter and `mmlint explain` read it.
public final class PluginRuleSet: Sendable {
    public let rules: [any Rule]
    public let knowledge: [RuleKnowledge]

    public init(rules: [any Rule], knowledge: [RuleKnowledge] = []) {
        self.rules = rules
        self.knowledge = knowledge
    }
}

extension RuleKnowledge {
    /// A rule's knowledge in the format of `rules/<id>.yaml`, for plugins,
    /// which keep it next to their Swift code.
    public init(yaml: String) throws(KnowledgeError) {
        do {
            self = try YAMLDecoder().decode(RuleKnowledge.self, from: yaml)
        } catch {
            throw .invalid("rule knowledge", String(describing: error))
        }
    }
}

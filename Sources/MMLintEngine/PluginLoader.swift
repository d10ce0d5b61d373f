import Foundation
import MMLintCore

/// A rule plugin, loaded: where it came from and what it gave.
public struct LoadedPlugin: Sendable {
    public var path: String
    public var rules: [any Rule]
    public var knowledge: [RuleKnowledge]
}

/// Loads rule plugins: shared libraries that export `mmlint_plugin_abi_version`
/// and `mmlint_plugin_create` (see `MMLintPlugin` and docs/plugins.md).
public enum PluginLoader {
    private typealias VersionFunction = @convention(c) () -> Int
    private typealias CreateFunction = @convention(c) () -> UnsafeMutableRawPointer?

    /// Loads each path once, in order.
    public static func load(_ paths: [String]) throws(EngineError) -> [LoadedPlugin] {
        var seen = Set<String>()
        var plugins: [LoadedPlugin] = []
        for path in paths where seen.insert(Paths.normalize(path)).inserted {
            plugins.append(try load(path))
        }
        return plugins
    }

    /// Opens the library and takes its rules. The library is never closed:
    /// its rules' code and type metadata must outlive every use of them.
    public static func load(_ path: String) throws(EngineError) -> LoadedPlugin {
        let absolute = Paths.normalize(path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: absolute, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw .input("\(path): plugin not found; build its package with `swift build` and give the path of the lib<Name>.so it makes")
        }
        guard let handle = FileHandle(forReadingAtPath: absolute) else {
            throw .input("\(path): plugin cannot be read")
        }
        let magic = (try? handle.read(upToCount: 4)) ?? nil
        try? handle.close()
        guard magic == Data([0x7f, 0x45, 0x4c, 0x46]) else {
            throw .input("\(path): not a shared library (no ELF header); a plugin is the lib<Name>.so its package builds")
        }
        // RTLD_LOCAL: the plugin's own symbols stay its own; what it needs from
        // libMMLintCore.so binds to the copy this process already has loaded.
        guard let library = dlopen(absolute, RTLD_NOW | RTLD_LOCAL) else {
            let reason = dlerror().map { String(cString: $0) } ?? "unknown reason"
            throw .input("\(path): cannot be loaded as a plugin: \(reason); build it with this mmlint's Swift toolchain against this mmlint's MMLintCore package")
        }
        guard let versionSymbol = dlsym(library, MMLintPlugin.abiVersionSymbol) else {
            throw .input("\(path): not an mmlint plugin: it exports no \(MMLintPlugin.abiVersionSymbol)() (see docs/plugins.md)")
        }
        let version = unsafeBitCast(versionSymbol, to: VersionFunction.self)()
        guard version == MMLintPlugin.abiVersion else {
            throw .input("\(path): plugin built for rule API version \(version), this mmlint has version \(MMLintPlugin.abiVersion); rebuild the plugin against this mmlint's MMLintCore package")
        }
        guard let createSymbol = dlsym(library, MMLintPlugin.createSymbol) else {
            throw .input("\(path): not an mmlint plugin: it exports no \(MMLintPlugin.createSymbol)() (see docs/plugins.md)")
        }
        guard let made = unsafeBitCast(createSymbol, to: CreateFunction.self)() else {
            throw .input("\(path): \(MMLintPlugin.createSymbol)() returned nothing")
        }
        // A plugin that carries its own static copy of MMLintCore has its own
        // PluginRuleSet type: the cast fails instead of rules misbehaving later.
        guard let set = Unmanaged<AnyObject>.fromOpaque(made).takeRetainedValue() as? PluginRuleSet else {
            throw .input("\(path): \(MMLintPlugin.createSymbol)() did not return this mmlint's PluginRuleSet; link the plugin against the dynamic product of mmlint's MMLintCore package, not a static copy")
        }
        let ids = Set(set.rules.map(\.description.id))
        for entry in set.knowledge where !ids.contains(entry.id) {
            throw .input("\(path): the plugin gives knowledge for '\(entry.id)', which is none of its rules")
        }
        return LoadedPlugin(path: absolute, rules: set.rules, knowledge: set.knowledge)
    }
}

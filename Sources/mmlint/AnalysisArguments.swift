import ArgumentParser
import Foundation
import MMLintCore
import MMLintEngine

/// The options of every command that analyses code (`scan`, `check`,
/// `review`): how to parse, which rules, which kernel version.
struct AnalysisArguments: ParsableArguments {
    @Option(name: .customLong("compile-commands"), help: "A compile_commands.json, or the folder holding it.")
    var compileCommands: String?

    @Option(name: .shortAndLong, help: "Parallel parsers (default: number of cores).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(name: .customLong("rule"), help: "Run only this rule (repeatable; wins over the config's enabled: false).")
    var rules: [String] = []

    @Option(name: .customLong("kernel-version"), help: "Kernel version for messages (default: the tree's Makefile).")
    var kernelVersion: String?

    @OptionGroup var ruleSources: RuleSourceArguments

    func validate() throws {
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
        if let kernelVersion, KernelVersion(kernelVersion) == nil {
            throw ValidationError("--kernel-version '\(kernelVersion)' is not a version like 6.1 or 6.12.3")
        }
    }

    /// `--kernel-version`, parsed (validated above).
    var version: KernelVersion? { kernelVersion.flatMap { KernelVersion($0) } }

    /// The engine for a tree rooted at `root`: its config, the plugins, `--rule`.
    func engine(root: String) throws(EngineError) -> Engine {
        try ruleSources.engine(ruleIDs: rules, root: root)
    }
}

/// Where rules come from besides the built-ins, and how they are configured:
/// `--plugin` and `--config` (also taken by `rules` and `explain`).
struct RuleSourceArguments: ParsableArguments {
    @Option(name: .customLong("plugin"), help: ArgumentHelp(
        "Load rules from this plugin, a shared library built against mmlint's MMLintCore package (repeatable).",
        valueName: "path"))
    var plugins: [String] = []

    @Option(help: ArgumentHelp(
        "The project config file (default: \(ProjectConfig.fileName) at the root of the tree, if there is one).",
        valueName: "path"))
    var config: String?

    /// `--config`, else `.mmlint.yml` in `root` when present.
    func projectConfig(root: String) throws(EngineError) -> ProjectConfig? {
        let path: String
        if let config {
            path = Paths.normalize(config)
            guard FileManager.default.fileExists(atPath: path) else {
                throw .input("--config \(config): no such file")
            }
        } else {
            path = (Paths.normalize(root) as NSString).appendingPathComponent(ProjectConfig.fileName)
            guard FileManager.default.fileExists(atPath: path) else { return nil }
        }
        do {
            return try ProjectConfig(contentsOf: path)
        } catch {
            throw .input(error.description)
        }
    }

    /// Loads the config's plugins, then `--plugin`'s, and builds the engine.
    func engine(ruleIDs: [String] = [], root: String) throws(EngineError) -> Engine {
        let config = try projectConfig(root: root)
        let loaded = try PluginLoader.load((config?.plugins ?? []) + plugins)
        return try Engine(ruleIDs: ruleIDs, plugins: loaded, config: config)
    }
}

/// The folder whose `.mmlint.yml` a scan reads: the kernel tree's root, else
/// the scanned folder (the first path, or the folder of a file).
enum ScanRoot {
    static func find(paths: [String], files: [String]) -> String {
        if let first = files.first, let root = KernelTree.root(containing: first) { return root }
        guard let path = paths.first.map({ Paths.normalize($0) }) else { return FileManager.default.currentDirectoryPath }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue { return path }
        return (path as NSString).deletingLastPathComponent
    }
}

import ArgumentParser
import Foundation
import MMLintCore
import MMLintEngine
import MMLintRules

/// The options of every command that analyses code (`scan`, `check`,
/// `review`): how to parse, which rules, which kernel version.
struct AnalysisArguments: ParsableArguments {
    @Option(name: .customLong("compile-commands"), help: "A compile_commands.json, or the folder holding it.")
    var compileCommands: String?

    @Option(name: .customLong("kconfig"), help: ArgumentHelp(
        "Take each file's flags from kbuild's own commands for this config: defconfig, allmodconfig, tree (the tree's .config) or a config file.",
        discussion: "Made once by a dry run of kbuild in a cache folder (minutes; `mmlint flags` does the same), reused until the config or a Makefile changes.",
        valueName: "config"))
    var kconfig: String?

    @Option(name: .shortAndLong, help: "Parallel parsers (default: number of cores).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(name: .customLong("memory-budget"), help: ArgumentHelp(
        "Memory, in MiB, that mmlint and its parse workers keep within together (0: no budget).",
        discussion: "Where another parse would not fit, it waits for the one running: slower, never refused.",
        valueName: "MiB"))
    var memoryBudgetMiB: Int = 512

    @Option(name: .customLong("rule"), help: "Run only this rule (repeatable; wins over the config's enabled: false).")
    var rules: [String] = []

    @Option(name: .customLong("kernel-version"), help: "Kernel version for messages (default: the tree's Makefile).")
    var kernelVersion: String?

    @OptionGroup var ruleSources: RuleSourceArguments

    func validate() throws {
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
        guard memoryBudgetMiB >= 0 else { throw ValidationError("--memory-budget must be a number of MiB, or 0 for none") }
        if let kernelVersion, KernelVersion(kernelVersion) == nil {
            throw ValidationError("--kernel-version '\(kernelVersion)' is not a version like 6.1 or 6.12.3")
        }
    }

    /// kbuild's database for `--kconfig` over the tree of `files` (made now or
    /// reused), or nil without `--kconfig`.
    func kbuildDatabase(files: [String], quiet: Bool) throws(EngineError) -> CompileDatabase? {
        guard let kconfig else { return nil }
        if compileCommands != nil { throw .usage("give --kconfig or --compile-commands, not both") }
        guard let root = files.lazy.compactMap({ KernelTree.root(containing: $0) }).first else {
            throw .input("--kconfig needs files of a kernel tree (a folder with the kernel's Makefile and Kconfig)")
        }
        let flags = KbuildFlags(tree: root, config: try KernelConfig(argument: kconfig), jobs: jobs,
                                progress: quiet ? nil : { FlagsProgress.say($0, transient: $1) })
        let outcome = try flags.database()
        FlagsProgress.clear()
        return outcome.database
    }

    /// Where a file the tree's config does not build finds kbuild's command
    /// when no flags were named: the cache `mmlint flags` writes. Named
    /// flags (`--compile-commands`, `--kconfig`) are used alone.
    var kbuildCache: String? {
        compileCommands == nil && kconfig == nil ? KbuildFlags.defaultDirectory : nil
    }

    /// `--memory-budget` in bytes; nil for none.
    var memoryBudget: Int? { memoryBudgetMiB > 0 ? memoryBudgetMiB << 20 : nil }

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
        return try Engine(builtins: BuiltinRules.all, ruleIDs: ruleIDs, plugins: loaded, config: config)
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

/// Where per-file facts are cached, for the commands that parse.
struct FactCacheOptions: ParsableArguments {
    @Option(name: .customLong("cache-dir"), help: "Where per-file facts are cached (default: ~/.cache/mmlint/facts).")
    var cacheDir: String?

    @Flag(name: .customLong("no-cache"), help: "Parse every file; neither read nor write the cache.")
    var noCache = false

    /// The cache, or nil with `--no-cache`.
    func cache(for engine: Engine) -> FactCache? {
        noCache ? nil : FactCache(directory: cacheDir ?? FactCache.defaultDirectory,
                                  rulesFingerprint: engine.knowledge.fingerprint)
    }
}

import Foundation
import LibClang
import MMLintCore

/// Chooses, for each file, where its flags come from: the compile database
/// when it has the file; when no flags were named, kbuild's commands cached
/// by `mmlint flags` (the tree's own config's, then the broadest, for the
/// files the tree's config does not build); else kbuild's flags synthesized
/// for a prepared kernel tree; else bare mode.
public final class FlagPlan: @unchecked Sendable {
    struct Job {
        var arguments: [String]
        var mode: FlagMode
        var unsaved: [(path: String, contents: [UInt8])]
        /// For verbose output: the file and where its flags came from.
        var note: String
        var unbuilt: Unbuilt?
    }

    /// Why a file has no compile command of its own, as the summary says it.
    public enum Unbuilt: Sendable {
        /// No config of this architecture builds it.
        case onArchitecture
        /// The tree's config does not build it and no cached kbuild database
        /// has its command: its flags are guessed.
        case withoutCommand
    }

    let database: CompileDatabase?
    /// The kernel tree of the first file (scans and patches are within one tree).
    public let tree: KernelTree?
    let prelude: String
    let resourceInclude: String?
    /// kbuild's cached databases, when the flags were not named.
    let cached: CachedKbuild?
    public private(set) var warnings: [String] = []

    init(options: AnalysisOptions, prelude: String) {
        database = options.compileDatabase
        self.prelude = prelude
        resourceInclude = ClangResources.includeDirectory
        let root = options.files.lazy.compactMap { KernelTree.root(containing: $0) }.first
        tree = root.map { KernelTree(root: $0) }
        if let tree, let directory = options.kbuildCache {
            cached = CachedKbuild(tree: tree.root, cacheDirectory: directory)
        } else {
            cached = nil
        }
        if let tree, !tree.isPrepared, database?.kbuildConfig == nil,
           options.files.contains(where: { database?.entry(for: $0) == nil && cached?.broadest(for: $0) == nil }) {
            warnings.append("\(tree.root): generated headers are missing (include/generated/autoconf.h); "
                            + "run `make defconfig prepare` there for exact parses; using bare mode meanwhile")
        }
        if resourceInclude == nil {
            warnings.append("clang's resource headers (stddef.h) were not found next to libclang; "
                            + "set MMLINT_CLANG_RESOURCE_INCLUDE to <llvm libdir>/clang/<version>/include")
        }
    }

    func job(for file: String, overlay: [String: [UInt8]], forceBare: Bool = false) -> Job {
        let shown = tree.map { Paths.relative(file, to: $0.root) } ?? file
        if !forceBare, let entry = database?.entry(for: file) {
            return exact(entry, file: file, note: "\(shown): flags from \(database!.origin)")
        }
        if !forceBare, let tree, let cached, file.hasPrefix(tree.root + "/") {
            if let own = cached.own, let entry = own.entry(for: file) {
                return exact(entry, file: file, note: "\(shown): flags from \(own.origin)")
            }
            // Built by the tree's config: its synthesized flags below match
            // the tree's own generated headers. Not built: kbuild's command
            // from a config that builds it.
            let treeBuilds = cached.own == nil && tree.builds(file)
            if !treeBuilds {
                if let broadest = cached.broadest(for: file) {
                    if let entry = broadest.entry(for: file) {
                        return exact(entry, file: file, note: "\(shown): not built by the tree's .config; flags from \(broadest.origin)")
                    }
                    // Missing from allmodconfig: no config of this
                    // architecture builds it, so a built neighbour's command
                    // is as close as it gets. Missing from a smaller config:
                    // the tree's own flags, as without the database.
                    if broadest.isNotBuiltOnArchitecture(file, root: tree.root) {
                        var job = borrowed(file, from: broadest, tree: tree, overlay: overlay, shown: shown)
                        job.unbuilt = .onArchitecture
                        return job
                    }
                }
                if Self.isOtherArchitecture(file, root: tree.root) {
                    var job = synthesizedOrBare(file, tree: tree, overlay: overlay, shown: shown)
                    job.unbuilt = .onArchitecture
                    job.note = job.note.replacingOccurrences(of: shown + ": ", with: shown + ": not built on this architecture; ")
                    return job
                }
                var job = synthesizedOrBare(file, tree: tree, overlay: overlay, shown: shown)
                if job.mode == .kernelTree {
                    job.unbuilt = .withoutCommand
                    job.note = "\(shown): not built by the tree's .config, no cached kbuild command; "
                        + "kernel-tree flags synthesized for \(tree.root)"
                }
                return job
            }
        }
        // A file the database's config does not build: its neighbour's
        // command, which carries the folder's flags and the config's headers.
        if !forceBare, let database, let tree, database.kbuildConfig != nil,
           database.neighbour(of: file, within: tree.root) != nil {
            var job = borrowed(file, from: database, tree: tree, overlay: overlay, shown: shown)
            job.unbuilt = database.isNotBuiltOnArchitecture(file, root: tree.root) ? .onArchitecture : nil
            return job
        }
        var job = forceBare ? bare(file, overlay: overlay, shown: shown)
            : tree.map { synthesizedOrBare(file, tree: $0, overlay: overlay, shown: shown) }
            ?? bare(file, overlay: overlay, shown: shown)
        if !forceBare, let tree, database?.isNotBuiltOnArchitecture(file, root: tree.root)
            ?? Self.isOtherArchitecture(file, root: tree.root) {
            job.unbuilt = .onArchitecture
        }
        return job
    }

    func exact(_ entry: CompileDatabase.Entry, file: String, note: String) -> Job {
        let arguments = FlagTranslator.translate(entry.arguments, source: file, directory: entry.directory,
                                                 resourceInclude: resourceInclude)
        return Job(arguments: arguments, mode: .compileDatabase, unsaved: [], note: note)
    }

    func borrowed(_ file: String, from database: CompileDatabase, tree: KernelTree, overlay: [String: [UInt8]],
                  shown: String) -> Job {
        guard let neighbour = database.neighbour(of: file, within: tree.root) else {
            var job = synthesizedOrBare(file, tree: tree, overlay: overlay, shown: shown)
            job.note = job.note.replacingOccurrences(of: shown + ": ", with: shown + ": not built on this architecture; ")
            return job
        }
        let arguments = FlagTranslator.borrow(neighbour, for: file, resourceInclude: resourceInclude)
        let why = database.isNotBuiltOnArchitecture(file, root: tree.root)
            ? "not built on this architecture; " : "not built by this config; "
        return Job(arguments: arguments, mode: .compileDatabase, unsaved: [],
                   note: "\(shown): \(why)flags of \(Paths.relative(neighbour.file, to: tree.root)) "
                       + "from \(database.origin)")
    }

    func synthesizedOrBare(_ file: String, tree: KernelTree, overlay: [String: [UInt8]], shown: String) -> Job {
        guard tree.isPrepared, file.hasPrefix(tree.root + "/") else { return bare(file, overlay: overlay, shown: shown) }
        return Job(arguments: tree.flags(for: file, resourceInclude: resourceInclude), mode: .kernelTree,
                   unsaved: [], note: "\(shown): kernel-tree flags synthesized for \(tree.root)")
    }

    func bare(_ file: String, overlay: [String: [UInt8]], shown: String) -> Job {
        let bare = BareMode.job(for: file, prelude: prelude, resourceInclude: resourceInclude) { path in
            overlay[path] ?? FileManager.default.contents(atPath: path).map { [UInt8]($0) }
        }
        return Job(arguments: bare.arguments,
                   mode: .bare, unsaved: bare.unsaved, note: "\(shown): bare mode (mmlint prelude, no kernel headers)")
    }

    /// A file of another architecture's `arch/` folder: never built here.
    static func isOtherArchitecture(_ file: String, root: String) -> Bool {
        CompileDatabase(entries: [], path: "").isNotBuiltOnArchitecture(file, root: root)
    }
}

/// The kbuild databases `mmlint flags` left in the cache for one tree, read
/// only when a file needs them and only when still current: the tree's own
/// config's, and the broadest other (allmodconfig once made).
final class CachedKbuild: @unchecked Sendable {
    let tree: String
    let cacheDirectory: String
    private let lock = NSLock()
    private var ownLoaded: CompileDatabase??
    private var broadestLoaded: CompileDatabase??

    init(tree: String, cacheDirectory: String) {
        self.tree = tree
        self.cacheDirectory = cacheDirectory
    }

    /// The tree's own config's database (`mmlint flags TREE`), when current.
    var own: CompileDatabase? {
        lock.lock()
        defer { lock.unlock() }
        if let ownLoaded { return ownLoaded }
        let database = KbuildFlags(tree: tree, config: .tree, cacheDirectory: cacheDirectory).cachedDatabase()
        ownLoaded = .some(database)
        return database
    }

    /// The broadest other current database; `file` is only asked for so
    /// that nothing is read for files outside the tree.
    func broadest(for file: String) -> CompileDatabase? {
        guard file.hasPrefix(tree + "/") else { return nil }
        lock.lock()
        defer { lock.unlock() }
        if let broadestLoaded { return broadestLoaded }
        let database = KbuildFlags.broadestCached(tree: tree, cacheDirectory: cacheDirectory)?.cachedDatabase()
        broadestLoaded = .some(database)
        return database
    }
}

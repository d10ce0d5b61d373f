import Foundation
import LibClang
import MMLintCore

/// Chooses, for each file, where its flags come from: the compile database
/// when it has the file, else kbuild's flags synthesized for a prepared
/// kernel tree, else bare mode.
public final class FlagPlan: @unchecked Sendable {
    struct Job {
        var arguments: [String]
        var mode: FlagMode
        var unsaved: [(path: String, contents: [UInt8])]
        /// For verbose output: the file and where its flags came from.
        var note: String
    }

    let database: CompileDatabase?
    /// The kernel tree of the first file (scans and patches are within one tree).
    public let tree: KernelTree?
    let prelude: String
    let resourceInclude: String?
    public private(set) var warnings: [String] = []

    init(options: AnalysisOptions, prelude: String) {
        database = options.compileDatabase
        self.prelude = prelude
        resourceInclude = ClangResources.includeDirectory
        let root = options.files.lazy.compactMap { KernelTree.root(containing: $0) }.first
        tree = root.map { KernelTree(root: $0) }
        if let tree, !tree.isPrepared, database?.kbuildConfig == nil,
           options.files.contains(where: { database?.entry(for: $0) == nil }) {
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
            let arguments = FlagTranslator.translate(entry.arguments, source: file, directory: entry.directory,
                                                     resourceInclude: resourceInclude)
            return Job(arguments: arguments, mode: .compileDatabase, unsaved: [],
                       note: "\(shown): flags from \(database!.origin)")
        }
        // A file the database's config does not build: its neighbour's
        // command, which carries the folder's flags and the config's headers.
        if !forceBare, let database, let tree, database.kbuildConfig != nil,
           let neighbour = database.neighbour(of: file, within: tree.root) {
            let arguments = FlagTranslator.borrow(neighbour, for: file, resourceInclude: resourceInclude)
            let why = database.isNotBuiltOnArchitecture(file, root: tree.root)
                ? "not built on this architecture; " : "not built by this config; "
            return Job(arguments: arguments, mode: .compileDatabase, unsaved: [],
                       note: "\(shown): \(why)flags of \(Paths.relative(neighbour.file, to: tree.root)) "
                           + "from \(database.origin)")
        }
        if !forceBare, let tree, tree.isPrepared, file.hasPrefix(tree.root + "/") {
            return Job(arguments: tree.flags(for: file, resourceInclude: resourceInclude), mode: .kernelTree,
                       unsaved: [], note: "\(shown): kernel-tree flags synthesized for \(tree.root)")
        }
        let bare = BareMode.job(for: file, prelude: prelude, resourceInclude: resourceInclude) { path in
            overlay[path] ?? FileManager.default.contents(atPath: path).map { [UInt8]($0) }
        }
        return Job(arguments: bare.arguments,
                   mode: .bare, unsaved: bare.unsaved, note: "\(shown): bare mode (mmlint prelude, no kernel headers)")
    }
}

import Foundation
import MMLintCore

/// The kernel configuration whose compile commands kbuild is asked for.
public enum KernelConfig: Equatable, Sendable, CustomStringConvertible {
    /// The tree's own `.config`.
    case tree
    case defconfig
    /// Every option that can be a module is: the most of an architecture.
    case allmodconfig
    /// A `.config` file the user names.
    case file(String)

    /// `tree`, `defconfig`, `allmodconfig`, else a path to a config file.
    public init(argument: String) throws(EngineError) {
        switch argument {
        case "tree": self = .tree
        case "defconfig": self = .defconfig
        case "allmodconfig": self = .allmodconfig
        default:
            let path = Paths.normalize(argument)
            guard FileManager.default.fileExists(atPath: path) else {
                throw .usage("--kconfig \(argument): not defconfig, allmodconfig or tree, and no such file")
            }
            self = .file(path)
        }
    }

    public var description: String {
        switch self {
        case .tree: return "the tree's .config"
        case .defconfig: return "defconfig"
        case .allmodconfig: return "allmodconfig"
        case .file(let path): return path
        }
    }

    /// The cache folder's name for this config (a file's by its content).
    func folderName(tree: String) -> String {
        switch self {
        case .tree: return "tree"
        case .defconfig: return "defconfig"
        case .allmodconfig: return "allmodconfig"
        case .file(let path):
            var hasher = FNV1a()
            hasher.add(FileManager.default.contents(atPath: path).map { [UInt8]($0) } ?? [])
            return "config-" + hasher.hex
        }
    }
}

/// Compile commands for every file a configuration builds, asked of kbuild
/// itself: `make -n -k` prints each compile without running it. Generated
/// in a cache folder — a pristine view of the sources and an `O=` output
/// folder where `make prepare` really runs — so the user's tree is never
/// written; kept until the config or a Makefile, Kbuild or Kconfig file of
/// the tree changes.
public final class KbuildFlags {
    public let tree: String
    public let config: KernelConfig
    /// This tree's and config's folder in the cache.
    public let folder: String
    /// The config's folder name (a config file's by its content when made).
    let folderName: String
    let jobs: Int
    let progress: ((_ message: String, _ transient: Bool) -> Void)?

    /// What a call of `database()` produced.
    public struct Outcome: Sendable {
        public var database: CompileDatabase
        /// The `compile_commands.json` written.
        public var path: String
        /// Reused from the cache (no make run).
        public var reused: Bool
        public var seconds: Double
    }

    /// `$MMLINT_FLAGS_CACHE`, else `${XDG_CACHE_HOME:-~/.cache}/mmlint/flags`,
    /// next to the fact cache.
    public static var defaultDirectory: String {
        if let explicit = ProcessInfo.processInfo.environment["MMLINT_FLAGS_CACHE"], !explicit.isEmpty {
            return Paths.normalize(explicit)
        }
        return (FactCache.defaultDirectory as NSString).deletingLastPathComponent + "/flags"
    }

    /// Bump when the database's shape or the way it is made changes.
    static let formatVersion = "kbuild-flags-v1"

    public init(tree: String, config: KernelConfig, cacheDirectory: String = KbuildFlags.defaultDirectory,
                jobs: Int = ProcessInfo.processInfo.activeProcessorCount, progress: ((_ message: String, _ transient: Bool) -> Void)? = nil) {
        self.tree = Paths.normalize(tree)
        self.config = config
        folderName = config.folderName(tree: self.tree)
        folder = Self.treeFolder(self.tree, cacheDirectory: cacheDirectory) + "/" + folderName
        self.jobs = max(1, jobs)
        self.progress = progress
    }

    /// A database already in the cache, known by its folder: a config file's
    /// database is found again without the file.
    init(tree: String, cachedFolder name: String, cacheDirectory: String) {
        self.tree = Paths.normalize(tree)
        switch name {
        case "tree": config = .tree
        case "defconfig": config = .defconfig
        case "allmodconfig": config = .allmodconfig
        // The config as kbuild completed it (olddefconfig), in the output folder.
        default: config = .file(Self.treeFolder(self.tree, cacheDirectory: cacheDirectory) + "/" + name + "/out/.config")
        }
        folderName = name
        folder = Self.treeFolder(self.tree, cacheDirectory: cacheDirectory) + "/" + name
        jobs = 1
        progress = nil
    }

    /// The cache folder of a tree's databases: its name and a hash of its path.
    static func treeFolder(_ tree: String, cacheDirectory: String) -> String {
        var hasher = FNV1a()
        hasher.add(tree)
        return Paths.normalize(cacheDirectory) + "/" + (tree as NSString).lastPathComponent + "-" + String(hasher.hex.prefix(12))
    }

    /// The current database of `tree` in the cache that covers the most
    /// files (allmodconfig when it was made), other than the tree's own
    /// config's; nil when there is none. Never runs make.
    public static func broadestCached(tree: String, cacheDirectory: String = KbuildFlags.defaultDirectory) -> KbuildFlags? {
        let root = Paths.normalize(tree)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: treeFolder(root, cacheDirectory: cacheDirectory))) ?? []
        var candidates: [(flags: KbuildFlags, files: Int)] = []
        for name in names where name != "tree" {
            let flags = KbuildFlags(tree: root, cachedFolder: name, cacheDirectory: cacheDirectory)
            if let files = flags.cachedFileCount() { candidates.append((flags, files)) }
        }
        candidates.sort { a, b in a.files != b.files ? a.files > b.files : a.flags.folderName < b.flags.folderName }
        return candidates.first { $0.flags.isCurrent() }?.flags
    }

    /// The database when the cache holds a current one, else nil: never runs make.
    public func cachedDatabase() -> CompileDatabase? {
        guard isCurrent(), let database = try? CompileDatabase(at: databasePath) else { return nil }
        return labelled(database)
    }

    public var databasePath: String { folder + "/compile_commands.json" }
    var inputsPath: String { folder + "/inputs.json" }
    var viewRoot: String { folder + "/src" }
    var outputRoot: String { folder + "/out" }

    /// The database, from the cache when nothing it depends on changed,
    /// else made now (minutes for a whole tree).
    public func database() throws(EngineError) -> Outcome {
        let started = Date()
        if let inputs = Inputs.load(inputsPath), inputs.stillHold(tree: tree, identity: identity()),
           let database = try? CompileDatabase(at: databasePath) {
            return Outcome(database: labelled(database), path: databasePath, reused: true,
                           seconds: Date().timeIntervalSince(started))
        }
        let database = try generate()
        return Outcome(database: labelled(database), path: databasePath, reused: false, seconds: Date().timeIntervalSince(started))
    }

    func labelled(_ database: CompileDatabase) -> CompileDatabase {
        var database = database
        database.outputFirstTree = tree
        database.kbuildConfig = config
        database.origin = "kbuild's commands for \(config) (\(databasePath))"
        return database
    }

    /// Whether the cached database is still good, without loading it.
    public func isCurrent() -> Bool {
        guard let inputs = Inputs.load(inputsPath) else { return false }
        return inputs.stillHold(tree: tree, identity: identity()) && FileManager.default.fileExists(atPath: databasePath)
    }

    /// The files the cached database covers, as recorded when it was made.
    public func cachedFileCount() -> Int? { Inputs.load(inputsPath)?.files }

    /// What besides the tree's Makefiles decides the commands: the format,
    /// the config, the compiler make would call.
    func identity() -> String {
        var hasher = FNV1a()
        hasher.add(Self.formatVersion)
        hasher.add(folderName)
        if config == .tree {
            hasher.add(FileManager.default.contents(atPath: tree + "/.config").map { [UInt8]($0) } ?? [])
        }
        if let compiler = Self.which("gcc"), let attributes = try? FileManager.default.attributesOfItem(atPath: compiler) {
            hasher.add(compiler)
            hasher.add("\(attributes[.size] ?? 0)|\((attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)")
        }
        return hasher.hex
    }

    static func which(_ program: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for folder in path.split(separator: ":") {
            let candidate = String(folder) + "/" + program
            if FileManager.default.isExecutableFile(atPath: candidate) {
                return (try? FileManager.default.destinationOfSymbolicLink(atPath: candidate))
                    .map { Paths.normalize($0, relativeTo: String(folder)) } ?? candidate
            }
        }
        return nil
    }

    // MARK: - Making the database

    func generate() throws(EngineError) -> CompileDatabase {
        let fm = FileManager.default
        guard fm.fileExists(atPath: tree + "/Makefile"), fm.fileExists(atPath: tree + "/Kconfig") else {
            throw .input("\(tree): not a kernel source tree (no Makefile and Kconfig)")
        }
        if config == .tree, !fm.fileExists(atPath: tree + "/.config") {
            throw .input("\(tree): has no .config; configure it, or pass --kconfig defconfig|allmodconfig|FILE")
        }
        guard Self.which("make") != nil else { throw .input("`make` is not installed; kbuild's commands need it") }
        try? fm.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let lock = open(folder + "/lock", O_CREAT | O_RDWR, 0o644)
        guard lock >= 0 else { throw .input("\(folder): cannot write there; check that the cache folder is writable") }
        flock(lock, LOCK_EX)
        defer { flock(lock, LOCK_UN); close(lock) }
        try? fm.removeItem(atPath: inputsPath)

        say("linking a pristine view of \(tree)'s sources into \(viewRoot)")
        let view = try SourceView(tree: tree, root: viewRoot)
        let identity = identity()
        try? fm.createDirectory(atPath: outputRoot, withIntermediateDirectories: true)

        let log = folder + "/make.log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        switch config {
        case .tree, .file:
            let source = config == .tree ? tree + "/.config" : { if case .file(let path) = config { return path }; return "" }()
            try? fm.removeItem(atPath: outputRoot + "/.config")
            do {
                try fm.copyItem(atPath: source, toPath: outputRoot + "/.config")
            } catch {
                throw .input("\(source): cannot copy to \(outputRoot) (\(error.localizedDescription))")
            }
            say("configuring (olddefconfig) in \(outputRoot)")
            try make(["olddefconfig"], log: log)
        case .defconfig, .allmodconfig:
            say("configuring (\(config)) in \(outputRoot)")
            try make([config.description], log: log)
        }
        say("make prepare in \(outputRoot) (generated headers; a few minutes the first time)")
        try make(["-j\(jobs)", "prepare"], log: log)

        let runStarted = Date()
        say("dry run of the whole build (make -n -k)")
        let printed = try dryRun()
        let written = view.changedSince(runStarted)
        guard written.isEmpty else {
            throw .input("kbuild wrote into the source view \(viewRoot) (\(written.prefix(5).joined(separator: ", "))); "
                         + "as hard links these are files of \(tree): check them, and report this to mmlint")
        }
        let parsed = KbuildCommands.parse(printed, directory: outputRoot)
        let entries = KbuildCommands.preferOutput(KbuildCommands.rebase(parsed, from: viewRoot, to: tree), tree: tree)
            .filter { $0.file.hasPrefix(tree + "/") }
        guard !entries.isEmpty else {
            throw .input("kbuild printed no compile command for \(tree) (\(config)); see \(log)")
        }
        let database = CompileDatabase(entries: entries, path: databasePath)
        do {
            try database.write(to: databasePath)
        } catch {
            throw .input("\(databasePath): cannot write the compile database (\(error.localizedDescription))")
        }
        var inputs = Inputs(identity: identity, files: entries.count, makeInputs: [:])
        for path in view.makeInputs {
            inputs.makeInputs[path] = Inputs.signature(tree + "/" + path)
        }
        inputs.save(inputsPath)
        return database
    }

    /// Runs make in the view with the output folder, output to `log`.
    func make(_ arguments: [String], log: String) throws(EngineError) {
        let process = makeProcess(arguments)
        guard let handle = FileHandle(forWritingAtPath: log) else { throw .input("\(log): cannot write") }
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        do { try process.run() } catch { throw .input("cannot run make: \(error.localizedDescription)") }
        process.waitUntilExit()
        try? handle.close()
        guard process.terminationStatus == 0 else {
            let tail = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
                .split(separator: "\n").suffix(8).joined(separator: "\n")
            throw .input("`make \(arguments.joined(separator: " "))` failed for \(config) in \(outputRoot) "
                         + "(full log: \(log)):\n\(tail)")
        }
    }

    func makeProcess(_ arguments: [String]) -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.which("make") ?? "/usr/bin/make")
        process.arguments = ["-C", viewRoot, "O=" + outputRoot] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: outputRoot)
        var environment = ProcessInfo.processInfo.environment
        // The user's make settings would change what is printed.
        for name in ["MAKEFLAGS", "MAKELEVEL", "MFLAGS", "KBUILD_OUTPUT", "O", "W", "V", "C", "M"] {
            environment[name] = nil
        }
        environment["LC_ALL"] = "C"
        process.environment = environment
        return process
    }

    /// `make -n -k all`'s output; says progress as compiles are printed.
    func dryRun() throws(EngineError) -> String {
        let process = makeProcess(["-n", "-k", "all"])
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle(forWritingAtPath: folder + "/make.log") ?? FileHandle.nullDevice
        do { try process.run() } catch { throw .input("cannot run make: \(error.localizedDescription)") }
        var data = Data()
        var compiles = 0
        var lastSaid = Date()
        let reader = out.fileHandleForReading
        while true {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            data.append(chunk)
            compiles += chunk.split(separator: UInt8(ascii: "\n")).reduce(0) { $0 + ($1.count > 40 && $1.starts(with: Array("set -e;".utf8)) ? 1 : 0) }
            if Date().timeIntervalSince(lastSaid) > 1 {
                lastSaid = Date()
                say("dry run: \(compiles) commands so far", transient: true)
            }
        }
        process.waitUntilExit()
        // -k: the link steps fail for want of objects; the compiles are all printed.
        return String(decoding: data, as: UTF8.self)
    }

    func say(_ text: String, transient: Bool = false) {
        progress?(text, transient)
    }

    /// What the cached database was made from.
    struct Inputs: Codable {
        var identity: String
        var files: Int
        /// Relative path → "size:mtime" (cheap to check) and a content hash
        /// (decides when the cheap check differs).
        var makeInputs: [String: Signature]

        struct Signature: Codable, Equatable {
            var stamp: String
            var hash: String
        }

        static func signature(_ path: String) -> Signature {
            Signature(stamp: stamp(path) ?? "", hash: contentHash(path) ?? "")
        }

        static func stamp(_ path: String) -> String? {
            var status = stat()
            guard stat(path, &status) == 0 else { return nil }
            return "\(status.st_size):\(status.st_mtim.tv_sec).\(status.st_mtim.tv_nsec)"
        }

        static func contentHash(_ path: String) -> String? {
            guard let data = FileManager.default.contents(atPath: path) else { return nil }
            var hasher = FNV1a()
            hasher.add(data)
            return hasher.hex
        }

        func stillHold(tree: String, identity: String) -> Bool {
            guard identity == self.identity else { return false }
            for (path, signature) in makeInputs {
                let absolute = tree + "/" + path
                if Self.stamp(absolute) == signature.stamp { continue }
                if Self.contentHash(absolute) != signature.hash { return false }
            }
            return true
        }

        static func load(_ path: String) -> Inputs? {
            FileManager.default.contents(atPath: path).flatMap { try? JSONDecoder().decode(Inputs.self, from: $0) }
        }

        func save(_ path: String) {
            guard let data = try? JSONEncoder().encode(self) else { return }
            let temporary = path + ".tmp"
            if FileManager.default.createFile(atPath: temporary, contents: data) {
                _ = rename(temporary, path)
            }
        }
    }
}

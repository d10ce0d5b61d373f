import Foundation
import MMLintSupport
import MMLintCore

/// A pristine view of a kernel tree's sources: the same folders, each source
/// file hard-linked (a symbolic link where the cache is on another file
/// system), and none of the tree's configuration or build output. kbuild
/// then builds out of it with `O=` into a folder of its own, so nothing is
/// ever written in the view, and so never through a link into the user's
/// tree; `changedSince` checks that afterwards.
struct SourceView {
    /// The user's tree.
    let tree: String
    /// The view's root.
    let root: String
    /// Files of the tree that decide kbuild's commands (Makefiles, Kbuild
    /// and Kconfig files, defconfigs), relative to the tree.
    var makeInputs: [String] = []
    var files = 0

    /// Build output and configuration a configured or built tree holds at its
    /// root: kbuild refuses `O=` over a source tree that has them.
    static let configuredAtRoot: Set<String> = [
        "include/config", "include/generated", "compile_commands.json", "Module.symvers", "System.map",
        "vmlinux", "vmlinux.a", "vmlinux.o", "vmlinux.symvers", "modules.builtin", "modules.builtin.modinfo",
        "modules.order",
    ]
    /// Suffixes of build output (objects, modules, dependency files).
    static let outputSuffixes = [".o", ".ko", ".a", ".mod", ".mod.c", ".order", ".symvers", ".dwo", ".so",
                                 ".lst", ".tmp", ".dtb", ".lex.c", ".tab.c", ".tab.h"]

    /// Whether kbuild reads `name` to decide what and how to compile.
    static func isMakeInput(_ name: String, relativeFolder: String) -> Bool {
        name.hasPrefix("Makefile") || name.hasPrefix("Kbuild") || name.hasPrefix("Kconfig")
            || name.hasSuffix(".mk") || name.hasSuffix("_defconfig") || relativeFolder.hasSuffix("/configs")
            || name.hasSuffix(".config") && relativeFolder.contains("configs")
    }

    /// Links the sources of `tree` into `root` (replaced if present).
    init(tree: String, root: String) throws(EngineError) {
        self.tree = tree
        self.root = root
        let fm = FileManager.default
        try? fm.removeItem(atPath: root)
        do {
            try fm.createDirectory(atPath: root, withIntermediateDirectories: true)
        } catch {
            throw .input("\(root): cannot create the source view (\(error.localizedDescription)); "
                         + "check that the cache folder is writable")
        }
        var useSymlinks = false
        var pending: [String] = [""]
        while let relative = pending.popLast() {
            let folder = relative.isEmpty ? tree : tree + "/" + relative
            guard let entries = FileTree.entries(of: folder) else { continue }
            let present = Set(entries.map(\.name))
            for entry in entries {
                let name = entry.name
                let path = relative.isEmpty ? name : relative + "/" + name
                guard !Self.isExcluded(name: name, path: path, siblings: present) else { continue }
                let source = tree + "/" + path
                let target = root + "/" + path
                var status = stat()
                guard lstat(source, &status) == 0 else { continue }
                switch entry.kind ?? FileTree.kind(of: status) {
                case .directory:
                    guard mkdir(target, 0o755) == 0 else {
                        throw .input("\(target): cannot create (\(String(cString: strerror(errno))))")
                    }
                    pending.append(path)
                case .symbolicLink:
                    if let destination = try? fm.destinationOfSymbolicLink(atPath: source) {
                        _ = symlink(destination, target)
                    }
                case .regular:
                    if (status.st_mode & 0o111) != 0, !name.contains("."), Self.isELF(source) { continue }
                    if !useSymlinks, link(source, target) != 0 {
                        guard errno == EXDEV || errno == EPERM || errno == EMLINK else {
                            throw .input("\(target): cannot link to \(source) (\(String(cString: strerror(errno))))")
                        }
                        useSymlinks = true
                    }
                    if useSymlinks, symlink(source, target) != 0, errno != EEXIST {
                        throw .input("\(target): cannot link to \(source) (\(String(cString: strerror(errno))))")
                    }
                    files += 1
                    if Self.isMakeInput(name, relativeFolder: "/" + relative) { makeInputs.append(path) }
                case .other:
                    continue
                }
            }
        }
        makeInputs.sort()
    }

    /// Configuration and build output, never part of the view.
    static func isExcluded(name: String, path: String, siblings: Set<String>) -> Bool {
        if name == ".git" || name.hasPrefix(".config") || name.hasPrefix(".tmp") || name.hasPrefix(".mmlint")
            || name == ".version" || name == "source" && !path.contains("/") {
            return true
        }
        if configuredAtRoot.contains(path) { return true }
        if path.hasPrefix("arch/"), path.hasSuffix("/include/generated"), path.split(separator: "/").count == 4 {
            return true
        }
        if name.hasPrefix("."), name.hasSuffix(".cmd") || name.hasSuffix(".d") { return true }
        if outputSuffixes.contains(where: { name.hasSuffix($0) }) { return true }
        // Whatever kbuild made in an in-tree build has its command saved next to it.
        if siblings.contains("." + name + ".cmd") { return true }
        return false
    }

    static func isELF(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        return (try? handle.read(upToCount: 4)) == Data([0x7f, 0x45, 0x4c, 0x46])
    }

    /// Regular files of the view modified at or after `date`: kbuild wrote
    /// into the source view, which a hard link would carry into the tree.
    /// (Modification time only: linking changes an inode's ctime.)
    func changedSince(_ date: Date) -> [String] {
        var changed: [String] = []
        // File times come from the kernel's coarse clock, a few ms behind.
        let limit = date.timeIntervalSince1970 - 0.005
        FileTree.walk(root, withStatus: true) { path, _, kind, status in
            if kind == .regular, let status,
               Double(status.st_mtim.tv_sec) + Double(status.st_mtim.tv_nsec) / 1e9 >= limit {
                changed.append(Paths.relative(path, to: root))
            }
            return true
        }
        return changed.sorted()
    }
}

import Glibc

/// Reading folders with `readdir`: the file type comes from the directory
/// entry, with no `stat` per file unless the file system does not say or
/// the caller needs the status. Symbolic links are never followed.
public enum FileTree {
    public enum Kind: Sendable, Equatable {
        case directory, regular, symbolicLink, other
    }

    /// One name in a folder.
    public struct Entry: Sendable {
        public let name: String
        /// From the directory entry; nil when the file system does not say.
        public let kind: Kind?
    }

    /// The entries of `folder` but `.` and `..`, in `readdir` order; nil when
    /// it cannot be opened.
    public static func entries(of folder: String) -> [Entry]? {
        guard let directory = opendir(folder) else { return nil }
        defer { closedir(directory) }
        var entries: [Entry] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            let kind: Kind? = switch Int32(entry.pointee.d_type) {
            case Int32(DT_DIR): .directory
            case Int32(DT_REG): .regular
            case Int32(DT_LNK): .symbolicLink
            case Int32(DT_UNKNOWN): nil
            default: .other
            }
            entries.append(Entry(name: name, kind: kind))
        }
        return entries
    }

    /// The kind an `lstat` mode gives.
    public static func kind(of status: stat) -> Kind {
        switch status.st_mode & S_IFMT {
        case S_IFDIR: .directory
        case S_IFREG: .regular
        case S_IFLNK: .symbolicLink
        default: .other
        }
    }

    /// Walks the tree under `root` (a folder path without a final slash),
    /// depth first, in no promised order. `visit` gets each entry's path,
    /// name, kind and, when `withStatus` is set, its `lstat` (else nil); for
    /// a folder it returns whether to walk into it. An entry that vanished
    /// or a folder that cannot be read is passed over.
    public static func walk(_ root: String, withStatus: Bool = false,
                            _ visit: (_ path: String, _ name: String, _ kind: Kind, _ status: stat?) -> Bool) {
        var pending = [root]
        while let folder = pending.popLast() {
            for entry in entries(of: folder) ?? [] {
                let path = folder + "/" + entry.name
                var status: stat?
                var kind = entry.kind
                if withStatus || kind == nil {
                    var found = stat()
                    guard lstat(path, &found) == 0 else { continue }
                    status = withStatus ? found : nil
                    kind = Self.kind(of: found)
                }
                guard let kind else { continue }
                if visit(path, entry.name, kind, status), kind == .directory { pending.append(path) }
            }
        }
    }
}

import Foundation
import MMLintPatch

/// Where a patch may write: inside the tree only.
enum PathSafety {
    /// A patch path must stay inside the tree: relative, no `..`, and not
    /// through a symlink that leads out of it.
    static func checkPath(_ path: String, root: String) throws(CheckError) {
        if path.hasPrefix("/") || path.split(separator: "/").contains("..") || path.isEmpty {
            throw .input("\(path): refusing a patch path that is absolute or leaves the tree (\(root))")
        }
        guard let realRoot = realPath(root) else { throw .input("\(root): cannot resolve the tree's path") }
        // Every existing prefix (a folder symlink on the way to a new file
        // counts as much as a symlinked file) must resolve inside the tree.
        var current = root
        for component in path.split(separator: "/") {
            current += "/" + component
            var info = stat()
            guard lstat(current, &info) == 0 else { break }
            guard let resolved = realPath(current) else {
                throw .input("\(path): refusing a patch path through a dangling symlink (\(current)) in the tree (\(root))")
            }
            if resolved != realRoot && !resolved.hasPrefix(realRoot + "/") {
                throw .input("\(path): refusing a patch path that resolves through a symlink to \(resolved), outside the tree (\(root))")
            }
        }
    }

    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// True when every file the series modifies, renames or deletes exists in
    /// the tree or is created earlier in the series.
    static func allFilesPresent(_ series: PatchSeries, root: String) -> Bool {
        var created = Set<String>()
        for patch in series.patches {
            for file in patch.files {
                if file.isNew {
                    if let path = file.newPath { created.insert(path) }
                    continue
                }
                guard let old = file.oldPath else { continue }
                if !created.contains(old) && !FileManager.default.fileExists(atPath: root + "/" + old) {
                    return false
                }
                if let new = file.newPath { created.insert(new) }
            }
        }
        return true
    }
}

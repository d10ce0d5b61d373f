internal import CClang
import Foundation

/// Clang's own header folder (stddef.h, stdarg.h, intrinsics) for the libclang
/// that is loaded. Kernel builds pass `-nostdinc`, which hides it; mmlint adds
/// it back explicitly, in place of GCC's.
public enum ClangResources {
    /// `$MMLINT_CLANG_RESOURCE_INCLUDE` when set; else the folder of the LLVM
    /// mmlint was built against (`builtIn`), when it holds `stddef.h`; else
    /// asked of libclang itself (`probed`). The built-in answer spares a
    /// process that never parses (a scan's parent) from loading libclang.
    public static let includeDirectory: String? = {
        if let explicit = ProcessInfo.processInfo.environment["MMLINT_CLANG_RESOURCE_INCLUDE"],
           !explicit.isEmpty {
            return explicit
        }
        if let builtIn, FileManager.default.isReadableFile(atPath: builtIn + "/stddef.h") { return builtIn }
        return probed()
    }()

    /// `<libdir>/clang/<version>/include` of the LLVM llvm-config named at
    /// build time, or nil when the build did not know it.
    public static var builtIn: String? {
        guard let text = mmlint_clang_resource_include() else { return nil }
        let path = String(cString: text)
        return path.isEmpty ? nil : path
    }

    /// Where a parse of `#include <stddef.h>` finds that header: libclang's
    /// own answer (distributions move the folder; libclang knows where it is).
    public static func probed() -> String? {
        let probe = "/mmlint-resource-probe.c"
        let index = ClangIndex()
        guard let unit = try? index.parse(
            path: probe, arguments: ["-x", "c"],
            unsavedFiles: [UnsavedFile(path: probe, contents: Array("#include <stddef.h>\n".utf8))])
        else { return nil }
        guard let header = unit.includedFiles.first(where: { $0.hasSuffix("/stddef.h") }) else { return nil }
        return (header as NSString).deletingLastPathComponent
    }
}

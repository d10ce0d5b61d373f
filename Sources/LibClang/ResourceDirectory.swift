import Foundation

/// Clang's own header folder (stddef.h, stdarg.h, intrinsics) for the libclang
/// that is loaded. Kernel builds pass `-nostdinc`, which hides it; mmlint adds
/// it back explicitly, in place of GCC's.
public enum ClangResources {
    /// `$MMLINT_CLANG_RESOURCE_INCLUDE` when set; else asked of libclang
    /// itself: where a parse of `#include <stddef.h>` finds that header.
    /// (Distributions move the folder; libclang knows where it is.)
    public static let includeDirectory: String? = {
        if let explicit = ProcessInfo.processInfo.environment["MMLINT_CLANG_RESOURCE_INCLUDE"],
           !explicit.isEmpty {
            return explicit
        }
        let probe = "/mmlint-resource-probe.c"
        let index = ClangIndex()
        guard let unit = try? index.parse(
            path: probe, arguments: ["-x", "c"],
            unsavedFiles: [UnsavedFile(path: probe, contents: Array("#include <stddef.h>\n".utf8))])
        else { return nil }
        guard let header = unit.includedFiles.first(where: { $0.hasSuffix("/stddef.h") }) else { return nil }
        return (header as NSString).deletingLastPathComponent
    }()
}

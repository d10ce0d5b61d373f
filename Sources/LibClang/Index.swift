internal import CClang
import Foundation

/// A libclang index: the owner of translation units. One per worker thread;
/// the type is deliberately not `Sendable` so the compiler keeps it there.
public final class ClangIndex {
    let raw: CXIndex

    public init() {
        // excludeDeclarationsFromPCH: 0, displayDiagnostics: 0 (we report them ourselves).
        raw = clang_createIndex(0, 0)
    }

    deinit { clang_disposeIndex(raw) }

    /// libclang's own version string, e.g. "Debian clang version 14.0.6".
    public static var version: String { ClangString.take(clang_getClangVersion()) }

    /// Parses `path` with `arguments` (compiler flags, no compiler name and no
    /// source file). `unsavedFiles` override file contents on disk (patch
    /// post-images). Parsing keeps going after errors; the errors are in
    /// `TranslationUnit.diagnostics`.
    ///
    /// `recordsSkippedRanges` keeps libclang's detailed preprocessing record,
    /// the only place it keeps the ranges the preprocessor skipped
    /// (`skippedLinesInMainFile`, empty without it); it also records every
    /// macro expansion, which costs a kernel parse up to a sixth more.
    public func parse(
        path: String, arguments: [String], unsavedFiles: [UnsavedFile] = [], recordsSkippedRanges: Bool = false
    ) throws(ParseFailure) -> TranslationUnit {
        var tu: CXTranslationUnit?
        var options = CXTranslationUnit_KeepGoing.rawValue
            | CXTranslationUnit_IgnoreNonErrorsFromIncludedFiles.rawValue
        if recordsSkippedRanges { options |= CXTranslationUnit_DetailedPreprocessingRecord.rawValue }
        let code: CXErrorCode = withCStrings(arguments) { argv in
            withUnsaved(unsavedFiles) { unsaved in
                clang_parseTranslationUnit2(
                    raw, path, argv, Int32(arguments.count),
                    unsaved.baseAddress, UInt32(unsaved.count), options, &tu)
            }
        }
        guard code == CXError_Success, let tu else {
            switch code {
            case CXError_Crashed: throw ParseFailure.crashed(path: path)
            case CXError_InvalidArguments: throw ParseFailure.invalidArguments(path: path)
            case CXError_ASTReadError: throw ParseFailure.astReadError(path: path)
            default: throw ParseFailure.failed(path: path, code: Int(code.rawValue))
            }
        }
        return TranslationUnit(raw: tu, index: self)
    }
}

/// A file's contents given to the parser instead of what is on disk.
public struct UnsavedFile: Sendable {
    public var path: String
    public var contents: [UInt8]
    public init(path: String, contents: [UInt8]) {
        self.path = path
        self.contents = contents
    }
}

/// Why libclang produced no translation unit at all.
public enum ParseFailure: Error, Equatable, CustomStringConvertible {
    case crashed(path: String)
    case invalidArguments(path: String)
    case astReadError(path: String)
    case failed(path: String, code: Int)

    public var description: String {
        switch self {
        case .crashed(let path): return "\(path): libclang crashed while parsing this file"
        case .invalidArguments(let path): return "\(path): libclang rejected the parse arguments"
        case .astReadError(let path): return "\(path): libclang could not read the file"
        case .failed(let path, let code): return "\(path): libclang failed (error \(code))"
        }
    }
}

/// Converts and disposes a `CXString` at the boundary.
enum ClangString {
    static func take(_ string: CXString) -> String {
        defer { clang_disposeString(string) }
        guard let c = clang_getCString(string) else { return "" }
        return String(cString: c)
    }
}

private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let duplicated: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    defer { duplicated.forEach { free($0) } }
    let constant = duplicated.map { UnsafePointer($0) }
    return constant.withUnsafeBufferPointer { body($0.baseAddress!) }
}

private func withUnsaved<R>(_ files: [UnsavedFile], _ body: (UnsafeMutableBufferPointer<CXUnsavedFile>) -> R) -> R {
    var names: [UnsafeMutablePointer<CChar>?] = []
    var buffers: [UnsafeMutablePointer<CChar>] = []
    defer {
        names.forEach { free($0) }
        buffers.forEach { $0.deallocate() }
    }
    var raw: [CXUnsavedFile] = []
    for file in files {
        let name = strdup(file.path)
        let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: max(file.contents.count, 1))
        file.contents.withUnsafeBytes { bytes in
            if let base = bytes.baseAddress {
                UnsafeMutableRawPointer(buffer).copyMemory(from: base, byteCount: bytes.count)
            }
        }
        names.append(name)
        buffers.append(buffer)
        raw.append(CXUnsavedFile(Filename: name, Contents: buffer, Length: UInt(file.contents.count)))
    }
    return raw.withUnsafeMutableBufferPointer { body($0) }
}

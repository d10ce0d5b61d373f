internal import CClang
import Foundation

/// A parsed file. Disposed when the last reference (including every `Cursor`
/// taken from it) goes away, so no cursor outlives its translation unit.
public final class TranslationUnit {
    let raw: CXTranslationUnit
    /// Keeps the index alive as long as the translation unit.
    let index: ClangIndex
    private var fileNames: [UnsafeMutableRawPointer: String] = [:]

    init(raw: CXTranslationUnit, index: ClangIndex) {
        self.raw = raw
        self.index = index
    }

    deinit { clang_disposeTranslationUnit(raw) }

    /// The translation unit's root cursor.
    public var cursor: Cursor { Cursor(clang_getTranslationUnitCursor(raw), self) }

    /// The main file's path as libclang spells it.
    public var spelling: String { ClangString.take(clang_getTranslationUnitSpelling(raw)) }

    /// Every diagnostic of the parse (errors in headers included).
    public var diagnostics: [Diagnostic] {
        let count = clang_getNumDiagnostics(raw)
        var result: [Diagnostic] = []
        result.reserveCapacity(Int(count))
        for i in 0..<count {
            guard let d = clang_getDiagnostic(raw, i) else { continue }
            defer { clang_disposeDiagnostic(d) }
            let severity: Diagnostic.Severity
            switch clang_getDiagnosticSeverity(d) {
            case CXDiagnostic_Fatal: severity = .fatal
            case CXDiagnostic_Error: severity = .error
            case CXDiagnostic_Warning: severity = .warning
            default: severity = .note
            }
            let message = ClangString.take(clang_getDiagnosticSpelling(d))
            let location = resolve(clang_getDiagnosticLocation(d), expansion: true)
            result.append(Diagnostic(severity: severity, message: message, location: location))
        }
        return result
    }

    /// Every file the parse read: the main file and the headers it included.
    public var includedFiles: [String] {
        final class Box { var paths: [String] = [] }
        let box = Box()
        clang_getInclusions(raw, { file, _, _, context in
            guard let file, let context else { return }
            let box = Unmanaged<Box>.fromOpaque(context).takeUnretainedValue()
            box.paths.append(ClangString.take(clang_getFileName(file)))
        }, Unmanaged.passUnretained(box).toOpaque())
        return box.paths
    }

    /// The lines of the main file the preprocessor skipped (the branches of
    /// `#if` groups not taken, their directive lines included), as 1-based
    /// closed ranges in file order. Code there was never parsed, so it has
    /// no cursors: a caller that must not read it as clean needs to know.
    /// Empty unless the parse was asked to record them.
    /// The main file, as libclang names files.
    var mainFile: CXFile? {
        let name = clang_getTranslationUnitSpelling(raw)
        defer { clang_disposeString(name) }
        guard let cName = clang_getCString(name) else { return nil }
        return clang_getFile(raw, cName)
    }

    public var skippedLinesInMainFile: [ClosedRange<Int>] {
        let name = clang_getTranslationUnitSpelling(raw)
        defer { clang_disposeString(name) }
        guard let cName = clang_getCString(name), let file = clang_getFile(raw, cName),
              let list = clang_getSkippedRanges(raw, file) else { return [] }
        defer { clang_disposeSourceRangeList(list) }
        var result: [ClosedRange<Int>] = []
        for i in 0..<Int(list.pointee.count) {
            let range = list.pointee.ranges[i]
            var startLine: UInt32 = 0
            var endLine: UInt32 = 0
            clang_getFileLocation(clang_getRangeStart(range), nil, &startLine, nil, nil)
            clang_getFileLocation(clang_getRangeEnd(range), nil, &endLine, nil, nil)
            guard startLine > 0, endLine >= startLine else { continue }
            result.append(Int(startLine)...Int(endLine))
        }
        return result
    }

    func fileName(_ file: CXFile?) -> String? {
        guard let file else { return nil }
        if let known = fileNames[file] { return known }
        let name = ClangString.take(clang_getFileName(file))
        fileNames[file] = name
        return name
    }

    func resolve(_ location: CXSourceLocation, expansion: Bool) -> SourceLocation? {
        var file: CXFile?
        var line: UInt32 = 0
        var column: UInt32 = 0
        var offset: UInt32 = 0
        if expansion {
            clang_getFileLocation(location, &file, &line, &column, &offset)
        } else {
            clang_getSpellingLocation(location, &file, &line, &column, &offset)
        }
        guard let path = fileName(file) else { return nil }
        return SourceLocation(path: path, line: Int(line), column: Int(column), offset: Int(offset))
    }

    /// The spellings of the tokens in `extent`, without their locations
    /// (cheaper than `tokens(in:)`).
    func spellings(in extent: CXSourceRange, identifiersOnly: Bool) -> [String] {
        var tokens: UnsafeMutablePointer<CXToken>?
        var count: UInt32 = 0
        clang_tokenize(raw, extent, &tokens, &count)
        guard let tokens else { return [] }
        defer { clang_disposeTokens(raw, tokens, count) }
        var result: [String] = []
        for i in 0..<Int(count) {
            if identifiersOnly, clang_getTokenKind(tokens[i]) != CXToken_Identifier { continue }
            result.append(ClangString.take(clang_getTokenSpelling(raw, tokens[i])))
        }
        return result
    }

    /// The spellings of the tokens in `extent`.
    func tokens(in extent: CXSourceRange) -> [Token] {
        var tokens: UnsafeMutablePointer<CXToken>?
        var count: UInt32 = 0
        clang_tokenize(raw, extent, &tokens, &count)
        guard let tokens else { return [] }
        defer { clang_disposeTokens(raw, tokens, count) }
        return (0..<Int(count)).map { i in
            let token = tokens[i]
            let kind: Token.Kind
            switch clang_getTokenKind(token) {
            case CXToken_Punctuation: kind = .punctuation
            case CXToken_Keyword: kind = .keyword
            case CXToken_Identifier: kind = .identifier
            case CXToken_Literal: kind = .literal
            default: kind = .comment
            }
            let location = resolve(clang_getTokenLocation(raw, token), expansion: false)
            return Token(kind: kind, spelling: ClangString.take(clang_getTokenSpelling(raw, token)),
                         offset: location?.offset ?? -1)
        }
    }
}

/// A position in a file. Lines and columns are 1-based; columns count bytes.
public struct SourceLocation: Hashable, Sendable {
    public var path: String
    public var line: Int
    public var column: Int
    public var offset: Int
}

/// A compiler diagnostic.
public struct Diagnostic: Sendable {
    public enum Severity: Int, Sendable, Comparable {
        case note, warning, error, fatal
        public static func < (a: Severity, b: Severity) -> Bool { a.rawValue < b.rawValue }
    }
    public var severity: Severity
    public var message: String
    public var location: SourceLocation?
}

/// A preprocessing token.
public struct Token: Sendable {
    public enum Kind: Sendable { case punctuation, keyword, identifier, literal, comment }
    public var kind: Kind
    public var spelling: String
    public var offset: Int
}

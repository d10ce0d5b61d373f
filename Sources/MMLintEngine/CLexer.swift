import Foundation

/// A C token as bare mode and hunk-only mode see it: no preprocessing, just
/// where identifiers, literals and punctuation are, which ones sit in a
/// preprocessor directive, and the brace depth they are at. Enough to find
/// shapes that a parse without the kernel's headers cannot recover from.
public struct CToken: Equatable, Sendable {
    public enum Kind: Equatable, Sendable { case identifier, number, string, character, punctuation }
    public var kind: Kind
    public var start: Int
    public var end: Int
    /// Inside a `#…` line (continuations included).
    public var inDirective: Bool
    /// `{` nesting outside directives, before this token.
    public var depth: Int
}

public enum CLexer {
    /// The tokens of `bytes`, skipping comments; an unterminated comment or
    /// literal ends at the end of the input.
    public static func tokens(_ bytes: [UInt8]) -> [CToken] {
        var tokens: [CToken] = []
        var i = 0
        let n = bytes.count
        var depth = 0
        var directive = false
        var lineStart = true
        while i < n {
            let c = bytes[i]
            if c == 0x0a {
                if !(i > 0 && bytes[i - 1] == 0x5c) && !(i > 1 && bytes[i - 1] == 0x0d && bytes[i - 2] == 0x5c) {
                    directive = false
                }
                lineStart = true
                i += 1
                continue
            }
            if c == 0x20 || c == 0x09 || c == 0x0d || c == 0x0c || c == 0x0b || c == 0x5c {
                i += 1
                continue
            }
            if c == 0x2f, i + 1 < n, bytes[i + 1] == 0x2a {
                i += 2
                while i + 1 < n, !(bytes[i] == 0x2a && bytes[i + 1] == 0x2f) { i += 1 }
                i = min(n, i + 2)
                continue
            }
            if c == 0x2f, i + 1 < n, bytes[i + 1] == 0x2f {
                while i < n, bytes[i] != 0x0a { i += 1 }
                continue
            }
            if lineStart && c == 0x23 { directive = true }
            lineStart = false
            let start = i
            let kind: CToken.Kind
            if isIdentifierStart(c) {
                while i < n, isIdentifierByte(bytes[i]) { i += 1 }
                // A prefixed literal: L"…", u8"…".
                if i < n, bytes[i] == 0x22 || bytes[i] == 0x27, i - start <= 2 {
                    i = skipLiteral(bytes, from: i)
                    kind = bytes[start..<i].contains(0x22) ? .string : .character
                } else {
                    kind = .identifier
                }
            } else if isDigit(c) || (c == 0x2e && i + 1 < n && isDigit(bytes[i + 1])) {
                while i < n, isIdentifierByte(bytes[i]) || bytes[i] == 0x2e
                        || ((bytes[i] == 0x2b || bytes[i] == 0x2d) && (bytes[i - 1] | 0x20) == 0x65) { i += 1 }
                kind = .number
            } else if c == 0x22 || c == 0x27 {
                i = skipLiteral(bytes, from: i)
                kind = c == 0x22 ? .string : .character
            } else {
                i += punctuationLength(bytes, at: i)
                kind = .punctuation
            }
            tokens.append(CToken(kind: kind, start: start, end: i, inDirective: directive, depth: depth))
            if kind == .punctuation, !directive {
                if c == 0x7b { depth += 1 } else if c == 0x7d { depth = max(0, depth - 1) }
            }
        }
        return tokens
    }

    public static func skipLiteral(_ bytes: [UInt8], from start: Int) -> Int {
        let quote = bytes[start]
        var i = start + 1
        while i < bytes.count, bytes[i] != quote, bytes[i] != 0x0a {
            i += bytes[i] == 0x5c ? 2 : 1
        }
        return min(bytes.count, i + 1)
    }

    /// Multi-byte punctuators, longest first.
    static let punctuators: [[UInt8]] = ["<<=", ">>=", "...", "->", "++", "--", "<<", ">>", "<=", ">=", "==", "!=",
                                         "&&", "||", "*=", "/=", "%=", "+=", "-=", "&=", "^=", "|=", "##"].map { Array($0.utf8) }

    static func punctuationLength(_ bytes: [UInt8], at i: Int) -> Int {
        for p in punctuators where i + p.count <= bytes.count && bytes[i] == p[0] && bytes[i + 1] == p[1]
            && (p.count == 2 || bytes[i + 2] == p[2]) {
            return p.count
        }
        return 1
    }

    public static func isIdentifierStart(_ c: UInt8) -> Bool {
        (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c == 0x5f || c == 0x24
    }
    public static func isIdentifierByte(_ c: UInt8) -> Bool { isIdentifierStart(c) || isDigit(c) }
    static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    /// C's keywords and the GNU spellings: never macros to neutralise.
    public static let keywords: Set<String> = [
        "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum", "extern",
        "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return", "short", "signed",
        "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void", "volatile", "while",
        "_Bool", "_Complex", "_Static_assert", "_Alignof", "_Alignas", "_Generic", "_Atomic", "_Noreturn",
        "_Thread_local", "typeof", "__typeof__", "__typeof", "asm", "__asm__", "__asm", "__attribute__",
        "__attribute", "__extension__", "__inline", "__inline__", "__volatile__", "__restrict", "__restrict__",
        "__builtin_offsetof", "__builtin_va_arg", "__builtin_types_compatible_p", "__label__", "__alignof__",
        "__const", "__const__", "__signed__", "__auto_type",
    ]
}

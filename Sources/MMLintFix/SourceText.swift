import MMLintCore
import MMLintEngine

/// One C file as bytes, its lines and its tokens (comments skipped): what a
/// fixer reads around a finding's position to find the extent of the call,
/// statement or expression it rewrites.
public struct SourceText: Sendable {
    public let path: String
    public let bytes: [UInt8]
    public let tokens: [CToken]
    /// Byte offset where each line starts; line 1 is index 0.
    let lineStarts: [Int]

    public init(path: String, bytes: [UInt8]) {
        self.path = path
        self.bytes = bytes
        tokens = CLexer.tokens(bytes)
        var starts = [0]
        for (i, byte) in bytes.enumerated() where byte == 0x0a { starts.append(i + 1) }
        lineStarts = starts
    }

    /// The byte offset of a 1-based line and byte column.
    public func offset(line: Int, column: Int) -> Int? {
        guard line >= 1, line <= lineStarts.count else { return nil }
        let offset = lineStarts[line - 1] + column - 1
        return offset <= bytes.count ? offset : nil
    }

    /// The 1-based line of a byte offset.
    public func line(of offset: Int) -> Int {
        var low = 0, high = lineStarts.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if lineStarts[mid] <= offset { low = mid } else { high = mid - 1 }
        }
        return low + 1
    }

    /// Where the line holding `offset` starts.
    public func lineStart(of offset: Int) -> Int { lineStarts[line(of: offset) - 1] }

    /// Where the line holding `offset` ends: its newline, or the end of the file.
    public func lineEnd(of offset: Int) -> Int {
        var i = offset
        while i < bytes.count, bytes[i] != 0x0a { i += 1 }
        return i
    }

    /// The tabs and spaces that start the line holding `offset`.
    public func indentation(of offset: Int) -> String {
        var i = lineStart(of: offset)
        var indent = ""
        while i < bytes.count, bytes[i] == 0x09 || bytes[i] == 0x20 {
            indent.append(Character(UnicodeScalar(bytes[i])))
            i += 1
        }
        return indent
    }

    /// The index of the token that starts at `location`, or nil when none does.
    public func tokenIndex(at location: Location) -> Int? {
        guard let offset = offset(line: location.line, column: location.column) else { return nil }
        return tokenIndex(startingAt: offset)
    }

    public func tokenIndex(startingAt offset: Int) -> Int? {
        var low = 0, high = tokens.count - 1
        while low <= high {
            let mid = (low + high) / 2
            if tokens[mid].start == offset { return mid }
            if tokens[mid].start < offset { low = mid + 1 } else { high = mid - 1 }
        }
        return nil
    }

    /// A token's text.
    public func text(_ index: Int) -> String { text(tokens[index].start, tokens[index].end) }

    /// The source between two offsets, comments and line breaks as written.
    public func text(_ start: Int, _ end: Int) -> String { String(decoding: bytes[start..<end], as: UTF8.self) }

    /// The source of tokens `first...last`, as written (comments kept).
    public func text(tokens first: Int, _ last: Int) -> String { text(tokens[first].start, tokens[last].end) }

    /// The tokens `first...last` joined by one space where the source had
    /// any whitespace or comment, for an expression moved into a new call.
    public func compact(tokens first: Int, _ last: Int) -> String {
        var out = ""
        for i in first...last {
            if i > first, tokens[i].start > tokens[i - 1].end { out += " " }
            out += text(i)
        }
        return out
    }

    public func isToken(_ index: Int, _ spelling: String) -> Bool {
        index >= 0 && index < tokens.count && text(index) == spelling
    }

    /// Whether a comment or preprocessor directive sits between two offsets:
    /// a rewrite that would drop or move it is not mechanical.
    public func hasCommentOrDirective(_ start: Int, _ end: Int) -> Bool {
        var i = start
        while i + 1 < end {
            if bytes[i] == 0x2f, bytes[i + 1] == 0x2a || bytes[i + 1] == 0x2f { return true }
            if bytes[i] == 0x23, lineStart(of: i) == i || text(lineStart(of: i), i).allSatisfy({ $0 == " " || $0 == "\t" }) {
                return true
            }
            i += 1
        }
        return false
    }

    /// The index of the bracket that closes the one at `open` (`(`, `[`, `{`).
    public func matching(_ open: Int) -> Int? {
        let pairs: [String: String] = ["(": ")", "[": "]", "{": "}"]
        guard let close = pairs[text(open)] else { return nil }
        let opening = text(open)
        var depth = 0
        var i = open
        while i < tokens.count {
            let spelling = text(i)
            if spelling == opening { depth += 1 } else if spelling == close {
                depth -= 1
                if depth == 0 { return i }
            }
            i += 1
        }
        return nil
    }

    /// The index of the bracket that opens the one closing at `close`.
    public func matchingBackward(_ close: Int) -> Int? {
        let pairs: [String: String] = [")": "(", "]": "[", "}": "{"]
        guard let open = pairs[text(close)] else { return nil }
        let closing = text(close)
        var depth = 0
        var i = close
        while i >= 0 {
            let spelling = text(i)
            if spelling == closing { depth += 1 } else if spelling == open {
                depth -= 1
                if depth == 0 { return i }
            }
            i -= 1
        }
        return nil
    }

    /// The arguments of the call whose `(` is at `open`: each as the indices
    /// of its first and last token, split at the commas outside brackets.
    public func arguments(open: Int) -> (arguments: [(Int, Int)], close: Int)? {
        guard isToken(open, "("), let close = matching(open) else { return nil }
        var arguments: [(Int, Int)] = []
        var start = open + 1
        var i = open + 1
        while i < close {
            let spelling = text(i)
            if spelling == "(" || spelling == "[" || spelling == "{" {
                guard let end = matching(i) else { return nil }
                i = end + 1
                continue
            }
            if spelling == "," {
                guard i > start else { return nil }
                arguments.append((start, i - 1))
                start = i + 1
            }
            i += 1
        }
        if close > start { arguments.append((start, close - 1)) }
        return (arguments, close)
    }

    /// The end of the expression that starts at token `first`: the last
    /// token before a `;`, `,`, `:` or `?` outside brackets, or before an
    /// unmatched closing bracket.
    public func expressionEnd(from first: Int) -> Int? {
        var i = first
        while i < tokens.count {
            let spelling = text(i)
            if spelling == "(" || spelling == "[" {
                guard let end = matching(i) else { return nil }
                i = end + 1
                continue
            }
            if [";", ",", ":", "?", ")", "]", "}", "{"].contains(spelling) { return i > first ? i - 1 : nil }
            i += 1
        }
        return nil
    }

    /// The first token of the postfix expression ending at token `last`
    /// (`vma`, `vmf->vma`, `priv->vmas[i]`, `get_vma(x)`): what a member
    /// access such as `->vm_flags` is applied to.
    public func postfixStart(endingAt last: Int) -> Int? {
        var i = last
        while i >= 0 {
            let spelling = text(i)
            if spelling == ")" || spelling == "]" {
                guard let open = matchingBackward(i) else { return nil }
                i = open - 1
                if spelling == ")", i >= 0, tokens[i].kind != .identifier { return open }
                continue
            }
            guard tokens[i].kind == .identifier else { return nil }
            if i >= 1, text(i - 1) == "->" || text(i - 1) == "." {
                i -= 2
                continue
            }
            return i
        }
        return nil
    }
}

import Foundation
import MMLintCore
import MMLintEngine
import MMLintReporters
import XCTest

/// The Vim `errorformat` and the Emacs `compilation-error-regexp-alist`
/// entry that docs/ci.md gives, as written there, against what mmlint
/// prints: each finding and each `note:` line is an entry of the right
/// type at the right place, and nothing else is.
final class EditorPatternTests: XCTestCase {
    let finding = Finding(
        ruleID: "mm-remap-in-fault", confidence: .high,
        location: Location(file: "/tree/drivers/x/x_mmap.c", line: 1701, column: 6),
        function: "x_fault", callee: "io_remap_pfn_range",
        chain: [".fault of x_ops", "x_fault", "io_remap_pfn_range"],
        message: "io_remap_pfn_range() maps a whole range: not in a fault path", suggestion: "use vmf_insert_pfn(): it maps one page")

    var docs: String { (try? String(contentsOfFile: Repo.root + "/docs/ci.md", encoding: .utf8)) ?? "" }

    /// The line in docs/ci.md that starts with `prefix`, from a code block.
    func documented(_ prefix: String) throws -> String {
        try XCTUnwrap(docs.components(separatedBy: "\n").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix(prefix) },
                      "docs/ci.md has no line starting with \(prefix)")
            .trimmingCharacters(in: .whitespaces)
    }

    /// What the checker prints, and the text format (source line, caret,
    /// indented chain), for one finding.
    var gccLines: [String] {
        GCCReporter.render([finding]) { Paths.relativeForTest($0) }.split(separator: "\n").map(String.init)
    }
    var textLines: [String] {
        let report = Report(findings: [finding], rules: [], root: "/tree", kernelVersion: nil,
                            summary: .init(files: 1, parsed: 1, failed: 0, filesWithParseErrors: 0, parseErrors: 0, findings: 1, seconds: 0),
                            sourceLine: { _, _ in "\tif (io_remap_pfn_range(vma, vma->vm_start, vma->vm_pgoff," })
        return TextReporter.render(report).split(separator: "\n").map(String.init)
    }

    // MARK: Vim

    /// `%f:%l:%c:\ %t%*[a-z]:\ %m` as a regular expression (the items the
    /// documented format uses), and whether `%-G%.%#` ignores the rest.
    func vimPatterns() throws -> (match: NSRegularExpression, ignoresRest: Bool) {
        let line = try documented("set errorformat=")
        let value = String(line.dropFirst("set errorformat=".count))
        var parts: [String] = []
        var current = ""
        var escaped = false
        for character in value {
            if escaped { current.append(character); escaped = false; continue }
            if character == "\\" { escaped = true; continue }
            if character == "," { parts.append(current); current = ""; continue }
            current.append(character)
        }
        parts.append(current)
        XCTAssertEqual(parts.count, 2, value)
        var regex = "^"
        var format = Substring(parts[0])
        let items: [(String, String)] = [("%f", "([^:]+)"), ("%l", "([0-9]+)"), ("%c", "([0-9]+)"), ("%t", "([a-z])"),
                                         ("%*[a-z]", "[a-z]*"), ("%m", "(.*)")]
        while !format.isEmpty {
            if let (item, pattern) = items.first(where: { format.hasPrefix($0.0) }) {
                regex += pattern
                format = format.dropFirst(item.count)
            } else {
                XCTAssertFalse(format.hasPrefix("%"), "an errorformat item this test does not know: \(format)")
                regex += NSRegularExpression.escapedPattern(for: String(format.first!))
                format = format.dropFirst()
            }
        }
        return (try NSRegularExpression(pattern: regex + "$"), parts[1] == "%-G%.%#")
    }

    func testVimErrorformatTakesFindingsAndNotes() throws {
        let (pattern, ignoresRest) = try vimPatterns()
        XCTAssertTrue(ignoresRest)
        var entries: [(file: String, line: String, column: String, type: String, message: String)] = []
        for line in gccLines {
            let range = NSRange(line.startIndex..., in: line)
            let match = try XCTUnwrap(pattern.firstMatch(in: line, range: range), "not matched: \(line)")
            let group = { (i: Int) in String(line[Range(match.range(at: i), in: line)!]) }
            entries.append((group(1), group(2), group(3), group(4), group(5)))
        }
        XCTAssertEqual(entries.map(\.type), ["w", "n", "n"])
        XCTAssertEqual(Set(entries.map { "\($0.file):\($0.line):\($0.column)" }), ["drivers/x/x_mmap.c:1701:6"])
        XCTAssertTrue(entries[0].message.hasSuffix("[mm-remap-in-fault]"))
        XCTAssertEqual(entries[1].message, "chain: .fault of x_ops → x_fault → io_remap_pfn_range")
        XCTAssertEqual(entries[2].message, "suggestion: use vmf_insert_pfn(): it maps one page")
        // The text format: its first line is the entry; the quoted source,
        // the caret and the indented lines are left to %-G.
        let text = textLines
        XCTAssertEqual(text.filter { pattern.firstMatch(in: $0, range: NSRange($0.startIndex..., in: $0)) != nil },
                       [text[0]])
    }

    // MARK: Emacs

    /// The documented elisp string, read as Emacs reads it, in ICU syntax.
    func emacsPattern() throws -> NSRegularExpression {
        let line = try documented("'(mmlint \"")
        let start = try XCTUnwrap(line.range(of: "\""))
        let rest = line[start.upperBound...]
        var elisp = ""
        var escaped = false
        for character in rest {
            if escaped {
                switch character {
                case "t": elisp.append("\t")
                case "n": elisp.append("\n")
                default: elisp.append(character)
                }
                escaped = false
                continue
            }
            if character == "\\" { escaped = true; continue }
            if character == "\"" { break }
            elisp.append(character)
        }
        XCTAssertTrue(docs.contains(line + "\n                        1 2 3 (4 . 5)))"),
                      "the entry's next line: file 1, line 2, column 3, warning if 4, info if 5")
        let icu = elisp.replacingOccurrences(of: "\\(?:", with: "(?:").replacingOccurrences(of: "\\(", with: "(")
            .replacingOccurrences(of: "\\)", with: ")").replacingOccurrences(of: "\\|", with: "|")
        return try NSRegularExpression(pattern: icu)
    }

    func testEmacsEntryTakesFindingsAndNotes() throws {
        let pattern = try emacsPattern()
        var types: [String] = []
        for line in gccLines {
            let match = try XCTUnwrap(pattern.firstMatch(in: line, range: NSRange(line.startIndex..., in: line)), "not matched: \(line)")
            let group = { (i: Int) in Range(match.range(at: i), in: line).map { String(line[$0]) } }
            XCTAssertEqual(group(1), "drivers/x/x_mmap.c")
            XCTAssertEqual(group(2), "1701")
            XCTAssertEqual(group(3), "6")
            types.append(group(4) != nil ? "warning" : group(5) != nil ? "info" : "error")
        }
        XCTAssertEqual(types, ["warning", "info", "info"])
        let error = "drivers/x/x.c:3:1: error: something"
        let match = try XCTUnwrap(pattern.firstMatch(in: error, range: NSRange(error.startIndex..., in: error)))
        XCTAssertEqual(match.range(at: 4).location, NSNotFound)
        XCTAssertEqual(match.range(at: 5).location, NSNotFound)
        let text = textLines
        XCTAssertEqual(text.filter { pattern.firstMatch(in: $0, range: NSRange($0.startIndex..., in: $0)) != nil }, [text[0]])
    }
}

private extension Paths {
    static func relativeForTest(_ path: String) -> String { relative(path, to: "/tree") }
}

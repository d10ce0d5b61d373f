import Foundation
import MMLintEngine
import MMLintPatch
import XCTest

/// The parsers of untrusted input never trap: deterministic mutations of the
/// fixtures (the fuzzers' seeds) through the diff, mail and compile-database
/// parsers, and the inputs the fuzz runs found interesting. A trap kills the
/// test process, which fails the run. docs/security.md has the fuzz records.
final class FuzzRegressionTests: XCTestCase {
    /// SplitMix64: the same mutations on every run.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { n <= 0 ? 0 : Int(next() % UInt64(n)) }
    }

    static let tokens: [[UInt8]] = ["\n", "@@ -1,3 +1,4 @@", "@@ -0,0 +1 @@", "diff --git a/x b/y\n", "--- a/", "+++ b/",
                                    "\\ No newline at end of file\n", "=?UTF-8?B?", "?=", "=\n", "=F", "--", "boundary=",
                                    "Content-Transfer-Encoding: base64\n", "Content-Type: multipart/mixed; boundary=\"b\"\n",
                                    "charset=iso-8859-1", "From ", "\"", "\\", "\r\n", "\u{FF}", "rename from ", "/dev/null",
                                    "[", "]", "{", "}", ",", ":", "\"arguments\": [", "\"command\": \"", "\\u0000"]
        .map { Array($0.utf8) }

    /// Flips, inserts, deletes, truncates and splices tokens, a few times each.
    static func mutate(_ input: [UInt8], _ random: inout Random) -> [UInt8] {
        var bytes = input
        for _ in 0...random.below(4) {
            let at = random.below(bytes.count + 1)
            switch random.below(5) {
            case 0 where !bytes.isEmpty: bytes[min(at, bytes.count - 1)] ^= UInt8(truncatingIfNeeded: 1 << random.below(8))
            case 1: bytes.insert(contentsOf: tokens[random.below(tokens.count)], at: at)
            case 2: bytes.removeSubrange(at..<min(bytes.count, at + random.below(64)))
            case 3: bytes = Array(bytes.prefix(at))
            default:
                let from = random.below(bytes.count + 1)
                bytes.insert(contentsOf: bytes[from..<min(bytes.count, from + random.below(200))], at: at)
            }
        }
        return bytes
    }

    func seeds(_ extensions: [String]) -> [[UInt8]] {
        let files = (FileManager.default.enumerator(atPath: Repo.fixtures)?.allObjects as? [String] ?? [])
            .filter { name in extensions.contains { name.hasSuffix($0) } }.sorted()
        return files.compactMap { FileManager.default.contents(atPath: Repo.fixtures + "/" + $0).map { [UInt8]($0) } }
    }

    func testDiffParserSurvivesMutations() {
        var random = Random(state: 1)
        let corpus = seeds([".patch", ".diff"])
        XCTAssertGreaterThan(corpus.count, 5)
        var parsed = 0
        for round in 0..<3000 {
            let input = Self.mutate(corpus[round % corpus.count], &random)
            if let files = try? PatchReader.readDiff(input, name: "m") {
                parsed += files.count
                // What the parser accepts is consistent: each hunk holds the
                // lines its header counts, on each side.
                for file in files {
                    for hunk in file.hunks {
                        let old = hunk.lines.filter { $0.kind != .added }.count
                        let new = hunk.lines.filter { $0.kind != .removed }.count
                        XCTAssertEqual(old, hunk.oldCount, "\(file.path) \(hunk.header) (round \(round))")
                        XCTAssertEqual(new, hunk.newCount, "\(file.path) \(hunk.header) (round \(round))")
                    }
                }
            }
        }
        XCTAssertGreaterThan(parsed, 100, "the mutations should leave many inputs readable")
    }

    func testMailReaderSurvivesMutations() {
        var random = Random(state: 2)
        let corpus = seeds([".eml", ".mbox", ".patch"])
        var read = 0
        for round in 0..<3000 {
            let input = Self.mutate(corpus[round % corpus.count], &random)
            if let series = try? PatchReader.read(input, name: "m") { read += series.patches.count }
        }
        XCTAssertGreaterThan(read, 100)
    }

    func testCompileDatabaseSurvivesMutations() {
        var random = Random(state: 3)
        let corpus = [
            #"[{"directory": "/k", "file": "a.c", "arguments": ["cc", "-Iinclude", "-c", "a.c"]}]"#,
            #"[{"directory": "/k/b", "file": "../m.c", "command": "gcc -D'X=\"y z\"' -I\\ a -c ../m.c"}]"#,
        ].map { Array($0.utf8) }
        var loaded = 0
        for round in 0..<3000 {
            let input = Self.mutate(corpus[round % corpus.count], &random)
            if let database = try? CompileDatabase(data: Data(input), path: "m.json") { loaded += database.entries.count }
        }
        XCTAssertGreaterThan(loaded, 50)
    }

    /// Edge cases met while fuzzing and reviewing the parsers: each gives
    /// its own answer (an error naming the problem, or the files read),
    /// through the diff parser and the mail reader alike.
    func testEdgeCases() throws {
        let cases: [(text: String, outcome: String)] = [
            ("@@ -1 +1 @@\n", "error: no diff found"),
            // A count beyond Int is a malformed header, not a trap.
            ("--- a\n+++ b\n@@ -1,99999999999999999999 +1 @@\n", "error: b: hunk 1: malformed hunk header"),
            ("--- a\n+++ b\n@@ -0,0 +0,0 @@\n", "b: 1 hunk"),
            // An octal escape over 255 is no byte: a replacement character, not a trap.
            ("diff --git \"a/\\777\" \"b/\\777\"\n--- \"a/\\777\"\n+++ \"b/\\777\"\n@@ -1 +1 @@\n-a\n+b\n", "\u{FFFD}: 1 hunk"),
            ("diff --git a/x\n", "error: cannot tell the file names"),
            ("diff --git \"a/unterminated\n--- a/x\n+++ b/x\n", "x: 0 hunks"),
            ("--- a/x\n+++ b/x\n@@ -1 +1 @@\n\\ No newline at end of file\n", "error: x: hunk 1 (@@ -1 +1 @@) is truncated"),
        ]
        func outcome(_ read: () throws -> [FilePatch]) -> String {
            do {
                return try read().map { "\($0.path): \($0.hunks.count) hunk\($0.hunks.count == 1 ? "" : "s")" }.joined(separator: ", ")
            } catch {
                return "error: \(error)"
            }
        }
        for (text, expected) in cases {
            let diff = outcome { try PatchReader.readDiff(Array(text.utf8), name: "edge") }
            let mail = outcome { try PatchReader.read(Array(text.utf8), name: "edge").patches.flatMap(\.files) }
            let want = expected.hasPrefix("error: ") ? "error: edge: " + expected.dropFirst("error: ".count) : expected
            XCTAssertTrue(diff.hasPrefix(want), "\(text.debugDescription): \(diff)")
            XCTAssertEqual(mail, diff, text.debugDescription)
        }
    }
}

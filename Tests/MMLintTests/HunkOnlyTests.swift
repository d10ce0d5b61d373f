import Foundation
import MMLintEngine
import XCTest

/// Hunk-only mode (`mmlint check` with the patched files nowhere at hand) on
/// hunks shaped like real ones, and bare mode's token repairs.
final class HunkOnlyTests: XCTestCase {
    let dir = Repo.fixtures + "/hunk-only"

    /// Rule and post-image line of every added line carrying `/* expect: rule */`.
    func expectations(_ patch: String) throws -> Set<String> {
        var expected = Set<String>()
        var line = 0
        for text in try String(contentsOfFile: patch, encoding: .utf8).components(separatedBy: "\n") {
            if text.hasPrefix("@@ ") {
                let plus = try XCTUnwrap(text.split(separator: " ").first { $0.hasPrefix("+") })
                line = try XCTUnwrap(Int(plus.dropFirst().split(separator: ",")[0]))
                continue
            }
            guard line > 0, let kind = text.first, kind == " " || kind == "+" else { continue }
            var rest = Substring(text)
            while let range = rest.range(of: "/* expect: ") {
                let rule = rest[range.upperBound...].prefix { $0 != " " && $0 != "*" }
                expected.insert("\(rule):\(line)")
                rest = rest[range.upperBound...]
            }
            line += 1
        }
        return expected
    }

    func check(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let empty = try temporaryDirectory(self)
        let patch = dir + "/" + name
        let result = try runCommand(Repo.executable, ["check", "--tree", empty, "--format", "json", patch], in: empty)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any],
                                 result.stderr, file: file, line: line)
        XCTAssertEqual(json["mode"] as? String, "hunk-only", file: file, line: line)
        let findings = json["findings"] as? [[String: Any]] ?? []
        let found = Set(findings.map { "\($0["ruleId"] as? String ?? "?"):\($0["line"] as? Int ?? 0)" })
        let expected = try expectations(patch)
        XCTAssertEqual(found, expected, "\(name): \(result.stdout)", file: file, line: line)
        XCTAssertEqual(result.status, expected.isEmpty ? 0 : 1, result.stderr, file: file, line: line)
        for finding in findings { XCTAssertEqual(finding["confidence"] as? String, "low", file: file, line: line) }
    }

    /// The patch of the reference mail, re-written: its second hunk starts
    /// inside a block comment and its context walks a list with
    /// list_for_each_entry(); the follow_pfn() it adds was lost.
    func testReferenceMailShape() throws { try check("reference-shape.patch") }
    /// Starts in the tail of a multi-line macro; the header names the function before.
    func testHunkStartingInAMacroTail() throws { try check("macro-tail.patch") }
    /// Starts inside an #ifdef: #else and #endif with no #if; the added lines are in #else.
    func testHunkStartingInsideAnIfdef() throws { try check("if-cut.patch") }
    /// Starts in the middle of a call's arguments.
    func testHunkStartingMidStatement() throws { try check("mid-statement.patch") }
    /// git names a label, not the function.
    func testHunkUnderALabelHeader() throws { try check("label-header.patch") }
    /// Starts at `} else {`, under a header git cut at 80 bytes.
    func testHunkStartingAtElseUnderATruncatedHeader() throws { try check("else-truncated.patch") }
    /// Adds a pr_debug() between comments, one of which names remap_pfn_range(): nothing.
    func testQuietHunkBetweenComments() throws { try check("quiet-comment.patch") }

    func testEveryHunkOnlyFixtureHasATest() throws {
        let patches = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".patch") }
        XCTAssertEqual(Set(patches), ["reference-shape.patch", "macro-tail.patch", "if-cut.patch", "mid-statement.patch",
                                      "label-header.patch", "else-truncated.patch", "quiet-comment.patch"])
    }

    /// A statement that is a macro use with a body becomes a loop of the
    /// same length; calls, if/while and the prelude's own macros stay.
    func testStatementMacrosBecomeLoops() {
        let source = """
            void f(void)
            {
            \tfoo_for_each_ring(ring, dev, i) {
            \t\tbar(ring);
            \t}
            \tmutex_lock(&m);
            \tif (x)
            \t\ty();
            \tlist_for_each_entry(p, &h, link)
            \t\tz(p);
            }
            """
        let output = String(decoding: BareMode.neutralizeStatementMacros(Array(source.utf8), keep: ["list_for_each_entry"]),
                            as: UTF8.self)
        XCTAssertEqual(output.count, source.count)
        XCTAssertTrue(output.contains("\twhile            (ring, dev, i) {"), output)
        XCTAssertTrue(output.contains("\tmutex_lock(&m);"), output)
        XCTAssertTrue(output.contains("\tif (x)"), output)
        XCTAssertTrue(output.contains("\tlist_for_each_entry(p, &h, link)"), output)
    }

    /// Upper-case names and _t types nobody defines get placeholders; what
    /// the file defines, tests, calls or uses as a member does not.
    func testPlaceholderDefines() {
        let source = """
            #define OWN_SIZE 4
            #ifdef CONFIG_DEMO
            #endif
            enum { OWN_A, OWN_B = 2 };
            static const char *OWN_NAMES[] = { "a" };
            typedef int own_t;
            int f(own_t x, ext_t *y) {
            \tpr_info(DRV_NAME ": %d\\n", x);
            \tg(x, BAR_SIZE, OWN_SIZE, OWN_A, CONFIG_DEMO, HELPER(x), s.FIELD, p->OTHER, KNOWN);
            }
            """
        let defines = BareMode.placeholderDefines([Array(source.utf8)], known: ["KNOWN"])
        XCTAssertEqual(defines.filter { !$0.hasPrefix("BAR_SIZE=") },
                       ["DRV_NAME=\"\"", "ext_t=unsigned long"])
        XCTAssertEqual(defines.filter { $0.hasPrefix("BAR_SIZE=") }.count, 1, "\(defines)")
    }
}

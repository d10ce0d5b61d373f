import Foundation
import MMLintSupport
import XCTest

/// `ChildProcess.run`, which `check` uses to ask git for the worktree (and
/// `--git` for the series) without Foundation's 50 ms exit poll.
final class ChildProcessTests: XCTestCase {
    func testOutputErrorsAndStatusComeBackApart() throws {
        let (result, problem) = ChildProcess.run(["sh", "-c", "echo out; echo err >&2; exit 3"])
        let run = try XCTUnwrap(result, problem ?? "")
        XCTAssertEqual(run.status, 3)
        XCTAssertEqual(String(decoding: run.output, as: UTF8.self), "out\n")
        XCTAssertEqual(String(decoding: run.errors, as: UTF8.self), "err\n")
    }

    /// More than a pipe holds on both streams at once: a reader that drained
    /// one stream to its end before the other would wait forever.
    func testBothStreamsAreDrainedTogether() throws {
        let script = "i=0; while [ $i -lt 3000 ]; do echo line$i; echo error$i >&2; i=$((i+1)); done"
        let (result, problem) = ChildProcess.run(["sh", "-c", script])
        let run = try XCTUnwrap(result, problem ?? "")
        XCTAssertEqual(run.status, 0)
        XCTAssertEqual(run.output.filter { $0 == 0x0A }.count, 3000)
        XCTAssertEqual(run.errors.filter { $0 == 0x0A }.count, 3000)
        XCTAssertTrue(String(decoding: run.errors, as: UTF8.self).hasSuffix("error2999\n"))
    }

    func testRunsInTheFolderGivenAndReadsNoInput() throws {
        let folder = FileManager.default.temporaryDirectory.resolvingSymlinksInPath().path
        let (result, problem) = ChildProcess.run(["sh", "-c", "pwd; cat"], in: folder)
        let run = try XCTUnwrap(result, problem ?? "")
        XCTAssertEqual(String(decoding: run.output, as: UTF8.self), folder + "\n", "stdin is /dev/null: cat ends at once")
    }

    func testAProgramThatIsNotThereIsSaid() {
        let (result, problem) = ChildProcess.run(["mmlint-no-such-program-here"])
        XCTAssertNil(result)
        XCTAssertEqual(problem, "No such file or directory")
    }

    func testASignalEndsWithItsNumberAbove128() throws {
        let (result, problem) = ChildProcess.run(["sh", "-c", "kill -TERM $$"])
        XCTAssertEqual(try XCTUnwrap(result, problem ?? "").status, 128 + SIGTERM)
    }
}

import Foundation
import MMLintCore
import MMLintEngine
import XCTest

/// mmlint as kbuild's checker on Debian's real trees: `make C=2
/// CHECK="mmlint kbuild" drivers/vfio/pci/` builds the folder (kbuild
/// compiles the objects with GCC as ever) and has mmlint check each file
/// with its exact flags. On a throw-away hard-link view of the prepared
/// tree with an O= folder, so the cached tree is never built in.
final class KbuildCheckerTests: XCTestCase {
    static let repo = KernelCache.repo

    func tree(_ version: String) throws -> String { try KernelCache.tree(version) }

    var executable: String { KernelCache.executable }

    /// 6.1's `vfio_pci_mmap_fault()` maps the whole BAR from the fault
    /// handler: the check of vfio_pci_core.c says so in GCC's format, with
    /// the chain and the suggestion as notes, and make goes on (exit 0).
    func test61PrintsTheFaultPathRemap() throws {
        let root = try tree("6.1")
        let file = root + "/drivers/vfio/pci/vfio_pci_core.c"
        let lines = try String(contentsOfFile: file, encoding: .utf8).components(separatedBy: "\n")
        let handler = try XCTUnwrap(lines.firstIndex { $0.contains("static vm_fault_t vfio_pci_mmap_fault(") })
        let remap = try XCTUnwrap(lines[handler...].firstIndex { $0.contains("io_remap_pfn_range(vma") }) + 1
        let column = try XCTUnwrap(lines[remap - 1].range(of: "io_remap_pfn_range")).lowerBound.utf16Offset(in: lines[remap - 1]) + 1

        let run = try build(root, jobs: 2)
        let place = "drivers/vfio/pci/vfio_pci_core.c:\(remap):\(column): "
        let diagnostics = mmlintLines(run.stderr)
        XCTAssertEqual(diagnostics.filter { $0.contains(": warning: ") || $0.contains(": error: ") }.count, 1, run.stderr)
        let warning = try XCTUnwrap(diagnostics.first { $0.contains(": warning: ") }, run.stderr)
        XCTAssertTrue(warning.contains(place + "warning: io_remap_pfn_range() maps a whole range"), warning)
        XCTAssertTrue(warning.hasSuffix(" [mm-remap-in-fault]"), warning)
        XCTAssertTrue(diagnostics.contains { $0.contains(place + "note: chain: .fault of vfio_pci_mmap_ops → vfio_pci_mmap_fault → io_remap_pfn_range") },
                      run.stderr)
        XCTAssertTrue(diagnostics.contains { $0.contains(place + "note: suggestion: map only the faulting page") }, run.stderr)

        // -j1 over the same objects (C=2 checks each file again, nothing to
        // compile) with a fresh record and no fact cache: the same lines.
        let again = try build(root, jobs: 1, scratch: run.scratch, fresh: true)
        XCTAssertEqual(Set(mmlintLines(again.stderr).map(Self.relative)), Set(diagnostics.map(Self.relative)), again.stderr)

        let recorded = KbuildRecord(objtree: run.scratch + "/out", cacheDirectory: run.scratch + "/record").all()
        XCTAssertEqual(recorded.failures.map(\.description), [])
        XCTAssertEqual(Set(recorded.units.map { Self.relative($0.file) }), again.checked)
        XCTAssertEqual(again.checked, run.checked)

        // After the build: the whole picture from what the checks recorded.
        let report = try runProcess(executable, ["kbuild", "--report", "--objtree", run.scratch + "/out",
                                                 "--record-dir", run.scratch + "/record"], in: run.scratch)
        XCTAssertEqual(report.status, 1, report.stderr)
        XCTAssertEqual(report.stdout.components(separatedBy: "\n").filter { $0.contains(": warning: ") }.count, 1, report.stdout)
        XCTAssertTrue(report.stdout.contains(place + "warning: "), report.stdout)

        // One file, the kchecker way, from the top of the (view of the) tree.
        let kchecker = try runProcess("/usr/bin/env", [
            "MMLINT=" + executable, "MMLINT_KBUILD=--record-dir \(run.scratch)/record --cache-dir \(run.scratch)/facts",
            Self.repo + "/scripts/mmlint-kchecker", "O=" + run.scratch + "/out", "drivers/vfio/pci/vfio_pci_core.c",
        ], in: run.scratch + "/src")
        XCTAssertEqual(kchecker.status, 0, kchecker.stderr)
        XCTAssertEqual(Set(mmlintLines(kchecker.stderr).map(Self.relative)), Set(diagnostics.map(Self.relative)), kchecker.stderr)
    }

    /// 6.12 maps the faulting page only: the build checks every file and
    /// mmlint prints nothing at all.
    func test612PrintsNothing() throws {
        let root = try tree("6.12")
        let first = try build(root, jobs: 2)
        // -j1 over the same objects, a fresh record, no fact cache.
        for run in [first, try build(root, jobs: 1, scratch: first.scratch, fresh: true)] {
            XCTAssertEqual(mmlintLines(run.stderr), [], run.stderr)
            XCTAssertFalse(run.stderr.contains("mmlint"), run.stderr)
            let report = try runProcess(executable, ["kbuild", "--report", "--objtree", run.scratch + "/out",
                                                     "--record-dir", run.scratch + "/record"], in: run.scratch)
            XCTAssertEqual(report.status, 0, report.stdout + report.stderr)
            // Every file was checked: the record holds the folder's C files.
            let checked = KbuildRecord(objtree: run.scratch + "/out", cacheDirectory: run.scratch + "/record").all()
            XCTAssertEqual(checked.failures.map(\.description), [])
            XCTAssertEqual(Set(checked.units.map { Self.relative($0.file) }), run.checked)
            XCTAssertTrue(run.checked.contains("drivers/vfio/pci/vfio_pci_core.c"), run.checked.sorted().joined(separator: "\n"))
            XCTAssertGreaterThanOrEqual(run.checked.count, 6)
        }
    }

    struct Run {
        var scratch: String
        var stderr: String
        /// The files kbuild ran the checker on (its `CHECK   file` lines).
        var checked: Set<String>
    }

    /// `make C=2 CHECK="mmlint kbuild" drivers/vfio/pci/` in a view of
    /// `root` (made when `scratch` is nil); fails the test unless make exits 0.
    func build(_ root: String, jobs: Int, scratch given: String? = nil, fresh: Bool = false) throws -> Run {
        let scratch: String
        if let given {
            scratch = given
        } else {
            scratch = NSTemporaryDirectory() + "mmlint-kbuild-" + UUID().uuidString
            addTeardownBlock { try? FileManager.default.removeItem(atPath: scratch) }
            let made = try KbuildScratch.make(tree: root, folder: scratch)
            let config = try runProcess("/usr/bin/make", ["-s", "-C", made.source, "O=" + made.output, "olddefconfig"], in: made.output)
            XCTAssertEqual(config.status, 0, config.stderr)
            // Timed apart: what any build of the folder costs first.
            let started = Date()
            let prepare = try runProcess("/usr/bin/make", ["-s", "-C", made.source, "O=" + made.output, "-j\(jobs)", "prepare"],
                                         in: made.output)
            XCTAssertEqual(prepare.status, 0, prepare.stderr)
            print(String(format: "make -j%d prepare in a fresh O= folder of %@: %.1fs",
                         jobs, (root as NSString).lastPathComponent, Date().timeIntervalSince(started)))
        }
        if fresh { try? FileManager.default.removeItem(atPath: scratch + "/record") }
        let check = [executable, "kbuild", "--record-dir", scratch + "/record"]
            + (fresh ? ["--no-cache"] : ["--cache-dir", scratch + "/facts"])
        let started = Date()
        let make = try runProcess("/usr/bin/make", ["-C", scratch + "/src", "O=" + scratch + "/out", "-j\(jobs)", "C=2",
                                                    "CHECK=" + check.joined(separator: " "), "drivers/vfio/pci/"],
                                  in: scratch + "/out")
        print(String(format: "make -j%d C=2 CHECK=\"mmlint kbuild\" drivers/vfio/pci/ on %@: %.1fs",
                     jobs, (root as NSString).lastPathComponent, Date().timeIntervalSince(started)))
        XCTAssertEqual(make.status, 0, make.stderr)
        XCTAssertTrue(make.stdout.contains("CHECK   ") && make.stdout.contains("vfio_pci_core.c"),
                      "kbuild ran no checker: " + make.stdout)
        let checked = make.stdout.components(separatedBy: "\n").compactMap { line -> String? in
            guard let range = line.range(of: "CHECK   ") else { return nil }
            return Self.relative(String(line[range.upperBound...]).trimmingCharacters(in: .whitespaces))
        }
        return Run(scratch: scratch, stderr: make.stderr, checked: Set(checked))
    }

    /// mmlint's diagnostic lines: `file:line:col: kind: ...` naming a rule or a note.
    func mmlintLines(_ stderr: String) -> [String] {
        stderr.components(separatedBy: "\n").filter {
            $0.range(of: #"^\S+:\d+:\d+: (warning|error|note): "#, options: .regularExpression) != nil
                && ($0.contains("[mm-") || $0.contains(": note: chain: ") || $0.contains(": note: suggestion: "))
                || $0.contains("mmlint could not analyse")
        }
    }

    /// A line with its path from `drivers/` on (each view has its own root).
    static func relative(_ line: String) -> String {
        line.range(of: "drivers/").map { String(line[$0.lowerBound...]) } ?? line
    }

    func runProcess(_ tool: String, _ arguments: [String], in directory: String) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        for name in ["MAKEFLAGS", "MAKELEVEL", "MFLAGS", "KBUILD_OUTPUT", "O", "C", "M", "V", "W"] { environment[name] = nil }
        environment["LC_ALL"] = "C"
        process.environment = environment
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        // stdout to a file, stderr through a pipe: make prints a lot on
        // each, and one reader drains only one pipe.
        let outPath = NSTemporaryDirectory() + "mmlint-kbuild-out-" + UUID().uuidString
        FileManager.default.createFile(atPath: outPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: outPath) }
        let out = try XCTUnwrap(FileHandle(forWritingAtPath: outPath))
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try? out.close()
        let stdout = FileManager.default.contents(atPath: outPath) ?? Data()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }
}

import Foundation
import MMLintCore
import MMLintEngine
import XCTest

/// `mmlint kbuild` as kbuild calls it, on a small tree of our own whose
/// fault handler (`demo_fault.c`) reaches `io_remap_pfn_range()` through a
/// helper in another file (`demo_map.c`): the checker's flags, its GCC-style
/// lines, chains completed from files checked before, and the report after
/// the build.
final class KbuildCheckerTests: XCTestCase {
    /// What kbuild passes before the file: sparse's CHECKFLAGS (some of which
    /// clang rejects), then c_flags (a GCC-only flag, dependency output).
    static let kbuildFlags = ["-D__linux__", "-Dlinux", "-D__STDC__", "-Dunix", "-D__unix__", "-Wbitwise",
                              "-Wno-return-void", "-Wno-unknown-attribute", "--arch=x86_64", "-mlittle-endian", "-m64",
                              "-fdiagnostic-prefix", "-D__x86_64__", "-Wp,-MMD,drivers/demo/.demo.o.d", "-nostdinc",
                              "-fconserve-stack", "--param=allow-store-data-races=0", "-DKBUILD_BASENAME=\"demo\"",
                              "-include", Repo.rules + "/bare/prelude.h"]

    func testDropsWhatOnlySparseAndGCCUnderstand() throws {
        let entry = try KbuildCheckerArguments.entry(Self.kbuildFlags + ["-DCF_GIVEN", "--param", "asan-stack=1", "drivers/demo/demo_map.c"],
                                                     directory: "/build")
        XCTAssertEqual(entry.file, "/build/drivers/demo/demo_map.c")
        XCTAssertEqual(entry.directory, "/build")
        for dropped in ["-Wbitwise", "-Wno-return-void", "-Wno-unknown-attribute", "--arch=x86_64", "-mlittle-endian",
                        "-fdiagnostic-prefix", "--param=allow-store-data-races=0", "--param", "asan-stack=1"] {
            XCTAssertFalse(entry.arguments.contains(dropped), dropped)
        }
        // kbuild's defines, CF's and the include stay; the GCC-only flag and
        // dependency output go when the entry is translated, as for any compile command.
        for kept in ["-D__linux__", "-D__x86_64__", "-m64", "-DCF_GIVEN", "-nostdinc", "-include", "-Wp,-MMD,drivers/demo/.demo.o.d"] {
            XCTAssertTrue(entry.arguments.contains(kept), kept)
        }
        XCTAssertEqual(entry.arguments.last, "drivers/demo/demo_map.c")
        XCTAssertThrowsError(try KbuildCheckerArguments.entry(["-D__linux__", "-Wbitwise"], directory: "/build"))
    }

    /// A kernel-like tree: the top Makefile's version, a Kconfig, two files.
    func makeTree() throws -> String {
        let root = try temporaryDirectory(self)
        try FileManager.default.createDirectory(atPath: root + "/drivers/demo", withIntermediateDirectories: true)
        try "VERSION = 6\nPATCHLEVEL = 1\nSUBLEVEL = 0\n".write(toFile: root + "/Makefile", atomically: true, encoding: .utf8)
        try "# empty\n".write(toFile: root + "/Kconfig", atomically: true, encoding: .utf8)
        try """
            int demo_map(struct vm_area_struct *vma);

            static vm_fault_t demo_fault(struct vm_fault *vmf)
            {
            \tif (demo_map(vmf->vma))
            \t\treturn VM_FAULT_SIGBUS;
            \treturn VM_FAULT_NOPAGE;
            }

            const struct vm_operations_struct demo_vm_ops = {
            \t.fault = demo_fault,
            };

            """.write(toFile: root + "/drivers/demo/demo_fault.c", atomically: true, encoding: .utf8)
        try """
            int demo_map(struct vm_area_struct *vma)
            {
            \treturn io_remap_pfn_range(vma, vma->vm_start, vma->vm_pgoff,
            \t\t\t\t  vma->vm_end - vma->vm_start, vma->vm_page_prot);
            }

            """.write(toFile: root + "/drivers/demo/demo_map.c", atomically: true, encoding: .utf8)
        // A handler and its remap in one file: a finding any check sees.
        try """
            static vm_fault_t self_fault(struct vm_fault *vmf)
            {
            \tif (remap_pfn_range(vmf->vma, 0, 0, 0, vmf->vma->vm_page_prot))
            \t\treturn VM_FAULT_SIGBUS;
            \treturn VM_FAULT_NOPAGE;
            }

            const struct vm_operations_struct self_vm_ops = {
            \t.fault = self_fault,
            };

            """.write(toFile: root + "/drivers/demo/demo_self.c", atomically: true, encoding: .utf8)
        return root
    }

    func kbuild(_ root: String, _ file: String, extra: [String] = [], environment: [String: String] = [:]) throws
        -> (status: Int32, stdout: String, stderr: String) {
        try run(["kbuild", "--record-dir", root + "/.record", "--no-cache"] + extra + Self.kbuildFlags + [file],
                in: root, environment: environment)
    }

    func run(_ arguments: [String], in directory: String, environment: [String: String] = [:]) throws
        -> (status: Int32, stdout: String, stderr: String) {
        try runCommand(Repo.executable, arguments, in: directory, environment: environment)
    }

    static let expected = """
        drivers/demo/demo_map.c:3:9: warning: io_remap_pfn_range() maps a whole range
        """
    static let chain = "drivers/demo/demo_map.c:3:9: note: chain: .fault of demo_vm_ops → demo_fault → demo_map → io_remap_pfn_range"

    /// The helper's file checked first knows no fault handler: nothing.
    /// The handler's file checked next completes the chain from the
    /// recorded helper and prints it, in GCC's format, exit 0.
    func testChainThroughAFileCheckedBefore() throws {
        let root = try makeTree()
        let map = try kbuild(root, "drivers/demo/demo_map.c")
        XCTAssertEqual(map.status, 0, map.stderr)
        XCTAssertEqual(map.stderr, "")
        let fault = try kbuild(root, "drivers/demo/demo_fault.c")
        XCTAssertEqual(fault.status, 0, fault.stderr)
        let lines = fault.stderr.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 3, fault.stderr)
        XCTAssertTrue(lines[0].hasPrefix(Self.expected) && lines[0].hasSuffix(" [mm-remap-in-fault]"), fault.stderr)
        XCTAssertEqual(lines[1], Self.chain)
        XCTAssertTrue(lines[2].hasPrefix("drivers/demo/demo_map.c:3:9: note: suggestion: map only the faulting page"), lines[2])
        XCTAssertEqual(fault.stdout, "")

        // The other order: the helper's check completes the chain.
        try FileManager.default.removeItem(atPath: root + "/.record")
        XCTAssertEqual(try kbuild(root, "drivers/demo/demo_fault.c").stderr, "")
        let mapAfter = try kbuild(root, "drivers/demo/demo_map.c")
        XCTAssertEqual(mapAfter.stderr, fault.stderr)

        // Nothing linked in: the chain cannot be seen from one file.
        try FileManager.default.removeItem(atPath: root + "/.record")
        XCTAssertEqual(try kbuild(root, "drivers/demo/demo_fault.c", extra: ["--linked", "0"]).stderr, "")
        XCTAssertEqual(try kbuild(root, "drivers/demo/demo_map.c", extra: ["--linked", "0"]).stderr, "")

        // The report after the build sees both, once; --werror stops make.
        let report = try run(["kbuild", "--report", "--record-dir", root + "/.record"], in: root)
        XCTAssertEqual(report.status, 1, report.stderr)
        XCTAssertEqual(report.stdout, fault.stderr)
        XCTAssertTrue(report.stderr.contains("2 files") && report.stderr.contains("1 finding"), report.stderr)
        let werror = try kbuild(root, "drivers/demo/demo_map.c", extra: ["--werror"])
        XCTAssertEqual(werror.status, 1, werror.stderr)
    }

    /// A file that could not be analysed: said on stderr at once (make goes
    /// on), and the report after the build is incomplete: exit 2.
    func testAFileThatCouldNotBeAnalysedFailsTheReport() throws {
        let root = try makeTree()
        let crash = [ParseIsolation.testFaultVariable: "crash=demo_map.c"]
        let map = try kbuild(root, "drivers/demo/demo_map.c", environment: crash)
        XCTAssertEqual(map.status, 0, map.stderr)
        XCTAssertTrue(map.stderr.contains("drivers/demo/demo_map.c: error: mmlint could not analyse this file"), map.stderr)
        XCTAssertEqual(try kbuild(root, "drivers/demo/demo_map.c", extra: ["--werror"], environment: crash).status, 2)
        _ = try kbuild(root, "drivers/demo/demo_fault.c")
        let report = try run(["kbuild", "--report", "--record-dir", root + "/.record"], in: root)
        XCTAssertEqual(report.status, 2, report.stderr)
        XCTAssertTrue(report.stderr.contains("demo_map.c could not be analysed"), report.stderr)
        // Checked again, fine: the failure is gone.
        _ = try kbuild(root, "drivers/demo/demo_map.c")
        XCTAssertEqual(try run(["kbuild", "--report", "--record-dir", root + "/.record"], in: root).status, 1)
    }

    /// A C file kbuild generated in the O= folder, outside the source tree:
    /// checked all the same, the tree found through the folder's `source` link.
    func testGeneratedFileInTheBuildFolder() throws {
        let root = try makeTree()
        let out = try temporaryDirectory(self)
        try FileManager.default.createSymbolicLink(atPath: out + "/source", withDestinationPath: root)
        try FileManager.default.createDirectory(atPath: out + "/gen", withIntermediateDirectories: true)
        try """
            static vm_fault_t gen_fault(struct vm_fault *vmf)
            {
            \tstruct vm_area_struct *vma = vmf->vma;

            \tif (remap_pfn_range(vma, vma->vm_start, vma->vm_pgoff, vma->vm_end - vma->vm_start, vma->vm_page_prot))
            \t\treturn VM_FAULT_SIGBUS;
            \treturn VM_FAULT_NOPAGE;
            }

            const struct vm_operations_struct gen_vm_ops = {
            \t.fault = gen_fault,
            };

            """.write(toFile: out + "/gen/gen.c", atomically: true, encoding: .utf8)
        let check = try run(["kbuild", "--record-dir", out + "/.record", "--no-cache"] + Self.kbuildFlags + ["gen/gen.c"], in: out)
        XCTAssertEqual(check.status, 0, check.stderr)
        XCTAssertTrue(check.stderr.hasPrefix("gen/gen.c:5:6: warning: remap_pfn_range() maps a whole range"), check.stderr)
        XCTAssertTrue(check.stderr.contains("gen/gen.c:5:6: note: chain: .fault of gen_vm_ops → gen_fault → remap_pfn_range"), check.stderr)
    }

    /// A record that cannot be written costs the cross-file chains, not the
    /// file's own findings, and does not stop make.
    func testUnwritableRecordWarnsAndGoesOn() throws {
        let root = try makeTree()
        let blocked = root + "/not-a-folder"
        try "".write(toFile: blocked, atomically: true, encoding: .utf8)
        let out = try run(["kbuild", "--record-dir", blocked, "--no-cache"] + Self.kbuildFlags + ["drivers/demo/demo_self.c"], in: root)
        XCTAssertEqual(out.status, 0, out.stderr)
        XCTAssertTrue(out.stderr.contains("mmlint: warning: ") && out.stderr.contains("pass --record-dir a writable folder"), out.stderr)
        XCTAssertTrue(out.stderr.contains("drivers/demo/demo_self.c:3:6: warning: remap_pfn_range()"), out.stderr)
    }

    func testReportWithoutABuildSaysWhatToDo() throws {
        let root = try makeTree()
        let report = try run(["kbuild", "--report", "--record-dir", root + "/.record"], in: root)
        XCTAssertEqual(report.status, 2)
        XCTAssertTrue(report.stderr.contains("make C=2 CHECK=\"mmlint kbuild\""), report.stderr)
    }

    /// make -jN: checks write the record at once. Every unit and marker
    /// lands whole, and the last writer of one file wins.
    func testRecordTakesConcurrentWriters() throws {
        let folder = try temporaryDirectory(self)
        let record = KbuildRecord(objtree: "/build", cacheDirectory: folder)
        let count = 64
        DispatchQueue.concurrentPerform(iterations: count * 2) { index in
            let n = index % count
            let unit = UnitFacts(file: "/src/f\(n).c", flagMode: .compileDatabase, functions: [
                FunctionFact(usr: "c:@F@f\(n)", name: "f\(n)", location: Location(file: "/src/f\(n).c", line: 1, column: 1),
                             calls: [CallFact(callee: "f\((n + 1) % count)", calleeUSR: "c:@F@f\((n + 1) % count)",
                                              location: Location(file: "/src/f\(n).c", line: 2, column: 2))]),
            ])
            try? record.store(unit)
        }
        let all = record.all()
        XCTAssertEqual(all.units.count, count)
        XCTAssertEqual(Set(all.units.map(\.file)).count, count)
        let first = try XCTUnwrap(all.units.first { $0.file == "/src/f0.c" })
        // f0 calls f1 (onwards) and is called by f63 (backwards), and so on round the ring.
        let linked = record.linked(to: first, limit: 10)
        XCTAssertEqual(linked.count, 10)
        XCTAssertTrue(linked.contains { $0.file == "/src/f1.c" } && linked.contains { $0.file == "/src/f63.c" },
                      linked.map(\.file).joined(separator: " "))
        XCTAssertEqual(record.linked(to: first, limit: 1000).count, count - 1)
    }
}

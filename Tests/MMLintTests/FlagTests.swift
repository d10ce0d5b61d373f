import Foundation
@testable import MMLintEngine
import XCTest

/// Compile databases from GCC-built kernels become clang-acceptable flags.
final class FlagTests: XCTestCase {
    /// A kbuild command line of the shape GCC builds of 6.x produce (written
    /// for this test; flags as kbuild passes them).
    let kbuildCommand = """
        gcc -Wp,-MMD,drivers/demo/.demo.o.d -nostdinc -I./arch/x86/include -I./include \
        -include ./include/linux/kconfig.h -D__KERNEL__ -std=gnu11 -mno-sse -m64 \
        -falign-jumps=1 -falign-loops=1 -mpreferred-stack-boundary=3 -mskip-rax-setup \
        -mindirect-branch=thunk-extern -mindirect-branch-register -mindirect-branch-cs-prefix \
        -mfunction-return=thunk-extern -fno-allow-store-data-races -ftrivial-auto-var-init=zero \
        -fconserve-stack -Wimplicit-fallthrough=5 -mrecord-mcount -Werror -Werror=date-time \
        -isystem /usr/lib/gcc/x86_64-linux-gnu/12/include \
        -DKBUILD_BASENAME='"demo"' -DKBUILD_MODNAME='"demo"' -c -o drivers/demo/demo.o drivers/demo/demo.c
        """

    func testGCCOnlyFlagsAreDroppedAndParseFlagsKept() {
        let argv = ShellWords.split(kbuildCommand)
        let flags = FlagTranslator.translate(argv, source: "/k/drivers/demo/demo.c", directory: "/k",
                                             resourceInclude: "/clang/include")
        for rejected in ["-Wp,-MMD,drivers/demo/.demo.o.d", "-falign-jumps=1", "-falign-loops=1",
                         "-mpreferred-stack-boundary=3", "-mskip-rax-setup", "-mindirect-branch=thunk-extern",
                         "-mindirect-branch-register", "-mindirect-branch-cs-prefix",
                         "-mfunction-return=thunk-extern", "-fno-allow-store-data-races",
                         "-ftrivial-auto-var-init=zero", "-fconserve-stack", "-Wimplicit-fallthrough=5",
                         "-mrecord-mcount", "-Werror", "-Werror=date-time", "-c", "-o", "drivers/demo/demo.o",
                         "drivers/demo/demo.c", "gcc", "/usr/lib/gcc/x86_64-linux-gnu/12/include"] {
            XCTAssertFalse(flags.contains(rejected), rejected)
        }
        for kept in ["-nostdinc", "-I/k/include", "-D__KERNEL__", "-std=gnu11",
                     "-mno-sse", "-m64", "-DKBUILD_BASENAME=\"demo\"", "-DKBUILD_MODNAME=\"demo\""] {
            XCTAssertTrue(flags.contains(kept), kept)
        }
        // Relative include paths are made absolute against the entry's folder;
        // `-include FILE` stays a pair; clang's headers come back under -nostdinc.
        XCTAssertTrue(flags.contains("-I/k/arch/x86/include"))
        let include = flags.firstIndex(of: "-include")!
        XCTAssertEqual(flags[include + 1], "/k/include/linux/kconfig.h")
        let isystem = flags.lastIndex(of: "-isystem")!
        XCTAssertEqual(flags[isystem + 1], "/clang/include")
        XCTAssertTrue(flags.contains("-w"))
    }

    func testShellWords() {
        XCTAssertEqual(ShellWords.split(#"cc -DA='"x y"' -DB="q\"r" a\ b 'c'd"#),
                       ["cc", #"-DA="x y""#, #"-DB=q"r"#, "a b", "cd"])
    }

    func testDatabaseAcceptsBothForms() throws {
        let json = """
            [{"directory": "/k", "file": "a.c", "command": "gcc -DX=1 -c a.c"},
             {"directory": "/k", "file": "/k/sub/b.c", "arguments": ["clang", "-DY", "-c", "sub/b.c"]}]
            """
        let database = try CompileDatabase(data: Data(json.utf8), path: "db.json")
        XCTAssertEqual(database.entry(for: "/k/a.c")?.arguments, ["gcc", "-DX=1", "-c", "a.c"])
        XCTAssertEqual(database.entry(for: "/k/sub/b.c")?.arguments, ["clang", "-DY", "-c", "sub/b.c"])
        let flags = FlagTranslator.translate(database.entry(for: "/k/sub/b.c")!.arguments, source: "/k/sub/b.c",
                                             directory: "/k", resourceInclude: nil)
        XCTAssertTrue(flags.contains("-DY"))
        XCTAssertFalse(flags.contains("sub/b.c"))
    }

    func testDatabaseErrorsNameTheProblem() {
        XCTAssertThrowsError(try CompileDatabase(data: Data("{".utf8), path: "db.json")) { error in
            XCTAssertTrue("\(error)".contains("db.json: not a compile database"), "\(error)")
        }
        XCTAssertThrowsError(try CompileDatabase(data: Data(#"[{"file": "a.c", "command": "cc"}]"#.utf8), path: "db.json")) { error in
            XCTAssertTrue("\(error)".contains("entry 1 lacks \"directory\""), "\(error)")
        }
        XCTAssertThrowsError(try CompileDatabase(data: Data(#"[{"directory": "/", "file": "a.c"}]"#.utf8), path: "db.json")) { error in
            XCTAssertTrue("\(error)".contains("neither \"arguments\" nor \"command\""), "\(error)")
        }
    }

    /// Parallel parses share the process: none may change its current folder.
    func testAnalysisLeavesCurrentFolderAlone() {
        let before = FileManager.default.currentDirectoryPath
        _ = sharedEngine.analyze(AnalysisOptions(files: cFiles(in: Repo.fixtures), jobs: 2))
        XCTAssertEqual(FileManager.default.currentDirectoryPath, before)
    }

    func testPathsNormalize() {
        XCTAssertEqual(Paths.normalize("./a/../b/c.c", relativeTo: "/k/"), "/k/b/c.c")
        XCTAssertEqual(Paths.relative("/k/drivers/x.c", to: "/k"), "drivers/x.c")
        XCTAssertEqual(Paths.relative("/other/x.c", to: "/k"), "/other/x.c")
    }

    /// A tree that looks like a kernel but was never prepared: said once,
    /// files parsed in bare mode, findings still found.
    func testUnpreparedTreeFallsBackToBareMode() throws {
        let root = try temporaryDirectory(self)
        try "VERSION = 6\nPATCHLEVEL = 1\nSUBLEVEL = 0\n".write(toFile: root + "/Makefile", atomically: true, encoding: .utf8)
        try "".write(toFile: root + "/Kconfig", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: root + "/drivers/demo", withIntermediateDirectories: true)
        let source = """
            #include <linux/mm.h>
            static vm_fault_t demo_fault(struct vm_fault *vmf)
            {
            	return remap_pfn_range(vmf->vma, 0, 0, 0, vmf->vma->vm_page_prot) ? VM_FAULT_SIGBUS : VM_FAULT_NOPAGE;
            }
            static const struct vm_operations_struct demo_ops = { .fault = demo_fault };
            """
        try source.write(toFile: root + "/drivers/demo/demo.c", atomically: true, encoding: .utf8)
        let result = sharedEngine.analyze(AnalysisOptions(files: [root + "/drivers/demo/demo.c"]))
        XCTAssertEqual(result.kernelRoot, root)
        XCTAssertEqual(result.kernelVersion?.description, "6.1.0")
        XCTAssertEqual(result.units.map(\.flagMode), [.bare])
        XCTAssertEqual(result.warnings.count, 1)
        XCTAssertTrue(result.warnings[0].contains("generated headers are missing"), result.warnings[0])
        XCTAssertEqual(result.findings.map(\.ruleID), ["mm-remap-in-fault"])
        // 6.1 < 6.3: the lock assertion is announced as coming, not present.
        XCTAssertTrue(result.findings[0].message.contains("from v6.3 on"), result.findings[0].message)
    }

    func testKbuildMakefileFlags() throws {
        let root = try temporaryDirectory(self)
        try FileManager.default.createDirectory(atPath: root + "/drivers/gpu/x/sub", withIntermediateDirectories: true)
        try """
            FULL_PATH=$(srctree)/$(src)/..
            ccflags-y := -I$(FULL_PATH)/include \\
            	-I $(src)/local -DFOO=1
            ccflags-$(CONFIG_ON) += -DON
            ccflags-$(CONFIG_OFF) += -DOFF
            subdir-ccflags-y += -I$(srctree)/$(src)/shared
            CFLAGS_core.o := -DCORE_ONLY
            xdrv-y := core.o sub/other.o
            ifdef CONFIG_ON
            ccflags-y += -DIFDEF_ON
            else
            ccflags-y += -DIFDEF_OFF
            endif
            """.write(toFile: root + "/drivers/gpu/x/Makefile", atomically: true, encoding: .utf8)
        let makefile = try XCTUnwrap(KbuildMakefile(root: root, dir: "drivers/gpu/x", config: ["CONFIG_ON": "y"]))
        XCTAssertEqual(makefile.values("ccflags-y"),
                       ["-I\(root)/drivers/gpu/x/../include", "-Idrivers/gpu/x/local", "-DFOO=1", "-DON", "-DIFDEF_ON"])
        XCTAssertEqual(FlagTranslator.absolutize(["-Idrivers/gpu/x/local", "-I", "a/../b", "-DX=./y"], directory: root),
                       ["-I\(root)/drivers/gpu/x/local", "-I", "\(root)/b", "-DX=./y"])
        XCTAssertEqual(makefile.values("subdir-ccflags-y"), ["-I\(root)/drivers/gpu/x/shared"])
        XCTAssertEqual(makefile.values("CFLAGS_core.o"), ["-DCORE_ONLY"])
        XCTAssertEqual(makefile.compositeObject(containing: "core.o"), "xdrv")
        XCTAssertEqual(makefile.compositeObject(containing: "other.o"), "xdrv")
    }
}

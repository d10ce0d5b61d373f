import Foundation
import LibClang
import MMLintCore
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
        -fsanitize=kernel-address -fasan-shadow-offset=0xdffffc0000000000 --param asan-stack=1 \
        -fsanitize=bounds-strict -fsanitize=shift,bounds-strict \
        -isystem /usr/lib/gcc/x86_64-linux-gnu/12/include \
        -DKBUILD_BASENAME='"demo"' -DKBUILD_MODNAME='"demo"' -c -o drivers/demo/demo.o drivers/demo/demo.c
        """

    /// The parent of a scan answers where clang's own headers are without
    /// loading libclang: the folder the build recorded must be the one
    /// libclang itself finds `stddef.h` in, or flags would differ by process.
    func testBuiltInResourceFolderIsTheOneLibclangUses() throws {
        let builtIn = try XCTUnwrap(ClangResources.builtIn, "the build recorded no resource folder")
        let probed = try XCTUnwrap(ClangResources.probed(), "libclang found no stddef.h")
        XCTAssertEqual(URL(fileURLWithPath: builtIn).resolvingSymlinksInPath().path,
                       URL(fileURLWithPath: probed).resolvingSymlinksInPath().path)
        XCTAssertEqual(ClangResources.includeDirectory, builtIn)
    }

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
                         "-fasan-shadow-offset=0xdffffc0000000000", "-fsanitize=bounds-strict",
                         "-fsanitize=shift,bounds-strict",
                         "drivers/demo/demo.c", "gcc", "/usr/lib/gcc/x86_64-linux-gnu/12/include"] {
            XCTAssertFalse(flags.contains(rejected), rejected)
        }
        for kept in ["-nostdinc", "-I/k/include", "-D__KERNEL__", "-std=gnu11", "-fsanitize=kernel-address",
                     "-fsanitize=bounds", "-fsanitize=shift,bounds",
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
        // Names already normal come back as they are; every other shape is rewritten.
        let cases = ["/": "/", "/k/include/linux/mm.h": "/k/include/linux/mm.h", "/k/.config": "/k/.config",
                     "/k/...": "/k/...", "/k/a..": "/k/a..", "/k/": "/k", "/k//a": "/k/a", "/k/./a": "/k/a",
                     "/k/a/..": "/k", "/k/a/.": "/k/a", "/k/../a": "/a", "/..": "/", "//k": "/k", "/k/.": "/k"]
        for (path, normal) in cases { XCTAssertEqual(Paths.normalize(path), normal, path) }
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

    /// kbuild compiles a module's objects with -DMODULE (module_init()
    /// then defines __inittest()); built-in objects without.
    func testModuleObjectsGetDashDModule() throws {
        let root = try temporaryDirectory(self)
        try FileManager.default.createDirectory(atPath: root + "/drivers/x", withIntermediateDirectories: true)
        try """
            obj-$(CONFIG_XDRV) += xdrv.o
            xdrv-y := core.o
            obj-$(CONFIG_XLIB) += xlib.o
            """.write(toFile: root + "/drivers/x/Makefile", atomically: true, encoding: .utf8)
        let makefile = try XCTUnwrap(KbuildMakefile(root: root, dir: "drivers/x",
                                                    config: ["CONFIG_XDRV": "m", "CONFIG_XLIB": "y"]))
        XCTAssertTrue(makefile.isModule("xdrv.o"))
        XCTAssertFalse(makefile.isModule("xlib.o"))
        XCTAssertFalse(makefile.isModule("core.o"), "a part of a module is found through its composite")
    }

    // MARK: - kbuild's own commands

    /// One line of `make -n` for a module's C file, in the shape 6.1 and 6.12
    /// print it from an O= build (written for this test).
    static let printedCompile = """
        set -e;  echo '  CC [M]  drivers/demo/demo.o';    trap 'rm -f drivers/demo/demo.o; trap - HUP; kill -s HUP $$' HUP; \
        gcc -Wp,-MMD,drivers/demo/.demo.o.d -nostdinc -I/src/arch/x86/include -I./arch/x86/include/generated \
        -I/src/include -include /src/include/linux/kconfig.h -D__KERNEL__ -I /src/drivers/demo/../inc \
        -DMODULE -DKBUILD_BASENAME='"demo"' -DKBUILD_MODNAME='"demo_drv"' -D__KBUILD_MODNAME=kmod_demo_drv \
        -c -o drivers/demo/demo.o /src/drivers/demo/demo.c   ; ./tools/objtool/objtool --module drivers/demo/demo.o; \
        scripts/basic/fixdep drivers/demo/.demo.o.d drivers/demo/demo.o 'gcc -c -o drivers/demo/demo.o /src/drivers/demo/other.c' \
        > drivers/demo/.demo.o.cmd; rm -f drivers/demo/.demo.o.d
        """

    func testKbuildDryRunGivesOneEntryPerCompiledFile() {
        let output = """
            make -f /src/scripts/Makefile.build obj=drivers/demo need-builtin=1 need-modorder=1
            :
            \(Self.printedCompile)
            set -e;  echo '  AS      arch/x86/lib/x.o'; gcc -D__ASSEMBLY__ -c -o arch/x86/lib/x.o /src/arch/x86/lib/x.S
            set -e; echo '  HOSTCC  scripts/kconfig/conf.o'; gcc -Wp,-MMD,scripts/kconfig/.conf.o.d -O2 \\
              -c -o scripts/kconfig/conf.o /src/scripts/kconfig/conf.c
            if [ -f x ]; then ccache x86_64-linux-gnu-gcc-12 -DZ -c -o lib/z.o /src/lib/z.c; fi
            echo "gcc -c -o fake.o /src/fake.c"
            \(Self.printedCompile)
            """
        let entries = KbuildCommands.parse(output, directory: "/out")
        // The .S file, the quoted copy fixdep gets and echo's text are not compiles;
        // the repeated line gives one entry; a continued line is joined.
        XCTAssertEqual(entries.map(\.file), ["/src/drivers/demo/demo.c", "/src/scripts/kconfig/conf.c", "/src/lib/z.c"])
        let demo = entries[0]
        XCTAssertEqual(demo.directory, "/out")
        XCTAssertEqual(demo.arguments.first, "gcc")
        XCTAssertEqual(demo.arguments.last, "/src/drivers/demo/demo.c")
        XCTAssertTrue(demo.arguments.contains(#"-DKBUILD_MODNAME="demo_drv""#))
        XCTAssertFalse(demo.arguments.contains("./tools/objtool/objtool"))
        XCTAssertEqual(entries[2].arguments.prefix(2), ["ccache", "x86_64-linux-gnu-gcc-12"])

        // Paths of the source view move back to the user's tree; the output
        // folder's relative paths stay relative to it.
        let rebased = KbuildCommands.rebase(entries, from: "/src", to: "/home/me/linux")
        XCTAssertEqual(rebased[0].file, "/home/me/linux/drivers/demo/demo.c")
        let flags = FlagTranslator.translate(rebased[0].arguments, source: rebased[0].file, directory: rebased[0].directory,
                                             resourceInclude: nil)
        XCTAssertTrue(flags.contains("-I/home/me/linux/arch/x86/include"))
        XCTAssertTrue(flags.contains("-I/out/arch/x86/include/generated"))
        XCTAssertEqual(flags[flags.firstIndex(of: "-include")! + 1], "/home/me/linux/include/linux/kconfig.h")
        XCTAssertFalse(flags.contains { $0.hasPrefix("/src") || $0.contains("/src/") })
        XCTAssertFalse(flags.contains("/home/me/linux/drivers/demo/demo.c"))
    }

    /// A prepared tree's own generated headers (its config's) must not
    /// shadow those of the config kbuild's commands are for.
    func testOutputFoldersComeBeforeThePreparedTreesOwn() throws {
        let out = try temporaryDirectory(self)
        try FileManager.default.createDirectory(atPath: out + "/include/generated", withIntermediateDirectories: true)
        let entry = CompileDatabase.Entry(directory: out, file: "/k/a/x.c", arguments: [
            "gcc", "-I/k/arch/x86/include", "-I/k/include", "-I./include", "-I", "/k/include", "-I/k/a", "-c", "/k/a/x.c"])
        let once = KbuildCommands.preferOutput([entry], tree: "/k")
        XCTAssertEqual(once[0].arguments, ["gcc", "-I/k/arch/x86/include", "-I\(out)/include", "-I/k/include", "-I./include",
                                           "-I\(out)/include", "-I", "/k/include", "-I/k/a", "-c", "/k/a/x.c"])
        // Done again (a database read back from the cache): unchanged.
        XCTAssertEqual(KbuildCommands.preferOutput(once, tree: "/k")[0].arguments, once[0].arguments)
    }

    func testCompilerNames() {
        for name in ["gcc", "cc", "clang", "/usr/bin/gcc-12", "x86_64-linux-gnu-gcc", "x86_64-linux-gnu-gcc-12", "clang-16"] {
            XCTAssertTrue(KbuildCommands.isCompiler(name), name)
        }
        for name in ["fixdep", "objtool", "gcc-wrapper.sh", "ld", "echo", "recordmcount"] {
            XCTAssertFalse(KbuildCommands.isCompiler(name), name)
        }
    }

    /// A file its config does not build borrows a built neighbour's command:
    /// the same folder first, else the nearest folder above.
    func testNeighbourFlagsForFilesTheConfigDoesNotBuild() {
        let entries = [
            CompileDatabase.Entry(directory: "/out", file: "/k/drivers/a/one.c",
                                  arguments: ["gcc", "-I/k/drivers/a/inc", "-DKBUILD_BASENAME=\"one\"", "-c", "/k/drivers/a/one.c"]),
            CompileDatabase.Entry(directory: "/out", file: "/k/drivers/b.c", arguments: ["gcc", "-DB", "-c", "/k/drivers/b.c"]),
        ]
        var database = CompileDatabase(entries: entries, path: "/cache/db.json")
        XCTAssertEqual(database.neighbour(of: "/k/drivers/a/two.c", within: "/k")?.file, "/k/drivers/a/one.c")
        XCTAssertEqual(database.neighbour(of: "/k/drivers/c/deep/x.c", within: "/k")?.file, "/k/drivers/b.c")
        XCTAssertNil(database.neighbour(of: "/k/fs/x.c", within: "/k"))
        let flags = FlagTranslator.borrow(entries[0], for: "/k/drivers/a/two.c", resourceInclude: nil)
        XCTAssertTrue(flags.contains("-I/k/drivers/a/inc"))
        XCTAssertTrue(flags.contains("-DKBUILD_BASENAME=\"two\""))
        XCTAssertFalse(flags.contains("-DKBUILD_BASENAME=\"one\""))
        XCTAssertFalse(flags.contains("/k/drivers/a/one.c"))
        XCTAssertEqual(flags.last, "-I/k/drivers/a")

        // Another architecture's arch/ is never built here; a file missing
        // from allmodconfig's commands is not built on this architecture, one
        // missing from defconfig's may well be.
        XCTAssertTrue(database.isNotBuiltOnArchitecture("/k/arch/powerpc/kernel/x.c", root: "/k"))
        XCTAssertFalse(database.isNotBuiltOnArchitecture("/k/arch/x86/kernel/x.c", root: "/k"))
        database.kbuildConfig = .defconfig
        XCTAssertFalse(database.isNotBuiltOnArchitecture("/k/drivers/c/x.c", root: "/k"))
        database.kbuildConfig = .allmodconfig
        XCTAssertTrue(database.isNotBuiltOnArchitecture("/k/drivers/c/x.c", root: "/k"))
        XCTAssertFalse(database.isNotBuiltOnArchitecture("/k/drivers/b.c", root: "/k"))
    }

    func testDatabaseWrittenReadsBack() throws {
        let dir = try temporaryDirectory(self)
        let entry = CompileDatabase.Entry(directory: "/out", file: "/k/a.c", arguments: ["gcc", "-DX=\"y z\"", "-c", "/k/a.c"])
        let other = CompileDatabase.Entry(directory: "/out", file: "/k/sub dir/b\\c.c", arguments: ["gcc", "-c", "b.c"])
        try CompileDatabase(entries: [entry, other], path: dir + "/db.json").write(to: dir + "/db.json")
        let read = try CompileDatabase(at: dir + "/db.json")
        // Read from the file it opened, not kept in memory: a database
        // rewritten under the same name (by rename, as mmlint writes) after
        // the load changes nothing.
        XCTAssertEqual(read.textBytesHeld, 0)
        try CompileDatabase(entries: [other], path: dir + "/db.json").write(to: dir + "/db.json")
        XCTAssertEqual(read.entry(for: "/k/a.c"), entry)
        XCTAssertEqual(read.entry(for: other.file), other)
        XCTAssertEqual(read.files, ["/k/a.c", other.file])
        XCTAssertNil(read.entry(for: "/k/c.c"))
        // The shape mmlint writes is indexed without decoding its entries;
        // any other shape is read whole, with the same result.
        try CompileDatabase(entries: [entry, other], path: dir + "/db.json").write(to: dir + "/db.json")
        let data = try XCTUnwrap(FileManager.default.contents(atPath: dir + "/db.json"))
        XCTAssertGreaterThan(try CompileDatabase(data: data, path: "d.json").textBytesHeld, 0)
        XCTAssertEqual(CompileDatabase.objectRanges(data)?.map(\.file), ["/k/a.c", other.file])
        let pretty = try JSONSerialization.data(withJSONObject: try JSONSerialization.jsonObject(with: data), options: [.prettyPrinted])
        XCTAssertNil(CompileDatabase.objectRanges(pretty))
        XCTAssertEqual(try CompileDatabase(data: pretty, path: "p.json").entries, read.entries)
        XCTAssertNil(CompileDatabase.objectRanges(Data(#"[{"directory":"/o","file":"rel.c","command":"cc -c rel.c"}]"#.utf8)))
        XCTAssertEqual(CompileDatabase.objectRanges(Data("[]".utf8))?.count, 0)
        XCTAssertNil(CompileDatabase.objectRanges(Data(#"[{"arguments":[],"directory":"/o","file":"/a.c"}"#.utf8)))
    }

    /// A tree shaped like a configured, partly built kernel, with a Makefile
    /// that answers like kbuild: configuration and prepare write into O=,
    /// the dry run's recursive make prints a compile (written for this test).
    func fakeKernel() throws -> String {
        let root = try temporaryDirectory(self)
        let fm = FileManager.default
        for dir in ["drivers/demo", "include/generated", "include/config", "arch/x86/include/generated", "scripts"] {
            try fm.createDirectory(atPath: root + "/" + dir, withIntermediateDirectories: true)
        }
        let files = [
            "Makefile": """
                VERSION = 6
                PATCHLEVEL = 1
                SUBLEVEL = 0
                src := $(CURDIR)
                olddefconfig defconfig allmodconfig:
                \ttest ! -e $(src)/.config
                \ttest ! -e $(src)/drivers/demo/demo.o
                \techo CONFIG_DEMO=m >> $(O)/.config
                prepare:
                \tmkdir -p $(O)/include/generated && echo '#define CONFIG_DEMO_MODULE 1' > $(O)/include/generated/autoconf.h
                all:
                \t$(MAKE) -f $(src)/scripts/Makefile.build src=$(src) $(DEMO_EXTRA)

                """,
            "scripts/Makefile.build": """
                all:
                \tgcc -nostdinc -I$(src)/include -I./include/generated -DKBUILD_BASENAME='"demo"' -c -o drivers/demo/demo.o $(src)/drivers/demo/demo.c

                """,
            "Kconfig": "config DEMO\n\ttristate \"demo\"\n",
            "drivers/demo/Makefile": "obj-$(CONFIG_DEMO) += demo.o\n",
            "drivers/demo/demo.c": "int demo;\n",
            "drivers/demo/other.c": "int other;\n",
            "drivers/demo/demo.o": "ELF-ish object\n",
            "drivers/demo/.demo.o.cmd": "savedcmd_drivers/demo/demo.o := gcc -c drivers/demo/demo.c\n",
            ".config": "CONFIG_DEMO=y\n",
            "include/generated/autoconf.h": "#define CONFIG_DEMO 1\n",
        ]
        for (path, text) in files { try text.write(toFile: root + "/" + path, atomically: true, encoding: .utf8) }
        return root
    }

    /// Every file of a tree with its content: a tree byte-identical before and after.
    func snapshot(_ root: String) -> [String: Data] {
        var result: [String: Data] = [:]
        for case let path as String in FileManager.default.enumerator(atPath: root) ?? FileManager.DirectoryEnumerator() {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: root + "/" + path, isDirectory: &isDirectory), !isDirectory.boolValue {
                result[path] = FileManager.default.contents(atPath: root + "/" + path)
            }
        }
        return result
    }

    func testKbuildDatabaseMadeInTheCacheAndReusedUntilAMakefileChanges() throws {
        let root = try fakeKernel()
        let cache = try temporaryDirectory(self)
        let before = snapshot(root)
        var said: [String] = []
        let flags = KbuildFlags(tree: root, config: .tree, cacheDirectory: cache, jobs: 1) { message, _ in said.append(message) }
        let first = try flags.database()
        XCTAssertFalse(first.reused)
        XCTAssertEqual(first.database.entries.keys.sorted(), [root + "/drivers/demo/demo.c"])
        XCTAssertEqual(first.database.kbuildConfig, .tree)
        let entry = try XCTUnwrap(first.database.entry(for: root + "/drivers/demo/demo.c"))
        XCTAssertTrue(entry.arguments.contains("-I" + root + "/include"), "\(entry.arguments)")
        XCTAssertTrue(first.path.hasPrefix(cache + "/"))
        XCTAssertTrue(said.contains { $0.contains("make prepare") }, "\(said)")
        // The view held neither configuration nor build output (the Makefile
        // above fails if it had), and the tree is as it was.
        XCTAssertEqual(snapshot(root), before)
        XCTAssertTrue(FileManager.default.fileExists(atPath: flags.folder + "/out/include/generated/autoconf.h"))

        XCTAssertTrue(flags.isCurrent())
        XCTAssertTrue(try flags.database().reused)
        // Touched but unchanged: still current. Changed: made again.
        let makefile = root + "/drivers/demo/Makefile"
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(60)], ofItemAtPath: makefile)
        XCTAssertTrue(flags.isCurrent())
        try "obj-$(CONFIG_DEMO) += demo.o other.o\n".write(toFile: makefile, atomically: false, encoding: .utf8)
        XCTAssertFalse(flags.isCurrent())
        XCTAssertFalse(try flags.database().reused)
        // So is a changed .config for the tree's own config.
        try "CONFIG_DEMO=m\n".write(toFile: root + "/.config", atomically: false, encoding: .utf8)
        XCTAssertFalse(flags.isCurrent())
    }

    /// Whatever kbuild writes in the source view is a write into the user's
    /// tree through a hard link: the run fails and names it.
    func testAWriteIntoTheSourceViewFailsTheRun() throws {
        let root = try fakeKernel()
        let cache = try temporaryDirectory(self)
        // Under -n, make runs a recipe line that names $(MAKE), all of it.
        try (try String(contentsOfFile: root + "/Makefile", encoding: .utf8))
            .replacingOccurrences(of: "\t$(MAKE) -f", with: "\techo changed > $(src)/drivers/demo/other.c; $(MAKE) -f")
            .write(toFile: root + "/Makefile", atomically: true, encoding: .utf8)
        let flags = KbuildFlags(tree: root, config: .tree, cacheDirectory: cache, jobs: 1)
        XCTAssertThrowsError(try flags.database()) { error in
            XCTAssertTrue("\(error)".contains("kbuild wrote into the source view"), "\(error)")
            XCTAssertTrue("\(error)".contains("drivers/demo/other.c"), "\(error)")
        }
        XCTAssertFalse(flags.isCurrent())
    }

    /// With no flags named, a file the tree's config does not build takes
    /// kbuild's command from a database `mmlint flags` cached for the tree;
    /// without one (or with a stale one) its flags are guessed and it is
    /// counted for the summary's hint. Nothing is ever made implicitly.
    func testCachedKbuildDatabaseServesFilesTheTreesConfigDoesNotBuild() throws {
        let root = try fakeKernel()
        let fm = FileManager.default
        try fm.createDirectory(atPath: root + "/arch/x86/include/generated/asm", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: root + "/arch/powerpc/kernel", withIntermediateDirectories: true)
        // The tree's config builds built.c, not demo.c (CONFIG_DEMO unset);
        // allmodconfig's command for demo.c sees its own autoconf.h.
        let files = [
            ".config": "CONFIG_OTHER=y\n",
            "include/config/auto.conf": "CONFIG_OTHER=y\n",
            "include/generated/autoconf.h": "#define CONFIG_OTHER 1\n",
            "drivers/Makefile": "obj-y += demo/\n",
            "drivers/demo/Makefile": "obj-$(CONFIG_DEMO) += demo.o\nobj-$(CONFIG_OTHER) += built.o\n",
            "drivers/demo/demo.c": """
                #include <generated/autoconf.h>
                #ifndef CONFIG_DEMO_MODULE
                static struct not_configured demo_state = NOT_CONFIGURED;
                #endif
                int demo;

                """,
            "drivers/demo/built.c": "#include <generated/autoconf.h>\nint built = CONFIG_OTHER;\n",
            "arch/powerpc/kernel/ppc.c": "int ppc;\n",
        ]
        for (path, text) in files { try text.write(toFile: root + "/" + path, atomically: true, encoding: .utf8) }
        let demo = root + "/drivers/demo/demo.c", built = root + "/drivers/demo/built.c"
        let other = root + "/drivers/demo/other.c", ppc = root + "/arch/powerpc/kernel/ppc.c"
        let cache = try temporaryDirectory(self)
        var lastResult: AnalysisResult?
        func analyze(database: CompileDatabase? = nil, kbuildCache: String? = cache) -> [String: UnitFacts] {
            let result = sharedEngine.analyze(AnalysisOptions(files: [demo, built, other, ppc], compileDatabase: database,
                                                              jobs: 1, kbuildCache: kbuildCache))
            lastResult = result
            return Dictionary(uniqueKeysWithValues: result.units.map { ($0.file, $0) })
        }

        // Nothing cached: guessed flags, counted for the hint; the other
        // architecture's file is said apart.
        var units = analyze()
        XCTAssertEqual(units[demo]?.flagMode, .kernelTree)
        XCTAssertNotEqual(units[demo]?.errors.count, 0, "the tree's headers lack the module's config")
        XCTAssertEqual(lastResult?.withoutKbuildCommand, [demo, other])
        XCTAssertEqual(lastResult?.notBuiltOnArchitecture, [ppc])
        XCTAssertEqual(units[built]?.flagMode, .kernelTree)
        XCTAssertEqual(units[built]?.errors.map(\.message), [])

        // allmodconfig cached: its exact command for demo.c; other.c, which
        // it does not build either, is not built on this architecture.
        let allmod = KbuildFlags(tree: root, config: .allmodconfig, cacheDirectory: cache, jobs: 1)
        XCTAssertFalse(try allmod.database().reused)
        units = analyze()
        XCTAssertEqual(units[demo]?.flagMode, .compileDatabase)
        XCTAssertEqual(units[demo]?.errors.map(\.message), [])
        let note = lastResult?.flagNotes.first { $0.hasPrefix("drivers/demo/demo.c: ") } ?? ""
        XCTAssertTrue(note.contains("not built by the tree's .config; flags from kbuild's commands for allmodconfig"), note)
        XCTAssertEqual(units[built]?.flagMode, .kernelTree, "a file the tree's config builds keeps its config")
        XCTAssertEqual(lastResult?.withoutKbuildCommand, [])
        XCTAssertEqual(lastResult?.notBuiltOnArchitecture, [other, ppc])

        // Named flags are used alone; the tree's own database comes first.
        let named = CompileDatabase(entries: [CompileDatabase.Entry(directory: root, file: demo,
                                                                    arguments: ["gcc", "-DCONFIG_DEMO_MODULE", "-c", demo])],
                                    path: root + "/compile_commands.json")
        units = analyze(database: named, kbuildCache: nil)
        XCTAssertEqual(units[demo]?.flagMode, .compileDatabase)
        XCTAssertTrue(lastResult?.flagNotes.contains { $0.hasPrefix("drivers/demo/demo.c: flags from compile database") } ?? false)
        XCTAssertEqual(units[other]?.flagMode, .kernelTree)
        units = analyze(database: named)
        XCTAssertTrue(lastResult?.flagNotes.contains { $0.hasPrefix("drivers/demo/demo.c: flags from compile database") } ?? false)

        // The tree's own config's database, when cached, decides what that
        // config builds: built.c is missing from it, so it is not built here.
        let own = KbuildFlags(tree: root, config: .tree, cacheDirectory: cache, jobs: 1)
        _ = try own.database()
        units = analyze()
        XCTAssertTrue(lastResult?.flagNotes.contains { $0.hasPrefix("drivers/demo/demo.c: flags from kbuild's commands for the tree's .config") } ?? false,
                      "\(lastResult?.flagNotes ?? [])")
        XCTAssertEqual(lastResult?.notBuiltOnArchitecture, [built, other, ppc])

        // A Makefile changed: the cached databases are stale and nothing is
        // made again; flags are guessed and the hint counts the files.
        try "obj-$(CONFIG_DEMO) += demo.o\nobj-$(CONFIG_OTHER) += built.o other.o\n"
            .write(toFile: root + "/drivers/demo/Makefile", atomically: false, encoding: .utf8)
        units = analyze()
        XCTAssertEqual(units[demo]?.flagMode, .kernelTree)
        XCTAssertEqual(lastResult?.withoutKbuildCommand, [demo])
        XCTAssertFalse(allmod.isCurrent())
        XCTAssertFalse(own.isCurrent())
    }

    /// What the Makefile reader says the tree's config builds.
    func testKernelTreeBuildsWhatItsMakefilesList() throws {
        let root = try temporaryDirectory(self)
        let fm = FileManager.default
        for dir in ["drivers/a/sub", "drivers/b", "include/generated", "include/config", "arch/x86/include/generated/asm",
                    "arch/x86/kernel", "arch/arm/kernel"] {
            try fm.createDirectory(atPath: root + "/" + dir, withIntermediateDirectories: true)
        }
        let files = [
            "Makefile": "VERSION = 6\nPATCHLEVEL = 1\n",
            "Kconfig": "",
            "include/generated/autoconf.h": "",
            "include/config/auto.conf": "CONFIG_A=m\nCONFIG_SUB=y\n",
            "drivers/Makefile": "obj-$(CONFIG_A) += a/\nobj-$(CONFIG_B) += b/\n",
            "drivers/a/Makefile": "obj-$(CONFIG_A) += adrv.o\nadrv-y := core.o\nadrv-$(CONFIG_OFF) += off.o\nobj-$(CONFIG_SUB) += sub/\n",
            "drivers/a/sub/Makefile": "obj-y += s.o\n",
            "drivers/b/Makefile": "obj-y += b.o\n",
            "arch/x86/Kbuild": "obj-y += kernel/\n",
            "arch/x86/kernel/Makefile": "obj-y += k.o\n",
            "arch/arm/kernel/Makefile": "obj-y += k.o\n",
        ]
        for (path, text) in files { try text.write(toFile: root + "/" + path, atomically: true, encoding: .utf8) }
        let tree = KernelTree(root: root)
        XCTAssertTrue(tree.isPrepared)
        for (file, expected) in [("drivers/a/core.c", true), ("drivers/a/off.c", false), ("drivers/a/sub/s.c", true),
                                 ("drivers/b/b.c", false), ("drivers/a/unlisted.c", false),
                                 ("arch/x86/kernel/k.c", true), ("arch/arm/kernel/k.c", false)] {
            XCTAssertEqual(tree.builds(root + "/" + file), expected, file)
        }
    }

    func testKernelConfigArguments() throws {
        XCTAssertEqual(try KernelConfig(argument: "allmodconfig"), .allmodconfig)
        XCTAssertEqual(try KernelConfig(argument: "defconfig"), .defconfig)
        XCTAssertEqual(try KernelConfig(argument: "tree"), .tree)
        XCTAssertThrowsError(try KernelConfig(argument: "/no/such/config")) { error in
            XCTAssertTrue("\(error)".contains("not defconfig, allmodconfig or tree, and no such file"), "\(error)")
        }
    }
}

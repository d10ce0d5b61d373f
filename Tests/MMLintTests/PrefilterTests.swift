import Foundation
import MMLintCore
import MMLintEngine
import MMLintRules
@testable import MMLintIndex
import XCTest

/// The token scanner's facts, and the prefilter's selection: exactly the
/// expected sources of each fixture tree, the same findings from those as
/// from every source, and a small selection on a real kernel tree.
final class PrefilterTests: XCTestCase {
    /// The prefilter as `mmlint` configures it: everything from rules/.
    /// The prefilter `mmlint scan` uses, for the two rules these trees were
    /// written for (calls of watched APIs; `FixtureTests` holds every rule's
    /// fixtures to the prefilter).
    static let prefilter = engine.prefilter(threads: 2)
    static let engine: Engine = {
        do { return try Engine(builtins: BuiltinRules.all, knowledge: sharedEngine.knowledge, ruleIDs: ["mm-remap-in-fault", "mm-follow-pfn"]) }
        catch { fatalError("\(error)") }
    }()

    // MARK: Scanner

    func scan(_ source: String) -> FileFacts {
        TokenScanner(vocabulary: Self.prefilter.vocabulary).scan(Array(source.utf8))
    }

    func function(_ facts: FileFacts, _ name: String, file: StaticString = #filePath,
                  line: UInt = #line) throws -> Definition {
        try XCTUnwrap(facts.functions.first { facts.name($0.name) == name }, "no function \(name)",
                      file: file, line: line)
    }

    func testFunctionsCallsAndReferences() throws {
        let facts = scan("""
            /* static vm_fault_t commented(void) { remap_pfn_range(); } */
            #include <linux/mm.h>

            static vm_fault_t __maybe_unused cam_fault(struct vm_fault *vmf)
            {
            	const char *s = "helper_in_string(";
            	char c = '{';

            	if (cam_map(vmf->vma, s, c))      // cam_map is called
            		return VM_FAULT_SIGBUS;
            	vmf->vma->vm_ops->fault(vmf);     // members name nothing
            	return (do_map)(vmf) + use(&other_fn);
            }

            int __init __printf(1, 2) cam_init(const char *fmt, ...) __acquires(lock)
            {
            	return 0;
            }
            """)
        XCTAssertEqual(facts.functions.map { facts.name($0.name) }, ["cam_fault", "cam_init"])
        let fault = try function(facts, "cam_fault")
        XCTAssertEqual(fault.line, 4)
        XCTAssertTrue(fault.flags.contains(.isStatic))
        XCTAssertEqual(facts.names(fault.prefix), ["static", "vm_fault_t", "__maybe_unused"])
        // Every identifier before `(` counts, keywords too (one may be a macro).
        XCTAssertEqual(facts.names(fault.calls), ["if", "cam_map", "return", "do_map", "use"])
        XCTAssertEqual(Set(facts.names(fault.references)),
                       ["const", "char", "s", "c", "vmf", "return", "VM_FAULT_SIGBUS", "do_map", "other_fn"],
                       "values, and `do_map` of `(do_map)(…)` before it shows called; no member names")
        let initializer = try function(facts, "cam_init")
        XCTAssertFalse(initializer.flags.contains(.isStatic))
        XCTAssertEqual(facts.names(initializer.prefix), ["int", "__init", "__printf"])
    }

    func testStorageClassBelongsToItsOwnDeclaration() throws {
        let facts = scan("""
            static DEFINE_SPINLOCK(cam_lock)
            int cam_open(struct cam *cam)
            {
            	return 0;
            }
            static __printf(2, 3) vm_fault_t cam_log(struct cam *cam, const char *fmt, ...)
            {
            	return 0;
            }
            """)
        let open = try function(facts, "cam_open")
        XCTAssertFalse(open.flags.contains(.isStatic), "`static` went with DEFINE_SPINLOCK")
        XCTAssertEqual(facts.names(open.prefix), ["int"])
        let log = try function(facts, "cam_log")
        XCTAssertTrue(log.flags.contains(.isStatic))
        XCTAssertEqual(facts.names(log.prefix), ["static", "__printf", "vm_fault_t"])
    }

    func testMacrosSkipParametersAndTellWhatTheyCall() throws {
        let facts = scan("""
            #define FB_MAP(vma, pfn) \\
            	remap_pfn_range((vma), (vma)->vm_start, (pfn), PAGE_SIZE, prot)
            #define REG_BASE 0x1000
            #define CALL_HOOK(fn, arg) fn(arg)
            #define VIA_HOOK(fn) CALL_HOOK(fn, 0)
            #define MAKE(name) int name##_count
            #define LOG(fmt, ...) printk(fmt, ##__VA_ARGS__)
            #define SET_FAULT(ops, fn) ((ops)->fault = (fn))
            """)
        let macros = Dictionary(uniqueKeysWithValues: facts.macros.map { (facts.name($0.name), $0) })
        XCTAssertNil(macros["REG_BASE"], "a body without identifiers leads nowhere and is not kept")
        let map = try XCTUnwrap(macros["FB_MAP"])
        XCTAssertEqual(map.line, 1)
        XCTAssertEqual(facts.names(map.calls), ["remap_pfn_range"])
        XCTAssertEqual(facts.names(map.references), ["PAGE_SIZE", "prot"])
        XCTAssertEqual(facts.names(map.parameters), ["vma", "pfn"])
        XCTAssertTrue(map.flags.contains(.functionLike))
        XCTAssertTrue(try XCTUnwrap(macros["CALL_HOOK"]).flags.contains(.callsParameter))
        let via = try XCTUnwrap(macros["VIA_HOOK"])
        XCTAssertFalse(via.flags.contains(.callsParameter))
        XCTAssertEqual(facts.names(via.forwards), ["CALL_HOOK"])
        XCTAssertTrue(try XCTUnwrap(macros["MAKE"]).flags.contains(.pastes))
        XCTAssertFalse(try XCTUnwrap(macros["LOG"]).flags.contains(.pastes), "`, ## __VA_ARGS__` pastes nothing")
        XCTAssertTrue(try XCTUnwrap(macros["SET_FAULT"]).flags.contains(.bindsParameter))
        XCTAssertFalse(map.flags.contains(.bindsParameter))
    }

    func testCallbackBindings() throws {
        let facts = scan("""
            static const struct vm_operations_struct cam_ops = {
            	.open = cam_open,
            	.fault = cam_fault,
            	.page_mkwrite = (void *)&cam_mkwrite,
            };

            static void setup(struct drm_obj *obj)
            {
            	obj->vm_ops.huge_fault = cond ? huge_a : huge_b;
            	obj->ops->pfn_mkwrite = &obj_pfn;
            	if (obj->ops->fault == NULL)
            		obj->ops->fault += 1;
            }

            static const struct vm_operations_struct old_ops = { old_open, old_close, old_fault };

            #define DEFINE_OPS(name) \\
            	static const struct vm_operations_struct name##_ops = { .map_pages = name##_map }
            """)
        XCTAssertEqual(facts.names(facts.outside),
                       ["static", "const", "struct", "vm_operations_struct", "cam_ops", "cam_open", "cam_fault", "void",
                        "cam_mkwrite", "setup", "drm_obj", "obj", "old_ops", "old_open", "old_close", "old_fault"],
                       "file-scope identifiers, members aside")
        let bindings = facts.bindings.map { binding in
            "\(binding.field.map(facts.name) ?? "?")@\(binding.line) \(binding.context) "
                + "\(binding.holder.map(facts.name) ?? "-"): \(facts.names(binding.value).joined(separator: " "))"
        }
        XCTAssertEqual(bindings, [
            "fault@3 fileScope cam_ops: cam_fault",
            "page_mkwrite@4 fileScope cam_ops: void cam_mkwrite",
            "huge_fault@9 function setup: cond huge_a huge_b",
            "pfn_mkwrite@10 function setup: obj_pfn",
            "?@15 fileScope old_ops: old_open old_close old_fault",
            "map_pages@18 macro DEFINE_OPS: _map",
        ])
    }

    func testPreprocessorNoiseAndBraceRecovery() throws {
        let facts = scan("""
            #if 0
            static int dead(void) { return remap_pfn_range(); }
            #else
            static int alive(void) { return 1; }
            #endif
            #ifdef CONFIG_A
            static int twice(int a) {
            #else
            static int twice(int a, int b) {
            #endif
            	return helper(a);
            }

            static int after(void)
            {
            #ifdef CONFIG_B
            	if (x) {
            		one();
            	}
            #else
            	if (x) {
            		two();
            	}
            #endif
            	}
            	three();
            }

            int last(void)
            {
            	return 0;
            }
            """)
        XCTAssertEqual(facts.functions.map { facts.name($0.name) }, ["alive", "twice", "after", "last"])
        XCTAssertTrue(try function(facts, "twice").calls.count > 0)
        XCTAssertTrue(facts.names(try function(facts, "twice").calls).contains("helper"),
                      "the body after a doubled `{` stays with the function")
        XCTAssertEqual(Set(facts.names(try function(facts, "after").calls)), ["if", "one", "two", "three"],
                       "an early `}` does not cut the body short")
        XCTAssertEqual(try function(facts, "last").line, 29)
    }

    func testGeneratorsAndIncludedSources() throws {
        let facts = scan("""
            #include "impl.c"
            DEFINE_REMAP_FAULT(cam);
            int prototype(int x);
            SYSCALL_DEFINE1(cam_ctl, int, cmd)
            {
            	return cam_ctl_impl(cmd);
            }
            """)
        XCTAssertEqual(facts.includedFiles, ["impl.c"])
        XCTAssertEqual(facts.sites.map { "\(facts.name($0.name))(\(facts.names($0.arguments).joined(separator: ",")))" },
                       ["DEFINE_REMAP_FAULT(cam)", "SYSCALL_DEFINE1(cam_ctl,int,cmd)"])
        XCTAssertTrue(try function(facts, "SYSCALL_DEFINE1").flags.contains(.untyped))
    }

    func testFactsRoundTripThroughJSON() throws {
        let facts = scan("static vm_fault_t f(struct vm_fault *vmf) { return g(vmf); }\n#define M(x) h(x)\n")
        let decoded = try JSONDecoder().decode(FileFacts.self, from: JSONEncoder().encode(facts))
        XCTAssertEqual(decoded, facts)
    }

    // MARK: Selection on fixture trees

    /// Copies `fixtures/prefilter/<name>` to a temporary folder, `*.c.in` as
    /// `*.c`; `files` counts everything copied (sources, headers, fragments).
    func tree(_ name: String) throws -> (root: String, sources: [String], headers: [String], files: Int) {
        let from = Repo.fixtures + "/prefilter/" + name
        let root = try temporaryDirectory(self) + "/" + name
        let fm = FileManager.default
        try fm.createDirectory(atPath: root, withIntermediateDirectories: true)
        var sources: [String] = []
        var headers: [String] = []
        for file in try fm.contentsOfDirectory(atPath: from).sorted() {
            let target = root + "/" + (file.hasSuffix(".c.in") ? String(file.dropLast(3)) : file)
            try fm.copyItem(atPath: from + "/" + file, toPath: target)
            if target.hasSuffix(".c") { sources.append(target) }
            if target.hasSuffix(".h") { headers.append(target) }
        }
        XCTAssertFalse(sources.isEmpty, "no sources in \(from)")
        return (root, sources, headers, try fm.contentsOfDirectory(atPath: from).count)
    }

    /// Selects in the fixture tree `name`: the selection must be `expected`
    /// (file names), and the engine must find the same in it as in every
    /// source, `findings` of them.
    func check(_ name: String, rules: [String]? = nil, version: KernelVersion? = nil, selects expected: [String],
               findings: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let engine = try rules.map { try Engine(builtins: BuiltinRules.all, knowledge: sharedEngine.knowledge, ruleIDs: $0) } ?? Self.engine
        let prefilter = rules == nil && version == nil ? Self.prefilter : engine.prefilter(threads: 2, kernelVersion: version)
        let tree = try tree(name)
        let selection = prefilter.select(sources: tree.sources, headers: tree.headers)
        XCTAssertEqual(selection.files.map { ($0 as NSString).lastPathComponent }, expected,
                       "reasons: \(selection.reasons)", file: file, line: line)
        XCTAssertEqual(selection.counts.filesRead, tree.files, "every source, header and included fragment",
                       file: file, line: line)
        XCTAssertEqual(selection.counts.selected, selection.files.count, file: file, line: line)
        for selected in selection.files {
            XCTAssertFalse(selection.reasons[selected, default: []].isEmpty, "no reason for \(selected)",
                           file: file, line: line)
        }

        func describe(_ files: [String]) -> [String] {
            let result = engine.analyze(AnalysisOptions(files: files, jobs: 2, kernelVersion: version))
            XCTAssertEqual(result.failures, [], file: file, line: line)
            return result.findings.map { finding in
                [finding.ruleID, "\(finding.location.file):\(finding.location.line):\(finding.location.column)",
                 finding.callee, finding.chain.joined(separator: " → "), finding.confidence.rawValue,
                 finding.message].joined(separator: " | ")
            }
        }
        let everything = describe(tree.sources)
        XCTAssertEqual(everything.count, findings, "findings of the whole tree: \(everything)", file: file, line: line)
        XCTAssertEqual(selection.files.isEmpty ? [] : describe(selection.files), everything, file: file, line: line)
    }

    func testHelperInAnotherFile() throws {
        try check("cross-file", selects: ["cam_fault.c", "cam_window.c"], findings: 1)
    }

    func testMacroInHeaderExpandingToTheAPI() throws {
        try check("header-macro", selects: ["fb_fault.c"], findings: 1)
    }

    func testStaticInlineHeaderHelper() throws {
        try check("header-inline", selects: ["ring_fault.c"], findings: 1)
    }

    func testOpsTableInAThirdFile() throws {
        try check("ops-elsewhere", selects: ["dev_fault.c", "dev_map.c", "dev_ops.c"], findings: 1)
    }

    func testFollowPfnAnywhere() throws {
        try check("follow-pfn", selects: ["lookup.c", "through_macro.c"], findings: 2)
    }

    func testSameStaticNameInSeveralFiles() throws {
        try check("same-static", selects: ["c_dev.c"], findings: 1)
    }

    func testDefineAliases() throws {
        try check("alias", selects: ["bar_fault.c", "bar_map.c"], findings: 2)
    }

    func testBindingWrittenByAMacro() throws {
        try check("macro-binding", selects: ["handler.c", "setup.c"], findings: 1)
    }

    func testMacroGeneratedHandler() throws {
        try check("generator", selects: ["cam.c"], findings: 1)
        // A generated name holds its argument as whole `_`-separated parts.
        try check("generator-parts", rules: ["mm-fault-mmap-lock"], selects: ["fault.c", "sys.c"], findings: 2)
    }

    /// `MMLINT_PREFILTER_EXPLAIN`'s path: the fewest functions, a macro
    /// between two of them counting nothing, within the bound.
    func testExplainedPathTakesTheFewestFunctions() {
        // 0 → 1 → 2 → 3 through functions; 0 → 4 (a macro) → 3 with one.
        let graph = NameGraph(nodeCount: 5, sources: [0, 1, 2, 0, 4], targets: [1, 2, 3, 4, 3])
        let counts: (UInt32) -> Bool = { $0 != 4 }
        XCTAssertEqual(graph.path(from: [0], to: { $0 == 3 }, limit: 5, counts: counts), [0, 4, 3])
        XCTAssertEqual(graph.path(from: [0], to: { $0 == 2 }, limit: 5, counts: counts), [0, 1, 2])
        XCTAssertNil(graph.path(from: [0], to: { $0 == 2 }, limit: 1, counts: counts))
        XCTAssertEqual(graph.distances(from: [0], reverse: false, limit: 5, counts: counts), [0, 1, 2, 1, 0])
        XCTAssertEqual(graph.distances(from: [3], reverse: true, limit: 5, counts: counts), [1, 2, 1, 0, 1])
    }

    /// A keyword in a macro's body (`(long)`, `(void *)`) is no call of a
    /// function an expansion generates, even when the expansion has the
    /// keyword among its arguments (`DEFINE_MM_CALL1(pin, long, addr)`).
    func testKeywordsAreNoGeneratedNames() throws {
        try check("generator-keywords", rules: ["mm-fault-mmap-lock"], selects: ["pin_fault.c", "sys.c"], findings: 2)
    }

    func testSourceIncludedByAnother() throws {
        try check("included-source", selects: ["ring_impl.c", "ring_main.c"], findings: 2)
    }

    func testHandlerInAHeaderCalledFromOneSource() throws {
        try check("header-root", selects: ["user.c"], findings: 1)
    }

    func testFirstDefinitionOfAGlobalName() throws {
        try check("first-definition", selects: ["a_helper.c", "b_helper.c"], findings: 1)
    }

    // MARK: Local evidence, one tree per kind

    func testAnywhereEvidenceNeedsOnlyThePathsFromRoots() throws {
        try check("local-call", selects: ["fault.c", "lookup.c"], findings: 1)
    }

    func testEvidenceInAMacroExpandedInTheBody() throws {
        try check("macro-expansion", rules: ["mm-fault-mmap-lock"], selects: ["fault.c", "sync.c"], findings: 2)
    }

    func testRuleSilentAtTheTreesVersionGivesNoEvidence() throws {
        try check("version-gate", rules: ["mm-vm-flags-direct"], version: KernelVersion("6.1"), selects: [], findings: 0)
        try check("version-gate", rules: ["mm-vm-flags-direct"], selects: [], findings: 0)
        try check("version-gate", rules: ["mm-vm-flags-direct"], version: KernelVersion("6.3"),
                  selects: ["mmap.c"], findings: 1)
    }

    func testChainsLongerThanTheBoundKeepNoFile() throws {
        try check("chain-bound", rules: ["mm-remap-in-fault"], selects: ["near.c", "near_map.c"], findings: 1)
    }

    func testInstallersKeepOnlyTheCalleesThatCanSetTheFlag() throws {
        try check("holder-setter", rules: ["mm-insert-needs-flags"],
                  selects: ["cam_fault.c", "cam_flags.c", "cam_mmap.c", "cam_prepare.c"], findings: 0)
    }

    func testRwsemCallsCountOnlyOnTheMmapLock() throws {
        try check("mmap-lock-argument", rules: ["mm-fault-mmap-lock"], selects: ["a_wait.c"], findings: 2)
    }

    func testSanctionedHelpersHoldNoEvidence() throws {
        try check("sanctioned-cut", rules: ["mm-fault-mmap-lock"], selects: ["drop.c"], findings: 1)
    }

    func testErrnoEvidenceIsLocalToVmFaultFunctions() throws {
        try check("errno-store", rules: ["mm-fault-errno"], selects: ["copy.c", "dmem.c"], findings: 1)
    }

    func testUnreadableSourceIsSelected() throws {
        let tree = try tree("cross-file")
        let missing = tree.root + "/gone.c"
        let selection = Self.prefilter.select(sources: tree.sources + [missing], headers: tree.headers)
        XCTAssertTrue(selection.files.contains(missing))
        XCTAssertEqual(selection.counts.unreadable, 1)
    }

    func testSelectionFromCachedFacts() throws {
        let tree = try tree("ops-elsewhere")
        let scanner = TokenScanner(vocabulary: Self.prefilter.vocabulary)
        let facts = try (tree.sources + tree.headers).map { try scanner.scan(Array(Data(contentsOf: URL(fileURLWithPath: $0)))) }
        XCTAssertEqual(Self.prefilter.select(sources: tree.sources, headers: tree.headers, facts: facts).files,
                       Self.prefilter.select(sources: tree.sources, headers: tree.headers).files)
    }

    // MARK: Rules' evidence beyond calls

    /// The file names `prefilter` selects in fixture tree `name`.
    func selected(_ name: String, by prefilter: Prefilter) throws -> [String] {
        let tree = try tree(name)
        return prefilter.select(sources: tree.sources, headers: tree.headers).files
            .map { ($0 as NSString).lastPathComponent }
    }

    /// A prefilter watching nothing but what a test sets.
    var bare: Prefilter {
        var prefilter = Self.prefilter
        prefilter.faultAPIs = []
        prefilter.anywhereAPIs = []
        prefilter.groups = []
        return prefilter
    }

    func testScannerRecordsWatchedMembers() throws {
        let scanner = TokenScanner(vocabulary: Vocabulary(
            callbackFields: ["fault"], callbackStructs: ["vm_operations_struct"],
            members: ["vm_flags"], memberWrites: ["vm_flags"]))
        let facts = scanner.scan(Array("""
            void a(struct vm_area_struct *vma)
            {
            	vma->vm_flags |= VM_IO;
            }
            void b(struct vm_area_struct *vma)
            {
            	if (vma->vm_flags == 0 || vma->vm_flags <= 1)
            		return;
            }
            void c(struct vm_area_struct vma)
            {
            	vma.vm_flags = 0;
            	vma.vm_flags <<= 1;
            }
            #define SET_IO(v) ((v)->vm_flags |= VM_IO)
            void d(struct vm_area_struct *vma) { vma->vm_pgoff = 0; }

            """.utf8))
        let calls = Dictionary(uniqueKeysWithValues: facts.functions.map {
            (facts.name($0.name), facts.names($0.calls).filter { $0.hasPrefix("->") })
        })
        XCTAssertEqual(calls["a"], ["->vm_flags", "->vm_flags="])
        XCTAssertEqual(calls["b"], ["->vm_flags"], "== and <= compare, they do not write")
        XCTAssertEqual(calls["c"], ["->vm_flags", "->vm_flags="])
        XCTAssertEqual(calls["d"], [])
        XCTAssertEqual(facts.macros.map { facts.names($0.calls).filter { $0.hasPrefix("->") } }, [["->vm_flags", "->vm_flags="]])
    }

    func testMemberWriteOnAFaultPathInAnotherFile() throws {
        var prefilter = bare
        prefilter.faultMemberWrites = ["vm_flags"]
        XCTAssertEqual(try selected("member-write", by: prefilter), ["flags_fault.c", "flags_helper.c"])
        prefilter.faultMemberWrites = []
        prefilter.faultMembers = ["vm_flags"]
        XCTAssertEqual(try selected("member-write", by: prefilter),
                       ["flags_fault.c", "flags_helper.c", "flags_reader.c"])
        prefilter.faultMembers = []
        prefilter.anywhereMemberWrites = ["vm_flags"]
        // Callers come along: on a fault path a rule's words differ.
        XCTAssertEqual(try selected("member-write", by: prefilter),
                       ["flags_fault.c", "flags_helper.c", "flags_mmap.c"])
        XCTAssertEqual(try selected("member-write", by: bare), [])
    }

    func testNameWhoseMacroIsOnlyANumber() throws {
        var prefilter = bare
        prefilter.faultAPIs = ["EINVAL"]
        XCTAssertEqual(try selected("evidence-name", by: prefilter), ["bad_fault.c"])
        prefilter.faultAPIs = []
        prefilter.anywhereAPIs = ["EINVAL"]
        XCTAssertEqual(try selected("evidence-name", by: prefilter), ["bad_fault.c", "ioctl.c"])
    }

    func testEveryRootWhenRootsAreEvidence() throws {
        var prefilter = bare
        XCTAssertEqual(try selected("roots", by: prefilter), [])
        prefilter.rootsAreEvidence = true
        XCTAssertEqual(try selected("roots", by: prefilter), ["one_fault.c", "two_fault.c", "two_ops.c"])
    }

    func testHoldersSelectTheMmapHandlerInstallingOps() throws {
        var prefilter = bare
        prefilter.holdersNeeded = true
        XCTAssertEqual(try selected("roots", by: prefilter), [], "no relevant root: no table to install")
        prefilter.rootsAreEvidence = true
        XCTAssertEqual(try selected("roots", by: prefilter), ["one_fault.c", "two_fault.c", "two_mmap.c", "two_ops.c"],
                       "two_vm_ops holds a relevant root: its install in two_mmap() is needed")
    }

    // MARK: A real tree

    /// Where scripts/prepare-kernels.sh puts the trees: $MMLINT_KERNEL_CACHE,
    /// else ${XDG_CACHE_HOME:-~/.cache}/mmlint/kernels.
    static func kernelCache(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let explicit = environment["MMLINT_KERNEL_CACHE"], !explicit.isEmpty { return explicit }
        let base = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (NSHomeDirectory() + "/.cache")
        return base + "/mmlint/kernels"
    }

    func testKernelCacheFollowsTheVariablesPrepareKernelsHonours() {
        XCTAssertEqual(Self.kernelCache(["MMLINT_KERNEL_CACHE": "/k", "XDG_CACHE_HOME": "/x"]), "/k")
        XCTAssertEqual(Self.kernelCache(["MMLINT_KERNEL_CACHE": "", "XDG_CACHE_HOME": "/x"]), "/x/mmlint/kernels")
        XCTAssertEqual(Self.kernelCache(["XDG_CACHE_HOME": ""]), NSHomeDirectory() + "/.cache/mmlint/kernels")
    }

    func testKernelTreeSelectionIsSmall() throws {
        let root = Self.kernelCache() + "/linux-source-6.1"
        guard FileManager.default.fileExists(atPath: root + "/Makefile") else {
            XCTFail("\(root) is missing: run scripts/prepare-kernels.sh to test the prefilter on a real tree")
            return
        }
        let started = Date()
        let tree = SourceTree(walking: root)
        let selection = Self.prefilter.select(sources: tree.sources, headers: tree.headers)
        let seconds = Date().timeIntervalSince(started)
        print("prefilter: \(tree.sources.count) sources, \(tree.headers.count) headers, "
              + "\(selection.counts.bytesRead) bytes in \(String(format: "%.2f", seconds)) s: "
              + "\(selection.files.count) selected")
        for file in selection.files { print("  \(file.dropFirst(root.count + 1)): \(selection.reasons[file]!.joined(separator: "; "))") }
        XCTAssertGreaterThan(tree.sources.count, 30_000)
        XCTAssertGreaterThanOrEqual(selection.counts.filesRead, tree.sources.count + tree.headers.count,
                                    "every source and header, and the fragments they include (`.inl`, …)")
        XCTAssertTrue(selection.files.contains(root + "/drivers/vfio/pci/vfio_pci_core.c"))
        XCTAssertTrue(selection.files.contains(root + "/drivers/media/v4l2-core/videobuf-dma-contig.c"))
        XCTAssertLessThan(selection.files.count, 400, "selected \(selection.files.count) of \(tree.sources.count)")
    }
}

import Foundation
import MMLintCore
import MMLintEngine
import MMLintRules
import XCTest

/// Rule plugins end to end: the example plugin package is built with
/// `swift build` (once per test run, shared by the tests here), loaded by the
/// `mmlint` executable and in this process, and its rule fires; libraries
/// that are not plugins for this mmlint are refused with exit 2.
final class PluginTests: XCTestCase {
    static let examplePackage = Repo.root + "/Examples/ExamplePlugin"
    static let exampleRule = "example-insert-page-in-fault"

    /// A scratch folder for this test process's builds, removed after the class.
    static let scratch = FileManager.default.temporaryDirectory
        .appendingPathComponent("mmlint-plugin-tests-\(ProcessInfo.processInfo.processIdentifier)").path

    /// `swift build` of the example package: the path of its library, or why it failed.
    static let exampleBuild: Result<String, BuildFailure> = {
        let started = Date()
        let result: (status: Int32, stdout: String, stderr: String)
        do {
            result = try runCommand("/usr/bin/env", [
                "swift", "build", "--package-path", examplePackage, "--scratch-path", scratch + "/example",
            ])
        } catch {
            return .failure(BuildFailure(description: "cannot run swift build: \(error)"))
        }
        let seconds = Date().timeIntervalSince(started)
        print("PluginTests: swift build of Examples/ExamplePlugin took \(String(format: "%.1f", seconds)) s")
        let library = scratch + "/example/debug/libExamplePlugin.so"
        guard result.status == 0, FileManager.default.fileExists(atPath: library) else {
            return .failure(BuildFailure(description: "swift build of Examples/ExamplePlugin failed:\n\(result.stdout)\n\(result.stderr)"))
        }
        return .success(library)
    }()

    struct BuildFailure: Error, CustomStringConvertible {
        var description: String
    }

    override class func tearDown() {
        try? FileManager.default.removeItem(atPath: scratch)
        super.tearDown()
    }

    func examplePlugin() throws -> String {
        try Self.exampleBuild.get()
    }

    // MARK: the example plugin works

    func testScanWithExamplePluginFindsWhatItsFixtureExpects() throws {
        let plugin = try examplePlugin()
        let fixtures = Self.examplePackage + "/fixtures"
        let result = try runCommand(Repo.executable, ["scan", "--no-cache", "--plugin", plugin, fixtures])
        XCTAssertEqual(result.status, 1, result.stderr)
        let expected = Expectations.read(in: fixtures).expected
        XCTAssertFalse(expected.isEmpty)
        // `file:line:col: severity: message [rule]`, one per finding.
        let reported = result.stdout.components(separatedBy: "\n").compactMap { line -> String? in
            guard line.hasSuffix("[\(Self.exampleRule)]"), let file = line.split(separator: ":").first,
                  let number = line.split(separator: ":").dropFirst().first else { return nil }
            return "\((String(file) as NSString).lastPathComponent):\(number)"
        }
        XCTAssertEqual(reported, expected.map { "\(($0.file as NSString).lastPathComponent):\($0.line)" }, result.stdout)
        XCTAssertTrue(result.stdout.contains("  chain: .fault of ring_vm_ops → ring_fault → ring_insert → vm_insert_page"),
                      result.stdout)
        // Without the plugin, the same files are clean: the finding is the plugin's.
        let without = try runCommand(Repo.executable, ["scan", "--no-cache", "-q", fixtures])
        XCTAssertEqual(without.status, 0, without.stdout + without.stderr)
        // The prefilter learns the plugin's APIs from its knowledge: it keeps
        // the files its rule needs and the findings are the same.
        let prefiltered = try runCommand(Repo.executable, ["scan", "--no-cache", "--prefilter", "--plugin", plugin, fixtures])
        XCTAssertEqual(prefiltered.stdout, result.stdout, prefiltered.stderr)
        let skipping = try runCommand(Repo.executable, ["scan", "--no-cache", "--prefilter", "-q", fixtures])
        XCTAssertEqual(skipping.status, 0, skipping.stdout + skipping.stderr)
    }

    func testPluginRulesAreListedAndExplained() throws {
        let plugin = try examplePlugin()
        let rules = try runCommand(Repo.executable, ["rules", "--plugin", plugin])
        XCTAssertEqual(rules.status, 0, rules.stderr)
        XCTAssertTrue(rules.stdout.contains("\(Self.exampleRule) moderate"), rules.stdout)
        XCTAssertTrue(rules.stdout.contains("(plugin libExamplePlugin.so)"), rules.stdout)
        let explain = try runCommand(Repo.executable, ["explain", "--plugin", plugin, Self.exampleRule])
        XCTAssertEqual(explain.status, 0, explain.stderr)
        XCTAssertTrue(explain.stdout.contains("vm_insert_pages() since v5.8"), explain.stdout)
        XCTAssertTrue(explain.stdout.contains("/* expect: \(Self.exampleRule) */"), explain.stdout)
        // Not loaded, not known.
        let unknown = try runCommand(Repo.executable, ["explain", Self.exampleRule])
        XCTAssertEqual(unknown.status, 2)
    }

    /// Loaded into this process (which links libMMLintCore.so as mmlint does),
    /// the plugin's rules are this process's `Rule`s, and its own examples
    /// hold like the built-in rules' examples.
    func testExamplePluginLoadsInProcessAndItsExamplesHold() throws {
        let plugin = try PluginLoader.load(try examplePlugin())
        XCTAssertEqual(plugin.rules.map(\.description.id), [Self.exampleRule])
        // One rule API in the process: the plugin's build folder has its own
        // libMMLintCore.so, but the plugin bound to the one already loaded.
        let maps = String(decoding: try XCTUnwrap(FileHandle(forReadingAtPath: "/proc/self/maps")).readDataToEndOfFile(),
                          as: UTF8.self)
        let copies = Set(maps.split(separator: "\n").compactMap { $0.split(separator: " ").last.map(String.init) }
            .filter { $0.hasSuffix("/libMMLintCore.so") })
        XCTAssertEqual(copies.count, 1, "\(copies)")
        XCTAssertFalse(copies.contains { $0.hasPrefix(Self.scratch) }, "\(copies)")
        let engine = try Engine(builtins: BuiltinRules.all, knowledge: sharedEngine.knowledge, plugins: [plugin])
        XCTAssertEqual(engine.knowledge.rules[Self.exampleRule]?.scope, .fault)
        XCTAssertTrue(engine.watchedAPIs(scope: .fault).contains("vm_insert_page"))
        let description = plugin.rules[0].description
        let dir = try temporaryDirectory(self)
        for (index, example) in description.triggering.enumerated() {
            let path = dir + "/trigger\(index).c"
            try example.source.write(toFile: path, atomically: true, encoding: .utf8)
            let result = engine.analyze(AnalysisOptions(files: [path], jobs: 1))
            XCTAssertEqual(result.units.first?.errors.map(\.message), [], "example \(index) does not parse cleanly")
            let marked = example.source.components(separatedBy: "\n").enumerated()
                .filter { $0.element.contains("/* expect: \(Self.exampleRule) */") }.map { $0.offset + 1 }
            XCTAssertFalse(marked.isEmpty)
            XCTAssertEqual(result.findings.filter { $0.ruleID == Self.exampleRule }.map(\.location.line), marked)
        }
        for (index, example) in description.nonTriggering.enumerated() {
            let path = dir + "/clean\(index).c"
            try example.source.write(toFile: path, atomically: true, encoding: .utf8)
            let result = engine.analyze(AnalysisOptions(files: [path], jobs: 1))
            XCTAssertEqual(result.units.first?.errors.map(\.message), [], "example \(index) does not parse cleanly")
            XCTAssertEqual(result.findings.map(\.message), [])
        }
    }

    /// A plugin named by the config, relative to it, copied away from its
    /// build folder: it has no libMMLintCore.so beside it, and needs none,
    /// since mmlint's own copy is the one it binds to.
    func testConfigPluginPathIsRelativeToTheConfigFile() throws {
        let plugin = try examplePlugin()
        let tree = try temporaryDirectory(self)
        try FileManager.default.createDirectory(atPath: tree + "/tools", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: plugin, toPath: tree + "/tools/libExamplePlugin.so")
        try FileManager.default.copyItem(atPath: Self.examplePackage + "/fixtures/ring_buffer.c", toPath: tree + "/ring_buffer.c")
        try "plugins:\n  - tools/libExamplePlugin.so\n".write(toFile: tree + "/.mmlint.yml", atomically: true, encoding: .utf8)
        let result = try runCommand(Repo.executable, ["scan", "--no-cache", tree])
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stdout.contains("ring_buffer.c:16:9: warning: vm_insert_page() in a fault path"), result.stdout)
    }

    /// `check` with the plugin and its rule's severity both from the tree's
    /// config: the patch's new call is reported, at the configured level.
    func testCheckRunsConfiguredPluginRulesOnAPatch() throws {
        let plugin = try examplePlugin()
        let tree = try temporaryDirectory(self)
        try """
            #include <linux/mm.h>

            static vm_fault_t ring_fault(struct vm_fault *vmf)
            {
            	struct page **pages = vmf->vma->vm_private_data;

            	return vmf_insert_page(vmf->vma, vmf->address, pages[vmf->pgoff]);
            }

            static const struct vm_operations_struct ring_vm_ops = {
            	.fault = ring_fault,
            };

            """.write(toFile: tree + "/ring.c", atomically: true, encoding: .utf8)
        try """
            plugins:
              - \(plugin)
            rules:
              \(Self.exampleRule):
                severity: error

            """.write(toFile: tree + "/.mmlint.yml", atomically: true, encoding: .utf8)
        let patch = """
            --- a/ring.c
            +++ b/ring.c
            @@ -4,5 +4,7 @@ static vm_fault_t ring_fault(struct vm_fault *vmf)
             {
             	struct page **pages = vmf->vma->vm_private_data;
            \u{20}
            -	return vmf_insert_page(vmf->vma, vmf->address, pages[vmf->pgoff]);
            +	if (vm_insert_page(vmf->vma, vmf->address, pages[vmf->pgoff]))
            +		return VM_FAULT_SIGBUS;
            +	return VM_FAULT_NOPAGE;
             }

            """
        let result = try runCommand(Repo.executable, ["check", "--tree", tree, "--format", "checkpatch", "-"], stdin: patch)
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stdout.hasPrefix("ring.c:7: ERROR: vm_insert_page() in a fault path"), result.stdout)
        XCTAssertTrue(result.stdout.hasSuffix("[\(Self.exampleRule)]\n"), result.stdout)
    }

    // MARK: what is refused

    /// Builds a plugin with swiftc against the example build's MMLintCore:
    /// `abiOffset` added to the ABI version, `ruleID` for its one rule, which
    /// comes with its knowledge unless `withKnowledge` is false.
    func buildTestPlugin(name: String, abiOffset: Int, ruleID: String, withKnowledge: Bool = true) throws -> String {
        _ = try examplePlugin()
        let dir = try temporaryDirectory(self)
        let source = """
            import MMLintCore

            struct TestRule: Rule {
                var description: RuleDescription {
                    RuleDescription(id: "\(ruleID)", summary: "test", rationale: "test", confidence: .low,
                                    triggering: [], nonTriggering: [])
                }
                func check(_ program: Program) -> [Finding] { [] }
            }

            @_cdecl("mmlint_plugin_abi_version")
            public func abiVersion() -> Int { MMLintPlugin.abiVersion + \(abiOffset) }

            @_cdecl("mmlint_plugin_create")
            public func create() -> UnsafeMutableRawPointer? {
                let knowledge = try! RuleKnowledge(
                    yaml: "{id: \(ruleID), scope: anywhere, apis: [{name: test_api}], messages: [], suggestions: []}")
                return MMLintPlugin.export(rules: [TestRule()], knowledge: \(withKnowledge ? "[knowledge]" : "[]"))
            }
            """
        try source.write(toFile: dir + "/\(name).swift", atomically: true, encoding: .utf8)
        let build = Self.scratch + "/example/debug"
        let library = dir + "/lib\(name).so"
        let result = try runCommand("/usr/bin/env", [
            "swiftc", "-emit-library", "-module-name", name, "-I", build + "/Modules", "-L", build,
            "-lMMLintCore", "-o", library, dir + "/\(name).swift",
        ])
        XCTAssertEqual(result.status, 0, result.stderr)
        return library
    }

    func testPluginOfAnotherABIVersionIsRefused() throws {
        let library = try buildTestPlugin(name: "OtherABI", abiOffset: 1, ruleID: "test-other-abi")
        let result = try runCommand(Repo.executable, ["scan", "--plugin", library, Repo.fixtures + "/example"])
        XCTAssertEqual(result.status, 2)
        XCTAssertEqual(result.stdout, "")
        XCTAssertEqual(result.stderr, "mmlint: \(library): plugin built for rule API version \(MMLintPlugin.abiVersion + 1), "
                       + "this mmlint has version \(MMLintPlugin.abiVersion); rebuild the plugin against this mmlint's MMLintCore package\n")
    }

    func testPluginRuleWithABuiltinIdIsRefused() throws {
        let library = try buildTestPlugin(name: "Clash", abiOffset: 0, ruleID: "mm-follow-pfn")
        for command in [["scan", Repo.fixtures + "/example"], ["check", "--tree", Repo.root, "/dev/null"], ["rules"]] {
            let result = try runCommand(Repo.executable, [command[0], "--plugin", library] + command.dropFirst())
            XCTAssertEqual(result.status, 2, "\(command)")
            XCTAssertEqual(result.stderr, "mmlint: \(library): the plugin's rule 'mm-follow-pfn' has the id of a built-in rule; "
                           + "rename the plugin's rule\n", "\(command)")
        }
    }

    func testPluginRuleWithoutKnowledgeIsRefused() throws {
        let library = try buildTestPlugin(name: "NoKnowledge", abiOffset: 0, ruleID: "test-no-knowledge", withKnowledge: false)
        let result = try runCommand(Repo.executable, ["scan", "--plugin", library, Repo.fixtures + "/example"])
        XCTAssertEqual(result.status, 2)
        XCTAssertEqual(result.stderr, "mmlint: \(library): the plugin's rule 'test-no-knowledge' comes without its RuleKnowledge "
                       + "(the APIs it watches, which the scan's prefilter needs); pass it to MMLintPlugin.export(rules:knowledge:)\n")
        // With it, the same rule loads and runs (and finds nothing here).
        let good = try buildTestPlugin(name: "WithKnowledge", abiOffset: 0, ruleID: "test-with-knowledge")
        let scan = try runCommand(Repo.executable, ["scan", "--no-cache", "--plugin", good, "--rule", "test-with-knowledge",
                                                    Repo.fixtures + "/example"])
        XCTAssertEqual(scan.status, 0, scan.stderr)
    }

    func testLibraryWithoutTheSymbolsIsRefused() throws {
        let dir = try temporaryDirectory(self)
        try "int unrelated(void) { return 0; }\n".write(toFile: dir + "/unrelated.c", atomically: true, encoding: .utf8)
        let compile = try runCommand("/usr/bin/env", ["cc", "-shared", "-fPIC", "-o", dir + "/libunrelated.so", dir + "/unrelated.c"])
        XCTAssertEqual(compile.status, 0, compile.stderr)
        let result = try runCommand(Repo.executable, ["review", "--plugin", dir + "/libunrelated.so", "/dev/null"])
        XCTAssertEqual(result.status, 2)
        XCTAssertEqual(result.stderr, "mmlint: \(dir)/libunrelated.so: not an mmlint plugin: it exports no "
                       + "mmlint_plugin_abi_version() (see docs/plugins.md)\n")
    }

    func testMissingFileAndNonLibraryAreRefused() throws {
        let missing = try runCommand(Repo.executable, ["scan", "--plugin", "no/such/libPlugin.so", Repo.fixtures + "/example"])
        XCTAssertEqual(missing.status, 2)
        XCTAssertEqual(missing.stderr, "mmlint: no/such/libPlugin.so: plugin not found; build its package with `swift build` "
                       + "and give the path of the lib<Name>.so it makes\n")
        let text = try runCommand(Repo.executable, ["scan", "--plugin", Repo.root + "/README.md", Repo.fixtures + "/example"])
        XCTAssertEqual(text.status, 2)
        XCTAssertEqual(text.stderr, "mmlint: \(Repo.root)/README.md: not a shared library (no ELF header); "
                       + "a plugin is the lib<Name>.so its package builds\n")
    }
}

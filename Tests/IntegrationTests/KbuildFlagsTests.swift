import Foundation
import MMLintCore
import MMLintEngine
import MMLintRules
import MMLintSupport
import XCTest

/// kbuild's own commands (`mmlint flags --kconfig`) on Debian's real 6.1 and
/// 6.12 trees: exact flags for drivers the Makefile reader could not follow,
/// a low parse-error rate on a random sample, and the user's tree untouched.
final class KbuildFlagsTests: XCTestCase {
    /// Folders of the random sample, as in bench/flags_bench.py.
    static let sampleFolders = ["drivers", "fs", "net", "sound", "mm", "arch/x86"]
    /// Files of the sample: enough for the rate to mean something at a
    /// few minutes of parsing per tree on two cores.
    static let sampleSize = 40

    func test61() throws { try check(try KernelCache.tree("6.1")) }
    func test612() throws { try check(try KernelCache.tree("6.12")) }

    func check(_ root: String) throws {
        let before = try TreeState(root)
        // The tree's own configuration plus the two DRM drivers whose
        // Makefiles the reader could not follow: amdgpu compiles pm/ files
        // in its own folder's context, nouveau includes nvkm/Kbuild. One
        // `make prepare` covers both and the sample.
        let config = try temporaryFile(named: "drm.config")
        var text = try String(contentsOfFile: root + "/.config", encoding: .utf8)
        text += "CONFIG_DRM_AMDGPU=m\nCONFIG_DRM_NOUVEAU=m\n"
        try text.write(toFile: config, atomically: true, encoding: .utf8)

        let made = try mmlint(["flags", "-q", "--kconfig", config, root])
        XCTAssertEqual(made.status, 0, made.stderr)
        let path = made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertTrue(path.hasSuffix("/compile_commands.json") && !path.hasPrefix(root + "/"), path)
        XCTAssertTrue(made.stderr.contains("C files with kbuild's compile command"), made.stderr)
        // Asked again: nothing changed, so nothing is run.
        let again = try mmlint(["flags", "-q", "--kconfig", config, root])
        XCTAssertTrue(again.stderr.contains("reused (nothing changed)"), again.stderr)

        let flags = KbuildFlags(tree: root, config: try KernelConfig(argument: config))
        let outcome = try flags.database()
        XCTAssertTrue(outcome.reused)
        XCTAssertEqual(outcome.path, path)
        let database = outcome.database

        // Exact flags for both drivers: every sampled file parses cleanly.
        let built = database.files
        let pm = strided(built.filter { $0.hasPrefix(root + "/drivers/gpu/drm/amd/pm/") }, 6)
        let nvkm = strided(built.filter { $0.hasPrefix(root + "/drivers/gpu/drm/nouveau/nvkm/") }, 6)
        XCTAssertEqual(pm.count, 6, "amdgpu's pm/ files are missing from kbuild's commands")
        XCTAssertEqual(nvkm.count, 6, "nouveau's nvkm/ files are missing from kbuild's commands")
        let drivers = KernelCache.engine.analyze(AnalysisOptions(files: pm + nvkm, compileDatabase: database, jobs: 2))
        XCTAssertEqual(drivers.units.count, 12, drivers.failures.map(\.description).joined(separator: "\n"))
        for unit in drivers.units {
            XCTAssertEqual(unit.flagMode, .compileDatabase, unit.file)
            XCTAssertEqual(unit.errors.map(\.message), [], unit.file)
        }

        // No flags named: the tree's .config builds neither driver, so their
        // files take kbuild's commands from the broadest database cached for
        // the tree (the one made above, or allmodconfig's when there is
        // one), never from a dry run started by the scan.
        let scan = ["scan", "-v", "--no-cache", "--no-prefilter", "-j", "2", "--rule", "mm-remap-in-fault"] + pm + nvkm
        let exact = try mmlint(scan)
        XCTAssertNotEqual(exact.status, 2, exact.stderr)
        for file in pm + nvkm {
            let note = exact.stderr.split(separator: "\n").first { $0.hasPrefix("mmlint: " + Paths.relative(file, to: root) + ": ") } ?? ""
            XCTAssertTrue(note.contains("not built by the tree's .config; flags from kbuild's commands for"), String(note))
        }
        XCTAssertEqual(exact.stderr.split(separator: "\n").filter { $0.contains(": parse error: ") }, [])
        XCTAssertFalse(exact.stderr.contains("had flags guessed"), exact.stderr)
        // Nothing cached: the flags are guessed, and the summary says for how
        // many files and which command gives kbuild's own.
        let empty = try temporaryFile(named: "flags")
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        let guessed = try mmlint(scan.filter { $0 != "-v" }, environment: ["MMLINT_FLAGS_CACHE": empty])
        XCTAssertTrue(guessed.stderr.contains("mmlint: 12 files the tree's .config does not build had flags guessed"), guessed.stderr)
        XCTAssertTrue(guessed.stderr.contains("`mmlint flags --kconfig allmodconfig \(root)`"), guessed.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: empty), [], "a scan never makes a database")

        // A random sample of the files the config builds, in the bench's
        // folders: at most 1 % with parse errors. (Over all files of those
        // folders, the 3 % goal needs allmodconfig, whose first run is too
        // heavy for CI; bench/flags-bench.sh measures it.)
        var generator = SeededGenerator(seed: 17)
        let candidates = built.filter { file in Self.sampleFolders.contains { file.hasPrefix(root + "/" + $0 + "/") } }
        let sample = Array(candidates.shuffled(using: &generator).prefix(Self.sampleSize))
        XCTAssertEqual(sample.count, Self.sampleSize)
        let result = KernelCache.engine.analyze(AnalysisOptions(files: sample, compileDatabase: database, jobs: 2))
        XCTAssertEqual(result.units.count, sample.count, result.failures.map(\.description).joined(separator: "\n"))
        let broken = result.units.filter { !$0.errors.isEmpty }
        let report = broken.map { "\($0.file): \($0.errors.first?.message ?? "")" }.joined(separator: "\n")
        XCTAssertLessThanOrEqual(broken.count * 100, 1 * sample.count, report)

        // The user's tree: its .config, its generated headers and every
        // file's size and time are as they were.
        let after = try TreeState(root)
        XCTAssertEqual(after.hashes, before.hashes)
        XCTAssertEqual(after.stamps.count, before.stamps.count)
        XCTAssertEqual(after.stamps.filter { before.stamps[$0.key] != $0.value }.keys.sorted(), [])
    }

    /// `count` files spread over `files`.
    func strided(_ files: [String], _ count: Int) -> [String] {
        guard files.count > count else { return files }
        return (0..<count).map { files[$0 * files.count / count] }
    }

    func temporaryFile(named name: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mmlint-kbuild-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        return dir + "/" + name
    }

    func mmlint(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, stdout: String, stderr: String) {
        let exe = KernelCache.repo + "/.build/debug/mmlint"
        let executable = FileManager.default.isExecutableFile(atPath: exe) ? exe
            : URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("mmlint").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        // stderr to a file: a scan's parse errors can fill a pipe read after stdout.
        let errors = try temporaryFile(named: "stderr")
        FileManager.default.createFile(atPath: errors, contents: nil)
        let out = Pipe(), err = try FileHandle(forWritingTo: URL(fileURLWithPath: errors))
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try err.close()
        let stderr = FileManager.default.contents(atPath: errors) ?? Data()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }
}

/// A kernel tree's state: content hashes of its configuration and generated
/// headers, and size and modification time of every file.
struct TreeState {
    var hashes: [String: String] = [:]
    var stamps: [String: String] = [:]

    init(_ root: String) throws {
        let hashed = [".config", "include/config", "include/generated", "arch/x86/include/generated"]
        FileTree.walk(root, withStatus: true) { path, _, kind, status in
            guard kind != .directory, let status else { return true }
            let relative = String(path.dropFirst(root.count + 1))
            stamps[relative] = "\(status.st_size):\(status.st_mtim.tv_sec).\(status.st_mtim.tv_nsec)"
            if hashed.contains(where: { relative == $0 || relative.hasPrefix($0 + "/") }) {
                var hasher = FNV1a()
                hasher.add(FileManager.default.contents(atPath: path).map { [UInt8]($0) } ?? [])
                hashes[relative] = hasher.hex
            }
            return true
        }
        guard hashes[".config"] != nil, hashes.keys.contains(where: { $0.hasPrefix("include/generated/") }) else {
            throw XCTSkip("\(root) has no .config or generated headers")
        }
    }
}

/// A small deterministic generator (SplitMix64): the same sample every run.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

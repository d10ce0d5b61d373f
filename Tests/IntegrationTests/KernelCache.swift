import Foundation
import MMLintEngine
import MMLintRules
import XCTest

/// What the integration tests share: the checkout, the kernel trees that
/// scripts/prepare-kernels.sh prepares into a cache folder outside it
/// (`$MMLINT_KERNEL_CACHE`, else `${XDG_CACHE_HOME:-~/.cache}/mmlint/kernels`),
/// and one engine with every built-in rule.
enum KernelCache {
    static let repo = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static let folder: String = {
        let env = ProcessInfo.processInfo.environment
        if let explicit = env["MMLINT_KERNEL_CACHE"], !explicit.isEmpty { return explicit }
        let base = env["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (NSHomeDirectory() + "/.cache")
        return base + "/mmlint/kernels"
    }()
    /// The built `mmlint`: the checkout's debug build, else the one next to the test bundle.
    static var executable: String {
        let exe = repo + "/.build/debug/mmlint"
        return FileManager.default.isExecutableFile(atPath: exe) ? exe
            : URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("mmlint").path
    }
    static let engine: Engine = {
        do { return try Engine(builtins: BuiltinRules.all, rulesDirectory: repo + "/rules") } catch { fatalError("\(error)") }
    }()

    /// The prepared tree of `version` (`6.1`, `6.12`), or a failure that
    /// says how to prepare it.
    static func tree(_ version: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let root = folder + "/linux-source-" + version
        guard FileManager.default.fileExists(atPath: root + "/.mmlint-prepared") else {
            XCTFail("\(root) is not prepared: run scripts/prepare-kernels.sh (the test command does)", file: file, line: line)
            throw XCTSkip("no tree")
        }
        return root
    }
}

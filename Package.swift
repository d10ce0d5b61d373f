// swift-tools-version: 6.0
import PackageDescription
import Foundation

/// libclang from the system's LLVM, located with llvm-config: `$LLVM_CONFIG`
/// when set, else the first of llvm-config, llvm-config-19 … -14 on PATH.
/// Its folders go to the compiler and linker of the one module that binds it.
func llvmConfig(_ argument: String) -> String? {
    let env = ProcessInfo.processInfo.environment
    var candidates = ["llvm-config"] + (14...21).reversed().map { "llvm-config-\($0)" }
    if let explicit = env["LLVM_CONFIG"], !explicit.isEmpty { candidates = [explicit] }
    let path = (env["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init)
    for name in candidates {
        let tool = name.hasPrefix("/") ? name : path.map { "\($0)/\(name)" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let tool, FileManager.default.isExecutableFile(atPath: tool) else { continue }
        let process = Process()
        let pipe = Pipe()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = [argument]
        process.standardOutput = pipe
        guard (try? process.run()) != nil else { continue }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { continue }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
    return nil
}

let llvmInclude = llvmConfig("--includedir")
let llvmLib = llvmConfig("--libdir")
let clangSwiftFlags: [SwiftSetting] = llvmInclude.map { [.unsafeFlags(["-Xcc", "-I\($0)"])] } ?? []
let clangCFlags: [CSetting] = llvmInclude.map { [.unsafeFlags(["-I\($0)"])] } ?? []
/// The libclang the loader opens on first use (Sources/CClang/loader.c): the
/// one next to the headers. Not linked, so a process that never parses
/// never loads LLVM.
let llvmVersion = llvmConfig("--version")
let clangLoaderFlags: [CSetting] = clangCFlags
    + (llvmLib.map { [.define("MMLINT_LIBCLANG", to: "\"\($0)/libclang.so\"")] } ?? [])
    + (llvmLib.flatMap { lib in llvmVersion.map { version in
        [.define("MMLINT_CLANG_RESOURCE_INCLUDE", to: "\"\(lib)/clang/\(version)/include\"")] } } ?? [])

let package = Package(
    name: "mmlint",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "mmlint", targets: ["mmlint"]),
        // For Fuzz/ (libFuzzer targets over the parsers), which depends on this package by path.
        .library(name: "MMLintPatch", targets: ["MMLintPatch"]),
        .library(name: "MMLintEngine", targets: ["MMLintEngine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // The rule API (module MMLintCore) as a shared library, libMMLintCore.so,
        // which rule plugins link too: see MMLintCore/Package.swift for why it is
        // a package of its own. Its product resolves the "MMLintCore" dependencies below.
        .package(path: "MMLintCore"),
        // The bot's state (messages seen, series, replies): SQLite, transactions.
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        // The C binding: libclang's headers, and the loader that opens the
        // library on the first call.
        .target(name: "CClang", path: "Sources/CClang", cSettings: clangLoaderFlags,
                linkerSettings: [.linkedLibrary("dl")]),
        // Safe Swift over libclang. The only module that imports CClang.
        .target(
            name: "LibClang",
            dependencies: ["CClang"],
            cSettings: clangCFlags,
            swiftSettings: clangSwiftFlags),
        // Built-in rules, one per file; they see MMLintCore only.
        .target(name: "MMLintRules", dependencies: ["MMLintCore"]),
        // Flags, parsing, fact extraction, parallel scan.
        .target(
            name: "MMLintEngine",
            dependencies: ["MMLintCore", "MMLintIndex", "MMLintSupport", "LibClang"],
            swiftSettings: clangSwiftFlags),
        // Text, JSON, SARIF.
        .target(name: "MMLintReporters", dependencies: ["MMLintCore"]),
        .target(name: "MMLintPatch"),
        // Writing files whole (temporary name, sync, rename) and walking folders.
        // Optimized in debug builds too, like MMLintIndex: it walks whole kernel trees.
        .target(name: "MMLintSupport", swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]),
        // Token-level prefilter: which C files of a tree a scan must parse.
        // Optimized in debug builds too: it reads a whole kernel tree, which
        // unoptimized takes ten times as long and the tests do twice.
        .target(name: "MMLintIndex", dependencies: ["MMLintSupport"], swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]),
        // check and review: patches applied in memory, findings differenced, replies composed.
        .target(name: "MMLintCheck", dependencies: ["MMLintCore", "MMLintEngine", "MMLintIndex", "MMLintPatch", "MMLintSupport"],
                swiftSettings: clangSwiftFlags),
        // fix: mechanical edits for findings, as diffs, mails or in place.
        .target(name: "MMLintFix", dependencies: ["MMLintCore", "MMLintEngine"], swiftSettings: clangSwiftFlags),
        // bot: a mailing list's archive read as it grows, each guilty patch answered once.
        .target(name: "MMLintBot",
                dependencies: ["MMLintCore", "MMLintEngine", "MMLintPatch", "MMLintCheck", "MMLintSupport",
                               .product(name: "GRDB", package: "GRDB.swift")],
                swiftSettings: clangSwiftFlags),
        .executableTarget(
            name: "mmlint",
            dependencies: [
                "MMLintCore", "MMLintRules", "MMLintEngine", "MMLintReporters", "MMLintPatch", "MMLintCheck", "MMLintIndex",
                "MMLintBot", "MMLintFix", "MMLintSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: clangSwiftFlags),
        .testTarget(
            name: "MMLintTests",
            dependencies: ["MMLintCore", "MMLintRules", "MMLintEngine", "MMLintReporters", "MMLintPatch", "MMLintIndex", "MMLintFix", "mmlint"],
            swiftSettings: clangSwiftFlags),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["MMLintCore", "MMLintRules", "MMLintEngine", "MMLintReporters", "MMLintPatch", "MMLintCheck", "MMLintIndex",
                           "MMLintFix", "MMLintSupport"],
            swiftSettings: clangSwiftFlags),
    ]
)

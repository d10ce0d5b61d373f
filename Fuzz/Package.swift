// swift-tools-version: 6.0
// libFuzzer targets over mmlint's parsers of untrusted input. A separate
// package so the main build never sees -sanitize=fuzzer; scripts/fuzz.sh
// builds and runs them.
import PackageDescription
import Foundation

// A path dependency is named after its folder, which differs between clones.
let parent = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()

let package = Package(
    name: "mmlint-fuzz",
    dependencies: [.package(path: "..")],
    targets: [
        .executableTarget(
            name: "FuzzDiff",
            dependencies: [.product(name: "MMLintPatch", package: parent.lastPathComponent)]),
        .executableTarget(
            name: "FuzzMail",
            dependencies: [.product(name: "MMLintPatch", package: parent.lastPathComponent)]),
        .executableTarget(
            name: "FuzzCompileDatabase",
            dependencies: [.product(name: "MMLintEngine", package: parent.lastPathComponent)]),
    ]
)

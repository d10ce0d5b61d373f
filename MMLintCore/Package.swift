// swift-tools-version: 6.0
import PackageDescription

/// mmlint's rule API — the `Rule` protocol, `RuleDescription`, `Program`,
/// `Finding`, the facts and the knowledge types (module `MMLintCore`) — as a
/// *dynamic* library, `libMMLintCore.so`. The folder's name is the package's
/// identity, which lets the main manifest depend on the product by name.
///
/// It is a package of its own because SwiftPM links a package's own targets
/// statically into its executables; only a dynamic library *product of a
/// dependency* is linked as a shared object. The `mmlint` executable and every
/// rule plugin link this one library, so a plugin's rules are the host's
/// types (casts and protocol conformances hold) and there is one copy of its
/// globals. The sources stay in `Sources/MMLintCore` of the main package; the
/// folder here is a symbolic link to them.
let package = Package(
    name: "MMLintCore",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "MMLintCore", type: .dynamic, targets: ["MMLintCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
    ],
    targets: [
        .target(name: "MMLintCore", dependencies: [.product(name: "Yams", package: "Yams")]),
    ]
)

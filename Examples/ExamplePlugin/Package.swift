// swift-tools-version: 6.0
import PackageDescription

/// An mmlint rule plugin: one rule, `example-insert-page-in-fault`.
/// `swift build` here makes `.build/debug/libExamplePlugin.so`;
/// `mmlint scan --plugin .build/debug/libExamplePlugin.so DIR` runs it.
let package = Package(
    name: "ExamplePlugin",
    platforms: [.macOS(.v13)],
    products: [
        // A plugin is a dynamic library that mmlint dlopen()s.
        .library(name: "ExamplePlugin", type: .dynamic, targets: ["ExamplePlugin"]),
    ],
    dependencies: [
        // mmlint's rule API, as the dynamic library libMMLintCore.so that the
        // mmlint executable links too. Outside this checkout, point the path
        // at the MMLintCore folder (the package, at the top of the mmlint
        // sources) of the mmlint the plugin is for.
        .package(path: "../../MMLintCore"),
    ],
    targets: [
        .target(name: "ExamplePlugin", dependencies: [.product(name: "MMLintCore", package: "MMLintCore")]),
    ]
)

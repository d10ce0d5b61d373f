import Foundation
import MMLintCore
import XCTest

/// The plugin ABI number moves when the API plugins see moves: the digest of
/// MMLintCore's public ABI (swift-api-digester's dump of the built module)
/// is recorded with the number in `MMLintCore/abi-digests.txt`, and a change
/// of the one without the other fails here.
final class PluginABITests: XCTestCase {
    static let record = Repo.root + "/MMLintCore/abi-digests.txt"

    func testABIVersionMovesWithTheAPI() throws {
        let digest = try Self.currentDigest()
        let recorded = try Self.recorded()
        let last = try XCTUnwrap(recorded.last, "MMLintCore/abi-digests.txt records no version: append "
                                 + "`\(MMLintPlugin.abiVersion) \(digest)`")
        let advice = "bump MMLintPlugin.abiVersion in Sources/MMLintCore/Plugin.swift and append "
            + "`\(last.version + 1) \(digest)` to MMLintCore/abi-digests.txt"
        if digest != last.digest && MMLintPlugin.abiVersion <= last.version {
            XCTFail("the public API of MMLintCore changed (digest \(digest), recorded \(last.digest) "
                    + "for ABI \(last.version)) but the ABI version did not: \(advice)")
        } else if digest != last.digest {
            XCTFail("ABI \(MMLintPlugin.abiVersion) is not recorded: append `\(MMLintPlugin.abiVersion) \(digest)` "
                    + "to MMLintCore/abi-digests.txt")
        } else {
            XCTAssertEqual(MMLintPlugin.abiVersion, last.version,
                           "the ABI version changed but the API did not; record the version with its digest")
        }
        // Append only: each version once, increasing, each with its own API.
        XCTAssertEqual(recorded.map(\.version), recorded.map(\.version).sorted())
        XCTAssertEqual(Set(recorded.map(\.version)).count, recorded.count)
        XCTAssertEqual(Set(recorded.map(\.digest)).count, recorded.count)
    }

    /// The digest sees a change of shape: a stored field more in a public struct.
    func testDigestSeesAFieldAdded() throws {
        let base: [String: Any] = ["ABIRoot": ["kind": "Root", "children": [
            ["kind": "Import", "name": "SwiftOnoneSupport"],
            ["kind": "TypeDecl", "name": "Finding", "children": [["kind": "Var", "name": "ruleID"]]],
        ]]]
        let grown: [String: Any] = ["ABIRoot": ["kind": "Root", "children": [
            ["kind": "TypeDecl", "name": "Finding", "children": [["kind": "Var", "name": "ruleID"],
                                                                  ["kind": "Var", "name": "fix"]]],
        ]]]
        let same: [String: Any] = ["ABIRoot": ["kind": "Root", "children": [
            ["kind": "TypeDecl", "name": "Finding", "children": [["kind": "Var", "name": "ruleID"]]],
        ]]]
        XCTAssertNotEqual(try Self.digest(of: base), try Self.digest(of: grown))
        // Imports (SwiftOnoneSupport in debug builds only) are not the API.
        XCTAssertEqual(try Self.digest(of: base), try Self.digest(of: same))
    }

    /// The recorded `version digest` lines, comments left out.
    static func recorded() throws -> [(version: Int, digest: String)] {
        try String(contentsOfFile: record, encoding: .utf8).split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard !line.hasPrefix("#"), fields.count == 2, let version = Int(fields[0]) else { return nil }
            return (version, String(fields[1]))
        }
    }

    /// The ABI dump of the MMLintCore module this test links, digested.
    static func currentDigest() throws -> String {
        let digester = try XCTUnwrap(tool("swift-api-digester"), "swift-api-digester is not on PATH")
        let modules = URL(fileURLWithPath: Repo.executable).deletingLastPathComponent().appendingPathComponent("Modules").path
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("mmlint-abi-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        let run = try runCommand(digester, ["-dump-sdk", "-abi", "-module", "MMLintCore", "-I", modules,
                                            "-avoid-tool-args", "-avoid-location", "-o", output])
        XCTAssertEqual(run.status, 0, run.stderr)
        let dump = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: output)))
        return try digest(of: dump)
    }

    /// FNV-1a of the dump without its imports, keys sorted.
    static func digest(of dump: Any) throws -> String {
        func strip(_ node: Any) -> Any {
            if let array = node as? [Any] {
                return array.filter { ($0 as? [String: Any])?["kind"] as? String != "Import" }.map(strip)
            }
            if let object = node as? [String: Any] { return object.mapValues(strip) }
            return node
        }
        var hasher = FNV1a()
        hasher.add(try JSONSerialization.data(withJSONObject: strip(dump), options: [.sortedKeys]))
        return hasher.hex
    }

    static func tool(_ name: String) -> String? {
        (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
            .map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}

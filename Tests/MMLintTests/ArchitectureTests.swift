import Foundation
import XCTest

/// docs/architecture.md's module graph is Package.swift's: every import a
/// target may make is an arrow of the diagram, and every arrow is allowed.
final class ArchitectureTests: XCTestCase {
    func testModuleGraphMatchesThePackage() throws {
        let scratch = try temporaryDirectory(self)
        let dump = try runCommand("/usr/bin/env", ["swift", "package", "--package-path", Repo.root,
                                                   "--scratch-path", scratch, "dump-package"])
        XCTAssertEqual(dump.status, 0, dump.stderr)
        let package = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(dump.stdout.utf8)) as? [String: Any])
        var manifest: Set<String> = []
        for target in package["targets"] as? [[String: Any]] ?? [] where target["type"] as? String != "test" {
            let name = try XCTUnwrap(target["name"] as? String)
            for dependency in target["dependencies"] as? [[String: Any]] ?? [] {
                let value = try XCTUnwrap(dependency.values.first as? [Any])
                manifest.insert("\(name) --> \(try XCTUnwrap(value.first as? String))")
            }
        }
        XCTAssertTrue(manifest.contains("LibClang --> CClang"), "\(manifest)")
        let document = try String(contentsOfFile: Repo.root + "/docs/architecture.md", encoding: .utf8)
        let diagram = try XCTUnwrap(document.components(separatedBy: "```mermaid\n").dropFirst().first?
            .components(separatedBy: "```").first, "docs/architecture.md has no mermaid diagram")
        let drawn = Set(diagram.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { $0.contains(" --> ") })
        // MMLintCore's own dependency lives in its package's manifest.
        XCTAssertEqual(drawn.subtracting(["MMLintCore --> Yams"]).sorted(), manifest.sorted(),
                       "docs/architecture.md's module graph differs from Package.swift")
    }
}

import Foundation
import MMLintCore
import MMLintEngine
import MMLintRules
import XCTest

/// Paths of the checkout the tests run from.
enum Repo {
    static let root: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static let rules = root + "/rules"
    static let fixtures = root + "/fixtures"

    /// The built `mmlint` executable, next to the test bundle.
    static var executable: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        for _ in 0..<3 {
            let candidate = dir.appendingPathComponent("mmlint").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("mmlint").path
    }
}

/// One engine for all tests (rules from the checkout).
let sharedEngine: Engine = {
    do {
        return try Engine(builtins: BuiltinRules.all, rulesDirectory: Repo.rules)
    } catch {
        fatalError("rules/ does not load: \(error)")
    }
}()

/// An expectation written in a fixture: `/* expect: rule-id [chain: a → b] */`.
struct Expectation: Hashable, CustomStringConvertible {
    var file: String
    var line: Int
    var rule: String
    var chain: String?
    var description: String { "\((file as NSString).lastPathComponent):\(line): \(rule)" + (chain.map { " chain: \($0)" } ?? "") }
}

enum Expectations {
    /// Expectations of every .c and .h file under `dir`; `noFindings` lists
    /// files marked `/* expect-no-findings */`.
    static func read(in dir: String) -> (expected: [Expectation], noFindings: [String]) {
        var expected: [Expectation] = []
        var noFindings: [String] = []
        let files = (FileManager.default.enumerator(atPath: dir)?.allObjects as? [String] ?? [])
            .filter { $0.hasSuffix(".c") || $0.hasSuffix(".h") }.sorted()
        let pattern = try! NSRegularExpression(pattern: #"/\* expect: ([a-z0-9-]+)(?: chain: (.*?))? \*/"#)
        for relative in files {
            let path = Paths.normalize(dir + "/" + relative)
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
            if text.contains("/* expect-no-findings */") { noFindings.append(path) }
            for (index, line) in text.components(separatedBy: "\n").enumerated() {
                let range = NSRange(line.startIndex..., in: line)
                for match in pattern.matches(in: line, range: range) {
                    let rule = String(line[Range(match.range(at: 1), in: line)!])
                    let chain = Range(match.range(at: 2), in: line).map { String(line[$0]) }
                    expected.append(Expectation(file: path, line: index + 1, rule: rule, chain: chain))
                }
            }
        }
        return (expected, noFindings)
    }

    /// One way findings and expectations differ, and the line of the
    /// fixture it is about.
    struct Mismatch: CustomStringConvertible {
        var line: Int
        var description: String
    }

    /// Compares findings with expectations; returns readable mismatches.
    static func mismatches(findings: [Finding], expected: [Expectation]) -> [String] {
        located(findings: findings, expected: expected).map(\.description)
    }

    /// The mismatches, each with its line.
    static func located(findings: [Finding], expected: [Expectation]) -> [Mismatch] {
        var problems: [Mismatch] = []
        var unmatched = findings
        for expectation in expected {
            guard let index = unmatched.firstIndex(where: {
                $0.location.file == expectation.file && $0.location.line == expectation.line
                    && $0.ruleID == expectation.rule
            }) else {
                problems.append(Mismatch(line: expectation.line, description: "missing finding: \(expectation)"))
                continue
            }
            let finding = unmatched.remove(at: index)
            if let chain = expectation.chain, finding.chain.joined(separator: " → ") != chain {
                problems.append(Mismatch(line: expectation.line, description:
                    "wrong chain at \(expectation): got \(finding.chain.joined(separator: " → "))"))
            }
        }
        for finding in unmatched {
            problems.append(Mismatch(line: finding.location.line, description:
                "unexpected finding: \((finding.location.file as NSString).lastPathComponent):"
                    + "\(finding.location.line): \(finding.ruleID) (\(finding.chain.joined(separator: " → ")))"))
        }
        return problems
    }
}

/// The .c files under `dir`, sorted.
func cFiles(in dir: String) -> [String] {
    (FileManager.default.enumerator(atPath: dir)?.allObjects as? [String] ?? [])
        .filter { $0.hasSuffix(".c") }.sorted().map { Paths.normalize(dir + "/" + $0) }
}

/// Runs a command; returns its exit status, stdout and stderr.
@discardableResult
func runCommand(_ executable: String, _ arguments: [String], in directory: String? = nil,
                stdin: String? = nil, environment: [String: String] = [:]) throws -> (status: Int32, stdout: String, stderr: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    if !environment.isEmpty {
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
    }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    let input = Pipe()
    process.standardInput = input
    try process.run()
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try input.fileHandleForWriting.close()
    // stderr is drained alongside stdout: a child that fills one pipe while
    // the other is read would block for ever.
    nonisolated(unsafe) var errData = Data()
    let drained = DispatchSemaphore(value: 0)
    Thread.detachNewThread {
        errData = err.fileHandleForReading.readDataToEndOfFile()
        drained.signal()
    }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    drained.wait()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
}

/// A fresh temporary folder, removed at the end of the test.
func temporaryDirectory(_ test: XCTestCase) throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mmlint-test-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
    return dir
}

import Foundation
import MMLintCore

/// mmlint's own JSON, schema version 1 (docs/json-schema.md). Fields are
/// only ever added within a schema version; a removal or a change of meaning
/// bumps `schemaVersion`.
public enum JSONReporter {
    public static let schemaVersion = 1

    struct Document: Encodable {
        var schemaVersion: Int
        var tool: Tool
        var kernelVersion: String?
        var mode: String?
        var findings: [Item]
        var fixed: [Item]?
        var failures: [Report.Failure]
        var summary: Report.Summary
    }
    struct Tool: Encodable { var name: String; var version: String }
    struct Item: Encodable {
        var ruleId: String
        var severity: String
        var confidence: String
        var file: String
        var line: Int
        var column: Int
        var function: String
        var callee: String
        var macro: String?
        var chain: [String]
        var message: String
        var suggestion: String
        var patchIndex: Int?
        var patchSubject: String?
    }

    public static func render(_ report: Report) -> String {
        let document = Document(
            schemaVersion: schemaVersion,
            tool: Tool(name: ToolInfo.name, version: ToolInfo.version),
            kernelVersion: report.kernelVersion?.description,
            mode: report.mode,
            findings: report.findings.map { item($0, report) },
            fixed: report.mode == nil ? nil : report.fixed.map { item($0, report) },
            failures: report.failures.map { Report.Failure(file: report.display($0.file), version: $0.version, cause: $0.cause) },
            summary: report.summary)
        return encode(document)
    }

    static func item(_ f: Finding, _ report: Report) -> Item {
        Item(ruleId: f.ruleID, severity: f.severity.rawValue, confidence: f.confidence.rawValue,
             file: report.display(f.location.file), line: f.location.line, column: f.location.column,
             function: f.function, callee: f.callee, macro: f.macro, chain: f.chain,
             message: f.message, suggestion: f.suggestion, patchIndex: report.origin(of: f)?.number,
             patchSubject: report.origin(of: f)?.subject)
    }

    static func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return "{}\n" }
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}

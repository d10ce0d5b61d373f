import Foundation
import MMLintCore

/// SARIF 2.1.0: one run, the rules in `tool.driver.rules`, locations relative
/// to the tree root through the `SRCROOT` base id.
public enum SARIFReporter {
    struct Log: Encodable {
        var schema = "https://json.schemastore.org/sarif-2.1.0.json"
        var version = "2.1.0"
        var runs: [Run]
        enum CodingKeys: String, CodingKey { case schema = "$schema", version, runs }
    }
    struct Run: Encodable {
        var tool: Tool
        var originalUriBaseIds: [String: ArtifactLocation]
        var results: [Result]
        var invocations: [Invocation]
        var properties: [String: String]
    }
    /// Whether the run analysed everything it needed; each file it could not
    /// analyse is an error notification naming the file.
    struct Invocation: Encodable {
        var executionSuccessful: Bool
        var toolExecutionNotifications: [Notification]
    }
    struct Notification: Encodable {
        var level: String
        var message: Text
        var locations: [NotificationLocation]
        var descriptor: Descriptor
        var properties: [String: String]?
    }
    struct NotificationLocation: Encodable { var physicalLocation: ArtifactOnly }
    struct ArtifactOnly: Encodable { var artifactLocation: ArtifactLocation }
    struct Descriptor: Encodable { var id: String }
    struct Tool: Encodable { var driver: Driver }
    struct Driver: Encodable {
        var name: String
        var version: String
        var informationUri: String
        var rules: [RuleItem]
    }
    struct Text: Encodable { var text: String }
    struct RuleItem: Encodable {
        var id: String
        var name: String
        var shortDescription: Text
        var fullDescription: Text
        var help: Text
        var defaultConfiguration: Configuration
        var properties: [String: String]
    }
    struct Configuration: Encodable { var level: String }
    struct ArtifactLocation: Encodable { var uri: String; var uriBaseId: String? }
    struct Region: Encodable { var startLine: Int; var startColumn: Int }
    struct PhysicalLocation: Encodable { var artifactLocation: ArtifactLocation; var region: Region }
    struct Location: Encodable { var physicalLocation: PhysicalLocation }
    struct ResultProperties: Encodable {
        var function: String
        var callee: String
        var chain: [String]
        var confidence: String
        var suggestion: String
        var macro: String?
        var patchIndex: Int?
        var patchSubject: String?
    }
    struct Result: Encodable {
        var ruleId: String
        var ruleIndex: Int
        var level: String
        var message: Text
        var locations: [Location]
        var partialFingerprints: [String: String]
        var properties: ResultProperties
        var fixes: [Fix]?
    }
    struct Fix: Encodable {
        var description: Text
        var artifactChanges: [ArtifactChange]
    }
    struct ArtifactChange: Encodable {
        var artifactLocation: ArtifactLocation
        var replacements: [Replacement]
    }
    struct Replacement: Encodable {
        var deletedRegion: DeletedRegion
        var insertedContent: Text?
    }
    struct DeletedRegion: Encodable {
        var startLine: Int
        var startColumn: Int
        var endLine: Int
        var endColumn: Int
    }

    public static func render(_ report: Report) -> String {
        let rules = report.rules.map { rule in
            RuleItem(id: rule.id, name: camelName(rule.id), shortDescription: Text(text: rule.summary),
                     fullDescription: Text(text: rule.rationale), help: Text(text: rule.rationale),
                     defaultConfiguration: Configuration(level: report.severities[rule.id]?.rawValue ?? "warning"),
                     properties: ["confidence": rule.confidence.rawValue])
        }
        let results = report.findings.map { f in
            var fingerprint = FNV1a()
            fingerprint.add(report.display(f.location.file) + "|" + f.ruleID + "|" + f.function + "|" + f.callee
                            + "|" + f.chain.joined(separator: "→"))
            return Result(
                ruleId: f.ruleID,
                ruleIndex: report.rules.firstIndex { $0.id == f.ruleID } ?? 0,
                level: f.severity == .note ? "note" : f.severity.rawValue,
                message: Text(text: f.message + "; " + f.suggestion),
                locations: [Location(physicalLocation: PhysicalLocation(
                    artifactLocation: artifact(f.location.file, report),
                    region: Region(startLine: f.location.line, startColumn: f.location.column)))],
                partialFingerprints: ["mmlintKey/v1": fingerprint.hex],
                properties: ResultProperties(function: f.function, callee: f.callee, chain: f.chain,
                                             confidence: f.confidence.rawValue, suggestion: f.suggestion,
                                             macro: f.macro, patchIndex: f.patchIndex, patchSubject: f.patchSubject),
                fixes: report.fixes[f.key].map { fix in
                    [Fix(description: Text(text: fix.description), artifactChanges: fix.changes.map { change in
                        ArtifactChange(artifactLocation: artifact(change.file, report), replacements: change.replacements.map {
                            Replacement(deletedRegion: DeletedRegion(startLine: $0.startLine, startColumn: $0.startColumn,
                                                                     endLine: $0.endLine, endColumn: $0.endColumn),
                                        insertedContent: $0.text.isEmpty ? nil : Text(text: $0.text))
                        })
                    })]
                })
        }
        var properties: [String: String] = [:]
        if let version = report.kernelVersion { properties["kernelVersion"] = version.description }
        if let mode = report.mode {
            properties["checkMode"] = mode
            properties["fixedFindings"] = String(report.fixed.count)
        }
        let notifications = report.failures.map { failure in
            Notification(level: "error", message: Text(text: report.failureLine(failure)),
                         locations: [NotificationLocation(physicalLocation: ArtifactOnly(artifactLocation: artifact(failure.file, report)))],
                         descriptor: Descriptor(id: analysisFailureID),
                         properties: failure.version.map { ["version": $0] })
        }
        let invocation = Invocation(executionSuccessful: report.failures.isEmpty, toolExecutionNotifications: notifications)
        let root = report.root.hasSuffix("/") ? report.root : report.root + "/"
        let log = Log(runs: [Run(
            tool: Tool(driver: Driver(name: ToolInfo.name, version: ToolInfo.version,
                                      informationUri: ToolInfo.informationURI, rules: rules)),
            originalUriBaseIds: ["SRCROOT": ArtifactLocation(uri: "file://" + uriPath(root), uriBaseId: nil)],
            results: results, invocations: [invocation], properties: properties)])
        return JSONReporter.encode(log)
    }

    /// The id of the notification for a file that could not be analysed.
    static let analysisFailureID = "mmlint-analysis-failed"

    /// A file relative to `SRCROOT` when it is under the root, else absolute.
    static func artifact(_ file: String, _ report: Report) -> ArtifactLocation {
        let shown = report.display(file)
        return ArtifactLocation(uri: uriPath(shown), uriBaseId: file.hasPrefix("/") && shown == file ? nil : "SRCROOT")
    }

    /// `mm-remap-in-fault` → `MmRemapInFault`.
    static func camelName(_ id: String) -> String {
        id.split(separator: "-").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    /// Percent-encodes what a URI path may not hold.
    static func uriPath(_ path: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "?#[]")
        return path.addingPercentEncoding(withAllowedCharacters: allowed) ?? path
    }
}

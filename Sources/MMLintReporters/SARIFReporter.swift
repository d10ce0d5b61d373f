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
    struct Message: Encodable { var text: String; var markdown: String }
    struct RuleItem: Encodable {
        var id: String
        var name: String
        var shortDescription: Text
        var fullDescription: Text
        var help: Message
        var helpUri: String
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

    /// Code-scanning services take at most this many results a run, and
    /// files of at most this many bytes once gzipped.
    public static let resultLimit = 25_000
    public static let gzippedByteLimit = 10_000_000

    /// Where rule help lives: `docs/rules.md`, one `## rule-id` heading per
    /// rule, so `helpUri` is this plus `#rule-id`. `$MMLINT_RULES_HELP_URL`
    /// moves it (a mirror, a pinned tag, an internal copy).
    public static var rulesHelpBase: String {
        if let explicit = ProcessInfo.processInfo.environment["MMLINT_RULES_HELP_URL"], !explicit.isEmpty {
            return explicit
        }
        return ToolInfo.informationURI + "/blob/main/docs/rules.md"
    }

    public static func render(_ report: Report) -> String {
        render(report, helpBase: rulesHelpBase, warn: { FileHandle.standardError.write(Data(("mmlint: warning: " + $0 + "\n").utf8)) })
    }

    /// `warn` is told, once each, when the log is over a code-scanning
    /// limit; the log itself carries the same warning as a notification.
    public static func render(_ report: Report, helpBase: String, warn: (String) -> Void) -> String {
        let rules = report.rules.map { rule in
            RuleItem(id: rule.id, name: camelName(rule.id), shortDescription: Text(text: rule.summary),
                     fullDescription: Text(text: rule.rationale),
                     help: Message(text: helpText(rule), markdown: helpMarkdown(rule)),
                     helpUri: helpBase + "#" + rule.id,
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
                                             macro: f.macro, patchIndex: report.origin(of: f)?.number,
                                             patchSubject: report.origin(of: f)?.subject),
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
        var notifications = report.failures.map { failure in
            Notification(level: "error", message: Text(text: report.failureLine(failure)),
                         locations: [NotificationLocation(physicalLocation: ArtifactOnly(artifactLocation: artifact(failure.file, report)))],
                         descriptor: Descriptor(id: analysisFailureID),
                         properties: failure.version.map { ["version": $0] })
        }
        let root = report.root.hasSuffix("/") ? report.root : report.root + "/"
        func log(_ notifications: [Notification]) -> String {
            let invocation = Invocation(executionSuccessful: report.failures.isEmpty, toolExecutionNotifications: notifications)
            return JSONReporter.encode(Log(runs: [Run(
                tool: Tool(driver: Driver(name: ToolInfo.name, version: ToolInfo.version,
                                          informationUri: ToolInfo.informationURI, rules: rules)),
                originalUriBaseIds: ["SRCROOT": ArtifactLocation(uri: "file://" + uriPath(root), uriBaseId: nil)],
                results: results, invocations: [invocation], properties: properties)]))
        }
        // Over a limit the service drops results or refuses the file: said
        // on stderr and in the log, never cut silently.
        var over: [String] = []
        if results.count > resultLimit {
            over.append("\(results.count) results, over the \(resultLimit) a code-scanning run takes; the service keeps "
                        + "only part of them: scan subfolders into separate runs (a category each) or name rules with --rule")
        }
        var output = log(notifications)
        if let size = gzippedSize(output), size > gzippedByteLimit {
            over.append("the SARIF file is \(size) bytes gzipped, over the \(gzippedByteLimit) a code-scanning upload takes; "
                        + "scan subfolders into separate runs (a category each) or name rules with --rule")
        }
        guard !over.isEmpty else { return output }
        for message in over {
            warn(message)
            notifications.append(Notification(level: "warning", message: Text(text: message), locations: [],
                                              descriptor: Descriptor(id: limitID), properties: nil))
        }
        output = log(notifications)
        return output
    }

    /// The id of the notification for a log over a code-scanning limit.
    static let limitID = "mmlint-sarif-over-limit"

    /// The gzipped size of `text`, by gzip itself; nil when it cannot be
    /// over the limit anyway (JSON never grows gzipped). When gzip cannot
    /// be run, the plain size stands in: over the limit, said so.
    static func gzippedSize(_ text: String) -> Int? {
        let raw = text.utf8.count
        guard raw > gzippedByteLimit else { return nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        guard let gzip = path.split(separator: ":").map({ String($0) + "/gzip" })
            .first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else { return raw }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: gzip)
        process.arguments = ["-c"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return raw }
        // Written from another thread: gzip's output must be read meanwhile.
        let writer = Thread {
            // Throwing, not trapping, if gzip goes away early (its status says so).
            try? input.fileHandleForWriting.write(contentsOf: Data(text.utf8))
            try? input.fileHandleForWriting.close()
        }
        writer.start()
        var size = 0
        while true {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            size += chunk.count
        }
        process.waitUntilExit()
        return process.terminationStatus == 0 ? size : raw
    }

    /// A rule's help as plain text: its rationale, then its first examples.
    static func helpText(_ rule: RuleDescription) -> String {
        var text = rule.summary + "\n\n" + rule.rationale
        if let flagged = rule.triggering.first { text += "\n\nFlagged:\n\n" + example(flagged.source) }
        if let clean = rule.nonTriggering.first { text += "\n\nNot flagged:\n\n" + example(clean.source) }
        return text
    }

    /// The same as Markdown, the examples as C code blocks.
    static func helpMarkdown(_ rule: RuleDescription) -> String {
        var text = "**" + rule.summary + "**\n\n" + rule.rationale
        if let flagged = rule.triggering.first { text += "\n\nFlagged:\n\n```c\n" + example(flagged.source) + "\n```" }
        if let clean = rule.nonTriggering.first { text += "\n\nNot flagged:\n\n```c\n" + example(clean.source) + "\n```" }
        return text
    }

    /// An example without the test's `/* expect: id */` markers.
    static func example(_ code: String) -> String {
        code.replacingOccurrences(of: #"[ \t]*/\* expect: [^*]*\*/"#, with: "", options: .regularExpression)
            .trimmingCharacters(in: .whitespacesAndNewlines)
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

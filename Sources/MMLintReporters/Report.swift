import Foundation
import MMLintCore

/// What a reporter formats. The findings, their order and the summary are
/// given; a reporter decides only how they read in its format, which for
/// some formats means mapping a finding to the format's levels (checkpatch's
/// ERROR/WARNING, b4's pass/warn/fail: from the config's severity, else
/// from the confidence).
public struct Report: Sendable {
    public var findings: [Finding]
    public var rules: [RuleDescription]
    /// Paths in the output are relative to this folder (the kernel tree's
    /// root, or the current folder).
    public var root: String
    public var kernelVersion: KernelVersion?
    public var summary: Summary
    /// The text of a source line (1-based), for quoting; nil when unknown.
    public var sourceLine: @Sendable (String, Int) -> String?
    /// `check` only: how the patches were analysed (`tree`, `hunk-only`),
    /// the findings the patches fixed, and the patches (number, subject).
    public var mode: String?
    public var fixed: [Finding]
    public var patches: [(number: Int, subject: String?)]
    /// Severity per rule id set by the project config (`.mmlint.yml`): the
    /// findings carry it already; SARIF's rule level and checkpatch's
    /// ERROR/WARNING follow it too.
    public var severities: [String: Severity]
    /// Files (or versions of files) that could not be analysed at all: the
    /// run is incomplete, whatever the findings say.
    public var failures: [Failure]
    /// `check` only: the patch each finding (and each fixed finding) belongs
    /// to, by `Report.originKey`.
    public var origins: [String: PatchOrigin] = [:]
    /// `mmlint fix`: the fix of a finding, by `Finding.key` (SARIF `fixes`).
    public var fixes: [String: SuggestedFix] = [:]

    /// A finding's fix as regions of files replaced by text.
    public struct SuggestedFix: Sendable {
        /// A region (1-based lines and byte columns, the end exclusive; empty
        /// for an insertion) and what replaces it.
        public struct Replacement: Sendable {
            public var startLine: Int
            public var startColumn: Int
            public var endLine: Int
            public var endColumn: Int
            public var text: String
            public init(startLine: Int, startColumn: Int, endLine: Int, endColumn: Int, text: String) {
                self.startLine = startLine
                self.startColumn = startColumn
                self.endLine = endLine
                self.endColumn = endColumn
                self.text = text
            }
        }
        public var description: String
        /// Per file (absolute), its replacements in file order.
        public var changes: [(file: String, replacements: [Replacement])]
        public init(description: String, changes: [(file: String, replacements: [Replacement])]) {
            self.description = description
            self.changes = changes
        }
    }

    /// A file mmlint could not analyse (the parser crashed or hung, the
    /// worker died, libclang gave no translation unit). Parse errors in a
    /// file that was analysed are not failures.
    public struct Failure: Codable, Sendable, Equatable {
        /// As given (absolute); shown relative to the root.
        public var file: String
        /// `check`: which version of the file (`before the patch`, `after
        /// patch 2`, `neighbour`, …); nil for `scan`.
        public var version: String?
        public var cause: String
        public init(file: String, version: String? = nil, cause: String) {
            self.file = file
            self.version = version
            self.cause = cause
        }
    }

    public struct Summary: Codable, Sendable, Equatable {
        /// Files named by the command (after folders were searched).
        public var files: Int
        /// Files the prefilter read as tokens (C files, headers, included
        /// fragments); 0 when it did not run.
        public var read: Int
        /// Parsed now; `cached`: facts reused from the cache; `skipped`: set
        /// aside by the prefilter as unable to contribute a finding.
        public var parsed: Int
        public var cached: Int
        public var skipped: Int
        public var failed: Int
        public var filesWithParseErrors: Int
        public var parseErrors: Int
        public var findings: Int
        public var seconds: Double
        public init(files: Int, read: Int = 0, parsed: Int, cached: Int = 0, skipped: Int = 0, failed: Int,
                    filesWithParseErrors: Int, parseErrors: Int, findings: Int, seconds: Double) {
            self.files = files
            self.read = read
            self.parsed = parsed
            self.cached = cached
            self.skipped = skipped
            self.failed = failed
            self.filesWithParseErrors = filesWithParseErrors
            self.parseErrors = parseErrors
            self.findings = findings
            self.seconds = seconds
        }
    }

    public init(findings: [Finding], rules: [RuleDescription], root: String, kernelVersion: KernelVersion?,
                severities: [String: Severity] = [:], summary: Summary, sourceLine: @escaping @Sendable (String, Int) -> String? = Report.diskLine,
                mode: String? = nil, fixed: [Finding] = [], patches: [(number: Int, subject: String?)] = [],
                failures: [Failure] = [], origins: [String: PatchOrigin] = [:]) {
        self.findings = findings
        self.rules = rules
        self.root = root
        self.kernelVersion = kernelVersion
        self.summary = summary
        self.sourceLine = sourceLine
        self.mode = mode
        self.fixed = fixed
        self.patches = patches
        self.severities = severities
        self.failures = failures
        self.origins = origins
    }

    /// The patch of a series a finding belongs to: its 1-based position and
    /// its subject.
    public struct PatchOrigin: Sendable, Equatable {
        public var number: Int
        public var subject: String?
        public init(number: Int, subject: String?) {
            self.number = number
            self.subject = subject
        }
    }

    /// A finding's identity and place, for `origins`.
    public static func originKey(_ finding: Finding) -> String {
        finding.key + "@\(finding.location.line):\(finding.location.column)"
    }

    /// The patch that introduced `finding` (or fixed it), for `check`.
    public func origin(of finding: Finding) -> PatchOrigin? { origins[Self.originKey(finding)] }

    /// True when every file the run needed was analysed.
    public var isComplete: Bool { failures.isEmpty }

    /// The one line that says a file could not be analysed: file, version, cause.
    public func failureLine(_ failure: Failure) -> String {
        Self.failureLine(file: display(failure.file), version: failure.version, cause: failure.cause)
    }

    public static func failureLine(file: String, version: String?, cause: String) -> String {
        file + (version.map { " (\($0))" } ?? "") + " could not be analysed: " + cause
    }

    /// `file` relative to the root.
    public func display(_ file: String) -> String {
        let prefix = root.hasSuffix("/") ? root : root + "/"
        return file.hasPrefix(prefix) ? String(file.dropFirst(prefix.count)) : file
    }

    /// Reads a line from disk.
    public static let diskLine: @Sendable (String, Int) -> String? = { path, line in
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return Report.line(line, of: [UInt8](data))
    }

    /// Line `line` (1-based) of `data`, without its newline.
    public static func line(_ line: Int, of data: [UInt8]) -> String? {
        guard line > 0 else { return nil }
        var current = 1
        var start = data.startIndex
        for index in data.indices where data[index] == UInt8(ascii: "\n") {
            if current == line { return String(decoding: data[start..<index], as: UTF8.self) }
            current += 1
            start = data.index(after: index)
        }
        return current == line && start < data.endIndex ? String(decoding: data[start...], as: UTF8.self) : nil
    }
}

/// Output formats. `checkpatch` and `b4-review` speak of patches: `check` only.
public enum OutputFormat: String, CaseIterable, Sendable {
    case text, json, sarif, checkpatch
    case b4Review = "b4-review"

    /// The formats of a scan, which has no patches.
    public static let scanFormats: [OutputFormat] = [.text, .json, .sarif]

    public func render(_ report: Report) -> String {
        switch self {
        case .text: return TextReporter.render(report)
        case .json: return JSONReporter.render(report)
        case .sarif: return SARIFReporter.render(report)
        case .checkpatch: return CheckpatchReporter.render(report)
        case .b4Review: return B4ReviewReporter.render(report)
        }
    }
}

import Foundation
import Yams

/// A project's `.mmlint.yml`: which rules run, at what severity, and which
/// rule plugins to load. `docs/config.md` describes the format.
///
/// ```yaml
/// rules:
///   mm-follow-pfn:
///     enabled: false
///   mm-remap-in-fault:
///     severity: error
/// plugins:
///   - tools/mmlint/libDriverRules.so
/// ```
public struct ProjectConfig: Sendable, Equatable {
    /// The name looked for at the root of a tree.
    public static let fileName = ".mmlint.yml"

    /// One entry of `rules:`, with the line it was written on (for errors
    /// found later, such as an id no rule has).
    public struct RuleSetting: Sendable, Equatable {
        public var id: String
        public var line: Int
        public var enabled: Bool?
        public var severity: Severity?
    }

    /// The file read, absolute.
    public var path: String
    public var rules: [RuleSetting]
    /// Plugin paths, absolute (relative ones are taken from the config file's folder).
    public var plugins: [String]

    public init(path: String, rules: [RuleSetting] = [], plugins: [String] = []) {
        self.path = path
        self.rules = rules
        self.plugins = plugins
    }

    /// Reads and checks a config file.
    public init(contentsOf path: String) throws(ConfigError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(path: path, line: nil, message: "cannot read the config file")
        }
        try self.init(text: String(decoding: data, as: UTF8.self), path: path)
    }

    /// Parses config text; `path` names the file in errors and anchors relative plugin paths.
    public init(text: String, path: String) throws(ConfigError) {
        self.path = path
        self.rules = []
        self.plugins = []
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ConfigError(path: path, line: nil, message: "not valid YAML: \(error)")
        } catch {
            throw ConfigError(path: path, line: nil, message: "not valid YAML: \(error)")
        }
        guard let root else { return }  // an empty file configures nothing
        guard let top = root.mapping else {
            throw ConfigError(path: path, line: root.mark?.line,
                              message: "expected a mapping with the keys rules and plugins")
        }
        let folder = (path as NSString).deletingLastPathComponent
        for (key, value) in top {
            switch key.string {
            case "rules":
                guard let entries = value.mapping else {
                    if Self.isNull(value) { continue }
                    throw ConfigError(path: path, line: value.mark?.line,
                                      message: "rules: expected a mapping from rule ids to settings")
                }
                for (id, settings) in entries {
                    rules.append(try Self.ruleSetting(id: id, settings: settings, path: path))
                }
            case "plugins":
                guard let list = value.sequence else {
                    if Self.isNull(value) { continue }
                    throw ConfigError(path: path, line: value.mark?.line,
                                      message: "plugins: expected a list of shared-library paths")
                }
                for entry in list {
                    guard let scalar = entry.scalar, !scalar.string.isEmpty else {
                        throw ConfigError(path: path, line: entry.mark?.line,
                                          message: "plugins: each entry is a path to a shared library")
                    }
                    let given = scalar.string
                    let absolute = given.hasPrefix("/") ? given : (folder as NSString).appendingPathComponent(given)
                    plugins.append((absolute as NSString).standardizingPath)
                }
            default:
                throw ConfigError(path: path, line: key.mark?.line,
                                  message: "unknown key '\(key.string ?? "?")'; the keys are rules and plugins")
            }
        }
    }

    private static func ruleSetting(id: Node, settings: Node, path: String) throws(ConfigError) -> RuleSetting {
        guard let name = id.scalar?.string, !name.isEmpty else {
            throw ConfigError(path: path, line: id.mark?.line, message: "rules: expected a rule id")
        }
        var setting = RuleSetting(id: name, line: id.mark?.line ?? 0)
        guard let fields = settings.mapping else {
            throw ConfigError(path: path, line: settings.mark?.line ?? id.mark?.line,
                              message: "rules: \(name): expected a mapping with enabled and/or severity")
        }
        for (key, value) in fields {
            switch key.string {
            case "enabled":
                guard let flag = value.bool else {
                    throw ConfigError(path: path, line: value.mark?.line,
                                      message: "rules: \(name): enabled must be true or false, not '\(value.string ?? "?")'")
                }
                setting.enabled = flag
            case "severity":
                guard let text = value.string, let severity = Severity(rawValue: text) else {
                    throw ConfigError(path: path, line: value.mark?.line,
                                      message: "rules: \(name): severity '\(value.string ?? "?")' is not error, warning or note")
                }
                setting.severity = severity
            default:
                throw ConfigError(path: path, line: key.mark?.line,
                                  message: "rules: \(name): unknown key '\(key.string ?? "?")'; the keys are enabled and severity")
            }
        }
        return setting
    }

    /// `rules:` or `plugins:` with nothing after it.
    private static func isNull(_ node: Node) -> Bool {
        guard let scalar = node.scalar else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string) && scalar.style == .plain
    }

    /// Checks every configured id against the rules there are (built-ins and
    /// plugins), so that a typo does not silently configure nothing.
    public func validate(ruleIDs: Set<String>) throws(ConfigError) {
        for setting in rules where !ruleIDs.contains(setting.id) {
            throw ConfigError(path: path, line: setting.line,
                              message: "unknown rule '\(setting.id)'; `mmlint rules` lists them (a plugin's rules only with its --plugin or plugins: entry)")
        }
    }

    /// Rule ids the config turns off.
    public var disabled: Set<String> { Set(rules.filter { $0.enabled == false }.map(\.id)) }

    /// Severity per rule id, where the config sets one.
    public var severities: [String: Severity] {
        rules.reduce(into: [:]) { all, setting in
            if let severity = setting.severity { all[setting.id] = severity }
        }
    }
}

/// A config file problem: the file, the line when known, what is wrong.
public struct ConfigError: Error, CustomStringConvertible, Equatable {
    public var path: String
    public var line: Int?
    public var message: String

    public init(path: String, line: Int?, message: String) {
        self.path = path
        self.line = line
        self.message = message
    }

    public var description: String {
        "\(path)\(line.map { ":\($0)" } ?? ""): \(message)"
    }
}

import Foundation
import MMLintCore
import MMLintSupport

/// A kernel source tree: finds its root, tells whether it is prepared, and
/// synthesizes the flags kbuild would pass for one of its files on x86_64.
public final class KernelTree: @unchecked Sendable {
    public let root: String
    public let version: KernelVersion?
    /// True when `make prepare` has generated the headers a parse needs.
    public let isPrepared: Bool
    private let baseFlags: [String]
    private let config: [String: String]
    private let lock = NSLock()
    private var makefiles: [String: KbuildMakefile?] = [:]

    /// The kernel tree containing `path`: the nearest folder above it whose
    /// Makefile sets VERSION and PATCHLEVEL.
    public static func root(containing path: String) -> String? {
        var dir = Paths.normalize(path)
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: dir, isDirectory: &isDirectory) || !isDirectory.boolValue {
            dir = (dir as NSString).deletingLastPathComponent
        }
        while dir != "/" && !dir.isEmpty {
            if FileManager.default.fileExists(atPath: dir + "/Kconfig"), KernelVersion(kernelRoot: dir) != nil {
                return dir
            }
            dir = (dir as NSString).deletingLastPathComponent
        }
        return nil
    }

    public init(root: String) {
        self.root = root
        version = KernelVersion(kernelRoot: root)
        let fm = FileManager.default
        isPrepared = fm.fileExists(atPath: root + "/include/generated/autoconf.h")
            && fm.fileExists(atPath: root + "/arch/x86/include/generated/asm")
            && fm.fileExists(atPath: root + "/include/config/auto.conf")
        config = Self.readConfig(root + "/include/config/auto.conf")

        let topMakefile = FileManager.default.contents(atPath: root + "/Makefile").map { [UInt8]($0) } ?? []
        var flags = ["-nostdinc"]
        for dir in ["arch/x86/include", "arch/x86/include/generated", "include", "arch/x86/include/uapi",
                    "arch/x86/include/generated/uapi", "include/uapi", "include/generated/uapi"] {
            flags.append("-I" + root + "/" + dir)
        }
        for header in ["include/linux/compiler-version.h", "include/linux/kconfig.h",
                       "include/linux/compiler_types.h"]
        where fm.fileExists(atPath: root + "/" + header) {
            flags += ["-include", root + "/" + header]
        }
        flags += ["-D__KERNEL__", ByteSearch.contains(topMakefile, Array("-std=gnu11".utf8)) ? "-std=gnu11" : "-std=gnu89",
                  "-fno-strict-aliasing", "-fno-common", "-fshort-wchar", "-fno-PIE",
                  "-mno-sse", "-mno-mmx", "-mno-sse2", "-mno-3dnow", "-mno-avx", "-m64", "-mno-80387",
                  "-mcmodel=kernel", "-mno-red-zone", "-O2", "-fno-delete-null-pointer-checks",
                  "-fstack-protector-strong"]
        if ByteSearch.contains(topMakefile, Array("-funsigned-char".utf8)) { flags.append("-funsigned-char") }
        baseFlags = flags
    }

    /// kbuild's flags for `file` (absolute, inside the tree), without the file.
    public func flags(for file: String, resourceInclude: String?) -> [String] {
        let relative = Paths.relative(file, to: root)
        let dir = (relative as NSString).deletingLastPathComponent
        let base = ((relative as NSString).lastPathComponent as NSString).deletingPathExtension
        var flags = baseFlags
        // Subdirectory flags of every folder above, outermost first.
        var ancestors: [String] = []
        var walk = dir
        while !walk.isEmpty && walk != "." && walk != "/" {
            walk = (walk as NSString).deletingLastPathComponent
            ancestors.insert(walk, at: 0)
        }
        for ancestor in ancestors where !ancestor.isEmpty {
            flags += makefile(ancestor)?.values("subdir-ccflags-y") ?? []
        }
        let own = makefile(dir)
        let module = own?.compositeObject(containing: base + ".o") ?? base
        flags += own?.values("subdir-ccflags-y") ?? []
        flags += own?.values("ccflags-y") ?? []
        flags += own?.values("CFLAGS_" + base + ".o") ?? []
        flags.append("-I" + root + "/" + dir)
        let modname = module.replacingOccurrences(of: "-", with: "_")
        flags += ["-DKBUILD_MODFILE=\"\(dir)/\(module)\"", "-DKBUILD_BASENAME=\"\(base)\"",
                  "-DKBUILD_MODNAME=\"\(modname)\"", "-D__KBUILD_MODNAME=kmod_\(modname)"]
        // kbuild compiles the objects of a module (obj-m) with -DMODULE:
        // module_init() then defines __inittest(), and so on.
        if own?.isModule(module + ".o") == true { flags.append("-DMODULE") }
        return FlagTranslator.absolutize(flags, directory: root) + FlagTranslator.common(resourceInclude: resourceInclude)
    }

    /// Whether the tree's configuration builds `file`, as far as the
    /// Makefiles read here show: its object, or a composite object listing
    /// it, is in `obj-y`, `obj-m` or `lib-y` of its folder, and each folder
    /// is named the same way by a Makefile above it, up to a top-level
    /// folder or `arch/x86`. What the reader cannot place (Makefiles that
    /// include others, `$(subst …)`) counts as not built: such a file is
    /// better served by kbuild's own command from a config that builds it.
    public func builds(_ file: String) -> Bool {
        guard isPrepared, file.hasPrefix(root + "/") else { return false }
        let relative = Paths.relative(file, to: root)
        let dir = (relative as NSString).deletingLastPathComponent
        let base = ((relative as NSString).lastPathComponent as NSString).deletingPathExtension
        guard !dir.isEmpty, makefile(dir)?.builds(base + ".o") == true else { return false }
        return buildsFolder(dir)
    }

    private func buildsFolder(_ dir: String) -> Bool {
        let parts = dir.split(separator: "/")
        if parts.count == 1 { return parts[0] != "arch" }
        if parts[0] == "arch", parts.count == 2 { return parts[1] == "x86" }
        var above = (dir as NSString).deletingLastPathComponent
        while !above.isEmpty {
            let rest = String(dir.dropFirst(above.count + 1)) + "/"
            if makefile(above)?.names(rest) == true { return buildsFolder(above) }
            above = (above as NSString).deletingLastPathComponent
        }
        return false
    }

    private func makefile(_ dir: String) -> KbuildMakefile? {
        lock.lock()
        defer { lock.unlock() }
        if let cached = makefiles[dir] { return cached }
        let parsed = KbuildMakefile(root: root, dir: dir, config: config)
        makefiles[dir] = parsed
        return parsed
    }

    static func readConfig(_ path: String) -> [String: String] {
        // Bytes, not Characters: an allmodconfig's auto.conf has 10,000 lines,
        // and grapheme-breaking them cost a check of one file 7 ms.
        guard let data = FileManager.default.contents(atPath: path) else { return [:] }
        var values: [String: String] = [:]
        let prefix = Array("CONFIG_".utf8)
        for line in [UInt8](data).split(separator: 0x0A) where line.starts(with: prefix) {
            guard let equals = line.firstIndex(of: 0x3D), equals + 1 < line.endIndex else { continue }
            values[String(decoding: line[..<equals], as: UTF8.self)]
                = String(decoding: line[line.index(after: equals)...], as: UTF8.self)
        }
        return values
    }
}

/// The parts of a kbuild Makefile that shape a parse: `ccflags-y`,
/// `subdir-ccflags-y`, `CFLAGS_x.o` (with `-$(CONFIG_…)` forms evaluated
/// against the tree's configuration), simple variables, and composite objects
/// (`foo-y += a.o b.o`).
struct KbuildMakefile {
    private var assignments: [(name: String, value: String)] = []
    private var variables: [String: String]
    private let config: [String: String]

    init?(root: String, dir: String, config: [String: String]) {
        let base = dir.isEmpty ? root : root + "/" + dir
        guard let text = (try? String(contentsOfFile: base + "/Kbuild", encoding: .utf8))
                ?? (try? String(contentsOfFile: base + "/Makefile", encoding: .utf8)) else { return nil }
        self.config = config
        variables = ["srctree": root, "src": dir, "obj": dir, "objtree": root]
        var conditions: [Bool] = []
        for line in Self.logicalLines(text) {
            let words = line.split(separator: " ", maxSplits: 1).map(String.init)
            guard let keyword = words.first else { continue }
            switch keyword {
            case "ifdef", "ifndef":
                let value = config[expand(words.count > 1 ? words[1] : "")] ?? variables[words.count > 1 ? words[1] : ""]
                let defined = !(value ?? "").isEmpty && value != "n"
                conditions.append(keyword == "ifdef" ? defined : !defined)
                continue
            case "ifeq", "ifneq":
                conditions.append(evaluateComparison(words.count > 1 ? words[1] : "", negate: keyword == "ifneq"))
                continue
            case "else":
                if let last = conditions.popLast() { conditions.append(!last) }
                continue
            case "endif":
                _ = conditions.popLast()
                continue
            default:
                break
            }
            guard !conditions.contains(false) else { continue }
            guard let (name, op, value) = Self.assignment(line) else { continue }
            let expandedName = expand(name)
            let expandedValue = op == ":=" || op == "+=" ? expand(value) : value
            switch op {
            case "+=": variables[expandedName, default: ""] += " " + expandedValue
            case "?=": if variables[expandedName] == nil { variables[expandedName] = expandedValue }
            default: variables[expandedName] = expandedValue
            }
            assignments.append((expandedName, expandedValue))
        }
    }

    /// The words of a flags variable, `-I dir` joined to `-Idir`, with
    /// `name` and its `-$(CONFIG_X)` forms for enabled options.
    func values(_ name: String) -> [String] {
        let text = expand(variables[name] ?? "")
        var words = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        var joined: [String] = []
        var index = 0
        while index < words.count {
            if (words[index] == "-I" || words[index] == "-D"), index + 1 < words.count {
                joined.append(words[index] + words[index + 1])
                index += 2
            } else {
                joined.append(words[index])
                index += 1
            }
        }
        words = joined
        return words.filter { $0.hasPrefix("-I") || $0.hasPrefix("-D") || $0.hasPrefix("-U") || $0.hasPrefix("-include") }
            .map { $0.replacingOccurrences(of: "'", with: "") }
    }

    /// Whether the configuration builds `object` as a module: it is in
    /// `obj-m` (`obj-$(CONFIG_X) += object` with `CONFIG_X=m`).
    func isModule(_ object: String) -> Bool {
        assignments.contains { name, value in
            name == "obj-m" && value.split(separator: " ").contains { $0 == object }
        }
    }

    /// Whether the configuration builds `object` here: it is in `obj-y`,
    /// `obj-m` or `lib-y`, itself or through composite objects listing it.
    func builds(_ object: String, depth: Int = 0) -> Bool {
        if names(object) { return true }
        guard depth < 4 else { return false }
        for composite in composites(listing: object) where composite + ".o" != object {
            if builds(composite + ".o", depth: depth + 1) { return true }
        }
        return false
    }

    /// Whether `obj-y`, `obj-m` or `lib-y` lists `object` (a folder ends in `/`).
    func names(_ object: String) -> Bool {
        assignments.contains { name, value in
            (name == "obj-y" || name == "obj-m" || name == "lib-y") && words(value).contains(where: { $0 == object })
        }
    }

    private func words(_ value: String) -> [Substring] {
        expand(value).split(whereSeparator: { $0 == " " || $0 == "\t" })
    }

    /// `foo-y`, `foo-m`, `foo-objs`: the parts of the composite object foo.o.
    static func isComposite(_ name: String) -> Bool {
        (name.hasSuffix("-y") || name.hasSuffix("-objs") || name.hasSuffix("-m")) && !name.hasPrefix("obj-")
            && !name.hasPrefix("ccflags") && !name.hasPrefix("subdir-") && !name.hasPrefix("lib-")
            && !name.hasPrefix("asflags") && !name.hasPrefix("ldflags")
    }

    /// The composite object whose list names `object`, here or in a
    /// subfolder (`vfio-pci-core-y := vfio_pci_core.o`, `xdrv-y := sub/other.o`).
    func compositeObject(containing object: String) -> String? {
        composites(listing: object, inSubfolders: true).first
    }

    /// The composite objects whose lists name `object` (or, with
    /// `inSubfolders`, `dir/object`), in the order written, without `.o`
    /// (`vfio-pci-core` for `vfio-pci-core-y := vfio_pci_core.o`).
    private func composites(listing object: String, inSubfolders: Bool = false) -> [String] {
        assignments.compactMap { name, value in
            guard Self.isComposite(name), words(value).contains(where: {
                $0 == object || (inSubfolders && $0.hasSuffix("/" + object))
            }) else { return nil }
            return String(name.dropLast(name.hasSuffix("-objs") ? 5 : 2))
        }
    }

    func expand(_ text: String, depth: Int = 0) -> String {
        guard depth < 10, text.contains("$") else { return text }
        var result = ""
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            let next = text.index(after: index)
            if character == "$", next < text.endIndex, text[next] == "(" || text[next] == "{" {
                let close: Character = text[next] == "(" ? ")" : "}"
                var level = 0
                var end = next
                while end < text.endIndex {
                    if text[end] == text[next] { level += 1 }
                    if text[end] == close { level -= 1; if level == 0 { break } }
                    end = text.index(after: end)
                }
                guard end < text.endIndex else { result += text[index...]; break }
                let name = expand(String(text[text.index(after: next)..<end]), depth: depth + 1)
                result += lookup(name, depth: depth)
                index = text.index(after: end)
            } else {
                result.append(character)
                index = next
            }
        }
        return result
    }

    private func lookup(_ name: String, depth: Int) -> String {
        if name.hasPrefix("CONFIG_") { return config[name] ?? "" }
        if let value = variables[name] { return expand(value, depth: depth + 1) }
        return ""
    }

    private func evaluateComparison(_ argument: String, negate: Bool) -> Bool {
        // ifeq ($(CONFIG_X),y) / ifeq "a" "b"
        var inner = argument.trimmingCharacters(in: .whitespaces)
        if inner.hasPrefix("(") && inner.hasSuffix(")") { inner = String(inner.dropFirst().dropLast()) }
        let parts = inner.split(separator: ",", maxSplits: 1).map { expand(String($0)).trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2 else { return true }
        return (parts[0] == parts[1]) != negate
    }

    private static func logicalLines(_ text: String) -> [String] {
        var lines: [String] = []
        var current = ""
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = String(raw)
            if let hash = line.firstIndex(of: "#") { line = String(line[..<hash]) }
            if line.hasSuffix("\\") {
                current += line.dropLast() + " "
                continue
            }
            current += line
            let trimmed = current.trimmingCharacters(in: .whitespaces)
            if !trimmed.isEmpty { lines.append(trimmed) }
            current = ""
        }
        return lines
    }

    private static func assignment(_ line: String) -> (String, String, String)? {
        for op in [":=", "+=", "?=", "="] {
            guard let range = line.range(of: op) else { continue }
            let name = line[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty, !name.contains(" "), !name.contains("=") else { continue }
            return (name, op, line[range.upperBound...].trimmingCharacters(in: .whitespaces))
        }
        return nil
    }
}

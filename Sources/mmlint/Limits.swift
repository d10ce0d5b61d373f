import ArgumentParser
import Foundation
import MMLintEngine
import MMLintPatch

/// `--limit NAME=N` (repeatable) over the environment's MMLINT_MAX_* over the
/// defaults: the bounds that keep hostile input from costing unbounded memory
/// or time. docs/security.md lists them.
struct LimitOptions: ParsableArguments {
    @Option(name: .customLong("limit"), help: ArgumentHelp(
        "Raise or lower a bound: mail-size, patches, hunk-lines, line-length (patch input), files (scan); e.g. --limit mail-size=300M.",
        valueName: "name=N"))
    var overrides: [String] = []

    /// Files one scan may name (kernel trees have about 35,000 .c files).
    static let defaultFiles = 100_000
    static let filesVariable = "MMLINT_MAX_FILES"

    func validate() throws {
        _ = try resolved()
    }

    /// The patch limits and the files-per-scan limit in force.
    func resolved(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> (patch: PatchLimits, files: Int) {
        var patch = PatchLimits.default
        var files = Self.defaultFiles
        for name in PatchLimits.Name.allCases {
            guard let text = environment[name.environmentVariable], !text.isEmpty else { continue }
            guard let value = PatchLimits.parseAmount(text) else {
                throw ValidationError("\(name.environmentVariable)=\(text): expected a positive number (K, M, G allowed)")
            }
            patch[name] = value
        }
        if let text = environment[Self.filesVariable], !text.isEmpty {
            guard let value = PatchLimits.parseAmount(text) else {
                throw ValidationError("\(Self.filesVariable)=\(text): expected a positive number")
            }
            files = value
        }
        for item in overrides {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            let names = PatchLimits.Name.allCases.map(\.rawValue) + ["files"]
            guard parts.count == 2, names.contains(parts[0]) else {
                throw ValidationError("--limit \(item): expected NAME=N with NAME one of \(names.joined(separator: ", "))")
            }
            guard let value = PatchLimits.parseAmount(parts[1]) else {
                throw ValidationError("--limit \(item): expected a positive number (K, M, G allowed)")
            }
            if let name = PatchLimits.Name(rawValue: parts[0]) { patch[name] = value } else { files = value }
        }
        return (patch, files)
    }
}

/// Reads a patch input without holding more than the size limit in memory:
/// a file's size is checked before it is read, stdin is read in chunks.
enum BoundedInput {
    static func read(path: String, limits: PatchLimits) throws -> [UInt8] {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw EngineError.input("\(path): cannot read the patch file (\(String(cString: strerror(errno))))")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw EngineError.input("\(path): not a regular file; give a patch or mbox file, or - for stdin")
        }
        try PatchReader.checkSize(Int(info.st_size), input: path, limits: limits)
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw EngineError.input("\(path): cannot read the patch file (\(String(cString: strerror(errno))))")
        }
        defer { close(fd) }
        return try read(fd: fd, name: path, limits: limits)
    }

    /// Standard input: a redirected file is judged by its size first; a pipe is read in chunks.
    static func readStandardInput(limits: PatchLimits) throws -> [UInt8] {
        var info = stat()
        if fstat(0, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG {
            try PatchReader.checkSize(Int(info.st_size), input: "<stdin>", limits: limits)
        }
        return try read(fd: 0, name: "<stdin>", limits: limits)
    }

    /// Plain read(2) in 1 MiB chunks (Foundation's FileHandle may read a regular file whole).
    static func read(fd: Int32, name: String, limits: PatchLimits) throws -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count < 0 {
                throw EngineError.input("\(name): read failed (\(String(cString: strerror(errno))))")
            }
            if count == 0 { return bytes }
            bytes += chunk[..<count]
            // Stop reading as soon as the limit is passed: what follows is never held.
            try PatchReader.checkSize(bytes.count, input: name, limits: limits)
        }
    }
}

import Foundation
import MMLintCore

/// The arguments kbuild gives its checker (`make C=1 CHECK="mmlint kbuild"`):
/// `$(CHECKFLAGS) $(c_flags) file.c`, run in the build's output folder. They
/// are the file's exact compile flags once what only sparse understands is
/// taken out; the GCC-only flags go the way every compile command's go
/// (`FlagTranslator`).
public enum KbuildCheckerArguments {
    /// sparse's own options among `CHECKFLAGS`: its warning switches are
    /// dropped with every other `-W` flag (a parse needs no warnings), and
    /// its endianness switches, which clang takes on ARM only.
    static let sparseOnlyPrefixes = ["--arch=", "--os=", "-mlittle-endian", "-mbig-endian", "-fdiagnostic-prefix", "-fmax-warnings=",
                                     "-fmemcpy-max-count=", "-fmax-errors=", "-fdump-", "-fmem-report",
                                     "-fnative-array", "-fshort-wchar-t", "-funsigned-bitfields",
                                     "-fsigned-bitfields"]
    /// GCC's `--param NAME=VALUE` (KASAN, stack protector): dropped with its value.
    static let droppedWithValue: Set<String> = ["--param"]

    /// The compile entry for the checked file: `directory` is the folder
    /// kbuild ran the checker in. The file is the last argument (kbuild's `$<`).
    public static func entry(_ arguments: [String], directory: String) throws(EngineError) -> CompileDatabase.Entry {
        guard let last = arguments.last, !last.hasPrefix("-"), last.hasSuffix(".c") else {
            throw .usage("expected kbuild's checker arguments ending with a .c file (CHECKFLAGS, c_flags, the file); "
                         + "use it as `make C=1 CHECK=\"mmlint kbuild\"`, or `mmlint kbuild --report` after the build")
        }
        let file = Paths.normalize(last, relativeTo: directory)
        var flags: [String] = []
        var index = 0
        let given = arguments.dropLast()
        while index < given.count {
            let argument = given[given.startIndex + index]
            index += 1
            if droppedWithValue.contains(argument) { index += 1; continue }
            if argument.hasPrefix("--param=") { continue }
            // Warnings change nothing in a parse (-w is passed anyway), and
            // sparse's (-Wbitwise, -Wno-return-void, -Wsparse-all) are unknown to clang.
            if argument.hasPrefix("-W"), !argument.hasPrefix("-Wp,"), !argument.hasPrefix("-Wa,"),
               !argument.hasPrefix("-Wl,") { continue }
            if sparseOnlyPrefixes.contains(where: { argument.hasPrefix($0) }) { continue }
            // A long option is sparse's: GCC's flags in c_flags are all single-dash.
            if argument.hasPrefix("--") { continue }
            flags.append(argument)
        }
        return CompileDatabase.Entry(directory: directory, file: file, arguments: ["cc"] + flags + [last])
    }
}

/// What the checks of one build have found out, file by file: the facts of
/// every file kbuild had mmlint check, kept so that a later file's check can
/// complete a chain that runs through files checked before it, and so that
/// `mmlint kbuild --report` can evaluate everything at once after the build.
///
/// kbuild runs one checker per file under `make -jN`, so every write is a
/// new file written under a temporary name and renamed: concurrent checks
/// never see half an entry, and never need a lock. Linking uses an index of
/// marker files: `defs/<usr>/<file>` for each function a file defines with
/// external linkage, `refs/<usr>/<file>` for each function it calls without
/// defining it.
public final class KbuildRecord: @unchecked Sendable {
    /// The build's output folder (where kbuild runs the checker).
    public let objtree: String
    public let folder: String

    /// `<cache>/kbuild/<name>-<hash of the output folder>`, next to the fact cache.
    public static func defaultDirectory() -> String {
        (FactCache.defaultDirectory as NSString).deletingLastPathComponent + "/kbuild"
    }

    public init(objtree: String, cacheDirectory: String = KbuildRecord.defaultDirectory()) {
        self.objtree = Paths.normalize(objtree)
        var hasher = FNV1a()
        hasher.add(self.objtree)
        folder = Paths.normalize(cacheDirectory) + "/" + (self.objtree as NSString).lastPathComponent + "-"
            + String(hasher.hex.prefix(12))
    }

    /// A failure kept in the record: the file could not be analysed.
    struct FailureEntry: Codable {
        var file: String
        var cause: String
    }

    static func name(_ text: String) -> String {
        var hasher = FNV1a()
        hasher.add(text)
        return hasher.hex
    }

    /// Records a file's facts (replacing what an earlier check of it left),
    /// and clears a failure recorded for it.
    public func store(_ facts: UnitFacts) throws(EngineError) {
        let key = Self.name(facts.file)
        do {
            try write(JSONEncoder().encode(facts), to: folder + "/units/" + key + ".json")
        } catch {
            throw .input("\(folder): cannot record the facts of \(facts.file) (\(error.localizedDescription)); "
                         + "pass --record-dir a writable folder")
        }
        try? FileManager.default.removeItem(atPath: folder + "/failures/" + key + ".json")
        let (defined, called) = Self.links(facts)
        for usr in defined { mark(folder + "/defs/" + Self.name(usr), key, file: facts.file) }
        for usr in called { mark(folder + "/refs/" + Self.name(usr), key, file: facts.file) }
    }

    /// Records that `file` could not be analysed: the report after the build
    /// says so, and exits 2, until a check of it succeeds.
    public func storeFailure(file: String, cause: String) {
        let key = Self.name(file)
        try? FileManager.default.removeItem(atPath: folder + "/units/" + key + ".json")
        if let data = try? JSONEncoder().encode(FailureEntry(file: file, cause: cause)) {
            try? write(data, to: folder + "/failures/" + key + ".json")
        }
    }

    /// Functions of `facts` with external linkage that it defines, and the
    /// functions it calls without defining them.
    static func links(_ facts: UnitFacts) -> (defined: Set<String>, called: Set<String>) {
        let all = Set(facts.functions.map(\.usr))
        let defined = Set(facts.functions.filter { !$0.isStatic && $0.location.file == facts.file }.map(\.usr))
        var called = Set<String>()
        for function in facts.functions {
            for call in function.calls { if let usr = call.calleeUSR, !all.contains(usr) { called.insert(usr) } }
        }
        return (defined, called)
    }

    /// Facts of the files checked before that link to `facts`: files
    /// defining what it calls (and what they call, onwards), files calling
    /// what it defines (and their callers, backwards), breadth first with
    /// the two directions taking turns, files of nearer folders first, at
    /// most `limit` files.
    public func linked(to facts: UnitFacts, limit: Int) -> [UnitFacts] {
        var chosen: [UnitFacts] = []
        var seen: Set<String> = [Self.name(facts.file)]
        // Onwards: who defines what a file calls; backwards: who calls what it defines.
        var frontiers: [(direction: String, units: [UnitFacts])] = [("defs", [facts]), ("refs", [facts])]
        while chosen.count < limit, frontiers.contains(where: { !$0.units.isEmpty }) {
            for index in frontiers.indices {
                let (direction, units) = frontiers[index]
                // Candidates by the path their marker holds; only those taken are loaded.
                var found: [(key: String, file: String)] = []
                for unit in units {
                    let (defined, called) = Self.links(unit)
                    for usr in (direction == "defs" ? called : defined).sorted() {
                        let markers = folder + "/" + direction + "/" + Self.name(usr)
                        for key in Self.list(markers) where seen.insert(key).inserted {
                            let file = FileManager.default.contents(atPath: markers + "/" + key)
                                .map { String(decoding: $0, as: UTF8.self) } ?? ""
                            found.append((key, file))
                        }
                    }
                }
                found.sort { (Self.shared($0.file, facts.file), $1.file) > (Self.shared($1.file, facts.file), $0.file) }
                var taken: [UnitFacts] = []
                for candidate in found where chosen.count + taken.count < limit {
                    if let linked = unit(candidate.key) { taken.append(linked) }
                }
                chosen += taken
                frontiers[index].units = taken
            }
        }
        return chosen
    }

    /// Every file recorded, and every failure.
    public func all() -> (units: [UnitFacts], failures: [AnalysisFailure]) {
        let units = Self.list(folder + "/units").filter { $0.hasSuffix(".json") }
            .compactMap { unit(String($0.dropLast(5))) }.sorted { $0.file < $1.file }
        let failures = Self.list(folder + "/failures").filter { $0.hasSuffix(".json") }.compactMap { name -> AnalysisFailure? in
            guard let data = FileManager.default.contents(atPath: folder + "/failures/" + name),
                  let entry = try? JSONDecoder().decode(FailureEntry.self, from: data) else { return nil }
            return AnalysisFailure(file: entry.file, cause: entry.cause)
        }
        return (units, failures.sorted { $0.file < $1.file })
    }

    /// Whether any check has recorded anything for this build.
    public var exists: Bool { FileManager.default.fileExists(atPath: folder + "/units") }

    func unit(_ key: String) -> UnitFacts? {
        guard let data = FileManager.default.contents(atPath: folder + "/units/" + key + ".json") else { return nil }
        return try? JSONDecoder().decode(UnitFacts.self, from: data)
    }

    /// Length of the common folder prefix of two paths: nearer files first.
    static func shared(_ a: String, _ b: String) -> Int {
        zip(a.split(separator: "/"), b.split(separator: "/")).prefix { $0 == $1 }.count
    }

    static func list(_ path: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
    }

    /// A marker file holding the linked file's path; racing creators
    /// write the same content, each by a rename.
    func mark(_ directory: String, _ name: String, file: String) {
        let path = directory + "/" + name
        if FileManager.default.fileExists(atPath: path) { return }
        try? write(Data(file.utf8), to: path)
    }

    /// Written under a temporary name and renamed: readers see the old
    /// entry or the new one, never a part.
    func write(_ data: Data, to path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let temporary = directory + "/." + UUID().uuidString + ".tmp"
        try data.write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, path) == 0 else {
            try? FileManager.default.removeItem(atPath: temporary)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
    }
}

/// A throw-away place to run kbuild over a tree without writing in it: a
/// hard-link view of its sources and an `O=` output folder holding a copy
/// of its `.config`. For trying `make C=2 CHECK="mmlint kbuild"` on a tree
/// that must stay as it is.
public enum KbuildScratch {
    /// Makes `folder/src` (the view) and `folder/out` (with the tree's
    /// `.config`); returns both.
    public static func make(tree: String, folder: String) throws(EngineError) -> (source: String, output: String) {
        let view = try SourceView(tree: Paths.normalize(tree), root: folder + "/src")
        let output = folder + "/out"
        try? FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        do {
            try FileManager.default.copyItem(atPath: view.tree + "/.config", toPath: output + "/.config")
        } catch {
            throw .input("\(tree)/.config: cannot copy to \(output) (\(error.localizedDescription))")
        }
        return (view.root, output)
    }
}

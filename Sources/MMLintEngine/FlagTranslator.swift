import Foundation

/// Turns a compiler's argv (GCC or clang, as kbuild ran it) into arguments
/// for libclang's parser: drops what is not about parsing or what clang
/// rejects, swaps GCC's own header folder for clang's, and makes the
/// analysis keep going and stay quiet about warnings.
enum FlagTranslator {
    /// GCC flags clang does not accept (exact spellings). Checked against
    /// clang 14 with the flags of Debian's 6.1 and 6.12 kbuild commands; the
    /// rest are GCC-only flags other configurations add.
    static let gccOnly: Set<String> = [
        "-mindirect-branch-register", "-mindirect-branch-cs-prefix", "-mskip-rax-setup",
        "-mrecord-mcount", "-fconserve-stack", "-fno-allow-store-data-races",
        "-fno-var-tracking-assignments", "-fno-inline-functions-called-once", "-fsched-pressure",
        "-fno-code-hoisting", "-fno-tree-loop-im", "-fno-tree-loop-distribute-patterns",
        "-fno-partial-inlining", "-fno-reorder-blocks",
    ]
    /// GCC flag families clang does not accept (prefixes).
    static let gccOnlyPrefixes: [String] = [
        "-mindirect-branch=", "-mfunction-return=", "-mpreferred-stack-boundary=",
        "-ftrivial-auto-var-init=", "-falign-", "-Wimplicit-fallthrough=",
        "-fmin-function-alignment=", "-fzero-call-used-regs=", "-fplugin", "-fno-ipa-",
        "-fcallgraph-info", "-fstrict-flex-arrays", "-fconserve-stack", "-fasan-shadow-offset=",
    ]
    /// GCC's sanitizers clang does not know, with the nearest clang one (nil:
    /// dropped). 6.12's UBSAN_BOUNDS asks GCC for `bounds-strict`; a
    /// sanitizer changes code generation, not what is parsed.
    static let gccOnlySanitizers: [String: String?] = ["bounds-strict": "bounds"]
    /// Flags that take their value as the next argument and are dropped with it.
    static let droppedWithValue: Set<String> = ["-o", "-MF", "-MT", "-MQ"]
    /// Dropped on their own: dependency output, compile-only, warnings-as-errors.
    static let droppedAlone: Set<String> = ["-c", "-MD", "-MMD", "-MP", "-Werror", "-pipe", "-S", "-E"]

    /// `argv` without the compiler and without `source`; `directory` is the
    /// folder the command ran in (relative paths are resolved against it).
    static func translate(_ argv: [String], source: String, directory: String,
                          resourceInclude: String?) -> [String] {
        var result: [String] = []
        var index = argv.isEmpty ? 0 : 1
        while index < argv.count {
            let argument = argv[index]
            index += 1
            if droppedWithValue.contains(argument) { index += 1; continue }
            if droppedAlone.contains(argument) || gccOnly.contains(argument) { continue }
            if argument.hasPrefix("-Wp,") || argument.hasPrefix("-Werror=") { continue }
            if gccOnlyPrefixes.contains(where: { argument.hasPrefix($0) }) { continue }
            if argument.hasPrefix("-fsanitize=") {
                let kinds = argument.dropFirst("-fsanitize=".count).split(separator: ",").compactMap { kind in
                    gccOnlySanitizers[String(kind)] ?? String(kind)
                }
                if !kinds.isEmpty { result.append("-fsanitize=" + kinds.joined(separator: ",")) }
                continue
            }
            // GCC's own header folder (`-isystem <gcc>/include`) is GCC's, not clang's.
            if argument == "-isystem", index < argv.count, argv[index].contains("/gcc/") {
                index += 1
                continue
            }
            if argument.hasPrefix("-isystem"), argument.contains("/gcc/") { continue }
            // The source file itself.
            if !argument.hasPrefix("-"), Paths.normalize(argument, relativeTo: directory) == source { continue }
            result.append(argument)
        }
        return absolutize(result, directory: directory) + common(resourceInclude: resourceInclude)
    }

    /// Flags for `file` from the command of `neighbour`, a file kbuild does
    /// compile: its source swapped for `file`, `KBUILD_BASENAME` renamed, and
    /// `file`'s own folder searched first (kbuild's `-I $(src)`).
    static func borrow(_ neighbour: CompileDatabase.Entry, for file: String, resourceInclude: String?) -> [String] {
        let base = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
        let flags = translate(neighbour.arguments, source: neighbour.file, directory: neighbour.directory,
                              resourceInclude: resourceInclude)
            .map { $0.hasPrefix("-DKBUILD_BASENAME=") ? "-DKBUILD_BASENAME=\"\(base)\"" : $0 }
        return flags + ["-I" + (file as NSString).deletingLastPathComponent]
    }

    /// Flags that name a path, joined (`-Ipath`) or separate (`-I path`).
    static let pathFlags = ["-I", "-isystem", "-iquote", "-idirafter", "-include", "-imacros", "-iprefix"]

    /// Makes relative include paths absolute against `directory`. (clang's
    /// `-working-directory` would do it by changing the process's current
    /// folder, which parallel parses share.)
    static func absolutize(_ flags: [String], directory: String) -> [String] {
        var result: [String] = []
        var index = 0
        while index < flags.count {
            let flag = flags[index]
            index += 1
            if pathFlags.contains(flag), index < flags.count {
                result += [flag, Paths.normalize(flags[index], relativeTo: directory)]
                index += 1
                continue
            }
            if let prefix = pathFlags.first(where: { flag.hasPrefix($0) && flag.count > $0.count }),
               prefix == "-I" || prefix == "-isystem" || prefix == "-iquote" || prefix == "-idirafter" {
                result.append(prefix + Paths.normalize(String(flag.dropFirst(prefix.count)), relativeTo: directory))
                continue
            }
            result.append(flag)
        }
        return result
    }

    /// What every parse gets: clang's own headers (kbuild passes -nostdinc),
    /// no warnings, no error limit.
    static func common(resourceInclude: String?) -> [String] {
        var flags = ["-w", "-Wno-error", "-ferror-limit=0", "-fno-caret-diagnostics"]
        if let resourceInclude { flags += ["-isystem", resourceInclude] }
        return flags
    }
}

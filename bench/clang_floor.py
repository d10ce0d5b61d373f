"""The compiler's floor for the benchmarks: a compile_commands.json entry as
a `clang-14 -fsyntax-only` command, with the GCC-only flags clang rejects
dropped (the same translation mmlint applies)."""
import shlex

GCC_ONLY = ("-mindirect-branch-register", "-mindirect-branch-cs-prefix", "-fconserve-stack",
            "-fno-allow-store-data-races", "-mrecord-mcount")
GCC_ONLY_PREFIXES = ("-mindirect-branch=", "-mfunction-return=", "-mpreferred-stack-boundary=",
                     "-ftrivial-auto-var-init=", "-Wp,", "-falign-")


def syntax_only(entry):
    """argv of clang-14 -fsyntax-only for a database entry (run in entry['directory'])."""
    argv, clang, skip = shlex.split(entry["command"]), ["clang-14", "-fsyntax-only", "-w"], False
    for arg in argv[1:]:
        if skip:
            skip = False
            continue
        if arg == "-o":
            skip = True
            continue
        if arg == "-c" or arg in GCC_ONLY or arg.startswith(GCC_ONLY_PREFIXES):
            continue
        clang.append(arg)
    return clang

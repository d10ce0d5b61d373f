"""What the detailed preprocessing record (which holds the skipped ranges
`mmlint check` reads) costs a parse: each file of a tree's compile database
parsed through libclang with and without it, alternately, in one process;
prints per-file medians and the ratio of the totals."""
import json, os, shlex, statistics, subprocess, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clang_floor import syntax_only  # noqa: E402

HELPER = r"""
#include <clang-c/Index.h>
#include <stdio.h>
#include <time.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
/* argv[1]: runs, argv[2]: file, then the flags. Prints "plain detailed ranges" per run. */
int main(int argc, char **argv) {
    CXIndex index = clang_createIndex(0, 0);
    int runs = atoi(argv[1]);
    for (int run = 0; run < runs; run++) {
        double t[2]; unsigned ranges = 0;
        for (int detailed = 0; detailed < 2; detailed++) {
            unsigned options = CXTranslationUnit_KeepGoing | CXTranslationUnit_IgnoreNonErrorsFromIncludedFiles
                | (detailed ? CXTranslationUnit_DetailedPreprocessingRecord : 0);
            CXTranslationUnit tu = 0;
            double start = now();
            clang_parseTranslationUnit2(index, argv[2], (const char *const *)argv + 3, argc - 3, 0, 0, options, &tu);
            t[detailed] = now() - start;
            if (detailed && tu) {
                CXSourceRangeList *list = clang_getSkippedRanges(tu, clang_getFile(tu, argv[2]));
                ranges = list->count;
                clang_disposeSourceRangeList(list);
            }
            if (tu) clang_disposeTranslationUnit(tu);
        }
        printf("%f %f %u\n", t[0], t[1], ranges);
    }
    return 0;
}
"""


def main():
    tree, database, runs = sys.argv[1], sys.argv[2], sys.argv[3]
    files = sys.argv[4:]
    work = tempfile.mkdtemp(prefix="pprecord-bench")
    with open(os.path.join(work, "helper.c"), "w") as f:
        f.write("#include <stdlib.h>\n" + HELPER)
    llvm = "/usr/lib/llvm-14"
    subprocess.run(["cc", "-O2", "-I" + llvm + "/include", os.path.join(work, "helper.c"), "-L" + llvm + "/lib",
                    "-lclang", "-Wl,-rpath," + llvm + "/lib", "-o", os.path.join(work, "helper")], check=True)
    entries = {os.path.normpath(os.path.join(e["directory"], e["file"])): e for e in json.load(open(database))}
    totals = [0.0, 0.0]
    for relative in files:
        path = os.path.normpath(os.path.join(tree, relative))
        entry = entries.get(path)
        if entry is None:
            print(f"{relative}: not in the database (not built in this config), skipped")
            continue
        entry.setdefault("command", shlex.join(entry.get("arguments", [])))
        flags = [a for a in syntax_only(entry)[3:] if os.path.normpath(os.path.join(entry["directory"], a)) != path]
        out = subprocess.run([os.path.join(work, "helper"), runs, path] + flags, cwd=entry["directory"],
                             capture_output=True, text=True, check=True).stdout.split("\n")
        rows = [list(map(float, line.split())) for line in out if line]
        plain, detailed = statistics.median(r[0] for r in rows), statistics.median(r[1] for r in rows)
        totals[0] += plain
        totals[1] += detailed
        print(f"{relative}: plain {plain:.3f} s, detailed record {detailed:.3f} s, ratio {detailed / plain:.2f}, "
              f"{int(rows[0][2])} skipped ranges")
    if totals[0]:
        print(f"total: plain {totals[0]:.2f} s, detailed record {totals[1]:.2f} s, ratio {totals[1] / totals[0]:.2f}")


main()

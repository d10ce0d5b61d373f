"""Times mmlint scan over Linux 6.1 against spatch, the clang floor and itself (see scan-bench.sh)."""
import argparse, atexit, json, os, re, shlex, shutil, statistics, subprocess, sys, tempfile, time

from clang_floor import syntax_only
from proctree import commit_measured, run_measured

ap = argparse.ArgumentParser(prog="bench/scan-bench.sh", description="Whole-tree benchmark of mmlint scan.")
ap.add_argument("tree", help="the prepared linux-source-6.1 tree")
ap.add_argument("mmlint", help="the mmlint binary")
ap.add_argument("cocci", help="the semantic patch for spatch (bench/fault-remap.cocci)")
ap.add_argument("--subtree", default="", help="scan this folder of the tree in (a), (c) and (d) instead of the "
                "whole tree (the goals are for the whole tree)")
ap.add_argument("--runs", type=int, default=5, help="timed runs of each command (default 5)")
ap.add_argument("--default-rules", action="store_true",
                help="scan with the default rule set (every rule) instead of the two Coccinelle covers: "
                "(a) is then the cold scan (a fresh --cache-dir, the one (c) re-scans warm) against spatch, "
                "goal 2.5x, and mmlint's untimed warm-up run is skipped (a cold default scan takes minutes)")
args = ap.parse_args()
tree, mmlint, cocci, runs = os.path.realpath(args.tree), os.path.abspath(args.mmlint), os.path.abspath(args.cocci), args.runs
assert runs >= 1, "--runs must be at least 1"
target = os.path.realpath(os.path.join(tree, args.subtree)) if args.subtree else tree
if not os.path.isdir(target) or not (target + "/").startswith(tree + "/"):
    sys.exit(f"scan-bench: --subtree {args.subtree}: not a folder of {tree}")
where = f"subtree {os.path.relpath(target, tree)}" if args.subtree else "whole tree"
JOBS = "2"
work = tempfile.mkdtemp(prefix="mmlint-scan-bench-")
atexit.register(shutil.rmtree, work, True)


def timed(cmd, ok, cwd=tree, stdin=None):
    """Runs cmd; returns (seconds, peak PSS in KiB summed over its process
    tree — mmlint's parse workers, spatch's and xargs' children included —,
    stdout)."""
    elapsed, peak, result = run_measured(cmd, cwd=cwd, ok=ok, stdin=stdin)
    return elapsed, peak, result.stdout


# The two rules bench/fault-remap.cocci counterparts: the comparison is of
# equal work. The other rules judge every fault handler and mmap handler,
# and make mmlint parse hundreds of files Coccinelle has no rule for.
RULES = [] if args.default_rules else ["--rule", "mm-remap-in-fault", "--rule", "mm-follow-pfn"]
GOAL_A = 2.5 if args.default_rules else 1.0


def mmlint_scan(paths, cache=None):
    return [mmlint, "scan", "-q", "--jobs", JOBS, "--format", "json"] + RULES + \
        (["--cache-dir", cache] if cache else ["--no-cache"]) + paths


# (a) spatch: -j 2 forks workers that write their output folders into the
# current folder (hence cwd=work); --no-scanner leaves the choice of files to
# the workers' own token check, which is faster here than the tree's
# .cocciconfig --use-gitgrep (no git repository: it falls back to a
# one-process scan); that .cocciconfig's --timeout 200 stays in effect.
spatch = ["spatch", "-j", JOBS, "--very-quiet", "--no-includes", "--no-scanner", "--sp-file", cocci, "--dir", target]
spatch_version = subprocess.run(["spatch", "--version"], capture_output=True, text=True).stdout.split("\n")[0]

# (b) the files of drivers/vfio that the compile database has, for both
# tools; clang-14 gets each file's command with the GCC-only flags clang
# rejects dropped (as in check_bench.py), two at a time (xargs -P 2).
database = json.load(open(os.path.join(tree, "compile_commands.json")))
vfio = sorted((e for e in database if e["file"].startswith(tree + "/drivers/vfio/")), key=lambda e: e["file"])
assert vfio, "no drivers/vfio entries in compile_commands.json"
lines = []
for entry in vfio:
    clang = syntax_only(entry)
    lines.append(f"cd {shlex.quote(entry['directory'])} && exec {shlex.join(clang)}")
clang_list = os.path.join(work, "clang-commands.txt")
open(clang_list, "w").write("\n".join(lines) + "\n")
clang_floor = ["xargs", "-d", "\n", "-P", JOBS, "-n", "1", "sh", "-c"]
vfio_files = [e["file"] for e in vfio]
vfio_folder_files = sum(1 for _, _, names in os.walk(os.path.join(tree, "drivers/vfio")) for n in names if n.endswith(".c"))

samples = {k: [] for k in ("mm", "sp", "vfio", "clang", "folder", "cold", "warm")}
rss = {k: [] for k in samples}
outputs = {k: [] for k in samples}


def run(key, cmd, ok, **kw):
    seconds, peak, out = timed(cmd, ok, **kw)
    samples[key].append(seconds)
    rss[key].append(peak)
    outputs[key].append(out)


print(f"scan-bench: warming the page cache (one untimed run of each command)", file=sys.stderr)
if not args.default_rules:
    timed(mmlint_scan([target]), (0, 1))
timed(spatch, (0,), cwd=work)
timed(mmlint_scan(vfio_files), (0, 1)); timed(clang_floor, (0,), stdin=clang_list)
cache_sizes = []
for i in range(runs):
    print(f"scan-bench: run {i + 1} of {runs}", file=sys.stderr)
    cache = tempfile.mkdtemp(prefix="cache-", dir=work)
    if args.default_rules:
        # (a) is the cold run of (c): the default set's cold scan once per run.
        pair = [("cold", mmlint_scan([target], cache), (0, 1), {}), ("sp", spatch, (0,), {"cwd": work})]
    else:
        # (a), alternating which tool goes first
        pair = [("mm", mmlint_scan([target]), (0, 1), {}), ("sp", spatch, (0,), {"cwd": work})]
    for key, cmd, ok, kw in (pair if i % 2 == 0 else pair[::-1]):
        run(key, cmd, ok, **kw)
    # (c) and (d): a fresh cache folder, cold then warm
    if not args.default_rules:
        run("cold", mmlint_scan([target], cache), (0, 1))
    run("warm", mmlint_scan([target], cache), (0, 1))
    cache_sizes.append(sum(os.path.getsize(os.path.join(d, n)) for d, _, ns in os.walk(cache) for n in ns))
    shutil.rmtree(cache)
    # (b), alternating, then the whole folder (files without compile commands too)
    pair = [("vfio", mmlint_scan(vfio_files), (0, 1), {}), ("clang", clang_floor, (0,), {"stdin": clang_list})]
    for key, cmd, ok, kw in (pair if i % 2 == 0 else pair[::-1]):
        run(key, cmd, ok, **kw)
    run("folder", mmlint_scan([os.path.join(tree, "drivers/vfio")]), (0, 1))

if args.default_rules:
    # (a)'s mmlint run is the cold one: report it under (a)'s key too.
    samples["mm"], rss["mm"], outputs["mm"] = samples["cold"], rss["cold"], outputs["cold"]
# How (a)'s mmlint run is named in the lines below.
MM_LABEL = "cold" if args.default_rules else "--no-cache"

# Findings: mmlint's JSON, spatch's `--- FILE:LINE: RULE CALLEE FUNCTION ROOT` lines.
reports = {k: [json.loads(out) for out in outputs[k]] for k in ("mm", "cold", "warm", "vfio", "folder")}


def mm_set(report):
    return {(f["ruleId"], f["file"], f["line"], f["callee"]): f for f in report["findings"]}


def sp_set(out):
    found = {}
    for line in out.splitlines():
        m = re.match(r"--- (.+?):(\d+): (\S+) (\S+) (\S+) (.*)$", line)
        if m:
            file = os.path.relpath(os.path.join(target, m[1]), tree)
            found[(m[3], file, int(m[2]), m[4])] = {"function": m[5], "root": m[6]}
    return found


mm_found, sp_found = mm_set(reports["mm"][0]), sp_set(outputs["sp"][0])
notes = []
for key in ("mm", "cold", "warm"):
    for n, report in enumerate(reports[key]):
        if mm_set(report).keys() != mm_found.keys():
            notes.append(f"mmlint {key} run {n + 1} found {len(report['findings'])} findings, not the "
                         f"{len(mm_found)} of the first --no-cache run")
for n, out in enumerate(outputs["sp"]):
    if sp_set(out).keys() != sp_found.keys():
        notes.append(f"spatch run {n + 1} found {len(sp_set(out))} findings, not the {len(sp_found)} of run 1")

med = {k: statistics.median(v) for k, v in samples.items()}
mib = {k: max(v) / 1024 for k, v in rss.items()}
star = "*" if args.subtree else ""


def status(ok):
    return ("met" if ok else "NOT met") + star


def sec(k):
    return f"{med[k]:.2f} s ({min(samples[k]):.2f})"


version = reports["mm"][0].get("kernelVersion", "6.1")
summary = {k: reports[k][0]["summary"] for k in reports}
print(f"\n## mmlint scan benchmark: Linux {version}, {where}, {runs} runs each, alternating, {JOBS} jobs everywhere\n")
repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
print(f"commit {commit_measured(repo)}; machine: {os.cpu_count()} cores; load average at the end "
      f"{os.getloadavg()[0]:.2f}; {spatch_version}")
print("\ncommands (in the tree's root unless said; peak memory is PSS summed over each command's process tree, "
      "sampled every 0.05 s):")
print(f"- (a) `{shlex.join(mmlint_scan([target], 'FRESH') if args.default_rules else mmlint_scan([target]))}`"
      + (" (the cold run of (c))" if args.default_rules else ""))
print(f"- (a) `{shlex.join(spatch)}` (in a scratch folder; the tree's .cocciconfig adds `--timeout 200`)")
print(f"- (b) `{shlex.join(mmlint_scan(['<the ' + str(len(vfio)) + ' drivers/vfio files of compile_commands.json>']))}`")
print(f"- (b) `xargs -d '\\n' -P {JOBS} -n 1 sh -c < LIST`, a line of LIST per file: "
      f"`cd TREE && exec clang-14 -fsyntax-only -w <its compile command, GCC-only flags dropped>`")
print(f"- (c) `mmlint scan -q --jobs {JOBS} --format json {shlex.join(RULES + ['--cache-dir', 'FRESH'])} {os.path.relpath(target, tree) if args.subtree else 'TREE'}`, "
      f"cold then warm, a fresh FRESH per run")
print()
print("| measure | mmlint: median (min) | reference: median (min) | ratio | goal | status |")
print("| --- | --- | --- | --- | --- | --- |")
r = med["mm"] / med["sp"]
rules = "default rule set, cold" if args.default_rules else "two rules, `--no-cache`"
print(f"| (a) {where}, {rules}: mmlint vs `spatch -j {JOBS}` | {sec('mm')} | {sec('sp')} | {r:.2f}× | ≤ {GOAL_A}× | {status(r <= GOAL_A)} |")
r = med["vfio"] / med["clang"]
print(f"| (b) drivers/vfio, the {len(vfio)} files with compile commands: mmlint `--no-cache` vs `clang-14 -fsyntax-only` | "
      f"{sec('vfio')} | {sec('clang')} | {r:.2f}× | ≤ 1.2× | {'met' if r <= 1.2 else 'NOT met'} |")
r = med["warm"] / med["cold"]
print(f"| (c) {where}: warm vs cold (fresh `--cache-dir`) | warm {sec('warm')} | cold {sec('cold')} | {r:.2f}× | ≤ 0.1× | {status(r <= 0.1)} |")
print(f"| (d) {where}: peak PSS of the cold scan, mmlint + workers | {mib['cold']:.0f} MiB | | | ≤ 512 MiB | {status(mib['cold'] <= 512)} |")
if args.subtree:
    print(f"\n\\* measured on {where}, not on the whole tree the goals are set for.")
print(f"\nalso measured:")
print(f"- mmlint `--no-cache` on the whole drivers/vfio folder ({vfio_folder_files} files; those without compile "
      f"commands get kernel-tree flags): {sec('folder')}")
print(f"- peak PSS (process tree): mmlint `{MM_LABEL}` {mib['mm']:.0f} MiB, warm {mib['warm']:.0f} MiB; spatch {mib['sp']:.0f} MiB "
      f"(with its -j {JOBS} workers); mmlint on drivers/vfio {mib['vfio']:.0f} MiB")
print(f"- cache written by a cold scan: {statistics.median(cache_sizes) / 2**20:.1f} MiB")
for key, label in (() if args.default_rules else (("mm", MM_LABEL),)) + (("cold", "cold"), ("warm", "warm"), ("vfio", "drivers/vfio (b)"), ("folder", "drivers/vfio folder")):
    s = summary[key]
    print(f"- mmlint {label} summary: " + ", ".join(f"{k} {s[k]:.2f}" if isinstance(s[k], float) else f"{k} {s[k]}"
                                                  for k in ("files", "parsed", "skipped", "cached", "failed",
                                                            "filesWithParseErrors", "findings", "seconds") if k in s))
for note in notes:
    print(f"- WARNING: {note}")

both = sorted(set(mm_found) | set(sp_found), key=lambda k: (k[1], k[2], k[0], k[3]))
print(f"\n### findings, (a) {where}: {len(mm_found)} by mmlint, {len(sp_found)} by spatch, "
      f"{len(set(mm_found) & set(sp_found))} by both\n")
print("| file:line | rule | callee | function | mmlint | spatch | mmlint chain / spatch root |")
print("| --- | --- | --- | --- | --- | --- | --- |")
for key in both:
    m, s = mm_found.get(key), sp_found.get(key)
    function = (m or {}).get("function") or (s or {}).get("function", "?")
    if m and s and m.get("function") != s["function"]:
        function += f" (spatch: {s['function']})"
    how = " / ".join(x for x in (" → ".join(m.get("chain", [])) if m else "", s["root"] if s else "") if x and x != "-")
    print(f"| {key[1]}:{key[2]} | {key[0]} | {key[3]} | {function} | {'yes' if m else '—'} | {'yes' if s else '—'} | {how or '—'} |")

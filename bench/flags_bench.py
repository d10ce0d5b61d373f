#!/usr/bin/env python3
"""Parse-error rate of a fixed random sample of a kernel tree's C files, with
the flags mmlint had before kbuild's commands (synthesized, plus the tree's
compile_commands.json: the default mode with an empty flags cache), with
`--kconfig CONFIG` (kbuild's dry run), and with `--default` (no flags named,
the databases `mmlint flags` cached used for the files the tree's config
does not build), side by side in one run; and the time `mmlint flags` takes
cold and warm.

usage: flags_bench.py MMLINT TREE [--kconfig tree] [--kconfig allmodconfig]
                      [--default] [--sample 500] [--seed 17] [--jobs 2] [--cold]

Each file is scanned on its own (no fact cache, no prefilter) so that a
parse error is charged to the file whose parse reported it.
"""
import argparse, json, os, random, shutil, subprocess, sys, tempfile, time
from concurrent.futures import ThreadPoolExecutor

FOLDERS = ["drivers", "fs", "net", "sound", "mm", "arch/x86"]


def sample(tree, size, seed):
    files = []
    for folder in FOLDERS:
        for dirpath, dirnames, filenames in os.walk(os.path.join(tree, folder)):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            files += [os.path.join(dirpath, f) for f in sorted(filenames) if f.endswith(".c")]
    files.sort()
    return random.Random(seed).sample(files, size)


def scan_one(mmlint, tree, file, kconfig, env):
    args = [mmlint, "scan", "--no-cache", "--no-prefilter", "-j", "1", "-v", "--format", "json"]
    if kconfig:
        args += ["--kconfig", kconfig]
    proc = subprocess.run(args + [file], cwd=tree, env=env, capture_output=True, text=True)
    try:
        summary = json.loads(proc.stdout)["summary"]
    except (ValueError, KeyError):
        return {"file": file, "error": proc.stderr[-400:]}
    rel = os.path.relpath(file, tree)
    note = next((l for l in proc.stderr.splitlines() if l.startswith("mmlint: " + rel + ": ")), "")
    raw_errors = sum(1 for l in proc.stderr.splitlines() if ": parse error: " in l)
    return {"file": file, "broken": raw_errors > 0, "errors": raw_errors,
            "built": "flags from kbuild" in note, "not_on_arch": "not built on this architecture" in note,
            "guessed": "no cached kbuild command" in note, "note": note}


def scan_chunk(mmlint, tree, files, kconfig, env):
    """One scan of several files, so that a big database loads once. A parse
    error located in a sampled file is charged to it; one located in a
    header (-v does not say which unit included it) is charged to a file of
    the chunk not yet counted: the count is an upper bound."""
    args = [mmlint, "scan", "--no-cache", "--no-prefilter", "-j", "1", "-v", "--format", "json"]
    if kconfig:
        args += ["--kconfig", kconfig]
    proc = subprocess.run(args + files, cwd=tree, env=env, capture_output=True, text=True)
    lines = proc.stderr.splitlines()
    results = {}
    for file in files:
        rel = os.path.relpath(file, tree)
        note = next((l for l in lines if l.startswith("mmlint: " + rel + ": ")), "")
        results[rel] = {"file": file, "broken": False, "errors": 0, "built": "flags from kbuild" in note,
                        "not_on_arch": "not built on this architecture" in note, "note": note,
                        "guessed": "no cached kbuild command" in note}
    elsewhere = set()
    for line in lines:
        if ": parse error: " not in line:
            continue
        path = line.split(":", 1)[0]
        if path in results:
            results[path]["broken"] = True
            results[path]["errors"] += 1
        else:
            elsewhere.add(path)
    for header in sorted(elsewhere):
        spare = next((r for r in results.values() if not r["broken"]), None)
        if spare:
            spare["broken"] = True
            spare["charged"] = header
    return list(results.values())


def run_mode(mmlint, tree, files, kconfig, jobs, env, chunk=1):
    if chunk > 1:
        started = time.time()
        groups = [files[i:i + chunk] for i in range(0, len(files), chunk)]
        results = []
        with ThreadPoolExecutor(jobs) as pool:
            for part in pool.map(lambda g: scan_chunk(mmlint, tree, g, kconfig, env), groups):
                results += part
                broken = sum(r.get("broken", False) for r in results)
                print(f"  {kconfig or 'synthesized'}: {len(results)} files, {broken} with parse errors",
                      file=sys.stderr, flush=True)
        return results, time.time() - started
    return run_mode_single(mmlint, tree, files, kconfig, jobs, env)

def run_mode_single(mmlint, tree, files, kconfig, jobs, env):
    started = time.time()
    results = []
    with ThreadPoolExecutor(jobs) as pool:
        for result in pool.map(lambda f: scan_one(mmlint, tree, f, kconfig, env), files):
            results.append(result)
            if len(results) % 50 == 0:
                broken = sum(r.get("broken", False) for r in results)
                print(f"  {kconfig or 'synthesized'}: {len(results)} files, {broken} with parse errors",
                      file=sys.stderr, flush=True)
    return results, time.time() - started


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mmlint")
    parser.add_argument("tree")
    parser.add_argument("--kconfig", action="append", default=[])
    parser.add_argument("--sample", type=int, default=500)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--cold", action="store_true", help="time `mmlint flags` from an empty cache folder")
    parser.add_argument("--keep", help="write per-file results (JSON) here")
    parser.add_argument("--chunk", type=int, default=1,
                        help="files per scan (a big database loads once per scan; header errors charged conservatively)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the synthesized flags (measured before)")
    parser.add_argument("--default", action="store_true",
                        help="also scan with no flags named, using the databases cached in $MMLINT_FLAGS_CACHE")
    options = parser.parse_args()
    options.mmlint = os.path.abspath(options.mmlint)
    tree = os.path.abspath(options.tree)
    env = dict(os.environ, MMLINT_PARSE_IN_PROCESS="1")
    cache = None
    if options.cold:
        cache = tempfile.mkdtemp(prefix="mmlint-flags-bench-")
        env["MMLINT_FLAGS_CACHE"] = cache
    files = sample(tree, options.sample, options.seed)
    print(f"tree {tree}: {len(files)} random .c files of {' '.join(FOLDERS)} (seed {options.seed})")
    rows, kept = [], {}
    for kconfig in options.kconfig:
        timings = []
        for attempt in ("cold" if options.cold else "first", "warm"):
            t = time.time()
            proc = subprocess.run([options.mmlint, "flags", "-q", "--kconfig", kconfig, tree], env=env,
                                  capture_output=True, text=True)
            timings.append(time.time() - t)
            if proc.returncode != 0:
                sys.exit(f"mmlint flags --kconfig {kconfig} failed: {proc.stderr}")
        print(f"mmlint flags --kconfig {kconfig}: {'cold' if options.cold else 'first'} {timings[0]:.1f}s, "
              f"warm {timings[1]:.2f}s")
    # The baseline: no flags named and no cached database, as before kbuild's commands.
    empty = tempfile.mkdtemp(prefix="mmlint-flags-none-")
    modes = ([] if options.no_baseline else [(None, "synthesized", dict(env, MMLINT_FLAGS_CACHE=empty))])
    modes += [(kconfig, kconfig, env) for kconfig in options.kconfig]
    if options.default:
        modes.append((None, "default", env))
    for kconfig, label, mode_env in modes:
        results, seconds = run_mode(options.mmlint, tree, files, kconfig, options.jobs, mode_env, options.chunk)
        kept[label] = results
        failed = [r for r in results if "error" in r]
        ok = [r for r in results if "error" not in r]
        broken = sum(r["broken"] for r in ok)
        built = [r for r in ok if r["built"]]
        title = {"synthesized": "synthesized (before)",
                 "default": "default, flags cache " + (env.get("MMLINT_FLAGS_CACHE") or "~/.cache/mmlint/flags")}
        line = (f"{title.get(label, '--kconfig ' + label):28} files with parse errors "
                f"{broken}/{len(ok)} = {100.0 * broken / max(1, len(ok)):.1f} %")
        if label == "default":
            arch = [r for r in ok if r["not_on_arch"]]
            rest = [r for r in ok if not r["not_on_arch"]]
            rb = sum(r["broken"] for r in rest)
            kb = sum(r["built"] for r in ok)
            line += (f"; without the {len(arch)} not built on this architecture: {rb}/{len(rest)} = "
                     f"{100.0 * rb / max(1, len(rest)):.1f} %; {kb} with kbuild's commands; "
                     f"{sum(r.get('guessed', False) for r in ok)} guessed (no cached command)")
        elif kconfig:
            bb = sum(r["broken"] for r in built)
            arch = sum(r["not_on_arch"] for r in ok)
            line += (f"; of the {len(built)} files the config builds: {bb} = {100.0 * bb / max(1, len(built)):.1f} %"
                     f"; not built on this architecture: {arch}")
        line += f"  ({seconds:.0f}s{', ' + str(len(failed)) + ' scans failed' if failed else ''})"
        print(line, flush=True)
    if options.keep:
        with open(options.keep, "w") as out:
            json.dump(kept, out, indent=1)
    if cache:
        shutil.rmtree(cache, ignore_errors=True)
    shutil.rmtree(empty, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Where a scan's memory goes over time: runs one `mmlint scan` and samples
the PSS of the parent and of its parse workers apart (bench/proctree.py),
printing a line every --every seconds and, at the end, the peak of their sum
and what each held then, the parent's peak while it ran alone (the
prefilter: no worker is started before the selection is made) and the peak
once workers ran (the parse and the rules).

    python3 bench/memory_profile.py MMLINT TREE [--every S] [--prefilter-only] [-- SCAN-ARGS...]

SCAN-ARGS default to `--no-cache .` (a cold scan of the whole tree with the
default rule set), run in TREE."""
import argparse, os, re, subprocess, sys, threading, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from proctree import _pss_kib, commit_measured, descendants  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mmlint")
    parser.add_argument("tree")
    parser.add_argument("--every", type=float, default=30)
    parser.add_argument("--prefilter-only", action="store_true",
                        help="stop the scan once its first parse worker starts: the prefilter's peak alone")
    arguments = sys.argv[1:]
    scan = ["--no-cache", "."]
    if "--" in arguments:
        scan = arguments[arguments.index("--") + 1:]
        arguments = arguments[:arguments.index("--")]
    options = parser.parse_args(arguments)
    options.mmlint = os.path.abspath(options.mmlint)
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    print(f"commit {commit_measured(repo)}, `mmlint scan {' '.join(scan)}` in {options.tree}", flush=True)
    start = time.perf_counter()
    proc = subprocess.Popen([options.mmlint, "scan"] + scan, cwd=options.tree, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    streams = {}
    readers = [threading.Thread(target=lambda n=n, s=s: streams.__setitem__(n, s.read()))
               for n, s in (("out", proc.stdout), ("err", proc.stderr))]
    for reader in readers:
        reader.start()
    peak = (0, 0, 0, 0.0)       # sum, parent, workers, seconds
    alone = (0, 0.0)            # the parent's peak before any worker ran
    working = (0, 0, 0, 0.0)    # the sum's peak once a worker ran
    last = -options.every
    while proc.poll() is None:
        now = time.perf_counter() - start
        parent = _pss_kib(proc.pid)
        kids = descendants(proc.pid)
        workers = sum(_pss_kib(kid) for kid in kids)
        total = parent + workers
        if total > peak[0]:
            peak = (total, parent, workers, now)
        if kids and options.prefilter_only:
            proc.terminate()
            break
        if kids or working[0]:
            if total > working[0]:
                working = (total, parent, workers, now)
        elif parent > alone[0]:
            alone = (parent, now)
        if now - last >= options.every:
            print(f"{now:8.1f} s  parent {parent >> 10:5} MiB  {len(kids)} workers {workers >> 10:5} MiB", flush=True)
            last = now
        time.sleep(0.05)
    proc.wait()
    for reader in readers:
        reader.join()
    elapsed = time.perf_counter() - start
    summary = [line for line in streams["err"].decode(errors="replace").splitlines() if line.startswith("mmlint: ")]
    # With MMLINT_MEMORY_STATS=1 in the environment, the scan's own stage
    # prints (resident memory of the parent) come first.
    stages = [line for line in summary if line.startswith("mmlint: memory: ")]
    print("\n".join(stages + [line for line in summary if line not in stages][-3:]))
    findings = [line for line in streams["out"].decode(errors="replace").splitlines()
                if re.match(r"^\S+:\d+:\d+: (warning|error|note): .*\[[\w-]+\]$", line)]
    print(f"{len(findings)} findings (text format)")
    print(f"exit {proc.returncode} after {elapsed:.1f} s")
    print(f"peak PSS, parent + workers: {peak[0] >> 10} MiB at {peak[3]:.0f} s "
          f"(parent {peak[1] >> 10}, workers {peak[2] >> 10})")
    print(f"  before any worker (prefilter): parent {alone[0] >> 10} MiB at {alone[1]:.0f} s")
    print(f"  once workers ran (parse, rules): {working[0] >> 10} MiB at {working[3]:.0f} s "
          f"(parent {working[1] >> 10}, workers {working[2] >> 10})")


if __name__ == "__main__":
    main()

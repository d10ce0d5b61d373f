"""Runs a command and measures it as a whole process tree: wall time and the
peak of the memory summed over the command and every descendant alive at
each sample (mmlint's parse workers included), so no figure is added up by
hand. Memory is PSS from /proc/PID/smaps_rollup (shared pages split between
the processes that map them, so the sum is not inflated by the parent and
its workers mapping the same libclang), sampled every `interval` seconds."""
import os, subprocess, time


def _children(pid):
    kids = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                kids += [int(c) for c in f.read().split()]
    except OSError:
        pass
    return kids


def _pss_kib(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def descendants(root):
    """The living descendants of root, each once."""
    found, todo, seen = [], list(_children(root)), {root}
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        found.append(pid)
        todo += _children(pid)
    return found


def tree_pss_kib(root):
    """PSS in KiB summed over root and its living descendants."""
    return sum(_pss_kib(pid) for pid in [root] + descendants(root))


def run_measured(cmd, cwd=None, ok=(0,), interval=0.05, env=None, stdin=None):
    """Runs cmd; returns (seconds, peak summed PSS in KiB, CompletedProcess-like
    (returncode, stdout, stderr)). Asserts the exit status is in ok."""
    start = time.perf_counter()
    feed = open(stdin or os.devnull)
    proc = subprocess.Popen(cmd, cwd=cwd, stdin=feed, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    peak = 0
    # Output is drained by a thread so a chatty command cannot block on a full pipe.
    import threading
    out, err = [], []
    readers = [threading.Thread(target=lambda s=s, b=b: b.append(s.read())) for s, b in
               ((proc.stdout, out), (proc.stderr, err))]
    for r in readers:
        r.start()
    while proc.poll() is None:
        peak = max(peak, tree_pss_kib(proc.pid))
        time.sleep(interval)
    elapsed = time.perf_counter() - start
    feed.close()
    for r in readers:
        r.join()
    stdout, stderr = b"".join(out).decode(errors="replace"), b"".join(err).decode(errors="replace")
    if proc.returncode not in ok:
        raise SystemExit(f"{' '.join(cmd)[:300]}: exit {proc.returncode}\n{stderr[-3000:]}")
    return elapsed, peak, subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr)


def commit_measured(repo):
    """The commit a benchmark measured, with '+dirty' when the work tree differs."""
    head = subprocess.run(["git", "-C", repo, "rev-parse", "--short=12", "HEAD"], capture_output=True,
                          text=True).stdout.strip() or "unknown"
    dirty = subprocess.run(["git", "-C", repo, "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    return head + ("+dirty" if dirty else "")

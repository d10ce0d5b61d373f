#!/usr/bin/env python3
"""Throughput of `mmlint bot` on a generated public-inbox v2 inbox.

Makes 1,000 list messages at run time against a kernel tree: single patches
(one in ten adds a follow_pfn() call to a fault handler), series of three
with a cover letter (one in three series has a guilty patch), replies and
other mail, in a realistic order. Writes them as a public-inbox v2 epoch
(git/0.git, one commit per message holding blob `m`) with git fast-import,
makes the tree a git checkout by `git init` over a hard-linked copy (the
cached tree is never written), runs `mmlint bot --once`, and prints
messages per minute, time to the first reply and peak memory of the whole
process tree (the bot and its parse workers), sampled from /proc.

    bot_bench.py TREE MMLINT [--messages N] [--work DIR]
"""
import argparse
import difflib
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time

LIST = "linux-mm@kvack.org"
FAULT = re.compile(r"^static vm_fault_t (\w+)\(struct vm_fault \*vmf\)\n\{\n", re.M)


def candidates(tree):
    """C files with a fault handler (for guilty and clean patches alike)."""
    out = subprocess.run(["grep", "-rlE", r"^static vm_fault_t \w+\(struct vm_fault \*vmf\)$",
                          "drivers", "mm", "fs", "kernel", "sound"],
                         cwd=tree, capture_output=True, text=True).stdout.split()
    files = []
    for path in sorted(out):
        text = open(os.path.join(tree, path), encoding="utf-8", errors="surrogateescape").read()
        if FAULT.search(text) and len(text) < 120_000:
            files.append((path, text))
    return files


def diff(path, old, new):
    body = "".join(difflib.unified_diff(old.splitlines(True), new.splitlines(True),
                                        "a/" + path, "b/" + path, n=3))
    return f"diff --git a/{path} b/{path}\n" + body


def guilty(path, text):
    m = FAULT.search(text)
    insert = ("\t{\n\t\tunsigned long cached_pfn;\n\n"
              "\t\tif (!follow_pfn(vmf->vma, vmf->address, &cached_pfn))\n"
              "\t\t\treturn VM_FAULT_NOPAGE;\n\t}\n")
    return diff(path, text, text[:m.end()] + insert + text[m.end():])


def clean(path, text, n):
    lines = text.splitlines(True)
    # A comment above the first function-like line, far from any finding.
    at = next((i for i, l in enumerate(lines) if l.startswith("static ") or l.startswith("int ")), 1)
    lines.insert(at, f"/* Reviewed for the bench, note {n}. */\n")
    return diff(path, text, "".join(lines))


def mail(mid, subject, frm, date, body, irt=None, refs=None):
    head = [f"From: {frm}", f"To: {LIST}", f"Subject: {subject}", f"Date: {date}", f"Message-ID: <{mid}>"]
    if irt:
        head.append(f"In-Reply-To: <{irt}>")
        head.append("References: " + " ".join(f"<{r}>" for r in (refs or [irt])))
    head += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8"]
    return "\n".join(head) + "\n\n" + body


def generate(tree, count, seed=1):
    rng = random.Random(seed)
    files = candidates(tree)
    if len(files) < 10:
        sys.exit(f"bot_bench: too few fault handlers found in {tree}")
    messages = []  # (text, is_guilty_patch)
    patches = []   # message ids of patches, for replies
    t0 = 1764500000
    n = 0

    def date():
        return time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(t0 + n * 60))

    while len(messages) < count:
        n += 1
        kind = rng.random()
        author = f"Dev {n % 37} <dev{n % 37}@example.org>"
        if kind < 0.40:
            path, text = rng.choice(files)
            bad = rng.random() < 0.10
            body = "A change.\n\nSigned-off-by: " + author + "\n---\n" + (guilty(path, text) if bad else clean(path, text, n))
            mid = f"single{n}@example.org"
            messages.append((mail(mid, f"[PATCH] {os.path.dirname(path)}: change {n}", author, date(), body), bad))
            patches.append(mid)
        elif kind < 0.64 and count - len(messages) >= 4:
            cover = f"cover{n}@example.org"
            messages.append((mail(cover, f"[PATCH 0/3] series {n}", author, date(), "Three changes.\n"), False))
            chosen = rng.sample(files, 3)
            bad_at = rng.randrange(3) if rng.random() < 1 / 3 else -1
            for i, (path, text) in enumerate(chosen):
                mid = f"s{n}p{i + 1}@example.org"
                bad = i == bad_at
                body = "Part.\n\nSigned-off-by: " + author + "\n---\n" + (guilty(path, text) if bad else clean(path, text, n * 10 + i))
                messages.append((mail(mid, f"[PATCH {i + 1}/3] {os.path.dirname(path)}: part {i + 1}", author, date(),
                                      body, irt=cover), bad))
                patches.append(mid)
        elif kind < 0.88 and patches:
            parent = rng.choice(patches)
            messages.append((mail(f"reply{n}@example.org", f"Re: [PATCH] change", author, date(),
                                  "> quoted\nLooks good to me.\n", irt=parent), False))
        else:
            messages.append((mail(f"other{n}@example.org", f"Question {n}", author, date(),
                                  "How do I map a BAR from a fault handler?\n"), False))
    return messages[:count]


def write_inbox(inbox, messages):
    """A public-inbox v2 inbox: git/0.git, one commit per message, the message as blob `m`."""
    epoch = os.path.join(inbox, "git", "0.git")
    subprocess.run(["git", "init", "-q", "--bare", epoch], check=True)
    stream = []
    for i, (text, _) in enumerate(messages):
        data = text.encode()
        stream.append(b"commit refs/heads/master\n")
        stream.append(f"committer bench <bench@example.org> {1764500000 + i} +0000\n".encode())
        stream.append(b"data 1\nm\n")
        stream.append(b"deleteall\n")
        stream.append(f"M 100644 inline m\ndata {len(data)}\n".encode() + data + b"\n")
    subprocess.run(["git", "--git-dir", epoch, "fast-import", "--quiet"], input=b"".join(stream), check=True)


def tree_rss(pid):
    """Resident memory of a process and all its descendants, in KiB."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
        except (OSError, IndexError, ValueError):
            pass
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo += children.get(p, [])
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("tree")
    ap.add_argument("mmlint")
    ap.add_argument("--messages", type=int, default=1000)
    ap.add_argument("--work")
    ap.add_argument("--compare", type=int, default=10, help="single patches also timed with `mmlint check`")
    args = ap.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="mmlint-bot-bench-")
    tree = os.path.join(work, "linux")
    if not os.path.exists(tree):
        # Hard links: the copy costs no space, and nothing here writes to files.
        subprocess.run(["cp", "-al", args.tree, tree], check=True)
        subprocess.run(["git", "init", "-q", tree], check=True)
    messages = generate(args.tree, args.messages)
    inbox = os.path.join(work, "inbox")
    shutil.rmtree(inbox, ignore_errors=True)
    write_inbox(inbox, messages)
    outbox = os.path.join(work, "outbox")
    shutil.rmtree(outbox, ignore_errors=True)
    state = os.path.join(work, "state.sqlite")
    # A fact cache of this run's own: it starts cold, and the bot fills it
    # with the tree's files as it checks (a file patched twice is parsed
    # before the patch once).
    facts = os.path.join(work, "facts")
    for leftover in (state, state + ".worktrees", facts):
        if os.path.isdir(leftover):
            shutil.rmtree(leftover)
        elif os.path.exists(leftover):
            os.remove(leftover)
    guilty_count = sum(1 for _, bad in messages if bad)
    kinds = {"patch": sum(1 for t, _ in messages if "Subject: [PATCH" in t and "Subject: [PATCH 0/" not in t)}
    print(f"bot-bench: {len(messages)} messages ({kinds['patch']} patches, {guilty_count} guilty), "
          f"tree {args.tree}, work {work}", flush=True)

    log = open(os.path.join(work, "bot.log"), "w")
    start = time.monotonic()
    proc = subprocess.Popen([args.mmlint, "bot", "--once", "--inbox", inbox, "--tree", tree, "--state", state,
                             "--outbox", outbox, "--from", "mmlint bench <bench@example.org>", "--cache-dir", facts],
                            stderr=log, stdout=subprocess.DEVNULL)
    peak, first = 0, None
    new = os.path.join(outbox, "new")
    while proc.poll() is None:
        peak = max(peak, tree_rss(proc.pid))
        if first is None and os.path.isdir(new) and os.listdir(new):
            first = time.monotonic() - start
        time.sleep(0.5)
    elapsed = time.monotonic() - start
    if first is None and os.path.isdir(new) and os.listdir(new):
        first = elapsed
    replies = len(os.listdir(new)) if os.path.isdir(new) else 0
    status = subprocess.run([args.mmlint, "bot", "--status", "--inbox", inbox, "--tree", tree, "--state", state],
                            capture_output=True, text=True).stdout
    print(status, end="")
    print(f"bot-bench: exit {proc.returncode}; {elapsed:.1f} s for {len(messages)} messages: "
          f"{len(messages) / elapsed * 60:.1f} messages/minute "
          f"({len(messages) / elapsed * 86400:.0f}/day; goal 20,000/day)")
    print(f"bot-bench: first reply after {first:.1f} s" if first is not None else "bot-bench: no reply")
    print(f"bot-bench: {replies} replies for {guilty_count} guilty patches; "
          f"peak memory (bot + parse workers) {peak / 1024:.0f} MiB")
    # Side by side: what one `mmlint check` of a single patch costs, run now
    # with the cache the bot filled, against the bot's time per series (it
    # checks one series at a time).
    singles = [t for t, _ in messages if "Subject: [PATCH] " in t][:args.compare]
    check_times = []
    for i, text in enumerate(singles):
        path = os.path.join(work, f"single-{i}.eml")
        open(path, "w").write(text)
        t = time.monotonic()
        subprocess.run([args.mmlint, "check", "-q", "--cache-dir", facts, "--tree", tree, path], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        check_times.append(time.monotonic() - t)
    series_done = sum(int(n) for n in re.findall(r"(?:clean|findings|unverified|apply-failed|rejected|error|empty) (\d+)",
                                                 status.split("series:")[1].split("\n")[0]))
    if check_times and series_done:
        per_check = sorted(check_times)[len(check_times) // 2]
        per_series = elapsed / series_done
        print(f"bot-bench: {per_series:.2f} s per series in the bot vs {per_check:.2f} s per `mmlint check` of one patch "
              f"(median of {len(check_times)}): ratio {per_series / per_check:.2f}")
    sys.exit(0 if proc.returncode == 0 else 1)


if __name__ == "__main__":
    main()

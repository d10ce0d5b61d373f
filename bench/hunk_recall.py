"""Hunk-only recall and false positives against tree mode (see hunk-recall.sh).

For every function of drivers/ declared to return vm_fault_t, at up to three
places of its body (first, middle and last statement boundary), a line is
added: a follow_pfn() call, a remap_pfn_range() call, or a pr_debug() (which
no rule watches). Tree mode checks one patch per file holding all of a
file's insertions (findings are per line, so this is the same answer and
far fewer parses); hunk-only mode checks each insertion as a patch of its
own, all in one mbox per tree, against an empty folder. Recall is the share
of tree-mode findings on inserted lines that hunk-only mode also reports
(same rule, same line); a false positive is a hunk-only finding on an
inserted line that tree mode does not have. Where the two disagree, tree
mode re-checks the insertion alone (see below). Places tree mode does not
compile (config) are left out and counted.
"""
import argparse, json, os, random, re, subprocess, sys, tempfile

FUNCTION = re.compile(r"^(?:static\s+)?(?:inline\s+)?vm_fault_t\s+(\w+)\s*\(([^)]*)\)\s*\{", re.M)


def scan(text, start):
    """Per line from `start` (the body's `{`): brace and paren depth at the
    end of each line, whether the line ends in a comment, until the body
    closes. Returns {line index: (depth, parens, in_comment)} and the last line."""
    depth = parens = 0
    i = start
    n = len(text)
    line = text.count("\n", 0, start)
    state = {}
    in_comment = False
    while i < n:
        c = text[i]
        if in_comment:
            if text.startswith("*/", i):
                in_comment = False
                i += 1
        elif c == "\n":
            state[line] = (depth, parens, in_comment)
            line += 1
        elif text.startswith("/*", i):
            in_comment = True
            i += 1
        elif text.startswith("//", i):
            i = text.find("\n", i) - 1
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            i = j
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return state, line
        elif c == "(":
            parens += 1
        elif c == ")":
            parens -= 1
        if c == "\n" and in_comment:
            state[line - 1] = (depth, parens, True)
        i += 1
    return state, line


def places(lines, state, first, last):
    """Line indices after which a statement can be added: the line ends a
    statement (or opens a block that is not an initializer) inside the body,
    no parenthesis or comment is open, and no `else` follows."""
    found = []
    for k in range(first, last):
        if k not in state:
            continue
        depth, parens, in_comment = state[k]
        stripped = lines[k].strip()
        if depth < 1 or parens != 0 or in_comment or not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            continue
        if not (stripped.endswith(";") or stripped.endswith("}") or
                (stripped.endswith("{") and "=" not in stripped)):
            continue
        following = next((l.strip() for l in lines[k + 1:last + 1] if l.strip()), "")
        if following.startswith("else") or following.startswith("while"):
            continue
        found.append(k)
    if not found:
        return []
    picks = [found[0], found[len(found) // 2], found[-1]]
    return sorted(set(picks))


def statement(kind, params, depth):
    vmf = re.search(r"struct\s+vm_fault\s*\*\s*(\w+)", params)
    vma = re.search(r"struct\s+vm_area_struct\s*\*\s*(\w+)", params)
    target = f"{vmf.group(1)}->vma" if vmf else (vma.group(1) if vma else "NULL")
    prot = f"{target}->vm_page_prot" if target != "NULL" else "PAGE_KERNEL"
    body = {
        "follow_pfn": f"follow_pfn({target}, 0, NULL);",
        "remap_pfn_range": f"remap_pfn_range({target}, 0, 0, PAGE_SIZE, {prot});",
        "pr_debug": 'pr_debug("mmlint bench %d\\n", __LINE__);',
    }[kind]
    return "\t" * depth + body


KINDS = ["follow_pfn", "remap_pfn_range", "pr_debug"]


def unified(path, old, new):
    """The patch git would write (hunk headers truncated as git does)."""
    with tempfile.TemporaryDirectory() as work:
        for side, text in (("a", old), ("b", new)):
            os.makedirs(os.path.dirname(os.path.join(work, side, path)), exist_ok=True)
            open(os.path.join(work, side, path), "w").write(text)
        diff = subprocess.run(["git", "diff", "--no-index", "--no-color", "--src-prefix=", "--dst-prefix=",
                               os.path.join("a", path), os.path.join("b", path)],
                              cwd=work, capture_output=True, text=True).stdout
    lines = diff.split("\n")
    body = lines[lines.index(next(l for l in lines if l.startswith("@@"))):]
    return f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n" + "\n".join(body)


def insertions_for(tree, path, sample):
    """[(id, function, after line index, kind, text)] for one file."""
    text = open(os.path.join(tree, path), errors="replace").read()
    lines = text.split("\n")
    out = []
    for match in FUNCTION.finditer(text):
        if sample is not None and match.group(1) not in sample:
            continue
        brace = match.end() - 1
        state, last = scan(text, brace)
        first = text.count("\n", 0, brace)
        body = "\n".join(lines[first:last + 1])
        for k in places(lines, state, first, last):
            depth = state[k][0]
            for kind in KINDS:
                # A call the function already makes: tree mode's differ keys
                # findings on rule, function, callee and chain, not on the
                # line, so a second one is not new to it.
                repeat = ":repeat" if kind != "pr_debug" and re.search(r"\b" + kind + r"\s*\(", body) else ""
                out.append((f"{path}:{match.group(1)}:{k}:{kind}{repeat}", match.group(1), k, kind,
                            statement(kind, match.group(2), max(1, depth))))
    return text, lines, out


def run(cmd, cwd):
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if result.returncode not in (0, 1):
        sys.exit(f"{' '.join(cmd[:3])}… exited {result.returncode}: {result.stderr[-2000:]}")
    return json.loads(result.stdout), result.stderr


def measure(tree, mmlint, jobs, limit, seed):
    files = subprocess.run(["grep", "-rlE", r"^(static )?(inline )?vm_fault_t", "drivers", "--include=*.c"],
                           cwd=tree, capture_output=True, text=True).stdout.split()
    files.sort()
    functions = []
    for path in files:
        text = open(os.path.join(tree, path), errors="replace").read()
        functions += [(path, m.group(1)) for m in FUNCTION.finditer(text)]
    if limit:
        functions = sorted(random.Random(seed).sample(functions, min(limit, len(functions))))
    chosen = {}
    for path, name in functions:
        chosen.setdefault(path, set()).add(name)
    work = tempfile.mkdtemp(prefix="mmlint-hunk-recall-")
    empty = os.path.join(work, "no-tree")
    os.mkdir(empty)
    truth = {}      # insertion id -> set of rules in tree mode
    singles = []    # (insertion id, patch text)
    tree_parse_errors = 0
    for path in sorted(chosen):
        text, lines, ins = insertions_for(tree, path, chosen[path])
        if not ins:
            continue
        # Tree mode: all of the file's insertions in one patch.
        new = list(lines)
        post_line = {}
        for ident, _, k, _, stmt in sorted(ins, key=lambda x: (-x[2], -KINDS.index(x[3]))):
            new.insert(k + 1, stmt)
        # Post-image line of each insertion (1-based).
        by_place = {}
        for ident, _, k, kind, _ in ins:
            by_place.setdefault(k, []).append((KINDS.index(kind), ident))
        shift = 0
        for k in sorted(by_place):
            for offset, (_, ident) in enumerate(sorted(by_place[k])):
                post_line[k + 1 + shift + offset + 1] = ident
            shift += len(by_place[k])
        combined = os.path.join(work, "combined.patch")
        open(combined, "w").write(unified(path, text, "\n".join(new)))
        result, _ = run([mmlint, "check", "-q", "--format", "json", "--jobs", str(jobs), "--tree", tree, combined], tree)
        if result.get("mode") != "tree":
            sys.exit(f"{path}: tree mode expected, got {result.get('mode')}")
        tree_parse_errors += result.get("summary", {}).get("parseErrors", 0)
        for ident in post_line.values():
            truth[ident] = set()
        for finding in result["findings"]:
            ident = post_line.get(finding["line"])
            if ident and finding["file"] == path:
                truth[ident].add(finding["ruleId"])
        for ident, _, k, _, stmt in ins:
            new = list(lines)
            new.insert(k + 1, stmt)
            singles.append((ident, unified(path, text, "\n".join(new)), k + 2))
    # Hunk-only mode: every single insertion, as one series per chunk.
    found = {}
    hunk_parse_errors = 0
    chunk = 400
    for start in range(0, len(singles), chunk):
        part = singles[start:start + chunk]
        mbox = os.path.join(work, "series.mbox")
        with open(mbox, "w") as out:
            for number, (ident, diff, _) in enumerate(part, 1):
                out.write("From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n"
                          "From: mmlint bench <bench@example.org>\n"
                          "Date: Mon, 1 Jan 2024 00:00:00 +0000\n"
                          f"Subject: [PATCH {number}/{len(part)}] bench: insertion {number}\n\n---\n" + diff + "-- \n2.39\n\n")
        result, _ = run([mmlint, "check", "-q", "--format", "json", "--jobs", str(jobs), "--tree", empty, mbox], empty)
        if result.get("mode") != "hunk-only":
            sys.exit(f"hunk-only mode expected, got {result.get('mode')}")
        hunk_parse_errors += result.get("summary", {}).get("parseErrors", 0)
        for ident, _, _ in part:
            found[ident] = set()
        for finding in result["findings"]:
            ident, _, line = part[finding["patchIndex"] - 1]
            if finding["line"] == line:
                found[ident].add(finding["ruleId"])
    # The combined patch can hide a finding tree mode gives a patch alone:
    # the differ matches findings by rule, function, callee and chain, so a
    # second remap in a handler that already has one is not new there.
    # Where the two modes disagree, tree mode judges the insertion alone.
    by_ident = {ident: (diff, line) for ident, diff, line in singles}
    rechecked = 0
    for ident in sorted(i for i in truth if truth[i] != found.get(i, set())):
        diff, line = by_ident[ident]
        path = ident.split(":")[0]
        single = os.path.join(work, "single.patch")
        open(single, "w").write(diff)
        result, _ = run([mmlint, "check", "-q", "--format", "json", "--jobs", str(jobs), "--tree", tree, single], tree)
        truth[ident] = {f["ruleId"] for f in result["findings"] if f["file"] == path and f["line"] == line}
        rechecked += 1
    # A place where tree mode reports no follow_pfn() (a rule that fires
    # anywhere) is code the tree's config does not compile (an #else stub,
    # an option off): tree mode cannot judge it, so it counts for neither side.
    place = lambda i: i.replace(":repeat", "").rsplit(":", 1)[0]
    dark = {place(i) for i in truth if i.replace(":repeat", "").endswith(":follow_pfn") and not truth[i]}
    excluded = [i for i in truth if place(i) in dark]
    repeats = [i for i in truth if i.endswith(":repeat") and i not in excluded]
    for i in excluded + repeats:
        del truth[i]
    expected = sum(len(v) for v in truth.values())
    hit = sum(len(truth[i] & found.get(i, set())) for i in truth)
    missed = sorted((i, sorted(truth[i] - found.get(i, set()))) for i in truth if truth[i] - found.get(i, set()))
    extra = sorted((i, sorted(found.get(i, set()) - truth[i])) for i in truth if found.get(i, set()) - truth[i])
    quiet = [i for i in truth if i.replace(":repeat", "").endswith(":pr_debug")]
    kind_of = lambda i: i.replace(":repeat", "").rsplit(":", 1)[1]
    return {
        "tree": tree, "functions": len(functions), "files": len(chosen), "patches": len(singles),
        "treeFindings": expected, "found": hit, "recall": hit / expected if expected else 1.0,
        "falsePositives": len(extra), "missed": missed, "extra": extra,
        "quietPatches": len(quiet), "quietFlagged": sum(1 for i in quiet if found.get(i)),
        "repeatsLeftOut": len(repeats),
        "byKind": {kind: {"tree": sum(1 for i in truth if kind_of(i) == kind and truth[i]),
                          "hunkOnly": sum(1 for i in truth if kind_of(i) == kind and truth[i] & found.get(i, set()))}
                   for kind in KINDS},
        "notCompiledInTree": len(dark), "recheckedAlone": rechecked, "treeParseErrors": tree_parse_errors, "hunkOnlyParseErrors": hunk_parse_errors,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mmlint")
    parser.add_argument("trees", nargs="+")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--limit", type=int, default=0, help="functions sampled per tree (0: all)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = [measure(os.path.abspath(t), args.mmlint, args.jobs, args.limit, args.seed) for t in args.trees]
    if args.json:
        print(json.dumps(results, indent=1))
        return
    print("| tree | functions | patches | tree-mode findings | hunk-only found | recall | false positives | pr_debug patches flagged |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in results:
        print(f"| {os.path.basename(r['tree'])} | {r['functions']} | {r['patches']} | {r['treeFindings']} | {r['found']} | "
              f"{100 * r['recall']:.1f} % | {r['falsePositives']} | {r['quietFlagged']} of {r['quietPatches']} |")
    for r in results:
        print(f"\n{os.path.basename(r['tree'])}: by call: " + ", ".join(
            f"{k} {v['hunkOnly']}/{v['tree']}" for k, v in r["byKind"].items()) +
            f"; places tree mode does not compile (left out): {r['notCompiledInTree']}"
            f"; disagreements re-checked by tree mode alone: {r['recheckedAlone']}"
            f"; insertions of a call the function already makes (left out): {r['repeatsLeftOut']}"
            f"; parse errors: tree mode {r['treeParseErrors']}, hunk-only {r['hunkOnlyParseErrors']}")
        for ident, rules in r["missed"]:
            print(f"  missed: {ident} {','.join(rules)}")
        for ident, rules in r["extra"]:
            print(f"  hunk-only only: {ident} {','.join(rules)}")


if __name__ == "__main__":
    main()

"""Times mmlint check vs clang -fsyntax-only on one file (see check-bench.sh).

Two patches to Linux 6.1's drivers/vfio/pci/vfio_pci_core.c, generated from
the installed tree: one adds a follow_pfn() call to the fault handler (a
finding), one adds a harmless line to it (clean). Each is timed alternately
with clang's floor, memory summed over mmlint and its parse workers, in two
states of the fact cache:
- cold (`--no-cache`): the file is parsed before and after the patch;
- tree cached: the tree's own files (the file before the patch, its
  neighbours) are in the fact cache, as for every check after the first
  against the same tree (a pre-submit hook, b4, the bot). The patched
  version is never cached (it is an overlay), so repeating one patch measures
  what a new patch costs."""
import datetime, json, os, platform, statistics, subprocess, sys, tempfile

from clang_floor import syntax_only
from proctree import commit_measured, run_measured

tree, mmlint, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
path = "drivers/vfio/pci/vfio_pci_core.c"
text = open(os.path.join(tree, path)).read()
anchor = "\tif (io_remap_pfn_range(vma, vma->vm_start, vma->vm_pgoff,"
locals_anchor = "\tvm_fault_t ret = VM_FAULT_NOPAGE;\n\n\tmutex_lock(&vdev->vma_lock);"
variants = {
    "finding": (text.replace(anchor, "\tif (!follow_pfn(vma, vma->vm_start, &pfn))\n\t\tgoto up_out;\n\n" + anchor, 1)
                .replace(locals_anchor, "\tvm_fault_t ret = VM_FAULT_NOPAGE;\n\tunsigned long pfn;\n\n"
                         "\tmutex_lock(&vdev->vma_lock);", 1), (1,)),
    "clean": (text.replace(anchor, "\tpci_dbg(vdev->pdev, \"fault at %lx\\n\", vmf->address);\n\n" + anchor, 1), (0,)),
}
work = tempfile.mkdtemp(prefix="mmlint-bench-")
patches = {}
for name, (edited, _) in variants.items():
    assert edited != text, f"{name}: the anchor text is not in {path}"
    new = os.path.join(work, f"{name}.c")
    open(new, "w").write(edited)
    diff = subprocess.run(["diff", "-u", "-p", "--label", "a/" + path, "--label", "b/" + path,
                           os.path.join(tree, path), new], capture_output=True, text=True).stdout
    patches[name] = os.path.join(work, f"{name}.patch")
    open(patches[name], "w").write(f"diff --git a/{path} b/{path}\n" + diff)

# The compile command of the file, with the GCC-only flags clang rejects
# dropped (the same translation mmlint applies).
entry = next(e for e in json.load(open(os.path.join(tree, "compile_commands.json"))) if e["file"].endswith(path))
clang = syntax_only(entry)

results = {}
cache = os.path.join(work, "facts")
run_measured(clang, entry["directory"])  # warm the page cache
states = (("cold", ["--no-cache"]), ("tree cached", ["--cache-dir", cache]))
for name, (_, ok) in variants.items():
    for state, options in states:
        check = [mmlint, "check", "-q"] + options + [patches[name]]
        run_measured(check, tree, ok)  # the first run fills the cache in the cached state
        mm, cl, mem = [], [], []
        for _ in range(runs):
            seconds, peak, _ = run_measured(check, tree, ok)
            mm.append(seconds)
            mem.append(peak)
            cl.append(run_measured(clang, entry["directory"])[0])
        results[(name, state)] = (mm, cl, mem)

print(f"## {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC — `bench/check-bench.sh {runs}`\n")
print(f"commit {commit_measured(repo)}; {os.cpu_count()} cores, {platform.machine()}; "
      f"load average at the end {os.getloadavg()[0]:.2f}; {path} (Linux 6.1), {runs} runs each, alternating\n")
print("| patch | fact cache | mmlint check median s (min) | clang-14 -fsyntax-only median s (min) | ratio | goal "
      "| peak PSS, mmlint + workers |")
print("| --- | --- | --- | --- | --- | --- | --- |")
for name, goal in (("clean", 1.1), ("finding", 1.5)):
    for state, _ in states:
        mm, cl, mem = results[(name, state)]
        m, c = statistics.median(mm), statistics.median(cl)
        status = "met" if m / c <= goal else "NOT met"
        print(f"| {name} | {state} | {m:.3f} ({min(mm):.3f}) | {c:.3f} ({min(cl):.3f}) | {m / c:.2f}× "
              f"| ≤ {goal}× ({status}) | {max(mem) / 1024:.0f} MiB |")

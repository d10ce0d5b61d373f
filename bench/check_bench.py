"""Times mmlint check vs clang -fsyntax-only on one file (see check-bench.sh)."""
import json, os, statistics, subprocess, sys, tempfile, time

from clang_floor import syntax_only

tree, mmlint, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
path = "drivers/vfio/pci/vfio_pci_core.c"
text = open(os.path.join(tree, path)).read()
edited = text.replace("\tif (io_remap_pfn_range(vma, vma->vm_start, vma->vm_pgoff,",
                      "\tif (!follow_pfn(vma, vma->vm_start, &pfn))\n\t\tgoto up_out;\n\n"
                      "\tif (io_remap_pfn_range(vma, vma->vm_start, vma->vm_pgoff,", 1)
edited = edited.replace("\tvm_fault_t ret = VM_FAULT_NOPAGE;\n\n\tmutex_lock(&vdev->vma_lock);",
                        "\tvm_fault_t ret = VM_FAULT_NOPAGE;\n\tunsigned long pfn;\n\n\tmutex_lock(&vdev->vma_lock);", 1)
assert edited != text
work = tempfile.mkdtemp(prefix="mmlint-bench-")
open(os.path.join(work, "new.c"), "w").write(edited)
diff = subprocess.run(["diff", "-u", "-p", "--label", "a/" + path, "--label", "b/" + path,
                       os.path.join(tree, path), os.path.join(work, "new.c")], capture_output=True, text=True).stdout
patch = os.path.join(work, "follow_pfn.patch")
open(patch, "w").write(f"diff --git a/{path} b/{path}\n" + diff)

# The compile command of the file, with the GCC-only flags clang rejects
# dropped (the same translation mmlint applies).
entry = next(e for e in json.load(open(os.path.join(tree, "compile_commands.json"))) if e["file"].endswith(path))
clang = syntax_only(entry)

def timed(cmd, cwd, ok):
    start = time.perf_counter()
    result = subprocess.run(cmd, cwd=cwd, capture_output=True)
    elapsed = time.perf_counter() - start
    assert result.returncode in ok, (cmd[0], result.returncode, result.stderr[-2000:])
    return elapsed

check = [mmlint, "check", "-q", patch]
timed(check, tree, (1,)); timed(clang, entry["directory"], (0,))  # warm the page cache
mm, cl = [], []
for _ in range(runs):
    mm.append(timed(check, tree, (1,)))
    cl.append(timed(clang, entry["directory"], (0,)))
m, c = statistics.median(mm), statistics.median(cl)
print(f"one-file patch check, {path} (Linux 6.1), {runs} runs each, alternating")
print(f"| command | median s | min s |")
print(f"| --- | --- | --- |")
print(f"| mmlint check (pre and post parsed, 2 jobs) | {m:.3f} | {min(mm):.3f} |")
print(f"| clang-14 -fsyntax-only (same flags) | {c:.3f} | {min(cl):.3f} |")
print(f"ratio mmlint/clang: {m / c:.2f} (goal <= 1.5)")

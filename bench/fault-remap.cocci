// SPDX-License-Identifier: GPL-2.0
/// Finds mm API misuse in fault paths: the Coccinelle counterpart of
/// mmlint's two rules, written for bench/scan-bench.sh so that both tools
/// scan the same tree for the same thing.
///
/// mm-remap-in-fault: a range-mapping API (remap_pfn_range() and the others
/// of rules/mm-remap-in-fault.yaml) called from a fault handler. A handler
/// is a function stored into .fault, .huge_fault, .page_mkwrite,
/// .pfn_mkwrite or .map_pages of a struct vm_operations_struct (designated
/// initializer, or `ops->f = h` / `ops.f = h`), into .fault of a struct
/// vm_special_mapping, or any function with the fault handler shape
/// `vm_fault_t f(struct vm_fault *, ...)`. The call counts when it is in the
/// handler's own body, or one level down in a function of the same file
/// that the handler calls.
///
/// mm-follow-pfn: any call of follow_pfn().
///
/// Limits, compared with mmlint (which parses with libclang and the kbuild
/// flags, and merges all files into one program):
///  - Coccinelle works one file at a time: handlers whose ops table is in
///    another file are seen only through the signature, and helpers in other
///    files (or in headers) are not followed at all;
///  - helpers are followed one level deep only;
///  - macros are not expanded: a call hidden in a macro body is not seen, and
///    a call written in code that the preprocessor drops (#if 0, a config
///    that is off) is seen;
///  - positional initializers and ops tables built in arrays are not roots.
///
/// Output: one line per finding, on stdout, from the python rules:
///   --- FILE:LINE: RULE CALLEE FUNCTION ROOT...
/// where FUNCTION holds the call and ROOT (the rest of the line, spaces
/// included) says how fault context starts: `.fault of some_vm_ops`,
/// `.page_mkwrite assigned`, `.fault of some_special_mapping`, `vm_fault_t
/// handler signature`, followed by `-> handler` when the call is in a helper;
/// `-` for mm-follow-pfn.
///
// Confidence: High for the calls found in a handler's body; Moderate for
//   those found one helper down or through the signature alone. Misses are
//   expected where the handler and its helpers are in different files.
// URL: https://coccinelle.gitlabpages.inria.fr/website
// Options: --no-includes --very-quiet

@initialize:python@
@@
import sys

roots = {}      # file -> {function name -> how it became a root}
reported = set()

def add_root(p, function, how):
    roots.setdefault(p[0].file, {}).setdefault(function, how)

def root_of(p, function):
    return roots.get(p[0].file, {}).get(function)

def report(p, rule, callee, function, root):
    key = (p[0].file, p[0].line, rule, callee)
    if key in reported:
        return
    reported.add(key)
    sys.stdout.write("--- %s:%s: %s %s %s %s\n" % (p[0].file, p[0].line, rule, callee, function, root))
    sys.stdout.flush()

// ---------------------------------------------------------------------------
// Calls of the range-mapping APIs, in any function. Everything else runs only
// in the files that have one (or a follow_pfn() call). The API names are
// spelled out in a disjunction once more in remap_any because spatch skips a
// file without parsing it only on tokens written literally in the rules: a
// list constraint (`identifier remap = {...}`) does not count, and without
// remap_any every .c file of the tree would be parsed (minutes, not seconds).

@remap_any@
@@
(
 remap_pfn_range(...)
|
 io_remap_pfn_range(...)
|
 remap_pfn_range_notrack(...)
|
 remap_vmalloc_range(...)
|
 remap_vmalloc_range_partial(...)
|
 vm_iomap_memory(...)
|
 io_mapping_map_user(...)
|
 vm_map_pages(...)
|
 vm_map_pages_zero(...)
)

// The calls are matched as bare expressions and the enclosing function is
// taken from the position (p[0].current_element): matching
// `fn(...) { <+... remap(...) ...+> }` instead runs the control-flow matcher
// over every function of the file, which costs seconds on large files.

@remap_direct depends on remap_any@
identifier remap = {remap_pfn_range, io_remap_pfn_range, remap_pfn_range_notrack,
                    remap_vmalloc_range, remap_vmalloc_range_partial, vm_iomap_memory,
                    io_mapping_map_user, vm_map_pages, vm_map_pages_zero};
position p;
@@
remap@p(...)

@script:python remap_caller@
p << remap_direct.p;
fn;
@@
coccinelle.fn = p[0].current_element

// ---------------------------------------------------------------------------
// Roots: where fault context starts.

@ops_init depends on remap_direct@
identifier ops, handler;
identifier fld = {fault, huge_fault, page_mkwrite, pfn_mkwrite, map_pages};
position p;
@@
struct vm_operations_struct ops@p = { ..., .fld = handler, ... };

@script:python@
handler << ops_init.handler;
ops << ops_init.ops;
fld << ops_init.fld;
p << ops_init.p;
@@
add_root(p, handler, ".%s of %s" % (fld, ops))

@ops_assign depends on remap_direct@
struct vm_operations_struct *pops;
struct vm_operations_struct sops;
identifier handler;
identifier fld = {fault, huge_fault, page_mkwrite, pfn_mkwrite, map_pages};
position p;
@@
(
 pops->fld@p = handler
|
 sops.fld@p = handler
)

@script:python@
handler << ops_assign.handler;
fld << ops_assign.fld;
p << ops_assign.p;
@@
add_root(p, handler, ".%s assigned" % fld)

@special_init depends on remap_direct@
identifier sm, handler;
position p;
@@
struct vm_special_mapping sm@p = { ..., .fault = handler, ... };

@script:python@
handler << special_init.handler;
sm << special_init.sm;
p << special_init.p;
@@
add_root(p, handler, ".fault of %s" % sm)

@signature depends on remap_direct@
typedef vm_fault_t;
identifier handler, vmf;
position p;
@@
vm_fault_t handler@p(struct vm_fault *vmf, ...) { ... }

@script:python@
handler << signature.handler;
p << signature.p;
@@
add_root(p, handler, "vm_fault_t handler signature")

// ---------------------------------------------------------------------------
// mm-remap-in-fault: a range-mapping call in a root's body ...

@script:python@
remap << remap_direct.remap;
p << remap_direct.p;
@@
fn = p[0].current_element
root = root_of(p, fn)
if root is not None:
    report(p, "mm-remap-in-fault", remap, fn, root)

// ... or one level down, in a function of the same file a root calls.

@remap_helper@
identifier remap_caller.fn;
position q;
@@
fn@q(...)

@script:python@
q << remap_helper.q;
fn << remap_caller.fn;
remap << remap_direct.remap;
p << remap_direct.p;
@@
caller = q[0].current_element
root = root_of(p, caller)
if root is not None and caller != fn and p[0].current_element == fn:
    report(p, "mm-remap-in-fault", remap, fn, root + " -> " + caller)

// ---------------------------------------------------------------------------
// mm-follow-pfn: any call.

@follow@
position p;
@@
follow_pfn@p(...)

@script:python@
p << follow.p;
@@
report(p, "mm-follow-pfn", "follow_pfn", p[0].current_element, "-")

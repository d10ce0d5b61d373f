#!/bin/sh
# Creates a new built-in rule, every part of it in place:
#   Sources/MMLintRules/<Name>.swift   the rule: description, examples, check()
#   rules/<id>.yaml                    its APIs, scope, evidence, messages
#   fixtures/rule-<id without mm->/    a fixture folder FixtureTests finds
#   docs/rules.md                      a section (generated part + hand part)
#   Sources/MMLintRules/BuiltinRules.swift   one line that registers it
#
# usage: scripts/new-rule.sh ID
#   ID   the rule id, lower case and dashes: mm-some-misuse
#
# The rule it writes works as it stands, so that the package builds and its
# examples and fixture pass at once: it reports, on a fault path, calls of a
# placeholder API named after the id (some_misuse(), declared in its examples
# and fixture, since the bare-mode prelude does not know it). Then make it
# the rule you mean: the real APIs in the YAML (the prelude,
# rules/bare/prelude.h, declares the mm API already, so drop the
# placeholder's declaration), the logic, the words, the examples, the
# fixture. Afterwards:
#   swift build && swift run mmlint rules --update-docs docs/rules.md
#   swift test --filter 'RuleExampleTests|FixtureTests|RuleDocsTests'
set -eu

usage() { echo "usage: $0 ID   (ID like mm-some-misuse)" >&2; exit 2; }
[ $# -eq 1 ] || usage
id=$1
echo "$id" | grep -Eq '^[a-z][a-z0-9]*(-[a-z0-9]+)+$' || { echo "$0: '$id' is not a rule id: lower case words joined by dashes" >&2; exit 2; }
words=${id#mm-}
api=$(echo "$words" | tr - _)
name=$(echo "$words" | awk -F- '{ for (i = 1; i <= NF; i++) printf "%s%s", toupper(substr($i, 1, 1)), substr($i, 2) }')
case $name in [A-Za-z]*) ;; *) name="Rule$name" ;; esac

root=$(cd "$(dirname "$0")/.." && pwd)
swift_file=$root/Sources/MMLintRules/$name.swift
yaml_file=$root/rules/$id.yaml
fixture_dir=$root/fixtures/rule-$words
registry=$root/Sources/MMLintRules/BuiltinRules.swift
docs=$root/docs/rules.md
for path in "$swift_file" "$yaml_file" "$fixture_dir"; do
    [ ! -e "$path" ] || { echo "$0: ${path#$root/} exists already" >&2; exit 2; }
done
grep -q "generated from rule $id " "$docs" && { echo "$0: docs/rules.md has a section for $id already" >&2; exit 2; }
grep -q "^    \]$" "$registry" || { echo "$0: cannot find the end of BuiltinRules.types in ${registry#$root/}" >&2; exit 2; }

cat > "$swift_file" <<EOF
import MMLintCore

/// \`$id\`: a call of one of the APIs of \`rules/$id.yaml\` on a fault path.
public struct $name: BuiltinRule {
    public static let id = "$id"
    let knowledge: RuleKnowledge
    let data: NoData

    public var description: RuleDescription {
        RuleDescription(
            id: Self.id,
            summary: "$api() called in a fault path",
            rationale: """
                Why the misuse is a bug, what it breaks and since which kernel, and a \\
                case seen in review: what a reviewer needs to trust the finding.
                """,
            confidence: .moderate,
            triggering: [
                Example("""
                int $api(struct vm_area_struct *vma);

                static vm_fault_t foo_fault(struct vm_fault *vmf)
                {
                	if ($api(vmf->vma)) /* expect: $id */
                		return VM_FAULT_SIGBUS;
                	return VM_FAULT_NOPAGE;
                }

                static const struct vm_operations_struct foo_vm_ops = {
                	.fault = foo_fault,
                };
                """),
            ],
            nonTriggering: [
                Example("""
                int $api(struct vm_area_struct *vma);

                static int foo_mmap(struct file *file, struct vm_area_struct *vma)
                {
                	return $api(vma);
                }
                """),
            ])
    }

    /// Calls of the YAML's APIs on a fault path; a rule that judges more
    /// walks the program's functions itself (see FaultErrno.swift) and
    /// builds each finding with knowledge.finding(...).
    public func check(_ program: Program) -> [Finding] {
        knowledge.callsOnFaultPaths(in: program) { "\\(\$0.written) in a fault path" }
    }
}
EOF

cat > "$yaml_file" <<EOF
# $id: $api() called in a fault path.
# The Swift side is Sources/MMLintRules/$name.swift.
id: $id

# Where a call of an API below is a finding: \`fault\` (only when reachable
# from a fault-type root) or \`anywhere\`. The scan prefilter reads it.
scope: fault

# Optional since/until: the versions that have the API.
apis:
  - name: $api

# Placeholders: {call} the call as written, {callee}, {function}, {root},
# {vmf}. Optional when: (the rule's context) and since/until per text.
messages:
  - text: >-
      {call} in a fault path: say what goes wrong

suggestions:
  - text: >-
      say what to write instead
EOF

mkdir -p "$fixture_dir"
cat > "$fixture_dir/$(echo "$words" | tr - _).c" <<EOF
// SPDX-License-Identifier: GPL-2.0
/*
 * $id: a fault handler that calls $api(), and an mmap handler that may.
 */
int $api(struct vm_area_struct *vma);

static vm_fault_t foo_fault(struct vm_fault *vmf)
{
	if ($api(vmf->vma)) /* expect: $id chain: .fault of foo_vm_ops → foo_fault → $api */
		return VM_FAULT_SIGBUS;
	return VM_FAULT_NOPAGE;
}

static const struct vm_operations_struct foo_vm_ops = {
	.fault = foo_fault,
};

static int foo_mmap(struct file *file, struct vm_area_struct *vma)
{
	vma->vm_ops = &foo_vm_ops;
	return $api(vma);
}
EOF

# One line in the registry, before the list's closing bracket.
awk -v line="        $name.self," '!done && $0 == "    ]" { print line; done = 1 } { print }' "$registry" > "$registry.new"
mv "$registry.new" "$registry"

# The docs section: its generated part is filled by `mmlint rules --update-docs`.
cat >> "$docs" <<EOF

## $id

<!-- generated from rule $id by \`mmlint rules --update-docs\`: edit the rule, not this -->
<!-- end of generated part -->

Real findings: none yet.
EOF

cat <<EOF
Created ${swift_file#$root/}, ${yaml_file#$root/}, ${fixture_dir#$root/}/,
a section of docs/rules.md, and $name in ${registry#$root/}. Next:
  swift build && swift run mmlint rules --update-docs docs/rules.md
  swift test --filter 'RuleExampleTests|FixtureTests|RuleDocsTests'
EOF

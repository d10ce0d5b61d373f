import Foundation
import MMLintCore
import MMLintEngine
import MMLintRules
@testable import MMLintFix
import XCTest

/// `mmlint fix`: every fixture pair of fixtures/fix (`<case>/<case>.before.c`
/// and `.after.c`, the case named `<rule>-<version>[-what]`) is fixed at its
/// kernel version and must give its after.c byte for byte; the fix must hold
/// on a reparse, and fixing after.c must change nothing. A folder without
/// an after.c holds findings that must be left, each marked
/// `/* expect-not-fixed: rule */` on its line. The files' names differ from
/// folder to folder: a static function's USR carries its file's name only.
final class FixTests: XCTestCase {
    static let folder = Repo.fixtures + "/fix"

    struct Case {
        var name: String
        var rule: String
        var version: KernelVersion
        var before: String
        var after: String?
    }

    static func cases() throws -> [Case] {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        return try names.map { name in
            let pattern = try NSRegularExpression(pattern: #"^([a-z-]+?)-(\d+\.\d+)(?:-.*)?$"#)
            guard let match = pattern.firstMatch(in: name, range: NSRange(name.startIndex..., in: name)) else {
                throw NSError(domain: "FixTests", code: 1, userInfo: [NSLocalizedDescriptionKey: "\(name): not <rule>-<version>[-what]"])
            }
            let rule = "mm-" + String(name[Range(match.range(at: 1), in: name)!])
            let version = KernelVersion(String(name[Range(match.range(at: 2), in: name)!]))!
            let after = folder + "/\(name)/\(name).after.c"
            return Case(name: name, rule: rule, version: version, before: folder + "/\(name)/\(name).before.c",
                        after: FileManager.default.fileExists(atPath: after) ? after : nil)
        }
    }

    func engine(_ rule: String) throws -> Engine { try Engine(builtins: BuiltinRules.all, ruleIDs: [rule], rulesDirectory: Repo.rules) }

    func run(_ file: String, rule: String, version: KernelVersion) throws -> FixRun {
        FixRun.run(engine: try engine(rule), options: AnalysisOptions(files: [file], jobs: 1, kernelVersion: version))
    }

    /// The lines of `file` marked `expect-not-fixed: rule`.
    func notFixedMarks(_ file: String) throws -> [String] {
        let text = try String(contentsOfFile: file, encoding: .utf8)
        return text.components(separatedBy: "\n").enumerated().compactMap { index, line in
            guard let range = line.range(of: #"/\* expect-not-fixed: ([a-z-]+) \*/"#, options: .regularExpression) else { return nil }
            let rule = line[range].dropFirst("/* expect-not-fixed: ".count).dropLast(" */".count)
            return "\(index + 1): \(rule)"
        }
    }

    func testEveryFixturePair() throws {
        let cases = try Self.cases()
        XCTAssertGreaterThanOrEqual(cases.count, 12)
        // Every fix kind has a pair that changes code, and a case it leaves.
        for fixer in Fixers.all {
            XCTAssertTrue(cases.contains { $0.rule == fixer.ruleID && $0.after != nil }, "\(fixer.ruleID): no fixture pair")
            XCTAssertTrue(cases.contains { $0.rule == fixer.ruleID && $0.after == nil }, "\(fixer.ruleID): no not-mechanical fixture")
        }
        for fixture in cases {
            let run = try run(fixture.before, rule: fixture.rule, version: fixture.version)
            XCTAssertEqual(run.analysis.failures, [], fixture.name)
            XCTAssertEqual(run.analysis.units.flatMap(\.errors).map(\.message), [], fixture.name)
            XCTAssertTrue(run.isVerified, "\(fixture.name): remaining \(run.remaining), introduced \(run.introduced), broken \(run.brokenFiles)")
            let left = run.plan.left.map { "\($0.finding.location.line): \($0.finding.ruleID)" }
            XCTAssertEqual(left, try notFixedMarks(fixture.before),
                           "\(fixture.name): left \(run.plan.left.map { "\($0.finding.location.line): \($0.why)" })")
            let original = try XCTUnwrap(FileManager.default.contents(atPath: fixture.before))
            let fixed = run.fixedTexts[fixture.before].map { String(decoding: $0, as: UTF8.self) }
            if let after = fixture.after {
                let expected = try String(contentsOfFile: after, encoding: .utf8)
                XCTAssertEqual(fixed ?? String(decoding: original, as: UTF8.self), expected, fixture.name)
                XCTAssertFalse(run.plan.fixed.isEmpty, "\(fixture.name): nothing fixed")
                // Idempotent: the fixed file has nothing left to fix.
                let again = try self.run(after, rule: fixture.rule, version: fixture.version)
                XCTAssertTrue(again.plan.fixed.isEmpty && again.fixedTexts.isEmpty, "\(fixture.name): after.c is fixed again")
                XCTAssertEqual(again.analysis.findings.map(\.ruleID), [], "\(fixture.name): after.c still has findings")
            } else {
                XCTAssertNil(fixed, "\(fixture.name): changed although nothing is mechanical")
            }
        }
    }

    /// The diff applies with `git apply` and `patch -p1` at the root and
    /// gives the fixed text.
    func testDiffAppliesWithGitAndPatch() throws {
        let fixture = try XCTUnwrap(Self.cases().first { $0.name == "remap-in-fault-6.12" })
        let run = try run(fixture.before, rule: fixture.rule, version: fixture.version)
        let diff = run.diff(root: Self.folder)
        let path = "remap-in-fault-6.12/remap-in-fault-6.12.before.c"
        XCTAssertTrue(diff.hasPrefix("diff --git a/\(path) b/\(path)\n--- a/\(path)\n+++ b/\(path)\n@@ -"), diff)
        let expected = try String(contentsOfFile: try XCTUnwrap(fixture.after), encoding: .utf8)
        for tool in [["git", "apply"], ["patch", "-p1", "-s", "-i"]] {
            let dir = try temporaryFolder()
            try FileManager.default.createDirectory(atPath: dir + "/remap-in-fault-6.12", withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: fixture.before, toPath: dir + "/" + path)
            try diff.write(toFile: dir + "/fix.diff", atomically: true, encoding: .utf8)
            let result = try runCommand("/usr/bin/env", tool + ["fix.diff"], in: dir)
            XCTAssertEqual(result.status, 0, "\(tool): \(result.stderr)")
            XCTAssertEqual(try String(contentsOfFile: dir + "/" + path, encoding: .utf8), expected, "\(tool)")
        }
    }

    func testUnifiedDiffHunks() {
        let old = Array((1...20).map { "line \($0)\n" }.joined().utf8)
        let source = SourceText(path: "x.c", bytes: old)
        let at = source.offset(line: 5, column: 1)!
        let far = source.offset(line: 18, column: 6)!
        let diff = UnifiedDiff.make(path: "x.c", old: old, edits: [
            TextEdit(file: "x.c", start: at, end: at, replacement: "new\n"),
            TextEdit(file: "x.c", start: far, end: far + 2, replacement: "eighteen"),
        ])
        XCTAssertEqual(diff, """
            --- a/x.c
            +++ b/x.c
            @@ -2,6 +2,7 @@
             line 2
             line 3
             line 4
            +new
             line 5
             line 6
             line 7
            @@ -15,6 +16,6 @@
             line 15
             line 16
             line 17
            -line 18
            +line eighteen
             line 19
             line 20

            """)
        XCTAssertEqual(UnifiedDiff.make(path: "x.c", old: old, edits: []), "")
    }

    /// `--format mbox` gives mails `git am` applies, one per file and fix kind,
    /// with a kernel-style subject.
    func testMboxAppliesWithGitAm() throws {
        let fixture = try XCTUnwrap(Self.cases().first { $0.name == "remap-in-fault-6.12" })
        let dir = try temporaryFolder()
        try FileManager.default.createDirectory(atPath: dir + "/drivers/misc/bar", withIntermediateDirectories: true)
        let file = dir + "/drivers/misc/bar/bar_core.c"
        try FileManager.default.copyItem(atPath: fixture.before, toPath: file)
        for command in [["init", "-q"], ["add", "."], ["-c", "user.name=T", "-c", "user.email=t@example.org", "commit", "-qm", "base"]] {
            XCTAssertEqual(try runCommand("/usr/bin/env", ["git"] + command, in: dir).status, 0)
        }
        let result = try runCommand(Repo.executable, ["fix", "--no-cache", "--kernel-version", "6.12", "--rule", fixture.rule,
                                                      "--format", "mbox", "--author", "A U Thor <author@example.org>", file], in: dir)
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stdout.contains("Subject: [PATCH] misc/bar: map only the faulting page in the fault handler\n"), result.stdout)
        XCTAssertTrue(result.stderr.contains("review: the rest of the handler may assume"), result.stderr)
        try result.stdout.write(toFile: dir + "/fix.mbox", atomically: true, encoding: .utf8)
        let am = try runCommand("/usr/bin/env", ["git", "-c", "user.name=T", "-c", "user.email=t@example.org", "am", "-q", "fix.mbox"], in: dir)
        XCTAssertEqual(am.status, 0, am.stderr)
        XCTAssertEqual(try String(contentsOfFile: file, encoding: .utf8),
                       try String(contentsOfFile: try XCTUnwrap(fixture.after), encoding: .utf8))
        let log = try runCommand("/usr/bin/env", ["git", "log", "-1", "--format=%an|%s"], in: dir)
        XCTAssertEqual(log.stdout, "A U Thor|misc/bar: map only the faulting page in the fault handler\n")
    }

    /// The command: exit 1 with a diff, --apply writes it, then exit 0 and
    /// nothing printed; findings it leaves are said on stderr.
    func testCommandApplyThenNothingToFix() throws {
        let dir = try temporaryFolder()
        for name in ["fault-errno-6.1", "fault-errno-6.1-not-mechanical"] {
            try FileManager.default.copyItem(atPath: Self.folder + "/\(name)/\(name).before.c", toPath: dir + "/\(name).c")
        }
        let arguments = ["fix", "--no-cache", "--kernel-version", "6.1", "--rule", "mm-fault-errno", "."]
        let printed = try runCommand(Repo.executable, arguments, in: dir)
        XCTAssertEqual(printed.status, 1, printed.stderr)
        XCTAssertTrue(printed.stdout.hasPrefix("diff --git a/fault-errno-6.1.c b/fault-errno-6.1.c\n"), printed.stdout)
        XCTAssertTrue(printed.stderr.contains("fault-errno-6.1-not-mechanical.c:19:10: mm-fault-errno: not fixed: the int err may be 0"),
                      printed.stderr)
        let applied = try runCommand(Repo.executable, arguments + ["--apply"], in: dir)
        XCTAssertEqual(applied.status, 1, applied.stderr)
        XCTAssertEqual(applied.stdout, "")
        XCTAssertEqual(try String(contentsOfFile: dir + "/fault-errno-6.1.c", encoding: .utf8),
                       try String(contentsOfFile: Self.folder + "/fault-errno-6.1/fault-errno-6.1.after.c", encoding: .utf8))
        let again = try runCommand(Repo.executable, arguments, in: dir)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(again.stdout, "")
    }

    /// `check --fix`: after the report, a diff on top of the patch that fixes
    /// what the patch introduces; patch and follow-up apply in turn, and a
    /// scan of the result has no finding of that rule.
    /// A copy of fixtures/check-tree under git, and a patch made now in which
    /// the doorbell fault handler returns an errno.
    func errnoPatch() throws -> (tree: String, patch: String, git: ([String]) throws -> String) {
        let dir = try temporaryFolder()
        try FileManager.default.copyItem(atPath: Repo.fixtures + "/check-tree", toPath: dir + "/tree")
        let tree = dir + "/tree"
        let git = { (arguments: [String]) throws -> String in
            let result = try runCommand("/usr/bin/env", ["git", "-c", "user.name=T", "-c", "user.email=t@example.org"] + arguments, in: tree)
            XCTAssertEqual(result.status, 0, result.stderr)
            return result.stdout
        }
        _ = try git(["init", "-q"]); _ = try git(["add", "."]); _ = try git(["commit", "-qm", "base"])
        let file = tree + "/drivers/demo/demo_mmap.c"
        let text = try String(contentsOfFile: file, encoding: .utf8)
        let anchor = "\tunsigned long pfn = PHYS_PFN(ddev->bar_start) + vmf->pgoff;\n\n"
        XCTAssertTrue(text.contains(anchor))
        try text.replacingOccurrences(of: anchor, with: anchor + "\tif (!ddev)\n\t\treturn -ENODEV;\n\n")
            .write(toFile: file, atomically: true, encoding: .utf8)
        let diff = try git(["diff"])
        let patch = dir + "/errno.patch"
        try """
            From: Casey Example <casey@example.org>
            Subject: [PATCH] demo: refuse faults without a device
            Message-Id: <errno-1@example.org>

            ---
            \(diff)
            """.write(toFile: patch, atomically: true, encoding: .utf8)
        _ = try git(["checkout", "-q", "."])
        return (tree, patch, git)
    }

    func testCheckFixPrintsFollowUpOnTopOfThePatch() throws {
        let (tree, patch, git) = try errnoPatch()
        let dir = (tree as NSString).deletingLastPathComponent
        let checked = try runCommand(Repo.executable, ["check", "--fix", "--rule", "mm-fault-errno", "--tree", tree, patch])
        XCTAssertEqual(checked.status, 1, checked.stderr)
        let parts = checked.stdout.components(separatedBy: "\nFollow-up fix, on top of the series (untested):\n\n")
        XCTAssertEqual(parts.count, 2, checked.stdout)
        XCTAssertTrue(parts[0].contains("[mm-fault-errno]"), parts[0])
        XCTAssertTrue(parts[1].hasPrefix("diff --git a/drivers/demo/demo_mmap.c b/drivers/demo/demo_mmap.c\n"), parts[1])
        XCTAssertTrue(parts[1].contains("-\t\treturn -ENODEV;\n+\t\treturn vmf_error(-ENODEV);\n"), parts[1])
        try parts[1].write(toFile: dir + "/follow-up.diff", atomically: true, encoding: .utf8)
        _ = try git(["apply", patch])
        _ = try git(["apply", dir + "/follow-up.diff"])
        let scan = try runCommand(Repo.executable, ["scan", "--no-cache", "--rule", "mm-fault-errno", "drivers/demo"], in: tree)
        XCTAssertEqual(scan.status, 0, scan.stdout + scan.stderr)
        // Machine-readable output stays clean.
        let json = try runCommand(Repo.executable, ["check", "--fix", "--format", "json", "--tree", tree, patch])
        XCTAssertEqual(json.status, 2)
        XCTAssertTrue(json.stderr.contains("--fix prints a diff after the text report"), json.stderr)
    }

    /// `review --fix`: the fix under the comment, as a reviewer would write it.
    func testReviewFixShowsTheDiffUnderTheComment() throws {
        let (tree, patch, _) = try errnoPatch()
        let reply = try runCommand(Repo.executable, ["review", "--fix", "--rule", "mm-fault-errno", "--from", "Ada <ada@example.org>",
                                                     "--tree", tree, patch])
        XCTAssertEqual(reply.status, 1, reply.stderr)
        let body = reply.stdout
        guard let comment = body.range(of: "where a vm_fault_t is due"),
              let offer = body.range(of: "Something like this, untested:\n\n--- a/drivers/demo/demo_mmap.c\n+++ b/drivers/demo/demo_mmap.c\n@@ ") else {
            return XCTFail(body)
        }
        XCTAssertLessThan(comment.lowerBound, offer.lowerBound, body)
        XCTAssertTrue(body.contains("-\t\treturn -ENODEV;\n+\t\treturn vmf_error(-ENODEV);\n"), body)
        let plain = try runCommand(Repo.executable, ["review", "--rule", "mm-fault-errno", "--from", "Ada <ada@example.org>",
                                                     "--tree", tree, patch])
        XCTAssertFalse(plain.stdout.contains("Something like this"), plain.stdout)
    }

    /// `fix --format sarif`: each fixed result carries `fixes` whose
    /// replacements, made on the file, give the after file; a finding left
    /// has none.
    func testSarifFixesReproduceTheAfterFile() throws {
        let dir = try temporaryFolder()
        for name in ["remap-in-fault-6.12", "remap-in-fault-6.12-not-mechanical"] {
            try FileManager.default.copyItem(atPath: Self.folder + "/\(name)/\(name).before.c", toPath: dir + "/\(name).c")
        }
        let result = try runCommand(Repo.executable, ["fix", "--no-cache", "--kernel-version", "6.12", "--rule", "mm-remap-in-fault",
                                                      "--format", "sarif", "."], in: dir)
        XCTAssertEqual(result.status, 1, result.stderr)
        let log = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let run = try XCTUnwrap((log["runs"] as? [[String: Any]])?.first)
        let results = try XCTUnwrap(run["results"] as? [[String: Any]])
        XCTAssertEqual(results.count, 3)
        let withFixes = results.filter { $0["fixes"] != nil }
        XCTAssertEqual(withFixes.count, 1)
        let fix = try XCTUnwrap((withFixes[0]["fixes"] as? [[String: Any]])?.first)
        XCTAssertTrue(((fix["description"] as? [String: Any])?["text"] as? String)?.hasPrefix(RemapInFaultFix.subject) == true)
        let change = try XCTUnwrap((fix["artifactChanges"] as? [[String: Any]])?.first)
        XCTAssertEqual((change["artifactLocation"] as? [String: Any])?["uri"] as? String, "remap-in-fault-6.12.c")
        let before = try XCTUnwrap(FileManager.default.contents(atPath: dir + "/remap-in-fault-6.12.c"))
        let source = SourceText(path: "x", bytes: [UInt8](before))
        var edits: [TextEdit] = []
        for replacement in try XCTUnwrap(change["replacements"] as? [[String: Any]]) {
            let region = try XCTUnwrap(replacement["deletedRegion"] as? [String: Int])
            let start = try XCTUnwrap(source.offset(line: region["startLine"]!, column: region["startColumn"]!))
            let end = try XCTUnwrap(source.offset(line: region["endLine"]!, column: region["endColumn"]!))
            let text = (replacement["insertedContent"] as? [String: Any])?["text"] as? String ?? ""
            edits.append(TextEdit(file: "x", start: start, end: end, replacement: text))
        }
        XCTAssertEqual(String(decoding: EditApplier.apply(edits, to: [UInt8](before)), as: UTF8.self),
                       try String(contentsOfFile: Self.folder + "/remap-in-fault-6.12/remap-in-fault-6.12.after.c", encoding: .utf8))
    }

    /// Subjects fit a kernel subject line (75 columns) after a subsystem
    /// prefix such as `drm/amdgpu: `, and the prefix follows the path.
    func testMailSubjects() {
        for fixer in Fixers.all {
            XCTAssertLessThanOrEqual(fixer.subject.count, 60, fixer.subject)
            XCTAssertTrue(fixer.subject.first?.isLowercase == true && !fixer.subject.hasSuffix("."), fixer.subject)
        }
        XCTAssertEqual(Mbox.prefix("drivers/vfio/pci/vfio_pci_core.c"), "vfio/pci")
        XCTAssertEqual(Mbox.prefix("drivers/gpu/drm/ttm/ttm_bo_vm.c"), "drm/ttm")
        XCTAssertEqual(Mbox.prefix("drivers/char/mem.c"), "char: mem")
        XCTAssertEqual(Mbox.prefix("mm/memory.c"), "mm")
        XCTAssertEqual(Mbox.prefix("arch/x86/kernel/cpu/sgx/virt.c"), "x86/kernel")
    }

    /// All rules at once: the vm_flags fix in a fault path leaves
    /// mm-fault-vm-flags on the same line, spelled vm_flags_set(); that is
    /// the finding the file had, not a new one, so both fixes hold.
    func testRespelledFindingIsNotNew() throws {
        let dir = try temporaryFolder()
        let file = dir + "/cam.c"
        try """
            static vm_fault_t cam_fault(struct vm_fault *vmf)
            {
            \tvmf->vma->vm_flags |= VM_IO;
            \tif (!vmf->vma->vm_private_data)
            \t\treturn -EFAULT;
            \treturn VM_FAULT_NOPAGE;
            }

            static const struct vm_operations_struct cam_vm_ops = {
            \t.fault = cam_fault,
            };

            """.write(toFile: file, atomically: true, encoding: .utf8)
        let run = FixRun.run(engine: sharedEngine, options: AnalysisOptions(files: [file], jobs: 1, kernelVersion: KernelVersion(6, 12)))
        XCTAssertTrue(run.isVerified, "introduced \(run.introduced)")
        XCTAssertEqual(run.plan.fixed.map(\.finding.ruleID).sorted(), ["mm-fault-errno", "mm-vm-flags-direct"])
        XCTAssertEqual(run.plan.left.map(\.finding.ruleID), ["mm-fault-vm-flags"])
        let fixed = String(decoding: try XCTUnwrap(run.fixedTexts[file]), as: UTF8.self)
        XCTAssertTrue(fixed.contains("\tvm_flags_set(vmf->vma, VM_IO);\n"), fixed)
        XCTAssertTrue(fixed.contains("\t\treturn vmf_error(-EFAULT);\n"), fixed)
    }

    func testCallFormattingKeepsKernelIndent() {
        XCTAssertEqual(RemapInFaultFix.call("vmf_insert_pfn", ["vma", "vmf->address", "pfn"], prefix: "return ", suffix: ";", indent: "\t"),
                       "return vmf_insert_pfn(vma, vmf->address, pfn);")
        XCTAssertEqual(RemapInFaultFix.call("vmf_insert_pfn_prot", ["vma", "vmf->address", "base + ((vmf->address - vma->vm_start) >> PAGE_SHIFT)", "prot"],
                                            prefix: "ret = ", suffix: ";", indent: "\t\t"),
                       "ret = vmf_insert_pfn_prot(vma, vmf->address,\n\t\t\t\t\t  base + ((vmf->address - vma->vm_start) >> PAGE_SHIFT),\n\t\t\t\t\t  prot);")
    }

    func temporaryFolder() throws -> String {
        let dir = NSTemporaryDirectory() + "mmlint-fix-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        return dir
    }
}

import Foundation
import MMLintCore
import MMLintEngine
import MMLintPatch

/// Hunk-only mode, for a patch whose files are not at hand: each file's
/// hunks become a small C fragment — the hunk header's function context
/// (`@@ … @@ static vm_fault_t foo(struct vm_fault *vmf)`) reopened around the
/// hunk's post-image lines, braces balanced — parsed in bare mode. Findings on
/// added lines are reported, at low confidence.
enum HunkOnlyCheck {
    static func run(_ series: PatchSeries, engine: Engine, options: CheckOptions, root: String) throws(CheckError) -> CheckResult {
        let tree = KernelTree.root(containing: root).map { KernelTree(root: $0) }
        let version = options.kernelVersion ?? tree?.version
        let plan = engine.plan(for: AnalysisOptions(files: [], jobs: options.jobs))
        var outcomes: [PatchOutcome] = []
        var parsed = 0
        var parseErrors = 0
        var failed: [(file: String, cause: String, versions: [Int])] = []
        for (offset, patch) in series.patches.enumerated() {
            let number = offset + 1
            var fragments: [(path: String, fragment: HunkFragment)] = []
            for file in patch.files where PatchCheck.isC(file.path) && !file.isBinary && !file.isDeleted && !file.hunks.isEmpty {
                let synthetic = "/mmlint-hunk-only/\(number)/" + file.path
                fragments.append((synthetic, HunkFragment(file)))
            }
            // Pass 1; pass 2 declares the locals pass 1 did not know.
            // A fragment that could not be analysed at all fails the check.
            func parse(_ files: [(String, [UInt8])]) -> [UnitFacts?] {
                let outcomes = Self.parse(files, engine: engine, plan: plan, jobs: options.jobs)
                for outcome in outcomes {
                    guard let failure = outcome.failure else { continue }
                    let real = fragments.first { $0.path == failure.file }.map { root + "/" + $0.fragment.path } ?? failure.file
                    failed.append((real, failure.cause, [number]))
                }
                return outcomes.map(\.facts)
            }
            var units = parse(fragments.map { ($0.path, $0.fragment.text(declaring: [])) })
            var retry: [(Int, [String])] = []
            for (index, unit) in units.enumerated() {
                let unknown = undeclaredIdentifiers(unit?.errors ?? [])
                if !unknown.isEmpty { retry.append((index, unknown)) }
            }
            if !retry.isEmpty {
                let again = parse(retry.map { (fragments[$0.0].path, fragments[$0.0].fragment.text(declaring: $0.1)) })
                for (slot, unit) in zip(retry.map(\.0), again) { units[slot] = unit }
            }
            let present = units.compactMap { $0 }
            parsed += present.count
            parseErrors += present.reduce(0) { $0 + $1.errors.count }
            let findings = engine.evaluate(present, kernelVersion: version).1
            var reported: [Finding] = []
            var images: [String: [UInt8]] = [:]
            for (index, entry) in fragments.enumerated() {
                let realPath = root + "/" + entry.fragment.path
                images[realPath] = entry.fragment.pseudoImage
                let declared = retry.first { $0.0 == index }?.1 ?? []
                for finding in findings where finding.location.file == entry.path {
                    guard let line = entry.fragment.postLine(forFragmentLine: finding.location.line, declaring: declared),
                          entry.fragment.addedLines.contains(line) else { continue }
                    var moved = finding
                    moved.location = Location(file: realPath, line: line, column: finding.location.column)
                    moved.confidence = .low
                    moved.patchIndex = number
                    moved.patchSubject = patch.subject
                    reported.append(moved)
                }
            }
            outcomes.append(PatchOutcome(number: number, patch: patch, findings: reported.sorted(by: Finding.reportOrder),
                                         fixed: [], images: images))
        }
        var warnings = plan.warnings
        warnings.append("the patched files are not in \(root): hunk-only mode, each hunk analysed alone "
                        + "with mmlint's prelude (lower confidence); pass --tree with the tree the patch applies to")
        return CheckResult(mode: .hunkOnly, outcomes: outcomes, kernelRoot: tree?.root, kernelVersion: version,
                           warnings: warnings, parsed: parsed, parseErrors: parseErrors, flagNotes: [],
                           failures: CheckFailure.grouped(failed) { patches in
                               series.patches.count == 1 ? "the hunks of the patch"
                                   : "the hunks of patch" + (patches.count == 1 ? " " : "es ") + patches.map(String.init).joined(separator: ", ")
                           })
    }

    static func parse(_ files: [(String, [UInt8])], engine: Engine, plan: FlagPlan, jobs: Int) -> [ParseOutcome] {
        let requests = files.map { ParseRequest(path: $0.0, overlay: [$0.0: $0.1], forceBare: true) }
        return engine.parse(requests, plan: plan, jobs: jobs)
    }

    /// Names from "use of undeclared identifier 'x'" errors, in first-seen order.
    static func undeclaredIdentifiers(_ errors: [ParseError]) -> [String] {
        var names: [String] = []
        for error in errors where error.message.hasPrefix("use of undeclared identifier '") {
            let name = String(error.message.dropFirst("use of undeclared identifier '".count).prefix { $0 != "'" })
            if !names.contains(name) { names.append(name) }
        }
        return names
    }
}

/// The C fragment made of one file's hunks.
struct HunkFragment {
    let path: String
    /// Fragment body lines and, for each, the post-image line it comes from.
    private var lines: [(text: [UInt8], postLine: Int?)] = []
    /// Post-image lines the patch added.
    private(set) var addedLines = Set<Int>()

    init(_ file: FilePatch) {
        path = file.path
        var groups: [(section: String, hunks: [Hunk])] = []
        for hunk in file.hunks {
            if let last = groups.last, last.section == hunk.section {
                groups[groups.count - 1].hunks.append(hunk)
            } else {
                groups.append((hunk.section, [hunk]))
            }
        }
        for group in groups {
            var body: [(text: [UInt8], postLine: Int?)] = []
            for hunk in group.hunks {
                var line = hunk.newStart
                for hunkLine in hunk.lines where hunkLine.kind != .removed {
                    body.append((hunkLine.text, line))
                    if hunkLine.kind == .added { addedLines.insert(line) }
                    line += 1
                }
            }
            let depths = Self.braceDepths(body.map(\.text))
            let opening = max(0, -(depths.min ?? 0))
            let closing = opening + depths.final
            let section = group.section.trimmingCharacters(in: .whitespaces)
            if Self.isFunctionHeader(section) {
                let parens = section.filter { $0 == "(" }.count - section.filter { $0 == ")" }.count
                lines.append((Array((section + String(repeating: ")", count: max(0, parens)) + " {"
                                     + String(repeating: "{", count: opening)).utf8), nil))
                lines += body
                lines.append((Array((String(repeating: "}", count: max(0, closing)) + "}").utf8), nil))
            } else if section.hasSuffix("{") {
                // An initializer or a struct: reopen it.
                lines.append((Array((section + String(repeating: "{", count: opening)).utf8), nil))
                lines += body
                lines.append((Array((String(repeating: "}", count: max(0, closing)) + "};").utf8), nil))
            } else {
                lines.append((Array(String(repeating: "{", count: opening).utf8), nil))
                lines += body
                lines.append((Array(String(repeating: "}", count: max(0, closing)).utf8), nil))
            }
        }
    }

    /// The fragment with `names` declared first, typed by kernel naming habit.
    func text(declaring names: [String]) -> [UInt8] {
        var out: [UInt8] = []
        for name in names { out += Array(Self.declaration(for: name).utf8) + [0x0a] }
        for line in lines { out += line.text + [0x0a] }
        return out
    }

    func postLine(forFragmentLine line: Int, declaring names: [String]) -> Int? {
        let index = line - 1 - names.count
        return index >= 0 && index < lines.count ? lines[index].postLine : nil
    }

    /// The post-image as far as the hunks show it (for quoting lines).
    var pseudoImage: [UInt8] {
        guard let last = lines.compactMap(\.postLine).max() else { return [] }
        var byLine = [[UInt8]](repeating: [], count: last)
        for line in lines { if let number = line.postLine { byLine[number - 1] = line.text } }
        return Array(byLine.joined(separator: [0x0a]))
    }

    /// A declaration for a local the fragment uses but cannot see.
    static func declaration(for name: String) -> String {
        let types: [String: String] = [
            "vma": "struct vm_area_struct *", "vmf": "struct vm_fault *", "mm": "struct mm_struct *",
            "page": "struct page *", "pages": "struct page **", "file": "struct file *", "filp": "struct file *",
            "prot": "pgprot_t", "pgprot": "pgprot_t", "ret": "int", "err": "int", "rc": "int", "i": "int",
            "ptl": "spinlock_t *", "ptep": "pte_t *", "pdev": "struct pci_dev *",
        ]
        return "\(types[name] ?? "unsigned long") \(name);"
    }

    /// A git hunk context line that opens a function: `static int f(int a,`.
    static func isFunctionHeader(_ section: String) -> Bool {
        guard let paren = section.firstIndex(of: "("), !section.hasSuffix(";") else { return false }
        let head = section[..<paren]
        return !head.contains("=") && !head.hasPrefix("#") && head.contains(where: { $0.isLetter })
            && !["if", "for", "while", "switch", "return"].contains(head.split(separator: " ").last.map(String.init) ?? "")
    }

    /// Running brace depth over the lines, outside strings, chars and comments.
    static func braceDepths(_ lines: [[UInt8]]) -> (min: Int?, final: Int) {
        var depth = 0
        var lowest = 0
        var inBlockComment = false
        for line in lines {
            var i = 0
            var quote: UInt8?
            while i < line.count {
                let byte = line[i]
                if inBlockComment {
                    if byte == UInt8(ascii: "*"), i + 1 < line.count, line[i + 1] == UInt8(ascii: "/") {
                        inBlockComment = false
                        i += 1
                    }
                } else if let open = quote {
                    if byte == UInt8(ascii: "\\") { i += 1 } else if byte == open { quote = nil }
                } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                    quote = byte
                } else if byte == UInt8(ascii: "/"), i + 1 < line.count, line[i + 1] == UInt8(ascii: "*") {
                    inBlockComment = true
                    i += 1
                } else if byte == UInt8(ascii: "/"), i + 1 < line.count, line[i + 1] == UInt8(ascii: "/") {
                    break
                } else if byte == UInt8(ascii: "{") {
                    depth += 1
                } else if byte == UInt8(ascii: "}") {
                    depth -= 1
                    lowest = min(lowest, depth)
                }
                i += 1
            }
        }
        return (lowest, depth)
    }
}

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
            let files = patch.files.filter { PatchCheck.isC($0.path) && !$0.isBinary && !$0.isDeleted && !$0.hunks.isEmpty }
            let analysis = analyse(files, syntheticRoot: "/mmlint-hunk-only/\(number)/", root: root, engine: engine,
                                   plan: plan, jobs: options.jobs, kernelVersion: version)
            parsed += analysis.parsed
            parseErrors += analysis.parseErrors
            failed += analysis.failed.map { ($0.file, $0.cause, [number]) }
            outcomes.append(PatchOutcome(number: number, patch: patch, findings: analysis.findings.sorted(by: Finding.reportOrder),
                                         fixed: [], images: analysis.images))
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

    /// What the hunks of some files say once each file's hunks are made a
    /// fragment and parsed in bare mode.
    struct Analysis {
        /// Findings on added lines, placed in the real files, at low confidence.
        var findings: [Finding] = []
        /// Files (absolute, in the tree) whose fragment could not be analysed.
        var failed: [(file: String, cause: String)] = []
        var parsed = 0
        var parseErrors = 0
        /// Each file's post-image as far as its hunks show it.
        var images: [String: [UInt8]] = [:]
    }

    /// Analyses the hunks of `files` (paths relative to `root`) as
    /// fragments, parsed under `syntheticRoot` so that they never shadow the
    /// tree's files.
    static func analyse(_ files: [FilePatch], syntheticRoot: String, root: String, engine: Engine, plan: FlagPlan,
                        jobs: Int, kernelVersion version: KernelVersion?) -> Analysis {
        var result = Analysis()
        let fragments = files.map { (path: syntheticRoot + $0.path, fragment: HunkFragment($0)) }
        // Pass 1; pass 2 declares the locals pass 1 did not know.
        // A fragment that could not be analysed at all fails the check.
        func parse(_ files: [(String, [UInt8])]) -> [UnitFacts?] {
            let outcomes = Self.parse(files, engine: engine, plan: plan, jobs: jobs)
            for outcome in outcomes {
                guard let failure = outcome.failure else { continue }
                let real = fragments.first { $0.path == failure.file }.map { root + "/" + $0.fragment.path } ?? failure.file
                result.failed.append((real, failure.cause))
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
        result.parsed = present.count
        result.parseErrors = present.reduce(0) { $0 + $1.errors.count }
        let findings = engine.evaluate(present, kernelVersion: version).1
        for (index, entry) in fragments.enumerated() {
            let realPath = root + "/" + entry.fragment.path
            result.images[realPath] = entry.fragment.pseudoImage
            let declared = retry.first { $0.0 == index }?.1 ?? []
            for finding in findings where finding.location.file == entry.path {
                guard let line = entry.fragment.postLine(forFragmentLine: finding.location.line, declaring: declared),
                      entry.fragment.addedLines.contains(line) else { continue }
                var moved = finding
                moved.location = Location(file: realPath, line: line, column: finding.location.column)
                moved.confidence = .low
                if moved.function == HunkFragment.anonymousFunction {
                    // git named no function for the hunk: say so rather than show mmlint's wrapper.
                    moved.function = "(hunk without a function header)"
                    moved.chain = moved.chain.map { $0 == HunkFragment.anonymousFunction ? moved.function : $0 }
                }
                result.findings.append(moved)
            }
        }
        return result
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
///
/// A hunk is a window on a file: it can start or end inside a block comment,
/// a multi-line macro or string, an `#if` block, a statement or a parameter
/// list, and its header names the enclosing function only when git found
/// one. Each hunk is first made self-contained at the token level (see
/// `sanitize`); the hunks of one function are then joined and wrapped in
/// that function, braces balanced, or in a function of mmlint's own when
/// they hold statements but git named none.
struct HunkFragment {
    typealias Line = (text: [UInt8], postLine: Int?)
    /// The function mmlint wraps statements in when the hunk header names none.
    static let anonymousFunction = "__mmlint_hunk_statements"
    /// What a fault handler returns, by kernel habit (as the locals' types are).
    static let faultType = "vm_fault_t"
    /// The parameter given to a function that returns `vm_fault_t` without taking the fault.
    static let faultParameter = "__mmlint_fault"

    let path: String
    /// Fragment body lines and, for each, the post-image line it comes from.
    private var lines: [Line] = []
    /// Post-image lines the patch added.
    private(set) var addedLines = Set<Int>()
    /// Header lines whose parameters the hunk header did not show: the
    /// names the body uses undeclared become their parameters.
    private var openParameters = Set<Int>()

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
            let section = group.section.trimmingCharacters(in: .whitespaces)
            let header = Self.isFunctionHeader(section) ? section : nil
            let headerOpen = header.map { h in h.filter { $0 == "(" }.count - h.filter { $0 == ")" }.count } ?? 0
            var body: [Line] = []
            var continuesHeader = false
            for (index, hunk) in group.hunks.enumerated() {
                var hunkLines: [Line] = []
                var line = hunk.newStart
                for hunkLine in hunk.lines where hunkLine.kind != .removed {
                    hunkLines.append((hunkLine.text, line))
                    if hunkLine.kind == .added { addedLines.insert(line) }
                    line += 1
                }
                let (deficit, bodyFollows) = Self.sanitize(&hunkLines, added: addedLines)
                if deficit > 0 {
                    if index == 0, headerOpen > 0, deficit == headerOpen, bodyFollows {
                        // The hunk starts in the header's parameter list.
                        continuesHeader = true
                    } else {
                        hunkLines.insert((Array(("if (" + String(repeating: "(", count: deficit - 1)).utf8), nil), at: 0)
                    }
                }
                body += hunkLines
            }
            let shape = Self.shape(body.map(\.text))
            // Openers for the blocks the body closes, outermost first; the
            // function's own brace serves the outermost when the body ends
            // the function (and no `else` follows).
            var openers = shape.elseAfter.reversed().map { $0 ? "if (1) {" : "{" }
            if openers.first == "{", shape.closesFunction { openers.removeFirst() }
            let extra = openers.count
            let inner = openers.joined()
            if let header, continuesHeader {
                lines.append((Array(header.utf8), nil))
                lines += body
                lines.append((Array(String(repeating: "}", count: max(0, shape.final)).utf8), nil))
            } else if let header, !shape.definesFunctionFirst {
                var opened = header
                if !header.prefix(while: { $0 != "(" }).trimmingCharacters(in: .whitespaces).contains(" ") {
                    // `static vm_fault_t` on the line above: the handler's type
                    // when it takes the fault, else int.
                    opened = (header.contains("struct vm_fault *") ? "static \(Self.faultType) " : "static int ") + opened
                }
                if headerOpen > 0 {
                    // Cut short (git keeps 80 bytes of it) or continued on the
                    // next lines: keep the whole parameters, and let the rest be `...`.
                    let cut = opened.lastIndex { $0 == "," || $0 == "(" }.map { opened[...$0] } ?? Substring(opened)
                    opened = String(cut)
                    if opened.hasSuffix(",") {
                        openParameters.insert(lines.count)
                        opened += " ...)" + String(repeating: ")", count: max(0, headerOpen - 1))
                    } else {
                        openParameters.insert(lines.count)
                        opened += String(repeating: ")", count: max(0, headerOpen))
                    }
                }
                lines.append((Array((opened + " {" + inner).utf8), nil))
                lines += body
                lines.append((Array(String(repeating: "}", count: max(0, 1 + extra + shape.final)).utf8), nil))
            } else if section.hasSuffix("{"), !shape.definesFunctionFirst {
                // An initializer or a struct: reopen it.
                lines.append((Array((section + inner).utf8), nil))
                lines += body
                let closing = 1 + extra + shape.final
                lines.append((Array((String(repeating: "}", count: max(0, closing)) + (closing > 0 ? ";" : "")).utf8), nil))
            } else if shape.lowest < 0 || (shape.statementsFirst && !shape.definesFunctionFirst) {
                // Statements with no function named: a function of our own.
                openParameters.insert(lines.count)
                let type = shape.returnsFaultCode ? Self.faultType : "void"
                lines.append((Array(("static \(type) \(Self.anonymousFunction)() {" + inner).utf8), nil))
                lines += body
                lines.append((Array(String(repeating: "}", count: max(0, 1 + extra + shape.final)).utf8), nil))
            } else {
                lines += body
                lines.append((Array(String(repeating: "}", count: max(0, shape.final)).utf8), nil))
            }
        }
        Self.giveFaultParameters(&lines)
    }

    /// Gives each function of the fragment that returns `vm_fault_t` but
    /// does not take the fault the handler's parameter: its callers are out
    /// of sight, and returning vm_fault_t is what a function on a fault path
    /// does (in both real trees, all but one place of such functions is).
    static func giveFaultParameters(_ lines: inout [Line]) {
        let bytes = Array(lines.map(\.text).joined(separator: [0x0a]))
        let tokens = CLexer.tokens(bytes)
        func text(_ t: CToken) -> String { String(decoding: bytes[t.start..<t.end], as: UTF8.self) }
        var edits: [(offset: Int, replaceVoid: CToken?, empty: Bool)] = []
        for (i, token) in tokens.enumerated() where token.depth == 0 && !token.inDirective && text(token) == "{" && i > 0
            && text(tokens[i - 1]) == ")" {
            guard let open = openingParen(tokens, before: i - 1, text), open >= 1, tokens[open - 1].kind == .identifier
            else { continue }
            var j = open - 2
            var returnsFault = false
            while j >= 0, !tokens[j].inDirective, ![";", "}", "{", ")"].contains(text(tokens[j])) {
                if text(tokens[j]) == faultType { returnsFault = true }
                j -= 1
            }
            let parameters = tokens[(open + 1)..<(i - 1)]
            guard returnsFault, !parameters.contains(where: { text($0) == "vm_fault" }) else { continue }
            let onlyVoid = parameters.count == 1 && text(parameters.first!) == "void"
            edits.append((tokens[open].end, onlyVoid ? parameters.first : nil, parameters.isEmpty))
        }
        for edit in edits.reversed() {
            var offset = 0
            for index in lines.indices {
                let end = offset + lines[index].text.count
                if edit.offset <= end {
                    let column = edit.offset - offset
                    var text = lines[index].text
                    let parameter = Array("struct vm_fault *\(faultParameter)".utf8)
                    if let void = edit.replaceVoid, void.start - offset >= 0, void.end - offset <= text.count {
                        text.replaceSubrange((void.start - offset)..<(void.end - offset), with: parameter)
                    } else {
                        text.insert(contentsOf: parameter + (edit.empty ? [] : Array(", ".utf8)), at: column)
                    }
                    lines[index].text = text
                    break
                }
                offset = end + 1
            }
        }
    }

    /// Makes one hunk's lines stand alone: a leading comment tail, macro or
    /// string continuation and unmatched `#else`/`#elif`/`#endif` are
    /// blanked; a trailing open comment, continuation, `#if` or statement
    /// is closed on lines of its own. Returns how many `(` the hunk's first
    /// statement lacks (it starts inside one), and whether a `{` follows the
    /// last of them (the hunk starts in a function's parameter list).
    static func sanitize(_ lines: inout [Line], added: Set<Int>) -> (missing: Int, bodyFollows: Bool) {
        func blank(_ i: Int) { lines[i].text = lines[i].text.map { $0 == 0x09 ? 0x09 : 0x20 } }
        func trimmed(_ i: Int) -> ArraySlice<UInt8> {
            let t = lines[i].text
            var a = t.startIndex
            var b = t.endIndex
            while a < b, t[a] == 0x20 || t[a] == 0x09 { a += 1 }
            while b > a, t[b - 1] == 0x20 || t[b - 1] == 0x09 || t[b - 1] == 0x0d { b -= 1 }
            return t[a..<b]
        }
        // Inside a block comment at the start: a `*/` before any `/*`.
        let joined = Array(lines.map(\.text).joined(separator: [0x0a]))
        let close = find(joined, [0x2a, 0x2f])
        let open = find(joined, [0x2f, 0x2a])
        if let close, open.map({ close < $0 }) ?? true {
            var offset = 0
            for i in lines.indices {
                let end = offset + lines[i].text.count
                if close >= end {
                    blank(i)
                } else {
                    for j in 0..<(close + 2 - offset) where lines[i].text[j] != 0x09 { lines[i].text[j] = 0x20 }
                    break
                }
                offset = end + 1
            }
        } else if close == nil {
            // A comment that spans the whole window: ` * words` lines.
            for i in lines.indices {
                let t = trimmed(i)
                if t.isEmpty { continue }
                guard t.first == 0x2a, t.count == 1 || t.dropFirst().first == 0x20 else { break }
                blank(i)
            }
        }
        // The tail of a `#define` (or of a string continued with `\`).
        if let first = lines.indices.first(where: { !trimmed($0).isEmpty }), trimmed(first).last == 0x5c,
           trimmed(first).first != 0x23 {
            var i = first
            while i < lines.count {
                let continued = trimmed(i).last == 0x5c
                blank(i)
                i += 1
                if !continued { break }
            }
        }
        // Conditional compilation: one branch of each #if group is kept, the
        // one holding added lines (else the first, unless it is `#if 0`), so
        // the code the patch writes is what is parsed whatever the config;
        // groups cut by the window count as groups too.
        chooseBranches(&lines, added: added)
        // Open at the end: a comment, a continuation line, #if blocks.
        let text = Array(lines.map(\.text).joined(separator: [0x0a]))
        if endsInComment(text) { lines.append((Array(" */".utf8), nil)) }
        if let last = lines.indices.last, trimmed(last).last == 0x5c { lines.append(([], nil)) }
        // Parentheses: missing at the start, left open at the end.
        let tokens = CLexer.tokens(Array(lines.map(\.text).joined(separator: [0x0a]))).filter { !$0.inDirective }
        let bytes = Array(lines.map(\.text).joined(separator: [0x0a]))
        func spelled(_ t: CToken) -> UInt8? { t.kind == .punctuation && t.end - t.start == 1 ? bytes[t.start] : nil }
        var level = 0
        var lowest = 0
        var bodyFollows = false
        for (index, token) in tokens.enumerated() {
            let c = spelled(token)
            if c == 0x28 { level += 1 } else if c == 0x29 {
                level -= 1
                if level < lowest {
                    lowest = level
                    bodyFollows = index + 1 < tokens.count && spelled(tokens[index + 1]) == 0x7b
                }
            }
            if c == 0x7b || c == 0x7d || (c == 0x3b && level <= 0) { break }
        }
        var total = 0
        for token in tokens {
            let c = spelled(token)
            if c == 0x28 { total += 1 } else if c == 0x29 { total -= 1 }
        }
        let unclosed = total - lowest
        if unclosed > 0, let last = tokens.last {
            let c = spelled(last)
            let needsOperand = last.kind == .punctuation && c != 0x29 && c != 0x5d
            lines.append((Array(((needsOperand ? "0" : "") + String(repeating: ")", count: unclosed) + ";").utf8), nil))
        }
        return (-lowest, bodyFollows)
    }

    /// Blanks every conditional directive and the lines of the branches not chosen.
    static func chooseBranches(_ lines: inout [Line], added: Set<Int>) {
        struct Group { var branches: [[Int]] = [[]]; var directives: [Int] = []; var zero = false }
        var groups: [Group] = []
        var stack: [Int] = []
        var paths: [[(group: Int, branch: Int)]] = Array(repeating: [], count: lines.count)
        var outer = 0
        for i in lines.indices {
            let text = lines[i].text.drop { $0 == 0x20 || $0 == 0x09 }
            var word = ""
            if text.first == 0x23 {
                word = String(decoding: text.dropFirst().drop { $0 == 0x20 || $0 == 0x09 }
                    .prefix { CLexer.isIdentifierByte($0) }, as: UTF8.self)
            }
            switch word {
            case "if", "ifdef", "ifndef":
                var group = Group()
                group.directives = [i]
                let condition = String(decoding: text, as: UTF8.self).split(separator: " ", omittingEmptySubsequences: true)
                group.zero = word == "if" && condition.count >= 2 && condition[1].hasPrefix("0")
                groups.append(group)
                stack.append(groups.count - 1)
                continue
            case "else", "elif", "elifdef", "elifndef", "endif":
                if stack.isEmpty && outer >= 16 {
                    // Past a few, an unmatched directive is just blanked (a
                    // hostile hunk of them must not cost quadratic time).
                    lines[i].text = lines[i].text.map { $0 == 0x09 ? 0x09 : 0x20 }
                    continue
                }
                if stack.isEmpty {
                    outer += 1
                    // Opened before the window: everything so far is its first branch.
                    groups.append(Group())
                    let g = groups.count - 1
                    for j in 0..<i { paths[j].insert((g, 0), at: 0) }
                    groups[g].branches[0] = Array(0..<i)
                    stack.append(g)
                }
                let g = stack[stack.count - 1]
                groups[g].directives.append(i)
                if word == "endif" { stack.removeLast() } else { groups[g].branches.append([]) }
                continue
            default:
                break
            }
            for g in stack { paths[i].append((g, groups[g].branches.count - 1)) }
            for g in stack { groups[g].branches[groups[g].branches.count - 1].append(i) }
        }
        guard !groups.isEmpty else { return }
        let chosen: [Int] = groups.map { group in
            if let withAdded = group.branches.firstIndex(where: { $0.contains { lines[$0].postLine.map(added.contains) ?? false } }) {
                return withAdded
            }
            return group.zero ? (group.branches.count > 1 ? 1 : -1) : 0
        }
        for group in groups {
            for i in group.directives { lines[i].text = lines[i].text.map { $0 == 0x09 ? 0x09 : 0x20 } }
        }
        for i in lines.indices where paths[i].contains(where: { chosen[$0.group] != $0.branch }) {
            lines[i].text = lines[i].text.map { $0 == 0x09 ? 0x09 : 0x20 }
        }
    }

    static func find(_ bytes: [UInt8], _ needle: [UInt8]) -> Int? {
        guard bytes.count >= needle.count else { return nil }
        for i in 0...(bytes.count - needle.count) where bytes[i] == needle[0] && bytes[i + 1] == needle[1] { return i }
        return nil
    }

    /// True when `bytes`, read from a code state, end inside a block comment.
    static func endsInComment(_ bytes: [UInt8]) -> Bool {
        var i = 0
        var inComment = false
        while i < bytes.count {
            let c = bytes[i]
            if inComment {
                if c == 0x2a, i + 1 < bytes.count, bytes[i + 1] == 0x2f { inComment = false; i += 1 }
            } else if c == 0x22 || c == 0x27 {
                i = CLexer.skipLiteral(bytes, from: i) - 1
            } else if c == 0x2f, i + 1 < bytes.count, bytes[i + 1] == 0x2a {
                inComment = true
                i += 1
            } else if c == 0x2f, i + 1 < bytes.count, bytes[i + 1] == 0x2f {
                while i < bytes.count, bytes[i] != 0x0a { i += 1 }
            }
            i += 1
        }
        return inComment
    }

    /// Brace depth over the body and what sits at its top level.
    struct Shape {
        /// Lowest running `{` depth (≤ 0: the body closes blocks it did not open).
        var lowest = 0
        var final = 0
        /// A function definition at depth 0 before the body closes any block:
        /// the hunk header's function ended before the hunk.
        var definesFunctionFirst = false
        /// A statement at depth 0 before any definition.
        var statementsFirst = false
        /// For each block the body closes without opening it, innermost
        /// first: whether `else` follows (its opener must be an `if`).
        var elseAfter: [Bool] = []
        /// The body returns a `VM_FAULT_*` code.
        var returnsFaultCode = false
        /// The outermost block the body closes is a function (`}` in column 0).
        var closesFunction = false
    }

    static func shape(_ lines: [[UInt8]]) -> Shape {
        let bytes = Array(lines.joined(separator: [0x0a]))
        let tokens = CLexer.tokens(bytes).filter { !$0.inDirective }
        func text(_ t: CToken) -> String { String(decoding: bytes[t.start..<t.end], as: UTF8.self) }
        var shape = Shape()
        var depth = 0
        var decided = false
        let statementWords: Set<String> = ["if", "for", "while", "switch", "return", "goto", "break", "continue", "do",
                                           "else", "case", "default"]
        for (i, token) in tokens.enumerated() {
            let spelling = token.kind == .punctuation ? text(token) : ""
            if spelling == "{" {
                if !decided, depth == 0, i > 0, text(tokens[i - 1]) == ")",
                   let open = openingParen(tokens, before: i - 1, text), open >= 2,
                   tokens[open - 1].kind == .identifier, !statementWords.contains(text(tokens[open - 1])),
                   tokens[open - 2].kind == .identifier || text(tokens[open - 2]) == "*" {
                    shape.definesFunctionFirst = true
                    decided = true
                }
                depth += 1
            } else if spelling == "}" {
                depth -= 1
                if depth < 0 { decided = true }
                if depth < shape.lowest {
                    shape.elseAfter.append(i + 1 < tokens.count && text(tokens[i + 1]) == "else")
                    // Kernel style closes a function in column 0, inner blocks indented.
                    shape.closesFunction = token.start == 0 || bytes[token.start - 1] == 0x0a
                }
                shape.lowest = min(shape.lowest, depth)
            } else if !decided, depth == 0, token.kind == .identifier, statementWords.contains(text(token)) {
                shape.statementsFirst = true
                decided = true
            } else if !decided, depth == 0, spelling == "=", i > 0, text(tokens[i - 1]) != "]",
                      i > 1, tokens[i - 2].kind != .identifier || statementWords.contains(text(tokens[i - 2])) {
                // `x = …;` and `p->f = …;` with no type before them: an assignment.
                shape.statementsFirst = true
                decided = true
            }
        }
        shape.final = depth
        for (i, token) in tokens.enumerated() where (text(token) == "return" || text(token) == "=")
            && i + 1 < tokens.count && text(tokens[i + 1]).hasPrefix("VM_FAULT_") {
            shape.returnsFaultCode = true
        }
        return shape
    }

    static func openingParen(_ tokens: [CToken], before close: Int, _ text: (CToken) -> String) -> Int? {
        var level = 0
        var j = close
        while j >= 0 {
            let t = text(tokens[j])
            if t == ")" { level += 1 } else if t == "(" { level -= 1; if level == 0 { return j } }
            j -= 1
        }
        return nil
    }

    /// The fragment with `names` declared first, typed by kernel naming habit.
    func text(declaring names: [String]) -> [UInt8] {
        var out: [UInt8] = []
        for name in names { out += Array(Self.declaration(for: name).utf8) + [0x0a] }
        for (index, line) in lines.enumerated() {
            if openParameters.contains(index), !names.isEmpty {
                // The names the body uses undeclared are the parameters it was not shown.
                let parameters = names.map { String(Self.declaration(for: $0).dropLast()) }.joined(separator: ", ")
                var text = String(decoding: line.text, as: UTF8.self)
                if let range = text.range(of: "()") {
                    text.replaceSubrange(range, with: "(" + parameters + ")")
                } else if let range = text.range(of: ", ...)", options: .backwards) {
                    text.replaceSubrange(range, with: ", " + parameters + ", ...)")
                }
                if text.hasPrefix("static void "), names.contains(where: { Self.declaration(for: $0).hasPrefix("struct vm_fault *") }) {
                    text = "static \(Self.faultType) " + text.dropFirst("static void ".count)
                }
                out += Array(text.utf8) + [0x0a]
                continue
            }
            out += line.text + [0x0a]
        }
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
}

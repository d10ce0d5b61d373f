import Foundation
import LibClang
import MMLintCore

/// Takes a translation unit's facts in one walk: the functions of the main
/// file with their calls, the header inline functions they call, callback
/// bindings and handler shapes. Every rule reads these facts; none walks the
/// tree again.
struct FactExtractor: Sendable {
    let faultContext: FaultContextKnowledge
    /// Maps libclang's file names to the names facts use (absolute, normalized).
    let normalize: @Sendable (String) -> String

    /// The entity's USR, with the file of a file-local one (a static
    /// function or variable) named by its path: clang names it by the
    /// file's base name only (`c:core.c@F@probe`), so the static functions
    /// of two `core.c` in different folders would be one function.
    func usr(of cursor: Cursor) -> String {
        let usr = cursor.usr
        guard usr.hasPrefix("c:") else { return usr }
        let rest = usr.dropFirst(2)
        guard let at = rest.firstIndex(of: "@"), at > rest.startIndex, let file = cursor.canonicalFile else { return usr }
        let path = normalize(file)
        guard path.split(separator: "/").last.map(String.init) == String(rest[..<at]) else { return usr }
        return "c:" + path + rest[at...]
    }

    func extract(_ unit: TranslationUnit, file: String, mode: FlagMode) -> UnitFacts {
        var state = State(extractor: self)
        let diagnostics = unit.diagnostics
        state.recoversWrites = diagnostics.contains { $0.severity >= .error }
        for cursor in unit.cursor.children where cursor.isExpandedInMainFile {
            switch cursor.kind {
            case .functionDecl where cursor.isDefinition:
                state.function(cursor)
            case .varDecl:
                state.walk(cursor, in: nil, holder: cursor.spelling)
            default:
                break
            }
        }
        // Header functions called from the main file, and what they call in turn.
        while let next = state.pendingHeaderFunctions.popLast() {
            state.function(next)
        }
        let errors = diagnostics.filter { $0.severity >= .error }.map { diagnostic in
            ParseError(message: diagnostic.message, location: diagnostic.location.map(location))
        }
        return UnitFacts(file: file, flagMode: mode, functions: state.functions,
                         bindings: state.bindings, errors: errors, tableStores: state.tableStores,
                         skippedLines: unit.skippedLinesInMainFile.map { LineRange(first: $0.lowerBound, last: $0.upperBound) })
    }

    func location(_ location: SourceLocation) -> Location {
        Location(file: normalize(location.path), line: location.line, column: location.column)
    }

    /// A name a function spells that is a flag (`VM_IO`, `PFN_DEV`), by the
    /// prefixes of rules/fault-context.yaml.
    func isFlagName(_ name: String) -> Bool {
        let facts = faultContext.facts
        return facts.flagPrefixes.contains(where: name.hasPrefix) && !facts.notFlagPrefixes.contains(where: name.hasPrefix)
            && name.count > 4
            && name.utf8.allSatisfy { ($0 >= 0x41 && $0 <= 0x5a) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5f }
    }

    /// What a function body says beyond its calls.
    private struct Body {
        var memberWrites: [MemberWrite] = []
        var returns: [ValueFact] = []
        var localWrites: [LocalWrite] = []
    }

    private struct State {
        let extractor: FactExtractor
        var functions: [FunctionFact] = []
        var bindings: [CallbackBinding] = []
        var tableStores: [MemberWrite] = []
        var seenFunctions = Set<String>()
        var pendingHeaderFunctions: [Cursor] = []
        /// Field lists of callback structs, for positional initializers.
        var fieldNames: [String: [String]] = [:]
        /// Set when the unit has errors: clang keeps a write it rejected
        /// (`vma->vm_flags |= …` once v6.3 made the member const) only as a
        /// recovery expression, which is looked at then.
        var recoversWrites = false

        init(extractor: FactExtractor) { self.extractor = extractor }

        mutating func function(_ cursor: Cursor) {
            let usr = extractor.usr(of: cursor)
            guard !usr.isEmpty, seenFunctions.insert(usr).inserted,
                  let location = cursor.location else { return }
            let returnType = typeName(cursor.resultType)
            var fact = FunctionFact(
                usr: usr, name: cursor.spelling, location: extractor.location(location),
                isStatic: cursor.isStatic, faultSignature: faultSignature(cursor), returnType: returnType)
            var body = Body()
            let tracksValues = returnType == extractor.faultContext.signature.returns || returnType == "int"
            fact.calls = walk(cursor, in: fact.name, holder: fact.name, body: &body, tracksValues: tracksValues)
            fact.memberWrites = body.memberWrites
            fact.returns = body.returns
            fact.localWrites = body.localWrites
            // Flag names are read from the source text, so a flag spelled
            // through a macro argument still counts; header functions are
            // left out (the mmap handlers that set flags are in .c files).
            if cursor.isExpandedInMainFile {
                fact.flagNames = Set(cursor.identifierSpellings.filter(extractor.isFlagName)).sorted()
            }
            functions.append(fact)
        }

        static func isErrnoName(_ name: String) -> Bool {
            name.count >= 3 && name.hasPrefix("E")
                && name.utf8.allSatisfy { ($0 >= 0x41 && $0 <= 0x5a) || ($0 >= 0x30 && $0 <= 0x39) }
        }

        /// The fault typedef's name when `type` is (a typedef of) it, else the canonical spelling.
        func typeName(_ type: ClangType) -> String {
            let faultType = extractor.faultContext.signature.returns
            return returnsTypedef(type, named: faultType) ? faultType : type.canonical.spelling
        }

        /// The handler shape: returns the fault typedef and takes a pointer to the fault struct.
        func faultSignature(_ cursor: Cursor) -> FaultSignature? {
            let signature = extractor.faultContext.signature
            guard returnsTypedef(cursor.resultType, named: signature.returns) else { return nil }
            for parameter in cursor.arguments where parameter.type.pointeeRecordName == signature.parameter {
                return FaultSignature(vmfParameter: parameter.spelling.isEmpty ? "vmf" : parameter.spelling)
            }
            return nil
        }

        /// True when `type` is the typedef `name`, or a typedef of it.
        func returnsTypedef(_ type: ClangType, named name: String) -> Bool {
            var type = type
            for _ in 0..<8 {
                guard let typedef = type.typedefName else {
                    let named = type.named
                    guard named.isValid, named.spelling != type.spelling else { return false }
                    type = named
                    continue
                }
                if typedef == name { return true }
                guard let underlying = type.typedefUnderlying else { return false }
                type = underlying
            }
            return false
        }

        /// Walks a function body or a variable's initializer. Returns the calls.
        @discardableResult
        mutating func walk(_ root: Cursor, in function: String?, holder: String) -> [CallFact] {
            var body = Body()
            return walk(root, in: function, holder: holder, body: &body, tracksValues: false)
        }

        /// Walks a function body or a variable's initializer; returns the
        /// calls and fills `body` with member writes and, when `tracksValues`,
        /// returns and local writes.
        mutating func walk(_ root: Cursor, in function: String?, holder: String, body: inout Body,
                           tracksValues: Bool) -> [CallFact] {
            var calls: [CallFact] = []
            var nested: [Cursor] = []
            // Variables declared in a function body: an ops table may be one
            // (`static const struct vm_operations_struct foo_vm_ops = {…}`
            // inside the mmap handler that installs it).
            var locals: [Cursor] = []
            root.visitChildren { cursor in
                switch cursor.kind {
                case .callExpr:
                    if let call = call(cursor) { calls.append(call) }
                case .initListExpr:
                    nested.append(cursor)
                case .binaryOperator, .compoundAssignOperator:
                    if function != nil { nested.append(cursor) }
                case .returnStmt, .varDecl:
                    if function != nil && cursor.kind == .varDecl { locals.append(cursor) }
                    if function != nil && tracksValues { nested.append(cursor) }
                case .unexposedExpr:
                    if function != nil && recoversWrites { nested.append(cursor) }
                default:
                    break
                }
                return .recurse
            }
            // Initializers and assignments are inspected after the walk: their
            // inspection visits children itself, which must not nest inside
            // the walk's own visit of the same subtree.
            // A local variable's initializer list holds under the variable's
            // name, which is what an install (`vma->vm_ops = &foo_vm_ops`)
            // names; found by where the list starts.
            var localNames: [String: String] = [:]
            for variable in locals {
                for value in variable.children where value.kind == .initListExpr {
                    if let start = value.location { localNames["\(start.line):\(start.column)"] = variable.spelling }
                }
            }
            for cursor in nested {
                switch cursor.kind {
                case .initListExpr:
                    let start = cursor.location.map { "\($0.line):\($0.column)" }
                    initializer(cursor, holder: start.flatMap { localNames[$0] } ?? holder)
                case .binaryOperator, .compoundAssignOperator:
                    guard let function else { continue }
                    let operands = cursor.children
                    guard operands.count == 2 else { continue }
                    if cursor.kind == .binaryOperator { assignment(cursor, in: function) }
                    body.memberWrites.append(contentsOf: memberWrites(cursor, operands: operands))
                    if tracksValues, cursor.kind == .binaryOperator,
                       let write = localWrite(cursor, operands: operands) { body.localWrites.append(write) }
                case .unexposedExpr:
                    // A rejected assignment: the member and the value, nothing else.
                    let operands = cursor.children
                    if operands.count == 2, operands[0].kind == .memberRefExpr {
                        body.memberWrites.append(contentsOf: memberWrites(cursor, operands: operands))
                    }
                case .returnStmt:
                    if let value = cursor.children.last, value.isExpression {
                        body.returns.append(contentsOf: classify(value))
                    }
                case .varDecl:
                    if let value = cursor.children.last, value.isExpression,
                       let write = localWrite(variable: cursor, value: value) { body.localWrites.append(write) }
                default:
                    break
                }
            }
            return calls
        }

        /// `vma->vm_flags |= VM_IO;`, `vma->vm_ops = &foo_vm_ops;`: a write to
        /// a member of a watched struct.
        func memberWrites(_ cursor: Cursor, operands: [Cursor]) -> [MemberWrite] {
            let target = stripped(operands[0])
            guard target.kind == .memberRefExpr, let field = target.referenced, field.kind == .fieldDecl,
                  let structName = owningStruct(of: field), extractor.faultContext.facts.memberWriteStructs.contains(structName),
                  let op = assignmentOperator(cursor, lhs: operands[0], target: target),
                  let location = cursor.location else { return [] }
            let write = MemberWrite(member: field.spelling, structName: structName, op: op,
                                    location: extractor.location(location))
            // One write per variable stored: `cond ? &a_ops : &b_ops` installs both.
            let variables = op == "=" ? variablesReferenced(by: operands[1]) : []
            guard !variables.isEmpty else { return [write] }
            return variables.map { variable in
                var named = write
                named.valueName = variable.spelling
                named.valueUSR = extractor.usr(of: variable)
                return named
            }
        }

        /// The assignment operator after `target` (`=`, `|=`, …); nil when
        /// the expression is not an assignment to it. The source after the
        /// member's name says; inside a macro body, where that text is the
        /// macro's use, the shape does: a compound assignment is one, and a
        /// plain binary operator is `=` exactly when its left operand is
        /// used as an lvalue (no implicit load around it).
        func assignmentOperator(_ cursor: Cursor, lhs: Cursor, target: Cursor) -> String? {
            func isAssignment(_ op: String?) -> Bool {
                guard let op, op.hasSuffix("=") else { return false }
                return !["==", "!=", "<=", ">="].contains(op)
            }
            var written = target.punctuationAfterIdentifier
            if !isAssignment(written) { written = cursor.binaryOperatorSpelling }
            switch cursor.kind {
            case .compoundAssignOperator:
                return isAssignment(written) ? written : "op="
            case .binaryOperator:
                guard stripParentheses(lhs).kind == .memberRefExpr else { return nil }
                return "="
            default:
                return isAssignment(written) ? written : nil
            }
        }

        func stripParentheses(_ expression: Cursor) -> Cursor {
            var current = expression
            while current.kind == .parenExpr, let inner = current.children.first { current = inner }
            return current
        }

        /// The named struct a field belongs to, through anonymous unions
        /// (v6.3's `union { const vm_flags_t vm_flags; … }`).
        func owningStruct(of field: Cursor) -> String? {
            var parent = field.semanticParent
            for _ in 0..<4 {
                guard let current = parent else { return nil }
                if let name = current.type.recordName, !name.isEmpty, !name.contains("(") { return name }
                parent = current.semanticParent
            }
            return nil
        }

        /// `ret = value;` for a local `vm_fault_t` or `int` variable.
        func localWrite(_ cursor: Cursor, operands: [Cursor]) -> LocalWrite? {
            let target = stripped(operands[0])
            guard target.kind == .declRefExpr, let variable = target.referenced, variable.kind == .varDecl,
                  cursor.binaryOperatorSpelling == "=" else { return nil }
            return localWrite(variable: variable, value: operands[1])
        }

        func localWrite(variable: Cursor, value: Cursor) -> LocalWrite? {
            let type = typeName(variable.type)
            guard type == extractor.faultContext.signature.returns || type == "int",
                  variable.semanticParent?.kind == .functionDecl else { return nil }
            // One fact per kind of value: `ret = a ? -EINVAL : VM_FAULT_SIGBUS` is two.
            guard let value = classify(value).first(where: { $0.kind == .errno }) ?? classify(value).first
            else { return nil }
            return LocalWrite(variable: variable.spelling, variableUSR: variable.usr, variableType: type, value: value)
        }

        /// What an expression is, for the fault-return rules; one fact per
        /// branch of a conditional.
        func classify(_ expression: Cursor) -> [ValueFact] {
            let value = stripped(expression)
            if value.kind == .conditionalOperator {
                let parts = value.children
                if parts.count == 3 { return classify(parts[1]) + classify(parts[2]) }
            }
            guard let written = value.location ?? expression.location else { return [] }
            let location = extractor.location(written)
            let identifiers = value.identifierSpellings
            let codePrefixes = extractor.faultContext.facts.faultCodePrefixes
            if !identifiers.isEmpty, identifiers.allSatisfy({ codePrefixes.contains(where: $0.hasPrefix) }) {
                return [ValueFact(kind: .faultCode, name: identifiers.first, location: location)]
            }
            switch value.kind {
            case .unaryOperator:
                // `-EFAULT`, or a macro that stands for a negative constant.
                let tokens = value.tokenSpellings
                if tokens.count == 2, tokens[0] == "-", Self.isErrnoName(tokens[1]) {
                    return [ValueFact(kind: .errno, name: "-" + tokens[1], location: location)]
                }
                if let number = value.integerValue, number < 0 {
                    let written = tokens.isEmpty ? (value.identifierAtLocation ?? "") : tokens.joined()
                    return [ValueFact(kind: .errno, name: written.isEmpty ? "\(number)" : "\(written) (\(number))",
                                      location: location)]
                }
            case .integerLiteral:
                if value.tokenSpellings == ["0"] { return [ValueFact(kind: .zero, location: location)] }
            case .callExpr:
                if let callee = value.referenced, callee.kind == .functionDecl {
                    return [ValueFact(kind: .call, name: callee.spelling, usr: extractor.usr(of: callee),
                                      type: typeName(callee.resultType), location: location)]
                }
            case .declRefExpr:
                if let variable = value.referenced, variable.kind == .varDecl || variable.kind == .parmDecl {
                    return [ValueFact(kind: .variable, name: variable.spelling, usr: variable.usr,
                                      type: typeName(variable.type), location: location)]
                }
            default:
                break
            }
            return [ValueFact(kind: .other, location: location)]
        }

        /// Strips parentheses, implicit conversions and casts.
        func stripped(_ expression: Cursor) -> Cursor {
            var current = expression
            for _ in 0..<8 {
                switch current.kind {
                case .parenExpr, .cStyleCastExpr:
                    guard let inner = current.children.last else { return current }
                    current = inner
                case .unexposedExpr:
                    let children = current.children
                    guard children.count == 1 else { return current }
                    current = children[0]
                default:
                    return current
                }
            }
            return current
        }

        /// The variables an expression names: `x`, `&x`, `(x)`, `c ? &x : &y`.
        func variablesReferenced(by expression: Cursor) -> [Cursor] {
            var value = stripped(expression)
            if value.kind == .conditionalOperator {
                let parts = value.children
                return parts.count == 3 ? variablesReferenced(by: parts[1]) + variablesReferenced(by: parts[2]) : []
            }
            if value.kind == .unaryOperator, let operand = value.children.first { value = stripped(operand) }
            guard value.kind == .declRefExpr, let variable = value.referenced, variable.kind == .varDecl else {
                return []
            }
            return [variable]
        }

        mutating func call(_ cursor: Cursor) -> CallFact? {
            guard let callee = cursor.referenced, callee.kind == .functionDecl,
                  let location = cursor.location else { return nil }
            let name = callee.spelling
            let usr = extractor.usr(of: callee)
            if let definition = callee.definition, !definition.isInMainFile, !seenFunctions.contains(usr) {
                pendingHeaderFunctions.append(definition)
            }
            // A call written as a macro use: the identifier at the call's
            // file location is the macro, not the callee.
            var macro = cursor.identifierAtLocation
            if macro == name { macro = nil }
            return CallFact(callee: name, calleeUSR: usr.isEmpty ? nil : usr,
                            location: extractor.location(location), macro: macro,
                            addressedMember: addressedMember(cursor))
        }

        /// `mmap_lock` for a call whose first argument is `&mm->mmap_lock`.
        func addressedMember(_ call: Cursor) -> String? {
            guard let first = call.arguments.first else { return nil }
            let argument = stripped(first)
            guard argument.kind == .unaryOperator, argument.type.canonical.isPointer,
                  let operand = argument.children.first.map(stripped), operand.kind == .memberRefExpr,
                  !operand.type.canonical.isPointer else { return nil }
            return operand.spelling
        }

        /// `{ .fault = f, ... }` of a callback struct, designated or positional.
        mutating func initializer(_ cursor: Cursor, holder: String) {
            guard let structName = cursor.type.recordName else { return }
            tableStore(cursor, structName: structName)
            guard extractor.faultContext.callbackStructs.contains(structName) else { return }
            var position = 0
            for element in cursor.children {
                var field: String?
                var value: Cursor? = element
                // A designated initializer: a field reference, then the value.
                let parts = element.kind == .unexposedExpr ? element.children : []
                if let designator = parts.first, designator.kind == .memberRef, parts.count >= 2 {
                    field = designator.spelling
                    value = parts.last
                    if let index = fields(of: cursor.type, structName).firstIndex(of: designator.spelling) {
                        position = index
                    }
                } else {
                    let names = fields(of: cursor.type, structName)
                    field = position < names.count ? names[position] : nil
                }
                position += 1
                guard let field, let value,
                      extractor.faultContext.isFaultCallback(structName: structName, field: field) else { continue }
                for target in functionsReferenced(by: value) {
                    bind(structName: structName, field: field, function: target, holder: holder,
                         kind: .initializer, at: element)
                }
            }
        }

        /// An ops table stored into a field of another table's initializer:
        /// `.vm_ops = &foo_gem_vm_ops` in a `drm_gem_object_funcs`,
        /// `.mmap_ops = &foo_vm_ops` in a driver's object ops (designated
        /// only: the kernel writes them so). Whoever reads that field
        /// installs the ops.
        mutating func tableStore(_ cursor: Cursor, structName: String) {
            for element in cursor.children where element.kind == .unexposedExpr {
                let parts = element.children
                guard let designator = parts.first, designator.kind == .memberRef,
                      parts.count >= 2, let value = parts.last, let location = element.location else { continue }
                for variable in variablesReferenced(by: value) where extractor.faultContext.facts.opsStructs.contains(variable.type.recordName ?? "") {
                    tableStores.append(MemberWrite(member: designator.spelling, structName: structName, op: "init",
                                                   valueName: variable.spelling, valueUSR: extractor.usr(of: variable),
                                                   location: extractor.location(location)))
                }
            }
        }

        mutating func fields(of type: ClangType, _ structName: String) -> [String] {
            if let known = fieldNames[structName] { return known }
            let names = type.fieldNames
            fieldNames[structName] = names
            return names
        }

        /// `ops->fault = f;` / `ops.fault = f;`
        mutating func assignment(_ cursor: Cursor, in function: String) {
            let operands = cursor.children
            guard operands.count == 2, operands[0].kind == .memberRefExpr,
                  let field = operands[0].referenced, field.kind == .fieldDecl,
                  let structName = field.semanticParent?.type.recordName,
                  extractor.faultContext.isFaultCallback(structName: structName, field: field.spelling) else { return }
            let targets = functionsReferenced(by: operands[1])
            guard !targets.isEmpty, cursor.binaryOperatorSpelling == "=" else { return }
            for target in targets {
                bind(structName: structName, field: field.spelling, function: target, holder: function,
                     kind: .assignment, at: cursor)
            }
        }

        mutating func bind(structName: String, field: String, function: Cursor, holder: String,
                           kind: CallbackBinding.Kind, at site: Cursor) {
            guard let location = site.location else { return }
            let usr = extractor.usr(of: function)
            if let definition = function.definition, !definition.isInMainFile, !seenFunctions.contains(usr) {
                pendingHeaderFunctions.append(definition)
            }
            bindings.append(CallbackBinding(
                structName: structName, field: field, functionUSR: usr, functionName: function.spelling,
                holder: holder, kind: kind, location: extractor.location(location)))
        }

        /// The functions an expression names: `f`, `&f`, `(f)`, casts, `c ? f : g`.
        func functionsReferenced(by expression: Cursor) -> [Cursor] {
            switch expression.kind {
            case .declRefExpr:
                if let target = expression.referenced, target.kind == .functionDecl { return [target] }
                return []
            case .unexposedExpr, .parenExpr, .unaryOperator, .cStyleCastExpr, .conditionalOperator:
                return expression.children.flatMap { functionsReferenced(by: $0) }
            default:
                return []
            }
        }
    }
}

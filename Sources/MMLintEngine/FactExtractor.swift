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

    func extract(_ unit: TranslationUnit, file: String, mode: FlagMode) -> UnitFacts {
        var state = State(extractor: self)
        for cursor in unit.cursor.children where cursor.isInMainFile {
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
        let errors = unit.diagnostics.filter { $0.severity >= .error }.map { diagnostic in
            ParseError(message: diagnostic.message, location: diagnostic.location.map(location))
        }
        return UnitFacts(file: file, flagMode: mode, functions: state.functions,
                         bindings: state.bindings, errors: errors)
    }

    func location(_ location: SourceLocation) -> Location {
        Location(file: normalize(location.path), line: location.line, column: location.column)
    }

    private struct State {
        let extractor: FactExtractor
        var functions: [FunctionFact] = []
        var bindings: [CallbackBinding] = []
        var seenFunctions = Set<String>()
        var pendingHeaderFunctions: [Cursor] = []
        /// Field lists of callback structs, for positional initializers.
        var fieldNames: [String: [String]] = [:]

        init(extractor: FactExtractor) { self.extractor = extractor }

        mutating func function(_ cursor: Cursor) {
            let usr = cursor.usr
            guard !usr.isEmpty, seenFunctions.insert(usr).inserted,
                  let location = cursor.location else { return }
            var fact = FunctionFact(
                usr: usr, name: cursor.spelling, location: extractor.location(location),
                isStatic: cursor.isStatic, faultSignature: faultSignature(cursor))
            fact.calls = walk(cursor, in: fact.name, holder: fact.name)
            functions.append(fact)
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
            var calls: [CallFact] = []
            var nested: [Cursor] = []
            root.visitChildren { cursor in
                switch cursor.kind {
                case .callExpr:
                    if let call = call(cursor) { calls.append(call) }
                case .initListExpr:
                    nested.append(cursor)
                case .binaryOperator:
                    if function != nil { nested.append(cursor) }
                default:
                    break
                }
                return .recurse
            }
            // Initializers and assignments are inspected after the walk: their
            // inspection visits children itself, which must not nest inside
            // the walk's own visit of the same subtree.
            for cursor in nested {
                if cursor.kind == .initListExpr {
                    initializer(cursor, holder: holder)
                } else if let function {
                    assignment(cursor, in: function)
                }
            }
            return calls
        }

        mutating func call(_ cursor: Cursor) -> CallFact? {
            guard let callee = cursor.referenced, callee.kind == .functionDecl,
                  let location = cursor.location else { return nil }
            let name = callee.spelling
            let usr = callee.usr
            if let definition = callee.definition, !definition.isInMainFile, !seenFunctions.contains(usr) {
                pendingHeaderFunctions.append(definition)
            }
            // A call written as a macro use: the identifier at the call's
            // file location is the macro, not the callee.
            var macro = cursor.identifierAtLocation
            if macro == name { macro = nil }
            return CallFact(callee: name, calleeUSR: usr.isEmpty ? nil : usr,
                            location: extractor.location(location), macro: macro)
        }

        /// `{ .fault = f, ... }` of a callback struct, designated or positional.
        mutating func initializer(_ cursor: Cursor, holder: String) {
            guard let structName = cursor.type.recordName,
                  extractor.faultContext.callbackStructs.contains(structName) else { return }
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
            let usr = function.usr
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

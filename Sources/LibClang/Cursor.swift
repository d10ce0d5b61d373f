internal import CClang

/// A node of a translation unit's syntax tree. Holds its translation unit, so
/// the unit stays alive while any of its cursors does.
public struct Cursor {
    let raw: CXCursor
    let unit: TranslationUnit

    init(_ raw: CXCursor, _ unit: TranslationUnit) {
        self.raw = raw
        self.unit = unit
    }

    /// The kinds mmlint looks at; everything else is `.other`.
    public enum Kind: Equatable, Sendable {
        case translationUnit, functionDecl, varDecl, parmDecl, fieldDecl, structDecl, typedefDecl
        case callExpr, initListExpr, binaryOperator, compoundAssignOperator, memberRefExpr
        case memberRef, declRefExpr, unexposedExpr, unaryOperator, returnStmt, compoundStmt
        case parenExpr, cStyleCastExpr, conditionalOperator, macroExpansion, integerLiteral
        case enumConstantDecl, other
    }

    public var kind: Kind {
        switch clang_getCursorKind(raw) {
        case CXCursor_TranslationUnit: return .translationUnit
        case CXCursor_FunctionDecl: return .functionDecl
        case CXCursor_VarDecl: return .varDecl
        case CXCursor_ParmDecl: return .parmDecl
        case CXCursor_FieldDecl: return .fieldDecl
        case CXCursor_StructDecl: return .structDecl
        case CXCursor_TypedefDecl: return .typedefDecl
        case CXCursor_CallExpr: return .callExpr
        case CXCursor_InitListExpr: return .initListExpr
        case CXCursor_BinaryOperator: return .binaryOperator
        case CXCursor_CompoundAssignOperator: return .compoundAssignOperator
        case CXCursor_MemberRefExpr: return .memberRefExpr
        case CXCursor_MemberRef: return .memberRef
        case CXCursor_DeclRefExpr: return .declRefExpr
        case CXCursor_UnexposedExpr: return .unexposedExpr
        case CXCursor_UnaryOperator: return .unaryOperator
        case CXCursor_ReturnStmt: return .returnStmt
        case CXCursor_CompoundStmt: return .compoundStmt
        case CXCursor_ParenExpr: return .parenExpr
        case CXCursor_CStyleCastExpr: return .cStyleCastExpr
        case CXCursor_ConditionalOperator: return .conditionalOperator
        case CXCursor_MacroExpansion: return .macroExpansion
        case CXCursor_IntegerLiteral: return .integerLiteral
        case CXCursor_EnumConstantDecl: return .enumConstantDecl
        default: return .other
        }
    }

    public var isNull: Bool { clang_Cursor_isNull(raw) != 0 }
    /// True for every kind of expression (also those `kind` calls `.other`).
    public var isExpression: Bool { clang_isExpression(clang_getCursorKind(raw)) != 0 }
    public var spelling: String { ClangString.take(clang_getCursorSpelling(raw)) }
    /// Unified Symbol Resolution: the same entity has the same USR in every
    /// translation unit (static entities include their file's name).
    public var usr: String { ClangString.take(clang_getCursorUSR(raw)) }
    /// The file of the entity's first declaration (its canonical cursor).
    public var canonicalFile: String? {
        var file: CXFile?
        clang_getFileLocation(clang_getCursorLocation(clang_getCanonicalCursor(raw)), &file, nil, nil, nil)
        guard let file else { return nil }
        return ClangString.take(clang_getFileName(file))
    }
    public var isDefinition: Bool { clang_isCursorDefinition(raw) != 0 }
    public var isStatic: Bool { clang_Cursor_getStorageClass(raw) == CX_SC_Static }
    public var isInMainFile: Bool { clang_Location_isFromMainFile(clang_getCursorLocation(raw)) != 0 }
    /// Written in the main file, or made by a macro expanded there: a
    /// function whose name a macro pastes (`SYSCALL_DEFINE1(name, …) {`,
    /// `DEFINE_X(name)`) is spelled in no file, and libclang's main-file
    /// test, which asks where a token is spelled, says no.
    public var isExpandedInMainFile: Bool {
        if isInMainFile { return true }
        var file: CXFile?
        clang_getExpansionLocation(clang_getCursorLocation(raw), &file, nil, nil, nil)
        guard let file, let main = unit.mainFile else { return false }
        return clang_File_isEqual(file, main) != 0
    }

    /// Where the cursor is written in a file: a call that comes from a macro's
    /// body is placed at the macro's use; one written in a macro's argument,
    /// at the argument.
    public var location: SourceLocation? { unit.resolve(clang_getCursorLocation(raw), expansion: true) }
    /// Start and end of the cursor's extent, after macro expansion.
    public var extent: (start: SourceLocation, end: SourceLocation)? {
        let range = clang_getCursorExtent(raw)
        guard let start = unit.resolve(clang_getRangeStart(range), expansion: true),
              let end = unit.resolve(clang_getRangeEnd(range), expansion: true) else { return nil }
        return (start, end)
    }

    /// The entity a reference or expression refers to (a call's callee, a
    /// designator's field). Null when there is none.
    public var referenced: Cursor? { wrap(clang_getCursorReferenced(raw)) }
    /// The definition of the entity, when this translation unit has it.
    public var definition: Cursor? { wrap(clang_getCursorDefinition(raw)) }
    public var semanticParent: Cursor? { wrap(clang_getCursorSemanticParent(raw)) }
    public var type: ClangType { ClangType(clang_getCursorType(raw), unit) }
    public var resultType: ClangType { ClangType(clang_getCursorResultType(raw), unit) }

    /// The function's parameters, for function declarations.
    public var arguments: [Cursor] {
        let count = clang_Cursor_getNumArguments(raw)
        guard count > 0 else { return [] }
        return (0..<UInt32(count)).map { Cursor(clang_Cursor_getArgument(raw, $0), unit) }
    }

    /// The direct children.
    public var children: [Cursor] {
        var result: [Cursor] = []
        visitChildren { child in
            result.append(child)
            return .continue
        }
        return result
    }

    /// How a visit goes on after a cursor.
    public enum Visit { case `break`, `continue`, recurse }

    /// Visits the children (and, on `.recurse`, their descendants) in order.
    /// The closure runs inside libclang's C frame: it must not throw, so it
    /// returns a decision and keeps any error it meets in its own state.
    public func visitChildren(_ body: (Cursor) -> Visit) {
        withoutActuallyEscaping(body) { body in
            let context = VisitContext(unit: unit, body: body)
            withExtendedLifetime(context) {
                _ = clang_visitChildren(raw, { child, _, data in
                    let context = Unmanaged<VisitContext>.fromOpaque(data!).takeUnretainedValue()
                    switch context.body(Cursor(child, context.unit)) {
                    case .break: return CXChildVisit_Break
                    case .continue: return CXChildVisit_Continue
                    case .recurse: return CXChildVisit_Recurse
                    }
                }, Unmanaged.passUnretained(context).toOpaque())
            }
        }
    }

    /// The spelling of a binary operator (`=`, `==`, ...): libclang 14 has no
    /// accessor for it, so it is the first punctuation token after the left
    /// operand.
    public var binaryOperatorSpelling: String? {
        let operands = children
        guard let lhs = operands.first else { return nil }
        let lhsEnd = clang_getRangeEnd(clang_getCursorExtent(lhs.raw))
        guard let end = unit.resolve(lhsEnd, expansion: false) else { return nil }
        return unit.tokens(in: clang_getCursorExtent(raw))
            .first { $0.kind == .punctuation && $0.offset >= end.offset }?.spelling
    }

    /// The value of a constant integer expression, when clang can evaluate it.
    public var integerValue: Int64? {
        guard let result = clang_Cursor_Evaluate(raw) else { return nil }
        defer { clang_EvalResult_dispose(result) }
        guard clang_EvalResult_getKind(result) == CXEval_Int else { return nil }
        return clang_EvalResult_getAsLongLong(result)
    }

    /// The spellings of the tokens of the cursor's extent, as written.
    public var tokenSpellings: [String] {
        unit.spellings(in: clang_getCursorExtent(raw), identifiersOnly: false)
    }

    /// The identifiers of the cursor's extent, as written (macro names, not
    /// what they expand to).
    public var identifierSpellings: [String] {
        unit.spellings(in: clang_getCursorExtent(raw), identifiersOnly: true)
    }

    /// The punctuation written after the identifier at the cursor's spelling
    /// location: for the member of `vma->vm_flags |= x`, `|=`. Works inside
    /// macro bodies, where the tokens of the use do not show the operator.
    public var punctuationAfterIdentifier: String? {
        var file: CXFile?
        var offset: UInt32 = 0
        clang_getSpellingLocation(clang_getCursorLocation(raw), &file, nil, nil, &offset)
        guard let file else { return nil }
        var size = 0
        guard let contents = clang_getFileContents(unit.raw, file, &size) else { return nil }
        let bytes = UnsafeRawBufferPointer(start: contents, count: size)
        var index = Int(offset)
        func isIdentifier(_ byte: UInt8) -> Bool {
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) || byte == 0x5f
        }
        while index < size, isIdentifier(bytes[index]) { index += 1 }
        while index < size, [0x20, 0x09, 0x0a, 0x0d, 0x5c].contains(bytes[index]) { index += 1 }
        let start = index
        let operators = Set("=|&^<>+-*/%!".utf8)
        while index < size, index - start < 3, operators.contains(bytes[index]) { index += 1 }
        guard index > start else { return nil }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    /// The identifier written at the cursor's file location: for a call that
    /// comes from a macro, the macro's name at its use.
    public var identifierAtLocation: String? {
        var file: CXFile?
        var offset: UInt32 = 0
        clang_getFileLocation(clang_getCursorLocation(raw), &file, nil, nil, &offset)
        guard let file else { return nil }
        var size = 0
        guard let contents = clang_getFileContents(unit.raw, file, &size) else { return nil }
        let bytes = UnsafeRawBufferPointer(start: contents, count: size)
        var end = Int(offset)
        func isIdentifier(_ byte: UInt8) -> Bool {
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) || byte == 0x5f
        }
        while end < size, isIdentifier(bytes[end]) { end += 1 }
        guard end > Int(offset) else { return nil }
        return String(decoding: bytes[Int(offset)..<end], as: UTF8.self)
    }

    private func wrap(_ cursor: CXCursor) -> Cursor? {
        clang_Cursor_isNull(cursor) != 0 || clang_isInvalid(clang_getCursorKind(cursor)) != 0
            ? nil : Cursor(cursor, unit)
    }
}

private final class VisitContext {
    let unit: TranslationUnit
    let body: (Cursor) -> Cursor.Visit
    init(unit: TranslationUnit, body: @escaping (Cursor) -> Cursor.Visit) {
        self.unit = unit
        self.body = body
    }
}

/// A C type as libclang sees it.
public struct ClangType {
    let raw: CXType
    let unit: TranslationUnit

    init(_ raw: CXType, _ unit: TranslationUnit) {
        self.raw = raw
        self.unit = unit
    }

    public var spelling: String { ClangString.take(clang_getTypeSpelling(raw)) }
    public var isValid: Bool { raw.kind != CXType_Invalid }
    public var isPointer: Bool { raw.kind == CXType_Pointer }
    public var canonical: ClangType { ClangType(clang_getCanonicalType(raw), unit) }
    public var pointee: ClangType { ClangType(clang_getPointeeType(raw), unit) }
    public var element: ClangType { ClangType(clang_getElementType(raw), unit) }
    public var result: ClangType { ClangType(clang_getResultType(raw), unit) }
    /// Strips one sugar layer: `typedef` to its underlying type, `struct x` elaborated to its record.
    public var named: ClangType { ClangType(clang_Type_getNamedType(raw), unit) }
    public var typedefName: String? {
        raw.kind == CXType_Typedef ? ClangString.take(clang_getTypedefName(raw)) : nil
    }
    /// What a typedef stands for (one level).
    public var typedefUnderlying: ClangType? {
        guard raw.kind == CXType_Typedef else { return nil }
        let decl = clang_getTypeDeclaration(raw)
        guard clang_Cursor_isNull(decl) == 0 else { return nil }
        let underlying = clang_getTypedefDeclUnderlyingType(decl)
        return underlying.kind == CXType_Invalid ? nil : ClangType(underlying, unit)
    }
    public var declaration: Cursor? {
        let cursor = clang_getTypeDeclaration(raw)
        return clang_Cursor_isNull(cursor) != 0 ? nil : Cursor(cursor, unit)
    }

    /// The name of the struct this type is, through typedefs and qualifiers
    /// (`const struct vm_operations_struct` → `vm_operations_struct`).
    public var recordName: String? {
        let canonical = self.canonical
        guard canonical.raw.kind == CXType_Record, let decl = canonical.declaration else { return nil }
        let name = decl.spelling
        return name.isEmpty ? nil : name
    }

    /// The struct pointed to (`struct vm_fault *` → `vm_fault`).
    public var pointeeRecordName: String? {
        let canonical = self.canonical
        return canonical.raw.kind == CXType_Pointer ? canonical.pointee.recordName : nil
    }

    /// The names of the struct's fields in declaration order (for positional
    /// initializers).
    public var fieldNames: [String] {
        final class Box { var names: [String] = [] }
        let box = Box()
        _ = clang_Type_visitFields(canonical.raw, { field, context in
            let box = Unmanaged<Box>.fromOpaque(context!).takeUnretainedValue()
            box.names.append(ClangString.take(clang_getCursorSpelling(field)))
            return CXVisit_Continue
        }, Unmanaged.passUnretained(box).toOpaque())
        return box.names
    }
}

// libclang, loaded on first use rather than linked.
//
// Linking libclang makes every mmlint process load libLLVM at start and run
// its static constructors, which touch tens of megabytes of its code and
// relocate its data: about 60 MiB resident in a process that never parses.
// With parse workers (the default) the parent never parses, and it is the
// process that holds a scan's prefilter and merged facts. So each libclang
// function mmlint calls is defined here as a trampoline: the first call of
// any of them loads the library (one `pthread_once`, safe from any thread)
// and resolves them all; every call goes through the resolved pointer.
//
// MMLINT_LIBCLANG is the library llvm-config's folder holds (Package.swift),
// the one the headers came from. A call LibClang makes that is not listed
// below fails to link: add a line (its declaration is in clang-c/Index.h;
// the compiler checks the line against it).
#include "shim.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef MMLINT_LIBCLANG
#define MMLINT_LIBCLANG "libclang.so"
#endif

// F: a function returning a value; V: one returning nothing.
#define MMLINT_CLANG_FUNCTIONS(F, V) \
    F(CXEvalResult, clang_Cursor_Evaluate, (CXCursor a0), (a0)) \
    F(CXCursor, clang_Cursor_getArgument, (CXCursor a0, unsigned a1), (a0, a1)) \
    F(int, clang_Cursor_getNumArguments, (CXCursor a0), (a0)) \
    F(enum CX_StorageClass, clang_Cursor_getStorageClass, (CXCursor a0), (a0)) \
    F(int, clang_Cursor_isNull, (CXCursor a0), (a0)) \
    V(void, clang_EvalResult_dispose, (CXEvalResult a0), (a0)) \
    F(long long, clang_EvalResult_getAsLongLong, (CXEvalResult a0), (a0)) \
    F(CXEvalResultKind, clang_EvalResult_getKind, (CXEvalResult a0), (a0)) \
    F(int, clang_File_isEqual, (CXFile a0, CXFile a1), (a0, a1)) \
    F(int, clang_Location_isFromMainFile, (CXSourceLocation a0), (a0)) \
    F(CXType, clang_Type_getNamedType, (CXType a0), (a0)) \
    F(unsigned, clang_Type_visitFields, (CXType a0, CXFieldVisitor a1, CXClientData a2), (a0, a1, a2)) \
    F(CXIndex, clang_createIndex, (int a0, int a1), (a0, a1)) \
    V(void, clang_disposeDiagnostic, (CXDiagnostic a0), (a0)) \
    V(void, clang_disposeIndex, (CXIndex a0), (a0)) \
    V(void, clang_disposeSourceRangeList, (CXSourceRangeList *a0), (a0)) \
    V(void, clang_disposeString, (CXString a0), (a0)) \
    V(void, clang_disposeTokens, (CXTranslationUnit a0, CXToken *a1, unsigned a2), (a0, a1, a2)) \
    V(void, clang_disposeTranslationUnit, (CXTranslationUnit a0), (a0)) \
    F(const char *, clang_getCString, (CXString a0), (a0)) \
    F(CXCursor, clang_getCanonicalCursor, (CXCursor a0), (a0)) \
    F(CXType, clang_getCanonicalType, (CXType a0), (a0)) \
    F(CXString, clang_getClangVersion, (void), ()) \
    F(CXCursor, clang_getCursorDefinition, (CXCursor a0), (a0)) \
    F(CXSourceRange, clang_getCursorExtent, (CXCursor a0), (a0)) \
    F(enum CXCursorKind, clang_getCursorKind, (CXCursor a0), (a0)) \
    F(CXSourceLocation, clang_getCursorLocation, (CXCursor a0), (a0)) \
    F(CXCursor, clang_getCursorReferenced, (CXCursor a0), (a0)) \
    F(CXType, clang_getCursorResultType, (CXCursor a0), (a0)) \
    F(CXCursor, clang_getCursorSemanticParent, (CXCursor a0), (a0)) \
    F(CXString, clang_getCursorSpelling, (CXCursor a0), (a0)) \
    F(CXType, clang_getCursorType, (CXCursor a0), (a0)) \
    F(CXString, clang_getCursorUSR, (CXCursor a0), (a0)) \
    F(CXDiagnostic, clang_getDiagnostic, (CXTranslationUnit a0, unsigned a1), (a0, a1)) \
    F(CXSourceLocation, clang_getDiagnosticLocation, (CXDiagnostic a0), (a0)) \
    F(enum CXDiagnosticSeverity, clang_getDiagnosticSeverity, (CXDiagnostic a0), (a0)) \
    F(CXString, clang_getDiagnosticSpelling, (CXDiagnostic a0), (a0)) \
    F(CXType, clang_getElementType, (CXType a0), (a0)) \
    V(void, clang_getExpansionLocation, (CXSourceLocation a0, CXFile *a1, unsigned *a2, unsigned *a3, unsigned *a4), (a0, a1, a2, a3, a4)) \
    F(CXFile, clang_getFile, (CXTranslationUnit a0, const char *a1), (a0, a1)) \
    F(const char *, clang_getFileContents, (CXTranslationUnit a0, CXFile a1, size_t *a2), (a0, a1, a2)) \
    V(void, clang_getFileLocation, (CXSourceLocation a0, CXFile *a1, unsigned *a2, unsigned *a3, unsigned *a4), (a0, a1, a2, a3, a4)) \
    F(CXString, clang_getFileName, (CXFile a0), (a0)) \
    V(void, clang_getInclusions, (CXTranslationUnit a0, CXInclusionVisitor a1, CXClientData a2), (a0, a1, a2)) \
    F(unsigned, clang_getNumDiagnostics, (CXTranslationUnit a0), (a0)) \
    F(CXType, clang_getPointeeType, (CXType a0), (a0)) \
    F(CXSourceLocation, clang_getRangeEnd, (CXSourceRange a0), (a0)) \
    F(CXSourceLocation, clang_getRangeStart, (CXSourceRange a0), (a0)) \
    F(CXType, clang_getResultType, (CXType a0), (a0)) \
    F(CXSourceRangeList *, clang_getSkippedRanges, (CXTranslationUnit a0, CXFile a1), (a0, a1)) \
    V(void, clang_getSpellingLocation, (CXSourceLocation a0, CXFile *a1, unsigned *a2, unsigned *a3, unsigned *a4), (a0, a1, a2, a3, a4)) \
    F(CXTokenKind, clang_getTokenKind, (CXToken a0), (a0)) \
    F(CXSourceLocation, clang_getTokenLocation, (CXTranslationUnit a0, CXToken a1), (a0, a1)) \
    F(CXString, clang_getTokenSpelling, (CXTranslationUnit a0, CXToken a1), (a0, a1)) \
    F(CXCursor, clang_getTranslationUnitCursor, (CXTranslationUnit a0), (a0)) \
    F(CXString, clang_getTranslationUnitSpelling, (CXTranslationUnit a0), (a0)) \
    F(CXCursor, clang_getTypeDeclaration, (CXType a0), (a0)) \
    F(CXString, clang_getTypeSpelling, (CXType a0), (a0)) \
    F(CXType, clang_getTypedefDeclUnderlyingType, (CXCursor a0), (a0)) \
    F(CXString, clang_getTypedefName, (CXType a0), (a0)) \
    F(unsigned, clang_isCursorDefinition, (CXCursor a0), (a0)) \
    F(unsigned, clang_isExpression, (enum CXCursorKind a0), (a0)) \
    F(unsigned, clang_isInvalid, (enum CXCursorKind a0), (a0)) \
    F(enum CXErrorCode, clang_parseTranslationUnit2, (CXIndex a0, const char *a1, const char *const *a2, int a3, struct CXUnsavedFile *a4, unsigned a5, unsigned a6, CXTranslationUnit *a7), (a0, a1, a2, a3, a4, a5, a6, a7)) \
    V(void, clang_tokenize, (CXTranslationUnit a0, CXSourceRange a1, CXToken **a2, unsigned *a3), (a0, a1, a2, a3)) \
    F(unsigned, clang_visitChildren, (CXCursor a0, CXCursorVisitor a1, CXClientData a2), (a0, a1, a2))


#define MMLINT_INDEX(type, name, parameters, arguments) mmlint_index_##name,
enum { MMLINT_CLANG_FUNCTIONS(MMLINT_INDEX, MMLINT_INDEX) mmlint_function_count };

#define MMLINT_NAME(type, name, parameters, arguments) #name,
static const char *const mmlint_names[] = { MMLINT_CLANG_FUNCTIONS(MMLINT_NAME, MMLINT_NAME) };

static void *mmlint_functions[mmlint_function_count];
static pthread_once_t mmlint_once = PTHREAD_ONCE_INIT;

/// Loads the library and resolves every function, or says what is wrong
/// and exits with mmlint's error status: nothing can be parsed without it.
static void mmlint_load(void) {
    void *library = dlopen(MMLINT_LIBCLANG, RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
        fprintf(stderr, "mmlint: cannot load libclang (%s): %s\n"
                "  install Debian's libclang-dev (scripts/install-deps.sh), or rebuild mmlint "
                "where llvm-config names the LLVM to use\n", MMLINT_LIBCLANG, dlerror());
        exit(2);
    }
    for (int index = 0; index < mmlint_function_count; index++) {
        mmlint_functions[index] = dlsym(library, mmlint_names[index]);
        if (mmlint_functions[index] == NULL) {
            fprintf(stderr, "mmlint: %s has no %s: rebuild mmlint against this LLVM (scripts/install-deps.sh)\n",
                    MMLINT_LIBCLANG, mmlint_names[index]);
            exit(2);
        }
    }
}

static inline void *mmlint_function(int index) {
    pthread_once(&mmlint_once, mmlint_load);
    return mmlint_functions[index];
}

#define MMLINT_RETURNING(type, name, parameters, arguments) \
    type name parameters { return ((type (*) parameters) mmlint_function(mmlint_index_##name)) arguments; }
#define MMLINT_VOID(type, name, parameters, arguments) \
    type name parameters { ((type (*) parameters) mmlint_function(mmlint_index_##name)) arguments; }
MMLINT_CLANG_FUNCTIONS(MMLINT_RETURNING, MMLINT_VOID)

#ifndef MMLINT_CLANG_RESOURCE_INCLUDE
#define MMLINT_CLANG_RESOURCE_INCLUDE ""
#endif

const char *mmlint_clang_resource_include(void) { return MMLINT_CLANG_RESOURCE_INCLUDE; }

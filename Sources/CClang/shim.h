// The only C entry point of mmlint: libclang's C API as Debian's libclang-dev
// ships it. Package.swift finds the include and library folders with
// llvm-config; nothing outside Sources/LibClang imports this module.
#include <clang-c/Index.h>
#include <clang-c/CXCompilationDatabase.h>

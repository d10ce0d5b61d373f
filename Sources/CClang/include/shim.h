// The only C entry point of mmlint: libclang's C API as Debian's libclang-dev
// ships it. Package.swift finds the include and library folders with
// llvm-config; nothing outside Sources/LibClang imports this module.
// libclang is not linked: loader.c loads it on the first call (see there).
#include <clang-c/Index.h>
#include <clang-c/CXCompilationDatabase.h>

/// Clang's resource headers of the LLVM mmlint was built against
/// (`<libdir>/clang/<version>/include`), "" when the build did not know it.
/// Answered without loading libclang.
const char *mmlint_clang_resource_include(void);

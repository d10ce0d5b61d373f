import Foundation
import MMLintEngine

/// compile_commands.json reading: JSON, entries, shell-word splitting of "command".
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCompileDatabase(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let data = Data(bytes: start, count: count)
    if let database = try? CompileDatabase(data: data, path: "fuzz/compile_commands.json") {
        for entry in database.entries.values { _ = entry.arguments.count }
    }
    return 0
}

// SwiftPM links an executable's `main` to `FuzzCompileDatabase_main` (so tests can link the
// module); hand control to libFuzzer's driver from there.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

@_cdecl("FuzzCompileDatabase_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments, fuzzCompileDatabase)
}

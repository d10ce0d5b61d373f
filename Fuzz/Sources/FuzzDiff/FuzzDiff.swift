import MMLintPatch

/// The diff parser alone: any bytes either give files or a PatchError, never a trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDiff(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: start, count: count))
    if let files = try? PatchReader.readDiff(bytes, name: "fuzz") {
        // Touch what later stages read, so a malformed value traps here.
        for file in files {
            _ = file.path
            for hunk in file.hunks { _ = hunk.lines.count + hunk.header.utf8.count }
        }
    }
    return 0
}

// SwiftPM links an executable's `main` to `FuzzDiff_main` (so tests can link the
// module); hand control to libFuzzer's driver from there.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

@_cdecl("FuzzDiff_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments, fuzzDiff)
}

import MMLintPatch

/// mbox framing, MIME parts, transfer encodings, charsets, encoded words and
/// the diff inside: everything `mmlint check` and `review` do with a mail.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMail(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: start, count: count))
    if let series = try? PatchReader.read(bytes, name: "fuzz") {
        for patch in series.patches {
            _ = (patch.subject?.count ?? 0) + patch.to.count + patch.body.count
            for file in patch.files { for hunk in file.hunks { _ = hunk.lines.count } }
        }
    }
    return 0
}

// SwiftPM links an executable's `main` to `FuzzMail_main` (so tests can link the
// module); hand control to libFuzzer's driver from there.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

@_cdecl("FuzzMail_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments, fuzzMail)
}

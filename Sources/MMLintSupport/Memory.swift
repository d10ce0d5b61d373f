/// The process's heap, as the kernel sees it.
public enum Memory {
    /// Hands the heap's free pages back to the system. glibc keeps freed
    /// memory for reuse; a long scan frees much more than it keeps (the
    /// prefilter's tables, each parse's libclang arenas, each decoded
    /// reply), and what is not handed back stays resident and counts.
    public static func releaseFreed() {
        #if os(Linux)
        _ = glibcMallocTrim(0)
        #endif
    }
}

#if os(Linux)
/// glibc's `int malloc_trim(size_t)`, which no Swift module map exports.
@_silgen_name("malloc_trim")
private func glibcMallocTrim(_ pad: Int) -> Int32
#endif

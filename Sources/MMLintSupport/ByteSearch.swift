/// Searching bytes for bytes: file contents are read as bytes, and a search
/// through a String (Character by Character, or Foundation's NSString) of a
/// 70 KB Makefile takes milliseconds where this takes microseconds.
public enum ByteSearch {
    /// True when `bytes` contains `needle`.
    public static func contains(_ bytes: [UInt8], _ needle: [UInt8]) -> Bool {
        guard let first = needle.first, bytes.count >= needle.count else { return false }
        var i = 0
        while i <= bytes.count - needle.count {
            if bytes[i] == first && bytes[i..<(i + needle.count)].elementsEqual(needle) { return true }
            i += 1
        }
        return false
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Identifiers to dense integer ids: an open-addressing hash table over a
/// byte arena. Used as a `TokenScanner`'s per-file table, reused from file
/// to file (a file's identifiers come after the scanner's permanent words,
/// which stay; clearing touches only the file's entries); as the table of
/// every defined name, filled by the scan threads and then only read; and
/// as each shard's table of called names that nothing defines.
///
/// Plain pointers in a struct, not a class: the scanner's hot loop mutates it
/// as a local value, which costs no exclusivity checks. The owner frees it
/// with `deallocate()`. Threads may share a copy for `lookup` only, once
/// nobody interns any more.
struct Interner: @unchecked Sendable {
    private var arena: UnsafeMutablePointer<UInt8>
    private var arenaCapacity: Int
    private var arenaCount = 0
    /// Per entry: end offset in the arena (its start is the previous end).
    private var ends: UnsafeMutablePointer<UInt32>
    private var hashes: UnsafeMutablePointer<UInt64>
    private var slotOf: UnsafeMutablePointer<UInt32>
    private var entryCapacity: Int
    private(set) var count = 0
    /// The high 32 bits of the entry's hash, then its index + 1; 0 is empty.
    /// A probe reads the entry's other arrays only when the hash matches.
    private var slots: UnsafeMutablePointer<UInt64>
    private var slotMask: Int
    private var permanentCount = 0
    private var permanentArenaCount = 0
    /// For a table that no longer grows: one bit per hash bucket, set when
    /// an entry hashes there, so most lookups of absent names stop at a
    /// bitmap small enough to stay in cache.
    private var presence: UnsafeMutablePointer<UInt64>?
    private static let presenceBits = 1 << 23

    private static let initialSlots = 1 << 13

    /// A table sized for about `expected` identifiers (it grows past them):
    /// growing copies everything, which for a million names costs more
    /// than reserving.
    init(expected: Int = 1 << 12) {
        entryCapacity = max(1 << 12, expected)
        arenaCapacity = max(1 << 16, entryCapacity * 16)
        arena = .allocate(capacity: arenaCapacity + Self.slack)
        arena.initialize(repeating: 0, count: arenaCapacity + Self.slack)
        ends = .allocate(capacity: entryCapacity)
        hashes = .allocate(capacity: entryCapacity)
        slotOf = .allocate(capacity: entryCapacity)
        var slotCount = Self.initialSlots
        while slotCount < entryCapacity * 2 { slotCount *= 2 }
        slotMask = slotCount - 1
        slots = .allocate(capacity: slotCount)
        slots.initialize(repeating: 0, count: slotCount)
    }

    /// Frees the buffers; the scratch is unusable afterwards.
    func deallocate() {
        presence?.deallocate()
        arena.deallocate()
        ends.deallocate()
        hashes.deallocate()
        slotOf.deallocate()
        slots.deallocate()
    }

    /// The hash of an identifier's bytes, eight at a time. `readable`:
    /// how many bytes from `bytes` may be read (at least `length`); with
    /// eight to spare past the last whole word, the tail is one masked load.
    @inline(__always)
    static func hash(_ bytes: UnsafePointer<UInt8>, _ length: Int, readable: Int) -> UInt64 {
        var hash = 0x9E37_79B9_7F4A_7C15 ^ UInt64(length)
        var offset = 0
        while offset + 8 <= length {
            hash = (hash ^ word(bytes + offset)) &* 0xFF51_AFD7_ED55_8CCD
            hash ^= hash >> 32
            offset += 8
        }
        if offset < length {
            var tail: UInt64 = 0
            if offset + 8 <= readable {
                tail = word(bytes + offset) & mask(length - offset)
            } else {
                var shift: UInt64 = 0
                while offset < length {
                    tail |= UInt64(bytes[offset]) << shift
                    shift += 8
                    offset += 1
                }
            }
            hash = (hash ^ tail) &* 0xC4CE_B9FE_1A85_EC53
        }
        return hash ^ (hash >> 29)
    }

    static func hash(_ bytes: UnsafePointer<UInt8>, _ length: Int) -> UInt64 {
        hash(bytes, length, readable: length)
    }

    @inline(__always)
    private static func word(_ bytes: UnsafePointer<UInt8>) -> UInt64 {
        UnsafeRawPointer(bytes).loadUnaligned(as: UInt64.self)
    }

    /// The low `count` bytes (1…8) of a little-endian word.
    @inline(__always)
    private static func mask(_ count: Int) -> UInt64 { UInt64.max >> UInt64(64 - 8 * count) }

    /// Bytes past the arena's end that may be read (zeros), so that short
    /// identifiers compare as two masked words.
    private static let slack = 16

    /// The id of the identifier `bytes[0..<length]` with hash `hash`, added if new.
    /// `readable`: how many bytes from `bytes` may be read (at least `length`).
    @inline(__always)
    mutating func intern(_ bytes: UnsafePointer<UInt8>, _ length: Int, _ hash: UInt64, readable: Int = 0) -> UInt32 {
        let (found, slot) = probe(bytes, length, hash, readable: readable)
        return found ?? insert(bytes, length, hash, slot: slot)
    }

    /// The entry with these bytes, or the empty slot where it would go.
    @inline(__always)
    private func probe(_ bytes: UnsafePointer<UInt8>, _ length: Int, _ hash: UInt64,
                       readable: Int) -> (UInt32?, Int) {
        let fingerprint = hash & 0xFFFF_FFFF_0000_0000
        var slot = Int(truncatingIfNeeded: hash) & slotMask
        while true {
            let entry = slots[slot]
            if entry == 0 { return (nil, slot) }
            if entry & 0xFFFF_FFFF_0000_0000 == fingerprint {
                let index = Int(entry & 0xFFFF_FFFF) - 1
                let start = index == 0 ? 0 : Int(ends[index - 1])
                if Int(ends[index]) - start == length && equal(arena + start, bytes, length, readable: readable) {
                    return (UInt32(index), slot)
                }
            }
            slot = (slot + 1) & slotMask
        }
    }

    /// Whether `length` bytes at `stored` (in the arena) and `bytes` are equal.
    @inline(__always)
    private func equal(_ stored: UnsafePointer<UInt8>, _ bytes: UnsafePointer<UInt8>, _ length: Int,
                       readable: Int) -> Bool {
        guard length <= 16 && readable >= 16 else { return memcmp(stored, bytes, length) == 0 }
        let first = Self.word(stored) ^ Self.word(bytes)
        guard length > 8 else { return first & Self.mask(length) == 0 }
        return first == 0 && (Self.word(stored + 8) ^ Self.word(bytes + 8)) & Self.mask(length - 8) == 0
    }

    /// The id of an identifier already interned, without adding it. Safe
    /// from several threads at once while nobody interns.
    func lookup(_ bytes: UnsafePointer<UInt8>, _ length: Int, _ hash: UInt64, readable: Int = 0) -> UInt32? {
        if let presence {
            let bit = Int(truncatingIfNeeded: hash >> 40) & (Self.presenceBits - 1)
            if presence[bit >> 6] & (1 << UInt64(bit & 63)) == 0 { return nil }
        }
        return probe(bytes, length, hash, readable: readable).0
    }

    /// Builds the presence bitmap `lookup` consults; the table must not grow afterwards.
    mutating func freezeForLookup() {
        let words = Self.presenceBits / 64
        let bits = UnsafeMutablePointer<UInt64>.allocate(capacity: words)
        bits.initialize(repeating: 0, count: words)
        for index in 0..<count {
            let bit = Int(truncatingIfNeeded: hashes[index] >> 40) & (Self.presenceBits - 1)
            bits[bit >> 6] |= 1 << UInt64(bit & 63)
        }
        presence?.deallocate()
        presence = bits
    }

    private mutating func insert(_ bytes: UnsafePointer<UInt8>, _ length: Int, _ hash: UInt64, slot: Int) -> UInt32 {
        if arenaCount + length > arenaCapacity {
            let capacity = max(arenaCapacity * 2, arenaCount + length)
            let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity + Self.slack)
            grown.initialize(repeating: 0, count: capacity + Self.slack)
            grown.update(from: arena, count: arenaCount)
            arena.deallocate()
            arena = grown
            arenaCapacity = capacity
        }
        (arena + arenaCount).update(from: bytes, count: length)
        arenaCount += length
        if count == entryCapacity { growEntries() }
        let index = count
        ends[index] = UInt32(arenaCount)
        hashes[index] = hash
        count += 1
        if count * 2 > slotMask + 1 {
            growSlots()
        } else {
            slots[slot] = Self.entry(index, hash)
            slotOf[index] = UInt32(slot)
        }
        return UInt32(index)
    }

    private mutating func growEntries() {
        let capacity = entryCapacity * 2
        func grow<T>(_ pointer: inout UnsafeMutablePointer<T>) {
            let grown = UnsafeMutablePointer<T>.allocate(capacity: capacity)
            grown.moveInitialize(from: pointer, count: entryCapacity)
            pointer.deallocate()
            pointer = grown
        }
        grow(&ends)
        grow(&hashes)
        grow(&slotOf)
        entryCapacity = capacity
    }

    /// Doubles the slots and places every entry again.
    private mutating func growSlots() { resizeSlots(to: (slotMask + 1) * 2) }

    /// Places every entry again, in id order (so the permanent words never
    /// sit behind a file's entries in a probe chain).
    private mutating func resizeSlots(to size: Int) {
        slots.deallocate()
        slotMask = size - 1
        slots = .allocate(capacity: size)
        slots.initialize(repeating: 0, count: size)
        for index in 0..<count {
            var slot = Int(truncatingIfNeeded: hashes[index]) & slotMask
            while slots[slot] != 0 { slot = (slot + 1) & slotMask }
            slots[slot] = Self.entry(index, hashes[index])
            slotOf[index] = UInt32(slot)
        }
    }

    private static func entry(_ index: Int, _ hash: UInt64) -> UInt64 {
        hash & 0xFFFF_FFFF_0000_0000 | UInt64(index + 1)
    }

    /// Makes the entries so far permanent: they survive `clearFile()`.
    mutating func freeze() {
        permanentCount = count
        permanentArenaCount = arenaCount
    }

    /// Forgets the file's entries, keeping the permanent ones. Permanent
    /// entries were placed first, so no chain through them breaks. After a
    /// big file the slots shrink back: a table sized for 100,000 names would
    /// make every lookup of the next small file a cache miss.
    mutating func clearFile() {
        let fileCount = count
        count = permanentCount
        arenaCount = permanentArenaCount
        if slotMask + 1 > Self.initialSlots * 4 {
            resizeSlots(to: Self.initialSlots)
        } else {
            for index in permanentCount..<fileCount { slots[Int(slotOf[index])] = 0 }
        }
    }

    /// The hash `intern` was given for `id`.
    func hash(of id: UInt32) -> UInt64 { hashes[Int(id)] }

    /// The bytes of `id`, valid until the next `intern`.
    func bytes(of id: UInt32) -> UnsafeBufferPointer<UInt8> {
        let index = Int(id)
        let start = index == 0 ? 0 : Int(ends[index - 1])
        return UnsafeBufferPointer(start: arena + start, count: Int(ends[index]) - start)
    }

    func name(of id: UInt32) -> String { String(decoding: bytes(of: id), as: UTF8.self) }

    /// The table so far as a `SymbolTable`.
    func table() -> SymbolTable {
        SymbolTable(bytes: Array(UnsafeBufferPointer(start: arena, count: arenaCount)),
                    ends: Array(UnsafeBufferPointer(start: ends, count: count)))
    }
}

import Foundation

/// Index-addressed results of a parallel loop: each worker sets its own
/// slots, the caller reads them all once the workers are done.
public final class LockedSlots<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [T?]

    public init(count: Int) { slots = Array(repeating: nil, count: count) }

    public func set(_ index: Int, _ value: T) {
        lock.lock()
        slots[index] = value
        lock.unlock()
    }

    public var values: [T?] {
        lock.lock()
        defer { lock.unlock() }
        return slots
    }
}

/// Hands out 0, 1, 2, … to the workers of a parallel loop, each number once.
public final class LockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0

    public init() {}

    /// The next number.
    public func next() -> Int { take(1).lowerBound }

    /// How many numbers were handed out (a running sum, when each `take`
    /// adds an amount).
    public var total: Int {
        lock.lock()
        defer { lock.unlock() }
        return value
    }

    /// The next `count` numbers.
    public func take(_ count: Int) -> Range<Int> {
        lock.lock()
        defer { lock.unlock() }
        value += count
        return (value - count)..<value
    }
}

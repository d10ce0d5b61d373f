import Foundation
import MMLintCore

/// Shares the storage of facts that many units repeat. Every translation
/// unit carries the header inline functions its own functions call, so a
/// scan of 1,700 kernel files holds the same `pfn_to_page()` or
/// `mmap_read_lock()` facts hundreds of times, each decoded into its own
/// strings and arrays. Passing each unit through one pool makes a function
/// equal to one seen before (same USR, same facts) the earlier value, which
/// shares its buffers (Swift's arrays and strings are copy-on-write), and
/// the repeated copy is freed. Nothing changes but memory: a unit still
/// holds every function it had, equal to what it had.
final class FactPool: @unchecked Sendable {
    private let lock = NSLock()
    /// Per USR, the distinct facts seen (a header function compiled under
    /// two configurations has two).
    private var functions: [String: [FunctionFact]] = [:]
    /// Location file names, shared by every fact that names the file.
    private var files: [String: String] = [:]

    init() {}

    /// `unit` with each function that equals one already pooled replaced by
    /// the pooled value, and the others pooled.
    func share(_ unit: UnitFacts) -> UnitFacts {
        var unit = unit
        lock.lock()
        defer { lock.unlock() }
        for index in unit.functions.indices {
            let function = unit.functions[index]
            if let known = functions[function.usr]?.first(where: { $0 == function }) {
                unit.functions[index] = known
            } else {
                let shared = sharingFiles(function)
                unit.functions[index] = shared
                functions[shared.usr, default: []].append(shared)
            }
        }
        return unit
    }

    /// `function` with the file name of each location the pooled one
    /// (a unit's thousands of call sites name a handful of files).
    private func sharingFiles(_ function: FunctionFact) -> FunctionFact {
        var function = function
        function.location.file = file(function.location.file)
        for index in function.calls.indices {
            function.calls[index].location.file = file(function.calls[index].location.file)
        }
        for index in function.memberWrites.indices {
            function.memberWrites[index].location.file = file(function.memberWrites[index].location.file)
        }
        for index in function.returns.indices {
            function.returns[index].location.file = file(function.returns[index].location.file)
        }
        for index in function.localWrites.indices {
            function.localWrites[index].value.location.file = file(function.localWrites[index].value.location.file)
        }
        return function
    }

    private func file(_ name: String) -> String {
        if let known = files[name] { return known }
        files[name] = name
        return name
    }
}

import Foundation
import MMLintCore
@testable import MMLintEngine
@testable import MMLintRules
import XCTest

/// The program and the rules work on facts alone: these tests build facts by
/// hand, without parsing anything.
final class CoreTests: XCTestCase {
    let faultContext = FaultContextKnowledge(
        callbacks: [.init(struct: "vm_operations_struct", fields: ["fault", "huge_fault"])],
        signature: .init(returns: "vm_fault_t", parameter: "vm_fault", label: "vm_fault_t handler signature"))

    func location(_ file: String, _ line: Int) -> Location { Location(file: file, line: line, column: 2) }

    func function(_ name: String, file: String = "/t/a.c", line: Int = 1, signature: Bool = false,
                  calls: [String]) -> FunctionFact {
        FunctionFact(usr: "c:@F@\(name)", name: name, location: location(file, line),
                     faultSignature: signature ? FaultSignature(vmfParameter: "vmf") : nil,
                     calls: calls.enumerated().map { index, callee in
                         CallFact(callee: callee, calleeUSR: "c:@F@\(callee)", location: location(file, line + index + 1))
                     })
    }

    func testShortestChainAcrossUnitsAndCallbackLabelWins() {
        let a = UnitFacts(file: "/t/a.c", flagMode: .bare, functions: [
            function("h_fault", line: 10, signature: true, calls: ["long_way", "short_way"]),
        ], bindings: [CallbackBinding(structName: "vm_operations_struct", field: "fault", functionUSR: "c:@F@h_fault",
                                      functionName: "h_fault", holder: "h_ops", kind: .initializer,
                                      location: location("/t/a.c", 30))])
        let b = UnitFacts(file: "/t/b.c", flagMode: .bare, functions: [
            function("long_way", file: "/t/b.c", line: 1, calls: ["middle"]),
            function("middle", file: "/t/b.c", line: 10, calls: ["target"]),
            function("short_way", file: "/t/b.c", line: 20, calls: ["target"]),
            function("target", file: "/t/b.c", line: 30, calls: ["remap_pfn_range"]),
            function("unrelated", file: "/t/b.c", line: 40, calls: ["remap_pfn_range"]),
        ])
        // Order of units must not matter.
        for units in [[a, b], [b, a]] {
            let program = Program(units: units, faultContext: faultContext)
            XCTAssertEqual(program.roots.map(\.label), [".fault of h_ops"])
            let context = program.faultContext(of: "c:@F@target")
            XCTAssertEqual(context?.path.map(\.name), ["h_fault", "short_way", "target"])
            XCTAssertNil(program.faultContext(of: "c:@F@unrelated"))
        }
    }

    /// Units repeat the header functions they pull in; the engine keeps one
    /// copy of each (same USR, same facts), and the units read as before.
    func testUnitsShareTheHeaderFunctionsTheyRepeat() {
        func unit(_ file: String, headerCall: String) -> UnitFacts {
            // Built at run time, so that each unit has its own copy of
            // every string, as units decoded from replies do.
            let header = ["/t/include/linux", "long_header_name.h"].joined(separator: "/")
            let helper = ["helper", "in", "header"].joined(separator: "_")
            return UnitFacts(file: file, flagMode: .bare, functions: [
                function("main_of_\(file.count)", file: file, calls: [helper]),
                function(helper, file: header, line: 10, calls: [headerCall, "another_callee"]),
            ])
        }
        let first = unit("/t/drivers/a.c", headerCall: "pfn_to_page_and_more")
        let second = unit("/t/drivers/bb.c", headerCall: "pfn_to_page_and_more")
        // The same USR compiled another way (another config's #if branch).
        let third = unit("/t/drivers/ccc.c", headerCall: "page_to_pfn_instead")
        let pool = FactPool()
        let shared = [first, second, third].map(pool.share)
        XCTAssertEqual(shared, [first, second, third], "sharing changes no fact")
        func storage(_ unit: UnitFacts) -> UnsafeRawPointer? {
            unit.functions[1].calls.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }
        }
        XCTAssertEqual(storage(shared[1]), storage(shared[0]), "an equal header function is the pooled one")
        XCTAssertNotEqual(storage(shared[2]), storage(shared[0]), "a different one stays its own")
        XCTAssertNotEqual(storage(shared[1]), storage(second), "the repeated copy is not kept")
        // Two different functions calling the same one hold one callee USR
        // (and one callee name, one file name): the pool interns strings.
        func text(_ string: String?) -> UnsafeRawPointer? {
            string?.utf8.withContiguousStorageIfAvailable { UnsafeRawPointer($0.baseAddress) } ?? nil
        }
        let mainCalls = (shared[0].functions[0].calls[0], shared[1].functions[0].calls[0])
        XCTAssertNotEqual(text(first.functions[0].calls[0].calleeUSR), text(second.functions[0].calls[0].calleeUSR))
        XCTAssertNotEqual(text(first.functions[0].calls[0].callee), text(second.functions[0].calls[0].callee))
        XCTAssertNotEqual(text(third.functions[1].location.file), text(first.functions[1].location.file))
        XCTAssertEqual(text(mainCalls.0.calleeUSR), text(mainCalls.1.calleeUSR), "a callee's USR is kept once")
        XCTAssertEqual(text(mainCalls.0.callee), text(mainCalls.1.callee), "a callee's name is kept once")
        XCTAssertEqual(text(shared[2].functions[1].location.file), text(shared[0].functions[1].location.file),
                       "a file's name is kept once")
    }

    func testSignatureRootWithoutBinding() {
        let unit = UnitFacts(file: "/t/a.c", flagMode: .bare, functions: [
            function("lonely_fault", signature: true, calls: ["helper"]),
            function("helper", line: 20, calls: []),
        ])
        let program = Program(units: [unit], faultContext: faultContext)
        XCTAssertEqual(program.roots.map(\.label), ["vm_fault_t handler signature"])
        XCTAssertEqual(program.faultContext(of: "c:@F@helper")?.path.map(\.name), ["lonely_fault", "helper"])
    }

    func binding(_ function: String, field: String = "fault", holder: String, line: Int) -> CallbackBinding {
        CallbackBinding(structName: "vm_operations_struct", field: field, functionUSR: "c:@F@\(function)",
                        functionName: function, holder: holder, kind: .initializer, location: location("/t/a.c", line))
    }

    /// A function with the handler's shape that a bound handler calls is in
    /// that handler's path, even where its own chain as a shape root would
    /// be shorter; shape roots no binding reaches keep their own.
    func testShapeFunctionsReachedFromABindingBelongToIt() {
        let unit = UnitFacts(file: "/t/a.c", flagMode: .bare, functions: [
            function("bar_huge_fault", line: 10, signature: true, calls: ["bar_map"]),
            function("bar_map", line: 20, calls: ["vmf_insert_pfn"]),
            function("bar_page_fault", line: 30, signature: true, calls: ["bar_huge_fault"]),
            function("lonely_fault", line: 40, signature: true, calls: ["lonely_helper"]),
            function("lonely_helper", line: 50, calls: []),
        ], bindings: [binding("bar_page_fault", holder: "bar_vm_ops", line: 60)])
        let program = Program(units: [unit], faultContext: faultContext)
        XCTAssertEqual(program.roots.map(\.name), ["bar_page_fault", "bar_huge_fault", "lonely_fault"])
        let context = program.faultContext(of: "c:@F@bar_map")
        XCTAssertEqual(context?.root.label, ".fault of bar_vm_ops")
        XCTAssertEqual(context?.path.map(\.name), ["bar_page_fault", "bar_huge_fault", "bar_map"])
        XCTAssertEqual(program.faultContext(of: "c:@F@bar_huge_fault")?.root.label, ".fault of bar_vm_ops")
        XCTAssertEqual(program.faultContext(of: "c:@F@lonely_helper")?.root.label, "vm_fault_t handler signature")
    }

    /// Every root reaching a function, with its own shortest chain; the
    /// context faultContext(of:) gives first.
    func testEveryRootReachingAFunction() {
        let unit = UnitFacts(file: "/t/a.c", flagMode: .bare, functions: [
            function("mmio_fault", line: 10, signature: true, calls: ["mmio_insert"]),
            function("mmio_wc_fault", line: 20, signature: true, calls: ["mmio_prepare"]),
            function("mmio_prepare", line: 30, calls: ["mmio_insert"]),
            function("mmio_insert", line: 40, calls: ["vmf_insert_pfn"]),
            function("other_fault", line: 50, signature: true, calls: []),
        ], bindings: [
            binding("mmio_wc_fault", holder: "mmio_wc_vm_ops", line: 60),
            binding("mmio_fault", holder: "mmio_vm_ops", line: 70),
            binding("mmio_fault", holder: "mmio_uc_vm_ops", line: 80),
        ])
        let program = Program(units: [unit], faultContext: faultContext)
        let contexts = program.faultContexts(of: "c:@F@mmio_insert")
        XCTAssertEqual(contexts.map(\.root.label), [".fault of mmio_vm_ops", ".fault of mmio_wc_vm_ops",
                                                    ".fault of mmio_uc_vm_ops"])
        XCTAssertEqual(contexts.map { $0.path.map(\.name) }, [
            ["mmio_fault", "mmio_insert"], ["mmio_wc_fault", "mmio_prepare", "mmio_insert"], ["mmio_fault", "mmio_insert"],
        ])
        XCTAssertEqual(program.faultContext(of: "c:@F@mmio_insert")?.root.label, contexts[0].root.label)
        XCTAssertEqual(program.faultContexts(of: "c:@F@other_fault").map(\.root.label), ["vm_fault_t handler signature"])
        XCTAssertTrue(program.faultContexts(of: "c:@F@vmf_insert_pfn").isEmpty)
    }

    func testCallsInsideWatchedAPIsAreTheirOwnBusiness() {
        let unit = UnitFacts(file: "/t/a.c", flagMode: .bare, functions: [
            function("io_remap_pfn_range", file: "/t/mm.h", calls: ["remap_pfn_range"]),
            function("user", line: 20, calls: ["io_remap_pfn_range"]),
        ])
        let program = Program(units: [unit], faultContext: faultContext)
        let calls = program.calls(to: ["remap_pfn_range", "io_remap_pfn_range"])
        XCTAssertEqual(calls.map(\.function.name), ["user"])
    }

    func testVersionParsingAndRanges() {
        XCTAssertEqual(KernelVersion("v6.12.3"), KernelVersion(6, 12, 3))
        XCTAssertEqual(KernelVersion("6.1"), KernelVersion(6, 1, 0))
        XCTAssertEqual(KernelVersion("6.12.0-rc3"), KernelVersion(6, 12, 0))
        XCTAssertNil(KernelVersion("six"))
        XCTAssertTrue(KernelVersion(6, 1, 192) < KernelVersion(6, 10))
        let range = VersionRange(since: KernelVersion(6, 10), until: KernelVersion(6, 12))
        XCTAssertTrue(range.contains(KernelVersion(6, 11, 5)))
        XCTAssertFalse(range.contains(KernelVersion(6, 12)))
        XCTAssertFalse(range.contains(KernelVersion(6, 9, 9)))
    }

    /// follow_pfn advice follows the tree's version (data in rules/mm-follow-pfn.yaml).
    func testFollowPfnSuggestionFollowsVersion() throws {
        let knowledge = try KnowledgeBase(directory: Repo.rules)
        let rule = try FollowPfn(knowledge: knowledge)
        let unit = UnitFacts(file: "/t/a.c", flagMode: .bare, functions: [
            function("lookup", calls: ["follow_pfn"]),
        ])
        func suggestion(_ version: KernelVersion?) -> (String, String) {
            let program = Program(units: [unit], faultContext: knowledge.faultContext, kernelVersion: version)
            let finding = rule.check(program)[0]
            return (finding.message, finding.suggestion)
        }
        XCTAssertTrue(suggestion(KernelVersion(6, 1)).1.contains("follow_pte(vma->vm_mm"))
        XCTAssertTrue(suggestion(KernelVersion(6, 10)).1.contains("follow_pte(vma, address"))
        XCTAssertTrue(suggestion(KernelVersion(6, 10)).0.contains("removed in v6.10: this call does not build"))
        XCTAssertTrue(suggestion(KernelVersion(6, 12)).1.contains("follow_pfnmap_start"))
        let unknown = suggestion(nil)
        XCTAssertTrue(unknown.1.contains("follow_pte()") && unknown.1.contains("follow_pfnmap_start()"), unknown.1)
        XCTAssertFalse(unknown.0.contains("this tree"), unknown.0)
    }

    func testFaultPathFollowPfnPointsAtVmfInsert() throws {
        let knowledge = try KnowledgeBase(directory: Repo.rules)
        let unit = UnitFacts(file: "/t/a.c", flagMode: .bare, functions: [
            FunctionFact(usr: "c:@F@f", name: "f", location: location("/t/a.c", 1),
                         faultSignature: FaultSignature(vmfParameter: "fault"),
                         calls: [CallFact(callee: "follow_pfn", calleeUSR: "c:@F@follow_pfn", location: location("/t/a.c", 3))]),
        ])
        let program = Program(units: [unit], faultContext: knowledge.faultContext, kernelVersion: KernelVersion(6, 1))
        let finding = try XCTUnwrap(FollowPfn(knowledge: knowledge).check(program).first)
        XCTAssertTrue(finding.suggestion.contains("vmf_insert_pfn_prot(fault->vma, fault->address"), finding.suggestion)
        XCTAssertEqual(finding.chain, ["vm_fault_t handler signature", "f", "follow_pfn"])
    }

    func testKnowledgeErrorsNameTheFile() throws {
        let dir = try temporaryDirectory(self)
        try "id: [".write(toFile: dir + "/fault-context.yaml", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try KnowledgeBase(directory: dir)) { error in
            XCTAssertTrue("\(error)".contains("fault-context.yaml: not a valid rule file"), "\(error)")
        }
        XCTAssertThrowsError(try KnowledgeBase(directory: dir + "/nope")) { error in
            XCTAssertTrue("\(error)".contains("rules folder not found"), "\(error)")
        }
    }

    /// Adding a forbidden API is a data edit: a copy of rules/ with one more
    /// API flags calls of it.
    func testNewAPIIsADataEdit() throws {
        let dir = try temporaryDirectory(self)
        for name in try FileManager.default.contentsOfDirectory(atPath: Repo.rules) {
            try FileManager.default.copyItem(atPath: Repo.rules + "/" + name, toPath: dir + "/" + name)
        }
        let path = dir + "/mm-remap-in-fault.yaml"
        let text = try String(contentsOfFile: path, encoding: .utf8)
            .replacingOccurrences(of: "apis:\n", with: "apis:\n  - name: my_new_remap\n")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let rule = try RemapInFault(knowledge: KnowledgeBase(directory: dir))
        let unit = UnitFacts(file: "/t/a.c", flagMode: .bare, functions: [
            function("x_fault", signature: true, calls: ["my_new_remap"]),
        ])
        let findings = rule.check(Program(units: [unit], faultContext: faultContext))
        XCTAssertEqual(findings.map(\.callee), ["my_new_remap"])
    }
}

import Foundation
import MMLintCore
import MMLintEngine
import XCTest

/// The facts the issue-7 rules read, taken from a small file in bare mode:
/// if the extractor stops seeing one, the test says which.
final class RuleFactTests: XCTestCase {
    func facts(_ source: String) throws -> UnitFacts {
        let dir = try temporaryDirectory(self)
        let path = dir + "/facts.c"
        try source.write(toFile: path, atomically: true, encoding: .utf8)
        let result = sharedEngine.analyze(AnalysisOptions(files: [path], jobs: 1))
        let unit = try XCTUnwrap(result.units.first)
        XCTAssertEqual(unit.errors.map(\.message), [])
        return unit
    }

    func function(_ name: String, in unit: UnitFacts) throws -> FunctionFact {
        try XCTUnwrap(unit.functions.first { $0.name == name }, "no facts for \(name)")
    }

    func testMemberWritesOpsAndTables() throws {
        let unit = try facts("""
            static const struct vm_operations_struct a_ops, b_ops;
            struct gem_funcs { const struct vm_operations_struct *vm_ops; };
            static const struct gem_funcs funcs = { .vm_ops = &b_ops };
            struct obj_ops { const char *name; const struct vm_operations_struct *mmap_ops; int flags; };
            static const struct obj_ops objs[] = { { .name = "x", .mmap_ops = &a_ops, .flags = 1 } };
            #define NO_DUMP(vma) ((vma)->vm_flags |= VM_DONTDUMP)
            static int m(struct file *file, struct vm_area_struct *vma)
            {
            	if (vma->vm_flags & VM_WRITE)
            		return -EPERM;
            	vma->vm_flags &= ~VM_MAYWRITE;
            	NO_DUMP(vma);
            	vma->vm_ops = file->private_data ? &a_ops : &b_ops;
            	return 0;
            }
            """)
        let m = try function("m", in: unit)
        XCTAssertEqual(m.memberWrites.map(\.member), ["vm_flags", "vm_flags", "vm_ops", "vm_ops"])
        XCTAssertEqual(m.memberWrites.map(\.op), ["&=", "op=", "=", "="])
        XCTAssertEqual(m.memberWrites.compactMap(\.valueName), ["a_ops", "b_ops"])
        XCTAssertEqual(Set(m.memberWrites.map(\.structName)), ["vm_area_struct"])
        XCTAssertEqual(m.flagNames, ["VM_MAYWRITE", "VM_WRITE"])
        // Stored into any field of another table, nested in an array too.
        XCTAssertEqual(unit.tableStores.map(\.structName), ["gem_funcs", "obj_ops"])
        XCTAssertEqual(unit.tableStores.map(\.member), ["vm_ops", "mmap_ops"])
        XCTAssertEqual(unit.tableStores.map(\.valueName), ["b_ops", "a_ops"])
    }

    func testReturnsStoresAndAddressedMembers() throws {
        let unit = try facts("""
            static int helper(void) { return -ENOSPC; }
            static vm_fault_t f(struct vm_fault *vmf)
            {
            	vm_fault_t ret = 0;
            	int err;

            	down_read(&vmf->vma->vm_mm->mmap_lock);
            	err = helper();
            	ret = -EAGAIN;
            	if (err)
            		return err;
            	if (vmf->pgoff)
            		return vmf->pgoff > 2 ? VM_FAULT_SIGBUS | VM_FAULT_HWPOISON : -EINVAL;
            	return helper();
            }
            """)
        let f = try function("f", in: unit)
        XCTAssertEqual(f.returnType, "vm_fault_t")
        XCTAssertEqual(f.calls.first { $0.callee == "down_read" }?.addressedMember, "mmap_lock")
        XCTAssertEqual(f.returns.map(\.kind), [.variable, .faultCode, .errno, .call])
        XCTAssertEqual(f.returns.map(\.name), ["err", "VM_FAULT_SIGBUS", "-EINVAL", "helper"])
        XCTAssertEqual(f.returns.last?.type, "int")
        XCTAssertEqual(f.localWrites.map(\.variable), ["ret", "err", "ret"])
        XCTAssertEqual(f.localWrites.map(\.variableType), ["vm_fault_t", "int", "vm_fault_t"])
        XCTAssertEqual(f.localWrites.map(\.value.kind), [.zero, .call, .errno])
        XCTAssertEqual(try function("helper", in: unit).returns.map(\.name), ["-ENOSPC"])
    }
}

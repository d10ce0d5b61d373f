import MMLintCore

/// `mm-fault-errno`: a function that returns `vm_fault_t` returns (or stores
/// into a `vm_fault_t` variable) a negative errno, directly or as the `int`
/// of a helper or variable that carries one.
public struct FaultErrno: BuiltinRule {
    public static let id = "mm-fault-errno"
    let knowledge: RuleKnowledge
    let data: Data

    struct Data: Decodable {
        var errnoSources: [String]
        var errorTypes: [String]
    }

    public var description: RuleDescription {
        RuleDescription(
            id: Self.id,
            summary: "negative errno or int error returned where a vm_fault_t is due; use vmf_error()",
            rationale: """
                A fault handler returns VM_FAULT_* bits, not an errno: -ENOMEM read as \
                vm_fault_t sets VM_FAULT_OOM, VM_FAULT_SIGBUS, VM_FAULT_HWPOISON and more \
                at once, and the fault core acts on whichever it tests first. vm_fault_t \
                is __bitwise so that sparse catches the mix-up, but a plain compiler sees \
                an unsigned int, and the bug survives review: a 2021 btrfs patch stored an \
                int error into page_mkwrite's vm_fault_t ret. The rule judges every \
                function declared to return vm_fault_t, from the source: a return or a \
                store into a vm_fault_t variable of `-E…`, of PTR_ERR(), of an int \
                variable that was given one, or of the int result of a helper in the scan \
                that returns one. An int helper out of sight, or one that only returns \
                VM_FAULT_* codes, is not reported: false alarms would cost more than the \
                misses. Confidence is high for a written errno, moderate when it comes \
                through a helper.
                """,
            confidence: .high,
            triggering: [
                Example("""
                static vm_fault_t bar_fault(struct vm_fault *vmf)
                {
                	if (vmf->pgoff > 16)
                		return -EFAULT; /* expect: mm-fault-errno */
                	return vmf_insert_pfn(vmf->vma, vmf->address, vmf->pgoff);
                }

                static const struct vm_operations_struct bar_vm_ops = {
                	.fault = bar_fault,
                };
                """),
                Example("""
                static int buf_reserve(struct vm_area_struct *vma)
                {
                	if (!vma->vm_private_data)
                		return -ENOSPC;
                	return 0;
                }

                static vm_fault_t buf_page_mkwrite(struct vm_fault *vmf)
                {
                	vm_fault_t ret;

                	ret = buf_reserve(vmf->vma); /* expect: mm-fault-errno */
                	if (ret)
                		return ret;
                	return VM_FAULT_LOCKED;
                }
                """),
            ],
            nonTriggering: [
                Example("""
                static int buf_reserve(struct vm_area_struct *vma)
                {
                	return vma->vm_private_data ? 0 : -ENOSPC;
                }

                static vm_fault_t buf_page_mkwrite(struct vm_fault *vmf)
                {
                	int err = buf_reserve(vmf->vma);

                	if (err)
                		return vmf_error(err);
                	return VM_FAULT_LOCKED;
                }
                """),
            ])
    }

    /// Where an int value's errno comes from: the place it is written, and how it reads.
    struct Evidence {
        var errno: String
        var location: Location
        var via: String?
    }

    public func check(_ program: Program) -> [Finding] {
        let faultType = program.faultTypeName
        var findings: [Finding] = []
        for function in program.orderedFunctions where function.returnType == faultType {
            let context = program.faultContext(of: function.usr)
            for value in function.returns {
                guard let (what, evidence) = judge(value, in: function, program: program) else { continue }
                findings.append(finding(function: function, context: context, kind: "return", value: value,
                                        what: what, variable: nil, evidence: evidence, program: program))
            }
            for write in function.localWrites where write.variableType == faultType {
                guard let (what, evidence) = judge(write.value, in: function, program: program) else { continue }
                findings.append(finding(function: function, context: context, kind: "store", value: write.value,
                                        what: what, variable: write.variable, evidence: evidence, program: program))
            }
        }
        return findings
    }

    /// Whether `value`, returned or stored as a vm_fault_t by `function`, is
    /// an errno: how it reads, and where the errno comes from when elsewhere.
    func judge(_ value: ValueFact, in function: FunctionFact, program: Program) -> (String, Evidence?)? {
        switch value.kind {
        case .errno:
            return (value.name ?? "a negative errno", nil)
        case .call:
            guard let name = value.name else { return nil }
            if data.errnoSources.contains(name) { return ("\(name)()", nil) }
            guard let type = value.type, data.errorTypes.contains(type), let usr = value.usr,
                  let evidence = errnoEvidence(of: usr, program: program, depth: 0, seen: []) else { return nil }
            return ("the \(type) result of \(name)()", evidence)
        case .variable:
            guard let type = value.type, data.errorTypes.contains(type), let usr = value.usr else { return nil }
            for write in function.localWrites where write.variableUSR == usr {
                if let evidence = evidence(of: write.value, program: program, depth: 0, seen: []) {
                    return ("the \(type) \(value.name ?? "variable")", evidence)
                }
            }
            return nil
        case .faultCode, .zero, .other:
            return nil
        }
    }

    /// Where an int value is an errno: written as `-E…`, from PTR_ERR(), or
    /// from a helper (followed a few levels) that returns one.
    func evidence(of value: ValueFact, program: Program, depth: Int, seen: Set<String>) -> Evidence? {
        switch value.kind {
        case .errno:
            return Evidence(errno: value.name ?? "a negative errno", location: value.location)
        case .call:
            guard let name = value.name else { return nil }
            if data.errnoSources.contains(name) { return Evidence(errno: "\(name)()", location: value.location) }
            guard let type = value.type, data.errorTypes.contains(type), let usr = value.usr else { return nil }
            return errnoEvidence(of: usr, program: program, depth: depth + 1, seen: seen)
        default:
            return nil
        }
    }

    /// Where the int function `usr` returns an errno, if it does in the scan.
    func errnoEvidence(of usr: String, program: Program, depth: Int, seen: Set<String>) -> Evidence? {
        guard depth < 4, !seen.contains(usr), let helper = program.functions[usr],
              data.errorTypes.contains(helper.returnType) else { return nil }
        let seen = seen.union([usr])
        for value in helper.returns {
            var found: Evidence?
            if value.kind == .variable, let variable = value.usr {
                for write in helper.localWrites where write.variableUSR == variable {
                    if let evidence = evidence(of: write.value, program: program, depth: depth, seen: seen) {
                        found = evidence
                        break
                    }
                }
            } else {
                found = evidence(of: value, program: program, depth: depth, seen: seen)
            }
            if var found {
                if found.via == nil { found.via = helper.name }
                return found
            }
        }
        return nil
    }

    func finding(function: FunctionFact, context: (root: Program.Root, path: [FunctionFact])?, kind: String,
                 value: ValueFact, what: String, variable: String?, evidence: Evidence?,
                 program: Program) -> Finding {
        var why = ""
        if let evidence {
            let file = evidence.location.file.split(separator: "/").last.map(String.init) ?? evidence.location.file
            why = ", which can be \(evidence.errno) (\(evidence.via.map { "\($0)(), " } ?? "")\(file):\(evidence.location.line))"
        }
        let values = RuleText.values(function: function, root: context?.root, path: context?.path ?? [],
                                     extra: ["value": what, "why": why, "variable": variable ?? ""])
        return knowledge.finding(
            context: kind, version: program.kernelVersion, values: values,
            fallback: "\(what) where a vm_fault_t is due", confidence: evidence == nil ? .high : .moderate,
            location: value.location, function: function, callee: what,
            chain: context.map { RuleText.chain(root: $0.root, path: $0.path, ending: what) } ?? [])
    }
}

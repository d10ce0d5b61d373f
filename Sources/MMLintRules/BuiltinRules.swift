import MMLintCore

/// The rules that ship with mmlint, in `mmlint rules` order. A new rule is
/// one line here (`scripts/new-rule.sh` adds it).
public enum BuiltinRules {
    static let types: [any BuiltinRule.Type] = [
        RemapInFault.self,
        FollowPfn.self,
        FaultMmapLock.self,
        FaultVmFlags.self,
        VmFlagsDirect.self,
        FaultErrno.self,
        InsertNeedsFlags.self,
    ]

    public static func all(knowledge: KnowledgeBase) throws(KnowledgeError) -> [any Rule] {
        var rules: [any Rule] = []
        for type in types { rules.append(try type.init(knowledge: knowledge)) }
        return rules
    }
}

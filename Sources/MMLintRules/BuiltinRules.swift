import MMLintCore

/// The rules that ship with mmlint, in `mmlint rules` order.
public enum BuiltinRules {
    public static func all(knowledge: KnowledgeBase) throws(KnowledgeError) -> [any Rule] {
        [try RemapInFault(knowledge: knowledge), try FollowPfn(knowledge: knowledge),
         try FaultMmapLock(knowledge: knowledge), try FaultVmFlags(knowledge: knowledge),
         try VmFlagsDirect(knowledge: knowledge), try FaultErrno(knowledge: knowledge),
         try InsertNeedsFlags(knowledge: knowledge)]
    }
}

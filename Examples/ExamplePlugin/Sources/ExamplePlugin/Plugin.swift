import MMLintCore

// The two C symbols mmlint looks up. `MMLintPlugin.abiVersion` is compiled
// into this library, so mmlint can tell whether it was built against its own
// rule API.

@_cdecl("mmlint_plugin_abi_version")
public func mmlintPluginABIVersion() -> Int {
    MMLintPlugin.abiVersion
}

@_cdecl("mmlint_plugin_create")
public func mmlintPluginCreate() -> UnsafeMutableRawPointer? {
    do {
        let rule = try InsertPageInFault()
        return MMLintPlugin.export(rules: [rule], knowledge: [rule.knowledge])
    } catch {
        // The knowledge below is this file's own text: it parses, or the
        // plugin's tests fail before anyone loads it.
        return nil
    }
}

/// What the host knows about one plugin, for listings (`tessera plugins list`,
/// `GET /v1/plugins`) and health reports.
public struct PluginInfo: Sendable, Codable, Equatable {
    /// The descriptor's short name, or the configured name or file name when the plugin never
    /// got far enough to tell.
    public var name: String
    public var id: String?
    public var version: String?
    public var vendor: String?
    public var description: String?
    /// The library file, as resolved.
    public var path: String
    /// Plugin kinds from the capability ids: "format", "optimizer", "monitor", "exporter".
    public var kinds: [String]
    /// Capability ids as the descriptor lists them, e.g. "tessera.monitor/1".
    public var capabilities: [String]
    /// "major.minor" of the ABI the plugin was built against, when known.
    public var abi: String?
    public var state: PluginState
    /// Why the plugin failed or is disabled.
    public var reason: String?

    /// The kind named by a capability id: "tessera.monitor/1" → "monitor".
    static func kind(ofCapability id: String) -> String {
        let withoutPrefix = id.hasPrefix("tessera.") ? String(id.dropFirst("tessera.".count)) : id
        return String(withoutPrefix.prefix { $0 != "/" })
    }
}

/// TesseraCore: the plugin host (loading, ABI negotiation, the host API table given to
/// plugins, capability access), configuration, and — as it grows — the lifecycle manager.
/// It knows the engine's graph IR but nothing of HTTP or the command line.
public enum TesseraCore {
    /// The Tessera release this build is.
    public static let version = "0.1.0"
}

/// TesseraEngine: tensors, element types, storage and the graph IR that format plugins build
/// and optimizer plugins edit. It owns how a model is represented and run; it knows nothing of
/// the registry, plugins, configuration or HTTP.
public enum TesseraEngine {
    /// The engine's version, reported by the daemon and the CLI.
    public static let version = "0.1.0"
}

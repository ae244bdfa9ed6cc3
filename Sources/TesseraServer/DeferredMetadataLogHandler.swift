public import Logging

/// Writes what a `StreamLogHandler` writes, but renders the logger's metadata only when a line
/// is written.
///
/// Hummingbird gives every request's logger its own `hb.request.id`. `StreamLogHandler`
/// renders all of its metadata to text each time a key is set, so every request paid for
/// formatting a line that is almost never written: a few microseconds, several percent of a
/// tiny model's inference request.
public struct DeferredMetadataLogHandler: LogHandler {
    /// Writes the lines; its own metadata stays empty and it has no provider, so the merge
    /// below is the only one.
    private var stream: StreamLogHandler
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    public init(_ stream: StreamLogHandler) {
        var stream = stream
        metadata = stream.metadata
        metadataProvider = stream.metadataProvider
        stream.metadata = [:]
        stream.metadataProvider = nil
        self.stream = stream
    }

    public var logLevel: Logger.Level {
        get { stream.logLevel }
        set { stream.logLevel = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// The logger's metadata, then the provider's, then the line's own, each overriding the
    /// ones before: `StreamLogHandler`'s order.
    public func log(event: LogEvent) {
        var event = event
        var merged = metadata
        if let provided = metadataProvider?.get(), !provided.isEmpty {
            merged.merge(provided) { _, provided in provided }
        }
        if !merged.isEmpty {
            event.metadata = merged.merging(event.metadata ?? [:]) { _, explicit in explicit }
        }
        stream.log(event: event)
    }
}

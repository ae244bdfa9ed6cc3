import TesseraSDK

/// One metric series, as exporters see it.
public struct MetricSample: Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case counter, gauge, histogram }

    public var kind: Kind
    public var name: String
    public var help: String
    public var labels: [(name: String, value: String)]
    /// Counters and gauges.
    public var value: Double
    /// Histograms: ascending upper bounds with cumulative counts (+Inf excluded).
    public var buckets: [(bound: Double, count: UInt64)]
    public var sum: Double
    public var count: UInt64

    public init(kind: Kind, name: String, help: String, labels: [(name: String, value: String)] = [],
                value: Double = 0, buckets: [(bound: Double, count: UInt64)] = [], sum: Double = 0, count: UInt64 = 0) {
        self.kind = kind
        self.name = name
        self.help = help
        self.labels = labels
        self.value = value
        self.buckets = buckets
        self.sum = sum
        self.count = count
    }

    public static func == (lhs: MetricSample, rhs: MetricSample) -> Bool {
        lhs.kind == rhs.kind && lhs.name == rhs.name && lhs.help == rhs.help && lhs.value == rhs.value
            && lhs.labels.elementsEqual(rhs.labels, by: ==) && lhs.buckets.elementsEqual(rhs.buckets, by: ==)
            && lhs.sum == rhs.sum && lhs.count == rhs.count
    }
}

/// Something that happened, as exporters see it.
public struct PluginEvent: Sendable, Equatable {
    public var unixNanos: Int64
    /// Dotted, e.g. "deployment.rollback", "plugin.failed".
    public var type: String
    public var model: String?
    public var version: String?
    public var message: String
    /// A JSON object with details.
    public var attributesJSON: String?

    public init(unixNanos: Int64, type: String, model: String? = nil, version: String? = nil,
                message: String, attributesJSON: String? = nil) {
        self.unixNanos = unixNanos
        self.type = type
        self.model = model
        self.version = version
        self.message = message
        self.attributesJSON = attributesJSON
    }
}

/// A plugin's `tessera.exporter/1` capability: publishing metrics and events.
public struct ExporterPlugin: @unchecked Sendable {
    public let plugin: Plugin
    private let vtable: tsr_exporter_vtable

    init?(_ plugin: Plugin) {
        guard let vtable = plugin.readVTable(TSR_CAP_EXPORTER, as: tsr_exporter_vtable()) else { return nil }
        self.plugin = plugin
        self.vtable = vtable
    }

    /// The exporter's short name, e.g. "prometheus".
    public var name: String { vtable.exporter_name.map { String(cString: $0) } ?? plugin.name }

    /// Whether the exporter can be pulled from with `render`.
    public var canRender: Bool { vtable.render != nil }

    /// Pushes a snapshot of all series.
    public func publish(_ metrics: [MetricSample], takenUnixNanos: Int64) throws(PluginError) {
        guard let onMetrics = vtable.on_metrics else { return }
        let arena = CStringArena()
        let raw = metrics.map { sample in
            var metric = tsr_metric()
            metric.struct_size = UInt32(MemoryLayout<tsr_metric>.size)
            metric.kind = switch sample.kind {
            case .counter: TSR_METRIC_COUNTER
            case .gauge: TSR_METRIC_GAUGE
            case .histogram: TSR_METRIC_HISTOGRAM
            }
            metric.name = arena.string(sample.name)
            metric.help = arena.string(sample.help)
            metric.label_names = arena.array(sample.labels.map { arena.string($0.name) })
            metric.label_values = arena.array(sample.labels.map { arena.string($0.value) })
            metric.label_count = sample.labels.count
            metric.value = sample.value
            metric.bucket_bounds = arena.array(sample.buckets.map(\.bound))
            metric.bucket_counts = arena.array(sample.buckets.map(\.count))
            metric.bucket_count = sample.buckets.count
            metric.sum = sample.sum
            metric.count = sample.count
            return metric
        }
        var snapshot = tsr_metric_snapshot()
        snapshot.struct_size = UInt32(MemoryLayout<tsr_metric_snapshot>.size)
        snapshot.taken_unix_ns = takenUnixNanos
        snapshot.metrics = arena.array(raw)
        snapshot.metric_count = raw.count
        try plugin.invoke("on_metrics") { onMetrics($0, &snapshot) }
    }

    /// Renders the last snapshot in `format` (e.g. "prometheus-text").
    public func render(format: String) throws(PluginError) -> String {
        guard let render = vtable.render else {
            throw PluginError(.capabilityMissing, "exporter '\(name)' cannot render (its render is NULL)")
        }
        var text: UnsafePointer<CChar>?
        var length = 0
        var result = ""
        try plugin.invoke("render") { instance in
            let status = render(instance, format, &text, &length)
            if status == nil, let text {
                result = String(decoding: UnsafeRawBufferPointer(start: text, count: length), as: UTF8.self)
            }
            return status
        }
        return result
    }

    /// Sends one event.
    public func send(_ event: PluginEvent) throws(PluginError) {
        guard let onEvent = vtable.on_event else { return }
        let arena = CStringArena()
        var raw = tsr_event()
        raw.struct_size = UInt32(MemoryLayout<tsr_event>.size)
        raw.unix_ns = event.unixNanos
        raw.type = arena.string(event.type)
        raw.model = arena.string(event.model)
        raw.version = arena.string(event.version)
        raw.message = arena.string(event.message)
        raw.attributes_json = arena.string(event.attributesJSON)
        try plugin.invoke("on_event") { onEvent($0, &raw) }
    }

    /// Pushes out anything buffered.
    public func flush() throws(PluginError) {
        guard let flush = vtable.flush else { return }
        try plugin.invoke("flush") { flush($0) }
    }
}

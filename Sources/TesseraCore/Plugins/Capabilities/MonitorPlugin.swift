import TesseraSDK

/// One finished inference request, as monitors see it.
public struct RequestRecord: Sendable, Equatable {
    public var model: String
    public var version: String
    public var finishedUnixNanos: Int64
    public var latencySeconds: Double
    public var queueSeconds: Double
    public var computeSeconds: Double
    public var httpStatus: Int32
    public var batchSize: UInt32
    /// nil on success; a short reason otherwise ("timeout", "bad_input", …).
    public var errorReason: String?

    public init(model: String, version: String, finishedUnixNanos: Int64, latencySeconds: Double,
                queueSeconds: Double = 0, computeSeconds: Double = 0, httpStatus: Int32 = 200,
                batchSize: UInt32 = 1, errorReason: String? = nil) {
        self.model = model
        self.version = version
        self.finishedUnixNanos = finishedUnixNanos
        self.latencySeconds = latencySeconds
        self.queueSeconds = queueSeconds
        self.computeSeconds = computeSeconds
        self.httpStatus = httpStatus
        self.batchSize = batchSize
        self.errorReason = errorReason
    }
}

/// A monitor's judgement of some traffic.
public struct Verdict: Sendable, Equatable, Codable {
    public enum State: String, Sendable, Codable {
        case inconclusive, ok, degraded, failing
    }

    public var state: State
    public var reason: String?
    /// Named numbers the monitor reports, e.g. "p99_seconds".
    public var gauges: [String: Double]
}

/// A plugin's `tessera.monitor/1` capability: observing requests and judging them.
public struct MonitorPlugin: @unchecked Sendable {
    public let plugin: Plugin
    private let vtable: tsr_monitor_vtable

    init?(_ plugin: Plugin) {
        guard let vtable = plugin.readVTable(TSR_CAP_MONITOR, as: tsr_monitor_vtable()) else { return nil }
        self.plugin = plugin
        self.vtable = vtable
    }

    /// The monitor's short name, e.g. "latency-slo".
    public var name: String { vtable.monitor_name.map { String(cString: $0) } ?? plugin.name }

    /// Feeds finished requests to the monitor.
    public func observe(_ records: [RequestRecord]) throws(PluginError) {
        guard let observe = vtable.observe, !records.isEmpty else { return }
        let arena = CStringArena()
        let raw = records.map { record in
            var raw = tsr_request_record()
            raw.struct_size = UInt32(MemoryLayout<tsr_request_record>.size)
            raw.batch_size = record.batchSize
            raw.model = arena.string(record.model)
            raw.version = arena.string(record.version)
            raw.finished_unix_ns = record.finishedUnixNanos
            raw.latency_seconds = record.latencySeconds
            raw.queue_seconds = record.queueSeconds
            raw.compute_seconds = record.computeSeconds
            raw.http_status = record.httpStatus
            raw.error_reason = arena.string(record.errorReason)
            return raw
        }
        let array = arena.array(raw)
        try plugin.invoke("observe") { observe($0, array, raw.count) }
    }

    /// Judges one model version (`version` nil: all versions; `model` nil: everything).
    public func evaluate(model: String?, version: String?) throws(PluginError) -> Verdict {
        guard let evaluate = vtable.evaluate else {
            throw PluginError(.capabilityMissing, "monitor '\(name)' has no evaluate function")
        }
        let arena = CStringArena()
        var out = tsr_monitor_verdict()
        out.struct_size = UInt32(MemoryLayout<tsr_monitor_verdict>.size)
        var verdict = Verdict(state: .inconclusive, reason: nil, gauges: [:])
        try plugin.invoke("evaluate") { instance in
            let status = evaluate(instance, arena.string(model), arena.string(version), &out)
            // Read the plugin-owned strings while still holding the call lock: they are only
            // valid until the next call on the instance.
            if status == nil { verdict = Self.convert(out) }
            return status
        }
        return verdict
    }

    /// Starts a new analysis window.
    public func reset() throws(PluginError) {
        guard let reset = vtable.reset else { return }
        try plugin.invoke("reset") { instance in
            reset(instance)
            return nil
        }
    }

    private static func convert(_ raw: tsr_monitor_verdict) -> Verdict {
        let state: Verdict.State = switch raw.state {
        case TSR_VERDICT_OK: .ok
        case TSR_VERDICT_DEGRADED: .degraded
        case TSR_VERDICT_FAILING: .failing
        default: .inconclusive
        }
        var gauges: [String: Double] = [:]
        if let list = raw.gauges {
            for gauge in VersionedStruct.readArray(list, count: min(raw.gauge_count, 256), into: tsr_gauge()) {
                if let name = gauge.name { gauges[String(cString: name)] = gauge.value }
            }
        }
        return Verdict(state: state, reason: raw.reason.map { String(cString: $0) }, gauges: gauges)
    }
}

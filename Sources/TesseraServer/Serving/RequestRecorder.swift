import Foundation
import Synchronization
import TesseraCore
import TesseraEngine

/// Collects one record per finished request and hands them to the monitor plugins in
/// batches, off the request path: a request only appends under a short lock; `flush` (called
/// a few times a second by the serving service) makes the plugin calls.
final class RequestRecorder: Sendable {
    private let plugins: PluginHost
    private let pending = Mutex<[RequestRecord]>([])
    /// Records kept when monitors fall behind; older ones are dropped first.
    private let capacity = 65_536

    init(plugins: PluginHost) {
        self.plugins = plugins
    }

    func record(model: String, version: Int, outcome: BatchScheduler.Outcome) {
        let record = RequestRecord(
            model: model, version: String(version), finishedUnixNanos: Int64(Date().timeIntervalSince1970 * 1e9),
            latencySeconds: Double(outcome.totalNanos) / 1e9, queueSeconds: Double(outcome.queueNanos) / 1e9,
            computeSeconds: Double(outcome.computeNanos) / 1e9, httpStatus: Int32(Self.status(outcome.error)),
            batchSize: UInt32(max(outcome.batchSize, 0)), errorReason: outcome.error.map(Self.reason))
        pending.withLock { records in
            if records.count >= capacity { records.removeFirst(records.count - capacity + 1) }
            records.append(record)
        }
    }

    /// Sends what has collected to every monitor. A monitor that fails is disabled by the host
    /// (its reason shows in `tessera plugins list`); the others still get the records.
    func flush() {
        let records = pending.withLock { records in
            defer { records.removeAll(keepingCapacity: true) }
            return records
        }
        guard !records.isEmpty else { return }
        for monitor in plugins.monitors { try? monitor.observe(records) }
    }

    /// The HTTP status the client saw for `error`.
    static func status(_ error: (any Error)?) -> Int {
        switch error {
        case nil: 200
        case let error as APIError: Int(error.status.code)
        case let error as EngineError where error.code == .invalidTensor: 400
        case is CancellationError: 499
        default: 500
        }
    }

    static func reason(_ error: any Error) -> String {
        switch status(error) {
        case 400: "bad_input"
        case 499: "cancelled"
        case 503: "unavailable"
        default: "internal"
        }
    }
}

import Foundation
import TesseraCore

/// Builds the daemon's metric series for exporters: plugin states, uptime, and per loaded
/// model version the serving series (Triton's names with a `tessera_` prefix).
struct Telemetry {
    let state: ServerState

    func snapshot() -> [MetricSample] {
        var samples: [MetricSample] = []
        let states: [PluginState] = [.active, .failed, .disabled, .stopped]
        for info in state.plugins.infos {
            for candidate in states {
                samples.append(MetricSample(
                    kind: .gauge, name: "tessera_plugin_state",
                    help: "1 for the state each plugin is in, 0 for the others.",
                    labels: [("plugin", info.name), ("state", candidate.rawValue)],
                    value: info.state == candidate ? 1 : 0))
            }
        }
        samples += servingSamples()
        let uptime = ContinuousClock.now - state.startedAt
        samples.append(MetricSample(kind: .gauge, name: "tessera_uptime_seconds",
                                    help: "Seconds since the daemon started.",
                                    value: Double(uptime.components.seconds) + Double(uptime.components.attoseconds) / 1e18))
        return samples
    }

    private func servingSamples() -> [MetricSample] {
        var samples: [MetricSample] = []
        for (version, role) in state.serving.loadedSnapshot() {
            let labels = [("model", version.model), ("version", String(version.version))]
            let stats = version.stats.snapshot
            func counter(_ name: String, _ help: String, _ value: Int) {
                samples.append(MetricSample(kind: .counter, name: name, help: help, labels: labels, value: Double(value)))
            }
            func histogram(_ name: String, _ help: String, _ histogram: ServingStats.Histogram) {
                samples.append(MetricSample(kind: .histogram, name: name, help: help, labels: labels,
                                            buckets: histogram.cumulative, sum: histogram.sum, count: histogram.count))
            }
            counter("tessera_inference_request_success_total", "Inference requests that succeeded.", stats.success.count)
            counter("tessera_inference_request_failure_total", "Inference requests that failed after they were queued.", stats.fail.count)
            counter("tessera_inference_count_total", "Inferences run (requests that reached the engine).", stats.inferenceCount)
            counter("tessera_inference_exec_count_total", "Engine runs (batches).", stats.executionCount)
            histogram("tessera_request_duration_seconds", "Time from queueing to response, per request.", stats.requestSeconds)
            histogram("tessera_queue_duration_seconds", "Time requests waited in the queue.", stats.queueSeconds)
            histogram("tessera_compute_duration_seconds", "Engine time per batch.", stats.computeSeconds)
            histogram("tessera_batch_size", "Requests per engine run.", stats.batchSizes)
            samples.append(MetricSample(kind: .gauge, name: "tessera_queue_depth", help: "Requests waiting now.",
                                        labels: labels, value: Double(stats.queueDepth)))
            for candidate in ["primary", "canary", "shadow", "standby"] {
                samples.append(MetricSample(kind: .gauge, name: "tessera_model_loaded",
                                            help: "1 for the role each loaded version has (standby: loaded, no traffic).",
                                            labels: labels + [("state", candidate)], value: role == candidate ? 1 : 0))
            }
        }
        for (model, weight) in state.serving.canaryWeights().sorted(by: { $0.key < $1.key }) {
            samples.append(MetricSample(kind: .gauge, name: "tessera_canary_weight", help: "Percent of traffic the canary takes.",
                                        labels: [("model", model)], value: Double(weight)))
        }
        return samples
    }

    static func nowUnixNanos() -> Int64 {
        Int64(Date().timeIntervalSince1970 * 1_000_000_000)
    }
}

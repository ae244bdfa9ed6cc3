import Foundation
import TesseraCore

/// Builds the daemon's metric series for exporters. Model serving series join as the
/// scheduler lands; for now: plugin states and uptime.
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
        let uptime = ContinuousClock.now - state.startedAt
        samples.append(MetricSample(kind: .gauge, name: "tessera_uptime_seconds",
                                    help: "Seconds since the daemon started.",
                                    value: Double(uptime.components.seconds) + Double(uptime.components.attoseconds) / 1e18))
        return samples
    }

    static func nowUnixNanos() -> Int64 {
        Int64(Date().timeIntervalSince1970 * 1_000_000_000)
    }
}

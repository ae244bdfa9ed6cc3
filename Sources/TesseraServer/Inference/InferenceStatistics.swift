import Hummingbird

/// `GET /v2/models/{m}/stats`: the protocol's statistics extension (Triton's field names), one
/// entry per loaded version.
struct StatisticsBody: ResponseEncodable {
    let model_stats: [ModelStatistics]
}

struct ModelStatistics: Encodable {
    struct InferenceStats: Encodable {
        let success: ServingStats.Duration
        let fail: ServingStats.Duration
        let queue: ServingStats.Duration
        let compute_infer: ServingStats.Duration
    }

    struct BatchStats: Encodable {
        let batch_size: Int
        let compute_infer: ServingStats.Duration
    }

    let name: String
    let version: String
    let last_inference: Int64
    let inference_count: Int
    let execution_count: Int
    let queue_depth: Int
    let inference_stats: InferenceStats
    let batch_stats: [BatchStats]
    /// Present for a version that has run as a shadow.
    let shadow_stats: ShadowStats.Snapshot?

    init(_ version: LoadedVersion) {
        let stats = version.stats.snapshot
        name = version.model
        self.version = String(version.version)
        last_inference = stats.lastInference
        inference_count = stats.inferenceCount
        execution_count = stats.executionCount
        queue_depth = stats.queueDepth
        inference_stats = InferenceStats(success: stats.success, fail: stats.fail, queue: stats.queue, compute_infer: stats.computeInfer)
        batch_stats = stats.batches.keys.sorted().map { BatchStats(batch_size: $0, compute_infer: stats.batches[$0]!) }
        let shadow = version.shadowStats.snapshot
        shadow_stats = shadow.compared > 0 ? shadow : nil
    }
}

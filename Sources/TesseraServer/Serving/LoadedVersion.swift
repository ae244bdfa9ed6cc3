import Foundation
import TesseraCore
import TesseraEngine

/// One model version ready to serve: its compiled executor, its interface and the scheduler
/// that feeds it. Requests hold a reference while they run, so a version taken out of
/// service finishes what it accepted before it goes away.
final class LoadedVersion: Sendable {
    let model: String
    let version: Int
    /// The format it was loaded with, reported as the model's platform.
    let format: String
    let inputs: [ValueInfo]
    let outputs: [ValueInfo]
    /// The outputs' names in the model's order: what a request that names none gets.
    let outputNames: [String]
    let executor: Executor
    let scheduler: BatchScheduler
    let stats: ServingStats
    let loadedAt: Date
    /// Comparisons made while this version ran as a shadow.
    let shadowStats = ShadowStats()
    /// For text encoders served from a folder with a tokenizer: BYTES text in, embeddings out.
    let text: TextEmbedder?

    init(model: String, version: Int, format: String, executor: Executor, options: BatchScheduler.Options,
         recorder: RequestRecorder? = nil, text: TextEmbedder? = nil) {
        self.text = text
        self.model = model
        self.version = version
        self.format = format
        self.executor = executor
        inputs = executor.inputs
        outputs = executor.outputs
        outputNames = executor.outputs.map(\.name)
        let stats = ServingStats()
        self.stats = stats
        loadedAt = Date()
        let batchable = !executor.inputs.isEmpty
            && (executor.inputs + executor.outputs).allSatisfy { $0.shape.first == -1 }
        var report: (@Sendable (BatchScheduler.Outcome) -> Void)?
        if let recorder {
            report = { outcome in recorder.record(model: model, version: version, outcome: outcome) }
        }
        scheduler = BatchScheduler(label: "\(model):\(version)", options: options, batchable: batchable, stats: stats,
                                   report: report) { inputs throws in try executor.run(inputs) }
    }

    var label: String { "\(model):\(version)" }

    /// The name of a text model's one input and output.
    static let textInput = "text", embeddingOutput = "embedding"

    /// What clients send and get back: the graph's values, or for a text model its BYTES input
    /// and embedding output.
    var publicInputs: [(name: String, datatype: String, shape: [Int])] {
        if text != nil { return [(Self.textInput, "BYTES", [-1])] }
        return inputs.map { ($0.name, $0.dtype.name, $0.shape) }
    }

    var publicOutputs: [(name: String, datatype: String, shape: [Int])] {
        if text != nil { return [(Self.embeddingOutput, "FP32", [-1, outputs.first?.shape.last ?? -1])] }
        return outputs.map { ($0.name, $0.dtype.name, $0.shape) }
    }

    /// Embeds `texts`: tokenized, run through the encoder (batched with other requests), pooled.
    func embed(_ texts: [String]) async throws -> Tensor {
        guard let text else { throw InferenceError.badRequest("\(label) is not a text model; it takes \(inputs.map(\.name).joined(separator: ", "))") }
        let tensors = try text.inputs(for: texts)
        let outputs = try await infer(tensors)
        guard let hidden = outputs["last_hidden_state"] ?? outputs[self.outputs.first?.name ?? ""] else {
            throw EngineError(.invalidGraph, "\(label) has no last_hidden_state output to pool")
        }
        return try TextEmbedder.meanPool(hidden: hidden, mask: tensors["attention_mask"]!)
    }

    /// Checks the inputs against the model, then queues them. Wrong names, types or shapes are
    /// 400s that name the input and say what the model takes.
    func infer(_ inputs: [String: Tensor]) async throws -> [String: Tensor] {
        do {
            try executor.validate(inputs)
        } catch {
            throw InferenceError.badRequest("\(label): \(error.message)")
        }
        do {
            return try await scheduler.submit(inputs)
        } catch let error as EngineError where error.code == .invalidTensor {
            throw InferenceError.badRequest("\(label): \(error.message)")
        }
    }

    /// Runs once on zero-filled inputs (dynamic dimensions as 1), so the first real request
    /// does not pay for planning and the version is known to run before it takes traffic.
    func warmUp() throws {
        var sample: [String: Tensor] = [:]
        for input in inputs {
            let shape = input.shape.map { $0 < 0 ? 1 : $0 }
            let count = Tensor.elementCount(of: shape) ?? 0
            sample[input.name] = try Tensor(dtype: input.dtype, shape: shape,
                                            storage: TensorStorage(zeroedByteCount: count * input.dtype.byteSize))
        }
        _ = try executor.run(sample)
    }

    /// Stops the scheduler once the queue is drained.
    func retire() { scheduler.close() }
}

/// How a shadow version's outputs compared with the primary's.
final class ShadowStats: @unchecked Sendable {
    struct Snapshot: Sendable, Encodable {
        var compared = 0
        var failed = 0
        /// Largest absolute difference seen in any FP32 output.
        var max_abs_diff: Double = 0
        /// Comparisons where every output had the same shape and the same argmax per row.
        var agreed = 0
    }

    private let lock = NSLock()
    private var state = Snapshot()

    var snapshot: Snapshot { lock.withLock { state } }

    func record(primary: [String: Tensor], shadow: Result<[String: Tensor], any Error>) {
        guard case .success(let outputs) = shadow else {
            lock.withLock { state.compared += 1; state.failed += 1 }
            return
        }
        var maxDiff = 0.0
        var agreed = true
        for (name, expected) in primary {
            guard let actual = outputs[name], actual.shape == expected.shape, actual.dtype == expected.dtype else {
                agreed = false
                continue
            }
            guard expected.dtype == .fp32 else {
                if !expected.storage.bytes.elementsEqual(actual.storage.bytes) { agreed = false }
                continue
            }
            let a = expected.floats, b = actual.floats
            for index in a.indices { maxDiff = max(maxDiff, Double(abs(a[index] - b[index]))) }
            let width = expected.shape.last ?? 1
            if width > 0 {
                for row in stride(from: 0, to: a.count, by: width) {
                    let left = a[row..<row + width].indices.max { a[$0] < a[$1] }
                    let right = b[row..<row + width].indices.max { b[$0] < b[$1] }
                    if left != right { agreed = false }
                }
            }
        }
        lock.withLock {
            state.compared += 1
            state.max_abs_diff = max(state.max_abs_diff, maxDiff)
            if agreed { state.agreed += 1 }
        }
    }
}

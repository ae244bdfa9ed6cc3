// all-MiniLM-L6-v2 through Tessera, timed the way peers.py times onnxruntime and PyTorch.
//
//   TESSERA_PLUGIN_PATH=<folder with libtessera-onnx.so> minilm-bench \
//       --model all-MiniLM-L6-v2.onnx --tokenizer <sentence-transformers folder> \
//       --sentences sentences.txt --goldens goldens.json [--runs 200] [--warmup 20] \
//       [--batch-runs 30] [--batch-warmup 3]
//
// Prints JSON lines on standard output, one object each (run.sh reads them):
//   {"kind":"info", ...}      what ran (kernel variant, threads)
//   {"kind":"ids", ...}       the token ids every measured input was made of, for run.sh to
//                             compare with the peers' (and the goldens' first sentence)
//   {"kind":"check", ...}     the first sentence's embedding against the golden one
//   {"kind":"metric", "name": ..., "value": ..., "unit": ...}
//
// Every timed case of the table is end to end, text in, L2-normalized mean-pooled embedding
// out: tokenization, the encoder run and the pooling are all inside the clock, as they are for
// the peers (sentence-transformers' encode does all three). The "model_*" metrics repeat the
// cases with the input tensors built beforehand and no pooling, for diagnosis.
import Dispatch
import Foundation
import TesseraCore
import TesseraEngine
#if canImport(Glibc)
import Glibc
#endif

struct Options {
    var model = ""
    var tokenizer = ""
    var sentences = ""
    var goldens = ""
    var runs = 200
    var warmup = 20
    var batchRuns = 30
    var batchWarmup = 3
    var batchSize = 32
    var sequence = 128
    /// Skip the two-thread diagnostic (2 x 16 sentences at once).
    var noPair = false
    /// For profiling: after the load, run only this case ("short", "seq128", "batch32"), end
    /// to end, `runs` times (batch32: `batchRuns` times), print its metric and stop.
    var only: String?

    static func parse(_ arguments: [String]) -> Options {
        var options = Options()
        var index = 0
        func value() -> String {
            index += 1
            guard index < arguments.count else { fail("\(arguments[index - 1]) needs a value") }
            return arguments[index]
        }
        func number() -> Int {
            let text = value()
            guard let number = Int(text), number > 0 else { fail("\(arguments[index - 1]) needs a positive number, not '\(text)'") }
            return number
        }
        while index < arguments.count {
            switch arguments[index] {
            case "--model": options.model = value()
            case "--tokenizer": options.tokenizer = value()
            case "--sentences": options.sentences = value()
            case "--goldens": options.goldens = value()
            case "--runs": options.runs = number()
            case "--warmup": options.warmup = number()
            case "--batch-runs": options.batchRuns = number()
            case "--batch-warmup": options.batchWarmup = number()
            case "--batch": options.batchSize = number()
            case "--sequence": options.sequence = number()
            case "--no-pair": options.noPair = true
            case "--only":
                let name = value()
                guard ["short", "seq128", "batch32"].contains(name) else { fail("--only takes short, seq128 or batch32, not '\(name)'") }
                options.only = name
            case "-h", "--help":
                print("""
                    usage: minilm-bench --model FILE.onnx --tokenizer FOLDER --sentences FILE --goldens FILE
                           [--runs N] [--warmup N] [--batch-runs N] [--batch-warmup N] [--batch N] [--sequence N] [--no-pair]
                           [--only short|seq128|batch32]   (for a profiler: the load, then that case alone)
                    """)
                exit(0)
            default: fail("unknown argument '\(arguments[index])' (see --help)")
            }
            index += 1
        }
        for (flag, given) in [("--model", options.model), ("--tokenizer", options.tokenizer),
                              ("--sentences", options.sentences), ("--goldens", options.goldens)] where given.isEmpty {
            fail("\(flag) is required (see --help)")
        }
        return options
    }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("minilm-bench: \(message)\n".utf8))
    exit(1)
}

/// One JSON object on one line of standard output.
func emit(_ object: [String: Any]) {
    guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else {
        fail("could not encode \(object) as JSON")
    }
    FileHandle.standardOutput.write(data + Data("\n".utf8))
}

func metric(_ name: String, _ value: Double, _ unit: String, _ extra: [String: Any] = [:]) {
    emit(["kind": "metric", "system": "tessera", "name": name, "value": value, "unit": unit].merging(extra) { $1 })
}

func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
func milliseconds(since start: UInt64) -> Double { Double(now() - start) / 1e6 }

func percentile(_ samples: [Double], _ fraction: Double) -> Double {
    let sorted = samples.sorted()
    let position = fraction * Double(sorted.count - 1)
    let low = Int(position.rounded(.down)), high = Int(position.rounded(.up))
    return sorted[low] + (sorted[high] - sorted[low]) * (position - Double(low))
}

/// `warmup` untimed calls, then `runs` timed ones: the p50 and p90 in milliseconds.
func latency(warmup: Int, runs: Int, _ body: () throws -> Void) rethrows -> (p50: Double, p90: Double) {
    for _ in 0..<warmup { try body() }
    var samples: [Double] = []
    samples.reserveCapacity(runs)
    for _ in 0..<runs {
        let start = now()
        try body()
        samples.append(milliseconds(since: start))
    }
    return (percentile(samples, 0.5), percentile(samples, 0.9))
}

/// The peak resident set of this process so far, in MiB (ru_maxrss is in KiB on Linux).
func peakRSSMiB() -> Double {
    var usage = rusage()
    #if os(macOS)
    getrusage(RUSAGE_SELF, &usage)
    return Double(usage.ru_maxrss) / 1_048_576
    #else
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
    #endif
}

/// The resident set now, in MiB (VmRSS in /proc/self/status; nil where there is none).
func currentRSSMiB() -> Double? {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
          let kib = Double(line.split(separator: " ").dropFirst().first ?? "") else { return nil }
    return kib / 1024
}

func int64Tensor(_ values: [Int64], shape: [Int]) throws -> Tensor {
    try Tensor(dtype: .int64, shape: shape, storage: values.withUnsafeBytes { TensorStorage(copying: $0) })
}

/// The encoder's three inputs, exactly as tokenized: right-padded to the longest row, nothing
/// more (TextEmbedder.inputs would also round the length up to a multiple of 16; the peers do not).
func inputs(_ encoding: BatchEncoding) throws -> [String: Tensor] {
    let shape = [encoding.batch, encoding.sequence]
    return [
        "input_ids": try int64Tensor(encoding.ids, shape: shape),
        "attention_mask": try int64Tensor(encoding.attentionMask, shape: shape),
        "token_type_ids": try int64Tensor(encoding.tokenTypeIds, shape: shape),
    ]
}

func rows(_ encoding: BatchEncoding) -> [[Int64]] {
    (0..<encoding.batch).map { Array(encoding.ids[$0 * encoding.sequence..<($0 + 1) * encoding.sequence]) }
}

struct Goldens: Decodable {
    struct Sentence: Decodable {
        let text: String
        let input_ids: [Int64]
        let embedding: [Double]
    }

    let sentences: [Sentence]
}

@main
struct MiniLMBench {
    static func main() {
        do {
            try run(Options.parse(Array(CommandLine.arguments.dropFirst())))
        } catch {
            fail("\(error)")
        }
    }

    static func run(_ options: Options) throws {
        let modelURL = URL(fileURLWithPath: options.model)
        let folder = URL(fileURLWithPath: options.tokenizer, isDirectory: true)
        let sentences = try String(contentsOfFile: options.sentences, encoding: .utf8)
            .split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !sentences.isEmpty else { fail("\(options.sentences) has no sentences") }
        // sentence-transformers' max_seq_length, as TextEmbedder reads it (256 for this model):
        // the limit for the short sentence and the batch.
        var configuredLength = 256
        if let data = FileManager.default.contents(atPath: folder.appendingPathComponent("sentence_bert_config.json").path),
           let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
           let length = object["max_seq_length"] as? Int {
            configuredLength = length
        }
        let maxLength = configuredLength

        // --- load: model file -> executor ready, plus the tokenizer ---------------------------
        let loadStart = now()
        let host = PluginHost(hostName: "minilm-bench")
        host.load([PluginSpec(source: .bundled("onnx"))])
        let pluginMs = milliseconds(since: loadStart)
        // The graph lives only while the executor is compiled, as in tesserad: the weights the
        // executor packed are then released.
        var parseMs = 0.0, compileMs = 0.0
        let (executor, formatName) = try { () throws -> (Executor, String) in
            let parseStart = now()
            let detection = try FormatDetector(host: host).detect(modelURL)
            parseMs = milliseconds(since: parseStart)
            let compileStart = now()
            let executor = try Executor(graph: detection.graph)
            compileMs = milliseconds(since: compileStart)
            return (executor, detection.format.name)
        }()
        let tokenizerStart = now()
        let tokenizer = try WordPieceTokenizer(folder: folder)
        let tokenizerMs = milliseconds(since: tokenizerStart)
        let loadMs = milliseconds(since: loadStart)
        host.shutdown()
        guard formatName == "onnx" else {
            fail("\(options.model) was read by '\(formatName)', not the onnx plugin")
        }

        // The kernels' worker pool: TESSERA_NUM_THREADS when set to a positive integer, else the
        // CPU count (run.sh sets it to the core count, as onnxruntime's intra_op_num_threads).
        let threads = ProcessInfo.processInfo.environment["TESSERA_NUM_THREADS"].flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil }
            ?? ProcessInfo.processInfo.activeProcessorCount
        emit(["kind": "info", "system": "tessera", "kernel_variant": CPU.kernelVariant,  // the sdot family's
              "cpu_features": CPU.features, "threads": threads, "max_seq_length": maxLength,
              "note": "nodes run in order on the calling thread; large MatMul/Gemm split over the kernels' worker pool (TESSERA_NUM_THREADS)"])
        metric("load_ms", loadMs, "ms", ["parts": ["plugin_host_ms": pluginMs, "onnx_parse_ms": parseMs,
                                                    "executor_compile_ms": compileMs, "tokenizer_ms": tokenizerMs],
                                          "peak_rss_mib_after_load": peakRSSMiB(), "rss_mib_after_load": currentRSSMiB() ?? -1])

        // --- the inputs -------------------------------------------------------------------------
        let short = sentences[0]
        // A long text: the sentences joined until it is past `sequence` tokens, cut to exactly
        // `sequence` by the tokenizer's truncation (as the peers' tokenizers cut it).
        var long = sentences.joined(separator: " ")
        while tokenizer.encode(long, maxLength: Int.max).ids.count <= options.sequence { long += " " + long }
        let batchTexts = (0..<options.batchSize).map { sentences[$0 % sentences.count] }

        let shortEncoding = tokenizer.encode(batch: [short], maxLength: maxLength)
        let longEncoding = tokenizer.encode(batch: [long], maxLength: options.sequence)
        let batchEncoding = tokenizer.encode(batch: batchTexts, maxLength: maxLength)
        guard longEncoding.sequence == options.sequence else {
            fail("the long text gave \(longEncoding.sequence) tokens, not \(options.sequence)")
        }

        let goldens = try JSONDecoder().decode(Goldens.self, from: Data(contentsOf: URL(fileURLWithPath: options.goldens)))
        guard let golden = goldens.sentences.first(where: { $0.text == short }) else {
            fail("the goldens have no entry for the first sentence \"\(short)\"")
        }
        let shortIDs = rows(shortEncoding)[0]
        emit(["kind": "ids", "system": "tessera", "short": shortIDs, "seq128": rows(longEncoding)[0],
              "batch32": rows(batchEncoding), "golden_short": golden.input_ids,
              "short_matches_golden": shortIDs == golden.input_ids])

        // --- one end-to-end call: text(s) -> normalized embeddings [batch, 384] ------------------
        @Sendable func embed(_ texts: [String], maxLength: Int) throws -> Tensor {
            let feeds = try inputs(tokenizer.encode(batch: texts, maxLength: maxLength))
            let outputs = try executor.run(feeds)
            guard let hidden = outputs["last_hidden_state"] else { fail("the model has no output 'last_hidden_state'") }
            return try TextEmbedder.meanPool(hidden: hidden, mask: feeds["attention_mask"]!)
        }

        let embedding = try embed([short], maxLength: maxLength).floats.map(Double.init)
        let dot = zip(embedding, golden.embedding).reduce(0) { $0 + $1.0 * $1.1 }
        let norms = (embedding.reduce(0) { $0 + $1 * $1 } * golden.embedding.reduce(0) { $0 + $1 * $1 }).squareRoot()
        emit(["kind": "check", "system": "tessera", "short_cosine_to_golden": dot / norms])

        if let only = options.only {
            let (texts, limit, runs) = switch only {
            case "short": ([short], maxLength, options.runs)
            case "seq128": ([long], options.sequence, options.runs)
            default: (batchTexts, maxLength, options.batchRuns)
            }
            let times = try latency(warmup: 1, runs: runs) { _ = try embed(texts, maxLength: limit) }
            metric("only_\(only)_p50_ms", times.p50, "ms", ["runs": runs])
            return
        }

        // --- end to end (the table) ------------------------------------------------------------
        let shortTimes = try latency(warmup: options.warmup, runs: options.runs) { _ = try embed([short], maxLength: maxLength) }
        metric("short_p50_ms", shortTimes.p50, "ms", ["p90": shortTimes.p90, "tokens": shortEncoding.sequence, "runs": options.runs])
        let longTimes = try latency(warmup: options.warmup, runs: options.runs) { _ = try embed([long], maxLength: options.sequence) }
        metric("seq128_p50_ms", longTimes.p50, "ms", ["p90": longTimes.p90, "tokens": longEncoding.sequence, "runs": options.runs])

        for _ in 0..<options.batchWarmup { _ = try embed(batchTexts, maxLength: maxLength) }
        var batchSamples: [Double] = []
        let batchStart = now()
        for _ in 0..<options.batchRuns {
            let start = now()
            _ = try embed(batchTexts, maxLength: maxLength)
            batchSamples.append(milliseconds(since: start))
        }
        let batchSeconds = milliseconds(since: batchStart) / 1000
        metric("batch32_sentences_per_s", Double(options.batchSize * options.batchRuns) / batchSeconds, "sentences/s",
               ["batch_p50_ms": percentile(batchSamples, 0.5), "padded_to": batchEncoding.sequence,
                "batch": options.batchSize, "runs": options.batchRuns])

        // --- diagnostics: the encoder alone, tensors built beforehand, no pooling ---------------
        let shortFeeds = try inputs(shortEncoding), longFeeds = try inputs(longEncoding), batchFeeds = try inputs(batchEncoding)
        let modelShort = try latency(warmup: options.warmup, runs: options.runs) { _ = try executor.run(shortFeeds) }
        metric("model_short_p50_ms", modelShort.p50, "ms", ["p90": modelShort.p90])
        let modelLong = try latency(warmup: options.warmup, runs: options.runs) { _ = try executor.run(longFeeds) }
        metric("model_seq128_p50_ms", modelLong.p50, "ms", ["p90": modelLong.p90])
        let modelBatch = try latency(warmup: options.batchWarmup, runs: options.batchRuns) { _ = try executor.run(batchFeeds) }
        metric("model_batch32_sentences_per_s", Double(options.batchSize) / (modelBatch.p50 / 1000), "sentences/s",
               ["batch_p50_ms": modelBatch.p50])
        let tokenize = try latency(warmup: options.warmup, runs: options.runs) {
            _ = try inputs(tokenizer.encode(batch: batchTexts, maxLength: maxLength))
        }
        metric("tokenize_batch32_p50_ms", tokenize.p50, "ms")

        // Peak RSS here, so it covers everything the table's rows ran (the load, every run's
        // arena and outputs) and nothing of the two-thread diagnostic below.
        metric("peak_rss_mib", peakRSSMiB(), "MiB")

        guard !options.noPair else { return }
        // The executor allows concurrent runs: the same 32 sentences as two batches of 16 at
        // once on two threads (what a server with two requests in flight gets), end to end.
        let half = options.batchSize / 2
        let halves = [Array(batchTexts[..<half]), Array(batchTexts[half...])]
        func pair() {
            DispatchQueue.concurrentPerform(iterations: 2) { index in
                do { _ = try embed(halves[index], maxLength: maxLength) } catch { fail("\(error)") }
            }
        }
        for _ in 0..<options.batchWarmup { pair() }
        let pairStart = now()
        for _ in 0..<options.batchRuns { pair() }
        let pairSeconds = milliseconds(since: pairStart) / 1000
        metric("batch32_as_2x16_threads_sentences_per_s", Double(options.batchSize * options.batchRuns) / pairSeconds,
               "sentences/s", ["peak_rss_mib_after": peakRSSMiB()])
    }
}

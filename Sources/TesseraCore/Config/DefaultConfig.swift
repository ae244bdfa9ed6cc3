extension ConfigLoader {
    /// What `tesserad` runs with when given no `--config`: loopback only, a store in
    /// `./.tessera`, and every bundled plugin.
    public static let embeddedDefault = """
        # Tessera's built-in configuration: used when tesserad starts without --config.
        # Print it with `tessera config default`, edit, and pass the copy with --config.

        [server]
        listen = "127.0.0.1:8080"   # loopback only; use "0.0.0.0:8080" to serve the network
        max_request_mb = 64         # larger request bodies get 413
        max_header_kb = 32          # a larger header block (or field) gets 400
        max_headers = 100           # more header fields get 400
        idle_timeout_s = 60         # keep-alive connections idle this long are closed

        [store]
        path = ".tessera"           # registry, artifacts and the events log live here

        [log]
        level = "info"

        [serving]                   # per loaded model version
        max_batch_size = 16         # rows per engine run
        max_queue_delay_ms = 0      # wait this long for a batch to fill (0: batch what is queued)
        queue_capacity = 256        # more waiting requests get 503 with Retry-After
        instances = 1               # engine runs in flight per version
        queue_timeout_ms = 30000    # a request queued longer fails with 503
        rollback_grace_s = 300      # a replaced version stays loaded this long (instant rollback)

        [[plugins]]
        name = "safetensors"        # format: reads and writes .safetensors weights

        [[plugins]]
        name = "onnx"               # format: reads and writes .onnx models (graph and weights)

        [[plugins]]
        name = "hf-bert"            # format: Hugging Face BERT folders (config.json + model.safetensors)

        [[plugins]]
        name = "gguf"               # format: reads llama.cpp .gguf files (F32, F16, BF16, Q8_0 tensors)

        [[plugins]]
        name = "prune-magnitude"    # optimizer: zeroes the smallest weights

        [[plugins]]
        name = "latency-slo"        # monitor: p50/p90/p99 latency against an objective
        [plugins.settings]
        p99_ms = 50

        [[plugins]]
        name = "error-rate"         # monitor: share of failed requests (aborts failing canaries)
        [plugins.settings]
        max_error_rate = 0.05

        [[plugins]]
        name = "prometheus"         # exporter: Prometheus text for GET /metrics
        [plugins.settings]
        namespace = "tessera"

        [[plugins]]
        name = "jsonl-events"       # exporter: one JSON line per event
        [plugins.settings]
        path = ".tessera/events.jsonl"

        """
}

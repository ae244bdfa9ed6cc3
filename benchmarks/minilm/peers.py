#!/usr/bin/env python3
"""all-MiniLM-L6-v2 on onnxruntime or on PyTorch (sentence-transformers), timed the way
minilm-bench times Tessera. One system per process, so each peak RSS is its own:

    python peers.py onnxruntime --model M.onnx --folder F --sentences S --goldens G [...]
    python peers.py pytorch                    --folder F --sentences S --goldens G [...]

Prints JSON lines on standard output, as minilm-bench does (kinds info, ids, check, metric).

Every timed case of the table is end to end, text in, L2-normalized mean-pooled embedding out:
tokenization, the encoder run and the pooling are inside the clock for every system.
- onnxruntime: an InferenceSession on the same ONNX file (intra_op_num_threads = os.cpu_count(),
  default graph optimizations), the folder's tokenizer.json through `tokenizers` (the fast Rust
  tokenizer; padding to the longest row, truncation at max_seq_length), pooling in numpy.
- pytorch: SentenceTransformer(folder, device="cpu").encode(...) with torch.set_num_threads(
  os.cpu_count()): its own tokenizer (transformers' fast BertTokenizer), forward, pooling and
  normalization, as a sentence-transformers user calls it.
The "model_*" metrics time the encoder alone (input tensors built beforehand, no pooling), for
diagnosis; for onnxruntime "model_1thread_*" repeat them on a session with intra_op_num_threads=1
(after the peak RSS is taken). Imports are not in the load time (reported apart as import_ms).
"""
import argparse
import json
import os
import resource
import sys
import time


def emit(obj):
    print(json.dumps(obj, sort_keys=True), flush=True)


def metric(system, name, value, unit, **extra):
    emit(dict(kind="metric", system=system, name=name, value=value, unit=unit, **extra))


def percentile(samples, fraction):
    s = sorted(samples)
    pos = fraction * (len(s) - 1)
    lo, hi = int(pos), min(int(pos) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def latency(warmup, runs, body):
    for _ in range(warmup):
        body()
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        body()
        samples.append((time.perf_counter() - t) * 1e3)
    return percentile(samples, 0.5), percentile(samples, 0.9)


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def current_rss_mib():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return -1


def max_seq_length(folder):
    try:
        with open(os.path.join(folder, "sentence_bert_config.json")) as f:
            return int(json.load(f)["max_seq_length"])
    except (OSError, KeyError, ValueError):
        return 256


def long_text(sentences, count_tokens, sequence):
    """The sentences joined until past `sequence` tokens (minilm-bench builds the same text)."""
    text = " ".join(sentences)
    while count_tokens(text) <= sequence:
        text = text + " " + text
    return text


def cosine(a, b):
    import numpy as np
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def measure(system, args, embed, model_only, ids_of, sentences, golden, max_len, extra=None):
    """The shared part: ids, check, the end-to-end rows, the model-only diagnostics."""
    short = sentences[0]
    batch = [sentences[i % len(sentences)] for i in range(args.batch)]
    long = args.long_text

    short_ids, long_ids, batch_ids = ids_of([short], max_len), ids_of([long], args.sequence), ids_of(batch, max_len)
    if len(long_ids[0]) != args.sequence:
        sys.exit(f"peers.py: the long text gave {len(long_ids[0])} tokens, not {args.sequence}")
    emit(dict(kind="ids", system=system, short=short_ids[0], seq128=long_ids[0], batch32=batch_ids,
              golden_short=golden["input_ids"], short_matches_golden=short_ids[0] == golden["input_ids"]))
    emit(dict(kind="check", system=system,
              short_cosine_to_golden=cosine(embed([short], max_len)[0], golden["embedding"])))

    p50, p90 = latency(args.warmup, args.runs, lambda: embed([short], max_len))
    metric(system, "short_p50_ms", p50, "ms", p90=p90, tokens=len(short_ids[0]), runs=args.runs)
    p50, p90 = latency(args.warmup, args.runs, lambda: embed([long], args.sequence))
    metric(system, "seq128_p50_ms", p50, "ms", p90=p90, tokens=len(long_ids[0]), runs=args.runs)

    for _ in range(args.batch_warmup):
        embed(batch, max_len)
    samples = []
    start = time.perf_counter()
    for _ in range(args.batch_runs):
        t = time.perf_counter()
        embed(batch, max_len)
        samples.append((time.perf_counter() - t) * 1e3)
    seconds = time.perf_counter() - start
    metric(system, "batch32_sentences_per_s", args.batch * args.batch_runs / seconds, "sentences/s",
           batch_p50_ms=percentile(samples, 0.5), padded_to=len(batch_ids[0]), batch=args.batch, runs=args.batch_runs)

    run_short, run_long, run_batch = model_only([short], max_len), model_only([long], args.sequence), model_only(batch, max_len)
    p50, p90 = latency(args.warmup, args.runs, run_short)
    metric(system, "model_short_p50_ms", p50, "ms", p90=p90)
    p50, p90 = latency(args.warmup, args.runs, run_long)
    metric(system, "model_seq128_p50_ms", p50, "ms", p90=p90)
    p50, _ = latency(args.batch_warmup, args.batch_runs, run_batch)
    metric(system, "model_batch32_sentences_per_s", args.batch / (p50 / 1e3), "sentences/s", batch_p50_ms=p50)

    metric(system, "peak_rss_mib", peak_rss_mib(), "MiB")
    if extra:
        extra(short, long, batch)  # diagnostics after the peak RSS, so they do not count in it


def run_onnxruntime(args, sentences, golden):
    system = "onnxruntime"
    t = time.perf_counter()
    import numpy as np
    import onnxruntime as ort
    from tokenizers import Tokenizer
    import_ms = (time.perf_counter() - t) * 1e3
    max_len = max_seq_length(args.folder)
    threads = os.cpu_count()

    t = time.perf_counter()
    tokenizer = Tokenizer.from_file(os.path.join(args.folder, "tokenizer.json"))
    tokenizer_ms = (time.perf_counter() - t) * 1e3
    t = time.perf_counter()
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    session = ort.InferenceSession(args.model, sess_options=options, providers=["CPUExecutionProvider"])
    session_ms = (time.perf_counter() - t) * 1e3
    load_ms = tokenizer_ms + session_ms
    emit(dict(kind="info", system=system, version=ort.__version__, threads=threads, max_seq_length=max_len,
              providers=session.get_providers(), import_ms=import_ms,
              note="tokenizers " + __import__("tokenizers").__version__ + ", numpy " + np.__version__))
    metric(system, "load_ms", load_ms, "ms", parts=dict(tokenizer_ms=tokenizer_ms, session_ms=session_ms),
           peak_rss_mib_after_load=peak_rss_mib(), rss_mib_after_load=current_rss_mib())

    # tokenizer.json pads every row to a fixed 128 and truncates at 128: use the longest row
    # and sentence-transformers' max_seq_length instead, as the other two systems do. One
    # tokenizer per limit, so the timed calls do not reconfigure.
    def configured(limit):
        tok = Tokenizer.from_str(tokenizer.to_str())
        tok.no_padding()
        tok.enable_padding(pad_id=0, pad_type_id=0, pad_token="[PAD]")
        tok.enable_truncation(max_length=limit)
        return tok
    tokenizers = {max_len: configured(max_len), args.sequence: configured(args.sequence)}

    def feeds(texts, limit):
        encodings = tokenizers[limit].encode_batch(texts)
        return {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
        }

    def embed(texts, limit):
        inputs = feeds(texts, limit)
        hidden = session.run(["last_hidden_state"], inputs)[0]
        mask = inputs["attention_mask"][..., None].astype(np.float32)
        pooled = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
        return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)

    def model_only(texts, limit):
        inputs = feeds(texts, limit)
        return lambda: session.run(["last_hidden_state"], inputs)

    def ids_of(texts, limit):
        return [list(e.ids) for e in tokenizers[limit].encode_batch(texts)]

    def one_thread(short, long, batch):
        """The encoder alone on a second session with intra_op_num_threads=1: Tessera's executor
        runs a graph on one thread, so this separates kernels from threading."""
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        single = ort.InferenceSession(args.model, sess_options=options, providers=["CPUExecutionProvider"])
        for name, texts, limit, warmup, runs in [("short", [short], max_len, args.warmup, args.runs),
                                                 ("seq128", [long], args.sequence, args.warmup, args.runs),
                                                 ("batch32", batch, max_len, args.batch_warmup, args.batch_runs)]:
            inputs = feeds(texts, limit)
            p50, p90 = latency(warmup, runs, lambda: single.run(["last_hidden_state"], inputs))
            if name == "batch32":
                metric(system, "model_1thread_batch32_sentences_per_s", args.batch / (p50 / 1e3), "sentences/s", batch_p50_ms=p50)
            else:
                metric(system, f"model_1thread_{name}_p50_ms", p50, "ms", p90=p90)

    args.long_text = long_text(sentences, lambda text: _count(tokenizer, text), args.sequence)
    measure(system, args, embed, model_only, ids_of, sentences, golden, max_len,
            extra=None if args.no_one_thread else one_thread)


def _count(tokenizer, text):
    """Token count without truncation or padding."""
    from tokenizers import Tokenizer
    tok = Tokenizer.from_str(tokenizer.to_str())
    tok.no_padding()
    tok.no_truncation()
    return len(tok.encode(text).ids)


def run_pytorch(args, sentences, golden):
    system = "pytorch"
    t = time.perf_counter()
    import numpy as np
    import torch
    import sentence_transformers
    from sentence_transformers import SentenceTransformer
    import_ms = (time.perf_counter() - t) * 1e3
    threads = os.cpu_count()
    torch.set_num_threads(threads)

    t = time.perf_counter()
    model = SentenceTransformer(args.folder, device="cpu")
    load_ms = (time.perf_counter() - t) * 1e3
    max_len = model.max_seq_length
    emit(dict(kind="info", system=system, version=torch.__version__, threads=torch.get_num_threads(),
              max_seq_length=max_len, import_ms=import_ms,
              modules=[type(m).__name__ for m in model],
              note="sentence-transformers " + sentence_transformers.__version__ + ", numpy " + np.__version__))
    metric(system, "load_ms", load_ms, "ms", peak_rss_mib_after_load=peak_rss_mib(), rss_mib_after_load=current_rss_mib())
    normalizes = any(type(m).__name__ == "Normalize" for m in model)
    # sentence-transformers 6 renamed tokenize to preprocess (tokenize warns).
    preprocess = getattr(model, "preprocess", None) or model.tokenize
    names = ("input_ids", "attention_mask", "token_type_ids")

    def embed(texts, limit):
        model.max_seq_length = limit
        return model.encode(texts, batch_size=args.batch, show_progress_bar=False, convert_to_numpy=True,
                            normalize_embeddings=not normalizes)

    def model_only(texts, limit):
        model.max_seq_length = limit
        features = {k: v for k, v in preprocess(texts).items() if k in names}
        transformer = model[0].auto_model

        def run():
            with torch.inference_mode():
                transformer(**features)
        return run

    def ids_of(texts, limit):
        model.max_seq_length = limit
        return preprocess(texts)["input_ids"].tolist()

    tokenizer = model.tokenizer
    count = lambda text: len(tokenizer(text, add_special_tokens=True, truncation=False)["input_ids"])
    args.long_text = long_text(sentences, count, args.sequence)
    measure(system, args, embed, model_only, ids_of, sentences, golden, max_len)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("system", choices=["onnxruntime", "pytorch"])
    parser.add_argument("--model", help="the ONNX file (onnxruntime)")
    parser.add_argument("--folder", required=True, help="the sentence-transformers folder")
    parser.add_argument("--sentences", required=True)
    parser.add_argument("--goldens", required=True)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--batch-runs", type=int, default=30)
    parser.add_argument("--batch-warmup", type=int, default=3)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--sequence", type=int, default=128)
    parser.add_argument("--no-one-thread", action="store_true",
                        help="onnxruntime: skip the one-thread encoder diagnostic")
    args = parser.parse_args()
    if args.system == "onnxruntime" and not args.model:
        parser.error("onnxruntime needs --model")

    with open(args.sentences) as f:
        sentences = [line.strip() for line in f if line.strip()]
    with open(args.goldens) as f:
        goldens = json.load(f)
    golden = next((s for s in goldens["sentences"] if s["text"] == sentences[0]), None)
    if golden is None:
        sys.exit(f"peers.py: the goldens have no entry for the first sentence {sentences[0]!r}")

    {"onnxruntime": run_onnxruntime, "pytorch": run_pytorch}[args.system](args, sentences, golden)


if __name__ == "__main__":
    main()

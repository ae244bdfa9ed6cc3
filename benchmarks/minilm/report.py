#!/usr/bin/env python3
"""Reads the JSON lines minilm-bench and peers.py printed (one file per system per round) and
prints the comparison table. Standard library only.

    python report.py WORK_DIR

WORK_DIR holds round-<N>-<system>.jsonl files. Over the rounds each cell takes the best value
(the lowest time, the highest throughput), the usual way to read a benchmark on a machine that
other work shares; peak RSS takes the largest. Exits non-zero if the systems did not see the
same token ids, or an embedding is off the golden one.
"""
import glob
import json
import os
import re
import sys

SYSTEMS = ["tessera", "onnxruntime", "pytorch"]
NAMES = {"tessera": "Tessera", "onnxruntime": "onnxruntime", "pytorch": "PyTorch"}


def load(work):
    """{system: [round's lines by kind]}"""
    rounds = {s: [] for s in SYSTEMS}
    for path in sorted(glob.glob(os.path.join(work, "round-*-*.jsonl"))):
        match = re.search(r"round-(\d+)-(\w+)\.jsonl$", path)
        if not match or match.group(2) not in rounds:
            continue
        lines = []
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line.startswith("{"):
                    lines.append(json.loads(line))
        rounds[match.group(2)].append(lines)
    return rounds


def metrics(rounds, system, name):
    return [l for r in rounds[system] for l in r if l.get("kind") == "metric" and l.get("name") == name]


def best(rounds, system, name, higher_better):
    values = [m["value"] for m in metrics(rounds, system, name)]
    if not values:
        return None
    return max(values) if higher_better else min(values)


def first(rounds, system, kind):
    for r in rounds[system]:
        for l in r:
            if l.get("kind") == kind:
                return l
    return None


def fmt(value, digits):
    return "—" if value is None else f"{value:,.{digits}f}"


def ratio(tessera, peer, higher_better):
    if tessera is None or peer is None or tessera == 0 or peer == 0:
        return "—"
    r = tessera / peer if higher_better else peer / tessera
    return f"{r:.2f}×"


def main():
    work = sys.argv[1]
    rounds = load(work)
    missing = [s for s in SYSTEMS if not rounds[s]]
    if missing:
        sys.exit(f"report.py: no results for {', '.join(missing)} in {work}")
    problems = []

    # --- the same inputs everywhere --------------------------------------------------------
    ids = {s: first(rounds, s, "ids") for s in SYSTEMS}
    lines = []
    for key in ["short", "seq128", "batch32"]:
        reference = ids["tessera"][key]
        same = all(ids[s][key] == reference for s in SYSTEMS)
        shape = f"{len(reference)}×{len(reference[0])}" if key == "batch32" else f"{len(reference)}"
        lines.append(f"{key} ({shape} ids): {'identical in all three' if same else 'DIFFERENT'}")
        if not same:
            problems.append(f"the {key} token ids differ between the systems")
    golden_ok = all(ids[s]["short_matches_golden"] for s in SYSTEMS)
    lines.append(f"first sentence = goldens.json input_ids: {'yes' if golden_ok else 'NO'} "
                 f"({ids['tessera']['short']})")
    if not golden_ok:
        problems.append("a system's first-sentence ids differ from the goldens'")
    cosines = {s: first(rounds, s, "check")["short_cosine_to_golden"] for s in SYSTEMS}
    lines.append("first sentence's embedding, cosine to the golden: "
                 + ", ".join(f"{NAMES[s]} {cosines[s]:.6f}" for s in SYSTEMS))
    if any(c < 0.9999 for c in cosines.values()):
        problems.append("an embedding is off the golden one (cosine < 0.9999)")

    # --- the table --------------------------------------------------------------------------
    short_tokens = metrics(rounds, "tessera", "short_p50_ms")[0]["tokens"]
    padded = metrics(rounds, "tessera", "batch32_sentences_per_s")[0]["padded_to"]
    rows = [
        ("model load, ms (lower is better)", "load_ms", False, 0),
        (f"batch 1, short sentence ({short_tokens} tokens), p50 ms", "short_p50_ms", False, 2),
        ("batch 1, sequence 128, p50 ms", "seq128_p50_ms", False, 2),
        (f"batch 32 (padded to {padded}), sentences/s (higher is better)", "batch32_sentences_per_s", True, 0),
        ("peak RSS, MiB", "peak_rss_mib", False, 0),
    ]
    out = []
    out.append("| | Tessera | onnxruntime | PyTorch | Tessera vs onnxruntime | Tessera vs PyTorch |")
    out.append("|---|---:|---:|---:|---:|---:|")
    for label, name, higher, digits in rows:
        if name == "peak_rss_mib":
            values = {s: max((m["value"] for m in metrics(rounds, s, name)), default=None) for s in SYSTEMS}
        else:
            values = {s: best(rounds, s, name, higher) for s in SYSTEMS}
        out.append(f"| {label} | " + " | ".join(fmt(values[s], digits) for s in SYSTEMS)
                   + f" | {ratio(values['tessera'], values['onnxruntime'], higher)}"
                   + f" | {ratio(values['tessera'], values['pytorch'], higher)} |")

    # --- diagnostics --------------------------------------------------------------------------
    diag = []
    diag.append("| diagnostic (encoder only: input tensors built beforehand, no pooling) | Tessera | onnxruntime | PyTorch |")
    diag.append("|---|---:|---:|---:|")
    for label, name, higher, digits in [
        ("batch 1 short, p50 ms", "model_short_p50_ms", False, 2),
        ("batch 1 seq 128, p50 ms", "model_seq128_p50_ms", False, 2),
        ("batch 32, sentences/s (from the p50 batch)", "model_batch32_sentences_per_s", True, 0),
    ]:
        diag.append(f"| {label} | " + " | ".join(fmt(best(rounds, s, name, higher), digits) for s in SYSTEMS) + " |")
    one = [best(rounds, "onnxruntime", n, h) for n, h in [("model_1thread_short_p50_ms", False),
           ("model_1thread_seq128_p50_ms", False), ("model_1thread_batch32_sentences_per_s", True)]]
    if None not in one:
        diag.append(f"| onnxruntime with intra_op_num_threads=1, encoder only (short ms / seq128 ms / batch 32 sentences/s) | "
                    f"— | {one[0]:.2f} / {one[1]:.2f} / {one[2]:,.0f} | — |")
    pair = best(rounds, "tessera", "batch32_as_2x16_threads_sentences_per_s", True)
    tokenize = best(rounds, "tessera", "tokenize_batch32_p50_ms", False)

    info = {s: first(rounds, s, "info") for s in SYSTEMS}
    load_parts = [m.get("parts", {}) for m in metrics(rounds, "tessera", "load_ms")]
    ort_parts = [m.get("parts", {}) for m in metrics(rounds, "onnxruntime", "load_ms")]

    print(f"rounds: {len(rounds['tessera'])}; each cell is the best over the rounds (peak RSS: the largest)")
    print("Ratio columns: > 1 means Tessera is better (faster, more sentences/s, less memory);")
    print("  times and memory: peer / Tessera; throughput: Tessera / peer.")
    print("All timed rows are end to end: text in, tokenization, encoder, mean pooling, L2 normalization out.")
    print()
    print("\n".join(out))
    print()
    print("\n".join(diag))
    print()
    if pair is not None:
        print(f"Tessera, the same 32 sentences as two batches of 16 on two threads at once (end to end): {pair:,.0f} sentences/s")
    if tokenize is not None:
        print(f"Tessera tokenization of the 32-sentence batch alone (ids to tensors): {tokenize * 1000:,.0f} µs p50")
    if load_parts:
        keys = sorted(load_parts[0])
        print("Tessera load parts (best round): " + ", ".join(
            f"{k} {min(p[k] for p in load_parts):.0f}" for k in keys))
    if ort_parts:
        keys = sorted(ort_parts[0])
        print("onnxruntime load parts (best round): " + ", ".join(
            f"{k} {min(p[k] for p in ort_parts):.0f}" for k in keys))
    after = {s: metrics(rounds, s, "load_ms")[0] for s in SYSTEMS}
    if all("rss_mib_after_load" in after[s] for s in SYSTEMS):
        print("memory right after the load, MiB (resident now / peak so far): " + ", ".join(
            f"{NAMES[s]} {after[s]['rss_mib_after_load']:.0f} / {after[s]['peak_rss_mib_after_load']:.0f}" for s in SYSTEMS))
    print("imports, not in the load row: onnxruntime+tokenizers+numpy "
          f"{info['onnxruntime'].get('import_ms', 0):.0f} ms, torch+sentence-transformers {info['pytorch'].get('import_ms', 0):.0f} ms (first round)")
    print(f"threads: Tessera {info['tessera']['threads']} ({info['tessera']['note']}), "
          f"onnxruntime intra_op_num_threads={info['onnxruntime']['threads']}, torch {info['pytorch']['threads']}")
    print(f"versions: onnxruntime {info['onnxruntime']['version']} ({info['onnxruntime']['note']}); "
          f"torch {info['pytorch']['version']} ({info['pytorch']['note']}); Tessera CPU.kernelVariant {info['tessera']['kernel_variant']} (the dot-product family; SGEMM picks its own variant)")
    print()
    print("inputs: " + "; ".join(lines))
    if problems:
        print()
        for p in problems:
            print(f"PROBLEM: {p}")
        sys.exit(2)


if __name__ == "__main__":
    main()

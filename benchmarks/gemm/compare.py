"""Runs bench_gemm and numpy's matmul on the same shapes, alternating per shape and repeating
the whole table in rounds so both see the same background load, and prints one table; then
the int8 table: Tessera's integer GEMM variants against its own FP32 prepacked SGEMM,
onnxruntime's MatMulInteger and numpy's integer matmul on the int8 shapes.
Called by run.sh; see README.md."""

import os
import subprocess
import sys
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper
from threadpoolctl import threadpool_info, threadpool_limits

# M, N, K: square sizes, then MiniLM-L6 (sequence 128, hidden 384, FFN 1536): the Q/K/V and
# output projections (N=K=384), the FFN up projection (N=1536) and down projection (K=1536),
# and a projection at batch 1, sequence 1 (M=1: Tessera splits N instead of M).
SHAPES = [(256, 256, 256), (512, 512, 512), (1024, 1024, 1024), (2048, 2048, 2048),
          (128, 384, 384), (128, 1536, 384), (128, 384, 1536), (1, 384, 384)]
# The shapes that also get int8 rows: MiniLM's projections at sequence 128, and two squares.
INT8_SHAPES = [(128, 384, 384), (128, 1536, 384), (128, 384, 1536), (512, 512, 512), (1024, 1024, 1024)]
INT8_VARIANTS = ["generic", "avx2", "avx512-vnni", "amx-int8"]
# The zero points bench_gemm uses: uint8 A, int8 B, both nonzero (dynamic quantization).
A_ZERO, B_ZERO = 131, -3


def best_rate(run, ops, trials, seconds):
    """Best ops/s / 1e9 over `trials` timed loops of `run`, each ~`seconds` long."""
    run()
    start = time.perf_counter()
    run()
    reps = max(1, int(seconds / max(time.perf_counter() - start, 1e-9)))
    best = 0.0
    for _ in range(trials):
        start = time.perf_counter()
        for _ in range(reps):
            run()
        best = max(best, ops * reps / (time.perf_counter() - start) / 1e9)
    return best


def int8_operands(m, n, k):
    rng = np.random.default_rng(0)
    return (rng.integers(0, 256, (m, k), dtype=np.uint8), rng.integers(-128, 128, (k, n), dtype=np.int8))


def onnxruntime_gops(m, n, k, threads, trials, seconds):
    """MatMulInteger in onnxruntime: A a graph input, B and both zero points initializers
    (so onnxruntime may prepack B, as Tessera does)."""
    a, b = int8_operands(m, n, k)
    graph = helper.make_graph(
        [helper.make_node("MatMulInteger", ["A", "B", "a_zero", "b_zero"], ["Y"])], "matmulinteger",
        [helper.make_tensor_value_info("A", TensorProto.UINT8, [m, k])],
        [helper.make_tensor_value_info("Y", TensorProto.INT32, [m, n])],
        [onnx.numpy_helper.from_array(b, "B"), helper.make_tensor("a_zero", TensorProto.UINT8, [], [A_ZERO]),
         helper.make_tensor("b_zero", TensorProto.INT8, [], [B_ZERO])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    expected = (a.astype(np.int64) - A_ZERO) @ (b.astype(np.int64) - B_ZERO)
    if not np.array_equal(session.run(None, {"A": a})[0], expected):
        raise SystemExit(f"onnxruntime's MatMulInteger disagrees with numpy at {m}x{n}x{k}")
    feeds = {"A": a}
    return best_rate(lambda: session.run(None, feeds), 2.0 * m * n * k, trials, seconds)


def onnxruntime_call_seconds():
    """The time of one session.run that does almost nothing (a 1-element Identity): the part of
    the onnxruntime column that is not the multiply."""
    graph = helper.make_graph([helper.make_node("Identity", ["X"], ["Y"])], "identity",
                              [helper.make_tensor_value_info("X", TensorProto.UINT8, [1])],
                              [helper.make_tensor_value_info("Y", TensorProto.UINT8, [1])])
    session = ort.InferenceSession(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]).SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    feeds = {"X": np.zeros(1, dtype=np.uint8)}
    return 1.0 / (best_rate(lambda: session.run(None, feeds), 1.0, 5, 0.2) * 1e9)


def numpy_int_gops(m, n, k, trials, seconds):
    """(A - za) @ (B - zb) in int32 numpy (no BLAS for integers: one thread whatever the limit)."""
    a, b = int8_operands(m, n, k)
    a32, b32 = a.astype(np.int32) - A_ZERO, b.astype(np.int32) - B_ZERO
    c = np.empty((m, n), dtype=np.int32)
    return best_rate(lambda: np.matmul(a32, b32, out=c), 2.0 * m * n * k, trials, seconds)


def numpy_gflops(m, n, k, threads, trials, seconds):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((m, k), dtype=np.float32)
    b = rng.standard_normal((k, n), dtype=np.float32)
    c = np.empty((m, n), dtype=np.float32)
    flops = 2.0 * m * n * k
    with threadpool_limits(limits=threads, user_api="blas"):
        np.matmul(a, b, out=c)
        start = time.perf_counter()
        np.matmul(a, b, out=c)
        reps = max(1, int(seconds / max(time.perf_counter() - start, 1e-9)))
        best = 0.0
        for _ in range(trials):
            start = time.perf_counter()
            for _ in range(reps):
                np.matmul(a, b, out=c)
            best = max(best, flops * reps / (time.perf_counter() - start) / 1e9)
    return best


def tessera_gflops(binary, m, n, k, trials, seconds, int8=False):
    """{(threads, mode): GFLOP/s} and the kernel variant from one bench_gemm run (1 and 2 threads)."""
    out = subprocess.run([binary] + (["--int8"] if int8 else []) + [str(m), str(n), str(k), str(trials), str(seconds), "1", "2"],
                         check=True, capture_output=True, text=True).stdout
    results, variant = {}, "?"
    for line in out.splitlines():
        f = line.split()
        if f[0] == "variant":
            variant = f[1]
        elif f[0] == "tessera":
            results[(int(f[4]), f[5])] = float(f[6])
    return results, variant


def main():
    binary, rounds, trials, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    blas = [p for p in threadpool_info() if p.get("user_api") == "blas"]
    for p in blas:
        print(f"numpy {np.__version__}: {p.get('internal_api')} {p.get('version')}, "
              f"kernel {p.get('architecture')}, {p.get('num_threads')} threads available")
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        print(f"numpy sees {var}={os.environ.get(var, '(unset)')}")

    # Every cell is the best over all rounds; a round visits every shape, Tessera then numpy,
    # so a burst of background load hits one round of a cell, not all of it.
    best = {}
    variant = "?"
    for r in range(rounds):
        for m, n, k in SHAPES:
            int8 = (m, n, k) in INT8_SHAPES
            results, variant = tessera_gflops(binary, m, n, k, trials, seconds, int8)
            for threads in (1, 2):
                results[(threads, "numpy")] = numpy_gflops(m, n, k, threads, trials, seconds)
                if int8:
                    results[(threads, "onnxruntime")] = onnxruntime_gops(m, n, k, threads, trials, seconds)
            if int8:
                results[(1, "numpy-int")] = results[(2, "numpy-int")] = numpy_int_gops(m, n, k, trials, seconds)
            for (threads, mode), g in results.items():
                key = (m, n, k, threads, mode)
                best[key] = max(best.get(key, 0.0), g)
            print(f"  round {r + 1}/{rounds}: {m}x{n}x{k} done", file=sys.stderr, flush=True)

    print(f"tessera kernels: {variant}; GFLOP/s, best of {rounds} rounds x {trials} trials of ~{seconds}s")
    print()
    header = ("shape MxNxK", "threads", "tessera sgemm", "tessera prepacked", "numpy", "sgemm/numpy",
              "prepacked/numpy")
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for m, n, k in SHAPES:
        for threads in (1, 2):
            sg, pk, npg = (best[(m, n, k, threads, mode)] for mode in ("sgemm", "packed", "numpy"))
            print(f"| {m}x{n}x{k} | {threads} | {sg:.1f} | {pk:.1f} | {npg:.1f} | {sg / npg:.2f} | {pk / npg:.2f} |")

    print()
    print(f"int8: onnxruntime {ort.__version__}; GOP/s (2 x M x N x K integer ops per second), same rounds; "
          f"uint8 A, int8 B prepacked, zero points {A_ZERO} and {B_ZERO}; '-' = not on this CPU; "
          f"one near-empty onnxruntime session.run takes {onnxruntime_call_seconds() * 1e6:.1f} us")
    print()
    header = (["shape MxNxK", "threads"] + [f"int8 {v}" for v in INT8_VARIANTS] +
              ["fp32 prepacked", "onnxruntime", "numpy int32", "best int8/fp32", "best int8/onnxruntime"])
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for m, n, k in INT8_SHAPES:
        for threads in (1, 2):
            cells = [best.get((m, n, k, threads, f"int8-{v}")) for v in INT8_VARIANTS]
            top = max(c for c in cells if c is not None)
            fp32, peer, npi = (best[(m, n, k, threads, mode)] for mode in ("packed", "onnxruntime", "numpy-int"))
            shown = " | ".join("-" if c is None else f"{c:.1f}" for c in cells)
            print(f"| {m}x{n}x{k} | {threads} | {shown} | {fp32:.1f} | {peer:.1f} | {npi:.1f} | "
                  f"{top / fp32:.2f} | {top / peer:.2f} |")


if __name__ == "__main__":
    main()

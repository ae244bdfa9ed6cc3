"""Runs bench_gemm and numpy's matmul on the same shapes, alternating per shape and repeating
the whole table in rounds so both see the same background load, and prints one table.
Called by run.sh; see README.md."""

import os
import subprocess
import sys
import time

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

# M, N, K: square sizes, then MiniLM-L6 (sequence 128, hidden 384, FFN 1536): the Q/K/V and
# output projections (N=K=384), the FFN up projection (N=1536) and down projection (K=1536),
# and a projection at batch 1, sequence 1 (M=1: Tessera splits N instead of M).
SHAPES = [(256, 256, 256), (512, 512, 512), (1024, 1024, 1024), (2048, 2048, 2048),
          (128, 384, 384), (128, 1536, 384), (128, 384, 1536), (1, 384, 384)]


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


def tessera_gflops(binary, m, n, k, trials, seconds):
    """{(threads, mode): GFLOP/s} and the kernel variant from one bench_gemm run (1 and 2 threads)."""
    out = subprocess.run([binary, str(m), str(n), str(k), str(trials), str(seconds), "1", "2"],
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
            results, variant = tessera_gflops(binary, m, n, k, trials, seconds)
            for threads in (1, 2):
                results[(threads, "numpy")] = numpy_gflops(m, n, k, threads, trials, seconds)
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


if __name__ == "__main__":
    main()

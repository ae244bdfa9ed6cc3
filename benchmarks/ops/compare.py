#!/usr/bin/env python3
"""Runs Tessera's op kernels (bench_ops) and the same ops in numpy (and scipy's erf for GELU)
on the same shapes and values, and prints one table with microseconds per call and the ratio
numpy / Tessera (above 1: Tessera is faster), for Tessera on one thread and on the worker
pool's default thread count (the last columns).

Usage: compare.py BENCH_OPS [TRIALS] [SECONDS_PER_TRIAL]
"""
import subprocess
import sys
import time

import numpy as np
from scipy.special import erf

# (rows, width): attention scores of MiniLM at sequence 128 (12 heads x 128 rows of 128) and
# its hidden states at sequence 128 and at batch 32 x 128 (width 384), and the FFN width 1536.
SHAPES = [(1536, 128), (128, 384), (4096, 384), (128, 1536)]


def numpy_ops(x, scale, bias):
    def softmax():
        m = x.max(axis=1, keepdims=True)
        e = np.exp(x - m)
        return e / e.sum(axis=1, keepdims=True)

    def layernorm():
        mean = x.mean(axis=1, keepdims=True)
        var = ((x - mean) ** 2).mean(axis=1, keepdims=True)
        return (x - mean) / np.sqrt(var + 1e-12) * scale + bias

    def gelu():
        return 0.5 * x * (1.0 + erf(x / np.sqrt(np.float32(2))))

    return {"softmax": softmax, "layernorm": layernorm, "gelu": gelu}


def best_us(fn, trials, seconds):
    best = float("inf")
    for _ in range(trials):
        calls = 0
        start = time.perf_counter()
        while True:
            fn()
            calls += 1
            elapsed = time.perf_counter() - start
            if elapsed >= seconds:
                break
        best = min(best, elapsed / calls * 1e6)
    return best


def main():
    bench = sys.argv[1]
    trials = sys.argv[2] if len(sys.argv) > 2 else "5"
    seconds = sys.argv[3] if len(sys.argv) > 3 else "0.2"
    print(f"numpy {np.__version__}; best of {trials} trials of {seconds} s; microseconds per call")
    rows_out = []
    pool = 1
    for rows, width in SHAPES:
        out = subprocess.run([bench, str(rows), str(width), trials, seconds], check=True,
                             capture_output=True, text=True).stdout
        tessera = {}
        for line in out.splitlines():
            _, op, _, _, threads, us = line.split()
            tessera[(op, int(threads))] = float(us)
            pool = max(pool, int(threads))
        count = rows * width
        x = ((np.arange(count) % 1000) / 125.0 - 4.0).astype(np.float32).reshape(rows, width)
        scale = (1.0 + np.arange(width) / width).astype(np.float32)
        bias = (np.arange(width) / width - 0.5).astype(np.float32)
        for op, fn in numpy_ops(x, scale, bias).items():
            theirs = best_us(fn, int(trials), float(seconds))
            rows_out.append((op, rows, width, tessera[(op, 1)], tessera.get((op, pool)), theirs))
            if op == "gelu":
                # Tessera's C-library GELU (one thread) against the same numpy time.
                rows_out.append(("gelu-libm", rows, width, tessera[("gelu-libm", 1)], None, theirs))
    print(f"{'op':<10} {'rows x width':>14} {'1 thread':>10} {f'{pool} threads':>10} {'numpy':>10}"
          f" {'numpy/1T':>9} {f'numpy/{pool}T':>9}")
    for op, rows, width, one, many, theirs in rows_out:
        many_cell = f"{many:>10.1f}" if many is not None else f"{'-':>10}"
        ratio_many = f"{theirs / many:>8.2f}x" if many is not None else f"{'-':>9}"
        print(f"{op:<10} {f'{rows} x {width}':>14} {one:>10.1f} {many_cell} {theirs:>10.1f}"
              f" {theirs / one:>8.2f}x {ratio_many}")


if __name__ == "__main__":
    main()

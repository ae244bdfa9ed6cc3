#!/usr/bin/env bash
# Tessera's softmax, layernorm and GELU kernels (one thread and the worker pool) vs numpy,
# same shapes, same values, same run.
#   benchmarks/ops/run.sh [TRIALS] [SECONDS_PER_TRIAL]   (defaults: 5 trials x 0.2 s)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
kernels="$here/../../Sources/CTesseraKernels"
venv="${TESSERA_BENCH_VENV:-/tmp/tessera-bench-venv}"
work="$(mktemp -d /tmp/tessera-ops.XXXXXX)"
trap 'rm -rf "$work"' EXIT

if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check numpy scipy

# Plain -O2, no -march: the kernels' target attributes and run-time dispatch do the work.
cc -O2 -I "$kernels/include" "$kernels"/*.c "$here/bench_ops.c" -o "$work/bench_ops" -lpthread -lm

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg)"
# numpy on one thread (its element-wise ops are single-threaded anyway); bench_ops times
# Tessera on one thread and on the worker pool.
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 "$venv/bin/python" "$here/compare.py" "$work/bench_ops" "${1:-5}" "${2:-0.2}"

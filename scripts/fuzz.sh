#!/usr/bin/env bash
# Builds the libFuzzer targets (the `fuzz` preset) and runs each one for
# FUZZ_SECONDS seconds (default 30), starting from its seed corpus in
# fuzz/corpus/<name>/. Exits non-zero when a fuzzer finds a crash, a leak, a
# timeout or runs out of memory; the input that did it is kept under
# build/fuzz/work/<name>/artifacts/ and the command to replay it is printed.
#
# Each fuzzer works in build/fuzz/work/<name>/: the seeds are copied into its
# corpus there, so new inputs found by a run never touch the source tree and
# later local runs start from everything found so far.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

seconds=${FUZZ_SECONDS:-30}
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
    echo "fuzz: FUZZ_SECONDS must be a positive number of seconds, not '$seconds'" >&2
    exit 2
fi

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz

# name:max_len. Policies are small files; a charge is one JSON line.
fuzzers=(policy:4096 charge:2048)

failed=()
for entry in "${fuzzers[@]}"; do
    name=${entry%%:*}
    max_len=${entry##*:}
    binary=build/fuzz/fuzz/${name}_fuzz
    work=build/fuzz/work/$name
    corpus=$work/corpus
    artifacts=$work/artifacts
    log=$work/fuzz.log

    rm -rf "$artifacts"
    mkdir -p "$corpus" "$artifacts"
    cp fuzz/corpus/"$name"/* "$corpus"/

    options=(
        -max_total_time="$seconds"
        -max_len="$max_len"
        -timeout=10
        -rss_limit_mb=2048
        -print_final_stats=1
        -artifact_prefix="$artifacts"/
    )
    if [[ -f fuzz/$name.dict ]]; then
        options+=(-dict=fuzz/"$name".dict)
    fi

    echo "fuzz: ${name}_fuzz for ${seconds}s (log: $log)"
    status=0
    "$binary" "${options[@]}" "$corpus" >"$log" 2>&1 || status=$?

    found=$(find "$artifacts" -type f | head -n 1)
    if [[ $status -ne 0 || -n "$found" ]]; then
        echo "fuzz: ${name}_fuzz FAILED (exit $status)" >&2
        tail -n 60 "$log" >&2
        if [[ -n "$found" ]]; then
            echo "fuzz: replay with: $binary $found" >&2
        fi
        failed+=("$name")
        continue
    fi

    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    inputs=$(find "$corpus" -type f | wc -l)
    echo "fuzz: ${name}_fuzz ran ${runs:-?} inputs, corpus now $inputs files, no crash"
done

if [[ ${#failed[@]} -ne 0 ]]; then
    echo "fuzz: crashes found in: ${failed[*]}" >&2
    exit 1
fi

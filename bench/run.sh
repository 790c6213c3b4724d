#!/usr/bin/env bash
# Every benchmark in one go: builds the release preset, runs each
# build/release/bench/*_bench with its JSON report in build/bench-results/,
# times the same mandate in CEL and Cedar beside the C++ engine (bench/peers),
# and draws the scaling charts into docs/plots/.
#
#   bench/run.sh [--no-peers]
#
# BENCH_ARGS is passed to every benchmark binary, for example
#   BENCH_ARGS="--benchmark_repetitions=5 --benchmark_report_aggregates_only=true" bench/run.sh
# (the peer comparison and the charts then use the medians).
#
# The peer comparison needs Node.js (18 or later) and npm; it installs its own
# packages into bench/peers/node_modules. When it cannot run, the other steps
# still do, and the script ends with exit status 1 saying why.
set -euo pipefail

cd "$(dirname "$0")/.."

peers=1
for argument in "$@"; do
    case "$argument" in
        --no-peers) peers=0 ;;
        -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "run.sh: unknown argument '$argument' (try --help)" >&2; exit 2 ;;
    esac
done

results=build/bench-results
plots=docs/plots
read -r -a bench_args <<<"${BENCH_ARGS:-}"

# BENCH_BUILD_DIR builds and runs elsewhere than build/release, with the same
# release settings.
build_dir=${BENCH_BUILD_DIR:-build/release}
if [[ "$build_dir" == build/release ]]; then
    cmake --preset release
    cmake --build --preset release
else
    cmake --preset release -B "$build_dir"
    cmake --build "$build_dir" --parallel 2
fi

mkdir -p "$results"
reports=()
for bench in "$build_dir"/bench/*_bench; do
    [[ -x "$bench" ]] || continue
    name=$(basename "$bench")
    echo "== $name -> $results/$name.json"
    "$bench" --benchmark_out="$results/$name.json" --benchmark_out_format=json \
        "${bench_args[@]}"
    reports+=("$results/$name.json")
done
if [[ ${#reports[@]} -eq 0 ]]; then
    echo "run.sh: no benchmarks under $build_dir/bench" >&2
    exit 1
fi

peers_failed=""
if [[ $peers -eq 1 ]]; then
    echo "== peers (CEL, Cedar) -> $results/peers.json"
    if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
        peers_failed="node and npm are needed for bench/peers (Node.js 18 or later; 20.19 or later is what cel-js declares)"
    elif [[ ! -f "$results/decide_bench.json" ]]; then
        peers_failed="no $results/decide_bench.json to compare with"
    elif ! node bench/peers/peers.mjs --cpp-json "$results/decide_bench.json" \
            --out "$results/peers.json"; then
        peers_failed="bench/peers/peers.mjs failed (its message is above)"
    fi
fi

echo "== plots -> $plots/"
python3 bench/plot.py --out "$plots" "${reports[@]}"

if [[ -n "$peers_failed" ]]; then
    echo "run.sh: the peer comparison did not run: $peers_failed" >&2
    echo "run.sh: bench/run.sh --no-peers skips it" >&2
    exit 1
fi
echo "== done: reports in $results/, charts in $plots/"

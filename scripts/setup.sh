#!/usr/bin/env bash
# Installs the Debian packages mandate needs to build, test, benchmark and fuzz.
#
# Safe to run any number of times: it only calls apt-get when a package is
# missing, and then updates the package lists once and installs just those.
# Extra package names given as arguments are checked too (for example
# `scripts/setup.sh clang-format` before formatting).
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive

packages=(
    build-essential
    g++
    cmake
    ninja-build
    pkg-config
    tao-pegtl-dev
    libboost-dev
    libhowardhinnant-date-dev
    tzdata
    nlohmann-json3-dev
    catch2
    libbenchmark-dev
    libcli11-dev
    # The durable ledger (SQLite) and the audit trail's SHA-256 (libcrypto).
    libsqlite3-dev
    libssl-dev
    # The Public Suffix List, read by `mandate lint` to find wildcard domains such as
    # *.co.uk that cover more than one organisation.
    publicsuffix
    # The fuzzers are built with clang; libFuzzer and the sanitizer runtimes
    # live in its runtime package.
    clang
    libclang-rt-14-dev
    # bench/plot.py draws the benchmark charts with the standard library alone.
    python3
    # tests/browser/ checks the `mandate replay --report` page in headless Chromium.
    chromium
    "$@"
)

# Node.js and npm run the editor-grammar and browser tests and the peer
# benchmarks, never the product. Any Node.js 18 or later will do, so a machine
# that already has one (from Debian or elsewhere) keeps it.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    packages+=(nodejs npm)
fi

missing=()
for package in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
    if [[ "$status" != "install ok installed" ]]; then
        missing+=("$package")
    fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
    exit 0
fi

as_root=()
if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
        as_root=(sudo --preserve-env=DEBIAN_FRONTEND)
    else
        echo "setup: missing packages: ${missing[*]}" >&2
        echo "setup: not root and sudo is not available; install them as root" >&2
        exit 1
    fi
fi

echo "setup: installing ${missing[*]}"
"${as_root[@]}" apt-get update -qq >/dev/null
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"

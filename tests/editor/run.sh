#!/usr/bin/env bash
# Installs the grammar test's two npm packages (pinned by package-lock.json) when
# they are missing, then tokenizes the files given with the editor grammar.
set -euo pipefail
files=()
for file in "$@"; do files+=("$(realpath "$file")"); done
cd "$(dirname "${BASH_SOURCE[0]}")"
if [[ ! -d node_modules/vscode-textmate || package-lock.json -nt node_modules ]]; then
    npm ci --no-audit --no-fund --loglevel=error
fi
exec node grammar_test.js "${files[@]}"

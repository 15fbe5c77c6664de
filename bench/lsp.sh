#!/usr/bin/env bash
# The language-server latency benchmark: a generated configuration of
# about 3,000 lines, 500 edits replayed through `nixcfg lsp`
# (bench/lsp/replay.py). Twice: as `lint.nix` (checked without
# evaluation, as every file but a configuration root) and as
# `configuration.nix` (evaluated after each edit: options, types,
# assertions), the latter with EVAL_EDITS edits.
#   bench/lsp.sh [EDITS] [EVAL_EDITS]
set -euo pipefail
cd "$(dirname "$0")/.."
edits=${1:-500}
eval_edits=${2:-20}
cargo build --release -q
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 bench/build/generate.py 1900 100 > "$tmp/lint.nix"
cp "$tmp/lint.nix" "$tmp/configuration.nix"
echo "== lint.nix (not evaluated)"
python3 bench/lsp/replay.py target/release/nixcfg "$tmp/lint.nix" "$edits"
echo "== configuration.nix (evaluated)"
python3 bench/lsp/replay.py target/release/nixcfg "$tmp/configuration.nix" "$eval_edits"

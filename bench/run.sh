#!/usr/bin/env bash
# Runs nixcfg and nix-instantiate side by side on each workload in
# workloads/, interleaved round by round (bench/side_by_side.py), and prints
# the median wall and CPU times and the peak memory of each, with the
# ratios nix / nixcfg (above 1 means nixcfg is faster or smaller) and their
# geometric means.
#   bench/run.sh [ROUNDS]      (needs nix-instantiate and python3)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-15}
command -v nix-instantiate >/dev/null || { echo "install nix-bin" >&2; exit 2; }
cargo build --release -q
export NIX_CONFIG='substituters ='
exec python3 bench/side_by_side.py "$PWD/target/release/nixcfg" "$rounds" bench/workloads/*.nix

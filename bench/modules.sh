#!/usr/bin/env bash
# The module-system benchmark: generated configurations of 100, 1,000 and
# 10,000 users and of 10 and 100 containers (bench/modules/config.nix),
# evaluated by nixcfg and, with the same lib, by nix-instantiate. Prints
# time and peak memory of each and nixcfg's growth per 10x.
#   bench/modules.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
cargo build --release -q
nixcfg=$PWD/target/release/nixcfg
export NIX_CONFIG='substituters ='
# nixcfg's lib as files, for nix-instantiate's -I.
$nixcfg eval -E 'builtins.toString <nixcfg/lib>' >/dev/null
lib=$(dirname "$($nixcfg eval -E 'builtins.toString <nixcfg/lib>' | tr -d '"')")
cfg=bench/modules/config.nix

measure() { # prints "mean_ms peak_KiB" for a command
    local json; json=$(mktemp)
    hyperfine -N -w 1 -r "$runs" --export-json "$json" "$*" >/dev/null 2>&1
    local ms; ms=$(python3 -c 'import json,sys; print("%.1f" % (json.load(open(sys.argv[1]))["results"][0]["mean"]*1000))' "$json")
    rm -f "$json"
    local kib; kib=$(/usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1)
    echo "$ms $kib"
}

printf '%-22s %10s %10s %10s %10s\n' configuration nix_ms nixcfg_ms nix_MiB nixcfg_MiB
for spec in "100 0" "1000 0" "10000 0" "100 10" "100 100"; do
    set -- $spec
    read -r nms nkb < <(measure nix-instantiate --eval --strict $cfg --arg users "$1" --arg containers "$2" -I "nixcfg=$lib")
    read -r oms okb < <(measure "$nixcfg" nix-instantiate --eval --strict $cfg --arg users "$1" --arg containers "$2")
    printf '%-22s %10s %10s %10.1f %10.1f\n' "$1 users, $2 containers" "$nms" "$oms" "$(echo "$nkb/1024" | bc -l)" "$(echo "$okb/1024" | bc -l)"
done

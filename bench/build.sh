#!/usr/bin/env bash
# The build benchmark: `nixcfg build` of a generated configuration with
# USERS users and CONTAINERS containers (bench/build/generate.py), and,
# side by side, nix-instantiate evaluating the same embedded modules to
# the same values (bench/build/nix-side.nix: every system's file list,
# users-groups spec, warnings and assertions). Prints time and peak memory.
#   bench/build.sh [USERS] [CONTAINERS] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
users=${1:-1000}
containers=${2:-100}
runs=${3:-3}
cargo build --release -q
nixcfg=$PWD/target/release/nixcfg
export NIX_CONFIG='substituters ='
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 bench/build/generate.py "$users" "$containers" > "$tmp/config.nix"
embedded=$(dirname "$($nixcfg eval -E 'builtins.toString <nixcfg/lib>' | tr -d '"')")

measure() { # prints "mean_s peak_MiB" for a command
    local json="$tmp/h.json"
    hyperfine -N -w 1 -r "$runs" --export-json "$json" "$*" >/dev/null 2>&1
    local s; s=$(python3 -c 'import json,sys; print("%.2f" % json.load(open(sys.argv[1]))["results"][0]["mean"])' "$json")
    local kib; kib=$(/usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1)
    echo "$s $((kib / 1024))"
}

# Both evaluators compute the same values.
nix-instantiate --eval --strict bench/build/nix-side.nix --arg config "$tmp/config.nix" -I "nixcfg=$embedded" > "$tmp/nix.out"
"$nixcfg" nix-instantiate --eval --strict bench/build/nix-side.nix --arg config "$tmp/config.nix" > "$tmp/nixcfg.out"
cmp -s "$tmp/nix.out" "$tmp/nixcfg.out" || { echo "nix and nixcfg disagree" >&2; exit 1; }

read -r bs bm < <(measure "$nixcfg" build "$tmp/config.nix" -o "$tmp/result")
read -r ns nm < <(measure nix-instantiate --eval --strict bench/build/nix-side.nix --arg config "$tmp/config.nix" -I "nixcfg=$embedded")
read -r es em < <(measure "$nixcfg" nix-instantiate --eval --strict bench/build/nix-side.nix --arg config "$tmp/config.nix")
echo "$users users, $containers containers ($(wc -l < "$tmp/config.nix") lines), $runs runs"
printf '%-44s %8s %10s\n' command seconds peak_MiB
printf '%-44s %8s %10s\n' "nixcfg build (check + evaluate + write)" "$bs" "$bm"
printf '%-44s %8s %10s\n' "nix-instantiate (evaluate only)" "$ns" "$nm"
printf '%-44s %8s %10s\n' "nixcfg nix-instantiate (evaluate only)" "$es" "$em"
echo "ratio nix/nixcfg (evaluate only): time $(echo "scale=2; $ns/$es" | bc), memory $(echo "scale=2; $nm/$em" | bc)"

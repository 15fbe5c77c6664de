#!/usr/bin/env bash
# The operations the module system is made of (calls with and without
# formals, `//` of small sets, `or`, `rec`, mapAttrs, zipAttrsWith,
# concatMap, filter, type tests, interpolation), each repeated 10^5-10^6
# times (bench/primitives/), run by nix-instantiate and nixcfg side by
# side. Reports user CPU time less each tool's start-up (the user time of
# evaluating `1`), so the ratio is that of the evaluators' work alone:
# above 1 means nixcfg is faster. Fails if the two print different values.
#   bench/primitives.sh [RUNS]      (needs hyperfine and nix-instantiate)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-7}
cargo build --release -q
nixcfg=$PWD/target/release/nixcfg
export NIX_CONFIG='substituters ='
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

user_ms() { # mean user time of a command, in ms
    hyperfine -N -w 1 -r "$runs" --export-json "$tmp/h.json" "$*" >/dev/null 2>&1
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["user"]*1000)' "$tmp/h.json"
}
nix0=$(user_ms nix-instantiate --eval --strict -E 1)
ours0=$(user_ms "$nixcfg" nix-instantiate --eval --strict -E 1)
printf '%-16s %10s %10s %7s\n' primitive nix_ms nixcfg_ms ratio
for w in bench/primitives/*.nix; do
    name=$(basename "$w" .nix)
    a=$(nix-instantiate --eval --strict "$w")
    b=$("$nixcfg" nix-instantiate --eval --strict "$w")
    [ "$a" = "$b" ] || { echo "$name: nix printed $a, nixcfg $b" >&2; exit 1; }
    n=$(user_ms nix-instantiate --eval --strict "$w")
    o=$(user_ms "$nixcfg" nix-instantiate --eval --strict "$w")
    python3 -c 'import sys; name,n,o,n0,o0=sys.argv[1:]; n=float(n)-float(n0); o=float(o)-float(o0); print("%-16s %10.1f %10.1f %6.2fx" % (name, n, o, n/o))' "$name" "$n" "$o" "$nix0" "$ours0"
done

#!/usr/bin/env bash
# Runs nixcfg and nix-instantiate side by side on each workload in
# workloads/ and prints time and peak-memory ratios (nix / nixcfg: above 1
# means nixcfg is faster or smaller), with the geometric means.
#   bench/run.sh [RUNS]      (needs hyperfine and nix-instantiate)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
command -v hyperfine >/dev/null || { echo "install hyperfine (apt-get install hyperfine)" >&2; exit 2; }
command -v nix-instantiate >/dev/null || { echo "install nix-bin" >&2; exit 2; }
cargo build --release -q
nixcfg=$PWD/target/release/nixcfg
export NIX_CONFIG='substituters ='
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

peak_kb() { # peak RSS of one run, in KiB
    /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1
}

printf '%-24s %10s %10s %7s %10s %10s %7s\n' workload nix_ms nixcfg_ms speed nix_MiB nixcfg_MiB memory
for w in bench/workloads/*.nix; do
    name=$(basename "$w" .nix)
    hyperfine -N -w 1 -r "$runs" --export-json "$tmp/$name.json" \
        "nix-instantiate --eval --strict $w" "$nixcfg nix-instantiate --eval --strict $w" >/dev/null 2>&1
    read -r tn to < <(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"]; print(r[0]["median"]*1000, r[1]["median"]*1000)' "$tmp/$name.json")
    mn=$(peak_kb nix-instantiate --eval --strict "$w")
    mo=$(peak_kb "$nixcfg" nix-instantiate --eval --strict "$w")
    echo "$name $tn $to $mn $mo" >> "$tmp/all"
    python3 -c 'import sys; n,tn,to,mn,mo=sys.argv[1:]; tn,to,mn,mo=map(float,(tn,to,mn,mo)); print("%-24s %10.1f %10.1f %6.2fx %10.1f %10.1f %6.2fx" % (n,tn,to,tn/to,mn/1024,mo/1024,mn/mo))' "$name" "$tn" "$to" "$mn" "$mo"
done
python3 - "$tmp/all" <<'PY'
import math, sys
rows = [l.split() for l in open(sys.argv[1])]
g = lambda xs: math.exp(sum(map(math.log, xs)) / len(xs))
speed = g([float(r[1]) / float(r[2]) for r in rows])
mem = g([float(r[3]) / float(r[4]) for r in rows])
print("%-24s %32s %6.2fx %32s %6.2fx" % ("geometric mean", "", speed, "", mem))
PY

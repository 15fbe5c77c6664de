#!/usr/bin/env bash
# The `nixcfg check` benchmark: a corpus of at least 1,000 Nix files (the
# shared conformance corpora, the examples and the test fixtures, copied
# until there are 1,000), checked by `nixcfg check` and, side by side, by
# deadnix (from crates.io, installed under bench/.tools when missing), which
# only looks for unused bindings. Prints time and peak memory.
#   bench/check.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
cargo build --release -q
nixcfg=$PWD/target/release/nixcfg
deadnix=$(command -v deadnix || true)
if [ -z "$deadnix" ]; then
    [ -x bench/.tools/bin/deadnix ] || cargo install -q deadnix --root bench/.tools
    deadnix=$PWD/bench/.tools/bin/deadnix
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/corpus"
i=0
files=$(find ../shared/conformance examples grammar-tests/fixtures -name '*.nix' -size -200k | sort)
while [ "$i" -lt 1000 ]; do
    for f in $files; do
        i=$((i + 1))
        # Not named configuration.nix: check lints and scope-checks every
        # file; evaluating configurations is a different benchmark.
        cp "$f" "$tmp/corpus/$i-$(basename "$f" .nix | tr -c 'a-zA-Z0-9-' _).nix"
    done
done
count=$(find "$tmp/corpus" -name '*.nix' | wc -l)
bytes=$(cat "$tmp/corpus"/*.nix | wc -c)
echo "corpus: $count files, $bytes bytes; $(nproc) cores; $runs runs"
hyperfine -N -w 1 -r "$runs" -i --export-json "$tmp/h.json" \
    "$nixcfg check --format json $tmp/corpus" \
    "$deadnix $tmp/corpus" >/dev/null
python3 - "$tmp/h.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
for x in r:
    name = "nixcfg check" if "nixcfg" in x["command"].split()[0] else "deadnix"
    print("%-14s %8.1f ms ± %5.1f" % (name, x["mean"] * 1000, x["stddev"] * 1000))
print("ratio deadnix/nixcfg: %.2f" % (r[1]["mean"] / r[0]["mean"]))
PY
for cmd in "$nixcfg check --format json $tmp/corpus" "$deadnix $tmp/corpus"; do
    kib=$({ /usr/bin/time -f %M $cmd 2>&1 >/dev/null || true; } | tail -1)
    echo "peak memory $(basename "${cmd%% *}"): $((kib / 1024)) MiB"
done

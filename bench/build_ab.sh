#!/usr/bin/env bash
# A/B of caliby binaries building the same index: each round builds it once with every binary,
# alternating, so this shared machine's drift touches them all alike; each build is the whole
# `insert` command into a fresh directory (2 threads), and the script ends with each binary's
# median. DATA is a directory with base.fvecs (the layout ../shared/bench/synth.py and embed.py write).
#
# usage: bench/build_ab.sh DATA KIND ROUNDS BIN...
# KIND is an HNSW quantization (none, int8, ...) or, starting with a dash, the `create` options:
#   bench/build_ab.sh /work/bench-data/syn1m int8 3 old/caliby new/caliby
#   bench/build_ab.sh /work/bench-data/syn100k-128 "--type diskann --pq-bytes 0" 3 old/caliby new/caliby
set -euo pipefail
data=$1 kind=$2 rounds=$3
if [[ $kind == -* ]]; then read -ra create_options <<<"$kind"; else create_options=(--quantization "$kind"); fi
shift 3
read -r dimensions count < <(python3 -c 'import os, struct, sys
path = os.path.join(sys.argv[1], "base.fvecs")
with open(path, "rb") as f:
    d = struct.unpack("<i", f.read(4))[0]
print(d, os.path.getsize(path) // (4 * (d + 1)))' "$data")
work=$(mktemp -d /tmp/build-ab.XXXX)
trap 'rm -rf "$work"' EXIT
for r in $(seq "$rounds"); do
  for bin in "$@"; do
    rm -rf "$work/db"
    "$bin" --dir "$work/db" init >/dev/null
    "$bin" --dir "$work/db" create v --dim "$dimensions" --max-elements "$count" "${create_options[@]}" >/dev/null
    start=$(date +%s%N)
    "$bin" --dir "$work/db" insert v "$data/base.fvecs" --threads 2 --quiet
    end=$(date +%s%N)
    seconds=$(python3 -c 'import sys; print(f"{(int(sys.argv[2]) - int(sys.argv[1])) / 1e9:.2f}")' "$start" "$end")
    echo "round $r  $bin  $seconds s"
    echo "$bin $seconds" >>"$work/times"
  done
done
python3 -c 'import statistics, sys
times = {}
for line in open(sys.argv[1]):
    bin, seconds = line.split()
    times.setdefault(bin, []).append(float(seconds))
for bin, t in times.items():
    print(f"median  {bin}  {statistics.median(t):.2f} s  ({len(t)} builds)")' "$work/times"

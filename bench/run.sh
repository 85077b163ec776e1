#!/usr/bin/env bash
# Side-by-side benchmark: caliby against hnswlib, FAISS and USearch on the same files, in one run.
#   bench/run.sh [N] [DIM]      (default 1000000 128; CALIBY_PEERS=hnswlib,faiss limits the peers)
# Everyone searches the same ef grid (CALIBY_EFS), fine around recall 0.95 so that "QPS at recall
# >= 0.95" (the fastest setting reaching it) does not depend on where a coarse grid happens to fall.
# Needs ../shared/bench (synth.py, peers.py) beside the checkout, python3 and network access to PyPI
# for the peers. Data and the venv live outside the repository ($CALIBY_BENCH_HOME, default /tmp).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
dim=${2:-128}
efs=${CALIBY_EFS:-16,24,32,36,40,44,48,56,64,72,80,96,128,256}
home=${CALIBY_BENCH_HOME:-/tmp/caliby-bench}
shared=${CALIBY_SHARED:-../shared/bench}
venv=$home/venv
data=$home/synth-$n-$dim
mkdir -p "$home"
# The marker is written only after pip succeeded: a failed install is retried, not taken as done.
if [ ! -f "$venv/.installed" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q numpy hnswlib faiss-cpu usearch
    touch "$venv/.installed"
fi
[ -f "$data/groundtruth.ivecs" ] || "$venv/bin/python" "$shared/synth.py" "$data" --n "$n" --dim "$dim" --queries 1000
swift build -c release
echo "## $(date -u +%Y-%m-%dT%H:%MZ) — $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
"$venv/bin/python" bench/caliby_bench.py "$data" --caliby .build/release/caliby --efs "$efs"
# The peers' OpenBLAS settings here slow numpy; the peers' own HNSW code does not use BLAS.
"$venv/bin/python" "$shared/peers.py" "$data" --libs "${CALIBY_PEERS:-hnswlib,faiss,usearch}" --efs "$efs"

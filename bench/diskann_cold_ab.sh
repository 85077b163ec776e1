#!/usr/bin/env bash
# A/B of two caliby binaries searching one DiskANN index cold through a small buffer pool: the OS
# page cache is dropped before every run (root), the binaries alternate, each run prints recall,
# QPS, bytes read and peak RSS. The index is built by NEW (so both must read its format).
#
# usage: bench/diskann_cold_ab.sh BASE NEW DATA [ROUNDS] [QUERIES] [BUFFER] ["WIDTH:L ..."]
#   DATA holds base.fvecs, query.fvecs, groundtruth.ivecs; the first QUERIES (100) queries are used.
set -euo pipefail
base=$1 new=$2 data=$3 rounds=${4:-3} queries=${5:-100} buffer=${6:-8M} runs=${7:-"1:50 4:64 8:64"}
work=$(mktemp -d /tmp/diskann-cold-ab.XXXX)
trap 'rm -rf "$work"' EXIT
python3 - "$data" "$work" "$queries" <<'PY'
import struct, sys
data, work, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
for src, dst in (('query.fvecs', 'q.fvecs'), ('groundtruth.ivecs', 'gt.ivecs')):
    raw = open(f'{data}/{src}', 'rb').read()
    dim = struct.unpack('<i', raw[:4])[0]
    open(f'{work}/{dst}', 'wb').write(raw[:(4 + 4 * dim) * n])
PY
dim=$(python3 -c "import struct;print(struct.unpack('<i',open('$data/base.fvecs','rb').read(4))[0])")
n=$(( $(stat -c %s "$data/base.fvecs") / (4 * (dim + 1)) ))
"$new" init --dir "$work/db" >/dev/null
"$new" create v --dir "$work/db" --type diskann --dim "$dim" --max-elements "$n" >/dev/null
"$new" insert v "$data/base.fvecs" --dir "$work/db" --threads 2 --quiet
for r in $(seq "$rounds"); do
  for run in $runs; do
    width=${run%:*} L=${run#*:}
    for bin in "$base" "$new"; do
      sync; echo 3 > /proc/sys/vm/drop_caches
      out=$("$bin" search v --dir "$work/db" --file "$work/q.fvecs" --groundtruth "$work/gt.ivecs" -k 10 --L "$L" \
            --beam-width "$width" --buffer-size "$buffer" --format tsv --stats 2>&1)
      row=$(grep -P '^10\t' <<<"$out")
      echo "$(basename "$bin") width $width L $L: recall $(cut -f3 <<<"$row") qps $(cut -f4 <<<"$row")," \
           "$(grep -oP '[0-9.]+ [KMG]?i?B read' <<<"$out" | head -1), $(grep -oP 'peak RSS [0-9.]+ MiB' <<<"$out")"
    done
  done
done

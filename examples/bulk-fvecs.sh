#!/usr/bin/env bash
# A bulk load: generate a clustered .fvecs set with its true nearest neighbours (make-vectors.py,
# standard-library Python), load it (with a progress bar when standard error is a terminal), and
# measure recall@10 with `caliby search --groundtruth`.
#
# usage: examples/bulk-fvecs.sh [COUNT]   (default: 5000 vectors of 24 dimensions)
#   CALIBY      the caliby binary (default: caliby on PATH)
#   CALIBY_DIR  the data directory (default: a temporary one, removed at the end)
source "$(dirname "$0")/setup.bash"
count=${1:-5000}

python3 make-vectors.py "$work/set" --count "$count" --dim 24 --queries 50 -k 10

"$caliby" init
"$caliby" create bulk --dim 24 --max-elements "$count"
"$caliby" insert bulk "$work/set/base.fvecs"

echo "--- recall@10 of 50 queries"
"$caliby" search bulk --file "$work/set/queries.fvecs" --groundtruth "$work/set/groundtruth.ivecs" \
    -k 10 --ef 64 --format tsv | tee "$work/recall.tsv"
recall=$(awk -F '\t' 'NR == 2 { print $3 }' "$work/recall.tsv")
if ! awk -v recall="$recall" 'BEGIN { exit !(recall >= 0.9) }'; then
    echo "recall@10 is $recall, expected at least 0.9" >&2
    exit 1
fi
echo "recall@10 = $recall"

"$caliby" drop bulk

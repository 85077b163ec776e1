#!/usr/bin/env bash
# Writes NAME/ (format-3 now): a small data directory written by the current formats (catalog 1,
# HNSW 3 with int8 codes on cache lines in h and docs, DiskANN 3, document file 1, text index 1), and
# the outputs FormatFixtureTests expects of it (format-1 was written before h had codes, with DiskANN 2;
# format-2 with HNSW 2 in h, codes not aligned, and HNSW 1 in docs). Run it
# only when a new format version is introduced, into a new directory (format-N/), and keep the
# old ones: FormatFixtureTests proves that every committed fixture still opens, checks, lists and
# searches as it did. The vectors are computed here, so the script needs nothing but caliby.
#
# A fixture records what an older caliby wrote, so an existing one is never overwritten unless
# --replace says so (only while its format is still the current one).
#
# usage: CALIBY=.build/release/caliby Tests/CalibyCLITests/Fixtures/generate.sh [--replace] NAME
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
caliby=${CALIBY:-caliby}
replace=false
if [[ ${1:-} == --replace ]]; then replace=true; shift; fi
name=${1:?usage: generate.sh [--replace] NAME (e.g. format-3)}
out=$here/$name
if [[ -e $out ]] && ! $replace; then
    echo "generate.sh: $out exists; it records an older format and must stay (--replace only while it is current)" >&2
    exit 1
fi
rm -rf "$out"
mkdir -p "$out"
data=$out/data
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 40 points on a 4-d lattice, as CSV rows "id,x,y,z,w", and JSON lines with fields for the text index.
for i in $(seq 0 39); do
    echo "$i,$((i % 5)),$((i / 5 % 4)),$((i % 3)),$((i % 7))"
done > "$work/points.csv"
words=(alpha beta gamma delta epsilon)
for i in $(seq 0 39); do
    printf '{"id": %d, "vector": [%d, %d, %d, %d], "title": "%s lock %d", "year": %d}\n' \
        "$i" $((i % 5)) $((i / 5 % 4)) $((i % 3)) $((i % 7)) "${words[i % 5]}" "$i" $((2000 + i % 10))
done > "$work/docs.jsonl"
printf '1,1,1,1\n4,3,2,6\n' > "$work/queries.csv"

export CALIBY_DIR=$data
"$caliby" init >/dev/null
"$caliby" create h --dim 4 --max-elements 64 --quantization int8 >/dev/null
"$caliby" insert h "$work/points.csv" --id-column 1 --threads 1 --quiet
"$caliby" create a --type diskann --dim 4 --max-elements 64 >/dev/null
"$caliby" insert a "$work/points.csv" --id-column 1 --quiet
"$caliby" create docs --dim 4 --max-elements 64 --field title:text --field year:int --index-field year >/dev/null
"$caliby" insert docs "$work/docs.jsonl" --threads 1 --quiet
"$caliby" delete h 7 >/dev/null 2>&1
rm -f "$data/.caliby.lock"

# The expected outputs; `bytes` (disk usage, which a checkout changes) is left out of list.
"$caliby" list --format tsv | cut -f 1-6,8 > "$out/list.tsv"
for index in h a docs; do
    "$caliby" search "$index" --file "$work/queries.csv" -k 5 --format tsv > "$out/search-$index.tsv"
done
cp "$work/queries.csv" "$out/queries.csv"
"$caliby" search docs --text 'gamma lock' -k 5 --fields title,year --format tsv > "$out/text-docs.tsv"
"$caliby" get docs 3 12 --format tsv > "$out/get-docs.tsv"
rm -f "$data/.caliby.lock"
du -sh "$out"

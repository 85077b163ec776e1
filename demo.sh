#!/usr/bin/env bash
# The main job: build caliby, then load the embedded sample set into a fresh data directory, search
# it, and show what is on disk.  Usage: ./demo.sh [DATA_DIR]   (default: ./demo-data)
# CALIBY=path runs that binary instead of building one (CI passes the binary it just tested).
set -euo pipefail
cd "$(dirname "$0")"
if [ -z "${CALIBY:-}" ]; then
    swift build -c release
    CALIBY=.build/release/caliby
fi
caliby=$CALIBY
dir=${1:-./demo-data}
# The directory is replaced: refuse anything but a Caliby directory (or nothing) there.
if [ -e "$dir" ] && [ ! -f "$dir/caliby_catalog" ]; then
    echo "demo.sh: $dir exists and is not a Caliby data directory; give another path" >&2
    exit 1
fi
sample=examples/data/sample.fvecs
queries=examples/data/sample-queries.fvecs
truth=examples/data/sample-groundtruth.ivecs

rm -rf "$dir"
"$caliby" init --dir "$dir"
"$caliby" create demo --dir "$dir" --dim 32 --max-elements 2000 --metric l2
# One build thread: threads that insert in parallel link the graph in an order the scheduler picks,
# so recall would differ from run to run; single-threaded, every run prints the same hits and recall
# (only qps varies). 2000 vectors take a fraction of a second either way.
"$caliby" insert demo "$sample" --dir "$dir" --threads 1
echo "--- three nearest neighbours of the first query (its 4 + 32·4 bytes, on standard input)"
head -c 132 "$queries" | "$caliby" search demo --dir "$dir" --file - --input-format fvecs -k 3 --format table
echo "--- recall@10 over all queries at two settings"
"$caliby" search demo --dir "$dir" --file "$queries" --groundtruth "$truth" --ef 16 --format table
"$caliby" search demo --dir "$dir" --file "$queries" --groundtruth "$truth" --ef 64 --format table
echo "--- documents: products with fields, the 3 nearest to product 0 that cost under 50"
"$caliby" create shop --dir "$dir" --dim 8 --max-elements 1000 \
    --field title:text --field category:string --field price:float --field year:int --field tags:string[]
"$caliby" insert shop examples/data/products.jsonl --dir "$dir" --threads 1
"$caliby" search shop --dir "$dir" --vector "$(head -1 examples/data/products.jsonl | sed 's/.*"vector": \[\([^]]*\)\].*/\1/')" \
    -k 3 --where "price < 50" --fields title,category,price --format table
echo "--- full text: titles with 'wireless' and 'headphones' (BM25), then the same words fused with the vector search"
"$caliby" search shop --dir "$dir" --text "wireless headphones" -k 3 --fields title,price --format table
"$caliby" search shop --dir "$dir" --vector "$(head -1 examples/data/products.jsonl | sed 's/.*"vector": \[\([^]]*\)\].*/\1/')" \
    --text "+wireless headphones" --hybrid rrf -k 3 --fields title --format table
echo "--- the directory"
"$caliby" list --dir "$dir" --format table
"$caliby" check --dir "$dir"
ls -la "$dir"

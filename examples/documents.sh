#!/usr/bin/env bash
# Documents: an index whose vectors carry typed fields, loaded from JSON lines, searched with a
# --where filter that prints fields beside the hits, searched by keywords, read back by id, changed
# without touching the vectors, and given a secondary index.
#
# usage: examples/documents.sh
#   CALIBY      the caliby binary (default: caliby on PATH)
#   CALIBY_DIR  the data directory (default: a temporary one, removed at the end)
source "$(dirname "$0")/setup.bash"

"$caliby" init
"$caliby" create shop --dim 8 --max-elements 1000 \
    --field title:text --field category:string! --field price:float --field year:int --field tags:string[]
"$caliby" insert shop data/products.jsonl

query=$(head -1 data/products.jsonl | sed 's/.*"vector": \[\([^]]*\)\].*/\1/')
echo "--- the 5 nearest products under 50 with the tag 'sale'"
"$caliby" search shop --vector "$query" -k 5 --where "price < 50 AND tags CONTAINS 'sale'" \
    --fields title,category,price --format table

echo "--- keyword search over the titles (text fields are full-text indexed), with a filter"
"$caliby" search shop --text '"wireless headphones" portable' -k 3 --where "price < 80" --fields title,price --format table

echo "--- two documents by id, then a price changed"
"$caliby" get shop 0 1 --format table
"$caliby" update shop 1 --set price=9.99 --set tags='["sale","gift"]'
"$caliby" get shop 1 --fields price,tags --format jsonl

echo "--- a secondary index on year; the same filter reads only the matching documents"
"$caliby" index shop year
"$caliby" get shop --where "year >= 2025 AND category IN ('audio', 'books')" --fields title,year --limit 3 --format table
"$caliby" check

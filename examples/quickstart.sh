#!/usr/bin/env bash
# Quick start: a data directory, an index, the shipped sample set (2000 vectors of 32 floats), a
# search, the list of indexes, and the index dropped again.
#
# usage: examples/quickstart.sh
#   CALIBY      the caliby binary (default: caliby on PATH)
#   CALIBY_DIR  the data directory (default: a temporary one, removed at the end)
source "$(dirname "$0")/setup.bash"

"$caliby" init
"$caliby" create quickstart --dim 32 --max-elements 2000 --metric l2
"$caliby" insert quickstart data/sample.fvecs

echo "--- the 3 nearest neighbours of each of the first two sample queries"
"$caliby" search quickstart --file data/sample-queries.fvecs -k 3 --format table | sed -n 1,7p

echo "--- the indexes"
"$caliby" list --format table

"$caliby" drop quickstart
echo "--- dropped; indexes left: $("$caliby" list --names-only | wc -l)"

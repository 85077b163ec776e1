#!/usr/bin/env bash
# CSV in, JSON out, plain shell in between: load colours (id, red, green, blue, family label) from
# CSV, look up the nearest colours of a few queries, and turn the JSON results into named rows with
# sed and awk only (no jq).
#
# usage: examples/csv-pipeline.sh
#   CALIBY      the caliby binary (default: caliby on PATH)
#   CALIBY_DIR  the data directory (default: a temporary one, removed at the end)
source "$(dirname "$0")/setup.bash"

"$caliby" init
# DiskANN keeps labels, so a search can be limited to one colour family.
"$caliby" create colors --type diskann --dim 3 --max-elements 100 --R 16 --L 50
# The header line is skipped; column 1 is the id and column 5 the labels, the rest is the vector.
"$caliby" insert colors data/colors.csv --id-column 1 --labels-column 5

"$caliby" search colors --file data/color-queries.csv -k 2 --format json >"$work/hits.json"

# Each hit is one object on its own line: {"query":0,"rank":1,"id":12,"distance":125.0}
echo "--- nearest colours (query red,green,blue)"
sed -n 's/.*"query":\([0-9]*\),"rank":\([0-9]*\),"id":\([0-9]*\),"distance":\([^}]*\)}.*/\1 \2 \3 \4/p' "$work/hits.json" |
    awk -F, '
        FILENAME == "data/color-names.csv" { if (FNR > 1) name[$1] = $2; next }
        FILENAME == "data/color-queries.csv" { if (FNR > 1) query[FNR - 2] = $0; next }
        { split($0, hit, " "); printf "%-12s rank %s: %-12s (distance %s)\n", query[hit[1]], hit[2], name[hit[3]], hit[4] }
    ' data/color-names.csv data/color-queries.csv -

# Only colours of family 1 (the reds), however close the others are.
echo "--- nearest reds to orange (255,165,0), filtered by label"
"$caliby" search colors --vector 255,165,0 -k 2 --filter 1 --format csv

"$caliby" drop colors

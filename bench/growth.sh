#!/bin/sh
# man20k (cosine, HNSW defaults): vacuum, slot reuse and resize, BENCHMARKS.md "Growth and compaction".
# usage: bench/growth_truth.py DIR, then bench/growth.sh CALIBY DIR (DIR defaults to /tmp/rz)
set -e
C=$1; D=${MAN20K:-/work/bench-data/man20k}; R=${2:-/tmp/rz}; W=$(mktemp -d); X=$W/x
T="/usr/bin/time -f %es"
rc() { $C search v --file $D/query.fvecs --groundtruth $1 -k 10 --dir $2 --format tsv | tail -1; }
size() { du -k --apparent-size $1/index_* | awk '{s+=$1} END {print s " KiB apparent"}'; du -k $1/index_* | awk '{s+=$1} END {print s " KiB allocated"}'; }
$C init --dir $X >/dev/null
$C create v --dim 384 --max-elements 20000 --metric cosine --dir $X
$T $C insert v $D/base.fvecs --threads 2 --quiet --dir $X
echo "full build: $(rc $D/groundtruth.ivecs $X)"; size $X
$C delete v --ids-file $R/oddold.ids --dir $X
cp -r $X $W/reuse
echo "odd half deleted: $(rc $R/half.ivecs $X)"; size $X
$T $C vacuum v --dir $X
echo "vacuumed: $(rc $R/half.ivecs $X)"; size $X
$C check --dir $X >/dev/null && echo "check ok"
$T $C insert v $R/odd.fvecs --ids $R/odd.ids --threads 2 --quiet --dir $W/reuse
echo "odd half re-inserted into the deleted slots: $(rc $R/reuse.ivecs $W/reuse)"; size $W/reuse
$C check --dir $W/reuse >/dev/null && echo "check ok"
Y=$W/y; $C init --dir $Y >/dev/null
$C create v --dim 384 --max-elements 10000 --metric cosine --dir $Y
$C insert v $R/first.fvecs --threads 2 --quiet --dir $Y
$T $C resize v --max-elements 20000 --dir $Y
$T $C insert v $R/second.fvecs --ids $R/second.ids --threads 2 --quiet --dir $Y
echo "resized 10k→20k and filled: $(rc $D/groundtruth.ivecs $Y)"; size $Y
$C check --dir $Y >/dev/null && echo "check ok"
rm -rf $W

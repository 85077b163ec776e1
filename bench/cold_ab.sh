#!/usr/bin/env bash
# A/B of caliby binaries searching an existing index cold: before every run the directory's files are
# dropped from the page cache (posix_fadvise DONTNEED, no root needed), the binaries alternate, and
# each run prints its wall time, the search phase and bytes read of --stats, peak RSS, and a hash of
# its output, which must agree between binaries that should answer alike.
#
# usage: bench/cold_ab.sh DIR BUFFER ROUNDS INDEX "SEARCH OPTIONS" BIN...
#   bench/cold_ab.sh db 100M 3 v "--file q100.fvecs --L 64 --distances exact" old/caliby new/caliby
#   bench/cold_ab.sh db 40M 3 v "--file q100.fvecs --ef 64 --where 'group < 10'" old/caliby new/caliby
set -euo pipefail
dir=$1 buffer=$2 rounds=$3 index=$4 options=$5
shift 5
stats=$(mktemp /tmp/cold-ab.XXXX)
trap 'rm -f "$stats"' EXIT
eval "args=($options)"
for r in $(seq "$rounds"); do
  for bin in "$@"; do
    python3 -c 'import os, sys
for n in os.listdir(sys.argv[1]):
    fd = os.open(os.path.join(sys.argv[1], n), os.O_RDONLY)
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    os.close(fd)' "$dir"
    start=$(date +%s%N)
    hash=$("$bin" --dir "$dir" --buffer-size "$buffer" search "$index" "${args[@]}" --format tsv --stats \
           --stats-format json 2>"$stats" | md5sum | cut -c1-8)
    end=$(date +%s%N)
    python3 -c 'import json, sys
s = json.loads(next(l for l in open(sys.argv[1]) if l.startswith("{")))
search, read, rss = s["phases"]["search"] * 1e3, s["bytes_read"] / 2**20, s["peak_rss_bytes"] / 2**20
print(f"{sys.argv[2]:<24} wall {int(sys.argv[3]) / 1e6:6.0f} ms  search {search:6.0f} ms  MiB read {read:7.1f}  "
      f"peak RSS {rss:5.1f} MiB  output {sys.argv[4]}")' \
      "$stats" "$bin" $((end - start)) "$hash"
  done
done

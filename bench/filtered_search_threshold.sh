#!/usr/bin/env bash
# Filtered search: QPS (one thread) and recall@10 of the exact and graph paths at each selectivity,
# for HNSW and DiskANN, on N x 128 clustered vectors (FilteredSearchBenchmark; figures in BENCHMARKS.md).
#   bench/filtered_search_threshold.sh [N]      (default 100000; ≈ 10 min on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
CALIBY_FILTERED_BENCH=${1:-100000} swift test -c release -Xswiftc -enable-testing --disable-swift-testing \
    --filter FilteredSearchBenchmark 2>&1 | grep -E '^(##|\|)'

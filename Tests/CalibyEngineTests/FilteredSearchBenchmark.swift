import Foundation
import XCTest
@testable import CalibyEngine

/// The measurement behind `FilteredPath.choose` (figures in FilteredSearch.swift and BENCHMARKS.md):
/// QPS (one thread) and recall@10 of each path at each selectivity, on N × 128 clustered vectors
/// with the default build and search parameters. Skipped unless CALIBY_FILTERED_BENCH gives N:
///
///     bench/filtered_search_threshold.sh 100000
final class FilteredSearchBenchmark: XCTestCase {
    private let d = 128
    private let queryCount = 300
    private let selectivities = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0]

    func testPathsAtEverySelectivity() throws {
        guard let n = ProcessInfo.processInfo.environment["CALIBY_FILTERED_BENCH"].flatMap(Int.init) else {
            throw XCTSkip("set CALIBY_FILTERED_BENCH to the number of points to run this benchmark")
        }
        // Queries drawn from the same clusters as the points, as real queries resemble the data.
        let all = clusteredVectors(count: n + queryCount, dimensions: d, clusters: 100, seed: 7)
        let base = Array(all[0..<n * d]), queries = Array(all[(n * d)...])
        let pool = try BufferPool(budgetBytes: 4 << 30)
        for type in [IndexType.hnsw, .diskann] {
            let (db, index) = try newFilteredIndex(self, type: type, dimensions: d, capacity: n, pool: pool, small: false)
            let started = Date()
            _ = try index.insert(batch(base, dimensions: d), options: InsertOptions(threads: 2))
            print("## \(type) \(n) × \(d), built in \(Int(Date().timeIntervalSince(started))) s")
            print("| allowed | path | list | QPS | recall@10 |")
            for selectivity in selectivities {
                let allowed = NodeSet(capacity: n)
                for node in 0..<n where sampled(node, selectivity) { allowed.insert(node) }
                let (exact, exactQPS) = try timed { try searchAll(index, queries, allowed: { _ in allowed }, path: .exact) }
                let truth = exact.map { $0.map(\.id) }
                let label = "\(selectivity * 100) % (\(allowed.count))"
                print("| \(label) | exact | – | \(Int(exactQPS)) | 1 |")
                for list in lists(type) {
                    let (found, qps) = try timed {
                        try searchAll(index, queries, allowed: { _ in allowed }, path: .graph, parameters: parameters(list))
                    }
                    print("| \(label) | graph | \(list) | \(Int(qps)) | \(String(format: "%.4f", recall(found, truth))) |")
                }
                // With everything allowed, the unfiltered search beside it: what the filter costs.
                for list in lists(type) where allowed.count == n {
                    let (found, qps) = try timed { try search(index, queries) { _ in parameters(list) } }
                    print("| \(label) | unfiltered search | \(list) | \(Int(qps)) | \(String(format: "%.4f", recall(found, truth))) |")
                }
                let chosen = FilteredPath.choose(allowed: allowed.count, live: index.count, listSize: type == .hnsw ? 64 : 100)
                print("| \(label) | rule: \(chosen) | | | |")
            }
            try db.discardAndClose()
        }
    }

    /// The default list size and twice it (the rule's √listSize term).
    private func lists(_ type: IndexType) -> [Int] { type == .hnsw ? [64, 128] : [100, 200] }

    private func parameters(_ list: Int) -> SearchParameters {
        var parameters = SearchParameters(k: 10)
        (parameters.ef, parameters.searchL) = (list, list)
        return parameters
    }

    /// The hits of one pass over the queries, and queries per second.
    private func timed(_ run: () throws -> [[SearchHit]]) rethrows -> ([[SearchHit]], Double) {
        let started = Date()
        let found = try run()
        return (found, Double(found.count) / Date().timeIntervalSince(started))
    }
}

import Foundation
import XCTest
@testable import CalibyEngine

/// The filtered search's two paths, each forced, so a small index still exercises the graph path
/// the rule would keep for large allowed sets.
protocol PathForcedSearching: FilteredSearching, PagedIndex {
    func search(_ query: UnsafePointer<Float>, parameters: SearchParameters, allowed: NodeSet,
                path: FilteredPath) throws -> [SearchHit]
}

extension HNSWIndex: PathForcedSearching {}
extension DiskANNIndex: PathForcedSearching {}

/// An index of either type in a new directory, with the build parameters HNSWTests and DiskANNTests
/// use for small indexes unless `small` is false (then the defaults).
func newFilteredIndex(_ test: XCTestCase, type: IndexType, dimensions: Int, capacity: Int, pool: BufferPool = testPool,
                      small: Bool = true) throws -> (Database, GraphIndex) {
    let dir = temporaryDirectory(test)
    try Caliby.initialize(dir)
    let db = try openDatabase(dir, pool: pool)
    var config = IndexConfig(dimensions: dimensions, maxElements: capacity)
    if small {
        config.hnsw = HNSWConfig(M: 16, efConstruction: 100)
        config.diskann = DiskANNConfig(R: 32, L: 64, alpha: 1.2)
    }
    return (db, try db.createIndex(name: "v", type: type, config: config))
}

/// Whether `i` falls in a pseudo-random sample of the given fraction (fixed: splitmix of `i`).
func sampled(_ i: Int, _ fraction: Double) -> Bool { Double(SplitMix.mix(UInt64(i)) >> 11) < fraction * 0x1p53 }

/// Every query of a row-major block through the filtered search (`path` nil: the rule's choice).
func searchAll(_ index: GraphIndex, _ queries: [Float], allowed: (_ query: Int) throws -> NodeSet, path: FilteredPath?,
               parameters: SearchParameters = SearchParameters(k: 10)) throws -> [[SearchHit]] {
    let d = index.info.config.dimensions, forced = index as! any PathForcedSearching
    return try stride(from: 0, to: queries.count, by: d).map { qo in
        let set = try allowed(qo / d)
        return try queries.withUnsafeBufferPointer { q in
            guard let path else { return try forced.search(q.baseAddress! + qo, parameters: parameters, allowed: set) }
            return try forced.search(q.baseAddress! + qo, parameters: parameters, allowed: set, path: path)
        }
    }
}

final class FilteredSearchTests: XCTestCase {
    private let d = 16
    private let n = 3000
    private let queryCount = 60

    /// Points and queries from the same clusters; the points' ids are their row numbers.
    private func data() -> (base: [Float], queries: [Float]) {
        let all = clusteredVectors(count: n + queryCount, dimensions: d, seed: 41)
        return (Array(all[0..<n * d]), Array(all[(n * d)...]))
    }

    private func build(_ type: IndexType, _ base: [Float]) throws -> (Database, GraphIndex) {
        let (db, index) = try newFilteredIndex(self, type: type, dimensions: d, capacity: n)
        _ = try index.insert(batch(base, dimensions: d, ids: (0..<n).map { UInt64($0) }), options: InsertOptions(threads: 2))
        return (db, index)
    }

    /// The set of the nodes holding the rows `keep` accepts.
    private func nodes(_ index: GraphIndex, _ keep: (Int) -> Bool) throws -> NodeSet {
        let paged = index as! any PathForcedSearching, set = NodeSet(capacity: n)
        for row in 0..<n where keep(row) { set.insert(try paged.node(of: UInt64(row))!) }
        return set
    }

    private static let paths: [FilteredPath?] = [nil, .exact, .graph]

    /// Every hit allowed and live, hits sorted, and recall@10 of each path against brute force over
    /// the allowed live rows.
    private func check(_ index: GraphIndex, _ base: [Float], _ queries: [Float],
                       allowedRows: @escaping (_ query: Int, _ row: Int) -> Bool, deleted: Set<Int> = [], _ what: String) throws {
        let sets = try (0..<queryCount).map { q in try nodes(index) { allowedRows(q, $0) } }
        let returnable = { (q: Int, row: Int) in allowedRows(q, row) && !deleted.contains(row) }
        let truth = bruteForce(base: base, queries: queries, dimensions: d, k: 10, keep: returnable)
        for path in Self.paths {
            let found = try searchAll(index, queries, allowed: { sets[$0] }, path: path)
            let context = "\(what), \(String(describing: path))"
            for (q, hits) in found.enumerated() {
                XCTAssertTrue(hits.allSatisfy { returnable(q, Int($0.id)) }, context)
                XCTAssertEqual(hits.map(\.distance), hits.map(\.distance).sorted(), context)
            }
            XCTAssertGreaterThanOrEqual(recall(found, truth), 0.95, context)
        }
    }

    func testEveryPathFindsTheAllowedLiveNeighboursAtEverySelectivity() throws {
        let (base, queries) = data()
        for type in [IndexType.hnsw, .diskann] {
            let (db, index) = try build(type, base)
            let deleted = Set(stride(from: 0, to: n, by: 17))
            XCTAssertEqual(try index.delete(ids: deleted.map { UInt64($0) }), deleted.count)
            for selectivity in [0.01, 0.1, 0.5, 1.0] {
                try check(index, base, queries, allowedRows: { _, row in sampled(row, selectivity) }, deleted: deleted,
                          "\(type) at \(selectivity)")
            }
            try db.discardAndClose()
        }
    }

    /// A filter correlated with distance: for each query the allowed points are the 5 % nearest a
    /// point far from it (a distant cluster), or every point but the 20 % nearest it, so the graph
    /// search starts where nothing is allowed and must walk out.
    func testFiltersCorrelatedWithTheQuery() throws {
        let (base, queries) = data()
        let ranked = (0..<queryCount).map { q in
            bruteForce(base: base, queries: Array(queries[q * d..<(q + 1) * d]), dimensions: d, k: n)[0].map { Int($0) }
        }
        let farCluster = ranked.map { rows in
            Set(bruteForce(base: base, queries: Array(base[rows.last! * d..<(rows.last! + 1) * d]), dimensions: d, k: n / 20)[0]
                .map { Int($0) })
        }
        let near = ranked.map { Set($0.prefix(n / 5)) }
        for type in [IndexType.hnsw, .diskann] {
            let (db, index) = try build(type, base)
            try check(index, base, queries, allowedRows: { farCluster[$0].contains($1) }, "\(type), a far cluster")
            try check(index, base, queries, allowedRows: { !near[$0].contains($1) }, "\(type), all but the query's surroundings")
            try db.discardAndClose()
        }
    }

    func testExactPathIsBruteForceOverTheAllowedSet() throws {
        let (base, queries) = data()
        let admit = { (row: Int) in row % 3 == 0 }
        let truth = bruteForce(base: base, queries: queries, dimensions: d, k: 10) { admit($1) }
        for type in [IndexType.hnsw, .diskann] {
            let (db, index) = try build(type, base)
            let set = try nodes(index, admit)
            let found = try searchAll(index, queries, allowed: { _ in set }, path: .exact)
            XCTAssertEqual(found.map { $0.map(\.id) }, truth, "\(type)")
            try db.discardAndClose()
        }
    }

    func testEmptySetAndDeletedMembersGiveNoHits() throws {
        let (base, queries) = data()
        for type in [IndexType.hnsw, .diskann] {
            let (db, index) = try build(type, base)
            let few = Array(0..<20)
            XCTAssertEqual(try index.delete(ids: few.dropLast(5).map { UInt64($0) }), 15)
            let set = try nodes(index) { few.contains($0) }
            for path in Self.paths {
                let empty = NodeSet(capacity: n)
                XCTAssertTrue(try searchAll(index, queries, allowed: { _ in empty }, path: path).allSatisfy(\.isEmpty))
                for hits in try searchAll(index, queries, allowed: { _ in set }, path: path) {
                    XCTAssertTrue(hits.allSatisfy { $0.id >= 15 && $0.id < 20 }, "\(type), \(String(describing: path))")
                    // The exact path (the rule's choice for so few) finds every live member.
                    if path == nil || path == .exact { XCTAssertEqual(hits.count, 5) }
                }
            }
            try db.discardAndClose()
        }
    }

    /// Labels are DiskANN's own filter, which a node set does not combine with (HNSW has none).
    func testALabelFilterBesideANodeSetIsRefused() throws {
        let (base, queries) = data()
        var parameters = SearchParameters(k: 10)
        parameters.filter = 1
        for type in [IndexType.hnsw, .diskann] {
            let (db, index) = try build(type, base)
            let set = try nodes(index) { _ in true }
            for path in Self.paths {
                XCTAssertThrowsError(try searchAll(index, queries, allowed: { _ in set }, path: path, parameters: parameters)) {
                    guard case .invalidArgument = $0 as? CalibyError else { return XCTFail("\(type): \($0)") }
                }
            }
            try db.discardAndClose()
        }
    }

    func testNodeSetCountsMembersOnceAndIgnoresNodesOutOfRange() {
        let set = NodeSet(capacity: 130)
        for node in [129, 0, 64, 63, 64, 129] { set.insert(node) }
        XCTAssertEqual(set.count, 4)
        var members: [Int] = []
        set.forEach { members.append($0) }
        XCTAssertEqual(members, [0, 63, 64, 129])
        XCTAssertFalse(set.contains(-1))
        XCTAssertFalse(set.contains(130))
        XCTAssertFalse(set.contains(Int.max))
        XCTAssertFalse(set.contains(1))
    }
}

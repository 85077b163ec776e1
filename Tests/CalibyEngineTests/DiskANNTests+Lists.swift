import XCTest
@testable import CalibyEngine

/// The lists back-links take past R wait for one prune before the transaction commits
/// (`DiskANNIndex.shrinkOverfullLists`), which whatever copies the graph runs first too.
extension DiskANNTests {
    private func longestList(_ index: GraphIndex) throws -> Int {
        let diskann = index as! DiskANNIndex
        return try (0..<diskann.checkSnapshot.header.nodeCount).map { try diskann.links(of: $0).count }.max() ?? 0
    }

    private func degree(_ index: GraphIndex) -> Int { (index as! DiskANNIndex).R }

    func testListsPastRArePrunedWhenTheTransactionCommits() throws {
        let (db, index, _) = try newIndex()
        let base = clusteredVectors(count: 3000, dimensions: d, seed: 80)
        // A bulk load, then dynamic inserts: the load's batches, one transaction.
        _ = try index.insert(batch(Array(base[..<(2000 * d)]), dimensions: d), options: InsertOptions(threads: 2))
        _ = try index.insert(batch(Array(base[(2000 * d)...]), dimensions: d, ids: (2000..<3000).map(UInt64.init)),
                             options: InsertOptions(threads: 2))
        XCTAssertGreaterThan(try longestList(index), degree(index), "the inserts leave their lists' prune to the commit")
        try db.flush()
        XCTAssertLessThanOrEqual(try longestList(index), degree(index), "no committed list holds more than R")
        XCTAssertEqual(try index.checkIntegrity(), [])
        let queries = clusteredVectors(count: 50, dimensions: d, seed: 81)
        XCTAssertGreaterThanOrEqual(recall(try run(index, queries), exact(base, queries)), 0.95)
        try db.discardAndClose()
    }

    /// The notes of which lists to prune, a bit per node of the index's capacity, live as long as
    /// the transaction and grow with the index, so they count against the buffer until the commit
    /// prunes the lists and drops them.
    func testTheNotesOfListsToPruneAreChargedToTheBufferUntilTheCommit() throws {
        let pool = try BufferPool(budgetBytes: 64 << 20)
        let capacity = 2_000_000
        let (db, index, _) = try newIndex(capacity: capacity, pool: pool)
        _ = try index.insert(batch(clusteredVectors(count: 2500, dimensions: d, seed: 84), dimensions: d),
                             options: InsertOptions(threads: 2))
        XCTAssertGreaterThan(try longestList(index), degree(index))
        let pending = pool.chargedBytes
        try db.flush()
        XCTAssertGreaterThanOrEqual(pending - pool.chargedBytes, capacity / 8, "released at the commit")
        XCTAssertLessThanOrEqual(try longestList(index), degree(index))
        try db.discardAndClose()
    }

    func testAResizeInTheLoadsTransactionCopiesPrunedLists() throws {
        let (db, index, _) = try newIndex(capacity: 3000)
        _ = try index.insert(batch(clusteredVectors(count: 2500, dimensions: d, seed: 82), dimensions: d), options: InsertOptions(threads: 2))
        XCTAssertGreaterThan(try longestList(index), degree(index))
        try db.resizeIndex("v", maxElements: 6000)
        try db.flush()
        let resized = try db.index(named: "v")
        XCTAssertLessThanOrEqual(try longestList(resized), degree(resized), "the copy was made after the prune")
        XCTAssertEqual(try resized.checkIntegrity(), [])
        try db.discardAndClose()
    }

    func testATemporaryIndexPrunesItsListsAtOnce() throws {
        let index = try TemporaryIndex.make(name: "t", type: .diskann, config: IndexConfig(
            dimensions: d, maxElements: 3000, diskann: DiskANNConfig(R: 32, L: 64)))
        let base = clusteredVectors(count: 3000, dimensions: d, seed: 83)
        _ = try index.insert(batch(Array(base[..<(2000 * d)]), dimensions: d), options: InsertOptions(threads: 2))
        XCTAssertLessThanOrEqual(try longestList(index), degree(index), "a temporary index has no commit to wait for")
        _ = try index.insert(batch(Array(base[(2000 * d)...]), dimensions: d, ids: (2000..<3000).map(UInt64.init)),
                             options: InsertOptions(threads: 2))
        XCTAssertLessThanOrEqual(try longestList(index), degree(index))
    }
}

import Foundation
import XCTest
@testable import CalibyEngine

/// Searches through a pool smaller than the index ask the disk for the records a hop will read
/// before reading the first (`PagedIndex.readAheadRecords`), so a cold hop waits for one round trip,
/// not one per record: HNSW's search, DiskANN's exact one, and both filtered paths of either type.
/// A pool that holds the file asks nothing, and the answers never depend on the asking.
final class ColdReadTests: XCTestCase {
    private let d = 24
    private let n = 1500
    private let queries = clusteredVectors(count: 30, dimensions: 24, seed: 29)
    /// Sixteen 4 KiB pages: a small fraction of either test index (checked in the test).
    private let smallPool = 64 * 1024

    func testHNSWSearchesAskForANodesNeighboursTogether() throws {
        try checkSearchesAskAhead(.hnsw, unfiltered: SearchParameters(k: 10))
    }

    func testDiskANNExactSearchesAskForANodesNeighboursTogether() throws {
        var exact = SearchParameters(k: 10)
        exact.distances = .exact
        try checkSearchesAskAhead(.diskann, unfiltered: exact)
    }

    /// Builds a `type` index, then runs the unfiltered search, the filtered graph path (half the
    /// nodes allowed) and the exact path (a few allowed), each opened afresh through a small pool
    /// and through one that holds the file.
    private func checkSearchesAskAhead(_ type: IndexType, unfiltered: SearchParameters) throws {
        let (db, index) = try newFilteredIndex(self, type: type, dimensions: d, capacity: n)
        _ = try index.insert(batch(clusteredVectors(count: n, dimensions: d, seed: 28), dimensions: d,
                                   ids: (0..<n).map { UInt64($0) }), options: InsertOptions(threads: 2))
        let dir = db.directory, space = try db.space(for: index.info), path = space.path
        func nodes(_ fraction: Double) throws -> NodeSet {
            let paged = index as! any PathForcedSearching, set = NodeSet(capacity: n)
            for row in 0..<n where sampled(row, fraction) { set.insert(try paged.node(of: UInt64(row))!) }
            return set
        }
        let half = try nodes(0.5), few = try nodes(0.03)
        try db.flush()
        XCTAssertGreaterThan(space.pagesInFile * space.pageSize, 4 * smallPool, "the index outgrows the small pool")
        try db.discardAndClose()
        let searches: [(String, (GraphIndex) throws -> [[SearchHit]])] = [
            ("unfiltered", { try search($0, self.queries) { _ in unfiltered } }),
            ("graph path", { try searchAll($0, self.queries, allowed: { _ in half }, path: .graph) }),
            ("exact path", { try searchAll($0, self.queries, allowed: { _ in few }, path: .exact) }),
        ]
        for (name, run) in searches {
            let large = try coldRun(dir, path, poolBytes: 64 << 20, run)
            XCTAssertEqual(large.reads.askedAhead.asks, 0, "\(type) \(name): a pool that holds the file has nothing to ask ahead")
            let small = try coldRun(dir, path, poolBytes: smallPool, run)
            XCTAssertEqual(small.hits, large.hits, "\(type) \(name): the same answers")
            let (reads, readsAsked, asks, asksUnread) = small.reads.askedAhead
            XCTAssertGreaterThan(Double(readsAsked), 0.5 * Double(reads),
                                 "\(type) \(name): most reads were of pages asked ahead (\(readsAsked) of \(reads))")
            XCTAssertLessThan(Double(asksUnread), 0.1 * Double(asks),
                              "\(type) \(name): pages asked ahead and never read, each a wasted disk read (\(asksUnread) of \(asks))")
        }
    }

    /// `run`'s answers on index "v" of `dir` opened afresh with a pool of `poolBytes`, and what it
    /// read and asked ahead of the index's file `path`.
    private func coldRun(_ dir: String, _ path: String, poolBytes: Int, _ run: (GraphIndex) throws -> [[SearchHit]])
        throws -> (hits: [[SearchHit]], reads: PageReads) {
        let reads = PageReads(path: path)
        FileIO.hook = reads
        defer { FileIO.hook = nil }
        let cold = try openDatabase(dir, pool: try BufferPool(budgetBytes: poolBytes))
        defer { try? cold.discardAndClose() }
        return (try run(try cold.index(named: "v")), reads)
    }
}

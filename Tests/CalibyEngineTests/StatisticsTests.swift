import Foundation
import XCTest
@testable import CalibyEngine

/// `Database.statistics(named:)` and the engine's counters, checked against what a test can count
/// itself: the files' reads (through the I/O hook), the pool's resident bytes, the slots it made.
final class StatisticsTests: XCTestCase {
    private let d = 16

    /// A directory holding one HNSW index of 3000 vectors, committed and closed.
    private func builtDirectory(capacity: Int = 3000) throws -> (dir: String, queries: [Float]) {
        let dir = temporaryDirectory(self)
        try Caliby.initialize(dir)
        let db = try openDatabase(dir)
        let index = try db.createIndex(name: "v", type: .hnsw, config: IndexConfig(dimensions: d, maxElements: capacity))
        _ = try index.insert(batch(clusteredVectors(count: 3000, dimensions: d, seed: 5), dimensions: d), options: InsertOptions(threads: 2))
        try db.flush()
        try db.close()
        return (dir, clusteredVectors(count: 5, dimensions: d, seed: 6))
    }

    func testAColdSearchCountsEveryPageItReadsAndAWarmOneOnlyHits() throws {
        let (dir, queries) = try builtDirectory()
        let pool = try BufferPool(budgetBytes: 64 << 20)
        let db = try openDatabase(dir, pool: pool)
        defer { try? db.close() }
        let index = try db.index(named: "v")
        let counter = PageReads(path: try db.space(for: index.info).path)
        FileIO.hook = counter
        defer { FileIO.hook = nil }

        let before = EngineCounters(pool: pool)
        _ = try search(index, queries)
        let cold = EngineCounters(pool: pool) - before
        let (reads, bytes, _) = counter.counted
        XCTAssertGreaterThan(reads, 10)
        XCTAssertEqual(cold.pagesRead, reads, "one read per page fault")
        XCTAssertEqual(cold.bytesRead, bytes)
        XCTAssertEqual(cold.evictions, 0, "the pool holds the whole index")
        XCTAssertEqual(cold.pagesWritten, 0)
        XCTAssertGreaterThan(cold.distanceComputations, 5 * 10)
        XCTAssertGreaterThan(cold.pageAccesses, cold.pagesRead, "each page is read once, then hit")
        XCTAssertEqual(cold.poolHits, cold.pageAccesses - cold.pagesRead)

        let warmStart = EngineCounters(pool: pool)
        _ = try search(index, queries)
        let warm = EngineCounters(pool: pool) - warmStart
        XCTAssertEqual(warm.pagesRead, 0)
        XCTAssertEqual(counter.counted.reads, reads, "a warm search reads nothing")
        XCTAssertEqual(warm.distanceComputations, cold.distanceComputations, "the same search does the same work")
        XCTAssertEqual(warm.pageAccesses, cold.pageAccesses)
        XCTAssertEqual(warm.poolHits, warm.pageAccesses)
    }

    /// A batch of searches that can reach every page reads the file in one pass first, many pages
    /// per call; one search, which reaches a few hundred of its pages, reads only what it touches.
    func testOnlyABatchThatReachesMostOfTheIndexPreloadsIt() throws {
        // A large capacity makes a large id map: one query's reach (ef 10 × 32 links) is far less.
        let (dir, _) = try builtDirectory(capacity: 200_000)
        let pool = try BufferPool(budgetBytes: 64 << 20)
        let db = try openDatabase(dir, pool: pool)
        defer { try? db.close() }
        let opened = try db.index(named: "v")
        let pages = try db.space(for: opened.info).pagesInFile
        var parameters = SearchParameters(k: 10)
        parameters.ef = 10
        let start = EngineCounters(pool: pool)
        try db.preload(opened, beforeSearching: 1, parameters: parameters)
        XCTAssertEqual((EngineCounters(pool: pool) - start).pagesRead, 0)
        let counter = PageReads(path: try db.space(for: opened.info).path)
        FileIO.hook = counter
        defer { FileIO.hook = nil }
        try db.preload(opened, beforeSearching: 1000, parameters: parameters)
        let readByOpening = HNSWLayout(config: opened.info.config).hashBase
        XCTAssertEqual((EngineCounters(pool: pool) - start).pagesRead, pages - readByOpening,
                       "every page but the header and the quantizer's, which opening read")
        XCTAssertEqual(counter.counted.bytes, (pages - readByOpening) * opened.info.pageSize)
        XCTAssertLessThanOrEqual(counter.counted.reads, pages / 32, "a call reads a run of pages, not one page")
    }

    func testEvictionsAreWhatTheReadsLeftOutOfThePool() throws {
        let (dir, queries) = try builtDirectory()
        let pool = try BufferPool(budgetBytes: 64 * 1024)
        let db = try openDatabase(dir, pool: pool)
        defer { try? db.close() }
        let index = try db.index(named: "v")
        let pageSize = index.info.pageSize
        let residentBefore = pool.residentBytes
        let before = EngineCounters(pool: pool)
        _ = try search(index, queries)
        let work = EngineCounters(pool: pool) - before
        XCTAssertGreaterThan(work.evictions, 0, "the index is larger than the pool")
        XCTAssertEqual(work.evictions, work.pagesRead - (pool.residentBytes - residentBefore) / pageSize,
                       "every page read either stayed or was evicted")
        XCTAssertLessThanOrEqual(pool.residentBytes, 64 * 1024)
    }

    func testStatisticsCountSlotsAndTheBytesOfEachPart() throws {
        let dir = temporaryDirectory(self)
        let db = try Caliby.open(dir, create: true)
        defer { try? db.close() }
        let vectors = clusteredVectors(count: 400, dimensions: d, seed: 8)
        let rows = (0..<400).map { Array(vectors[$0 * d..<($0 + 1) * d]) }

        let graph = try db.createIndex("graph", type: .diskann, config: IndexConfig(dimensions: d, maxElements: 500))
        try graph.insert(rows, ids: (0..<400).map { UInt64($0) })
        try graph.delete(ids: (0..<40).map { UInt64($0) })
        var s = try db.statistics(named: "graph")
        XCTAssertEqual([s.live, s.deleted, s.freeSlots, s.slotsUsed, s.capacity], [360, 40, 0, 400, 500])
        XCTAssertEqual(s.fillFactor, 0.72, accuracy: 1e-9)
        XCTAssertEqual(s.parts.map(\.name), ["graph", "vectors", "id_map", "codes", "labels", "documents"])
        XCTAssertEqual(s.parts[1].bytes, 400 * d * 4, "float32 vectors of every used slot")
        XCTAssertEqual(s.parts[5].bytes, 0, "no documents file")
        try db.flush()
        XCTAssertEqual(try (db.index(named: "graph") as! Consolidating).consolidate(threads: 1), 40)
        s = try db.statistics(named: "graph")
        XCTAssertEqual([s.live, s.deleted, s.freeSlots, s.slotsUsed], [360, 0, 40, 400], "consolidation frees the slots")
        try graph.insert(Array(rows[0..<10]), ids: (1000..<1010).map { UInt64($0) })
        s = try db.statistics(named: "graph")
        XCTAssertEqual([s.live, s.freeSlots, s.slotsUsed], [370, 30, 400], "inserts take free slots first")

        let documents = try db.createIndex("docs", config: IndexConfig(dimensions: d, maxElements: 500, precision: .float16,
                                                                         schema: Schema(fields: [Field(name: "title", type: .text)])))
        try documents.insert(Array(rows[0..<100]), ids: (0..<100).map { UInt64($0) },
                             documents: (0..<100).map { ["title": .string("document number \($0)")] })
        try db.flush()
        let t = try db.statistics(named: "docs")
        XCTAssertEqual([t.live, t.deleted, t.freeSlots, t.slotsUsed, t.capacity], [100, 0, 0, 100, 500])
        XCTAssertEqual(t.parts.first { $0.name == "vectors" }?.bytes, 100 * d * 2, "float16 vectors")
        XCTAssertGreaterThan(t.parts.first { $0.name == "documents" }?.bytes ?? 0, 0)
        XCTAssertGreaterThanOrEqual(t.fileBytes, t.parts.reduce(0) { $0 + $1.bytes } - t.parts[1].bytes)
        XCTAssertThrowsError(try db.statistics(named: "nope")) { XCTAssertEqual($0 as? CalibyError, .noSuchIndex("nope")) }
    }
}

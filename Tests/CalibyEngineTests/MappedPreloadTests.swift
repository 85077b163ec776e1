import Foundation
import XCTest
@testable import CalibyEngine

/// A read-only open that preloads a file its pool holds whole for a batch of searches maps the
/// file instead of reading it (`PageSpace.mapWhole`): the same answers, damage still an error, and
/// the mapped pages evicted and read back like any others.
final class MappedPreloadTests: XCTestCase {
    private let d = 16

    private var queries: [Float] { clusteredVectors(count: 20, dimensions: d, seed: 8) }

    /// A directory with HNSW indexes of 3000 vectors, and what a read-write open that reads every
    /// page sees of it.
    private struct Built {
        let dir: String
        /// Each index's answers to `queries`.
        let answers: [String: [[SearchHit]]]
        /// Index "v": its file, page size and pages, and the bytes a read-write preload made
        /// resident (the file but its never-written pages, which do not verify).
        let path: String, pageSize: Int, pages: Int, preloaded: Int
    }

    private func built(names: [String] = ["v"]) throws -> Built {
        let dir = temporaryDirectory(self)
        try Caliby.initialize(dir)
        let db = try openDatabase(dir)
        for (n, name) in names.enumerated() {
            let index = try db.createIndex(name: name, type: .hnsw, config: IndexConfig(dimensions: d, maxElements: 3000))
            _ = try index.insert(batch(clusteredVectors(count: 3000, dimensions: d, seed: 5 + UInt64(n)), dimensions: d),
                                 options: InsertOptions(threads: 2))
        }
        try db.flush()
        try db.close()
        let pool = try BufferPool(budgetBytes: 64 << 20)
        let reference = try openDatabase(dir, pool: pool)
        defer { try? reference.close() }
        let v = try reference.index(named: "v")
        try reference.preload(v)
        let preloaded = pool.residentBytes
        var answers: [String: [[SearchHit]]] = [:]
        for name in names { answers[name] = try search(try reference.index(named: name), queries) }
        let space = try reference.space(for: v.info)
        return Built(dir: dir, answers: answers, path: space.path, pageSize: space.pageSize, pages: space.pagesInFile,
                     preloaded: preloaded)
    }

    /// A read-only open of `dir` through its own pool, with a `PageReads` hook on index "v"'s file
    /// until the test ends.
    private func openReadOnly(_ dir: String, budget: Int = 64 << 20, failMaps: Int32? = nil)
        throws -> (pool: BufferPool, db: Database, v: GraphIndex, counter: PageReads) {
        let pool = try BufferPool(budgetBytes: budget)
        let db = try openDatabase(dir, pool: pool, mode: .readOnly)
        let v = try db.index(named: "v")
        let counter = PageReads(path: try db.space(for: v.info).path, failMaps: failMaps)
        FileIO.hook = counter
        addTeardownBlock {
            FileIO.hook = nil
            try? db.close()
        }
        return (pool, db, v, counter)
    }

    /// What `caliby search` does before a batch of 1,000 queries.
    private func preloadForBatch(_ db: Database, _ index: GraphIndex) throws {
        try db.preload(index, beforeSearching: 1000, parameters: SearchParameters(k: 10))
    }

    func testAReadOnlyPreloadMapsTheFileAndReadsNoPage() throws {
        let built = try built()
        let (pool, db, v, counter) = try openReadOnly(built.dir)
        let start = EngineCounters(pool: pool)
        try preloadForBatch(db, v)
        XCTAssertEqual(counter.counted.maps, 1)
        XCTAssertEqual(counter.counted.reads, 0, "the pages are the mapped file's")
        let readByOpening = HNSWLayout(config: v.info.config).hashBase
        XCTAssertEqual((EngineCounters(pool: pool) - start).pagesRead, built.pages - readByOpening,
                       "every page but the header and the quantizer's, which opening read, counts as brought in")
        XCTAssertEqual(pool.residentBytes, built.preloaded, "the same pages as reading them")
        XCTAssertEqual(try search(v, queries), built.answers["v"])
        XCTAssertEqual(counter.counted.reads, 0, "the searches find every page resident")
    }

    /// A read-write open reads: a transaction may write and shrink the file under a mapping.
    func testAReadWritePreloadReads() throws {
        let db = try openDatabase(try built().dir, pool: try BufferPool(budgetBytes: 64 << 20))
        defer { try? db.close() }
        let index = try db.index(named: "v")
        let counter = PageReads(path: try db.space(for: index.info).path)
        FileIO.hook = counter
        defer { FileIO.hook = nil }
        try preloadForBatch(db, index)
        XCTAssertEqual(counter.counted.maps, 0)
        XCTAssertGreaterThan(counter.counted.reads, 0)
    }

    /// `--warmup`'s preload reads into 2 MiB pages even read-only: a steady state repays the copy.
    func testASteadyStatePreloadReads() throws {
        let built = try built()
        let (pool, db, v, counter) = try openReadOnly(built.dir)
        try db.preload(v)
        XCTAssertEqual(counter.counted.maps, 0)
        XCTAssertGreaterThan(counter.counted.reads, 0)
        XCTAssertEqual(pool.residentBytes, built.preloaded)
    }

    func testAMapThatFailsFallsBackToReading() throws {
        let built = try built()
        let (pool, db, v, counter) = try openReadOnly(built.dir, failMaps: EIO)
        try preloadForBatch(db, v)
        XCTAssertEqual(counter.counted.maps, 0)
        XCTAssertGreaterThan(counter.counted.reads, 0)
        XCTAssertLessThanOrEqual(counter.counted.reads, built.pages / 32, "read in runs, as without the map")
        XCTAssertEqual(pool.residentBytes, built.preloaded)
        XCTAssertEqual(try search(v, queries), built.answers["v"])
    }

    /// A damaged page of a mapped file stays out of the pool, and the access that needs it gets
    /// the error a read would have given, not a signal.
    func testADamagedPageOfAMappedFileIsAnError() throws {
        let built = try built()
        let damaged = built.pages / 2
        let file = try XCTUnwrap(FileHandle(forUpdatingAtPath: built.path))
        try file.seek(toOffset: UInt64(damaged * built.pageSize + 100))
        let byte = try XCTUnwrap(file.readData(ofLength: 1).first)
        try file.seek(toOffset: UInt64(damaged * built.pageSize + 100))
        file.write(Data([byte ^ 0x40]))
        try file.close()

        let (pool, db, v, counter) = try openReadOnly(built.dir)
        try preloadForBatch(db, v)
        XCTAssertEqual(counter.counted.maps, 1)
        XCTAssertEqual(pool.residentBytes, built.preloaded - built.pageSize, "all but the damaged page")
        XCTAssertThrowsError(try db.space(for: v.info).read(damaged) { _ in }) { error in
            XCTAssertEqual("\(error)", "\(built.path): data is damaged: page \(damaged): checksum mismatch")
        }
    }

    /// Mapped pages evicted to make room for another index read back by `pread` into the mapping,
    /// and answer as before.
    func testEvictedMappedPagesReadBack() throws {
        let built = try built(names: ["v", "w"])
        // Room for v's pages and the bookkeeping charged beside them (page tables, visited marks:
        // a few KiB), not for w's pages too.
        let (pool, db, v, counter) = try openReadOnly(built.dir, budget: built.pages * built.pageSize + (64 << 10))
        let w = try db.index(named: "w")
        try preloadForBatch(db, v)
        XCTAssertEqual(counter.counted.maps, 1)
        let start = EngineCounters(pool: pool)
        XCTAssertEqual(try search(w, queries), built.answers["w"])
        XCTAssertGreaterThan((EngineCounters(pool: pool) - start).evictions, 0, "w's pages pushed v's out")
        XCTAssertEqual(try search(v, queries), built.answers["v"])
        XCTAssertGreaterThan(counter.counted.reads, 0, "v's evicted pages were read again")
    }
}

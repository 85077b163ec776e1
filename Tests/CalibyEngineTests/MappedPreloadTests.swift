import Foundation
import XCTest
@testable import CalibyEngine

/// A read-only open that preloads a file its pool holds whole maps the file instead of reading it
/// (`PageSpace.mapWhole`): the same answers, damage still an error, and the mapped pages evicted
/// and read back like any others.
final class MappedPreloadTests: XCTestCase {
    private let d = 16

    /// Counts the reads and maps of one file, and fails its maps with `failMaps`.
    private final class MapCounter: FileIOHook, @unchecked Sendable {
        let path: String
        let failMaps: Int32?
        private let lock = NSLock()
        private var reads = 0, maps = 0
        init(path: String, failMaps: Int32? = nil) {
            self.path = path
            self.failMaps = failMaps
        }
        func willPerform(_ operation: FileOperation) -> Int32? {
            operation.kind == .map && operation.path == path ? failMaps : nil
        }
        func didPerform(_ operation: FileOperation) {
            guard operation.path == path else { return }
            lock.withLock {
                if operation.kind == .read { reads += 1 }
                if operation.kind == .map { maps += 1 }
            }
        }
        var counted: (reads: Int, maps: Int) { lock.withLock { (reads, maps) } }
    }

    private var queries: [Float] { clusteredVectors(count: 20, dimensions: d, seed: 8) }

    /// A directory with HNSW indexes of 3000 vectors under `names`; each one's answers to
    /// `queries` through a read-write open; and the bytes a read-write preload of the first made
    /// resident (the file but its never-written pages, which do not verify).
    private func builtDirectory(names: [String] = ["v"]) throws -> (dir: String, answers: [String: [[SearchHit]]], preloaded: Int) {
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
        try reference.preload(try reference.index(named: names[0]))
        let preloaded = pool.residentBytes
        var answers: [String: [[SearchHit]]] = [:]
        for name in names { answers[name] = try search(try reference.index(named: name), queries) }
        return (dir, answers, preloaded)
    }

    func testAReadOnlyPreloadMapsTheFileAndReadsNoPage() throws {
        let (dir, answers, preloaded) = try builtDirectory()
        let pool = try BufferPool(budgetBytes: 64 << 20)
        let db = try openDatabase(dir, pool: pool, mode: .readOnly)
        defer { try? db.close() }
        let index = try db.index(named: "v")
        let space = try db.space(for: index.info)
        let counter = MapCounter(path: space.path)
        FileIO.hook = counter
        defer { FileIO.hook = nil }
        let start = EngineCounters(pool: pool)
        try db.preload(index)
        XCTAssertEqual(counter.counted.maps, 1)
        XCTAssertEqual(counter.counted.reads, 0, "the pages are the mapped file's")
        XCTAssertEqual((EngineCounters(pool: pool) - start).pagesRead, space.pagesInFile - 1,
                       "every page but the header, which opening read, counts as brought in")
        XCTAssertEqual(pool.residentBytes, preloaded, "the same pages as reading them")
        XCTAssertEqual(try search(index, queries), answers["v"])
        XCTAssertEqual(counter.counted.reads, 0, "the searches find every page resident")
    }

    /// A read-write open reads: a transaction may write and shrink the file under a mapping.
    func testAReadWritePreloadReads() throws {
        let (dir, _, _) = try builtDirectory()
        let db = try openDatabase(dir, pool: try BufferPool(budgetBytes: 64 << 20))
        defer { try? db.close() }
        let index = try db.index(named: "v")
        let counter = MapCounter(path: try db.space(for: index.info).path)
        FileIO.hook = counter
        defer { FileIO.hook = nil }
        try db.preload(index)
        XCTAssertEqual(counter.counted.maps, 0)
        XCTAssertGreaterThan(counter.counted.reads, 0)
    }

    func testAMapThatFailsFallsBackToReading() throws {
        let (dir, answers, preloaded) = try builtDirectory()
        let pool = try BufferPool(budgetBytes: 64 << 20)
        let db = try openDatabase(dir, pool: pool, mode: .readOnly)
        defer { try? db.close() }
        let index = try db.index(named: "v")
        let space = try db.space(for: index.info)
        let counter = MapCounter(path: space.path, failMaps: EIO)
        FileIO.hook = counter
        defer { FileIO.hook = nil }
        try db.preload(index)
        XCTAssertEqual(counter.counted.maps, 0)
        XCTAssertGreaterThan(counter.counted.reads, 0)
        XCTAssertLessThanOrEqual(counter.counted.reads, space.pagesInFile / 32, "read in runs, as without the map")
        XCTAssertEqual(pool.residentBytes, preloaded, "the same pages as reading them")
        XCTAssertEqual(try search(index, queries), answers["v"])
    }

    /// A damaged page of a mapped file stays out of the pool, and the access that needs it gets
    /// the error a read would have given, not a signal.
    func testADamagedPageOfAMappedFileIsAnError() throws {
        let (dir, _, preloaded) = try builtDirectory()
        let (path, pageSize, pages) = try { () throws -> (String, Int, Int) in
            let db = try openDatabase(dir, pool: try BufferPool(budgetBytes: 64 << 20), mode: .readOnly)
            defer { try? db.close() }
            let space = try db.space(for: try db.index(named: "v").info)
            return (space.path, space.pageSize, space.pagesInFile)
        }()
        let damaged = pages / 2
        let file = try XCTUnwrap(FileHandle(forUpdatingAtPath: path))
        try file.seek(toOffset: UInt64(damaged * pageSize + 100))
        let byte = try XCTUnwrap(file.readData(ofLength: 1).first)
        try file.seek(toOffset: UInt64(damaged * pageSize + 100))
        file.write(Data([byte ^ 0x40]))
        try file.close()

        let pool = try BufferPool(budgetBytes: 64 << 20)
        let db = try openDatabase(dir, pool: pool, mode: .readOnly)
        defer { try? db.close() }
        let index = try db.index(named: "v")
        let space = try db.space(for: index.info)
        let counter = MapCounter(path: space.path)
        FileIO.hook = counter
        defer { FileIO.hook = nil }
        try db.preload(index)
        XCTAssertEqual(counter.counted.maps, 1)
        XCTAssertEqual(pool.residentBytes, preloaded - pageSize, "all but the damaged page")
        XCTAssertThrowsError(try space.read(damaged) { _ in }) { error in
            XCTAssertEqual("\(error)", "\(path): data is damaged: page \(damaged): checksum mismatch")
        }
    }

    /// Mapped pages evicted to make room for another index read back by `pread` into the mapping,
    /// and answer as before.
    func testEvictedMappedPagesReadBack() throws {
        let (dir, answers, _) = try builtDirectory(names: ["v", "w"])
        let bytes = try { () throws -> Int in
            let db = try openDatabase(dir, pool: try BufferPool(budgetBytes: 64 << 20), mode: .readOnly)
            defer { try? db.close() }
            let space = try db.space(for: try db.index(named: "v").info)
            return space.pagesInFile * space.pageSize
        }()
        let pool = try BufferPool(budgetBytes: bytes)
        let db = try openDatabase(dir, pool: pool, mode: .readOnly)
        defer { try? db.close() }
        let v = try db.index(named: "v"), w = try db.index(named: "w")
        let counter = MapCounter(path: try db.space(for: v.info).path)
        FileIO.hook = counter
        defer { FileIO.hook = nil }
        try db.preload(v)
        XCTAssertEqual(counter.counted.maps, 1)
        let start = EngineCounters(pool: pool)
        XCTAssertEqual(try search(w, queries), answers["w"])
        XCTAssertGreaterThan((EngineCounters(pool: pool) - start).evictions, 0, "w's pages pushed v's out")
        XCTAssertEqual(try search(v, queries), answers["v"])
        XCTAssertGreaterThan(counter.counted.reads, 0, "v's evicted pages were read again")
    }
}

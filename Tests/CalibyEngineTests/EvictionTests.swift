import Foundation
import XCTest
@testable import CalibyEngine

/// Eviction with several threads: the pool's mutex is released while victims are written back.
final class EvictionTests: XCTestCase {
    private let d = 24

    /// Stands between the engine and one file: holds the first write to it until released, or
    /// fails the nth write to it with EIO.
    private final class FileGate: FileIOHook, @unchecked Sendable {
        enum Mode { case hold, fail(nth: Int) }
        let path: String
        let mode: Mode
        let held = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        private let lock = NSLock()
        private var writes = 0

        init(path: String, mode: Mode) {
            self.path = path
            self.mode = mode
        }

        func willPerform(_ operation: FileOperation) -> Int32? {
            guard operation.kind == .write, operation.path == path else { return nil }
            let n = lock.withLock {
                writes += 1
                return writes
            }
            switch mode {
            case .hold:
                if n == 1 {
                    held.signal()
                    release.wait()
                }
                return nil
            case .fail(let nth):
                return n == nth ? EIO : nil
            }
        }

        func didPerform(_ operation: FileOperation) {}
    }

    /// Errors thrown on other threads, for the test's thread to report.
    private final class Errors: @unchecked Sendable {
        private let lock = NSLock()
        private var list: [Error] = []
        func record(_ body: () throws -> Void) {
            do { try body() } catch { lock.withLock { list.append(error) } }
        }
        var all: [Error] { lock.withLock { list } }
    }

    private func newIndex(pool: BufferPool) throws -> (Database, GraphIndex, String) {
        let dir = temporaryDirectory(self)
        try Caliby.initialize(dir)
        let db = try openDatabase(dir, pool: pool)
        let index = try db.createIndex(name: "v", type: .hnsw, config: IndexConfig(
            dimensions: d, maxElements: 4000, hnsw: HNSWConfig(M: 16, efConstruction: 100)))
        return (db, index, dir)
    }

    /// While one thread's write-back is stuck in `pwrite`, another thread faults pages in (and
    /// evicts for them): it must not wait for the first, as it did while eviction held the mutex.
    func testOtherThreadsFaultWhileAWriteBackWaits() throws {
        let dir = temporaryDirectory(self)
        try Caliby.initialize(dir)
        let pool = try BufferPool(budgetBytes: 64 * 1024)  // 16 pages, freed one at a time
        let db = try openDatabase(dir, pool: pool)
        let (info, space) = try db.registerIndex(name: "raw", type: .hnsw, config: IndexConfig(dimensions: 4, maxElements: 4),
                                                 pageSize: 4096, capacityPages: 100)
        @Sendable func value(_ page: Int, round: Int) -> UInt64 { UInt64(round * 1_000_000 + page) }
        for page in 0..<100 { try space.create(page) { $0.storeBytes(of: value(page, round: 1), as: UInt64.self) } }
        try db.flush()
        // Each page is changed once, so every page resident afterwards is dirty, and pages 64-99
        // (untouched, so long evicted) must be read in.
        for page in 0..<64 { try space.write(page) { $0.storeBytes(of: value(page, round: 2), as: UInt64.self) } }

        let gate = FileGate(path: space.path, mode: .hold)
        FileIO.hook = gate
        let errors = Errors()
        let first = DispatchGroup()
        DispatchQueue.global().async(group: first) {
            errors.record { try space.read(70) { XCTAssertEqual($0.load(as: UInt64.self), value(70, round: 1)) } }
        }
        let firstIsWriting = gate.held.wait(timeout: .now() + 30) == .success
        let second = DispatchGroup()
        if firstIsWriting {
            DispatchQueue.global().async(group: second) {
                errors.record {
                    for page in 71..<76 { try space.read(page) { XCTAssertEqual($0.load(as: UInt64.self), value(page, round: 1)) } }
                }
            }
        }
        let secondWentOn = second.wait(timeout: .now() + 10) == .success
        gate.release.signal()
        first.wait()
        second.wait()
        FileIO.hook = nil
        XCTAssertTrue(firstIsWriting, "faulting page 70 into a full pool of dirty pages wrote none back")
        XCTAssertTrue(secondWentOn, "a fault waited for another thread's write-back")
        XCTAssertEqual(errors.all.map { "\($0)" }, [])

        try db.flush()
        try db.close()
        let reopened = try openDatabase(dir, pool: pool)
        let again = try reopened.space(for: info)
        for page in 0..<100 {
            try again.read(page) { XCTAssertEqual($0.load(as: UInt64.self), value(page, round: page < 64 ? 2 : 1)) }
        }
        try reopened.close()
    }

    /// Four threads building a graph through a pool a fraction of its size, evicting beside each
    /// other: the graph must be whole and as good as one built in memory by one thread.
    /// A page written back by eviction and changed again in the same transaction is one changed
    /// page, not one more each time: a long load through a small pool must not grow its
    /// transaction's bookkeeping with every eviction (a 1M-vector DiskANN load through a 100 MiB
    /// pool grew it past 266 MB).
    func testAPageEvictedAndChangedAgainIsListedOnce() throws {
        let dir = temporaryDirectory(self)
        try Caliby.initialize(dir)
        let db = try openDatabase(dir, pool: try BufferPool(budgetBytes: 128 * 1024))
        let index = try db.createIndex(name: "v", type: .hnsw, config: IndexConfig(dimensions: d, maxElements: 4000))
        let space = try db.space(for: index.info)
        let vectors = clusteredVectors(count: 4000, dimensions: d, seed: 71)
        var pages: [Int] = []
        for start in stride(from: 0, to: 4000, by: 500) {
            _ = try index.insert(batch(Array(vectors[(start * d)..<((start + 500) * d)]), dimensions: d), options: InsertOptions(threads: 1))
            pages.append(space.changedPages)
        }
        let evictions = db.pool.evictions.load(ordering: .relaxed)
        XCTAssertGreaterThan(evictions, 4 * space.capacityPages, "each page is evicted and changed again many times")
        XCTAssertLessThanOrEqual(pages.last!, space.capacityPages, "changed pages counted more than once: \(pages)")
        try db.flush()
        XCTAssertEqual(try index.checkIntegrity(), [])
        try db.close()
    }

    func testParallelInsertsThroughATinyPool() throws {
        let base = clusteredVectors(count: 2000, dimensions: d, seed: 41)
        let queries = clusteredVectors(count: 100, dimensions: d, seed: 42)
        let truth = bruteForce(base: base, queries: queries, dimensions: d, k: 10)

        let (db1, inMemory, _) = try newIndex(pool: testPool)
        _ = try inMemory.insert(batch(base, dimensions: d), options: InsertOptions())
        let inMemoryRecall = try recall(inMemory, queries: queries, truth: truth, k: 10, ef: 64)
        try db1.discardAndClose()

        let tiny = try BufferPool(budgetBytes: 128 * 1024)
        let (db, index, dir) = try newIndex(pool: tiny)
        _ = try index.insert(batch(base, dimensions: d), options: InsertOptions(threads: 4))
        XCTAssertGreaterThan(tiny.pagesWritten.load(ordering: .relaxed), 100)
        XCTAssertLessThanOrEqual(tiny.residentBytes, 128 * 1024)
        XCTAssertEqual(try index.checkIntegrity(), [])
        try db.flush()
        try db.close()

        let reopened = try openDatabase(dir)
        let after = try reopened.index(named: "v")
        XCTAssertEqual(after.count, 2000)
        XCTAssertEqual(try after.checkIntegrity(), [])
        XCTAssertEqual(try recall(after, queries: queries, truth: truth, k: 10, ef: 64), inMemoryRecall, accuracy: 0.02)
        try reopened.close()
    }

    /// A write-back that fails while two threads insert through a tiny pool: the insert fails, and
    /// neither the directory as it is then (a crash image) nor the rolled-back database loses or
    /// changes anything committed.
    func testAFailedWriteBackWithTwoThreadsLosesNothingCommitted() throws {
        let tiny = try BufferPool(budgetBytes: 128 * 1024)
        let (db, index, dir) = try newIndex(pool: tiny)
        _ = try index.insert(batch(clusteredVectors(count: 800, dimensions: d, seed: 43), dimensions: d),
                             options: InsertOptions(threads: 2))
        try db.flush()
        let queries = clusteredVectors(count: 30, dimensions: d, seed: 44)
        let committed = try search(index, queries)

        let gate = FileGate(path: try db.space(for: index.info).path, mode: .fail(nth: 40))
        FileIO.hook = gate
        let written = tiny.pagesWritten.load(ordering: .relaxed)
        XCTAssertThrowsError(try index.insert(batch(clusteredVectors(count: 1500, dimensions: d, seed: 45), dimensions: d),
                                              options: InsertOptions(threads: 2))) {
            XCTAssertEqual(($0 as? CalibyError)?.category, .io, "\($0)")
        }
        FileIO.hook = nil
        XCTAssertGreaterThanOrEqual(tiny.pagesWritten.load(ordering: .relaxed) - written, 39, "the failure came before eviction")

        let image = dir + "-crash"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: image) }
        try crashImage(of: dir, into: image)
        try db.discardAndClose()
        for directory in [dir, image] {
            let reopened = try openDatabase(directory, pool: tiny)
            let after = try reopened.index(named: "v")
            XCTAssertEqual(after.count, 800)
            XCTAssertEqual(try search(after, queries), committed)
            XCTAssertEqual(try after.checkIntegrity(), [])
            try reopened.close()
        }
    }
}

import Foundation
import XCTest
@testable import CalibyEngine

final class StorageTests: XCTestCase {
    private func newDirectory() throws -> String {
        let dir = temporaryDirectory(self)
        XCTAssertTrue(try Caliby.initialize(dir))
        XCTAssertFalse(try Caliby.initialize(dir), "init on an existing directory changes nothing")
        return dir
    }

    func testPagesLargerThanThePoolRoundTripThroughEviction() throws {
        let dir = try newDirectory()
        let small = try BufferPool(budgetBytes: 64 * 1024)  // 16 pages
        let db = try openDatabase(dir, pool: small)
        let (info, space) = try db.registerIndex(name: "raw", type: .hnsw, config: IndexConfig(dimensions: 4, maxElements: 4),
                                                 pageSize: 4096, capacityPages: 300)
        for page in 0..<300 {
            try space.create(page) { p in for i in 0..<64 { p.storeBytes(of: UInt64(page * 1000 + i), toByteOffset: i * 8, as: UInt64.self) } }
        }
        XCTAssertLessThanOrEqual(small.residentBytes, 64 * 1024)
        try db.flush()
        for page in stride(from: 299, through: 0, by: -7) {
            try space.read(page) { p in XCTAssertEqual(p.load(fromByteOffset: 63 * 8, as: UInt64.self), UInt64(page * 1000 + 63)) }
        }
        try db.discardAndClose()
        let reopened = try openDatabase(dir, pool: small)
        let again = try reopened.space(for: info)
        for page in 0..<300 {
            try again.read(page) { p in XCTAssertEqual(p.load(fromByteOffset: 8, as: UInt64.self), UInt64(page * 1000 + 1)) }
        }
        XCTAssertGreaterThan(small.pagesRead.load(ordering: .relaxed), 300)
        try reopened.discardAndClose()
    }

    func testCrashImageMidInsertRecoversLastCommit() throws {
        let dir = try newDirectory()
        let small = try BufferPool(budgetBytes: 128 * 1024)
        let db = try openDatabase(dir, pool: small)
        let d = 16
        let index = try db.createIndex(name: "v", type: .hnsw, config: IndexConfig(dimensions: d, maxElements: 3000,
                                                                                  hnsw: HNSWConfig(M: 8, efConstruction: 40)))
        let first = clusteredVectors(count: 800, dimensions: d, seed: 1)
        _ = try index.insert(batch(first, dimensions: d), options: InsertOptions())
        try db.flush()
        let queries = clusteredVectors(count: 20, dimensions: d, seed: 2)
        let committed = try search(index, queries)
        // A second insert with a pool far smaller than the index: dirty pages are evicted into the
        // files mid-transaction, so only the journal can undo them.
        _ = try index.insert(batch(clusteredVectors(count: 1500, dimensions: d, seed: 3), dimensions: d), options: InsertOptions())
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/caliby.journal"))
        XCTAssertGreaterThan(small.pagesWritten.load(ordering: .relaxed), 0)
        let image = dir + "-crash"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: image) }
        try crashImage(of: dir, into: image)
        try db.discardAndClose()

        let recovered = try openDatabase(image, pool: small)
        XCTAssertTrue(recovered.recoveredAtOpen)
        XCTAssertFalse(FileManager.default.fileExists(atPath: image + "/caliby.journal"))
        let after = try recovered.index(named: "v")
        XCTAssertEqual(after.count, 800)
        XCTAssertEqual(try search(after, queries), committed)
        XCTAssertEqual(try after.checkIntegrity(), [])
        try recovered.discardAndClose()
    }

    func testUncommittedCreateAndDropLeaveNoTrace() throws {
        let dir = try newDirectory()
        let db = try openDatabase(dir)
        _ = try db.createIndex(name: "keep", type: .hnsw, config: IndexConfig(dimensions: 8, maxElements: 100))
        try db.flush()
        _ = try db.createIndex(name: "new", type: .hnsw, config: IndexConfig(dimensions: 8, maxElements: 100))
        try db.dropIndex(named: "keep")
        let image = dir + "-crash"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: image) }
        try crashImage(of: dir, into: image)
        try db.discardAndClose()
        let recovered = try openDatabase(image)
        XCTAssertEqual(recovered.listIndexes().map(\.name), ["keep"])
        let files = try FileManager.default.contentsOfDirectory(atPath: image).filter { $0.hasPrefix("index_") }
        XCTAssertEqual(files, ["index_1.dat"], "the uncommitted create's file is removed at open")
        try recovered.discardAndClose()
    }

    func testRollbackDiscardsChangesSinceLastFlush() throws {
        let dir = try newDirectory()
        let db = try openDatabase(dir)
        let d = 8
        let index = try db.createIndex(name: "v", type: .hnsw, config: IndexConfig(dimensions: d, maxElements: 500))
        _ = try index.insert(batch(clusteredVectors(count: 100, dimensions: d, seed: 4), dimensions: d), options: InsertOptions())
        try db.flush()
        _ = try index.insert(batch(clusteredVectors(count: 50, dimensions: d, seed: 5), dimensions: d), options: InsertOptions())
        try db.dropIndex(named: "v")
        try db.rollback()
        XCTAssertEqual(try db.index(named: "v").count, 100)
        try db.discardAndClose()
    }

    func testDamagedPageIsReportedWithFileAndPage() throws {
        let dir = try newDirectory()
        let db = try openDatabase(dir)
        let d = 8
        let index = try db.createIndex(name: "v", type: .hnsw, config: IndexConfig(dimensions: d, maxElements: 100))
        _ = try index.insert(batch(clusteredVectors(count: 100, dimensions: d, seed: 6), dimensions: d), options: InsertOptions())
        try db.flush()
        let info = try db.info(named: "v")
        try db.discardAndClose()
        let path = dir + "/" + info.fileName
        let file = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        let layout = HNSWLayout(config: info.config)
        let offset = UInt64(layout.records.firstPage * info.pageSize + 100)
        try file.seek(toOffset: offset)
        let byte = try file.read(upToCount: 1)![0]
        try file.seek(toOffset: offset)
        try file.write(contentsOf: Data([byte ^ 0x10]))
        try file.close()

        let pool = try BufferPool(budgetBytes: 1 << 20)
        let reopened = try openDatabase(dir, pool: pool)
        let damaged = try reopened.index(named: "v")
        // The check reports the page and goes on; a search that needs the page stops there.
        let problems = try damaged.checkIntegrity()
        XCTAssertTrue(problems.contains("\(path): data is damaged: page \(layout.records.firstPage): checksum mismatch"), "\(problems)")
        XCTAssertThrowsError(try search(damaged, clusteredVectors(count: 5, dimensions: d, seed: 6))) { error in
            guard case CalibyError.corrupt(let at, let detail) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(at, path)
            XCTAssertTrue(detail.contains("page \(layout.records.firstPage)"), detail)
        }
        try reopened.discardAndClose()
    }

    func testDamagedCatalogIsReported() throws {
        let dir = try newDirectory()
        var bytes = try Data(contentsOf: URL(fileURLWithPath: dir + "/caliby_catalog"))
        bytes[bytes.count - 3] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: dir + "/caliby_catalog"))
        XCTAssertThrowsError(try openDatabase(dir)) { error in
            XCTAssertEqual((error as? CalibyError)?.category, .corrupt)
        }
    }

    func testCatalogEntriesFromBeforePrecisionReadAsFloat32WithoutCodes() throws {
        let old = #"{"dimensions":8,"maxElements":100,"metric":"l2","hnsw":{"M":16,"efConstruction":200}}"#
        let config = try JSONDecoder().decode(IndexConfig.self, from: Data(old.utf8))
        XCTAssertEqual(config, IndexConfig(dimensions: 8, maxElements: 100, metric: .l2, precision: .float32,
                                            hnsw: HNSWConfig(quantization: .none)))
    }

    func testBufferConfigIsFixedOnceThePoolExists() throws {
        _ = try Caliby.pool()
        XCTAssertThrowsError(try Caliby.setBufferConfig(sizeBytes: 1 << 30)) { error in
            XCTAssertEqual("\(error)", "Cannot change buffer config after system is initialized")
        }
    }

    func testNamesAreValidated() throws {
        for bad in ["", "a/b", "..", ".", "-x", "sp ace", "nul\u{0}", String(repeating: "n", count: 65)] {
            XCTAssertThrowsError(try IndexName.validate(bad), bad)
        }
        for good in ["a", "A_b-c.9", String(repeating: "n", count: 64)] { XCTAssertNoThrow(try IndexName.validate(good)) }
    }

    func testReadOnlyOpenRefusesChanges() throws {
        let dir = try newDirectory()
        let db = try openDatabase(dir, mode: .readOnly)
        XCTAssertThrowsError(try db.createIndex(name: "x", type: .hnsw, config: IndexConfig(dimensions: 2, maxElements: 2))) {
            XCTAssertEqual(($0 as? CalibyError)?.category, .usage)
        }
        try db.discardAndClose()
    }

    func testOpeningReadsTheCatalogNotTheIndexes() throws {
        let dir = try newDirectory()
        let db = try openDatabase(dir)
        let d = 8
        let index = try db.createIndex(name: "v", type: .hnsw, config: IndexConfig(
            dimensions: d, maxElements: 20000, hnsw: HNSWConfig(M: 16, efConstruction: 40)))
        _ = try index.insert(batch(clusteredVectors(count: 20000, dimensions: d, seed: 7), dimensions: d),
                             options: InsertOptions(threads: 2))
        try db.flush()
        try db.discardAndClose()
        let pool = try BufferPool(budgetBytes: 8 << 20)
        let reopened = try openDatabase(dir, pool: pool)
        XCTAssertEqual(pool.pagesRead.load(ordering: .relaxed), 0)
        let again = try reopened.index(named: "v")
        var parameters = SearchParameters(k: 1)
        parameters.ef = 10
        _ = try clusteredVectors(count: 1, dimensions: d, seed: 8).withUnsafeBufferPointer {
            try again.search($0.baseAddress!, parameters: parameters)
        }
        let read = pool.pagesRead.load(ordering: .relaxed)
        XCTAssertLessThan(read, reopened.listIndexes()[0].capacityPages / 4, "one search reads a small part of the file")
        try reopened.discardAndClose()
    }
}

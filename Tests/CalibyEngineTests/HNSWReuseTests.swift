import Foundation
import XCTest
@testable import CalibyEngine

/// A full HNSW index takes new vectors into its deleted nodes' slots (HNSWIndex+Reuse.swift).
final class HNSWReuseTests: XCTestCase {
    private let d = 24

    private func newIndex(_ db: Database, _ name: String, capacity: Int) throws -> GraphIndex {
        try db.createIndex(name: name, type: .hnsw, config: IndexConfig(
            dimensions: d, maxElements: capacity, hnsw: HNSWConfig(M: 16, efConstruction: 100)))
    }

    private func rows(_ vectors: [Float], _ rows: [Int]) -> [Float] {
        rows.flatMap { vectors[$0 * d..<($0 + 1) * d] }
    }

    func testAFullIndexReusesDeletedSlotsWithRecallOfAFreshBuild() throws {
        let dir = temporaryDirectory(self)
        try Caliby.initialize(dir)
        var db = try openDatabase(dir)
        // Rows 0..<3000 fill the index; every third is deleted and rows 3000..<4000 take their slots.
        // Ids are row numbers throughout, so the brute force's rows are the ids a search returns.
        let all = clusteredVectors(count: 3000, dimensions: d, seed: 30) + clusteredVectors(count: 1000, dimensions: d, seed: 31)
        let queries = clusteredVectors(count: 100, dimensions: d, seed: 32)
        let gone = (0..<3000).filter { $0 % 3 == 0 }
        let live = (0..<4000).filter { $0 >= 3000 || $0 % 3 != 0 }
        let reused = try newIndex(db, "reused", capacity: 3000)
        _ = try reused.insert(batch(rows(all, Array(0..<3000)), dimensions: d, ids: (0..<3000).map(UInt64.init)),
                              options: InsertOptions(threads: 2))
        XCTAssertThrowsError(try reused.insert(batch(rows(all, [3000]), dimensions: d, ids: [3000]), options: InsertOptions())) {
            XCTAssertTrue("\($0)".contains("1 vector does not fit in the 0 free slots (maxElements 3000); delete vectors or resize"), "\($0)")
        }
        XCTAssertEqual(try reused.delete(ids: gone.map(UInt64.init)), gone.count)
        try db.flush()
        let summary = try reused.insert(batch(rows(all, Array(3000..<4000)), dimensions: d, ids: (3000..<4000).map(UInt64.init)),
                                        options: InsertOptions(threads: 2))
        XCTAssertEqual(summary.inserted, 1000)
        XCTAssertEqual(reused.count, 3000)
        try db.flush()
        try db.close()

        db = try openDatabase(dir)
        let index = try db.index(named: "reused")
        XCTAssertEqual(try index.checkIntegrity(), [])
        XCTAssertEqual(index.count, 3000)
        // The old ids are gone with their slots; the index is full again.
        XCTAssertThrowsError(try index.delete(ids: [0])) { XCTAssertEqual($0 as? CalibyError, .noSuchID(index: "reused", id: 0)) }
        XCTAssertThrowsError(try index.insert(batch(rows(all, [0]), dimensions: d, ids: [0]), options: InsertOptions()))
        try db.rollback()

        let fresh = try newIndex(db, "fresh", capacity: 3000)
        _ = try fresh.insert(batch(rows(all, live), dimensions: d, ids: live.map(UInt64.init)), options: InsertOptions(threads: 2))
        let isLive = Set(live)
        let truth = bruteForce(base: all, queries: queries, dimensions: d, k: 10) { _, row in isLive.contains(row) }
        let reusedIndex = try db.index(named: "reused")
        let reusedRecall = try recall(reusedIndex, queries: queries, truth: truth, k: 10, ef: 64)
        let freshRecall = try recall(fresh, queries: queries, truth: truth, k: 10, ef: 64)
        XCTAssertGreaterThanOrEqual(reusedRecall, freshRecall - 0.02, "reused \(reusedRecall), fresh \(freshRecall)")
        XCTAssertGreaterThanOrEqual(reusedRecall, 0.9)
        try db.discardAndClose()
    }

    /// Fresh slots go first, and a deleted id that the batch brings back with --replace is revived
    /// in its own node rather than given away.
    func testReuseWaitsForTheFreshSlotsAndSparesRevivedIDs() throws {
        let dir = temporaryDirectory(self)
        try Caliby.initialize(dir)
        let db = try openDatabase(dir)
        let index = try newIndex(db, "v", capacity: 100)
        let all = clusteredVectors(count: 200, dimensions: d, seed: 33)
        _ = try index.insert(batch(rows(all, Array(0..<90)), dimensions: d, ids: (0..<90).map(UInt64.init)), options: InsertOptions())
        XCTAssertEqual(try index.delete(ids: [1, 2, 3]), 3)
        _ = try index.insert(batch(rows(all, Array(100..<110)), dimensions: d, ids: (100..<110).map(UInt64.init)), options: InsertOptions())
        XCTAssertEqual(index.count, 97, "ten fresh slots, no reuse")
        // Full now: id 1 comes back by --replace into its own node, 120 and 121 take nodes 2 and 3.
        var options = InsertOptions()
        options.replace = true
        _ = try index.insert(batch(rows(all, [1, 120, 121]), dimensions: d, ids: [1, 120, 121]), options: options)
        XCTAssertEqual(index.count, 100)
        let hits = try search(index, rows(all, [1, 120, 121]), k: 1).map { $0.first?.id }
        XCTAssertEqual(hits, [1, 120, 121])
        XCTAssertEqual(try index.checkIntegrity(), [])
        XCTAssertThrowsError(try index.delete(ids: [2])) { XCTAssertEqual($0 as? CalibyError, .noSuchID(index: "v", id: 2)) }
        try db.discardAndClose()
    }
}

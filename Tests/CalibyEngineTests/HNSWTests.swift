import Foundation
import XCTest
@testable import CalibyEngine

final class HNSWTests: XCTestCase {
    private let d = 24

    private func newIndex(_ name: String = "v", capacity: Int = 4000, metric: Metric = .l2, precision: VectorPrecision = .float32,
                          quantization: VectorQuantization = HNSWConfig().quantization,
                          pool: BufferPool = testPool) throws -> (Database, GraphIndex, String) {
        let dir = temporaryDirectory(self)
        try Caliby.initialize(dir)
        let db = try openDatabase(dir, pool: pool)
        let index = try db.createIndex(name: name, type: .hnsw, config: IndexConfig(
            dimensions: d, maxElements: capacity, metric: metric, precision: precision,
            hnsw: HNSWConfig(M: 16, efConstruction: 100, quantization: quantization)))
        return (db, index, dir)
    }

    func testRecallAgainstBruteForce() throws {
        let (db, index, _) = try newIndex()
        let base = clusteredVectors(count: 3000, dimensions: d, seed: 11)
        let queries = clusteredVectors(count: 100, dimensions: d, seed: 12)
        _ = try index.insert(batch(base, dimensions: d), options: InsertOptions(threads: 2))
        let truth = bruteForce(base: base, queries: queries, dimensions: d, k: 10)
        XCTAssertGreaterThanOrEqual(try recall(index, queries: queries, truth: truth, k: 10, ef: 64), 0.95)
        try db.discardAndClose()
    }

    func testInnerProductAndCosineRecall() throws {
        for metric in [Metric.ip, .cosine] {
            let (db, index, _) = try newIndex(metric: metric)
            let base = clusteredVectors(count: 1500, dimensions: d, seed: 13)
            let queries = clusteredVectors(count: 50, dimensions: d, seed: 14)
            // One build thread: a two-thread build's graph depends on timing, and inner product's
            // recall (not a metric, so HNSW's pruning guarantees less) sits near the bound: 0.912
            // with one thread, 0.886 in one two-thread run.
            _ = try index.insert(batch(base, dimensions: d), options: InsertOptions(threads: 1))
            let truth = bruteForce(base: base, queries: queries, dimensions: d, k: 10, metric: metric)
            let found = try recall(index, queries: queries, truth: truth, k: 10, ef: 200)
            XCTAssertGreaterThanOrEqual(found, 0.9, "\(metric)")
            if metric == .cosine {
                let hit = try search(index, Array(queries[0..<d]), k: 1)[0][0]
                XCTAssertGreaterThanOrEqual(hit.distance, -1e-5)
                XCTAssertLessThanOrEqual(hit.distance, 2)
            }
            try db.discardAndClose()
        }
    }

    func testFloat16IndexKeepsRecallAndDistancesInHalfTheSpace() throws {
        let base = clusteredVectors(count: 3000, dimensions: d, seed: 11)
        let queries = clusteredVectors(count: 100, dimensions: d, seed: 12)
        let truth = bruteForce(base: base, queries: queries, dimensions: d, k: 10)
        var fileBytes: [VectorPrecision: Int] = [:]
        for precision in VectorPrecision.allCases {
            // Without codes, which would stay a byte per dimension at either precision.
            let (db, index, dir) = try newIndex(precision: precision, quantization: .none)
            _ = try index.insert(batch(base, dimensions: d), options: InsertOptions(threads: 2))
            XCTAssertGreaterThanOrEqual(try recall(index, queries: queries, truth: truth, k: 10, ef: 64), 0.95, "\(precision)")
            // Reported distances are the float32 query against the stored vector: within float16's
            // rounding (≈ 2⁻¹¹ relative per component) of the exact ones.
            let hits = try search(index, Array(queries[0..<d]), k: 10)[0]
            for hit in hits {
                let v = base[Int(hit.id) * d..<(Int(hit.id) + 1) * d]
                let exact = zip(v, queries[0..<d]).reduce(Float(0)) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
                XCTAssertEqual(hit.distance, exact, accuracy: exact * 2e-3 + 1e-4, "\(precision)")
            }
            try db.flush()
            try db.discardAndClose()
            let reopened = try openDatabase(dir)
            XCTAssertEqual(try search(reopened.index(named: "v"), Array(queries[0..<d]), k: 10)[0], hits)
            XCTAssertEqual(try reopened.info(named: "v").config.precision, precision)
            fileBytes[precision] = try reopened.summary(of: reopened.info(named: "v")).diskBytes
            try reopened.discardAndClose()
        }
        // Records shrink from 256 to 208 bytes at 24 dimensions (the 32 links stay); at 128, 672 to 416.
        XCTAssertLessThan(Double(fileBytes[.float16]!), 0.85 * Double(fileBytes[.float32]!))
    }

    func testFloat16RefusesValuesItCannotHoldAndKeepsTheIndex() throws {
        let (db, index, _) = try newIndex(precision: .float16)
        let first = clusteredVectors(count: 50, dimensions: d, seed: 21)
        _ = try index.insert(batch(first, dimensions: d), options: InsertOptions())
        try db.flush()
        var bad = clusteredVectors(count: 10, dimensions: d, seed: 22)
        bad[7 * d + 3] = 70_000
        var input = batch(bad, dimensions: d)
        input.firstRecordNumber = 101
        XCTAssertThrowsError(try index.insert(input, options: InsertOptions())) { error in
            XCTAssertEqual(error as? CalibyError, .badInput(
                location: "record 108", message: "value 70000.0 is beyond ±65504, the range of float16 index 'v'"))
        }
        XCTAssertEqual(index.count, 50)
        // The largest finite half is accepted exactly.
        bad[7 * d + 3] = 65504
        _ = try index.insert(batch(bad, dimensions: d), options: InsertOptions())
        XCTAssertEqual(index.count, 60)
        try db.discardAndClose()
    }

    func testExplicitIDsRoundTripAndAutoIDsContinue() throws {
        let (db, index, _) = try newIndex()
        let vectors = clusteredVectors(count: 200, dimensions: d, seed: 15)
        var rng = SeededGenerator(seed: 16)
        let ids = (0..<200).map { _ in UInt64.random(in: 1_000_000...UInt64.max - 1, using: &rng) }
        _ = try index.insert(batch(vectors, dimensions: d, ids: ids), options: InsertOptions())
        for i in stride(from: 0, to: 200, by: 17) {
            let top = try search(index, Array(vectors[i * d..<(i + 1) * d]), k: 1)[0][0]
            XCTAssertEqual(top.id, ids[i])
            XCTAssertEqual(top.distance, 0, accuracy: 1e-4)
        }
        let summary = try index.insert(batch(clusteredVectors(count: 2, dimensions: d, seed: 17), dimensions: d), options: InsertOptions())
        XCTAssertEqual(summary.firstID, ids.max()! + 1)
        try db.discardAndClose()
    }

    func testDuplicateIDIsRefusedUnlessReplacing() throws {
        let (db, index, _) = try newIndex()
        let vectors = clusteredVectors(count: 50, dimensions: d, seed: 18)
        _ = try index.insert(batch(vectors, dimensions: d), options: InsertOptions())
        try db.flush()
        let moved = clusteredVectors(count: 1, dimensions: d, seed: 19)
        XCTAssertThrowsError(try index.insert(batch(moved, dimensions: d, ids: [7]), options: InsertOptions())) {
            XCTAssertEqual($0 as? CalibyError, .duplicateID(index: "v", id: 7))
        }
        try db.rollback()
        let again = try db.index(named: "v")
        let summary = try again.insert(batch(moved, dimensions: d, ids: [7]), options: InsertOptions(replace: true))
        XCTAssertEqual(summary.replaced, 1)
        XCTAssertEqual(again.count, 50)
        XCTAssertEqual(try search(again, moved, k: 1)[0][0].id, 7)
        try db.discardAndClose()
    }

    func testDeletedIDsNeverReturned() throws {
        let (db, index, _) = try newIndex()
        let vectors = clusteredVectors(count: 500, dimensions: d, seed: 20)
        _ = try index.insert(batch(vectors, dimensions: d), options: InsertOptions())
        let gone = Set<UInt64>((0..<500).filter { $0 % 3 == 0 })
        XCTAssertEqual(try index.delete(ids: Array(gone)), gone.count)
        XCTAssertEqual(index.count, 500 - gone.count)
        for hits in try search(index, vectors, k: 10) {
            XCTAssertTrue(hits.allSatisfy { !gone.contains($0.id) })
            XCTAssertEqual(hits.count, 10)
        }
        XCTAssertThrowsError(try index.delete(ids: [999_999]))
        XCTAssertEqual(try index.checkIntegrity(), [])
        try db.discardAndClose()
    }

    func testDeleteWithAnUnknownIDInTheMiddleChangesNothing() throws {
        let (db, index, _) = try newIndex()
        let vectors = clusteredVectors(count: 100, dimensions: d, seed: 24)
        _ = try index.insert(batch(vectors, dimensions: d), options: InsertOptions())
        try db.flush()
        XCTAssertThrowsError(try index.delete(ids: [3, 4, 999_999, 5])) {
            XCTAssertEqual($0 as? CalibyError, .noSuchID(index: "v", id: 999_999))
        }
        // No rollback: the index as it stands must still hold every id, live and found.
        XCTAssertEqual(index.count, 100)
        let hits = try search(index, Array(vectors[(3 * d)..<(6 * d)]), k: 1)
        XCTAssertEqual(hits.map { $0.first?.id }, [3, 4, 5])
        XCTAssertEqual(try index.delete(ids: [3, 4, 5]), 3, "none was marked by the refused delete")
        XCTAssertEqual(try index.checkIntegrity(), [])
        try db.discardAndClose()
    }

    func testSearchStartingAmongDeletedNodesStillFindsTheLiveOnes() throws {
        let (db, index, _) = try newIndex()
        let vectors = clusteredVectors(count: 500, dimensions: d, seed: 23)
        _ = try index.insert(batch(vectors, dimensions: d), options: InsertOptions(threads: 1))
        let survivors: [UInt64] = [3, 77, 150, 222, 299, 310, 404, 455, 480, 499]
        let gone = Set(0..<500).subtracting(survivors)
        XCTAssertEqual(try index.delete(ids: Array(gone)), gone.count)
        // Every starting point the upper levels hand down is almost surely deleted; the search must
        // walk through them and return exactly the live nodes, closest first.
        let query = Array(vectors[0..<d])
        let hits = try search(index, query) { _ in
            var parameters = SearchParameters(k: 10)
            parameters.ef = 500
            return parameters
        }
        let expected = bruteForce(base: vectors, queries: query, dimensions: d, k: 10) { _, row in
            survivors.contains(UInt64(row))
        }
        XCTAssertEqual(hits[0].map(\.id), expected[0])
        try db.discardAndClose()
    }

    func testReopenGivesIdenticalResults() throws {
        let (db, index, dir) = try newIndex()
        _ = try index.insert(batch(clusteredVectors(count: 1000, dimensions: d, seed: 21), dimensions: d), options: InsertOptions(threads: 2))
        try db.flush()
        let queries = clusteredVectors(count: 30, dimensions: d, seed: 22)
        let before = try search(index, queries)
        try db.discardAndClose()
        let reopened = try openDatabase(dir)
        XCTAssertEqual(try search(try reopened.index(named: "v"), queries), before)
        try reopened.discardAndClose()
    }

    /// A search marks the nodes it has seen with a generation number that wraps every 255 marking
    /// rounds (one per level searched). A wrap that left old marks behind would make a later search
    /// take its own nodes for seen: query A, then 254 searches of B elsewhere, puts A's next search
    /// on the generations of its last one whether a search marks once or twice.
    func testASearchRepeatedAfterTheVisitedMarksWrapFindsTheSameNeighbours() throws {
        let (db, index, _) = try newIndex()
        let base = clusteredVectors(count: 1000, dimensions: d, seed: 21)
        _ = try index.insert(batch(base, dimensions: d), options: InsertOptions(threads: 1))
        let a = Array(base[0..<d]), b = Array(base[(999 * d)...])
        let first = try search(index, a)
        for wrap in 1...3 {
            for _ in 0..<254 { _ = try search(index, b) }
            XCTAssertEqual(try search(index, a), first, "after wrap \(wrap)")
        }
        try db.discardAndClose()
    }

    func testTinyBufferGivesIdenticalResults() throws {
        let base = clusteredVectors(count: 1500, dimensions: d, seed: 23)
        let queries = clusteredVectors(count: 30, dimensions: d, seed: 24)
        let (db, index, dir) = try newIndex()
        _ = try index.insert(batch(base, dimensions: d), options: InsertOptions())
        try db.flush()
        let expected = try search(index, queries)
        try db.discardAndClose()
        let tiny = try BufferPool(budgetBytes: 64 * 1024)
        let reopened = try openDatabase(dir, pool: tiny)
        XCTAssertEqual(try search(try reopened.index(named: "v"), queries), expected)
        XCTAssertLessThanOrEqual(tiny.residentBytes, 64 * 1024)
        try reopened.discardAndClose()

        // Building under a pool a quarter of the index as well: pages go through eviction while
        // dirty, and the build must come out the same as in memory.
        let part = Array(base[0..<(600 * d)])
        let (db2, inMemory, _) = try newIndex("w", capacity: 600)
        _ = try inMemory.insert(batch(part, dimensions: d), options: InsertOptions())
        let inMemoryResults = try search(inMemory, queries)
        try db2.discardAndClose()
        let quarter = try BufferPool(budgetBytes: 96 * 1024)
        let (db3, evicting, _) = try newIndex("w", capacity: 600, pool: quarter)
        _ = try evicting.insert(batch(part, dimensions: d), options: InsertOptions())
        try db3.flush()
        XCTAssertGreaterThan(quarter.pagesWritten.load(ordering: .relaxed), 0)
        XCTAssertEqual(try search(evicting, queries), inMemoryResults)
        XCTAssertEqual(try evicting.checkIntegrity(), [])
        try db3.discardAndClose()
    }

    func testParallelBuildMatchesSingleThreadRecall() throws {
        let base = clusteredVectors(count: 2500, dimensions: d, seed: 25)
        let queries = clusteredVectors(count: 100, dimensions: d, seed: 26)
        let truth = bruteForce(base: base, queries: queries, dimensions: d, k: 10)
        var recalls: [Double] = []
        for threads in [1, 4] {
            let (db, index, _) = try newIndex()
            _ = try index.insert(batch(base, dimensions: d), options: InsertOptions(threads: threads))
            XCTAssertEqual(index.count, 2500)
            XCTAssertEqual(try index.checkIntegrity(), [])
            recalls.append(try recall(index, queries: queries, truth: truth, k: 10, ef: 64))
            try db.discardAndClose()
        }
        XCTAssertEqual(recalls[0], recalls[1], accuracy: 0.02)
        XCTAssertGreaterThanOrEqual(recalls[1], 0.95)
    }

    func testCapacityIsEnforcedBeforeInserting() throws {
        let (db, index, _) = try newIndex(capacity: 100)
        XCTAssertThrowsError(try index.insert(batch(clusteredVectors(count: 101, dimensions: d, seed: 27), dimensions: d),
                                              options: InsertOptions())) {
            XCTAssertEqual(($0 as? CalibyError)?.category, .capacity)
        }
        XCTAssertEqual(index.count, 0)
        try db.discardAndClose()
    }
}

final class ExactDividerTests: XCTestCase {
    func testExactDividerMatchesDivisionForEveryPageShape() {
        // Every divisor a page can give (records per page, codes per page), at the edges of 2³².
        var divisors = Array(1...4096)
        divisors += [8176, 16_368, 65_520, 1 << 20, (1 << 31) - 1]
        let ids = [0, 1, 2, 12_345_677, (1 << 31) - 1, 1 << 31, (1 << 32) - 1]
        for divisor in divisors {
            let divider = ExactDivider(divisor)
            for n in ids + [divisor - 1, divisor, divisor + 1, 7 * divisor - 1] where n < 1 << 32 {
                XCTAssertEqual(divider.quotient(n), n / divisor, "\(n) / \(divisor)")
            }
        }
    }
}

import Foundation
import XCTest
@testable import CalibyEngine

final class DiskANNTests: XCTestCase {
    let d = 16
    private let config = DiskANNConfig(R: 32, L: 64, alpha: 1.2)

    func newIndex(_ name: String = "v", capacity: Int = 4000, dimensions: Int? = nil, metric: Metric = .l2, R: Int? = nil,
                  pqBytes: Int? = nil, pool: BufferPool = testPool) throws -> (Database, GraphIndex, String) {
        var config = config
        config.R = R ?? config.R
        config.pqBytes = pqBytes ?? config.pqBytes
        let dir = temporaryDirectory(self)
        try Caliby.initialize(dir)
        let db = try openDatabase(dir, pool: pool)
        let index = try db.createIndex(name: name, type: .diskann, config: IndexConfig(
            dimensions: dimensions ?? d, maxElements: capacity, metric: metric, diskann: config))
        return (db, index, dir)
    }

    private func labelled(_ vectors: [Float], ids: [UInt64]? = nil, labels: [[UInt32]]) -> VectorBatch {
        var b = batch(vectors, dimensions: d, ids: ids)
        b.labels = labels
        return b
    }

    func parameters(k: Int = 10, L: Int = 64, width: Int = 4, filter: UInt32? = nil,
                            distances: SearchDistances = .auto) -> SearchParameters {
        var p = SearchParameters(k: k)
        p.searchL = L
        p.beamWidth = width
        p.filter = filter
        p.distances = distances
        return p
    }

    func run(_ index: GraphIndex, _ queries: [Float], filters: [UInt32?]? = nil, k: Int = 10, L: Int = 64,
                     width: Int = 4, distances: SearchDistances = .auto) throws -> [[SearchHit]] {
        try search(index, queries) { q in parameters(k: k, L: L, width: width, filter: filters?[q] ?? nil, distances: distances) }
    }

    func hasCodebook(_ index: GraphIndex) -> Bool { (index as! DiskANNIndex).isCompressed }

    func exact(_ base: [Float], _ queries: [Float], k: Int = 10, metric: Metric = .l2,
                       keep: (_ query: Int, _ row: Int) -> Bool = { _, _ in true }) -> [[UInt64]] {
        bruteForce(base: base, queries: queries, dimensions: d, k: k, metric: metric, keep: keep)
    }

    // MARK: Recall

    func testRecallAgainstBruteForceForEveryBeamWidth() throws {
        let (db, index, _) = try newIndex()
        let base = clusteredVectors(count: 2500, dimensions: d, seed: 31)
        let queries = clusteredVectors(count: 60, dimensions: d, seed: 32)
        _ = try index.insert(batch(base, dimensions: d), options: InsertOptions(threads: 2))
        XCTAssertEqual(index.count, 2500)
        XCTAssertTrue(hasCodebook(index), "a bulk load of 2500 trains the codebook")
        let truth = exact(base, queries)
        for distances in [SearchDistances.exact, .pq] {
            for width in [1, 4, 16] {
                XCTAssertGreaterThanOrEqual(recall(try run(index, queries, width: width, distances: distances), truth), 0.95,
                                            "\(distances), beam width \(width)")
            }
        }
        let short = try run(index, Array(queries[0..<d]), k: 20, L: 5)[0]
        XCTAssertEqual(short.count, 20, "L below k is raised to k")
        XCTAssertEqual(short.map(\.distance), short.map(\.distance).sorted())
        XCTAssertEqual(try index.checkIntegrity(), [])
        try db.discardAndClose()
    }

    func testDynamicInsertsKeepRecall() throws {
        let (db, index, _) = try newIndex()
        let base = clusteredVectors(count: 2400, dimensions: d, seed: 33)
        let queries = clusteredVectors(count: 60, dimensions: d, seed: 34)
        _ = try index.insert(batch(Array(base[0..<(600 * d)]), dimensions: d), options: InsertOptions(threads: 2))
        XCTAssertFalse(hasCodebook(index), "600 points are too few to train a codebook")
        XCTAssertEqual(try run(index, queries, distances: .pq), try run(index, queries, distances: .exact),
                       "without a codebook every search is exact")
        // One thread: the graph, and so the recall checked against a threshold below, must not depend
        // on how two threads interleave (with two, about one run in twelve fell to 0.943 by codes).
        let summary = try index.insert(batch(Array(base[(600 * d)...]), dimensions: d), options: InsertOptions(threads: 1))
        XCTAssertEqual(summary.inserted, 1800)
        XCTAssertEqual(summary.firstID, 600)
        XCTAssertTrue(hasCodebook(index), "the batch that crosses the minimum trains the codebook")
        for distances in [SearchDistances.exact, .pq] {
            // Steered by codes, a search needs a longer list for the same recall.
            XCTAssertGreaterThanOrEqual(recall(try run(index, queries, L: distances == .pq ? 100 : 64, distances: distances),
                                               exact(base, queries)), 0.95, "\(distances)")
        }
        XCTAssertEqual(try index.checkIntegrity(), [])
        try db.discardAndClose()
    }

    func testInnerProductAndCosineRecall() throws {
        for metric in [Metric.ip, .cosine] {
            let (db, index, _) = try newIndex(metric: metric)
            let base = clusteredVectors(count: 1200, dimensions: d, seed: 35)
            let queries = clusteredVectors(count: 40, dimensions: d, seed: 36)
            _ = try index.insert(batch(base, dimensions: d), options: InsertOptions(threads: 2))
            XCTAssertGreaterThanOrEqual(recall(try run(index, queries, L: 100), exact(base, queries, metric: metric)), 0.9, "\(metric)")
            XCTAssertEqual(try index.checkIntegrity(), [], "\(metric)")
            try db.discardAndClose()
        }
    }

    // MARK: Labels

    func testFilteredSearchWithHundredLabels() throws {
        // A small R: RobustPrune then keeps R links, and a label's points must still keep theirs.
        let (db, index, _) = try newIndex(R: 12)
        let n = 2500
        let base = clusteredVectors(count: n, dimensions: d, seed: 37)
        var rng = SeededGenerator(seed: 38)
        let labels = (0..<n).map { _ in [UInt32.random(in: 0..<100, using: &rng)] }
        // A bulk load, then dynamic inserts: both paths must build the label subgraphs.
        let split = 1700
        _ = try index.insert(labelled(Array(base[0..<(split * d)]), labels: Array(labels[0..<split])), options: InsertOptions(threads: 2))
        _ = try index.insert(labelled(Array(base[(split * d)...]), labels: Array(labels[split...])), options: InsertOptions(threads: 2))
        let queries = clusteredVectors(count: 80, dimensions: d, seed: 39)
        let filters = (0..<80).map { _ in UInt32.random(in: 0..<100, using: &rng) }
        XCTAssertTrue(hasCodebook(index))
        let truth = exact(base, queries) { q, row in labels[row] == [filters[q]] }
        for distances in [SearchDistances.exact, .pq] {
            let found = try run(index, queries, filters: filters, L: 64, distances: distances)
            for (q, hits) in found.enumerated() {
                XCTAssertTrue(hits.allSatisfy { labels[Int($0.id)] == [filters[q]] }, "query \(q) returned a point without its label")
            }
            XCTAssertGreaterThanOrEqual(recall(found, truth), 0.95, "filtered, \(distances)")
            // R = 12 makes a sparse graph: steered by codes, the search needs a longer list.
            XCTAssertGreaterThanOrEqual(recall(try run(index, queries, L: distances == .pq ? 100 : 64, distances: distances),
                                               exact(base, queries)), 0.95, "unfiltered on a labelled index, \(distances)")
        }
        XCTAssertEqual(try run(index, queries, filters: [UInt32](repeating: 100, count: 80), k: 5).flatMap { $0 }, [],
                       "a label no vector carries matches nothing")
        XCTAssertEqual(try index.checkIntegrity(), [])
        try db.discardAndClose()
    }

    func testPointsWithSeveralLabels() throws {
        let (db, index, _) = try newIndex()
        let n = 1000
        let base = clusteredVectors(count: n, dimensions: d, seed: 40)
        var rng = SeededGenerator(seed: 41)
        let labels: [[UInt32]] = (0..<n).map { i in
            i % 7 == 0 ? [] : Array(Set((0..<Int.random(in: 1...3, using: &rng)).map { _ in UInt32.random(in: 0..<20, using: &rng) * 1000 }))
        }
        _ = try index.insert(labelled(base, labels: labels), options: InsertOptions(threads: 2))
        let queries = clusteredVectors(count: 40, dimensions: d, seed: 42)
        let filters = (0..<40).map { _ in UInt32.random(in: 0..<20, using: &rng) * 1000 }
        let found = try run(index, queries, filters: filters)
        let truth = exact(base, queries) { q, row in labels[row].contains(filters[q]) }
        XCTAssertGreaterThanOrEqual(recall(found, truth), 0.95)
        XCTAssertEqual(try index.checkIntegrity(), [])
        try db.discardAndClose()
    }

    // MARK: Delete and consolidate

    func testDeletesAndConsolidationKeepRecall() throws {
        let (db, index, _) = try newIndex()
        let n = 1500
        let base = clusteredVectors(count: n, dimensions: d, seed: 43)
        var rng = SeededGenerator(seed: 44)
        let labels = (0..<n).map { _ in [UInt32.random(in: 0..<10, using: &rng)] }
        _ = try index.insert(labelled(base, labels: labels), options: InsertOptions(threads: 2))
        let queries = clusteredVectors(count: 60, dimensions: d, seed: 45)
        let filters = (0..<60).map { UInt32($0 % 10) }
        // 15%: below the automatic threshold, so the deleted points stay in the graph for now.
        var gone = Set<Int>()
        while gone.count < 225 { gone.insert(Int.random(in: 0..<n, using: &rng)) }
        XCTAssertEqual(try index.delete(ids: gone.map(UInt64.init)), 225)
        XCTAssertEqual(try index.delete(ids: [UInt64(gone.first!)]), 0, "deleting again changes nothing")
        XCTAssertEqual(index.count, n - 225)
        let truth = exact(base, queries) { _, row in !gone.contains(row) }
        let filteredTruth = exact(base, queries) { q, row in !gone.contains(row) && labels[row] == [filters[q]] }
        XCTAssertTrue(hasCodebook(index))
        for stage in ["marked", "consolidated"] {
            for distances in [SearchDistances.exact, .pq] {
                let found = try run(index, queries, distances: distances)
                let filtered = try run(index, queries, filters: filters, distances: distances)
                XCTAssertTrue((found + filtered).joined().allSatisfy { !gone.contains(Int($0.id)) }, "\(stage), \(distances)")
                XCTAssertTrue(found.allSatisfy { $0.count == 10 }, "\(stage), \(distances)")
                XCTAssertGreaterThanOrEqual(recall(found, truth), 0.95, "\(stage), \(distances)")
                XCTAssertGreaterThanOrEqual(recall(filtered, filteredTruth), 0.95, "\(stage), \(distances), filtered")
            }
            XCTAssertEqual(try index.checkIntegrity(), [], stage)
            if stage == "marked" { XCTAssertEqual(try (index as! Consolidating).consolidate(threads: 2), 225) }
        }
        XCTAssertEqual(try (index as! Consolidating).consolidate(threads: 2), 0, "nothing left to consolidate")
        XCTAssertThrowsError(try index.delete(ids: [UInt64(gone.first!)])) {
            XCTAssertEqual($0 as? CalibyError, .noSuchID(index: "v", id: UInt64(gone.first!)))
        }
        // The freed slots take new points: their codes must be the new vectors', or a search
        // steered by codes would not find them.
        let fresh = clusteredVectors(count: 225, dimensions: d, seed: 64)
        let added = try index.insert(batch(fresh, dimensions: d), options: InsertOptions(threads: 2))
        XCTAssertEqual(try run(index, fresh, k: 1, distances: .pq).map { $0.first?.id },
                       (0..<225).map { Optional(added.firstID! + UInt64($0)) })
        XCTAssertEqual(try index.checkIntegrity(), [], "codes of reused slots")
        try db.discardAndClose()
    }

    func testReplacingManyPointsConsolidatesAutomatically() throws {
        let (db, index, _) = try newIndex()
        _ = try index.insert(batch(clusteredVectors(count: 1000, dimensions: d, seed: 70), dimensions: d),
                             options: InsertOptions(threads: 2))
        // 30 % replaced: their old records are deleted points, past the automatic threshold.
        let moved = clusteredVectors(count: 300, dimensions: d, seed: 71)
        let summary = try index.insert(batch(moved, dimensions: d, ids: (0..<300).map(UInt64.init)),
                                       options: InsertOptions(replace: true, threads: 2))
        XCTAssertEqual(summary.replaced, 300)
        XCTAssertEqual(index.count, 1000)
        XCTAssertEqual(try (index as! Consolidating).consolidate(threads: 2), 0, "the old records were consolidated already")
        XCTAssertEqual(try run(index, moved, k: 1).map { $0.first?.id }, (0..<300).map { Optional(UInt64($0)) })
        XCTAssertEqual(try index.checkIntegrity(), [])
        try db.discardAndClose()
    }

    func testDeletingMostPointsConsolidatesAutomatically() throws {
        let (db, index, _) = try newIndex()
        let n = 1000
        let base = clusteredVectors(count: n, dimensions: d, seed: 46)
        let labels = (0..<n).map { [UInt32($0 % 5)] }
        _ = try index.insert(labelled(base, labels: labels), options: InsertOptions(threads: 2))
        // Every point but a few of label 0 and 1 goes: start points, the medoid and whole labels
        // included, so consolidation has to move every start point or drop it.
        let kept = Set((0..<n).filter { ($0 % 5 == 0 || $0 % 5 == 1) && $0 % 17 == 0 })
        _ = try index.delete(ids: (0..<n).filter { !kept.contains($0) }.map(UInt64.init))
        XCTAssertEqual(index.count, kept.count)
        XCTAssertThrowsError(try index.delete(ids: [2]), "an automatic consolidation forgot the deleted ids")
        let queries = clusteredVectors(count: 20, dimensions: d, seed: 47)
        XCTAssertGreaterThanOrEqual(recall(try run(index, queries), exact(base, queries) { _, row in kept.contains(row) }), 0.95)
        for label: UInt32 in 0..<5 {
            let found = try run(index, queries, filters: [UInt32?](repeating: label, count: 20))
            if label >= 2 {
                XCTAssertTrue(found.allSatisfy(\.isEmpty), "label \(label) is gone")
                continue
            }
            let truth = exact(base, queries) { _, row in kept.contains(row) && labels[row] == [label] }
            XCTAssertGreaterThanOrEqual(recall(found, truth), 0.95, "label \(label)")
        }
        XCTAssertEqual(try index.checkIntegrity(), [])
        _ = try index.delete(ids: kept.map(UInt64.init))
        XCTAssertEqual(index.count, 0)
        XCTAssertEqual(try run(index, queries).flatMap { $0 }, [])
        // An index emptied by deletes takes a bulk load again.
        _ = try index.insert(labelled(Array(base[0..<(500 * d)]), labels: Array(labels[0..<500])), options: InsertOptions(threads: 2))
        XCTAssertEqual(index.count, 500)
        XCTAssertEqual(try index.checkIntegrity(), [])
        try db.discardAndClose()
    }

    func testFullIndexTakesNewVectorsAfterDeleteAndConsolidate() throws {
        let (db, index, _) = try newIndex(capacity: 300)
        let base = clusteredVectors(count: 300, dimensions: d, seed: 48)
        _ = try index.insert(batch(base, dimensions: d), options: InsertOptions())
        let extra = clusteredVectors(count: 50, dimensions: d, seed: 49)
        XCTAssertThrowsError(try index.insert(batch(Array(extra[0..<d]), dimensions: d), options: InsertOptions())) {
            XCTAssertEqual(($0 as? CalibyError)?.category, .capacity)
        }
        XCTAssertEqual(try index.delete(ids: (0..<25).map(UInt64.init)), 25)
        XCTAssertEqual(try (index as! Consolidating).consolidate(threads: 1), 25)
        let first = try index.insert(batch(Array(extra[0..<(25 * d)]), dimensions: d), options: InsertOptions())
        XCTAssertEqual(first.firstID, 300)
        // Deleted but not consolidated: the insert consolidates to make room.
        XCTAssertEqual(try index.delete(ids: (25..<50).map(UInt64.init)), 25)
        _ = try index.insert(batch(Array(extra[(25 * d)...]), dimensions: d), options: InsertOptions())
        XCTAssertEqual(index.count, 300)
        XCTAssertEqual(try db.info(named: "v").capacityPages, DiskANNLayout(config: index.info.config).totalPages)
        let top = try run(index, extra, k: 1)
        XCTAssertEqual(top.map { $0.first?.id }, (300..<350).map { Optional(UInt64($0)) })
        XCTAssertEqual(try index.checkIntegrity(), [])
        try db.discardAndClose()
    }

    func testReplaceAndReinsert() throws {
        let (db, index, _) = try newIndex()
        let base = clusteredVectors(count: 400, dimensions: d, seed: 50)
        _ = try index.insert(batch(base, dimensions: d), options: InsertOptions(threads: 2))
        try db.flush()
        let moved = clusteredVectors(count: 2, dimensions: d, seed: 51)
        XCTAssertThrowsError(try index.insert(batch(Array(moved[0..<d]), dimensions: d, ids: [7]), options: InsertOptions())) {
            XCTAssertEqual($0 as? CalibyError, .duplicateID(index: "v", id: 7))
        }
        try db.rollback()
        let again = try db.index(named: "v")
        // The same id twice with --replace: the later vector wins, as if inserted in order.
        let summary = try again.insert(batch(moved, dimensions: d, ids: [7, 7]), options: InsertOptions(replace: true))
        XCTAssertEqual(summary.replaced, 2)
        XCTAssertEqual(again.count, 400)
        XCTAssertEqual(try run(again, Array(moved[d...]), k: 1)[0][0].id, 7)
        XCTAssertNotEqual(try run(again, Array(base[(7 * d)..<(8 * d)]), k: 1)[0][0].id, 7)
        XCTAssertEqual(try again.delete(ids: [9]), 1)
        let back = try again.insert(batch(Array(base[(9 * d)..<(10 * d)]), dimensions: d, ids: [9]), options: InsertOptions())
        XCTAssertEqual(back.inserted, 1, "a deleted id may come back without --replace")
        XCTAssertEqual(try run(again, Array(base[(9 * d)..<(10 * d)]), k: 1)[0][0].id, 9)
        XCTAssertEqual(try again.checkIntegrity(), [])
        XCTAssertEqual(try (again as! Consolidating).consolidate(threads: 2), 2)
        XCTAssertEqual(try run(again, Array(moved[d...]), k: 1)[0][0].id, 7)
        XCTAssertEqual(try again.checkIntegrity(), [])
        try db.discardAndClose()
    }

    func testBadLabelsAndIDsGiveClearErrors() throws {
        let (db, index, _) = try newIndex(capacity: 5000)
        try db.flush()
        let one = clusteredVectors(count: 1, dimensions: d, seed: 52)
        var tooMany = labelled(one, labels: [Array(0..<9)])
        tooMany.firstRecordNumber = 12
        XCTAssertThrowsError(try index.insert(tooMany, options: InsertOptions())) {
            XCTAssertEqual("\($0)", "record 12: has 9 labels; a vector carries at most 8")
        }
        let many = clusteredVectors(count: 4097, dimensions: d, seed: 53)
        XCTAssertThrowsError(try index.insert(labelled(many, labels: (0..<4097).map { [UInt32($0)] }), options: InsertOptions())) {
            XCTAssertEqual(($0 as? CalibyError)?.category, .capacity)
            XCTAssertTrue("\($0)".contains("at most 4096 distinct labels"), "\($0)")
        }
        XCTAssertEqual(index.count, 0, "labels are checked before anything is written")
        XCTAssertThrowsError(try index.insert(batch(clusteredVectors(count: 1, dimensions: 3, seed: 54), dimensions: 3),
                                              options: InsertOptions())) {
            XCTAssertEqual(($0 as? CalibyError)?.category, .usage)
        }
        let three = clusteredVectors(count: 3, dimensions: d, seed: 55)
        XCTAssertThrowsError(try index.insert(labelled(three, ids: [5, 6, 6], labels: [[], [1], [2]]), options: InsertOptions())) {
            XCTAssertEqual($0 as? CalibyError, .duplicateID(index: "v", id: 6))
        }
        try db.rollback()
        let again = try db.index(named: "v")
        _ = try again.insert(labelled(three, ids: [5, 6, 7], labels: [[], [1, 1], [2]]), options: InsertOptions())
        XCTAssertEqual(try run(again, Array(three[d..<(2 * d)]), filters: [1], k: 5).map { $0.map(\.id) }, [[6]],
                       "a repeated label counts once")
        XCTAssertThrowsError(try again.delete(ids: [5, 8])) { XCTAssertEqual($0 as? CalibyError, .noSuchID(index: "v", id: 8)) }
        XCTAssertEqual(try again.checkIntegrity(), [])
        try db.discardAndClose()
    }

    // MARK: Durability

    func testReopenGivesIdenticalResults() throws {
        let (db, index, dir) = try newIndex()
        let n = 1200
        let base = clusteredVectors(count: n, dimensions: d, seed: 56)
        let labels = (0..<n).map { [UInt32($0 % 30)] }
        _ = try index.insert(labelled(base, labels: labels), options: InsertOptions(threads: 2))
        _ = try index.delete(ids: (0..<100).map { UInt64($0 * 7) })
        _ = try (index as! Consolidating).consolidate(threads: 2)
        _ = try index.delete(ids: [1, 2, 3])
        try db.flush()
        let queries = clusteredVectors(count: 30, dimensions: d, seed: 57)
        let filters = (0..<30).map { UInt32?(UInt32($0)) }
        let before = try run(index, queries) + run(index, queries, filters: filters) + run(index, queries, distances: .pq)
        try db.discardAndClose()
        let reopened = try openDatabase(dir)
        let again = try reopened.index(named: "v")
        XCTAssertEqual(again.count, n - 103)
        XCTAssertTrue(hasCodebook(again))
        XCTAssertEqual(try run(again, queries) + run(again, queries, filters: filters) + run(again, queries, distances: .pq), before)
        XCTAssertEqual(try again.checkIntegrity(), [])
        try reopened.discardAndClose()
    }

    /// An index of `count` labelled vectors, committed, then reopened with a pool far smaller than
    /// the index: dirty pages then reach the file mid-transaction and only the journal can undo them.
    private func committedIndexInSmallPool(count: Int, deleting gone: [UInt64] = [], seed: UInt64) throws
        -> (db: Database, index: GraphIndex, dir: String, pool: BufferPool) {
        let (db, index, dir) = try newIndex(capacity: 3000)
        let base = clusteredVectors(count: count, dimensions: d, seed: seed)
        _ = try index.insert(labelled(base, labels: (0..<count).map { [UInt32($0 % 4)] }), options: InsertOptions(threads: 2))
        _ = try index.delete(ids: gone)
        try db.flush()
        try db.discardAndClose()
        let small = try BufferPool(budgetBytes: 128 * 1024)
        let reopened = try openDatabase(dir, pool: small)
        return (reopened, try reopened.index(named: "v"), dir, small)
    }

    func testCrashImageMidInsertRecoversLastCommit() throws {
        let (db, index, dir, small) = try committedIndexInSmallPool(count: 600, seed: 58)
        let queries = clusteredVectors(count: 20, dimensions: d, seed: 59)
        let committed = try run(index, queries) + run(index, queries, filters: [UInt32?](repeating: 3, count: 20))
        // Crosses the training minimum: the codebook and every code are part of the lost transaction.
        _ = try index.insert(labelled(clusteredVectors(count: 500, dimensions: d, seed: 60), labels: (0..<500).map { [UInt32($0 % 6)] }),
                             options: InsertOptions(threads: 2))
        XCTAssertTrue(hasCodebook(index))
        XCTAssertGreaterThan(small.pagesWritten.load(ordering: .relaxed), 0)
        try assertCrashImageRecovers(dir, db: db, pool: small, count: 600, trained: false, queries: queries, expected: committed)
    }

    func testCrashImageMidConsolidationRecoversLastCommit() throws {
        let (db, index, dir, small) = try committedIndexInSmallPool(count: 1200, deleting: (0..<150).map { UInt64($0 * 5) }, seed: 61)
        XCTAssertTrue(hasCodebook(index), "searches in the small pool are steered by codes")
        let queries = clusteredVectors(count: 20, dimensions: d, seed: 62)
        let committed = try run(index, queries) + run(index, queries, filters: [UInt32?](repeating: 3, count: 20))
        XCTAssertEqual(try (index as! Consolidating).consolidate(threads: 2), 150)
        XCTAssertGreaterThan(small.pagesWritten.load(ordering: .relaxed), 0)
        try assertCrashImageRecovers(dir, db: db, pool: small, count: 1050, trained: true, queries: queries, expected: committed)
    }

    /// Copies the directory as a crash would leave it now, closes `db`, and checks that opening the
    /// copy rolls back to the last commit: `count` vectors, a codebook if `trained`, and the
    /// `expected` unfiltered + label-3 results.
    private func assertCrashImageRecovers(_ dir: String, db: Database, pool: BufferPool, count: Int, trained: Bool, queries: [Float],
                                          expected: [[SearchHit]], file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/caliby.journal"), file: file, line: line)
        let image = dir + "-crash"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: image) }
        try crashImage(of: dir, into: image)
        try db.discardAndClose()
        let recovered = try openDatabase(image, pool: pool)
        XCTAssertTrue(recovered.recoveredAtOpen, file: file, line: line)
        let after = try recovered.index(named: "v")
        XCTAssertEqual(hasCodebook(after), trained, file: file, line: line)
        XCTAssertEqual(after.count, count, file: file, line: line)
        let n = queries.count / d
        XCTAssertEqual(try run(after, queries) + run(after, queries, filters: [UInt32?](repeating: 3, count: n)), expected,
                       file: file, line: line)
        XCTAssertEqual(try after.checkIntegrity(), [], file: file, line: line)
        try recovered.discardAndClose()
    }

    // MARK: Id map

    func testIDMapRemovalLeavesTombstonesThatInsertsReuse() throws {
        let pageSize = 4096
        let slots = IDMap.slotCount(capacity: 100)
        let pages = IDMap.pages(slotCount: slots, usableBytes: PageLayout.usableBytes(pageSize))
        let space = try PageSpace(pool: testPool, file: PosixFile.anonymous(), fileID: nil, journal: nil,
                                  pageSize: pageSize, capacityPages: pages)
        try space.formatEmptyPages(0..<pages)
        let map = IDMap(space: space, firstPage: 0, slotCount: slots, nodeLimit: 4 * 1000)
        var rng = SeededGenerator(seed: 63)
        let ids = (0..<120).map { _ in UInt64.random(in: 0..<UInt64.max, using: &rng) }
        for (node, id) in ids.enumerated() { XCTAssertNil(try map.insert(id, node: node)) }
        for (node, id) in ids.enumerated() where node % 2 == 0 {
            XCTAssertFalse(try map.remove(id, node: node + 1), "removal checks the node")
            XCTAssertTrue(try map.remove(id, node: node))
        }
        for (node, id) in ids.enumerated() {
            XCTAssertEqual(try map.lookup(id), node % 2 == 0 ? nil : node, "tombstones must not hide later entries")
            XCTAssertEqual(try map.insert(id, node: 999), node % 2 == 0 ? nil : node, "an id behind tombstones is found, not added twice")
        }
        XCTAssertTrue(try map.repoint(ids[1], from: 1, to: 500))
        XCTAssertFalse(try map.repoint(ids[1], from: 1, to: 501))
        XCTAssertEqual(try map.lookup(ids[1]), 500)

        // Threads racing to add the same ids over tombstones: each id ends up once.
        for (node, id) in ids.enumerated() where node % 2 == 0 { XCTAssertTrue(try map.remove(id, node: 999)) }
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            for (node, id) in ids.enumerated() where node % 2 == 0 { _ = try? map.insert(id, node: node + worker * 1000) }
        }
        var entries: [UInt64: Int] = [:]
        try map.forEach { id, node in entries[id, default: 0] += 1 }
        XCTAssertEqual(entries.count, ids.count)
        XCTAssertTrue(entries.values.allSatisfy { $0 == 1 })

        XCTAssertFalse(try map.compactIfNeeded(), "few tombstones: nothing to do")
        for (node, id) in ids.enumerated() where node >= 10 {
            _ = try map.remove(id, node: try map.lookup(id) ?? node)
        }
        XCTAssertTrue(try map.compactIfNeeded())
        for (node, id) in ids.enumerated() {
            XCTAssertEqual(try map.lookup(id) != nil, node < 10, "compaction keeps exactly the live entries")
        }
    }
}

import Foundation
import XCTest
@testable import CalibyEngine

/// HNSW with int8 quantization (HNSWConfig.quantization): searches walk by codes and re-rank by
/// the vectors, so the hits and their distances are those of the vectors, and the recall is close
/// to the same graph's without codes; the quantizer survives reopening, resize and vacuum, and
/// `check` catches codes that no longer match their vectors.
final class QuantizationTests: XCTestCase {
    private let d = 48

    private func config(_ metric: Metric, quantization: VectorQuantization, capacity: Int = 3000,
                        precision: VectorPrecision = .float32) -> IndexConfig {
        IndexConfig(dimensions: d, maxElements: capacity, metric: metric, precision: precision,
                    hnsw: HNSWConfig(M: 16, efConstruction: 100, quantization: quantization))
    }

    private func freshDatabase() throws -> (String, Database) {
        let dir = temporaryDirectory(self)
        try Caliby.initialize(dir)
        return (dir, try openDatabase(dir))
    }

    /// One thread builds, so each build is reproducible (a coded index's inserts find candidates by
    /// codes, so its graph may differ a little from the uncoded one's).
    private func build(_ db: Database, _ name: String, _ config: IndexConfig, _ base: [Float]) throws -> GraphIndex {
        let index = try db.createIndex(name: name, type: .hnsw, config: config)
        _ = try index.insert(batch(base, dimensions: d), options: InsertOptions(threads: 1))
        return index
    }

    func testEveryMetricReturnsExactDistancesWithTheRecallOfTheVectors() throws {
        let (_, db) = try freshDatabase()
        let base = clusteredVectors(count: 3000, dimensions: d, seed: 71)
        let queries = clusteredVectors(count: 100, dimensions: d, seed: 72)
        for metric in Metric.allCases {
            let plain = try build(db, "plain-\(metric)", config(metric, quantization: .none), base)
            let coded = try build(db, "coded-\(metric)", config(metric, quantization: .int8), base)
            let truth = bruteForce(base: base, queries: queries, dimensions: d, k: 10, metric: metric)
            let stored = metric == .cosine ? normalized(base, dimensions: d) : base
            let q = metric == .cosine ? normalized(queries, dimensions: d) : queries
            for ef in [10, 64] {
                var parameters = SearchParameters(k: 10)
                parameters.ef = ef
                let found = try search(coded, queries) { _ in parameters }
                let plainRecall = recall(try search(plain, queries) { _ in parameters }, truth)
                let codedRecall = recall(found, truth)
                XCTAssertGreaterThanOrEqual(codedRecall, plainRecall - 0.03, "\(metric) ef \(ef): codes \(codedRecall), vectors \(plainRecall)")
                // Hits in order, each with the exact distance of its vector.
                for (n, hits) in found.enumerated() {
                    XCTAssertEqual(hits.map(\.distance), hits.map(\.distance).sorted(), "\(metric) query \(n)")
                    for hit in hits {
                        let exact = q.withUnsafeBufferPointer { q in
                            stored.withUnsafeBufferPointer { b in
                                Distance.between(q.baseAddress! + n * d, b.baseAddress! + Int(hit.id) * d, d, metric: metric)
                            }
                        }
                        XCTAssertEqual(hit.distance, exact, accuracy: 1e-4 * max(1, abs(exact)), "\(metric) query \(n) id \(hit.id)")
                    }
                }
            }
        }
        try db.discardAndClose()
    }

    func testTheQuantizerPersistsAndCheckFindsCodesThatDifferFromTheirVectors() throws {
        let (dir, opened) = try freshDatabase()
        var db = opened
        let base = clusteredVectors(count: 1000, dimensions: d, seed: 73)
        let queries = clusteredVectors(count: 20, dimensions: d, seed: 74)
        let index = try build(db, "coded", config(.l2, quantization: .int8, capacity: 1000, precision: .float16), base)
        let before = try search(index, queries)
        try db.flush()
        try db.close()

        db = try openDatabase(dir)
        let info = try db.info(named: "coded")
        XCTAssertEqual(try search(db.index(named: "coded"), queries).map { $0.map(\.id) }, before.map { $0.map(\.id) })
        XCTAssertEqual(try db.check(info), [])
        try db.close()

        // One code byte of node 5 changed on disk: the vector no longer gives it.
        let layout = HNSWLayout(config: info.config)
        let path = dir + "/" + info.fileName
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let (page, offset) = layout.records.locate(5)
        patchPage(&bytes, page: page, pageSize: layout.pageSize) { p in
            let code = p.load(fromByteOffset: offset + layout.codeOffset, as: Int8.self)
            p.storeBytes(of: code == 0 ? 1 : 0, toByteOffset: offset + layout.codeOffset, as: Int8.self)
        }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        db = try openDatabase(dir)
        XCTAssertEqual(try db.check(info), ["node 5: int8 codes differ from those of its vector"])
        try db.close()
    }

    /// The first insert trains the quantizer; a later vector far outside its range is clamped in
    /// its codes, yet found, with its exact distance, because the list is re-ranked by vectors.
    func testAVectorBeyondTheTrainedRangeIsStillFoundExactly() throws {
        let (_, db) = try freshDatabase()
        let index = try db.createIndex(name: "coded", type: .hnsw, config: config(.l2, quantization: .int8, capacity: 600))
        _ = try index.insert(batch(clusteredVectors(count: 500, dimensions: d, seed: 75), dimensions: d), options: InsertOptions())
        var far = [Float](repeating: 0, count: d)
        far[3] = 5000
        _ = try index.insert(batch(far, dimensions: d, ids: [9999]), options: InsertOptions())
        var query = far
        query[3] = 4990
        let hit = try search(index, query, k: 1)[0].first
        XCTAssertEqual(hit?.id, 9999)
        XCTAssertEqual(hit?.distance ?? 0, 100, accuracy: 1e-3)
        XCTAssertEqual(try db.check(index.info), [])
        try db.discardAndClose()
    }

    /// A first insert of one vector (a REPL user's) teaches the quantizer nothing of the data's
    /// range; the index learns it again as it grows and re-codes its nodes, so its searches keep
    /// the recall of the vectors, `check` finds every code matching, and reopening keeps it all.
    func testAQuantizerLearnedFromAFewVectorsIsLearnedAgainAsTheIndexGrows() throws {
        let (dir, opened) = try freshDatabase()
        var db = opened
        let base = clusteredVectors(count: 3000, dimensions: d, seed: 78)
        let queries = clusteredVectors(count: 100, dimensions: d, seed: 79)
        let plain = try build(db, "plain", config(.cosine, quantization: .none), base)
        let coded = try db.createIndex(name: "coded", type: .hnsw, config: config(.cosine, quantization: .int8))
        for range in [0..<1, 1..<8, 8..<3000] {
            let vectors = batch(Array(base[(range.lowerBound * d)..<(range.upperBound * d)]), dimensions: d, ids: range.map(UInt64.init))
            _ = try coded.insert(vectors, options: InsertOptions(threads: 1))
        }
        let truth = bruteForce(base: base, queries: queries, dimensions: d, k: 10, metric: .cosine)
        let plainRecall = try recall(plain, queries: queries, truth: truth, k: 10, ef: 64)
        let codedRecall = try recall(coded, queries: queries, truth: truth, k: 10, ef: 64)
        XCTAssertGreaterThanOrEqual(codedRecall, plainRecall - 0.03, "codes \(codedRecall), vectors \(plainRecall)")
        XCTAssertEqual(try db.check(coded.info), [])
        let before = try search(coded, queries)
        try db.flush()
        try db.close()

        db = try openDatabase(dir)
        XCTAssertEqual(try search(db.index(named: "coded"), queries).map { $0.map(\.id) }, before.map { $0.map(\.id) })
        XCTAssertEqual(try db.check(db.info(named: "coded")), [])
        try db.discardAndClose()
    }

    /// An int8 index created now (HNSW format 3) has every record, and so every code a hop reads
    /// and every vector a re-rank reads, on a 64-byte cache line; an index without codes, or one
    /// whose catalog predates the alignment, keeps the 16-byte layout of its format.
    func testANewInt8IndexHasItsCodesAndVectorsOnCacheLines() throws {
        for (dimensions, M, precision) in [(128, 16, VectorPrecision.float32), (384, 16, .float32), (100, 5, .float16), (4, 2, .float32)] {
            let config = try IndexConfig(dimensions: dimensions, maxElements: 500, precision: precision,
                                         hnsw: HNSWConfig(M: M, quantization: .int8)).resolved(for: .hnsw)
            XCTAssertEqual(config.hnsw?.alignedRecords, true)
            let layout = HNSWLayout(config: config)
            XCTAssertEqual(layout.formatVersion, 3)
            XCTAssertGreaterThanOrEqual(layout.codeOffset, HNSWLayout.linksOffset + 4 * layout.maxLinks0)
            XCTAssertLessThanOrEqual(layout.vectorOffset + layout.stored.byteCount, layout.records.recordBytes)
            for node in 0..<2 * layout.records.perPage {
                let (page, offset) = layout.records.locate(node)
                let record = page * layout.pageSize + offset
                XCTAssertEqual((record + layout.codeOffset) % 64, 0, "\(dimensions)-d node \(node)'s codes")
                XCTAssertEqual((record + layout.vectorOffset) % 64, 0, "\(dimensions)-d node \(node)'s vector")
            }

            var older = config
            older.hnsw?.alignedRecords = nil
            let olderLayout = HNSWLayout(config: older)
            XCTAssertEqual(olderLayout.formatVersion, 2)
            XCTAssertEqual(olderLayout.codeOffset, (HNSWLayout.linksOffset + 4 * layout.maxLinks0 + 15) / 16 * 16)
        }
        // 128-d, M 16: 800-byte records, five to a 4 KiB page before; 832, four to a 4 KiB page now
        // (a miss through a small pool reads no more than before); 384-d: seven to 16 KiB both.
        let sift = try IndexConfig(dimensions: 128, maxElements: 500, hnsw: HNSWConfig()).resolved(for: .hnsw)
        XCTAssertEqual([HNSWLayout(config: sift).records.recordBytes, HNSWLayout(config: sift).pageSize], [832, 4096])
        var wide = sift
        wide.dimensions = 384
        XCTAssertEqual([HNSWLayout(config: wide).records.recordBytes, HNSWLayout(config: wide).pageSize], [2112, 16384])

        let plain = try IndexConfig(dimensions: 128, maxElements: 500, hnsw: HNSWConfig(quantization: .none)).resolved(for: .hnsw)
        XCTAssertNil(plain.hnsw?.alignedRecords)
        XCTAssertEqual(HNSWLayout(config: plain).formatVersion, 1)
        var misaligned = plain
        misaligned.hnsw?.alignedRecords = true
        XCTAssertThrowsError(try misaligned.validate())
    }

    func testResizeKeepsAndVacuumRetrainsTheQuantizer() throws {
        let (_, db) = try freshDatabase()
        let base = clusteredVectors(count: 1200, dimensions: d, seed: 76)
        let queries = clusteredVectors(count: 50, dimensions: d, seed: 77)
        let index = try build(db, "coded", config(.cosine, quantization: .int8, capacity: 1000), Array(base[0..<(1000 * d)]))
        let before = try search(index, queries)
        try db.resizeIndex("coded", maxElements: 1200)
        let resized = try db.index(named: "coded")
        XCTAssertEqual(try search(resized, queries).map { $0.map(\.id) }, before.map { $0.map(\.id) })
        _ = try resized.insert(batch(Array(base[(1000 * d)...]), dimensions: d, ids: (1000..<1200).map(UInt64.init)), options: InsertOptions())
        XCTAssertEqual(try db.check(resized.info), [])
        _ = try resized.delete(ids: (0..<600).map(UInt64.init))
        try db.vacuumIndex("coded")
        let vacuumed = try db.index(named: "coded")
        XCTAssertEqual(vacuumed.info.config.hnsw?.quantization, .int8)
        XCTAssertEqual(try db.check(vacuumed.info), [])
        let live = Array(base[(600 * d)...])
        let truth = bruteForce(base: live, queries: queries, dimensions: d, k: 10, metric: .cosine).map { $0.map { $0 + 600 } }
        XCTAssertGreaterThan(try recall(vacuumed, queries: queries, truth: truth, k: 10, ef: 64), 0.95)
        try db.discardAndClose()
    }
}

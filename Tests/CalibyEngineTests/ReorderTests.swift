import Foundation
import XCTest
@testable import CalibyEngine

/// `Database.reorderIndex`: a graph renumbered breadth-first into new files, swapped in at commit
/// (IndexReorder.swift, Renumbering.swift, HNSWIndex+Reorder.swift, DiskANNIndex+Reorder.swift).
final class ReorderTests: XCTestCase {
    private let d = 24

    private func indexFiles(_ dir: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix("index_") }.sorted()
    }

    /// How many pages the records of a node's level-0 neighbours lie on, on average: what
    /// expanding a node during a search touches.
    private func meanNeighbourPages(_ index: HNSWIndex) throws -> Double {
        let links = UnsafeMutablePointer<UInt32>.allocate(capacity: index.layout.maxLinks0)
        defer { links.deallocate() }
        var pages = 0
        for node in 0..<index.allocatedNodes {
            let n = try index.readLinks(of: node, level: 0, into: links)
            pages += Set((0..<n).map { index.layout.records.locate(Int(links[$0])).page }).count
        }
        return Double(pages) / Double(index.allocatedNodes)
    }

    /// Each query's hits, those at exactly the same distance by id: a search ranks such ties by
    /// node number, which a reorder changes.
    private func answers(_ collection: DocumentCollection, _ queries: [Float],
                         filter: DocumentCollection.PreparedFilter?) throws -> [[SearchHit]] {
        var parameters = SearchParameters(k: 10)
        parameters.ef = 48
        return try stride(from: 0, to: queries.count, by: d).map { qo in
            try queries.withUnsafeBufferPointer { try collection.search($0.baseAddress! + qo, parameters: parameters, filter: filter) }
                .sorted { ($0.distance, $0.id) < ($1.distance, $1.id) }
        }
    }

    /// With int8 codes two candidates can have the same estimated distance, ranked by node number:
    /// a reordered index may then keep the other of the two at the edge of its list, so a few
    /// answers may differ; with vectors only, none does.
    func testAReorderedIndexAnswersAlikeWithNeighboursStoredTogether() throws {
        for quantization in [VectorQuantization.none, .int8] {
            let dir = temporaryDirectory(self)
            try Caliby.initialize(dir)
            var db = try openDatabase(dir)
            let n = 3000
            let config = IndexConfig(dimensions: d, maxElements: 4000,
                                     hnsw: HNSWConfig(M: 12, efConstruction: 100, quantization: quantization), schema: DocumentTests.schema)
            let collection = try db.createCollection(name: "docs", type: .hnsw, config: config)
            let vectors = clusteredVectors(count: n, dimensions: d, seed: 60)
            var records = batch(vectors, dimensions: d)
            records.documents = (0..<n).map(DocumentTests.document)
            _ = try collection.insert(records, options: InsertOptions(threads: 2))
            let deleted = stride(from: 3, to: n, by: 10).map(UInt64.init)
            XCTAssertEqual(try collection.delete(ids: deleted), deleted.count)
            try db.flush()
            let queries = clusteredVectors(count: 200, dimensions: d, seed: 61)
            let filter = try collection.prepare(Filter(parsing: "category = 'video' AND year < 2020", schema: DocumentTests.schema))
            let plain = try answers(collection, queries, filter: nil)
            let filtered = try answers(collection, queries, filter: filter)
            let text = try collection.searchText(collection.textQuery("passage"), k: 50)
            let pagesBefore = try meanNeighbourPages(collection.index as! HNSWIndex)
            let filesBefore = try indexFiles(dir)

            try db.reorderIndex("docs")
            try db.flush()
            XCTAssertEqual(try indexFiles(dir).count, 2, "the old files go at commit")
            XCTAssertNotEqual(try indexFiles(dir), filesBefore)
            try db.close()

            db = try openDatabase(dir)
            let reordered = try db.collection(named: "docs")
            XCTAssertEqual(try reordered.checkIntegrity(), [])
            XCTAssertEqual(reordered.index.count, n - deleted.count)
            let replain = try answers(reordered, queries, filter: nil)
            let tiesAllowed = quantization == .none ? 0 : queries.count / d / 50
            XCTAssertLessThanOrEqual(zip(replain, plain).filter { $0 != $1 }.count, tiesAllowed, "\(quantization): the same graph")
            let refiltered = try reordered.prepare(Filter(parsing: "category = 'video' AND year < 2020", schema: DocumentTests.schema))
            let refound = try answers(reordered, queries, filter: refiltered)
            XCTAssertLessThanOrEqual(zip(refound, filtered).filter { $0 != $1 }.count, tiesAllowed, "\(quantization): filtered")
            XCTAssertEqual(try reordered.searchText(reordered.textQuery("passage"), k: 50), text)
            let live = (0..<n).filter { $0 % 10 != 3 }
            for (i, document) in zip(live, try reordered.documents(ids: live.map(UInt64.init))) {
                XCTAssertEqual(document, DocumentTests.document(i), "id \(i)")
            }
            let hnsw = reordered.index as! HNSWIndex
            XCTAssertEqual(hnsw.headerSnapshot.entryPoint, 0, "the walk starts at the entry point")
            let pagesAfter = try meanNeighbourPages(hnsw)
            XCTAssertLessThan(pagesAfter, 0.85 * pagesBefore, "a node's neighbours on fewer pages: \(pagesBefore) → \(pagesAfter)")

            // Deleted ids kept their nodes: --replace revives one in place; new ids go on at the end.
            var revived = batch(Array(vectors[(3 * d)..<(4 * d)]), dimensions: d, ids: [3])
            revived.documents = [DocumentTests.document(3)]
            _ = try reordered.insert(revived, options: InsertOptions(replace: true))
            var more = batch(Array(vectors[0..<(10 * d)]), dimensions: d, ids: (5000..<5010).map(UInt64.init))
            more.documents = (0..<10).map(DocumentTests.document)
            _ = try reordered.insert(more, options: InsertOptions())
            try db.flush()
            XCTAssertEqual(reordered.index.count, n - deleted.count + 11)
            XCTAssertEqual(try reordered.checkIntegrity(), [])
            XCTAssertEqual(try search(reordered.index, Array(vectors[(3 * d)..<(4 * d)]), k: 1)[0].first?.id, 3)
            try db.close()
        }
    }

    func testARollbackOrCrashBeforeTheCommitKeepsTheOldOrder() throws {
        let dir = temporaryDirectory(self)
        try Caliby.initialize(dir)
        let db = try openDatabase(dir)
        let index = try db.createIndex(name: "v", type: .hnsw, config: IndexConfig(dimensions: d, maxElements: 500))
        let vectors = clusteredVectors(count: 500, dimensions: d, seed: 62)
        _ = try index.insert(batch(vectors, dimensions: d), options: InsertOptions())
        try db.flush()
        let committed = try indexFiles(dir)
        let queries = clusteredVectors(count: 50, dimensions: d, seed: 63)
        let before = try search(index, queries)

        try db.reorderIndex("v")
        try db.writePendingChanges()
        let crashed = dir + "-crash"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: crashed) }
        try crashImage(of: dir, into: crashed)
        try db.rollback()
        XCTAssertEqual(try indexFiles(dir), committed, "rollback removes the new file")
        XCTAssertEqual(try search(db.index(named: "v"), queries), before)
        try db.close()

        let reopened = try openDatabase(crashed)
        XCTAssertEqual(try indexFiles(crashed), committed, "a writer's open removes the unfinished file")
        XCTAssertEqual(try reopened.check(reopened.info(named: "v")), [])
        XCTAssertEqual(try search(reopened.index(named: "v"), queries), before)
        try reopened.close()
    }

    /// DiskANN: labels and their start points, PQ codes (searched by them), deleted slots and free
    /// ones all follow their nodes; the free slots come last, and inserts
    /// take them first.
    func testADiskANNIndexKeepsItsAnswersCodesLabelsAndFreeSlots() throws {
        let dir = temporaryDirectory(self)
        try Caliby.initialize(dir)
        var db = try openDatabase(dir)
        let n = 2500
        let index = try db.createIndex(name: "v", type: .diskann, config: IndexConfig(dimensions: d, maxElements: 3000,
                                                                                       diskann: DiskANNConfig(R: 24, L: 48)))
        let vectors = clusteredVectors(count: n, dimensions: d, seed: 66)
        var records = batch(vectors, dimensions: d)
        records.labels = (0..<n).map { [UInt32($0 % 7)] }
        _ = try index.insert(records, options: InsertOptions(threads: 2))
        // A third deleted: past autoConsolidateFraction, so the delete frees their slots.
        XCTAssertEqual(try index.delete(ids: stride(from: 0, to: n, by: 3).map(UInt64.init)), 834)
        let freed = (index as! DiskANNIndex).checkSnapshot.header.freeCount
        XCTAssertEqual(freed, 834)
        XCTAssertEqual(try index.delete(ids: [1, 2]), 2, "deleted, not yet freed")
        try db.flush()
        let queries = clusteredVectors(count: 100, dimensions: d, seed: 67)
        func answers(_ index: GraphIndex) throws -> [[SearchHit]] {
            try [SearchDistances.exact, .pq].flatMap { distances in
                try [nil, 3].flatMap { (label: UInt32?) in
                    try search(index, queries) { _ in
                        var parameters = SearchParameters(k: 10)
                        (parameters.searchL, parameters.distances, parameters.filter) = (40, distances, label)
                        return parameters
                    }.map { $0.sorted { ($0.distance, $0.id) < ($1.distance, $1.id) } }
                }
            }
        }
        let before = try answers(index)

        try db.reorderIndex("v")
        try db.flush()
        try db.close()
        db = try openDatabase(dir)
        let reordered = try db.index(named: "v") as! DiskANNIndex
        XCTAssertEqual(try db.check(reordered.info), [])
        XCTAssertEqual(try answers(reordered).enumerated().filter { $0.element != before[$0.offset] }.count, 0)
        let header = reordered.checkSnapshot.header
        XCTAssertEqual(header.freeCount, freed)
        XCTAssertEqual(header.freeHead, header.nodeCount - freed, "the free slots are the last ones")
        XCTAssertEqual(header.medoid, 0, "the walk starts at the medoid")

        var more = batch(Array(vectors[0..<(20 * d)]), dimensions: d, ids: (5000..<5020).map(UInt64.init))
        more.labels = [[UInt32]](repeating: [3], count: 20)
        _ = try reordered.insert(more, options: InsertOptions())
        XCTAssertEqual(reordered.checkSnapshot.header.freeCount, freed - 20, "inserts take the free slots")
        try db.flush()
        XCTAssertEqual(try db.check(reordered.info), [])
        try db.close()
    }

    func testAnEmptyIndexReorders() throws {
        let dir = temporaryDirectory(self)
        try Caliby.initialize(dir)
        let db = try openDatabase(dir)
        for type in IndexType.allCases {
            _ = try db.createIndex(name: type.rawValue, type: type, config: IndexConfig(dimensions: d, maxElements: 100))
            try db.flush()
            try db.reorderIndex(type.rawValue)
            try db.flush()
            let empty = try db.index(named: type.rawValue)
            XCTAssertEqual(empty.count, 0)
            XCTAssertEqual(try db.check(empty.info), [], "\(type)")
            _ = try empty.insert(batch(clusteredVectors(count: 20, dimensions: d, seed: 64), dimensions: d), options: InsertOptions())
            XCTAssertEqual(try db.check(empty.info), [], "\(type)")
            try db.flush()
        }
        try db.close()
    }

    /// The numbering and the id map's entries grow with the index, so they are charged to the
    /// buffer while the copy runs (PoolChargeTests), and released after it.
    func testTheCopysBookkeepingIsReleasedAfterIt() throws {
        let pool = try BufferPool(budgetBytes: 8 << 20)
        let dir = temporaryDirectory(self)
        try Caliby.initialize(dir)
        let db = try openDatabase(dir, pool: pool)
        for type in IndexType.allCases {
            let index = try db.createIndex(name: type.rawValue, type: type, config: IndexConfig(dimensions: d, maxElements: 3000))
            let vectors = clusteredVectors(count: 3000, dimensions: d, seed: 68)
            _ = try index.insert(batch(vectors, dimensions: d), options: InsertOptions(threads: 2))
        }
        try db.flush()
        for type in IndexType.allCases {
            try db.reorderIndex(type.rawValue)
            try db.flush()
            XCTAssertEqual(try db.check(db.info(named: type.rawValue)), [], "\(type)")
        }
        try db.close()
        XCTAssertEqual(pool.chargedBytes, 0, "every charge released once the directory is closed")
    }

    /// A link beyond the nodes, written into a record on disk, is reported as damage before the
    /// copy writes anything, never followed.
    func testADamagedLinkIsAnErrorNotACrash() throws {
        let dir = temporaryDirectory(self)
        try Caliby.initialize(dir)
        var db = try openDatabase(dir)
        let index = try db.createIndex(name: "v", type: .hnsw, config: IndexConfig(dimensions: d, maxElements: 400))
        _ = try index.insert(batch(clusteredVectors(count: 300, dimensions: d, seed: 65), dimensions: d), options: InsertOptions())
        try db.flush()
        let hnsw = index as! HNSWIndex
        let (page, offset) = hnsw.layout.records.locate(17)
        try hnsw.space.write(page) { $0.storeBytes(of: UInt32(350), toByteOffset: offset + HNSWLayout.linksOffset, as: UInt32.self) }
        try db.flush()
        try db.close()

        db = try openDatabase(dir)
        XCTAssertThrowsError(try db.reorderIndex("v")) {
            XCTAssertEqual("\($0)".contains("links to 350, beyond the 300 nodes"), true, "\($0)")
        }
        try db.discardAndClose()
    }
}

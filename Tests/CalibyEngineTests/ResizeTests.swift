import Foundation
import XCTest
@testable import CalibyEngine

/// `Database.resizeIndex`: a copy into a larger file, swapped in at commit (IndexResize.swift).
final class ResizeTests: XCTestCase {
    private let d = 24

    private func config(_ type: IndexType, capacity: Int) -> IndexConfig {
        IndexConfig(dimensions: d, maxElements: capacity, hnsw: type == .hnsw ? HNSWConfig(M: 16, efConstruction: 100) : nil,
                    diskann: type == .diskann ? DiskANNConfig(R: 32, L: 64) : nil)
    }

    private func indexFiles(_ dir: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix("index_") }.sorted()
    }

    func testAResizedIndexFillsToItsNewCapacityWithRecall() throws {
        for type in IndexType.allCases {
            let dir = temporaryDirectory(self)
            try Caliby.initialize(dir)
            var db = try openDatabase(dir)
            let all = clusteredVectors(count: 2000, dimensions: d, seed: 40)
            let queries = clusteredVectors(count: 100, dimensions: d, seed: 41)
            let grown = try db.createIndex(name: "grown", type: type, config: config(type, capacity: 1000))
            let other = try db.createIndex(name: "other", type: type, config: config(type, capacity: 500))
            _ = try grown.insert(batch(Array(all[0..<(1000 * d)]), dimensions: d), options: InsertOptions(threads: 2))
            _ = try other.insert(batch(Array(all[0..<(500 * d)]), dimensions: d), options: InsertOptions(threads: 2))
            try db.flush()
            let filesBefore = try indexFiles(dir)

            try db.resizeIndex("grown", maxElements: 2000)
            // The other index's open object and pages are untouched.
            XCTAssertEqual(try search(other, Array(all[(7 * d)..<(8 * d)]), k: 1)[0].first?.id, 7)
            try db.flush()
            XCTAssertEqual(try indexFiles(dir).count, 2, "\(type): the old file goes at commit")
            XCTAssertNotEqual(try indexFiles(dir), filesBefore)
            let resized = try db.index(named: "grown")
            XCTAssertEqual(resized.info.config.maxElements, 2000)
            XCTAssertEqual(resized.count, 1000)
            _ = try resized.insert(batch(Array(all[(1000 * d)...]), dimensions: d, ids: (1000..<2000).map(UInt64.init)),
                                   options: InsertOptions(threads: 2))
            XCTAssertThrowsError(try resized.insert(batch(Array(all[0..<d]), dimensions: d, ids: [5000]), options: InsertOptions())) {
                guard case .capacity = $0 as? CalibyError else { return XCTFail("\(type): \($0)") }
            }
            try db.rollback()
            _ = try db.index(named: "grown").insert(batch(Array(all[(1000 * d)...]), dimensions: d, ids: (1000..<2000).map(UInt64.init)),
                                                    options: InsertOptions(threads: 2))
            try db.flush()
            try db.close()

            db = try openDatabase(dir)
            let reopened = try db.index(named: "grown")
            XCTAssertEqual(reopened.count, 2000)
            XCTAssertEqual(try db.check(reopened.info), [], "\(type)")
            XCTAssertEqual(try db.check(db.info(named: "other")), [], "\(type)")
            let truth = bruteForce(base: all, queries: queries, dimensions: d, k: 10)
            XCTAssertGreaterThanOrEqual(try recall(reopened, queries: queries, truth: truth, k: 10, ef: 100), 0.9, "\(type)")
            try db.close()
        }
    }

    func testACrashOrRollbackBeforeTheCommitKeepsTheOldIndex() throws {
        let dir = temporaryDirectory(self)
        try Caliby.initialize(dir)
        let db = try openDatabase(dir)
        let index = try db.createIndex(name: "v", type: .hnsw, config: config(.hnsw, capacity: 300))
        let vectors = clusteredVectors(count: 300, dimensions: d, seed: 42)
        _ = try index.insert(batch(vectors, dimensions: d), options: InsertOptions())
        try db.flush()
        let committed = try indexFiles(dir)

        try db.resizeIndex("v", maxElements: 600)
        try db.writePendingChanges()
        let crashed = dir + "-crash"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: crashed) }
        try crashImage(of: dir, into: crashed)
        try db.rollback()
        XCTAssertEqual(try db.info(named: "v").config.maxElements, 300)
        XCTAssertEqual(try indexFiles(dir), committed, "rollback removes the new file")
        XCTAssertEqual(try db.index(named: "v").count, 300)
        try db.close()

        let reopened = try openDatabase(crashed)
        XCTAssertEqual(try reopened.info(named: "v").config.maxElements, 300)
        XCTAssertEqual(try indexFiles(crashed), committed, "a writer's open removes the unfinished file")
        XCTAssertEqual(try reopened.check(reopened.info(named: "v")), [])
        try reopened.close()
    }

    /// The document file's directory grows from one page to three: its documents, field indexes
    /// and text index are rebuilt at the same nodes, and the new slots take documents too.
    func testAnIndexWithDocumentsKeepsThemAcrossAResize() throws {
        for type in IndexType.allCases {
            let dir = temporaryDirectory(self)
            try Caliby.initialize(dir)
            let db = try openDatabase(dir)
            var withFields = config(type, capacity: 300)
            withFields.schema = DocumentTests.schema
            let collection = try db.createCollection(name: "docs", type: type, config: withFields)
            let vectors = clusteredVectors(count: 1200, dimensions: d, seed: 43)
            var first = batch(Array(vectors[0..<(300 * d)]), dimensions: d)
            first.documents = (0..<300).map(DocumentTests.document)
            _ = try collection.insert(first, options: InsertOptions())
            XCTAssertEqual(try collection.delete(ids: [5, 6]), 2)
            try db.flush()
            try db.resizeIndex("docs", maxElements: 1200)
            try db.flush()
            let resized = try db.collection(named: "docs")
            var rest = batch(Array(vectors[(300 * d)...]), dimensions: d, ids: (300..<1200).map(UInt64.init))
            rest.documents = (300..<1200).map(DocumentTests.document)
            _ = try resized.insert(rest, options: InsertOptions(threads: 2))
            try db.flush()
            XCTAssertEqual(resized.index.count, 1198)
            XCTAssertEqual(try resized.checkIntegrity(), [], "\(type)")
            let ids = (0..<1200).filter { $0 != 5 && $0 != 6 }
            for (id, document) in zip(ids, try resized.documents(ids: ids.map(UInt64.init))) {
                XCTAssertEqual(document, DocumentTests.document(id), "\(type) id \(id)")
            }
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix("index_") }.count, 2)
            try db.close()
        }
    }

    func testResizeRefusesToShrink() throws {
        let dir = temporaryDirectory(self)
        try Caliby.initialize(dir)
        let db = try openDatabase(dir)
        _ = try db.createIndex(name: "v", type: .hnsw, config: config(.hnsw, capacity: 300))
        try db.flush()
        for size in [300, 100] {
            XCTAssertThrowsError(try db.resizeIndex("v", maxElements: size)) {
                XCTAssertEqual($0 as? CalibyError, .invalidArgument("index 'v' holds at most 300 vectors; resize only grows an index, to more than 300"))
            }
        }
        XCTAssertThrowsError(try db.resizeIndex("v", maxElements: IndexConfig.maxCapacity + 1)) {
            guard case .invalidParameter(name: "maxElements", _, _) = $0 as? CalibyError else { return XCTFail("\($0)") }
        }
        XCTAssertFalse(db.hasUncommittedChanges, "a refused resize changes nothing")
        try db.close()
    }
}

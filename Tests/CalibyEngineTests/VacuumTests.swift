import Foundation
import XCTest
@testable import CalibyEngine

/// `Database.vacuumIndex`: a rebuild from the live records into new files, swapped in at commit
/// (IndexVacuum.swift).
final class VacuumTests: XCTestCase {
    private let d = 24

    func testVacuumShrinksTheFilesAndKeepsEveryLiveVectorAndDocument() throws {
        for type in IndexType.allCases {
            let dir = temporaryDirectory(self)
            try Caliby.initialize(dir)
            var db = try openDatabase(dir)
            let n = 2000
            let collection = try db.createCollection(name: "docs", type: type,
                                                     config: IndexConfig(dimensions: d, maxElements: n, schema: DocumentTests.schema))
            let vectors = clusteredVectors(count: n, dimensions: d, seed: 50)
            var records = batch(vectors, dimensions: d)
            records.documents = (0..<n).map(DocumentTests.document)
            _ = try collection.insert(records, options: InsertOptions(threads: 2))
            // Odd ids go, the largest (1999) among them: automatic ids must still continue at 2000.
            let live = (0..<n).filter { $0 % 2 == 0 }
            XCTAssertEqual(try collection.delete(ids: (0..<n).filter { $0 % 2 == 1 }.map(UInt64.init)), n / 2)
            try db.flush()
            let before = try db.diskBytes(of: db.info(named: "docs"))

            try db.vacuumIndex("docs", threads: 2)
            try db.flush()
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix("index_") }.count, 2,
                           "\(type): the old files go at commit")
            let after = try db.diskBytes(of: db.info(named: "docs"))
            XCTAssertLessThan(Double(after), 0.8 * Double(before), "\(type): \(before) → \(after) bytes")
            try db.close()

            db = try openDatabase(dir)
            let vacuumed = try db.collection(named: "docs")
            XCTAssertEqual(vacuumed.index.count, n / 2)
            XCTAssertEqual(try vacuumed.checkIntegrity(), [], "\(type)")
            let documents = try vacuumed.documents(ids: live.map(UInt64.init))
            for (i, document) in zip(live, documents) { XCTAssertEqual(document, DocumentTests.document(i), "\(type) id \(i)") }
            XCTAssertThrowsError(try vacuumed.documents(ids: [1]))
            let queries = clusteredVectors(count: 100, dimensions: d, seed: 51)
            let truth = bruteForce(base: vectors, queries: queries, dimensions: d, k: 10) { _, row in row % 2 == 0 }
            XCTAssertGreaterThanOrEqual(try recall(vacuumed.index, queries: queries, truth: truth, k: 10, ef: 100), 0.9, "\(type)")
            var more = batch(Array(vectors[0..<d]), dimensions: d)
            more.ids = [nil]
            XCTAssertEqual(try vacuumed.insert(more, options: InsertOptions()).firstID, UInt64(n), "\(type)")
            try db.discardAndClose()
        }
    }

    func testAnEmptiedIndexVacuumsToAnEmptyOne() throws {
        let dir = temporaryDirectory(self)
        try Caliby.initialize(dir)
        let db = try openDatabase(dir)
        let index = try db.createIndex(name: "v", type: .hnsw, config: IndexConfig(dimensions: d, maxElements: 100))
        _ = try index.insert(batch(clusteredVectors(count: 50, dimensions: d, seed: 52), dimensions: d), options: InsertOptions())
        XCTAssertEqual(try index.delete(ids: (0..<50).map(UInt64.init)), 50)
        try db.vacuumIndex("v")
        try db.flush()
        let vacuumed = try db.index(named: "v")
        XCTAssertEqual(vacuumed.count, 0)
        XCTAssertEqual(try db.check(vacuumed.info), [])
        try db.close()
    }
}

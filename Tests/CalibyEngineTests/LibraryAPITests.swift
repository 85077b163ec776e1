import CalibyEngine
import XCTest

/// The public library API as a Swift program uses it (`Caliby.open`, `Database`, `VectorIndex`):
/// the lifecycle, and misuse answered with typed errors that change nothing.
final class LibraryAPITests: XCTestCase {
    private let d = 8

    private func vectors(_ count: Int, seed: UInt64 = 3) -> [[Float]] {
        let flat = clusteredVectors(count: count, dimensions: d, seed: seed)
        return (0..<count).map { Array(flat[$0 * d..<($0 + 1) * d]) }
    }

    private func config(maxElements: Int = 1000, fields: [Field] = []) -> IndexConfig {
        IndexConfig(dimensions: d, maxElements: maxElements, schema: Schema(fields: fields))
    }

    func testCreateInsertFlushCloseReopenSearch() throws {
        let dir = temporaryDirectory(self)
        let db = try Caliby.open(dir, create: true)
        let index = try db.createIndex("docs", config: config())
        let data = vectors(200)
        let summary = try index.insert(data, ids: (0..<200).map { UInt64($0) * 10 })
        XCTAssertEqual(summary.inserted, 200)
        try index.insert(data[7].map { $0 + 0.001 }, id: 5)
        try db.flush()
        try db.close()

        let reopened = try Caliby.open(dir)
        defer { try? reopened.close() }
        XCTAssertEqual(reopened.listIndexes().map(\.name), ["docs"])
        let again = try reopened.openIndex("docs")
        XCTAssertEqual(try again.count, 201)
        XCTAssertEqual(try again.info.config.dimensions, d)
        let hits = try again.search(data[42], k: 3, ef: 50)
        XCTAssertEqual(hits.first?.id, 420)
        XCTAssertEqual(hits.count, 3)
    }

    func testCloseRefusesWhileChangesArePending() throws {
        let dir = temporaryDirectory(self)
        let db = try Caliby.open(dir, create: true)
        _ = try db.createIndex("docs", config: config())
        XCTAssertThrowsError(try db.close()) { XCTAssertEqual($0 as? CalibyError, .uncommittedChanges(directory: dir)) }
        // Still open and still holding the change: rollback discards it, then close succeeds.
        XCTAssertEqual(db.listIndexes().count, 1)
        try db.rollback()
        try db.close()
        let reopened = try Caliby.open(dir)
        XCTAssertEqual(reopened.listIndexes().count, 0)
        try reopened.close()
    }

    func testSecondOpenInTheSameProcessIsRefused() throws {
        let dir = temporaryDirectory(self)
        let db = try Caliby.open(dir, create: true)
        for (path, mode) in [(dir, AccessMode.readWrite), (dir + "/.", .readOnly), (dir + "//", .readWrite)] {
            XCTAssertThrowsError(try Caliby.open(path, mode: mode)) { error in
                guard case .alreadyOpen = error as? CalibyError else { return XCTFail("\(path): \(error)") }
                XCTAssertTrue("\(error)".hasPrefix("Data directory is already locked"), "\(error)")
            }
        }
        // The refusal took nothing from the first handle: it still commits.
        _ = try db.createIndex("docs", config: config())
        try db.flush()
        try db.close()
        let reopened = try Caliby.open(dir + "/.")
        XCTAssertEqual(reopened.listIndexes().map(\.name), ["docs"])
        try reopened.close()
    }

    func testWrongDimensionsAndCountsAreTypedErrorsThatChangeNothing() throws {
        let dir = temporaryDirectory(self)
        let db = try Caliby.open(dir, create: true)
        let index = try db.createIndex("docs", config: config())
        try db.flush()
        XCTAssertThrowsError(try index.insert([1, 2, 3], id: 1)) {
            XCTAssertEqual($0 as? CalibyError, .dimensionMismatch(index: "docs", expected: d, actual: 3, record: 0))
        }
        var batch = vectors(3)
        batch[2].removeLast()
        XCTAssertThrowsError(try index.insert(batch, ids: [1, 2, 3])) {
            XCTAssertEqual($0 as? CalibyError, .dimensionMismatch(index: "docs", expected: d, actual: d - 1, record: 2))
        }
        XCTAssertThrowsError(try index.insert(vectors(3), ids: [UInt64]())) {
            XCTAssertEqual($0 as? CalibyError, .countMismatch(expected: "3 vectors", actual: "0 ids"))
        }
        XCTAssertThrowsError(try index.insert(vectors(2), ids: [4, 4])) {
            XCTAssertEqual($0 as? CalibyError, .duplicateID(index: "docs", id: 4))
        }
        XCTAssertThrowsError(try index.insert([Float](repeating: .nan, count: d), id: 9)) {
            guard case .badInput = $0 as? CalibyError else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try index.search([1, 2], k: 5)) {
            XCTAssertEqual($0 as? CalibyError, .dimensionMismatch(index: "docs", expected: d, actual: 2, record: nil))
        }
        XCTAssertThrowsError(try index.search(vectors(1)[0], k: 0)) {
            guard case .invalidParameter(name: "k", _, _) = $0 as? CalibyError else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try index.search(vectors(1)[0], searchL: 50)) {
            guard case .invalidArgument = $0 as? CalibyError else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try index.delete(ids: [77])) { XCTAssertEqual($0 as? CalibyError, .noSuchID(index: "docs", id: 77)) }
        // None of these began a change: the transaction is clean and still usable.
        XCTAssertFalse(db.hasUncommittedChanges)
        XCTAssertEqual(try index.count, 0)
        try index.insert(vectors(1)[0], id: 1)
        try db.flush()
        XCTAssertEqual(try index.count, 1)
        try db.close()
    }

    func testAChangeThatFailsPartWayAcceptsOnlyRollback() throws {
        let dir = temporaryDirectory(self)
        let db = try Caliby.open(dir, create: true)
        let index = try db.createIndex("small", config: config(maxElements: 50))
        try index.insert(vectors(10), ids: (0..<10).map(UInt64.init))
        try db.flush()
        XCTAssertThrowsError(try index.insert(vectors(60, seed: 9), ids: (100..<160).map(UInt64.init))) {
            guard case .capacity = $0 as? CalibyError else { return XCTFail("\($0)") }
            // The library's own terms, not the command line's options.
            XCTAssertEqual("\($0)", "index 'small' is full: 60 vectors do not fit in the 40 free slots (maxElements 50); "
                           + "delete vectors or resize the index to make room")
        }
        XCTAssertThrowsError(try db.flush()) {
            guard case .transactionAborted = $0 as? CalibyError else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try index.insert(vectors(1)[0], id: 500)) {
            guard case .transactionAborted = $0 as? CalibyError else { return XCTFail("\($0)") }
        }
        try db.rollback()
        // The same object works after the rollback and sees the last commit.
        XCTAssertEqual(try index.count, 10)
        try index.insert(vectors(1)[0], id: 500)
        try db.flush()
        XCTAssertEqual(try index.count, 11)
        try db.close()
        XCTAssertThrowsError(try index.count) { guard case .invalidArgument = $0 as? CalibyError else { return XCTFail("\($0)") } }
    }

    func testDocumentsFiltersAndFullText() throws {
        let dir = temporaryDirectory(self)
        let db = try Caliby.open(dir, create: true)
        let index = try db.createIndex("notes", type: .diskann, config: config(fields: [
            Field(name: "body", type: .text), try Field(parsing: "price:float"), Field(name: "tag", type: .string),
        ]))
        let data = vectors(100)
        let documents = (0..<100).map { (i: Int) -> [String: FieldValue] in
            let body = i % 10 == 0 ? "a red fox number \(i)" : "plain note \(i)"
            return ["body": .string(body), "price": .float(Double(i)), "tag": .string(i % 2 == 0 ? "even" : "odd")]
        }
        try index.insert(data, ids: (0..<100).map(UInt64.init), documents: documents)
        try db.flush()

        let filtered = try index.search(data[51], k: 5, searchL: 60, filter: "tag = 'even' AND price < 50")
        XCTAssertEqual(filtered.count, 5)
        XCTAssertTrue(filtered.allSatisfy { $0.id % 2 == 0 && $0.id < 50 }, "\(filtered)")
        let text = try index.searchText("red fox", k: 20)
        XCTAssertEqual(Set(text.map(\.id)), Set(stride(from: 0, to: 100, by: 10).map(UInt64.init)))
        XCTAssertEqual(try index.documents(ids: [30], fields: ["tag", "price"]), [["tag": .string("even"), "price": .float(30)]])
        // Near vector 20 and about foxes: 20 is both, so it leads; every hit says what each side found.
        let hybrid = try index.searchHybrid(data[20], text: "fox", k: 5, searchL: 60)
        XCTAssertEqual(hybrid.first?.id, 20)
        XCTAssertEqual(hybrid.first?.vectorRank, 1)
        XCTAssertNotNil(hybrid.first?.textRank)
        XCTAssertEqual(hybrid.count, 5)
        XCTAssertThrowsError(try index.searchHybrid(data[20], text: "fox", method: .weighted(vectorWeight: 1.5))) {
            guard case .invalidParameter(name: "vectorWeight", _, _) = $0 as? CalibyError else { return XCTFail("\($0)") }
        }

        XCTAssertThrowsError(try index.insert(data[0], id: 201, document: ["price": .string("cheap")])) {
            XCTAssertEqual($0 as? CalibyError, .badInput(location: "record 1", message: "field 'price': expected float, got string"))
        }
        XCTAssertFalse(db.hasUncommittedChanges, "a refused document changes nothing")

        try index.update(id: 30, set: ["tag": .string("gold"), "price": nil])
        XCTAssertEqual(try index.documents(ids: [30]), [["body": .string("a red fox number 30"), "tag": .string("gold")]])
        XCTAssertThrowsError(try index.insert(data[0], id: 200, document: ["colour": .string("red")])) {
            guard case .invalidArgument(let message) = $0 as? CalibyError else { return XCTFail("\($0)") }
            XCTAssertTrue(message.contains("no field 'colour'"), message)
        }
        XCTAssertThrowsError(try index.search(data[0], filter: "price <")) {
            guard case .badFilter = $0 as? CalibyError else { return XCTFail("\($0)") }
        }
        XCTAssertEqual(try index.delete(ids: [30, 30, 40]), 2)
        XCTAssertEqual(Set(try index.searchText("fox", k: 20).map(\.id)).intersection([30, 40]), [])
        try db.flush()
        try db.close()
    }

    func testTemporaryIndexesOfBothTypesNeedNoDirectory() throws {
        let data = vectors(300, seed: 28)
        for type in IndexType.allCases {
            let index = try VectorIndex.temporary(type: type, config: config(maxElements: 500))
            try index.insert(data, ids: (0..<300).map(UInt64.init), threads: 2)
            XCTAssertEqual(try index.count, 300, "\(type)")
            XCTAssertEqual(try index.search(data[123], k: 1).first?.id, 123, "\(type)")
            XCTAssertThrowsError(try index.search(data[0], filter: "x = 1"), "\(type)")
            XCTAssertThrowsError(try index.insert(data[0], id: 999, document: ["x": .int(1)]), "\(type): documents are refused, not dropped")
            XCTAssertEqual(try index.count, 300, "\(type)")
        }
        XCTAssertThrowsError(try VectorIndex.temporary(config: config(fields: [Field(name: "t", type: .text)])))
        XCTAssertThrowsError(try VectorIndex.temporary(config: IndexConfig(dimensions: 65536, maxElements: IndexConfig.maxCapacity))) {
            guard case .tooLarge(_, lower: ["maxElements", "dimensions"]) = $0 as? CalibyError else { return XCTFail("\($0)") }
        }
    }
}

import Foundation
import XCTest
@testable import CalibyEngine

/// Documents with their vectors: storage round trips, updates, deletes, replace, schema changes,
/// reopen and rollback, on both index types.
final class DocumentTests: XCTestCase {
    static let schema = Schema(fields: [
        Field(name: "title", type: .text), Field(name: "category", type: .string), Field(name: "price", type: .float),
        Field(name: "year", type: .int), Field(name: "used", type: .bool), Field(name: "tags", type: .stringArray),
        Field(name: "sizes", type: .intArray),
    ])

    /// A document per row with every type, some values missing, some titles long enough to overflow a page.
    static func document(_ i: Int) -> Document {
        var d = Document(fieldCount: schema.fields.count)
        d[0] = .string(i % 7 == 0 ? String(repeating: "passage \(i) ", count: 400 + i % 50) : "title \(i) — ünïcødé")
        d[1] = .string(["audio", "video", "books"][i % 3])
        if i % 5 != 0 { d[2] = .float(Double(i) * 0.5) }
        d[3] = .int(Int64(1990 + i % 40))
        d[4] = .bool(i % 2 == 0)
        d[5] = .stringArray(i % 4 == 0 ? [] : ["t\(i % 10)", "common"])
        d[6] = .intArray([Int64(i), -Int64(i), Int64.max])
        return d
    }

    func makeCollection(_ db: Database, type: IndexType, count: Int, dimensions: Int = 8,
                        name: String = "docs") throws -> (DocumentCollection, [Float]) {
        let config = IndexConfig(dimensions: dimensions, maxElements: max(count * 2, 64), schema: DocumentTests.schema)
        let collection = try db.createCollection(name: name, type: type, config: config)
        let vectors = clusteredVectors(count: count, dimensions: dimensions, seed: 7)
        var b = batch(vectors, dimensions: dimensions)
        b.documents = (0..<count).map(DocumentTests.document)
        _ = try collection.insert(b, options: InsertOptions())
        return (collection, vectors)
    }

    func testRoundTripOfEveryTypeOnBothIndexTypes() throws {
        for type in IndexType.allCases {
            let dir = temporaryDirectory(self)
            try Caliby.initialize(dir)
            do {
                let db = try openDatabase(dir)
                _ = try makeCollection(db, type: type, count: 300)
                try db.flush()
                try db.discardAndClose()
            }
            let db = try openDatabase(dir, mode: .readOnly)
            defer { try? db.discardAndClose() }
            let collection = try db.collection(named: "docs")
            let ids = (0..<300).map(UInt64.init).shuffled()
            let documents = try collection.documents(ids: ids)
            for (id, document) in zip(ids, documents) {
                XCTAssertEqual(document, DocumentTests.document(Int(id)), "\(type) id \(id)")
            }
            XCTAssertEqual(try collection.checkIntegrity(), [], "\(type)")
            // Only the asked fields are decoded.
            let partial = try collection.documents(ids: [14], fields: ["year"])[0]
            XCTAssertEqual(partial[3], .int(2004))
            XCTAssertNil(partial[0])
        }
    }

    func testUpdateDeleteAndReplaceKeepDocumentsWithTheirIds() throws {
        let dir = temporaryDirectory(self)
        try Caliby.initialize(dir)
        let db = try openDatabase(dir)
        defer { try? db.discardAndClose() }
        let (collection, vectors) = try makeCollection(db, type: .hnsw, count: 200)
        try collection.update(id: 7, set: [("price", .float(18.5)), ("tags", .stringArray(["a"])), ("title", nil)])
        var expected = DocumentTests.document(7)
        expected[2] = .float(18.5)
        expected[5] = .stringArray(["a"])
        expected[0] = nil
        XCTAssertEqual(try collection.documents(ids: [7])[0], expected)
        XCTAssertThrowsError(try collection.update(id: 7, set: [("price", .string("cheap"))])) { error in
            XCTAssertEqual("\(error)", "id 7: field 'price': expected float, got string")
        }
        XCTAssertThrowsError(try collection.update(id: 7, set: [("colour", .string("red"))])) { error in
            XCTAssertTrue("\(error)".contains("has no field 'colour'"), "\(error)")
        }

        XCTAssertEqual(try collection.delete(ids: [3, 14]), 2)
        XCTAssertThrowsError(try collection.documents(ids: [14])) { XCTAssertEqual($0 as? CalibyError, .noSuchID(index: "docs", id: 14)) }
        // An unknown id among known ones deletes nothing.
        XCTAssertThrowsError(try collection.delete(ids: [20, 999]))
        XCTAssertEqual(try collection.documents(ids: [20])[0], DocumentTests.document(20))

        var replacement = batch(Array(vectors[0..<16]), dimensions: 8, ids: [20, 21])
        var new = Document(fieldCount: DocumentTests.schema.fields.count)
        new[1] = .string("replaced")
        replacement.documents = [new, new]
        let summary = try collection.insert(replacement, options: InsertOptions(replace: true))
        XCTAssertEqual(summary.replaced, 2)
        XCTAssertEqual(try collection.documents(ids: [20, 21]), [new, new])
        XCTAssertEqual(try collection.checkIntegrity(), [])
        XCTAssertEqual(collection.store!.documentCount, 198)
    }

    func testRollbackRestoresDocumentsAndSpaceIsReused() throws {
        let dir = temporaryDirectory(self)
        try Caliby.initialize(dir)
        let db = try openDatabase(dir)
        defer { try? db.discardAndClose() }
        _ = try makeCollection(db, type: .diskann, count: 100)
        try db.flush()
        var collection = try db.collection(named: "docs")
        for round in 0..<20 {
            for id in UInt64(0)..<100 { try collection.update(id: id, set: [("title", .string(String(repeating: "x", count: 50 + round * 90)))]) }
        }
        // Updates reuse the space of what they replace: 20 rounds of 100 documents of up to ~1.8 KB
        // would take over 900 pages if nothing were reused.
        XCTAssertLessThan(collection.store!.mutex.withLock { collection.store!.header.highWater }, 400)
        XCTAssertEqual(try collection.checkIntegrity(), [])
        try db.rollback()
        collection = try db.collection(named: "docs")
        XCTAssertEqual(try collection.documents(ids: [42])[0], DocumentTests.document(42))
        XCTAssertEqual(try collection.checkIntegrity(), [])
    }

    func testAlterAddsFieldsToOldAndNewDocuments() throws {
        let dir = temporaryDirectory(self)
        try Caliby.initialize(dir)
        let db = try openDatabase(dir)
        defer { try? db.discardAndClose() }
        // An index without fields: same file as ever, until a field arrives.
        let plain = try db.createCollection(name: "plain", type: .hnsw, config: IndexConfig(dimensions: 4, maxElements: 100))
        XCTAssertNil(plain.info.documentFileName)
        _ = try plain.insert(batch(clusteredVectors(count: 10, dimensions: 4, seed: 1), dimensions: 4), options: InsertOptions())
        try db.flush()
        try plain.addField(Field(name: "note", type: .text))
        try plain.update(id: 3, set: [("note", .string("hello"))])
        XCTAssertThrowsError(try plain.addField(Field(name: "must", type: .int, required: true))) { error in
            XCTAssertTrue("\(error)".contains("cannot be required"), "\(error)")
        }
        try db.flush()
        let reopened = try db.collection(named: "plain")
        XCTAssertEqual(reopened.schema.fields.map(\.spec), ["note:text"])
        XCTAssertEqual(try reopened.documents(ids: [3, 4]).map { $0[0] }, [.string("hello"), nil])
        XCTAssertEqual(try reopened.checkIntegrity(), [])
    }

    func testBadDocumentsAreRefusedWithTheirRecord() throws {
        let dir = temporaryDirectory(self)
        try Caliby.initialize(dir)
        let db = try openDatabase(dir)
        defer { try? db.discardAndClose() }
        var schema = DocumentTests.schema
        schema.fields[1].required = true
        let collection = try db.createCollection(name: "strict", type: .hnsw,
                                                 config: IndexConfig(dimensions: 4, maxElements: 10, schema: schema))
        var b = batch(clusteredVectors(count: 2, dimensions: 4, seed: 1), dimensions: 4)
        b.firstRecordNumber = 5
        b.documents = [DocumentTests.document(1), Document(fieldCount: schema.fields.count)]
        XCTAssertThrowsError(try collection.insert(b, options: InsertOptions())) { error in
            XCTAssertEqual("\(error)", "record 6: field 'category': required field missing")
        }
        b.documents[1] = DocumentTests.document(2)
        b.documents[1][1] = .string(String(repeating: "k", count: Schema.maxStringBytes + 1))
        XCTAssertThrowsError(try collection.insert(b, options: InsertOptions())) { error in
            XCTAssertEqual("\(error)", "record 6: field 'category': 4097 bytes, more than the 4096 a string may hold")
        }
    }

    func testCheckFindsADamagedDocumentPage() throws {
        let dir = temporaryDirectory(self)
        try Caliby.initialize(dir)
        let heapPage: Int, info: IndexInfo
        do {
            let db = try openDatabase(dir)
            let (collection, _) = try makeCollection(db, type: .hnsw, count: 50)
            heapPage = try collection.store!.ref(of: try XCTUnwrap(collection.host.node(of: 1)))!.page
            info = collection.info
            try db.flush()
            try db.discardAndClose()
        }
        // Overwrite the slot of id 1's document with an offset past the page, checksum recomputed:
        // only the document check can notice.
        let path = dir + "/" + info.documentFileName!
        var file = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        patchPage(&file, page: heapPage, pageSize: DocumentLayout.pageSize) { p in
            for slot in 0..<4 {
                p.storeBytes(of: UInt16(4070), toByteOffset: DocumentLayout.heapHeaderBytes + slot * DocumentLayout.slotBytes, as: UInt16.self)
            }
        }
        try Data(file).write(to: URL(fileURLWithPath: path))
        let db = try openDatabase(dir, mode: .readOnly)
        defer { try? db.discardAndClose() }
        let problems = try db.check(info)
        XCTAssertTrue(problems.contains { $0.contains("outside the page's records") }, "\(problems)")
        XCTAssertThrowsError(try db.collection(named: "docs").documents(ids: [1])) { error in
            XCTAssertEqual((error as? CalibyError)?.category, .corrupt)
        }
    }

    func testFiltersMatchTheSameDocumentsWithAndWithoutFieldIndexes() throws {
        let dir = temporaryDirectory(self)
        try Caliby.initialize(dir)
        let db = try openDatabase(dir)
        defer { try? db.discardAndClose() }
        var indexed = DocumentTests.schema
        for name in ["category", "year", "tags", "price", "used"] { indexed.fields[indexed.position(of: name)!].indexed = true }
        let count = 400
        var expected = Dictionary(uniqueKeysWithValues: (0..<count).map { (UInt64($0), DocumentTests.document($0)) })
        let vectors = clusteredVectors(count: count, dimensions: 4, seed: 3)
        let collections = try [DocumentTests.schema, indexed].enumerated().map { i, schema -> DocumentCollection in
            let c = try db.createCollection(name: "c\(i)", type: i == 0 ? .hnsw : .diskann,
                                            config: IndexConfig(dimensions: 4, maxElements: 1000, schema: schema))
            var b = batch(vectors, dimensions: 4)
            b.documents = (0..<count).map(DocumentTests.document)
            _ = try c.insert(b, options: InsertOptions())
            return c
        }
        let filters = ["category = 'audio'", "year BETWEEN 2000 AND 2010 AND category IN ('video', 'books')",
                       "tags CONTAINS 't3' AND price > 10", "price IS NULL OR year < 1995", "used AND year >= 2025",
                       "NOT (category = 'audio') AND tags CONTAINS 'common'", "price < 0", "year = 2001.5",
                       "category > 'b' AND category <= 'books'"]
        func verify(_ stage: String) throws {
            for text in filters {
                let filter = try Filter(parsing: text, schema: DocumentTests.schema)
                let truth = expected.filter { filter.matches($0.value) }.keys.sorted()
                for c in collections {
                    XCTAssertEqual(try c.ids(matching: filter), truth, "\(stage), \(c.name): \(text)")
                }
            }
            for c in collections { XCTAssertEqual(try c.checkIntegrity(), [], "\(stage), \(c.name)") }
        }
        try verify("inserted")
        for id in stride(from: UInt64(0), to: UInt64(count), by: 7) {
            let changes: [(field: String, value: FieldValue?)] = [("category", .string("audio")), ("tags", .stringArray(["t3", "new"])),
                                                                  ("year", nil)]
            for c in collections { try c.update(id: id, set: changes) }
            expected[id]![1] = .string("audio")
            expected[id]![5] = .stringArray(["t3", "new"])
            expected[id]![3] = nil
        }
        for id in stride(from: UInt64(1), to: UInt64(count), by: 5) {
            for c in collections { _ = try c.delete(ids: [id]) }
            expected[id] = nil
        }
        try verify("updated and deleted")
        try db.flush()
        try verify("committed")
    }

    /// Search through a filter, end to end: every hit matches, and recall@10 against brute force
    /// over the matching vectors holds at 1 %, 10 %, 50 % and 100 % on both index types.
    func testFilteredSearchRecallAtEverySelectivity() throws {
        let dir = temporaryDirectory(self)
        try Caliby.initialize(dir)
        let db = try openDatabase(dir)
        defer { try? db.discardAndClose() }
        let (count, dimensions) = (3000, 16)
        let vectors = clusteredVectors(count: count, dimensions: dimensions, seed: 21)
        let queries = clusteredVectors(count: 30, dimensions: dimensions, seed: 22)
        let schema = Schema(fields: [Field(name: "bucket", type: .int, indexed: true)])
        for type in IndexType.allCases {
            let c = try db.createCollection(name: type.rawValue, type: type,
                                            config: IndexConfig(dimensions: dimensions, maxElements: count, schema: schema))
            var b = batch(vectors, dimensions: dimensions)
            // Buckets by a hash of the id, so a selectivity is spread over every cluster.
            let bucket = { (i: Int) in Int(SplitMix.mix(UInt64(i)) % 100) }
            b.documents = (0..<count).map { Document(values: [.int(Int64(bucket($0)))]) }
            _ = try c.insert(b, options: InsertOptions())
            for percent in [1, 10, 50, 100] {
                let filter = try Filter(parsing: "bucket < \(percent)", schema: schema)
                let prepared = try c.prepare(filter)
                XCTAssertEqual(prepared.matchCount, (0..<count).filter { bucket($0) < percent }.count)
                let truth = bruteForce(base: vectors, queries: queries, dimensions: dimensions, k: 10) { _, row in bucket(row) < percent }
                let found = try stride(from: 0, to: queries.count, by: dimensions).map { qo in
                    try queries.withUnsafeBufferPointer { try c.search($0.baseAddress! + qo, parameters: SearchParameters(k: 10), filter: prepared) }
                }
                for hit in found.joined() { XCTAssertLessThan(bucket(Int(hit.id)), percent, "\(type) \(percent) %: id \(hit.id) does not match") }
                XCTAssertGreaterThanOrEqual(recall(found, truth), 0.95, "\(type) at \(percent) %")
            }
        }
    }
}


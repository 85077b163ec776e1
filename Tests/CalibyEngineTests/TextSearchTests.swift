import Foundation
import XCTest
@testable import CalibyEngine

/// Full-text search: BM25 against a brute-force scorer written from the definition (README's
/// "Full-text search"), through inserts, updates, deletes, replaces, merges and a reopen; phrases
/// and operators; damage; hybrid fusion against hand-computed rankings.
final class TextSearchTests: XCTestCase {
    static let words = ["lock", "file", "timeout", "network", "the", "a", "of", "descriptor", "socket", "page", "buffer", "cache",
                        "journal", "commit", "Lock", "LOCK", "café", "cafe", "naïve", "signal", "process", "thread", "kernel", "fcntl"]

    /// Zipf-like: the first words are much more common than the last, so idf varies widely.
    static func sentence(_ rng: inout SeededGenerator) -> String {
        let length = Int.random(in: 1...24, using: &rng)
        return (0..<length).map { _ in
            let r = Double.random(in: 0..<1, using: &rng)
            return words[min(words.count - 1, Int(Double(words.count) * r * r))]
        }.joined(separator: Bool.random(using: &rng) ? " " : ", ")
    }

    func makeCollection(_ db: Database, fields: [Field], analyzer: Analyzer = .standard) throws -> DocumentCollection {
        try db.createCollection(name: "t", type: .hnsw, config: IndexConfig(dimensions: 2, maxElements: 4000, hnsw: HNSWConfig(M: 8, efConstruction: 20),
                                                                            schema: Schema(fields: fields), analyzer: analyzer))
    }

    func insert(_ collection: DocumentCollection, _ texts: [(UInt64, String)], replace: Bool = false) throws {
        var b = batch(texts.flatMap { [Float($0.0 % 97), Float($0.0 % 89)] }, dimensions: 2, ids: texts.map(\.0))
        b.documents = texts.map { Document(values: [.string($0.1)]) }
        _ = try collection.insert(b, options: InsertOptions(replace: replace))
    }

    // MARK: The reference scorer

    /// BM25 exactly as documented, over every live document: nothing here uses the index.
    static func bruteForce(_ query: TextQuery, _ live: [UInt64: String], analyzer: Analyzer, k: Int) -> [TextHit] {
        let terms = live.mapValues { analyzer.terms($0) }.filter { !$0.value.isEmpty }
        let n = Double(terms.count)
        guard n > 0 else { return [] }
        let averageLength = Double(terms.values.reduce(0) { $0 + $1.count }) / n
        func frequency(_ phrase: [String], in document: [String]) -> Int {
            guard document.count >= phrase.count else { return 0 }
            return (0...(document.count - phrase.count)).filter { Array(document[$0..<$0 + phrase.count]) == phrase }.count
        }
        func idf(_ term: String) -> Double {
            let df = Double(terms.values.filter { $0.contains(term) }.count)
            return log(1 + (n - df + 0.5) / (df + 0.5))
        }
        var hits: [TextHit] = []
        for (id, document) in terms {
            var score = 0.0, required = 0, any = false, excluded = false
            for clause in query.clauses {
                let tf = Double(frequency(clause.terms, in: document))
                guard tf > 0 else { continue }
                if clause.occur == .mustNot { excluded = true; continue }
                let weight = clause.terms.reduce(0) { $0 + idf($1) }
                score += weight * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * Double(document.count) / averageLength))
                if clause.occur == .must { required += 1 }
                any = true
            }
            let musts = query.clauses.filter { $0.occur == .must }.count
            if !excluded && (musts > 0 ? required == musts : any) { hits.append(TextHit(id: id, score: score)) }
        }
        return Array(hits.sorted { $0.score != $1.score ? $0.score > $1.score : $0.id < $1.id }.prefix(k))
    }

    func assertSameRanking(_ actual: [TextHit], _ expected: [TextHit], _ context: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, "\(context): result sizes", file: file, line: line)
        for (a, e) in zip(actual, expected) {
            XCTAssertEqual(a.score, e.score, accuracy: 1e-9 * max(1, e.score), "\(context)", file: file, line: line)
        }
        // Ids agree except among documents whose scores differ only by rounding.
        let distinct = { (hits: [TextHit]) in hits.map { "\($0.id)@\(($0.score * 1e6).rounded())" } }
        XCTAssertEqual(Set(distinct(actual)), Set(distinct(expected)), "\(context)", file: file, line: line)
    }

    func randomQuery(_ rng: inout SeededGenerator, live: [UInt64: String]) -> String {
        var parts: [String] = []
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            let word = TextSearchTests.words.randomElement(using: &rng)!
            switch Int.random(in: 0..<10, using: &rng) {
            case 0: parts.append("+" + word)
            case 1: parts.append("-" + word)
            case 2:
                let document = live.values.randomElement(using: &rng).map { Analyzer.standard.terms($0) } ?? []
                if document.count >= 2 {
                    let start = Int.random(in: 0..<document.count - 1, using: &rng)
                    parts.append("\"\(document[start]) \(document[start + 1])\"")
                }
            default: parts.append(word)
            }
        }
        if parts.allSatisfy({ $0.hasPrefix("-") }) { parts.append("lock") }
        return parts.joined(separator: " ")
    }

    // MARK: Tests

    func testBM25MatchesABruteForceScorerThroughChangesMergesAndReopen() throws {
        let dir = temporaryDirectory(self)
        try Caliby.initialize(dir)
        var rng = SeededGenerator(seed: 4242)
        var live: [UInt64: String] = [:]
        var nextID: UInt64 = 0
        func verify(_ collection: DocumentCollection, _ stage: String) throws {
            for _ in 0..<40 {
                let text = randomQuery(&rng, live: live)
                let query = try collection.textQuery(text)
                assertSameRanking(try collection.searchText(query, k: 10), TextSearchTests.bruteForce(query, live, analyzer: .standard, k: 10),
                                  "\(stage): \(text)")
            }
            XCTAssertEqual(try collection.checkIntegrity(), [], stage)
        }
        do {
            let db = try openDatabase(dir)
            let collection = try makeCollection(db, fields: [Field(name: "body", type: .text, indexed: true)])
            for round in 0..<14 {
                let texts = (0..<60).map { _ -> (UInt64, String) in
                    defer { nextID += 1 }
                    return (nextID, TextSearchTests.sentence(&rng))
                }
                try insert(collection, texts)
                for (id, text) in texts { live[id] = text }
                for _ in 0..<4 {
                    let id = live.keys.randomElement(using: &rng)!
                    let text = TextSearchTests.sentence(&rng)
                    try collection.update(id: id, set: [("body", .string(text))])
                    live[id] = text
                }
                let gone = Array(live.keys.shuffled(using: &rng).prefix(3))
                _ = try collection.delete(ids: gone)
                for id in gone { live[id] = nil }
                let replaced = live.keys.shuffled(using: &rng).prefix(3).map { ($0, TextSearchTests.sentence(&rng)) }
                try insert(collection, replaced, replace: true)
                for (id, text) in replaced { live[id] = text }
                if round % 4 == 3 { try verify(collection, "round \(round)") }
            }
            let root = collection.store!.textIndex!.root
            XCTAssertLessThan(root.segments.count, TextLayout.mergeFactor * 3, "segments are merged as they accumulate")
            try db.flush()
            try db.discardAndClose()
        }
        let db = try openDatabase(dir)
        defer { try? db.discardAndClose() }
        try verify(try db.collection(named: "t"), "after reopen")
    }

    func testPhrasesOperatorsAndFoldingOnAHandMadeCorpus() throws {
        let dir = temporaryDirectory(self)
        try Caliby.initialize(dir)
        let db = try openDatabase(dir)
        defer { try? db.discardAndClose() }
        let collection = try makeCollection(db, fields: [Field(name: "body", type: .text, indexed: true)])
        try insert(collection, [(1, "The fcntl lock timeout was reached"), (2, "lock the door, then wait for the timeout"),
                                (3, "Café au lait"), (4, "a timeout lock"), (5, "CAFE NOIR")])
        func ids(_ text: String) throws -> [UInt64] { try collection.searchText(collection.textQuery(text), k: 10).map(\.id) }
        XCTAssertEqual(try ids("\"lock timeout\""), [1], "the phrase's words in order, adjacent")
        XCTAssertEqual(Set(try ids("\"timeout lock\"")), [4])
        XCTAssertEqual(Set(try ids("lock timeout")), [1, 2, 4])
        XCTAssertEqual(Set(try ids("lock -door")), [1, 4])
        XCTAssertEqual(Set(try ids("+fcntl lock")), [1])
        XCTAssertEqual(Set(try ids("+lock +timeout -\"lock timeout\"")), [2, 4])
        XCTAssertEqual(Set(try ids("cafe")), [3, 5], "case and diacritics fold")
        XCTAssertEqual(Set(try ids("CAFÉ")), [3, 5])
        XCTAssertEqual(try ids("nothing"), [])
        let first = try collection.searchText(collection.textQuery("lock timeout"), k: 10)
        XCTAssertEqual(first.map(\.id).first, 4, "the shortest document with both terms ranks first")
    }

    func testPhrasesDoNotSpanFieldsAndEveryTextFieldIsSearched() throws {
        let dir = temporaryDirectory(self)
        try Caliby.initialize(dir)
        let db = try openDatabase(dir)
        defer { try? db.discardAndClose() }
        let collection = try makeCollection(db, fields: [Field(name: "title", type: .text, indexed: true), Field(name: "body", type: .text, indexed: true),
                                                         Field(name: "note", type: .text, indexed: false)])
        var b = batch([0, 0, 1, 1], dimensions: 2, ids: [1, 2])
        b.documents = [Document(values: [.string("open lock"), .string("timeout here"), .string("secret")]),
                       Document(values: [.string("lock timeout"), nil, nil])]
        _ = try collection.insert(b, options: InsertOptions())
        XCTAssertEqual(try collection.searchText(collection.textQuery("\"lock timeout\""), k: 10).map(\.id), [2])
        XCTAssertEqual(Set(try collection.searchText(collection.textQuery("timeout"), k: 10).map(\.id)), [1, 2])
        XCTAssertEqual(try collection.searchText(collection.textQuery("secret"), k: 10).map(\.id), [], "a noindex field is not searched")
        // Indexing the third field later re-indexes every document.
        try collection.createFieldIndex("note")
        XCTAssertEqual(try collection.searchText(collection.textQuery("secret"), k: 10).map(\.id), [1])
        XCTAssertEqual(try collection.checkIntegrity(), [])
    }

    func testWhereFiltersTextResults() throws {
        let dir = temporaryDirectory(self)
        try Caliby.initialize(dir)
        let db = try openDatabase(dir)
        defer { try? db.discardAndClose() }
        let collection = try makeCollection(db, fields: [Field(name: "body", type: .text, indexed: true), Field(name: "n", type: .int)])
        var b = batch((0..<40).flatMap { [Float($0), 0] }, dimensions: 2, ids: (0..<40).map(UInt64.init))
        b.documents = (0..<40).map { Document(values: [.string($0 % 2 == 0 ? "lock file" : "lock"), .int(Int64($0))]) }
        _ = try collection.insert(b, options: InsertOptions())
        let filter = try collection.prepare(Filter(parsing: "n >= 30", schema: collection.schema))
        let hits = try collection.searchText(collection.textQuery("lock"), k: 100, filter: filter)
        XCTAssertEqual(Set(hits.map(\.id)), Set((30..<40).map(UInt64.init)))
        XCTAssertEqual(hits.map(\.id), [31, 33, 35, 37, 39, 30, 32, 34, 36, 38], "shorter documents first, ties by id")
    }

    func testADamagedPostingPageIsReportedByCheckAndByTheQueryThatReadsIt() throws {
        let dir = temporaryDirectory(self)
        try Caliby.initialize(dir)
        let info: IndexInfo, dataPage: Int
        do {
            let db = try openDatabase(dir)
            let collection = try makeCollection(db, fields: [Field(name: "body", type: .text, indexed: true)])
            var rng = SeededGenerator(seed: 9)
            try insert(collection, (0..<400).map { (UInt64($0), TextSearchTests.sentence(&rng)) })
            try db.flush()
            let text = collection.store!.textIndex!
            dataPage = try text.reader(text.root.segments[0]).dataPages[0]
            info = collection.info
            try db.discardAndClose()
        }
        // Postings of the first terms, rewritten as bytes that decode to nonsense; the checksum
        // is recomputed, so only the text index's own validation can notice.
        let path = dir + "/" + info.documentFileName!
        var file = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        patchPage(&file, page: dataPage, pageSize: DocumentLayout.pageSize) { p in memset(p, 0xFF, 64) }
        try Data(file).write(to: URL(fileURLWithPath: path))
        let db = try openDatabase(dir, mode: .readOnly)
        defer { try? db.discardAndClose() }
        let problems = try db.check(info)
        XCTAssertTrue(problems.contains { $0.contains("text") }, "\(problems)")
        let collection = try db.collection(named: "t")
        var failed = false
        for word in Set(TextSearchTests.words.map { $0.lowercased() }) {
            do { _ = try collection.searchText(collection.textQuery(word), k: 10) } catch let error as CalibyError {
                XCTAssertEqual(error.category, .corrupt, "\(error)")
                failed = true
            }
        }
        XCTAssertTrue(failed, "a query reading the damaged postings reports damage")
    }

    func testRollbackForgetsUncommittedTextChanges() throws {
        let dir = temporaryDirectory(self)
        try Caliby.initialize(dir)
        let db = try openDatabase(dir)
        defer { try? db.discardAndClose() }
        try insert(makeCollection(db, fields: [Field(name: "body", type: .text, indexed: true)]), [(1, "alpha beta"), (2, "beta gamma")])
        try db.flush()
        var collection = try db.collection(named: "t")
        try insert(collection, [(3, "alpha alpha")])
        _ = try collection.delete(ids: [1])
        try db.rollback()
        collection = try db.collection(named: "t")
        XCTAssertEqual(Set(try collection.searchText(collection.textQuery("alpha"), k: 10).map(\.id)), [1])
        XCTAssertEqual(try collection.checkIntegrity(), [])
    }

    func testATermWhoseDocumentsChangedBeforeTheSegmentWasWrittenLeavesNoEntry() throws {
        let dir = temporaryDirectory(self)
        try Caliby.initialize(dir)
        let db = try openDatabase(dir)
        defer { try? db.discardAndClose() }
        let collection = try makeCollection(db, fields: [Field(name: "body", type: .text, indexed: true)])
        try insert(collection, [(1, "first words")])
        // Within one command: a document indexed, then replaced, before its segment is written.
        let store = collection.store!, node = try XCTUnwrap(collection.host.node(of: 1))
        try store.put(Document(values: [.string("ephemeral text")]), node: node)
        try store.put(Document(values: [.string("lasting text")]), node: node)
        try store.finishChanges()
        XCTAssertEqual(try collection.searchText(collection.textQuery("ephemeral"), k: 10), [])
        XCTAssertEqual(try collection.searchText(collection.textQuery("lasting"), k: 10).map(\.id), [1])
        XCTAssertEqual(try collection.searchText(collection.textQuery("first"), k: 10), [])
        XCTAssertEqual(try collection.checkIntegrity(), [])
    }

    // MARK: Hybrid fusion

    func testReciprocalRankFusionAgainstAHandComputedRanking() {
        let vector = [SearchHit(id: 1, distance: 0.1), SearchHit(id: 2, distance: 0.2), SearchHit(id: 3, distance: 0.3)]
        let text = [TextHit(id: 3, score: 9), TextHit(id: 4, score: 5), TextHit(id: 1, score: 1)]
        let fused = HybridFusion.fuse(vector: vector, text: text, method: .rrf, k: 10)
        // 1: 1/61 + 1/63; 3: 1/63 + 1/61 (tie, id 1 first); 2: 1/62; 4: 1/62 (tie, id 2 first).
        XCTAssertEqual(fused.map(\.id), [1, 3, 2, 4])
        XCTAssertEqual(fused[0].score, 1.0 / 61 + 1.0 / 63, accuracy: 1e-12)
        XCTAssertEqual(fused[2].score, 1.0 / 62, accuracy: 1e-12)
        XCTAssertEqual(fused[0].vectorRank, 1)
        XCTAssertEqual(fused[0].textRank, 3)
        XCTAssertNil(fused[3].vectorRank)
        XCTAssertEqual(fused[3].textScore, 5)
    }

    func testWeightedFusionNormalizesEachSide() throws {
        let vector = [SearchHit(id: 1, distance: 1), SearchHit(id: 2, distance: 2), SearchHit(id: 3, distance: 5)]
        let text = [TextHit(id: 3, score: 10), TextHit(id: 2, score: 6), TextHit(id: 4, score: 2)]
        // vector: 1 → 1, 2 → 0.75, 3 → 0; text: 3 → 1, 2 → 0.5, 4 → 0.
        let fused = HybridFusion.fuse(vector: vector, text: text, method: try HybridMethod(parsing: "0.7"), k: 3)
        XCTAssertEqual(fused.map(\.id), [1, 2, 3])
        XCTAssertEqual(fused[0].score, 0.7, accuracy: 1e-12)
        XCTAssertEqual(fused[1].score, 0.7 * 0.75 + 0.3 * 0.5, accuracy: 1e-12)
        XCTAssertEqual(fused[2].score, 0.3, accuracy: 1e-12)
        let textOnly = HybridFusion.fuse(vector: vector, text: text, method: .weighted(vectorWeight: 0), k: 2)
        XCTAssertEqual(textOnly.map(\.id), [3, 2])
        XCTAssertThrowsError(try HybridMethod(parsing: "1.5"))
        XCTAssertThrowsError(try HybridMethod(parsing: "rfr"))
    }
}

import Foundation
import XCTest

/// Documents through the command line: create with fields, insert JSON lines and CSV, search with
/// --where and --fields in every format, get, update, delete, alter, index, and refusals.
final class DocumentCLITests: XCTestCase {
    private let fields = ["--field", "title:text", "--field", "category:string!", "--field", "price:float",
                          "--field", "year:int", "--field", "used:bool", "--field", "tags:string[]"]

    /// 40 documents of 4-dimensional vectors: id i is near (i, i, i, i); every third is 'audio'.
    private func items(count: Int = 40) -> String {
        (0..<count).map { i in
            let category = ["audio", "video", "books"][i % 3]
            let price = i % 5 == 0 ? "null" : "\(Double(i) + 0.5)"
            let tags = i % 2 == 0 ? "[\"wireless\", \"t\(i)\"]" : "[]"
            return "{\"id\": \(i), \"vector\": [\(i), \(i), \(i), \(i)], \"title\": \"Item \(i), \\\"quoted\\\" \\u00e9\", "
                + "\"category\": \"\(category)\", \"price\": \(price), \"year\": \(2000 + i), \"used\": \(i % 4 == 0), \"tags\": \(tags)}"
        }.joined(separator: "\n") + "\n"
    }

    private func loaded(type: String = "hnsw", extra: [String] = []) throws -> String {
        let dir = try makeDataDirectory()
        try succeed(["create", "docs", "--type", type, "--dim", "4", "--max-elements", "1000"] + fields + extra, in: dir)
        let file = try makeTemporaryFile("items.jsonl", contents: Data(items().utf8))
        try succeed(["insert", "docs", file, "--quiet"], in: dir)
        return dir
    }

    func testFilteredSearchReturnsOnlyMatchingDocumentsWithTheirFields() throws {
        for type in ["hnsw", "diskann"] {
            let dir = try loaded(type: type)
            let result = try succeed(["search", "docs", "--vector", "10,10,10,10", "-k", "5", "--format", "tsv",
                                      "--where", "category = 'audio' AND price < 30 AND tags CONTAINS 'wireless'",
                                      "--fields", "title,price,tags"], in: dir)
            // audio: i % 3 == 0; wireless: even; price < 30 and not null: i < 30, i % 5 != 0.
            XCTAssertEqual(result, """
                query\trank\tid\tdistance\ttitle\tprice\ttags
                0\t1\t12\t16.0\tItem 12, "quoted" é\t12.5\t["wireless","t12"]
                0\t2\t6\t64.0\tItem 6, "quoted" é\t6.5\t["wireless","t6"]
                0\t3\t18\t256.0\tItem 18, "quoted" é\t18.5\t["wireless","t18"]
                0\t4\t24\t784.0\tItem 24, "quoted" é\t24.5\t["wireless","t24"]

                """, type)
            // JSON keeps the types: numbers, strings, arrays, null for a missing value.
            let json = try succeed(["search", "docs", "--vector", "0,0,0,0", "-k", "1", "--format", "jsonl", "--fields", "*"], in: dir)
            XCTAssertEqual(json, "{\"query\":0,\"rank\":1,\"id\":0,\"distance\":0.0,\"title\":\"Item 0, \\\"quoted\\\" é\","
                           + "\"category\":\"audio\",\"price\":null,\"year\":2000,\"used\":true,\"tags\":[\"wireless\",\"t0\"]}\n", type)
        }
    }

    func testGetUpdateDeleteAndCheck() throws {
        let dir = try loaded()
        XCTAssertEqual(try succeed(["get", "docs", "7", "3", "--fields", "category,year", "--format", "csv"], in: dir),
                       "id,category,year\n7,video,2007\n3,audio,2003\n")
        try succeed(["update", "docs", "7", "--set", "price=18.75", "--set", "tags=[\"a\"]", "--unset", "year"], in: dir)
        XCTAssertEqual(try succeed(["get", "docs", "7", "--fields", "price,tags,year", "--format", "jsonl"], in: dir),
                       "{\"id\":7,\"price\":18.75,\"tags\":[\"a\"],\"year\":null}\n")
        XCTAssertEqual(try succeed(["get", "docs", "--where", "year IS NULL OR price = 18.75", "--fields", "title"], in: dir),
                       "id\ttitle\n7\tItem 7, \"quoted\" é\n")
        XCTAssertEqual(try succeed(["get", "docs", "--where", "used", "--limit", "3", "--fields", "used"], in: dir),
                       "id\tused\n0\ttrue\n4\ttrue\n8\ttrue\n")
        try succeed(["delete", "docs", "7"], in: dir)
        try expectError(["get", "docs", "7"], in: dir, status: 66, stderr: "caliby: error: index 'docs' has no id 7\n")
        try succeed(["check"], in: dir)
    }

    func testBadDocumentsAndFiltersAreRefusedAndNothingIsCommitted() throws {
        let dir = try loaded()
        let bad = try makeTemporaryFile("bad.jsonl", contents: Data("""
            {"id": 100, "vector": [1, 2, 3, 4], "category": "audio"}
            {"id": 101, "vector": [1, 2, 3, 4], "category": "audio", "price": "cheap"}

            """.utf8))
        let result = try CLI.run(["insert", "docs", bad, "--quiet"], directory: dir)
        XCTAssertEqual(result.status, 65, result.stderr)
        XCTAssertTrue(result.stderr.contains("bad.jsonl:2"), result.stderr)
        XCTAssertTrue(result.stderr.contains("price"), result.stderr)
        try expectError(["get", "docs", "100"], in: dir, status: 66, stderr: "caliby: error: index 'docs' has no id 100\n")

        let missing = try makeTemporaryFile("missing.jsonl", contents: Data("{\"id\": 102, \"vector\": [1, 2, 3, 4]}\n".utf8))
        let required = try CLI.run(["insert", "docs", missing, "--quiet"], directory: dir)
        XCTAssertEqual(required.status, 65, required.stderr)
        XCTAssertTrue(required.stderr.contains("missing.jsonl:1") && required.stderr.contains("category"), required.stderr)

        let syntax = try CLI.run(["search", "docs", "--vector", "1,1,1,1", "--where", "price < "], directory: dir)
        XCTAssertEqual(syntax.status, 64)
        XCTAssertTrue(syntax.stderr.hasPrefix("caliby: error: --where: 1:"), syntax.stderr)
        let unknown = try CLI.run(["search", "docs", "--vector", "1,1,1,1", "--where", "colour = 'red'"], directory: dir)
        XCTAssertEqual(unknown.status, 64)
        XCTAssertTrue(unknown.stderr.contains("colour"), unknown.stderr)
        let mismatch = try CLI.run(["get", "docs", "--where", "price = 'cheap'"], directory: dir)
        XCTAssertEqual(mismatch.status, 64)
        try expectError(["search", "docs", "--vector", "1,1,1,1", "--fields", "colour"], in: dir, status: 64,
                          stderr: "caliby: error: --fields: index 'docs' has no field 'colour' (fields: title, category, price, year, used, tags)\n")
        try expectError(["update", "docs", "3", "--set", "year=soon"], in: dir, status: 64,
                          stderr: "caliby: error: --set year: expected int, got 'soon'\n")
    }

    func testCSVWithAHeaderMapsColumnsToFields() throws {
        let dir = try makeDataDirectory()
        try succeed(["create", "docs", "--dim", "3", "--max-elements", "100"] + fields, in: dir)
        let csv = try makeTemporaryFile("export.csv", contents: Data(#"""
            id,title,category,price,vector
            7,"Earbuds, wireless ""pro""",audio,19.5,"[0.1, 0.7, 0.2]"
            8,Speaker,audio,,0.3 0.1 0.9

            """#.utf8))
        try succeed(["insert", "docs", csv, "--quiet"], in: dir)
        XCTAssertEqual(try succeed(["get", "docs", "7", "8", "--fields", "title,price", "--format", "jsonl"], in: dir),
                       "{\"id\":7,\"title\":\"Earbuds, wireless \\\"pro\\\"\",\"price\":19.5}\n{\"id\":8,\"title\":\"Speaker\",\"price\":null}\n")
    }

    func testAlterAndIndexKeepResultsAndSurviveReopen() throws {
        let dir = try makeDataDirectory()
        try succeed(["create", "plain", "--dim", "4", "--max-elements", "100"], in: dir)
        let vectors = try makeTemporaryFile("v.fvecs", contents: fvecs(testVectors(count: 30, dimensions: 4, seed: 3), dimensions: 4))
        try succeed(["insert", "plain", vectors, "--quiet"], in: dir)
        try succeed(["alter", "plain", "--add-field", "shelf:int"], in: dir)
        for id in 0..<30 { try succeed(["update", "plain", "\(id)", "--set", "shelf=\(id % 4)"], in: dir) }
        let query = ["search", "plain", "--vector", "0,0,0,0", "-k", "30", "--where", "shelf = 2", "--fields", "shelf"]
        let before = try succeed(query, in: dir)
        try succeed(["index", "plain", "shelf"], in: dir)
        XCTAssertEqual(try succeed(query, in: dir), before, "an index changes how matches are found, not which")
        XCTAssertEqual(before.split(separator: "\n").count, 1 + 7)
        XCTAssertTrue(try succeed(["info", "plain"], in: dir).contains("shelf:int (indexed)"))
        try expectError(["alter", "plain", "--add-field", "shelf:int"], in: dir, status: 64,
                          stderr: "caliby: error: index 'plain' already has a field 'shelf'\n")
        try succeed(["check"], in: dir)
    }

    func testHNSWKeepsLabelsWithItsDocumentsAndFiltersByThem() throws {
        let dir = try makeDataDirectory()
        try succeed(["create", "h", "--dim", "2", "--max-elements", "100", "--field", "kind:string"], in: dir)
        let lines = (0..<30).map { "{\"id\": \($0), \"vector\": [\($0), 0], \"kind\": \"k\($0 % 2)\", \"labels\": [\($0 % 3), 9]}" }
        let file = try makeTemporaryFile("l.jsonl", contents: Data((lines.joined(separator: "\n") + "\n").utf8))
        try succeed(["insert", "h", file, "--quiet"], in: dir)
        func ids(_ arguments: [String]) throws -> [String] {
            try succeed(["search", "h", "--vector", "0,0", "-k", "4", "--format", "tsv"] + arguments, in: dir)
                .split(separator: "\n").dropFirst().map { String($0.split(separator: "\t")[2]) }
        }
        XCTAssertEqual(try ids(["--filter", "1"]), ["1", "4", "7", "10"])
        XCTAssertEqual(try ids(["--where", "labels CONTAINS 1"]), ["1", "4", "7", "10"])
        XCTAssertEqual(try ids(["--where", "labels CONTAINS 2 AND kind = 'k1'"]), ["5", "11", "17", "23"])
        XCTAssertEqual(try ids(["--filter", "8"]), [])
        // Replacing a vector replaces its labels.
        try succeed(["insert", "h", "-", "--format", "jsonl", "--replace", "--quiet"], in: dir,
                    input: "{\"id\": 1, \"vector\": [1, 0], \"kind\": \"k1\", \"labels\": [8]}\n")
        XCTAssertEqual(try ids(["--filter", "8"]), ["1"])
        XCTAssertEqual(try ids(["--filter", "1"]), ["4", "7", "10", "13"])
        try succeed(["check"], in: dir)
    }

    /// The exact one-line message and status of a refused command.
    private func expectError(_ arguments: [String], in dir: String, status: Int32, stderr: String,
                             file: StaticString = #filePath, line: UInt = #line) throws {
        let result = try CLI.run(arguments, directory: dir)
        XCTAssertEqual(result.status, status, result.stderr, file: file, line: line)
        XCTAssertEqual(result.stderr, stderr, file: file, line: line)
    }
}

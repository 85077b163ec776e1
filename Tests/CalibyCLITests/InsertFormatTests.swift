import Foundation
import XCTest

/// `caliby insert` from every input shape, and chunked commits.
final class InsertFormatTests: XCTestCase {
    private func topID(_ dir: String, _ vector: String) throws -> String {
        let out = try succeed(["search", "v", "--vector=" + vector, "-k", "1", "--format", "tsv"], in: dir)
        let rows = out.split(separator: "\n")
        guard rows.count == 2 else { return "no hit in \(out)" }
        return String(rows[1].split(separator: "\t")[2])
    }

    func testJSONLinesBvecsAndIDFiles() throws {
        let dir = try makeDataDirectory()
        try succeed(["create", "v", "--dim", "2", "--max-elements", "20"], in: dir)
        let jsonl = try makeTemporaryFile("v.jsonl", contents: Data("""
            {"vector": [1.5, 2], "id": 100}
            {"id": 200, "note": "ignored", "vector": [-4, 8e-1]}

            """.utf8))
        try succeed(["insert", "v", jsonl], in: dir)
        XCTAssertEqual(try topID(dir, "-4,0.8"), "200")
        var bvecs = Data()
        for row in [[UInt8(10), 20], [30, 40]] {
            withUnsafeBytes(of: Int32(2)) { bvecs.append(contentsOf: $0) }
            bvecs.append(contentsOf: row)
        }
        let bfile = try makeTemporaryFile("v.bvecs", contents: bvecs)
        let ids = try makeTemporaryFile("ids.txt", contents: Data("7\n9\n".utf8))
        try succeed(["insert", "v", bfile, "--ids", ids], in: dir)
        XCTAssertEqual(try topID(dir, "30,40"), "9")
        let tooFew = try makeTemporaryFile("one.txt", contents: Data("11\n".utf8))
        let short = try CLI.run(["insert", "v", bfile, "--ids", tooFew], directory: dir)
        XCTAssertEqual(short.status, 65, short.stderr)
        XCTAssertTrue(short.stderr.contains("one.txt"), short.stderr)
        XCTAssertTrue(try succeed(["list", "--format", "tsv"], in: dir).contains("v\thnsw\t2\tl2\t4\t20"))
        // An HNSW index keeps labels with its documents, made for them on the first labelled insert.
        try succeed(["insert", "v", "-", "--format", "jsonl", "--quiet"], in: dir, input: "{\"id\": 50, \"vector\": [1, 2], \"labels\": [3]}\n")
        XCTAssertEqual(try succeed(["search", "v", "--vector", "30,40", "--filter", "3", "--format", "tsv"], in: dir),
                       "query\trank\tid\tdistance\n0\t1\t50\t2285.0\n")
        let badJSON = try CLI.run(["insert", "v", "-", "--format", "jsonl"], directory: dir, input: "{\"vector\": [1, 2]}\n{\"vector\": [1]}\n")
        XCTAssertEqual(badJSON.status, 65)
        XCTAssertTrue(badJSON.stderr.contains("<stdin>:2"), badJSON.stderr)
    }

    func testVectorColumnsPickTheVectorOutOfAWiderExport() throws {
        let dir = try makeDataDirectory()
        try succeed(["create", "v", "--dim", "2", "--max-elements", "20"], in: dir)
        let csv = "id,title,x,y\n41,\"a, b\",1,2\n42,c,5,6\n"
        let unknown = try CLI.run(["insert", "v", "-", "--format", "csv", "--vector-columns", "3-4"], directory: dir, input: csv)
        XCTAssertEqual(unknown.status, 65, unknown.stderr)
        XCTAssertTrue(unknown.stderr.contains("<stdin>:1: column 2 'title' is not id, labels or a vector column"), unknown.stderr)
        try succeed(["insert", "v", "-", "--format", "csv", "--vector-columns", "3-4", "--ignore-unknown"], in: dir, input: csv)
        XCTAssertEqual(try topID(dir, "5,6"), "42")
        for bad in ["4", "4-", "0-2", "5-3", "a-b"] {
            let result = try CLI.run(["insert", "v", "-", "--format", "csv", "--vector-columns", bad], directory: dir, input: csv)
            XCTAssertEqual(result.status, 64, result.stderr)
            XCTAssertTrue(result.stderr.contains("--vector-columns '\(bad)': expected first-last"), result.stderr)
        }
    }

    func testCommitEveryKeepsEarlierChunksWhenALaterRecordIsBad() throws {
        let dir = try makeDataDirectory()
        try succeed(["create", "v", "--dim", "2", "--max-elements", "100"], in: dir)
        let rows = (0..<25).map { "\($0),\($0)\n" }.joined() + "oops,1\n"
        let result = try CLI.run(["insert", "v", "-", "--format", "csv", "--commit-every", "10"], directory: dir, input: rows)
        XCTAssertEqual(result.status, 65, result.stderr)
        XCTAssertTrue(result.stderr.contains("<stdin>:26"), result.stderr)
        // The reader fills a chunk before inserting it: chunks 1-10 and 11-20 were committed, the
        // chunk holding the bad line was not.
        XCTAssertTrue(try succeed(["list", "--format", "tsv"], in: dir).contains("v\thnsw\t2\tl2\t20\t100"))
        let whole = try CLI.run(["insert", "v", "-", "--format", "csv"], directory: dir, input: rows)
        XCTAssertEqual(whole.status, 65)
        XCTAssertTrue(try succeed(["list", "--format", "tsv"], in: dir).contains("v\thnsw\t2\tl2\t20\t100"), "one commit: nothing added")
    }
}

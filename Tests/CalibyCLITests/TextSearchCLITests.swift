import Foundation
import XCTest

/// Full-text and hybrid search through the command line: output in every shape, --where with
/// --text, the text index kept current by update/delete/replace, refusals with their exit codes.
final class TextSearchCLITests: XCTestCase {
    private let lines = [
        "{\"id\": 1, \"vector\": [0, 0], \"kind\": \"a\", \"body\": \"The fcntl lock timeout was reached\"}",
        "{\"id\": 2, \"vector\": [1, 0], \"kind\": \"b\", \"body\": \"Lock the door before you go\"}",
        "{\"id\": 3, \"vector\": [0, 1], \"kind\": \"a\", \"body\": \"A timeout happened while waiting for the network\"}",
        "{\"id\": 4, \"vector\": [5, 5], \"kind\": \"b\", \"body\": \"fcntl(2) manipulates file descriptors\"}",
    ]

    private func loaded(_ extra: [String] = []) throws -> String {
        let dir = try makeDataDirectory()
        try succeed(["create", "docs", "--dim", "2", "--max-elements", "100", "--field", "kind:string", "--field", "body:text"] + extra, in: dir)
        try succeed(["insert", "docs", makeTemporaryFile("t.jsonl", contents: Data((lines.joined(separator: "\n") + "\n").utf8)), "--quiet"], in: dir)
        return dir
    }

    func testTextSearchRanksByBM25AndPrintsFields() throws {
        let dir = try loaded()
        // N = 4 documents of 6, 6, 8 and 5 terms; 'fcntl', 'lock' and 'timeout' are in 2 each.
        let out = try succeed(["search", "docs", "--text", "fcntl lock timeout", "--fields", "kind", "--format", "tsv"], in: dir)
        let rows = out.split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
        XCTAssertEqual(rows[0], ["query", "rank", "id", "score", "kind"])
        XCTAssertEqual(rows.dropFirst().map { $0[2] }, ["1", "4", "2", "3"], "one term each: the shorter document first")
        XCTAssertEqual(Double(rows[1][3])!, 3 * log(1 + 2.5 / 2.5) * 2.2 / (1 + 1.2 * (0.25 + 0.75 * 6 / 6.25)), accuracy: 1e-5)
        XCTAssertEqual(try succeed(["search", "docs", "--text", "\"lock timeout\"", "--format", "csv"], in: dir).split(separator: "\n").count, 2)
        XCTAssertEqual(try succeed(["search", "docs", "--text", "+lock -door", "--format", "jsonl"], in: dir).split(separator: "\n").count, 1)
        let filtered = try succeed(["search", "docs", "--text", "timeout OR door", "--where", "kind = 'a'", "--format", "csv"], in: dir)
        XCTAssertEqual(filtered.split(separator: "\n").dropFirst().map { $0.split(separator: ",")[2] }, ["1", "3"], "'door' is in a 'b' document")
    }

    func testTextFileRunsOneQueryPerLineAndStatsReportThroughput() throws {
        let dir = try loaded()
        let queries = try makeTemporaryFile("q.txt", contents: Data("lock\n\nnetwork\n".utf8))
        let result = try CLI.run(["search", "docs", "--text-file", queries, "--format", "csv", "--stats"], directory: dir)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout.split(separator: "\n").filter { $0.hasPrefix("1,") }.map { $0.split(separator: ",")[2] }, ["3"])
        XCTAssertTrue(result.stderr.contains("text: 2 queries in"), result.stderr)
        let bad = try makeTemporaryFile("bad.txt", contents: Data("lock\n\"open phrase\n".utf8))
        let failed = try CLI.run(["search", "docs", "--text-file", bad], directory: dir)
        XCTAssertEqual(failed.status, 65, failed.stderr)
        XCTAssertTrue(failed.stderr.contains("bad.txt:2:"), failed.stderr)
    }

    func testHybridFusesBothRankingsWithComponentRanks() throws {
        let dir = try loaded()
        let rrf = try succeed(["search", "docs", "--vector", "5,5", "--text", "timeout", "-k", "4", "--format", "jsonl"], in: dir)
        let rows = try rrf.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        // Both sides found 1 and 3 (1/(60 + r1) + 1/(60 + r2) > 1/61); 4 is only the nearest.
        XCTAssertEqual(Set(rows.prefix(2).map { $0["id"] as! Int }), [1, 3])
        XCTAssertEqual(rows.map { $0["id"] as! Int }.suffix(2), [4, 2])
        XCTAssertEqual(rows[2]["vector_rank"] as? Int, 1)
        XCTAssertTrue(rows[2]["text_rank"] is NSNull)
        XCTAssertEqual(rows[2]["score"] as! Double, 1.0 / 61, accuracy: 1e-6)
        // Weighted 0.3: 1 has the best text (1.0) and the worst distance (0): 0.7; 4 the best distance: 0.3.
        let weighted = try succeed(["search", "docs", "--vector", "5,5", "--text", "timeout", "--hybrid", "0.3", "-k", "2", "--format", "csv",
                                    "--fields", "kind"], in: dir)
        XCTAssertEqual(weighted.split(separator: "\n").first, "query,rank,id,score,distance,vector_rank,text_score,text_rank,kind")
        XCTAssertEqual(weighted.split(separator: "\n").dropFirst().map { $0.split(separator: ",")[2] }, ["1", "4"])
    }

    func testTextIndexFollowsUpdateDeleteAndReplace() throws {
        let dir = try loaded()
        func ids(_ query: String) throws -> [String] {
            try succeed(["search", "docs", "--text", query, "--format", "csv"], in: dir).split(separator: "\n").dropFirst().map { String($0.split(separator: ",")[2]) }
        }
        try succeed(["update", "docs", "2", "--set", "body=an open window"], in: dir)
        XCTAssertEqual(try ids("door"), [])
        XCTAssertEqual(try ids("window"), ["2"])
        try succeed(["delete", "docs", "1"], in: dir)
        XCTAssertEqual(try ids("fcntl"), ["4"])
        let replacement = try makeTemporaryFile("r.jsonl", contents: Data("{\"id\": 4, \"vector\": [5, 5], \"body\": \"window cleaning\"}\n".utf8))
        try succeed(["insert", "docs", replacement, "--replace", "--quiet"], in: dir)
        XCTAssertEqual(try ids("fcntl"), [])
        XCTAssertEqual(try ids("window"), ["4", "2"])
        XCTAssertEqual(try CLI.run(["check"], directory: dir).status, 0)
    }

    func testRefusalsNameTheProblem() throws {
        let dir = try loaded()
        let unterminated = try CLI.run(["search", "docs", "--text", "lock \"door"], directory: dir)
        XCTAssertEqual(unterminated.status, 64, unterminated.stderr)
        XCTAssertTrue(unterminated.stderr.contains("column"), unterminated.stderr)
        let hybridAlone = try CLI.run(["search", "docs", "--text", "lock", "--hybrid", "rrf"], directory: dir)
        XCTAssertEqual(hybridAlone.status, 64, hybridAlone.stderr)
        let badWeight = try CLI.run(["search", "docs", "--text", "lock", "--vector", "0,0", "--hybrid", "2"], directory: dir)
        XCTAssertEqual(badWeight.status, 64, badWeight.stderr)
        XCTAssertTrue(badWeight.stderr.contains("from 0 to 1"), badWeight.stderr)
        let noText = try makeDataDirectory()
        try succeed(["create", "v", "--dim", "2", "--max-elements", "10", "--field", "body:text:noindex"], in: noText)
        let unindexed = try CLI.run(["search", "v", "--text", "lock"], directory: noText)
        XCTAssertEqual(unindexed.status, 64, unindexed.stderr)
        XCTAssertTrue(unindexed.stderr.contains("not indexed"), unindexed.stderr)
        let analyzerWithoutText = try CLI.run(["create", "w", "--dim", "2", "--max-elements", "10", "--analyzer", "english"], directory: noText)
        XCTAssertEqual(analyzerWithoutText.status, 64, analyzerWithoutText.stderr)
    }

    func testEnglishAnalyzerStemsAtIndexAndQueryTime() throws {
        let dir = try loaded(["--analyzer", "english"])
        let out = try succeed(["search", "docs", "--text", "locking timeouts", "--format", "csv"], in: dir)
        XCTAssertEqual(Set(out.split(separator: "\n").dropFirst().map { $0.split(separator: ",")[2] }), ["1", "2", "3"])
        XCTAssertTrue(try succeed(["info", "docs"], in: dir).contains("english"))
    }
}

import Foundation
import XCTest

/// `caliby stats` in every format, and what `--stats` / `--stats-format` report of a search and an insert.
final class StatsCLITests: XCTestCase {
    private let d = 8

    /// A directory with an HNSW index of 300 vectors and a DiskANN index of 200, 20 of them deleted.
    private func loaded() throws -> String {
        let dir = try makeDataDirectory()
        let data = try makeTemporaryFile("v.fvecs", contents: fvecs(testVectors(count: 300, dimensions: d, seed: 3), dimensions: d))
        try succeed(["create", "h", "--dim", "\(d)", "--max-elements", "600"], in: dir)
        try succeed(["insert", "h", data, "--quiet"], in: dir)
        try succeed(["create", "g", "--type", "diskann", "--dim", "\(d)", "--max-elements", "400"], in: dir)
        let half = try makeTemporaryFile("w.fvecs", contents: fvecs(testVectors(count: 200, dimensions: d, seed: 4), dimensions: d))
        try succeed(["insert", "g", half, "--quiet"], in: dir)
        try succeed(["delete", "g"] + (0..<20).map(String.init), in: dir)
        return dir
    }

    private func rows(_ json: String) throws -> [[String: Any]] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]])
    }

    func testStatsShowsSlotsPartsAndFill() throws {
        let dir = try loaded()
        var all = try rows(try succeed(["stats", "--format", "json"], in: dir))
        XCTAssertEqual(all.map { $0["name"] as? String }, ["h", "g"])
        XCTAssertEqual(all[0]["vectors"] as? Int, 300)
        XCTAssertEqual(all[0]["fill"] as? Double, 0.5)
        XCTAssertEqual(all[0]["vectors_bytes"] as? Int, 300 * d * 4)
        XCTAssertEqual([all[1]["vectors"], all[1]["deleted"], all[1]["free_slots"], all[1]["capacity"]] as? [Int], [180, 20, 0, 400])
        XCTAssertGreaterThan(all[1]["file_bytes"] as? Int ?? 0, all[1]["vectors_bytes"] as? Int ?? .max)

        try succeed(["consolidate", "g"], in: dir)
        all = try rows(try succeed(["stats", "g", "--format", "json"], in: dir))
        XCTAssertEqual([all[0]["vectors"], all[0]["deleted"], all[0]["free_slots"]] as? [Int], [180, 0, 20])

        let tsv = try succeed(["stats", "h"], in: dir).split(separator: "\n").map { $0.split(separator: "\t") }
        XCTAssertEqual(tsv.count, 2)
        XCTAssertEqual(tsv[0].prefix(4), ["name", "type", "vectors", "deleted"])
        XCTAssertEqual(tsv[1].prefix(3), ["h", "hnsw", "300"])

        let missing = try CLI.run(["stats", "nope"], directory: dir)
        XCTAssertEqual(missing.status, 66, missing.stderr)
        XCTAssertTrue(missing.stderr.contains("nope"), missing.stderr)
    }

    /// Every line is a comment (HELP or TYPE, once per metric, before its samples) or a sample
    /// `name{labels} value` whose value parses, as Prometheus' text format requires.
    private func assertExposition(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> [String: Double] {
        var samples: [String: Double] = [:]
        var described = Set<String>()
        for row in text.split(separator: "\n").map(String.init) {
            if row.hasPrefix("# HELP ") || row.hasPrefix("# TYPE ") {
                let name = String(row.split(separator: " ")[2])
                if row.hasPrefix("# TYPE ") { XCTAssertTrue(described.insert(name).inserted, "TYPE twice for \(name)", file: file, line: line) }
                continue
            }
            let parts = row.split(separator: " ")
            XCTAssertEqual(parts.count, 2, row, file: file, line: line)
            let name = String(parts[0].prefix { $0 != "{" })
            XCTAssertTrue(described.contains(name), "\(name) sampled before its TYPE", file: file, line: line)
            XCTAssertNotNil(name.range(of: "^[a-zA-Z_:][a-zA-Z0-9_:]*$", options: .regularExpression), row, file: file, line: line)
            samples[String(parts[0])] = Double(parts[1])
            XCTAssertNotNil(Double(parts[1]), row, file: file, line: line)
        }
        return samples
    }

    func testStatsInPrometheusFormat() throws {
        let dir = try loaded()
        let samples = assertExposition(try succeed(["stats", "--format", "prometheus"], in: dir))
        XCTAssertEqual(samples["caliby_index_vectors{index=\"h\",type=\"hnsw\"}"], 300)
        XCTAssertEqual(samples["caliby_index_deleted{index=\"g\",type=\"diskann\"}"], 20)
        XCTAssertEqual(samples["caliby_index_part_bytes{index=\"h\",type=\"hnsw\",part=\"vectors\"}"], Double(300 * d * 4))
        XCTAssertEqual(samples["caliby_index_fill_ratio{index=\"g\",type=\"diskann\"}"], 0.45)
    }

    func testSearchStatsCountAColdSearchsReadsAndItsPhases() throws {
        let dir = try loaded()
        let queries = try makeTemporaryFile("q.fvecs", contents: fvecs(testVectors(count: 20, dimensions: d, seed: 9), dimensions: d))
        let result = try CLI.run(["search", "h", "--file", queries, "--stats-format", "json", "--buffer-size", "64K"], directory: dir)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout.split(separator: "\n").count, 1 + 20 * 10, "the hits stay on standard output")
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stderr.utf8)) as? [String: Any], result.stderr)
        XCTAssertEqual(report["command"] as? String, "search")
        let pagesRead = try XCTUnwrap(report["pages_read"] as? Int)
        XCTAssertGreaterThan(pagesRead, 0, "a fresh process reads the index from its file")
        XCTAssertEqual(report["bytes_read"] as? Int, pagesRead * 4096)
        XCTAssertGreaterThan(report["evictions"] as? Int ?? 0, 0, "the index is larger than a 64 KiB pool")
        XCTAssertGreaterThan(report["distance_computations"] as? Int ?? 0, 20 * 10)
        XCTAssertEqual(report["pages_written"] as? Int, 0, "a search writes nothing")
        let phases = try XCTUnwrap(report["phases"] as? [String: Double])
        XCTAssertEqual(Set(phases.keys), ["open", "queries", "search", "output"])
        XCTAssertEqual(report["buffer_bytes"] as? Int, 64 * 1024)
        XCTAssertGreaterThan(report["peak_rss_bytes"] as? Int ?? 0, 1 << 20, "a process takes more than a MiB")

        let prometheus = try CLI.run(["search", "h", "--file", queries, "--stats-format", "prometheus"], directory: dir)
        let samples = assertExposition(prometheus.stderr)
        XCTAssertNotNil(samples["caliby_run_phase_seconds{command=\"search\",index=\"h\",phase=\"search\"}"])
        XCTAssertGreaterThan(samples["caliby_run_distance_computations{command=\"search\",index=\"h\"}"] ?? 0, 0)
    }

    func testInsertStatsTimeTheCommit() throws {
        let dir = try makeDataDirectory()
        try succeed(["create", "h", "--dim", "\(d)", "--max-elements", "600"], in: dir)
        let data = try makeTemporaryFile("v.fvecs", contents: fvecs(testVectors(count: 300, dimensions: d, seed: 3), dimensions: d))
        let result = try CLI.run(["insert", "h", data, "--quiet", "--stats"], directory: dir)
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 3, result.stderr)
        XCTAssertTrue(lines[2].hasPrefix("stats: open ") && lines[2].contains(", insert ") && lines[2].contains(", commit ")
                      && lines[2].contains("; peak RSS ") && lines[2].hasSuffix(" with a 2.0 GiB buffer"), result.stderr)
        XCTAssertTrue(lines[1].contains(" distances"), result.stderr)
        XCTAssertEqual(try succeed(["stats", "h", "--format", "jsonl"], in: dir).contains("\"vectors\":300"), true, "the insert was committed")
    }
}

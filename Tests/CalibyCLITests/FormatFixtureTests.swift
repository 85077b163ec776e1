import Foundation
import XCTest

/// Data directories written by earlier formats (Fixtures/format-N, made by Fixtures/generate.sh)
/// must keep opening, checking and answering as they did when they were written; files of a
/// newer format are refused by name, with both versions and exit 78.
final class FormatFixtureTests: XCTestCase {
    static let fixtures = Tools.packageRoot + "/Tests/CalibyCLITests/Fixtures"

    private func expected(_ fixture: String, _ file: String) throws -> String {
        try String(contentsOfFile: Self.fixtures + "/" + fixture + "/" + file, encoding: .utf8)
    }

    func testEveryFixtureOpensChecksListsAndSearchesAsRecorded() throws {
        let fixtures = try FileManager.default.contentsOfDirectory(atPath: Self.fixtures).filter { $0.hasPrefix("format-") }
        XCTAssertFalse(fixtures.isEmpty)
        for fixture in fixtures {
            let dir = try copyOfFixture(fixture)
            let queries = Self.fixtures + "/" + fixture + "/queries.csv"
            XCTAssertEqual(try succeed(["check"], in: dir), "h: ok\na: ok\ndocs: ok\n", fixture)
            XCTAssertEqual(try listWithoutBytes(dir), try expected(fixture, "list.tsv"), fixture)
            for index in ["h", "a", "docs"] {
                XCTAssertEqual(try succeed(["search", index, "--file", queries, "-k", "5", "--format", "tsv"], in: dir),
                               try expected(fixture, "search-\(index).tsv"), "\(fixture) \(index)")
            }
            XCTAssertEqual(try succeed(["search", "docs", "--text", "gamma lock", "-k", "5", "--fields", "title,year", "--format", "tsv"], in: dir),
                           try expected(fixture, "text-docs.tsv"), fixture)
            XCTAssertEqual(try succeed(["get", "docs", "3", "12", "--format", "tsv"], in: dir), try expected(fixture, "get-docs.tsv"), fixture)
        }
    }

    func testFilesOfANewerFormatAreRefusedNamingTheFileAndBothVersions() throws {
        let graph = try copyOfFixture()
        // The version is the magic's last byte: "CLBHNSW1" becomes "CLBHNSW4".
        try patchPage(graph + "/index_1.dat", page: 0) { $0.storeBytes(of: UInt8(ascii: "4"), toByteOffset: 7, as: UInt8.self) }
        for command in [["search", "h", "--vector", "1,1,1,1"], ["check", "h"], ["upgrade"]] {
            try expectFailure(command, in: graph, status: 78,
                              mentions: ["\(graph)/index_1.dat was written by a newer caliby (HNSW format 4; this caliby reads up to 3)"])
        }
        // The other indexes are unaffected.
        try succeed(["search", "a", "--vector", "1,1,1,1"], in: graph)

        let documents = try copyOfFixture()
        try patchPage(documents + "/index_3.docs", page: 0) { $0.storeBytes(of: UInt8(ascii: "2"), toByteOffset: 7, as: UInt8.self) }
        try expectFailure(["get", "docs", "3"], in: documents, status: 78,
                          mentions: ["index_3.docs was written by a newer caliby (document file format 2; this caliby reads up to 1)"])

        let catalog = try copyOfFixture()
        try patchCatalog(catalog) { $0["format"] = 2; $0["indexes"] = "a shape this caliby does not know" }
        try expectFailure(["list"], in: catalog, status: 78,
                          mentions: ["caliby_catalog was written by a newer caliby (catalog format 2; this caliby reads up to 1)"])
    }

    func testUpgradeReportsEveryFileCurrentAndRewritesNothing() throws {
        let dir = try copyOfFixture()
        let names = ["caliby_catalog", "index_1.dat", "index_2.dat", "index_3.dat", "index_3.docs"]
        let before = try names.map { try Data(contentsOf: URL(fileURLWithPath: dir + "/" + $0)) }
        XCTAssertEqual(try succeed(["upgrade"], in: dir), """
            caliby_catalog: catalog format 1 (current)
            index_1.dat: HNSW format 1 (current)
            index_2.dat: DiskANN format 2 (current)
            index_3.dat: HNSW format 1 (current)
            index_3.docs: document file format 1 (current)
            index_3.docs: text index format 1 (current)
            \(dir): every file is in the current format; nothing to rewrite

            """)
        XCTAssertEqual(try names.map { try Data(contentsOf: URL(fileURLWithPath: dir + "/" + $0)) }, before)
    }

    /// A DiskANN index written before records had spare link room (format 2) keeps growing and
    /// taking inserts in its own format: its lists are pruned at R as they always were.
    func testAnOlderDiskANNIndexTakesInsertsInItsOwnFormat() throws {
        let dir = try copyOfFixture("format-1")
        let rows = (100..<400).map { i in "\(i),\(i % 5),\(i / 5 % 4),\(i % 3),\(i % 7 + i % 11)" }.joined(separator: "\n")
        try rows.write(toFile: dir + "/../more.csv", atomically: true, encoding: .utf8)
        try succeed(["resize", "a", "--max-elements", "400"], in: dir)
        try succeed(["insert", "a", dir + "/../more.csv", "--id-column", "1", "--quiet"], in: dir)
        XCTAssertEqual(try succeed(["check", "a"], in: dir), "a: ok\n")
        XCTAssertTrue(try succeed(["upgrade"], in: dir).contains(": DiskANN format 2 (current)"))
        let hit = try succeed(["search", "a", "--vector", "0,0,1,3", "-k", "1", "--format", "tsv"], in: dir)
        XCTAssertTrue(hit.hasSuffix("\t0.0\n"), "an inserted point is found exactly: \(hit)")

        // A new index is format 3 and holds R at every commit (check counts each list).
        let fresh = try copyOfFixture("format-2")
        try succeed(["resize", "a", "--max-elements", "400"], in: fresh)
        try succeed(["insert", "a", dir + "/../more.csv", "--id-column", "1", "--quiet"], in: fresh)
        XCTAssertEqual(try succeed(["check", "a"], in: fresh), "a: ok\n")
        XCTAssertTrue(try succeed(["upgrade"], in: fresh).contains(": DiskANN format 3 (current)"))
    }

    /// An HNSW index with int8 codes written before its records were aligned to cache lines
    /// (format 2) keeps growing and taking inserts in its own layout; one created now is format 3.
    func testAnOlderHNSWIndexWithCodesTakesInsertsInItsOwnFormat() throws {
        let rows = (100..<400).map { i in "\(i),\(i % 5),\(i / 5 % 4),\(i % 3),\(i % 7 + i % 11)" }.joined(separator: "\n")
        for (fixture, format) in [("format-2", 2), ("format-3", 3)] {
            let dir = try copyOfFixture(fixture)
            try rows.write(toFile: dir + "/../more.csv", atomically: true, encoding: .utf8)
            XCTAssertTrue(try succeed(["upgrade"], in: dir).contains("index_1.dat: HNSW format \(format) (current)"), fixture)
            try succeed(["resize", "h", "--max-elements", "400"], in: dir)
            try succeed(["insert", "h", dir + "/../more.csv", "--id-column", "1", "--threads", "1", "--quiet"], in: dir)
            XCTAssertEqual(try succeed(["check", "h"], in: dir), "h: ok\n", fixture)
            // resize copied h into a file under the next id, in h's own layout
            XCTAssertTrue(try succeed(["upgrade"], in: dir).contains("index_4.dat: HNSW format \(format) (current)"), fixture)
            let hit = try succeed(["search", "h", "--vector", "0,0,1,3", "-k", "1", "--format", "tsv"], in: dir)
            XCTAssertTrue(hit.hasSuffix("\t0.0\n"), "\(fixture): an inserted point is found exactly: \(hit)")
        }
    }

    /// `vacuum` rebuilds an index of an older format in the newest one for its parameters, with
    /// the same answers: HNSW 2 and DiskANN 2 come out as format 3; HNSW 1 (no codes) stays 1.
    func testVacuumRebuildsAnOlderIndexInTheNewestFormat() throws {
        let queries = Self.fixtures + "/format-1/queries.csv"
        for (fixture, index, file, before, after) in [("format-2", "h", "index_1.dat", "HNSW format 2", "HNSW format 3"),
                                                      ("format-1", "a", "index_2.dat", "DiskANN format 2", "DiskANN format 3"),
                                                      ("format-1", "h", "index_1.dat", "HNSW format 1", "HNSW format 1")] {
            let dir = try copyOfFixture(fixture)
            XCTAssertTrue(try succeed(["upgrade"], in: dir).contains("\(file): \(before) (current)"), fixture)
            let search = ["search", index, "--file", queries, "-k", "5", "--format", "tsv"]
            let answers = try succeed(search, in: dir)
            try succeed(["vacuum", index, "--threads", "1"], in: dir)
            XCTAssertTrue(try succeed(["upgrade"], in: dir).contains("index_4.dat: \(after) (current)"), "\(fixture) \(index)")
            XCTAssertEqual(try succeed(["check", index], in: dir), "\(index): ok\n")
            XCTAssertEqual(try succeed(search, in: dir), answers, "\(fixture) \(index)")
        }
    }
}

extension XCTestCase {
    /// A writable copy of a fixture's data directory (commands create the lock file in it).
    func copyOfFixture(_ name: String = "format-1") throws -> String {
        let dir = try makeTemporaryDirectory() + "/data"
        try FileManager.default.copyItem(atPath: FormatFixtureTests.fixtures + "/" + name + "/data", toPath: dir)
        return dir
    }

    /// `list` as TSV without its bytes column: disk usage, which holes and copies change.
    func listWithoutBytes(_ dir: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        try succeed(["list", "--format", "tsv"], in: dir, file: file, line: line).split(separator: "\n").map {
            $0.split(separator: "\t", omittingEmptySubsequences: false).enumerated().filter { $0.offset != 6 }.map(\.element)
                .joined(separator: "\t")
        }.joined(separator: "\n") + "\n"
    }
}

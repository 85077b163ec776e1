import Foundation
import XCTest
@testable import CalibyEngine

/// The damaged-data cases of issue 10, run as a user meets them: crafted header and catalog values
/// with valid checksums give exit 76 and one line naming the file and the field, never a signal;
/// `create` never truncates a live index; `check` reads every page and reports every problem.
final class DamagedDataTests: XCTestCase {
    private func makeIndex(_ dir: String, type: String = "hnsw", count: Int = 50, capacity: Int = 100) throws {
        try succeed(["create", "v", "--type", type, "--dim", "8", "--max-elements", "\(capacity)"], in: dir)
        let data = try makeTemporaryFile("v.fvecs", contents: fvecs(testVectors(count: count, dimensions: 8, seed: 21), dimensions: 8))
        try succeed(["insert", "v", data, "--quiet"], in: dir)
    }

    private func changeEntry(_ dir: String, _ change: @escaping (inout [String: Any]) -> Void) throws {
        try patchCatalog(dir) { json in
            var entries = json["indexes"] as! [[String: Any]]
            change(&entries[0])
            json["indexes"] = entries
        }
    }

    /// Every command that reads the index fails with 76 and the one line `message` on stderr.
    private func expectDamage(_ dir: String, _ message: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let commands: [([String], String?)] = [
            (["list"], nil), (["info", "v"], nil), (["search", "v", "--vector", "1,2,3,4,5,6,7,8"], nil),
            (["insert", "v", "-", "--format", "csv"], "1,2,3,4,5,6,7,8\n"), (["check"], nil),
        ]
        for (arguments, input) in commands {
            let result = try CLI.run(arguments, directory: dir, input: input)
            XCTAssertEqual(result.status, 76, "\(arguments): \(result.stderr)", file: file, line: line)
            let lines = result.stderr.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, "\(arguments): one line: \(result.stderr)", file: file, line: line)
            // check prints each problem on stdout and sums up on stderr (damage that stops the
            // open is on stderr for it too).
            let report = arguments == ["check"] ? result.stdout + result.stderr : result.stderr
            XCTAssertTrue(report.contains(message), "\(arguments): \(report)", file: file, line: line)
        }
    }

    func testHeaderCountWithTopBitSetGivesExit76NamingFileAndField() throws {
        let dir = try makeDataDirectory()
        try makeIndex(dir)
        try patchPage(dir + "/index_1.dat", page: 0) { $0.storeBytes(of: UInt64(1) << 63, toByteOffset: 5 * 8, as: UInt64.self) }
        try expectDamage(dir, "\(dir)/index_1.dat: data is damaged: header field nodeCount = 9223372036854775808 exceeds the capacity 100")
    }

    func testDiskANNHeaderFreeListHeadOutOfRangeGivesExit76() throws {
        let dir = try makeDataDirectory()
        try makeIndex(dir, type: "diskann")
        try patchPage(dir + "/index_1.dat", page: 0) { $0.storeBytes(of: UInt64(1) << 63, toByteOffset: 7 * 8, as: UInt64.self) }
        try expectDamage(dir, "\(dir)/index_1.dat: data is damaged: header field freeHead = -9223372036854775808 is below -1")
    }

    func testCatalogValuesOutOfRangeGiveExit76NamingTheField() throws {
        let cases: [(String, Any, String)] = [
            ("M", 1, "hnsw.M = 1, must be between 2 and 512"),
            ("pageSize", 0, "pageSize = 0, must be a power of two between 4096 and 1048576"),
            ("capacityPages", -1, "capacityPages = -1, must be between 1 and 4294967296"),
            ("pageSize", 8192, "pageSize = 8192, but its parameters give 4096"),
        ]
        for (field, value, detail) in cases {
            let dir = try makeDataDirectory()
            try makeIndex(dir)
            try changeEntry(dir) { entry in
                if field == "M" {
                    var config = entry["config"] as! [String: Any], hnsw = config["hnsw"] as! [String: Any]
                    hnsw["M"] = value
                    config["hnsw"] = hnsw
                    entry["config"] = config
                } else {
                    entry[field] = value
                }
            }
            try expectDamage(dir, "\(dir)/caliby_catalog: data is damaged: index 'v': \(detail)")
        }
    }

    func testCreateNeverTruncatesALiveIndex() throws {
        let dir = try makeDataDirectory()
        try makeIndex(dir)
        let before = try Data(contentsOf: URL(fileURLWithPath: dir + "/index_1.dat"))
        try patchCatalog(dir) { $0["nextID"] = 1 }
        let create = try CLI.run(["create", "w", "--dim", "4", "--max-elements", "10"], directory: dir)
        XCTAssertEqual(create.status, 76, create.stderr)
        XCTAssertEqual(create.stderr, "caliby: error: \(dir)/caliby_catalog: data is damaged: index 'v': id = 1 is not below nextID = 1\n")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dir + "/index_1.dat")), before)
    }

    func testCheckRefusesDuplicateIDsAndNames() throws {
        let dir = try makeDataDirectory()
        try makeIndex(dir)
        try patchCatalog(dir) { json in
            let entries = json["indexes"] as! [[String: Any]]
            var twin = entries[0]
            twin["name"] = "w"
            json["indexes"] = entries + [twin]
        }
        let check = try CLI.run(["check"], directory: dir)
        XCTAssertEqual(check.status, 76)
        XCTAssertEqual(check.stderr, "caliby: error: \(dir)/caliby_catalog: data is damaged: index 'w': id = 1 is also the id of indexes[0]\n")
    }

    /// Item 6: damage in a page no operation has used yet (a PQ code page before any code exists)
    /// is found by check, with and without a valid checksum.
    func testCheckFindsDamageInAPageNotYetInUse() throws {
        let dir = try makeDataDirectory()
        try makeIndex(dir, type: "diskann")
        try succeed(["check"], in: dir)
        let info = try XCTUnwrap(Caliby.open(dir, mode: .readOnly).listIndexes().first)
        let codePage = DiskANNLayout(config: info.config).codeBase
        let path = dir + "/index_1.dat"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[codePage * 4096 + 100] ^= 0x20
        try bytes.write(to: URL(fileURLWithPath: path))
        let flipped = try CLI.run(["check"], directory: dir)
        XCTAssertEqual(flipped.status, 76)
        XCTAssertEqual(flipped.stdout, "v: \(path): data is damaged: page \(codePage): checksum mismatch\n")
        XCTAssertEqual(flipped.stderr, "caliby: error: \(dir): data is damaged: index 'v' failed the check\n",
                       "the summary names the index once, the problem was on stdout")

        try patchPage(path, page: codePage) { _ in }
        let restamped = try CLI.run(["check"], directory: dir)
        XCTAssertEqual(restamped.status, 76)
        XCTAssertEqual(restamped.stdout, "v: PQ code page \(codePage) holds codes for slots that have none (from slot 0)\n")
    }

    /// Item 6: pages appended past the index's end, and every damaged page, each reported.
    func testCheckReportsAppendedPagesAndEveryDamagedPage() throws {
        let dir = try makeDataDirectory()
        try makeIndex(dir, count: 20, capacity: 20)
        let path = dir + "/index_1.dat"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let pages = bytes.count / 4096
        bytes[(pages - 1) * 4096 + 10] ^= 1
        bytes[(pages - 2) * 4096 + 10] ^= 1
        bytes.append(Data(repeating: 0xAB, count: 2 * 4096))
        try bytes.write(to: URL(fileURLWithPath: path))
        let check = try CLI.run(["check"], directory: dir)
        XCTAssertEqual(check.status, 76)
        XCTAssertEqual(check.stdout, """
            v: \(path): data is damaged: the file holds \(pages + 2) pages, past the layout's \(pages): pages \(pages)-\(pages + 1) do not belong to the index
            v: \(path): data is damaged: pages \(pages - 2)-\(pages - 1): checksum mismatch

            """)

        try bytes.dropLast(4096 - 100).write(to: URL(fileURLWithPath: path))
        let partial = try CLI.run(["check"], directory: dir)
        XCTAssertEqual(partial.status, 76)
        XCTAssertEqual(partial.stdout, "v: \(path): data is damaged: size \((pages + 1) * 4096 + 100) is not a multiple of the page size 4096\n")
    }

    func testReaderCheckNotesFilesTheCatalogDoesNotName() throws {
        let dir = try makeDataDirectory()
        try makeIndex(dir)
        try Data("left over".utf8).write(to: URL(fileURLWithPath: dir + "/index_9.dat"))
        let check = try CLI.run(["check"], directory: dir)
        XCTAssertEqual(check.status, 0, check.stderr)
        XCTAssertEqual(check.stdout, "v: ok\n")
        XCTAssertEqual(check.stderr, "caliby: note: \(dir)/index_9.dat: not named by the catalog (left by a create that never committed; "
                       + "the next command that writes removes it)\n")
    }
}

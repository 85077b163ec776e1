import Foundation
import XCTest

/// Issue 10 item 4: which first CSV/TSV line is a header (`--header yes|no|auto`), as insert and
/// search see it; and damaged input of every format through the real binary.
final class CSVHeaderCLITests: XCTestCase {
    private func count(_ dir: String) throws -> String {
        let rows = try succeed(["list", "--format", "tsv"], in: dir).split(separator: "\n")
        return rows.count == 2 ? String(rows[1].split(separator: "\t")[4]) : "no index in \(rows)"
    }

    func testDamagedFirstLineIsAnErrorNamingItForInsertAndSearch() throws {
        let dir = try makeDataDirectory()
        try succeed(["create", "h", "--dim", "4", "--max-elements", "100"], in: dir)
        try succeed(["insert", "h", "-", "--format", "csv", "-q"], in: dir, input: "9,9,9,9\n")
        let cases: [(name: String, line: [UInt8], message: String)] = [
            ("empty-field", Array("1,,2,3".utf8), "field 2: empty value"),
            ("trailing-comma", Array("1,2,3,4,".utf8), "field 5: empty value"),
            ("non-number", Array("1,2,x,4".utf8), "field 3: 'x' is not a number"),
            ("separator", Array("1;2;3;4".utf8), "field 1: '1;2;3;4' is not a number"),
            ("nul", Array("1,2,3,4".utf8) + [0], "field 4: '4\\0' is not a number"),
            ("utf8", Array("1,2,3,4".utf8) + [0xFF], "field 4: '4\\xFF' is not a number"),
            ("digits", Array("1,2,3,\u{664}".utf8), "field 4: '\u{664}' is not a number"),
        ]
        for (name, line, message) in cases {
            for (kind, next) in [("alone", ""), ("then-a-record", "\n1,2,3,4\n")] {
                let path = try makeTemporaryFile("\(name)-\(kind).csv", contents: Data(line + Array(next.utf8)))
                try expectFailure(["insert", "h", path], in: dir, status: 65, mentions: ["\(path):1: \(message)"])
                try expectFailure(["search", "h", "--file", path], in: dir, status: 65, mentions: ["\(path):1: \(message)"])
            }
        }
        XCTAssertEqual(try count(dir), "1", "nothing inserted")
    }

    func testHeaderOptionAndQueriesNumberedByRecord() throws {
        let dir = try makeDataDirectory()
        try succeed(["create", "v", "--dim", "2", "--max-elements", "10"], in: dir)
        try succeed(["insert", "v", "-", "--format", "csv", "--id-column", "1", "-q"], in: dir,
                    input: "id,x,y\n1,0,0\n2,10,10\n3,20,20\n")
        let named = try makeTemporaryFile("q.csv", contents: Data("x,y\n20,20\n0,0\n".utf8))
        XCTAssertEqual(try succeed(["search", "v", "--file", named, "-k", "1", "--format", "tsv"], in: dir),
                       "query\trank\tid\tdistance\n0\t1\t3\t0.0\n1\t1\t1\t0.0\n")
        try expectFailure(["search", "v", "--file", named, "--header", "no"], in: dir, status: 65,
                          mentions: ["\(named):1: field 1: 'x' is not a number"])
        let numeric = try makeTemporaryFile("n.tsv", contents: Data("20\t20\n10\t10\n".utf8))
        XCTAssertEqual(try succeed(["search", "v", "--file", numeric, "-k", "1", "--format", "tsv", "--header", "yes"], in: dir),
                       "query\trank\tid\tdistance\n0\t1\t2\t0.0\n")
        XCTAssertEqual(try succeed(["search", "v", "-k", "1", "--format", "tsv"], in: dir, input: "a,b\n10,10\n"),
                       "query\trank\tid\tdistance\n0\t1\t2\t0.0\n", "standard input too")
        try expectFailure(["search", "v", "--file", "-", "--header", "yes"], in: dir, input: "1,1\n", status: 65,
                          mentions: ["<stdin>: no queries"])
        // A header must describe the records.
        try expectFailure(["insert", "v", "-", "--format", "csv"], in: dir, input: "x,y,z\n5,5\n", status: 65,
                          mentions: ["<stdin>:2: line has 2 fields but the header (line 1) has 3"])
        try succeed(["insert", "v", "-", "--format", "csv", "--header", "yes", "-q"], in: dir, input: "1,1\n5,5\n")
        XCTAssertEqual(try count(dir), "4", "the numeric first line was the header")
        try expectFailure(["insert", "v", "-", "--format", "jsonl", "--header", "no"], in: dir, input: "{\"vector\": [1, 2]}\n",
                          status: 64, mentions: ["a header line only applies to csv and tsv input"])
        try expectFailure(["search", "v", "--vector", "1,2", "--header", "yes"], in: dir, status: 64,
                          mentions: ["--header applies to --file or standard input"])
        XCTAssertEqual(try count(dir), "4")
    }

    /// A handful of damaged files in every format: exit 0 or 65 with one line on stderr, nothing
    /// half-inserted, and a directory that still checks clean. VectorReaderFuzzTests does the
    /// thousands in-process.
    func testDamagedInputThroughTheBinaryExitsZeroOrSixtyFive() throws {
        let dir = try makeDataDirectory()
        try succeed(["create", "v", "--dim", "4", "--max-elements", "10000"], in: dir)
        var damage = Damage(seed: 10)
        let rows: [[Float]] = (0..<6).map { r in (0..<4).map { Float(r * 4 + $0) / 3 } }
        var fvecs = Data(), bvecs = Data()
        for row in rows {
            withUnsafeBytes(of: Int32(4).littleEndian) { fvecs.append(contentsOf: $0); bvecs.append(contentsOf: $0) }
            row.forEach { value in withUnsafeBytes(of: value.bitPattern.littleEndian) { fvecs.append(contentsOf: $0) } }
            bvecs.append(contentsOf: row.map { UInt8($0) })
        }
        let text = { (separator: String) in rows.map { $0.map { "\($0)" }.joined(separator: separator) }.joined(separator: "\n") + "\n" }
        let jsonl = rows.map { "{\"vector\": [\($0.map { "\($0)" }.joined(separator: ", "))]}" }.joined(separator: "\n") + "\n"
        let seeds: [(String, Data)] = [("fvecs", fvecs), ("bvecs", bvecs), ("csv", Data(("a,b,c,d\n" + text(",")).utf8)),
                                       ("tsv", Data(text("\t").utf8)), ("jsonl", Data(jsonl.utf8))]
        var inserted = 0
        for (format, intact) in seeds {
            for attempt in 0..<6 {
                var bytes = [UInt8](intact)
                damage(&bytes, times: attempt)
                let path = try makeTemporaryFile("\(attempt).\(format)", contents: Data(bytes))
                for command in [["insert", "v", path], ["search", "v", "--file", path, "-k", "1"]] {
                    let result = try Tools.run(CLI.start(command, directory: dir), timeout: 60)
                    let context = "\(command.joined(separator: " ")) \(bytes): \(result.stderr)"
                    XCTAssertTrue(result.status == 0 || (result.status == 65 && attempt > 0), context)
                    XCTAssertEqual(result.stderr.split(separator: "\n", omittingEmptySubsequences: false).count,
                                   command[0] == "search" && result.status == 0 ? 1 : 2, "one line or none: \(context)")
                    if result.status == 65 {
                        XCTAssertTrue(result.stderr.hasPrefix("caliby: error: \(path)"), context)
                    } else if command[0] == "insert" {
                        // "inserted N vectors into 'v' …"
                        inserted += result.stderr.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? -1_000_000
                    }
                }
            }
        }
        XCTAssertEqual(try count(dir), "\(inserted)", "a failed insert adds nothing")
        XCTAssertGreaterThan(inserted, 0)
        try succeed(["check"], in: dir)
    }
}

/// Seeded damage to a file's bytes: flipped, inserted (NUL, invalid UTF-8, separators), removed or
/// cut off.
private struct Damage {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    private mutating func next(_ bound: Int) -> Int {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Int((state >> 33) % UInt64(max(bound, 1)))
    }

    mutating func callAsFunction(_ bytes: inout [UInt8], times: Int) {
        let tokens: [[UInt8]] = [[0], [0xFF], [0xC3], Array(",".utf8), Array("\n".utf8), Array("\"".utf8), Array("nan".utf8),
                                 Array("x".utf8), Array("{".utf8), [0xFF, 0xFF, 0xFF, 0x7F]]
        for _ in 0..<times {
            let at = next(bytes.count + 1)
            switch next(4) {
            case 0 where !bytes.isEmpty: bytes[min(at, bytes.count - 1)] = UInt8(next(256))
            case 1: bytes.removeSubrange(at..<min(bytes.count, at + 1 + next(6)))
            case 2: bytes.removeSubrange(at...)
            default: bytes.insert(contentsOf: tokens[next(tokens.count)], at: at)
            }
        }
    }
}

import Foundation
import Glibc
import XCTest

/// What the command line does with words it cannot use: negative numbers, mistyped commands,
/// control characters, sizes, and capacities the machine cannot hold. Each is refused with one line
/// naming the problem and a documented exit status.
final class ArgumentTests: XCTestCase {
    private func expectError(_ arguments: [String], in dir: String?, input: String? = nil, status: Int32, _ expected: String,
                             environment: [String: String] = [:], file: StaticString = #filePath, line: UInt = #line) throws {
        let result = try CLI.run(arguments, directory: dir, input: input, environment: environment)
        XCTAssertEqual(result.status, status, "\(arguments): \(result.stderr)", file: file, line: line)
        XCTAssertEqual(result.stderr, "caliby: error: \(expected)\n", "\(arguments)", file: file, line: line)
    }

    // MARK: Negative numbers

    /// argument-parser reads "-1" as an option and used to say "Missing value"; every number option
    /// now takes it and refuses it with its range.
    func testANegativeNumberIsRefusedWithTheOptionsRange() throws {
        let dir = try makeDataDirectory()
        let create = ["create", "z", "--dim", "4", "--max-elements", "10"]
        let diskann = create + ["--type", "diskann"]
        let search = ["search", "v", "--vector", "1,2,3,4"]
        let insert = ["insert", "v", "-", "--format", "csv"]
        let cases: [([String], String)] = [
            (["create", "z", "--dim", "-1", "--max-elements", "10"], "--dim must be between 1 and 65536, got -1"),
            (["create", "z", "--dim", "4", "--max-elements", "-1"], "--max-elements must be between 1 and 2147483648, got -1"),
            (create + ["--M", "-1"], "--M must be between 2 and 512, got -1"),
            (create + ["--ef-construction", "-1"], "--ef-construction must be between 1 and 100000, got -1"),
            (diskann + ["--R", "-1"], "--R must be between 2 and 1024, got -1"),
            (diskann + ["--L", "-1"], "--L must be between 1 and 100000, got -1"),
            (diskann + ["--alpha", "-1"], "--alpha must be between 1 and 4, got -1.0"),
            (diskann + ["--pq-bytes", "-1"], "--pq-bytes must be between 0 and the dimensions (4), got -1"),
            (search + ["-k", "-1"], "-k must be at least 1, got -1 (see 'caliby help')"),
            (search + ["--ef", "-1"], "--ef must be at least 1, got -1 (see 'caliby help')"),
            (search + ["--L", "-1"], "--L must be at least 1, got -1 (see 'caliby help')"),
            (search + ["--beam-width", "-1"], "--beam-width must be at least 1, got -1 (see 'caliby help')"),
            (search + ["--threads", "-1"], "--threads must be at least 1, got -1 (see 'caliby help')"),
            (search + ["--filter", "-1"], "--filter must be a label between 0 and 4294967295, got -1 (see 'caliby help')"),
            (insert + ["--id-column", "-1"], "--id-column must be at least 1 (columns count from 1), got -1 (see 'caliby help')"),
            (insert + ["--labels-column", "-1"],
             "--labels-column must be at least 1 (columns count from 1), got -1 (see 'caliby help')"),
            (insert + ["--threads", "-1"], "--threads must be at least 1, got -1 (see 'caliby help')"),
            (insert + ["--commit-every", "-1"], "--commit-every must be at least 1, got -1 (see 'caliby help')"),
            (["consolidate", "v", "--threads", "-1"], "--threads must be at least 1, got -1 (see 'caliby help')"),
            (["list", "--wait", "-1"], "--wait must be a number of seconds, at least 0, got -1.0 (see 'caliby help')"),
            (["list", "--buffer-size", "-1"], "--buffer-size: '-1' is not a size (examples: 512M, 2G, 0.3G, 1048576)"),
            (["delete", "v", "7", "-1"], "id '-1' is not an unsigned 64-bit integer (see 'caliby help')"),
        ]
        for (arguments, message) in cases {
            try expectError(arguments, in: dir, status: 64, message)
        }
        // The ids' words still report a real unknown option as one.
        try expectError(["delete", "v", "7", "--frob"], in: dir, status: 64, "unknown option '--frob' (see 'caliby help')")
        XCTAssertEqual(try succeed(["list", "--names-only"], in: dir), "", "nothing was created")
    }

    func testAQueryMayStartWithANegativeComponent() throws {
        let dir = try makeDataDirectory()
        try succeed(["create", "v", "--dim", "2", "--max-elements", "10"], in: dir)
        try succeed(["insert", "v", "-", "--format", "csv", "--quiet"], in: dir, input: "5,5\n-1,-2\n")
        XCTAssertEqual(try succeed(["search", "v", "--vector", "-1,-2.5", "-k", "1", "--format", "tsv"], in: dir),
                       "query\trank\tid\tdistance\n0\t1\t1\t0.25\n")
    }

    // MARK: Unknown commands

    func testAnUnknownCommandIsNamedWithTheNearestCommand() throws {
        // Options after the word used to be reported instead ("Unknown option '--dir'").
        try expectError(["frobnicate", "--dir", "x"], in: nil, status: 64, "'frobnicate' is not a caliby command (see 'caliby help')")
        try expectError(["serch", "--dir", "x"], in: nil, status: 64,
                        "'serch' is not a caliby command. Did you mean 'search'? (see 'caliby help')")
        try expectError(["craete"], in: nil, status: 64, "'craete' is not a caliby command. Did you mean 'create'? (see 'caliby help')")
        try expectError(["inft"], in: nil, status: 64, "'inft' is not a caliby command. Did you mean 'init' or 'info'? (see 'caliby help')")
        try expectError([""], in: nil, status: 64, "'' is not a caliby command (see 'caliby help')")
        // `help` with a word that is no command used to print the overview and exit 0.
        try expectError(["help", "frobnicate"], in: nil, status: 64, "'frobnicate' is not a caliby command (see 'caliby help')")
        try expectError(["help", "consolidat"], in: nil, status: 64,
                        "'consolidat' is not a caliby command. Did you mean 'consolidate'? (see 'caliby help')")
        let help = try CLI.run(["help", "search"])
        XCTAssertEqual(help.status, 0, help.stderr)
        XCTAssertTrue(help.stdout.contains("USAGE: caliby search"), help.stdout)
    }

    // MARK: One line

    func testControlCharactersInValuesAreEscapedSoTheErrorStaysOneLine() throws {
        let dir = try makeDataDirectory()
        try succeed(["create", "v", "--dim", "2", "--max-elements", "10"], in: dir)
        try expectError(["create", "a\nb", "--dim", "2", "--max-elements", "3"], in: dir, status: 64,
                        "invalid index name 'a\\nb': character U+A not allowed (use letters, digits, _ - .)")
        try expectError(["insert", "v", "/nonexistent/a\tb\r.csv"], in: dir, status: 66, "/nonexistent/a\\tb\\r.csv: no such file")
        try expectError(["search", "v", "--vector", "1,\u{1B}[2J"], in: dir, status: 65,
                        "--vector: component 2: '\\x1B[2J' is not a finite number")
        try expectError(["list", "--format", "t\u{7F}sv\u{2028}"], in: dir, status: 64,
                        "the value 't\\x7Fsv\\u{2028}' is invalid for '--format <format>'. Please provide one of 'table', 'tsv', "
                            + "'csv', 'json' or 'jsonl'. (see 'caliby help')")
        try expectError(["drop", "x\ny"], in: dir, status: 66, "no index named 'x\\ny'")
    }

    // MARK: Sizes

    func testBufferSizeTakesDigitsAFractionAndAUnitOnly() throws {
        let dir = try makeDataDirectory()
        for size in ["512M", "2G", "0.3G", "1.5GiB", "64KB", "64k", "1048576", "65536B", " 2G ", "1T"] {
            try succeed(["list", "--buffer-size", size], in: dir)
        }
        // Double() reads all of these; "1e3G" was taken while "1e30" was refused.
        for size in ["1e3G", "1e30", "0x10", "inf", "nan", "+2G", ".5G", "2.", "2 G", "0", "0.1", "1iB", "G", "2GG", "2P", ""] {
            try expectError(["list", "--buffer-size", size], in: dir, status: 64,
                            "--buffer-size: '\(size)' is not a size (examples: 512M, 2G, 0.3G, 1048576)")
        }
        try expectError(["list"], in: dir, status: 64, "CALIBY_BUFFER_SIZE: '1e3G' is not a size (examples: 512M, 2G, 0.3G, 1048576)",
                        environment: ["CALIBY_BUFFER_SIZE": "1e3G"])
    }

    // MARK: Capacity

    private func indexFiles(_ dir: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix("index_") }
    }

    /// The engine names its own parameter (maxElements); the command line names the option.
    func testAFullIndexNamesTheOptionThatSetItsCapacity() throws {
        let dir = try makeDataDirectory()
        try succeed(["create", "tiny", "--dim", "2", "--max-elements", "2"], in: dir)
        try expectError(["insert", "tiny", "--input-format", "csv"], in: dir, input: "1,2\n3,4\n5,6\n", status: 68,
                        "index 'tiny' is full: 3 vectors do not fit in the 2 free slots (--max-elements 2); "
                        + "delete vectors or run 'caliby resize tiny --max-elements N' to make room")
        try succeed(["insert", "tiny", "--input-format", "csv"], in: dir, input: "1,2\n3,4\n")
        try expectError(["insert", "tiny", "--input-format", "csv"], in: dir, input: "5,6\n", status: 68,
                        "index 'tiny' is full: 1 vector does not fit in the 0 free slots (--max-elements 2); "
                        + "delete vectors or run 'caliby resize tiny --max-elements N' to make room")
    }

    func testCreateRefusesAnIndexLargerThanTheSizeLimit() throws {
        let dir = try makeDataDirectory()
        try expectError(["create", "huge", "--dim", "65536", "--max-elements", "2147483648"], in: dir, status: 64,
                        "create: an index of 2147483648 elements of 65536 dimensions may grow to 1.0 PiB; an index may grow to "
                            + "at most 16.0 TiB (lower --max-elements or --dim)")
        XCTAssertEqual(try succeed(["list", "--names-only"], in: dir), "")
        XCTAssertEqual(try indexFiles(dir), [])
    }

    /// The tables are written at create; the check happens before, so nothing is written at all.
    func testCreateRefusesEmptyTablesLargerThanTheFreeSpace() throws {
        let dir = try makeDataDirectory()
        // 2^31 codes of 128 bytes and a map of 2^32 16-byte slots: about 328 GiB.
        let needed = 328 << 30
        var info = statvfs()
        XCTAssertEqual(statvfs(dir, &info), 0)
        let free = Int(info.f_bavail) * Int(info.f_frsize)
        guard free < needed else { throw XCTSkip("\(dir) has room for the tables (\(free) bytes free)") }
        let started = Date()
        let result = try CLI.run(["create", "big", "--type", "diskann", "--dim", "128", "--max-elements", "2147483648",
                                  "--pq-bytes", "128"], directory: dir)
        XCTAssertEqual(result.status, 68, result.stderr)
        XCTAssertLessThan(Date().timeIntervalSince(started), 30, "refused before writing")
        let pattern = try NSRegularExpression(pattern: #"^caliby: error: create: an index of 2147483648 elements needs 328\.5 GiB "#
            + #"written now for its empty id map and PQ codes; (.+) has ([0-9]+\.[0-9]) GiB free \(lower --max-elements or --pq-bytes\)\n$"#)
        let match = try XCTUnwrap(pattern.firstMatch(in: result.stderr, range: NSRange(result.stderr.startIndex..., in: result.stderr)),
                                  result.stderr)
        XCTAssertEqual(String(result.stderr[Range(match.range(at: 1), in: result.stderr)!]), dir)
        let reported = try XCTUnwrap(Double(String(result.stderr[Range(match.range(at: 2), in: result.stderr)!])))
        XCTAssertEqual(reported, Double(free) / Double(1 << 30), accuracy: 1, "the free space of the directory's file system")
        XCTAssertEqual(try succeed(["list", "--names-only"], in: dir), "")
        XCTAssertEqual(try indexFiles(dir), [])
    }
}

import Foundation
import XCTest

/// The command line's conventions, each as a user meets it: where options may go, what a format
/// flag is called, how output and messages read, what the shells complete, what a terminal shows.
final class UsabilityTests: XCTestCase {
    private func directoryWithIndex() throws -> String {
        let dir = try makeDataDirectory()
        try succeed(["create", "v", "--dim", "2", "--max-elements", "10"], in: dir)
        return dir
    }

    // MARK: Options and input formats

    /// As `git -C dir status`: the global options may come before the command's name.
    func testGlobalOptionsBeforeTheCommand() throws {
        let dir = try directoryWithIndex()
        for arguments in [["--dir", dir, "list", "--names-only"], ["--dir=\(dir)", "list", "--names-only"],
                          ["--wait", "1", "--buffer-size", "64M", "--dir", dir, "list", "--names-only"]] {
            let result = try CLI.run(arguments)
            XCTAssertEqual(result.status, 0, "\(arguments): \(result.stderr)")
            XCTAssertEqual(result.stdout, "v\n", "\(arguments)")
        }
        let missing = try CLI.run(["--dir"])
        XCTAssertEqual(missing.status, 64)
        XCTAssertEqual(missing.stderr, "caliby: error: missing value for '--dir' (see 'caliby help')\n")
        let typo = try CLI.run(["--dir", dir, "lsit"])
        XCTAssertEqual(typo.stderr, "caliby: error: 'lsit' is not a caliby command. Did you mean 'list'? (see 'caliby help')\n")
    }

    /// One name and one default for the input format: --input-format, CSV on standard input, for
    /// insert and search alike; insert's old --format still works.
    func testInputFormatIsOneOptionWithOneDefault() throws {
        let dir = try directoryWithIndex()
        XCTAssertEqual(try CLI.run(["insert", "v"], directory: dir, input: "9,9\n").stderr,
                       "inserted 1 vector into 'v' (id 0) in 0.0 s (reading input 0.0 s)\n",
                       "CSV on standard input without a flag; one vector, one id")
        try succeed(["insert", "v", "-", "--input-format", "tsv"], in: dir, input: "1\t1\n2\t2\n")
        try succeed(["insert", "v", "-", "--format", "csv"], in: dir, input: "3,3\n")
        XCTAssertEqual(try succeed(["search", "v", "--input-format", "tsv", "-k", "1", "--format", "csv"], in: dir, input: "2\t2.5\n"),
                       "query,rank,id,distance\n0,1,2,0.25\n")
        try expectFailure(["insert", "v", "-", "--format", "csv", "--input-format", "csv"], in: dir, status: 64,
                          mentions: ["give --input-format, not also --format"])
        let unknown = try makeTemporaryFile("vectors.dat", contents: Data("4,4\n".utf8))
        for command in [["insert", "v", unknown], ["search", "v", "--file", unknown]] {
            try expectFailure(command, in: dir, status: 64, mentions: ["\(unknown): unknown extension", "give --input-format"])
        }
        try succeed(["insert", "v", unknown, "--input-format", "csv", "--quiet"], in: dir)
        XCTAssertEqual(try CLI.run(["insert", "v", "-"], directory: dir, input: "5,5\n6,6\n").stderr,
                       "inserted 2 vectors into 'v' (ids 5…6) in 0.0 s (reading input 0.0 s)\n")
    }

    // MARK: Output and messages

    func testInfoJSONIsOneObjectWithTypedValues() throws {
        let dir = try directoryWithIndex()
        try succeed(["insert", "v", "-", "--quiet"], in: dir, input: "1,1\n2,2\n")
        for format in ["json", "jsonl"] {
            let text = try succeed(["info", "v", "--format", format], in: dir)
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], text)
            XCTAssertEqual(object["vectors"] as? Int, 2, text)
            XCTAssertEqual(object["dims"] as? Int, 2, text)
            XCTAssertEqual(object["name"] as? String, "v", text)
            XCTAssertEqual(object["M"] as? Int, 16, text)
            XCTAssertEqual(text.filter { $0 == "\n" }.count, 1, "one line: \(text)")
        }
        XCTAssertTrue(try succeed(["info", "v", "--format", "tsv"], in: dir).hasPrefix("property\tvalue\nname\tv\n"))
    }

    /// People read sizes in units, scripts get exact bytes.
    func testSizesAreInUnitsInATableAndExactElsewhere() throws {
        let dir = try directoryWithIndex()
        let tsv = try succeed(["info", "v", "--format", "tsv"], in: dir)
        let bytes = try XCTUnwrap(tsv.split(separator: "\n").first { $0.hasPrefix("bytes\t") }?.dropFirst(6))
        let size = try XCTUnwrap(Int(bytes), tsv)
        XCTAssertTrue(try succeed(["info", "v", "--format", "table"], in: dir).contains("\nbytes            \(Double(size) / 1024) KiB\n"))
        XCTAssertTrue(try succeed(["list", "--format", "csv"], in: dir).contains(",\(size),"))
        XCTAssertTrue(try succeed(["list", "--format", "table"], in: dir).contains(" \(Double(size) / 1024) KiB "))
    }

    /// git's style: messages start in lower case, argument-parser's too.
    func testErrorsStartInLowerCase() throws {
        let dir = try directoryWithIndex()
        for arguments in [["list", "--frob"], ["info"], ["search", "v", "-k", "many"], ["create", "w", "--dim", "2"]] {
            let result = try CLI.run(arguments, directory: dir)
            XCTAssertEqual(result.status, 64, result.stderr)
            let message = result.stderr.dropFirst("caliby: error: ".count)
            XCTAssertTrue(result.stderr.hasPrefix("caliby: error: ") && message.first?.isLowercase == true, result.stderr)
        }
    }

    // MARK: Shell completion

    func testBashCompletesFilesAndDirectoriesWhereTheArgumentIsOne() throws {
        let files = try makeTemporaryDirectory()
        for name in ["small.fvecs", "small.txt", "queries.csv", "truth.ivecs"] {
            XCTAssertTrue(FileManager.default.createFile(atPath: files + "/" + name, contents: Data()))
        }
        try FileManager.default.createDirectory(atPath: files + "/store", withIntermediateDirectories: true)
        func complete(_ words: [String]) throws -> [String] { try bashCompletions(words) }
        XCTAssertEqual(try complete(["insert", "v", files + "/sm"]), [files + "/small.fvecs"], "vector files, not .txt")
        XCTAssertEqual(try complete(["search", "v", "--file", files + "/q"]), [files + "/queries.csv"])
        XCTAssertEqual(try complete(["search", "v", "--groundtruth", files + "/t"]), [files + "/truth.ivecs"])
        XCTAssertEqual(try complete(["list", "--dir", files + "/st"]), [files + "/store"])
        XCTAssertEqual(try complete(["insert", "v", "-", "--ids", files + "/small.t"]), [files + "/small.txt"])
    }

    // MARK: A terminal

    /// The commit is part of the command: the summary is printed after it, on a line of its own,
    /// and what the terminal showed while it ran ("committing") is gone.
    func testTheSummaryComesAfterTheCommitOnACleanLine() throws {
        let dir = try makeDataDirectory()
        try succeed(["create", "d", "--type", "diskann", "--dim", "16", "--max-elements", "3000", "--R", "16"], in: dir)
        let file = try makeTemporaryFile("d.fvecs", contents: fvecs(testVectors(count: 3000, dimensions: 16, seed: 6), dimensions: 16))
        let session = try TerminalSession(["insert", "d", file, "--dir", dir, "--threads", "2"], history: "", testCase: self)
        XCTAssertTrue(session.waitFor("[exit status 0]"), session.screen)
        let lines = session.screen.split(separator: "\n")
        XCTAssertTrue(lines.contains { $0.hasPrefix("inserted 3000 vectors into 'd' (ids 0…2999) in ") }, session.screen)
        XCTAssertFalse(session.screen.contains("committing"), session.screen)
        try succeed(["check", "d"], in: dir)
    }

    /// The bar counts records inserted (not bytes read, which run a batch ahead), out of the file's
    /// records (a CSV file's lines, marked as an estimate), and Ctrl-C leaves no bar on the line the
    /// error is printed on.
    func testProgressCountsRecordsInsertedAndIsClearedBeforeTheError() throws {
        let count = 40_000
        let values = testVectors(count: count, dimensions: 32, seed: 5)
        let csv = stride(from: 0, to: values.count, by: 32).map { values[$0..<$0 + 32].map { "\($0)" }.joined(separator: ",") + "\n" }
        for (name, contents, mark) in [("big.fvecs", fvecs(values, dimensions: 32), ""), ("big.csv", Data(csv.joined().utf8), "~")] {
            let dir = try makeDataDirectory()
            try succeed(["create", "big", "--dim", "32", "--max-elements", "\(count)"], in: dir)
            let file = try makeTemporaryFile(name, contents: contents)
            let session = try TerminalSession(["insert", "big", file, "--dir", dir, "--threads", "1"], history: "", testCase: self)
            func bar() -> [Substring]? {
                session.screen.split(separator: "\n").last { $0.contains(" vectors  ") && !$0.contains("  0 vectors") }?.split(separator: " ")
            }
            XCTAssertTrue(poll(timeout: 20, every: 0.05) { bar() != nil }, session.screen)
            // "[###....] 12%  4800 vectors  900/s  ETA 39s", with ~ before the share and the time of an estimate
            let bar = try XCTUnwrap(bar())
            let percent = try XCTUnwrap(bar.first { $0.hasSuffix("%") }, "\(bar)")
            let done = try XCTUnwrap(bar.firstIndex(of: "vectors").flatMap { Int(bar[$0 - 1]) }, "\(bar)")
            XCTAssertEqual(percent, "\(mark)\(done * 100 / count)%", "\(name): the share of records inserted: \(bar)")
            XCTAssertTrue(bar.contains("ETA"), "\(bar)")
            session.press("C-c")
            XCTAssertTrue(session.waitFor("[exit status 130]"), session.screen)
            let lines = session.screen.split(separator: "\n")
            XCTAssertTrue(lines.contains("caliby: error: interrupted"), "the error on a line of its own: \(session.screen)")
            XCTAssertFalse(session.screen.contains("ETA"), "the bar was cleared: \(session.screen)")
        }
    }
}

import Foundation
import Glibc
import XCTest

/// What the command line does with words it cannot use: negative numbers, mistyped commands,
/// control characters, sizes, and capacities the machine cannot hold. Each is refused with one line
/// naming the problem and a documented exit status.
final class ArgumentTests: XCTestCase {
    private func expectError(_ arguments: [String], in dir: String?, status: Int32, _ expected: String,
                             environment: [String: String] = [:], file: StaticString = #filePath, line: UInt = #line) throws {
        let result = try CLI.run(arguments, directory: dir, environment: environment)
        XCTAssertEqual(result.status, status, "\(arguments): \(result.stderr)", file: file, line: line)
        XCTAssertEqual(result.stderr, "caliby: error: \(expected)\n", "\(arguments)", file: file, line: line)
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
                        "The value 't\\x7Fsv\\u{2028}' is invalid for '--format <format>'. Please provide one of 'table', 'tsv', "
                            + "'csv', 'json' or 'jsonl'. (see 'caliby help')")
        try expectError(["drop", "x\ny"], in: dir, status: 66, "no index named 'x\\ny'")
    }
}

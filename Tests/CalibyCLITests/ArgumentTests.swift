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

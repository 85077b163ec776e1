import Foundation
import XCTest
@testable import CalibyEngine

/// Which first line of a CSV/TSV file is a header (`HeaderLine`), and the damaged first lines of
/// issue 10 that used to be skipped as one.
final class CSVHeaderTests: ReaderTestCase {
    private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    // MARK: Issue 10: a damaged first line is a record with an error, never a skipped header

    /// Each case alone (a single-line file) and before a good record; both as CSV and as TSV, with
    /// the dimension known (insert, search) or taken from the line.
    func testDamagedFirstLinesAreReportedAtLineOne() throws {
        let cases: [(name: String, line: [UInt8], message: String)] = [
            ("empty field", bytes("1,,2,3"), "field 2: empty value"),
            ("trailing separator", bytes("1,2,3,4,"), "field 5: empty value"),
            ("one non-number", bytes("1,2,x,4"),
             "field 3: 'x' is not a number (line 1 is not a header: field 1 is a number)"),
            ("wrong separator", bytes("1;2;3;4"), "field 1: '1;2;3;4' is not a number"),
            ("NUL byte", bytes("1,2,3,4") + [0], "field 4: '4\\0' is not a number"),
            ("invalid UTF-8", bytes("1,2,3,4") + [0xFF], "field 4: '4\\xFF' is not a number"),
            ("non-ASCII digit", bytes("1,2,3,\u{664}"), "field 4: '\u{664}' is not a number"),
            ("non-ASCII digits only", bytes("\u{661},\u{662},\u{663},\u{664}"), "field 1: '\u{661}' is not a number"),
            ("control character", bytes("1,2,3,4\u{1}"), "field 4: '4\\x01' is not a number"),
        ]
        for (name, line, message) in cases {
            for (format, separator) in [(VectorFormat.csv, UInt8(ascii: ",")), (.tsv, UInt8(ascii: "\t"))] {
                func separated(_ bytes: [UInt8]) -> [UInt8] { bytes.map { $0 == UInt8(ascii: ",") ? separator : $0 } }
                for (suffix, next) in [("alone", ""), ("before-a-record", "\n1,2,3,4\n")] {
                    let path = try write("\(name) \(suffix).\(format)", separated(line + bytes(next)))
                    for dimensions in [nil, 4] {
                        assertBadInput(path, options(format, dimensions: dimensions), at: "\(path):1", message)
                    }
                }
            }
        }
    }

    func testTSVReadAsCSVIsNotAHeader() throws {
        let path = try write("tabs.csv", text: "1\t2\t3\t4\n5\t6\t7\t8\n")
        assertBadInput(path, options(.csv), at: "\(path):1", "field 1: '1\\t2\\t3\\t4' is not a number")
    }

    func testMessagesShowWhatIsInTheFile() throws {
        // A C1 control character, a stray carriage return, and a field cut at 40 bytes mid-character.
        let c1 = try write("c1.csv", bytes("1,x\u{85}y\n"))
        assertBadInput(c1, options(.csv), at: "\(c1):1", "field 2: 'x\\xC2\\x85y' is not a number")
        let cr = try write("cr.csv", text: "1,2\r3\n")
        assertBadInput(cr, options(.csv), at: "\(cr):1", "field 2: '2\\r3' is not a number")
        let long = try write("long.csv", text: "1," + String(repeating: "9", count: 39) + "é9\n")
        assertBadInput(long, options(.csv, header: .absent), at: "\(long):1",
                       "field 2: '" + String(repeating: "9", count: 39) + "é…' is not a number")
    }

    // MARK: auto

    func testColumnNamesMakeAHeader() throws {
        let path = try write("v.csv", text: "\n\u{FEFF}  \"id\", größe ,\"名前, zweiter\",x1,Labels\n10,1,2,3,7\n")
        let batch = try readAll(path, options(.csv, id: 1, labels: 5))
        XCTAssertEqual(batch.vectors, [1, 2, 3])
        XCTAssertEqual(batch.ids, [10])
        XCTAssertEqual(batch.labels, [[7]])
    }

    func testWhyAFieldIsNoColumnName() throws {
        let verdicts: [([UInt8], String?)] = [
            (bytes("x"), nil), (bytes("dim_0"), nil), (bytes("e5"), nil), (bytes("Ⅳa"), nil), (bytes("ß"), nil),
            ([], "is empty"), (bytes("1"), "is a number"), (bytes("-1.5e3"), "is a number"),
            (bytes("nan"), "is a number"), (bytes("Infinity"), "is a number"), (bytes("0x1p3"), "is a number"),
            (bytes("#"), "has no letter"), (bytes("1;2"), "has no letter"), (bytes("\u{664}"), "has no letter"),
            (bytes("a") + [0xC3], "is not valid UTF-8"), ([0xC0, 0x80], "is not valid UTF-8"),
            (bytes("a") + [0], "has a control character"), (bytes("a\u{9F}"), "has a control character"),
        ]
        for (field, expected) in verdicts {
            var nulTerminated = field + [0]
            nulTerminated.withUnsafeMutableBufferPointer { buffer in
                let start = buffer.baseAddress!
                let span = ByteSpan(start: start, end: start + field.count)
                XCTAssertEqual(DelimitedDecoder.columnNameProblem(span), expected, "\(field)")
            }
        }
    }

    func testNumericFirstLineIsARecord() throws {
        let path = try write("v.csv", text: "1,2\n3,4\n")
        XCTAssertEqual(try readAll(path, options(.csv)).vectors, [1, 2, 3, 4])
    }

    func testPartlyNamedFirstLineSaysWhyItIsNotAHeader() throws {
        let numbered = try write("numbered.csv", text: "id,x,y,1\n1,2,3,4\n")
        assertBadInput(numbered, options(.csv, id: 1), at: "\(numbered):1",
                       "id 'id' is not an unsigned 64-bit integer (line 1 is not a header: field 4 is a number)")
        let blank = try write("blank.tsv", text: "\n \nx\t\ty\n1\t2\t3\n")
        assertBadInput(blank, options(.tsv), at: "\(blank):3",
                       "field 1: 'x' is not a number (line 3 is not a header: field 2 is empty)")
    }

    // MARK: The header must describe the records

    func testHeaderFieldCountMustMatchTheRecords() throws {
        let more = try write("more.csv", text: "a,b,c,d\n1,2,3,4,5\n")
        assertBadInput(more, options(.csv), at: "\(more):2", "line has 5 fields but the header (line 1) has 4")
        assertBadInput(more, options(.csv, dimensions: 4), at: "\(more):2", "line has 5 fields but the header (line 1) has 4")
        let fewer = try write("fewer.tsv", text: "\nid\ta\tb\n\n1\t2\n")
        assertBadInput(fewer, options(.tsv, id: 1), at: "\(fewer):4", "line has 2 fields but the header (line 2) has 3")
        // Past the first record the dimension speaks for the header.
        let later = try write("later.csv", text: "a,b\n1,2\n3,4,5\n")
        assertBadInput(later, options(.csv), at: "\(later):3", "expected 2 values, found 3")
    }

    // MARK: yes and no

    func testPresentSkipsAnyFirstLine() throws {
        let numeric = try write("numeric.csv", text: "1,2\n3,4\n")
        XCTAssertEqual(try readAll(numeric, options(.csv, header: .present)).vectors, [3, 4])
        let odd = try write("odd.csv", bytes("1,,\u{1}") + [0xFF] + bytes("\n5,6,7\n"))
        XCTAssertEqual(try readAll(odd, options(.csv, header: .present)).vectors, [5, 6, 7])
        let short = try write("short.csv", text: "1,2\n3,4,5\n")
        assertBadInput(short, options(.csv, header: .present), at: "\(short):2", "line has 3 fields but the header (line 1) has 2")
        for text in ["", "\n\n", "a,b\n", "1,2\n\n"] {
            let path = try write("only.csv", text: text)
            XCTAssertEqual(try readBatches(path, options(.csv, header: .present)).count, 0, text)
        }
    }

    func testAbsentNeverSkips() throws {
        let named = try write("named.csv", text: "a,b\n1,2\n")
        assertBadInput(named, options(.csv, header: .absent), at: "\(named):1", "field 1: 'a' is not a number")
        let numeric = try write("numeric.tsv", text: "1\t2\n3\t4\n")
        XCTAssertEqual(try readAll(numeric, options(.tsv, header: .absent)).vectors, [1, 2, 3, 4])
    }

    func testRecordNumbersCountRecordsNotTheHeader() throws {
        let path = try write("q.csv", text: "x,y\n" + (1...5).map { "\($0),\($0)\n" }.joined())
        let batches = try readBatches(path, options(.csv), maxRecords: 2)
        XCTAssertEqual(batches.map(\.firstRecordNumber), [1, 3, 5])
        XCTAssertEqual(batches.flatMap(\.vectors), (1...5).flatMap { [Float($0), Float($0)] })
    }
}

import Foundation
import XCTest
@testable import CalibyEngine

/// Documents read beside the vectors: every field type through JSON lines and CSV/TSV, and every
/// way a value can be refused, with the exact message (file:line, field, value).
final class DocumentInputTests: ReaderTestCase {
    private let schema = Schema(fields: [
        Field(name: "title", type: .text), Field(name: "name", type: .string, required: true),
        Field(name: "price", type: .float), Field(name: "count", type: .int), Field(name: "ok", type: .bool),
        Field(name: "tags", type: .stringArray), Field(name: "sizes", type: .intArray),
    ])
    private let fieldList = "fields: title, name, price, count, ok, tags, sizes"

    private func withFields(_ format: VectorFormat, header: HeaderLine = .auto, ignoreUnknown: Bool = false,
                            vectorColumns: ClosedRange<Int>? = nil, id: Int? = nil) -> VectorReaderOptions {
        VectorReaderOptions(format: format, idColumn: id, header: header, schema: schema, ignoreUnknown: ignoreUnknown,
                            vectorColumns: vectorColumns)
    }

    private func document(title: String? = nil, name: String?, price: Double? = nil, count: Int64? = nil,
                          ok: Bool? = nil, tags: [String]? = nil, sizes: [Int64]? = nil) -> Document {
        Document(values: [title.map(FieldValue.string), name.map(FieldValue.string), price.map(FieldValue.float),
                          count.map(FieldValue.int), ok.map(FieldValue.bool), tags.map(FieldValue.stringArray),
                          sizes.map(FieldValue.intArray)])
    }

    /// `line` as line 2 of a JSON lines file whose line 1 is a good record; its error must be `message`.
    private func assertJSONRefused(_ line: String, _ message: String, options: VectorReaderOptions? = nil,
                                   file: StaticString = #filePath, line number: UInt = #line) throws {
        let path = try write("bad.jsonl", text: "{\"vector\": [1], \"name\": \"a\"}\n\(line)\n")
        assertBadInput(path, options ?? withFields(.jsonl), at: "\(path):2", message, file: file, line: number)
    }

    private func column(of needle: String, in line: String) -> Int {
        line.utf8.count - line[line.range(of: needle)!.lowerBound...].utf8.count + 1
    }

    // MARK: JSON lines

    func testJSONLinesRoundTripEveryType() throws {
        let path = try write("docs.jsonl", text: #"""
            {"id": 7, "vector": [1, 2], "title": "a \"quoted\", back\\slash\/ line\nbreak\ttab \u00e9\ud83d\ude00 größe 名前", "name": "n", "price": 0.1, "count": -9223372036854775808, "ok": true, "tags": ["a", "b\u0000"], "sizes": [9223372036854775807, 0]}
            {"vector": [3, 4], "name": "", "price": -2e3, "count": 12, "ok": false, "tags": [], "sizes": [], "ti\u0074le": null}
            {"sizes": null, "name": "x", "vector": [5, 6], "price": 3}

            """#)
        let batch = try readAll(path, withFields(.jsonl))
        XCTAssertEqual(batch.vectors, [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(batch.ids, [7, nil, nil])
        XCTAssertEqual(batch.documents, [
            document(title: "a \"quoted\", back\\slash/ line\nbreak\ttab é😀 größe 名前", name: "n", price: 0.1,
                     count: .min, ok: true, tags: ["a", "b\u{0}"], sizes: [.max, 0]),
            document(name: "", price: -2000, count: 12, ok: false, tags: [], sizes: []),
            document(name: "x", price: 3),
        ])
    }

    func testWithoutFieldsThereAreNoDocumentsAndOtherKeysAreSkipped() throws {
        let path = try write("plain.jsonl", text: "{\"vector\": [1], \"title\": \"\\q\"}\n")
        let batch = try readAll(path, options(.jsonl))
        XCTAssertEqual(batch.vectors, [1])
        XCTAssertEqual(batch.documents, [])
    }

    func testJSONValuesOfTheWrongKindAreRefusedNamingFieldAndValue() throws {
        let cases: [(String, String)] = [
            (#""price": "abc""#, #"field 'price': expected float, got "abc""#),
            (#""price": 1e999"#, "field 'price': expected float, got 1e999 (not finite)"),
            (#""price": true"#, "field 'price': expected float, got true"),
            (#""count": 1.5"#, "field 'count': expected int, got 1.5 (not an integer)"),
            (#""count": 1e3"#, "field 'count': expected int, got 1e3 (not an integer)"),
            (#""count": 9223372036854775808"#, "field 'count': expected int, got 9223372036854775808 (beyond 64-bit integers)"),
            (#""count": -9223372036854775809"#, "field 'count': expected int, got -9223372036854775809 (beyond 64-bit integers)"),
            (#""count": "7""#, #"field 'count': expected int, got "7""#),
            (#""ok": 1"#, "field 'ok': expected bool, got 1"),
            (#""title": 5"#, "field 'title': expected text, got 5"),
            (#""name": ["a"]"#, #"field 'name': expected string, got ["a"]"#),
            (#""tags": "a""#, #"field 'tags': expected string[], got "a""#),
            (#""tags": ["a", 3]"#, "field 'tags': element 2: expected string, got 3"),
            (#""tags": ["a", null]"#, "field 'tags': element 2 is null, which an array cannot hold"),
            (#""sizes": [1, 2.5]"#, "field 'sizes': element 2: expected int, got 2.5 (not an integer)"),
            (#""sizes": {"a": 1}"#, #"field 'sizes': expected int[], got {"a": 1}"#),
            (#""title": "x", "title": "y""#, "field 'title' is given twice"),
            (#""title": null, "title": "y""#, "field 'title' is given twice"),
            (#""prize": 3"#, "unknown field 'prize' (\(fieldList)); did you mean 'price'?"),
            (#""Title": "x""#, "unknown field 'Title' (\(fieldList)); did you mean 'title'?"),
            (#""zzz": 1"#, "unknown field 'zzz' (\(fieldList))"),
            (#""col\tour": 1"#, #"unknown field 'col\tour' (\#(fieldList))"#),
        ]
        for (member, message) in cases {
            try assertJSONRefused("{\"vector\": [1], \"name\": \"b\", \(member)}", message)
        }
        try assertJSONRefused(#"{"vector": [1]}"#, "field 'name': required field missing")
        try assertJSONRefused(#"{"vector": [1], "name": null}"#, "field 'name': required field missing")
    }

    func testInvalidJSONStringsAreRefusedAtTheirColumn() throws {
        for (text, needle, reason) in [(#""a\qb""#, #"\q"#, "invalid escape"), (#""\u12G4""#, #"\u"#, "invalid escape"),
                                       (#""x\ud800y""#, #"\u"#, "a lone surrogate"), (#""\udc00""#, #"\u"#, "a lone surrogate"),
                                       (#""\ud800\u0041""#, #"\u"#, "a lone surrogate"),
                                       ("\"tab\there\"", "\t", "a control character in a string must be escaped")] {
            let line = "{\"vector\": [1], \"name\": \"b\", \"title\": \(text)}"
            try assertJSONRefused(line, "invalid JSON at column \(column(of: needle, in: line)) (\(reason))")
        }
        let key = #"{"vector": [1], "name": "b", "ti\qle": 1}"#
        try assertJSONRefused(key, "invalid JSON at column \(column(of: #"\q"#, in: key)) (invalid escape)")
        let invalidUTF8 = Array("{\"vector\": [1], \"name\": \"a".utf8) + [0xFF] + Array("b\"}\n".utf8)
        let path = try write("utf8.jsonl", invalidUTF8)
        assertBadInput(path, withFields(.jsonl), at: "\(path):1", "invalid JSON at column 25 (a string that is not valid UTF-8)")
    }

    func testUnknownKeysAreSkippedWhenAsked() throws {
        let path = try write("extra.jsonl", text: "{\"vector\": [1], \"colour\": {\"deep\": [1]}, \"name\": \"a\", \"x\": \"\\q\"}\n")
        let batch = try readAll(path, withFields(.jsonl, ignoreUnknown: true))
        XCTAssertEqual(batch.documents, [document(name: "a")])
    }

    func testValuesOverTheLimitsAreRefusedShowingTheValue() throws {
        let long = String(repeating: "a", count: Schema.maxStringBytes + 1)
        let shown = "\"" + String(repeating: "a", count: 39) + "…"
        try assertJSONRefused("{\"vector\": [1], \"name\": \"\(long)\"}",
                              "field 'name': 4097 bytes, more than the 4096 a string may hold: \(shown)")
        try assertJSONRefused("{\"vector\": [1], \"name\": \"a\", \"tags\": [\"\(long)\"]}",
                              "field 'tags': an element of 4097 bytes, more than the 4096 a string may hold: [\"" + String(repeating: "a", count: 38) + "…")
        let sizes = (0...Schema.maxArrayElements).map { _ in "1" }.joined(separator: ",")
        try assertJSONRefused("{\"vector\": [1], \"name\": \"a\", \"sizes\": [\(sizes)]}",
                              "field 'sizes': 4097 elements, more than 4096: [1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1…")
        let text = String(repeating: "é", count: Schema.maxTextBytes / 2)
        let path = try write("text.jsonl", text: "{\"vector\": [1], \"name\": \"a\", \"title\": \"\(text)\"}\n")
        XCTAssertEqual(try readAll(path, withFields(.jsonl)).documents, [document(title: text, name: "a")])
        try assertJSONRefused("{\"vector\": [1], \"name\": \"a\", \"title\": \"\(text)x\"}",
                              "field 'title': 1048577 bytes, more than the 1048576 a text may hold: \"" + String(repeating: "é", count: 20) + "…")
    }

    // MARK: CSV and TSV

    func testCSVRoundTripEveryTypeWithQuotedText() throws {
        let path = try write("docs.csv", text: """
            id,vector,title,name,price,count,ok,tags,sizes
            1,"[0.5, 1]","Hello, ""world""
            second line, größe 😀",  n1 ,0.25,-3,true,"[""a"",""b,c""]","[1, 2]"
            2,0.5 1e1,,"  spaced ",,,False,[],
            ,"[1,2]", plain ,x,1e-3,9223372036854775807,0,,[]

            """)
        let batch = try readAll(path, withFields(.csv))
        XCTAssertEqual(batch.ids, [1, 2, nil])
        XCTAssertEqual(batch.vectors, [0.5, 1, 0.5, 10, 1, 2])
        XCTAssertEqual(batch.documents, [
            document(title: "Hello, \"world\"\nsecond line, größe 😀", name: "n1", price: 0.25, count: -3, ok: true,
                     tags: ["a", "b,c"], sizes: [1, 2]),
            document(name: "  spaced ", ok: false, tags: []),
            document(title: "plain", name: "x", price: 0.001, count: .max, ok: false, sizes: []),
        ])
    }

    func testLinesAfterAMultiLineRecordKeepTheirNumbers() throws {
        let path = try write("lines.csv", text: "vector,name,title\n1,a,\"x\n\ny\"\n2,b,c\n3,c,\"unclosed\n4,d,e\n")
        assertBadInput(path, withFields(.csv), at: "\(path):6", "field 3: unterminated quote")
        let bad = try write("bad.csv", text: "vector,name,title\n1,a,\"x\ny\"\n2,b,c,extra\n")
        assertBadInput(bad, withFields(.csv), at: "\(bad):4", "line has 4 fields but the header (line 1) has 3")
    }

    func testCSVCellsOfTheWrongKindAreRefused() throws {
        let cases: [(String, String, String)] = [
            ("price", "abc", "field 'price': expected float, got 'abc'"),
            ("price", "0x1p3", "field 'price': expected float, got '0x1p3'"),
            ("price", "nan", "field 'price': expected float, got 'nan'"),
            ("count", "1.0", "field 'count': expected int, got '1.0' (not an integer)"),
            ("count", "+1", "field 'count': expected int, got '+1'"),
            ("count", "99999999999999999999", "field 'count': expected int, got '99999999999999999999' (beyond 64-bit integers)"),
            ("ok", "yes", "field 'ok': expected bool, got 'yes'"),
            ("ok", "2", "field 'ok': expected bool, got '2'"),
            ("tags", "a;b", "field 'tags': expected string[], got 'a;b'"),
            ("tags", "[a]", "field 'tags': expected a JSON array like [\"a\", \"b\"], got '[a]'"),
            ("tags", "\"[\"\"a\"\"] x\"", "field 'tags': expected a JSON array like [\"a\", \"b\"], got '[\"a\"] x'"),
            ("sizes", "\"[1, \"\"2\"\"]\"", "field 'sizes': element 2: expected int, got \"2\""),
            ("sizes", "[1.5]", "field 'sizes': element 1: expected int, got 1.5 (not an integer)"),
        ]
        for (field, cell, message) in cases {
            let path = try write("bad.csv", text: "vector,name,\(field)\n1,a,\n2,b,\(cell)\n")
            assertBadInput(path, withFields(.csv), at: "\(path):3", message)
        }
        let missing = try write("missing.csv", text: "vector,name\n1,a\n2,\"\"\n")
        assertBadInput(missing, withFields(.csv), at: "\(missing):3", "field 'name': required field missing")
        let invalid = try write("utf8.csv", Array("vector,name\n1,a".utf8) + [0xFF] + [0x0A])
        assertBadInput(invalid, withFields(.csv), at: "\(invalid):2", "field 'name': 'a\\xFF' is not valid UTF-8")
        let long = try write("long.csv", text: "vector,name\n1,\(String(repeating: "b", count: 4097))\n")
        assertBadInput(long, withFields(.csv), at: "\(long):2",
                       "field 'name': 4097 bytes, more than the 4096 a string may hold: \(String(repeating: "b", count: 40))…")
    }

    func testUnknownColumnsAreRefusedOrSkipped() throws {
        let path = try write("extra.csv", text: "vector,colour,name\n1,red,a\n")
        assertBadInput(path, withFields(.csv), at: "\(path):1", "column 2: unknown field 'colour' (\(fieldList))")
        let batch = try readAll(path, withFields(.csv, ignoreUnknown: true))
        XCTAssertEqual(batch.documents, [document(name: "a")])
        let twice = try write("twice.csv", text: "vector,name,name\n1,a,b\n")
        assertBadInput(twice, withFields(.csv), at: "\(twice):1", "columns 2 and 3 are both field 'name'")
        let vectors = try write("vectors.csv", text: "vector,name,vector\n1,a,2\n")
        assertBadInput(vectors, withFields(.csv), at: "\(vectors):1", "columns 1 and 3 are both 'vector'")
    }

    func testHeaderAndVectorColumnProblems() throws {
        let noHeader = try write("numbers.csv", text: "1,2\n")
        assertBadInput(noHeader, withFields(.csv), at: "\(noHeader):1",
                       "the first line is not a header (field 1 is a number); csv and tsv input with fields or vector columns needs a header line naming its columns")
        XCTAssertThrowsError(try readBatches(noHeader, withFields(.csv, header: .absent))) { error in
            XCTAssertEqual(error as? CalibyError, .invalidArgument("csv and tsv input with fields needs a header line naming its columns"))
        }
        let noVector = try write("novector.csv", text: "id,name\n1,a\n")
        assertBadInput(noVector, withFields(.csv), at: "\(noVector):1",
                       "no vector: name one column 'vector' (a JSON array [0.1, 0.2] or numbers separated by spaces), or give the range of columns holding the components")
        let both = try write("both.csv", text: "name,a,b,vector\nx,1,2,3\n")
        assertBadInput(both, withFields(.csv, vectorColumns: 2...3), at: "\(both):1",
                       "column 4 is named 'vector', but the vector is in columns 2-3")
        assertBadInput(both, withFields(.csv, vectorColumns: 2...5), at: "\(both):1", "vector columns 2-5 go past the header's 4 columns")
        let badVector = try write("badvector.csv", text: "vector,name\n\"[1, 2\",a\n\"1,,2\",b\n")
        assertBadInput(badVector, withFields(.csv), at: "\(badVector):2", "vector '[1, 2': no closing ']'")
        let empty = try write("emptycomponent.csv", text: "vector,name\n\"1,,2\",b\n")
        assertBadInput(empty, withFields(.csv), at: "\(empty):2", "vector component 2: empty value")
        let header = try write("header.csv", text: "vector,name\n")
        XCTAssertEqual(try readBatches(header, withFields(.csv)).count, 0)
    }

    func testVectorColumnsAndTSV() throws {
        let path = try write("wide.tsv", text: "id\tname\td0\td1\td2\ttags\n5\tfirst one\t1\t2\t3\t[\"x\"]\n6\t\"tab\there\"\t4\t5\t6\t\n")
        let batch = try readAll(path, withFields(.tsv, vectorColumns: 3...5))
        XCTAssertEqual(batch.ids, [5, 6])
        XCTAssertEqual(batch.vectors, [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(batch.documents, [document(name: "first one", tags: ["x"]), document(name: "tab\there")])
        // Without fields, vector columns pick the vector out of a wider export.
        var plain = options(.tsv)
        plain.vectorColumns = 3...5
        assertBadInput(path, plain, at: "\(path):1", "column 2 'name' is not id, labels or a vector column, and there are no fields")
        plain.ignoreUnknown = true
        let vectors = try readAll(path, plain)
        XCTAssertEqual(vectors.vectors, [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(vectors.documents, [])
    }

    func testBinaryInputCarriesEmptyDocuments() throws {
        let path = try write("v.fvecs", fvecs([[1, 2], [3, 4], [5, 6]]))
        let optional = Schema(fields: [Field(name: "title", type: .text)])
        let batches = try readBatches(path, VectorReaderOptions(format: .fvecs, schema: optional), maxRecords: 2)
        XCTAssertEqual(batches.map(\.documents), [[Document(fieldCount: 1), Document(fieldCount: 1)], [Document(fieldCount: 1)]])
        XCTAssertThrowsError(try readBatches(path, VectorReaderOptions(format: .fvecs, schema: schema))) { error in
            XCTAssertEqual(error as? CalibyError, .invalidArgument("fvecs input carries no fields, but field 'name' is required"))
        }
    }

    func testRejectsInconsistentOptions() throws {
        let path = try write("v.csv", text: "vector\n1\n")
        for (bad, message) in [(withFields(.jsonl, vectorColumns: 1...2), "vector columns only apply to csv and tsv input"),
                               (withFields(.csv, vectorColumns: 0...2), "vector columns must be 1 or more, not 0"),
                               (withFields(.csv, vectorColumns: 1...3, id: 2), "the id column 2 is among the vector columns 1-3"),
                               (VectorReaderOptions(format: .csv, schema: Schema(fields: [Field(name: "id", type: .int)])),
                                "invalid field name 'id': reserved")] {
            XCTAssertThrowsError(try VectorReader(path: path, options: bad)) { error in
                XCTAssertEqual(error as? CalibyError, .invalidArgument(message))
            }
        }
    }
}

import Foundation
import XCTest
@testable import CalibyEngine

final class VectorReaderTests: ReaderTestCase {
    // MARK: Formats and options

    func testInfersFormatFromExtension() {
        XCTAssertEqual(VectorFormat.infer(fromPath: "/data/sift_base.fvecs"), .fvecs)
        XCTAssertEqual(VectorFormat.infer(fromPath: "x.BVECS"), .bvecs)
        XCTAssertEqual(VectorFormat.infer(fromPath: "a.b/c.csv"), .csv)
        XCTAssertEqual(VectorFormat.infer(fromPath: "c.tsv"), .tsv)
        for name in ["v.jsonl", "v.json", "v.ndjson"] { XCTAssertEqual(VectorFormat.infer(fromPath: name), .jsonl) }
        XCTAssertNil(VectorFormat.infer(fromPath: "a.b/vectors"))
        XCTAssertNil(VectorFormat.infer(fromPath: "vectors.txt"))
    }

    func testRejectsInconsistentOptions() throws {
        let path = try write("v.fvecs", fvecs([[1]]))
        for bad in [options(.fvecs, id: 1), options(.jsonl, labels: 2), options(.csv, id: 2, labels: 2),
                    options(.csv, id: 0), options(.csv, dimensions: 0), options(.tsv, dimensions: 65537),
                    options(.fvecs, header: .present), options(.jsonl, header: .absent)] {
            XCTAssertThrowsError(try VectorReader(path: path, options: bad)) { error in
                XCTAssertEqual((error as? CalibyError)?.category, .usage)
            }
        }
    }

    func testMissingFileIsNoSuchFile() {
        let path = directory.appendingPathComponent("absent.fvecs").path
        XCTAssertThrowsError(try VectorReader(path: path, options: options(.fvecs))) { error in
            XCTAssertEqual(error as? CalibyError, .noSuchFile(path))
        }
    }

    // MARK: Binary formats

    func testFvecsRoundTripInBatches() throws {
        let rows: [[Float]] = [[1, -2.5, 3, 1e-30], [0, 0, 0, 0], [-1e30, 7, 8.25, 9]]
        let bytes = fvecs(rows)
        let path = try write("v.fvecs", bytes)
        let reader = try VectorReader(path: path, options: options(.fvecs), bufferCapacity: 9)
        XCTAssertEqual(reader.displayName, path)
        XCTAssertEqual(reader.totalBytes, bytes.count)
        var batch = VectorBatch(dimensions: 0)
        XCTAssertTrue(try reader.next(into: &batch, maxRecords: 2))
        XCTAssertEqual(batch.dimensions, 4)
        XCTAssertEqual(batch.firstRecordNumber, 1)
        XCTAssertEqual(batch.vectors, Array(rows[0...1].joined()))
        XCTAssertEqual(batch.ids, [nil, nil])
        XCTAssertEqual(batch.labels, [[], []])
        XCTAssertTrue(try reader.next(into: &batch, maxRecords: 2))
        XCTAssertEqual(batch.firstRecordNumber, 3)
        XCTAssertEqual(batch.vectors, rows[2])
        XCTAssertFalse(try reader.next(into: &batch, maxRecords: 2))
        XCTAssertEqual(batch.count, 0)
        XCTAssertEqual(reader.bytesRead, bytes.count)
    }

    func testFvecsWithDefaultBufferAcrossRefills() throws {
        // 2,100 records of 4 KB cross the 4 MiB buffer boundary twice, mid-record.
        var words: [UInt32] = []
        words.reserveCapacity(2100 * 1001)
        for record in 0..<2100 {
            words.append(1000)
            for value in record * 1000..<(record + 1) * 1000 { words.append(Float(value).bitPattern) }
        }
        let path = try write("big.fvecs", words.withUnsafeBytes(Array.init))
        let reader = try VectorReader(path: path, options: options(.fvecs, dimensions: 1000))
        var batch = VectorBatch(dimensions: 0)
        var seen = 0
        while try reader.next(into: &batch, maxRecords: 512) {
            XCTAssertEqual(batch.firstRecordNumber, seen + 1)
            XCTAssertEqual(batch.vectors.first, Float(seen * 1000))
            XCTAssertEqual(batch.vectors.last, Float((seen + batch.count) * 1000 - 1))
            seen += batch.count
        }
        XCTAssertEqual(seen, 2100)
    }

    func testBvecsRoundTrip() throws {
        let path = try write("v.bvecs", int32Bytes(3) + [0, 128, 255] + int32Bytes(3) + [1, 2, 3])
        let batch = try readAll(path, options(.bvecs))
        XCTAssertEqual(batch.dimensions, 3)
        XCTAssertEqual(batch.vectors, [0, 128, 255, 1, 2, 3])
        XCTAssertEqual(batch.ids, [nil, nil])
    }

    func testBinaryDimensionErrors() throws {
        let mixed = try write("mixed.fvecs", fvecs([[1, 2, 3, 4], [1, 2, 3]]))
        assertBadInput(mixed, options(.fvecs), at: "\(mixed): record 2", "expected 4 values, found 3")
        let good = try write("good.fvecs", fvecs([[1, 2, 3, 4]]))
        assertBadInput(good, options(.fvecs, dimensions: 8), at: "\(good): record 1", "expected 8 values, found 4")
        let zero = try write("zero.bvecs", int32Bytes(0))
        assertBadInput(zero, options(.bvecs), at: "\(zero): record 1", "dimension 0 is out of range (1...65536)")
        let huge = try write("huge.fvecs", int32Bytes(1 << 20))
        assertBadInput(huge, options(.fvecs), at: "\(huge): record 1", "dimension 1048576 is out of range (1...65536)")
    }

    func testTruncatedBinaryRecords() throws {
        let body = fvecs([[1, 2, 3, 4], [5, 6, 7, 8]])
        let cut = try write("cut.fvecs", body + int32Bytes(4) + [0, 0, 128, 63, 0, 0, 0, 64])
        assertBadInput(cut, options(.fvecs), at: "\(cut): record 3", "truncated record (expected 20 bytes, found 12)")
        let header = try write("header.bvecs", int32Bytes(2) + [1, 2] + [2, 0])
        assertBadInput(header, options(.bvecs), at: "\(header): record 2", "truncated record (expected 4 bytes, found 2)")
    }

    func testNonFiniteFvecsValuesNameRecordAndComponent() throws {
        let nan = try write("nan.fvecs", fvecs([[1, 2, 3], [4, 5, .nan]]))
        assertBadInput(nan, options(.fvecs), at: "\(nan): record 2", "component 3: value nan is not finite")
        let inf = try write("inf.fvecs", fvecs([[-.infinity, 2, 3]]))
        assertBadInput(inf, options(.fvecs), at: "\(inf): record 1", "component 1: value -inf is not finite")
    }

    func testReadIvecs() throws {
        let path = try write("gt.ivecs", int32Bytes(2) + int32Bytes(7) + int32Bytes(-1) + int32Bytes(0) + int32Bytes(1) + int32Bytes(42))
        XCTAssertEqual(try readIvecs(path: path), [[7, -1], [], [42]])
        let cut = try write("cut.ivecs", int32Bytes(3) + int32Bytes(1))
        XCTAssertThrowsError(try readIvecs(path: cut)) { error in
            XCTAssertEqual(error as? CalibyError,
                           .badInput(location: "\(cut): record 1", message: "truncated record (expected 16 bytes, found 8)"))
        }
    }

    // MARK: CSV and TSV

    func testCSVWithoutHeader() throws {
        let path = try write("v.csv", text: "1,2,3\n\n  4 , -5.5e1 ,\"6\"\r\n7,8,9")
        let batch = try readAll(path, options(.csv))
        XCTAssertEqual(batch.dimensions, 3)
        XCTAssertEqual(batch.vectors, [1, 2, 3, 4, -55, 6, 7, 8, 9])
        XCTAssertEqual(batch.ids, [nil, nil, nil])
        XCTAssertEqual(batch.labels, [[], [], []])
    }

    func testCSVHeaderWithIDAndLabelColumns() throws {
        let text = "\u{FEFF}\"id\",x,\"y, the second\",labels\n10,0.5,1.5,3;4\n11,2,3,\n18446744073709551615,4,5,\"7|8 | 9\"\n"
        let path = try write("v.csv", text: text)
        let batch = try readAll(path, options(.csv, id: 1, labels: 4))
        XCTAssertEqual(batch.dimensions, 2)
        XCTAssertEqual(batch.vectors, [0.5, 1.5, 2, 3, 4, 5])
        XCTAssertEqual(batch.ids, [10, 11, .max])
        XCTAssertEqual(batch.labels, [[3, 4], [], [7, 8, 9]])
    }

    func testNumericLabelsDoNotMakeAHeader() throws {
        let path = try write("v.csv", text: "1;2,0.5,0.25\n")
        let batch = try readAll(path, options(.csv, labels: 1))
        XCTAssertEqual(batch.vectors, [0.5, 0.25])
        XCTAssertEqual(batch.labels, [[1, 2]])
    }

    func testTSVWithIDInLastColumn() throws {
        let path = try write("v.tsv", text: "a\tb\tkey\n1.5\t2\t7\n3\t4.25\t8\n")
        let batch = try readAll(path, options(.tsv, id: 3))
        XCTAssertEqual(batch.vectors, [1.5, 2, 3, 4.25])
        XCTAssertEqual(batch.ids, [7, 8])
    }

    func testTextLinesLongerThanTheBuffer() throws {
        let padding = String(repeating: " ", count: 300)
        let text = (1...50).map { "\($0),\(padding)\($0 * 2)\n" }.joined()
        let path = try write("v.csv", text: text)
        let batches = try readBatches(path, options(.csv), maxRecords: 20, bufferCapacity: 64)
        XCTAssertEqual(batches.map(\.count), [20, 20, 10])
        XCTAssertEqual(batches.map(\.firstRecordNumber), [1, 21, 41])
        XCTAssertEqual(batches.flatMap(\.vectors), (1...50).flatMap { [Float($0), Float($0 * 2)] })
    }

    func testCSVErrorsNamePhysicalLines() throws {
        let count = try write("count.csv", text: "a,b,c\n1,2,3\n\n4,5\n")
        assertBadInput(count, options(.csv), at: "\(count):4", "expected 3 values, found 2")
        let expected = try write("expected.csv", text: "1,2,3\n")
        assertBadInput(expected, options(.csv, dimensions: 4), at: "\(expected):1", "expected 4 values, found 3")
        let word = try write("word.csv", text: "1,2,3\n4,5,abc\n")
        assertBadInput(word, options(.csv), at: "\(word):2", "field 3: 'abc' is not a number")
        let empty = try write("empty.tsv", text: "1\t2\n3\t\n")
        assertBadInput(empty, options(.tsv), at: "\(empty):2", "field 2: empty value")
        let nan = try write("nan.csv", text: "1,2\nnan,2\n")
        assertBadInput(nan, options(.csv), at: "\(nan):2", "field 1: value nan is not finite")
        let overflow = try write("overflow.csv", text: "1,1e39\n")
        assertBadInput(overflow, options(.csv), at: "\(overflow):1", "field 2: value 1e39 is not finite")
        let id = try write("id.csv", text: "1,2,3\nx,2,3\n")
        assertBadInput(id, options(.csv, id: 1), at: "\(id):2", "id 'x' is not an unsigned 64-bit integer")
        let negative = try write("negative.csv", text: "-1,2,3\n")
        assertBadInput(negative, options(.csv, id: 1), at: "\(negative):1", "id '-1' is not an unsigned 64-bit integer")
        let label = try write("label.csv", text: "1,2,3;4294967296\n")
        assertBadInput(label, options(.csv, labels: 3), at: "\(label):1", "label '4294967296' is not an unsigned 32-bit integer")
        let missing = try write("missing.csv", text: "1,2\n")
        assertBadInput(missing, options(.csv, id: 3), at: "\(missing):1", "missing id column 3 (line has 2 fields)")
        let quote = try write("quote.csv", text: "1,\"2\n")
        assertBadInput(quote, options(.csv), at: "\(quote):1", "field 2: unterminated quote")
    }

    func testNumberParsingAgreesWithStrtofBitForBit() {
        // Deterministic LCG so a failure is reproducible.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func random(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        var samples = ["0", "-0", "16777216", "16777217", "0.1", "1e10", "1e-10", "3.4028235e38", "1.17549435e-38",
                       "7.", ".5", "1e+3", "123456789012", "0.000000000001"]
        for _ in 0..<20000 {
            var digits = (0..<(1 + random(9))).map { _ in String(random(10)) }.joined()
            digits.insert(".", at: digits.index(digits.startIndex, offsetBy: random(digits.count)))
            samples.append((random(2) == 0 ? "-" : "") + digits + (random(2) == 0 ? "" : "e\(random(31) - 15)"))
        }
        for sample in samples {
            var bytes = Array(sample.utf8) + [0]
            bytes.withUnsafeMutableBufferPointer { buffer in
                let start = buffer.baseAddress!
                let parsed = ByteSpan(start: start, end: start + buffer.count - 1).float
                let expected = start.withMemoryRebound(to: CChar.self, capacity: buffer.count) { strtof($0, nil) }
                XCTAssertEqual(parsed?.bitPattern, expected.bitPattern, sample)
            }
        }
        for notNumber in ["", "-", ".", "1e", "1e+", "1.2.3", "1,5", "--1", "1 2", "0x"] {
            var bytes = Array(notNumber.utf8) + [0]
            bytes.withUnsafeMutableBufferPointer { buffer in
                let start = buffer.baseAddress!
                XCTAssertNil(ByteSpan(start: start, end: start + buffer.count - 1).float, notNumber)
            }
        }
    }

    // MARK: JSON lines

    func testJSONLinesKeysInAnyOrder() throws {
        let text = """
            {"id": 5, "vector": [1, -2.5e-1, 3E2], "labels": [1, 2]}

            { "labels":[] , "meta": {"a": [1, {"b": "]"}]}, "vector":[ 0 ,0.5,-0 ] ,"id":6, "note": "x\\"y" }
            {"vector": [7, 8, 9], "id": null, "flag": true}
            """
        let path = try write("v.jsonl", text: text)
        let batch = try readAll(path, options(.jsonl))
        XCTAssertEqual(batch.dimensions, 3)
        XCTAssertEqual(batch.vectors, [1, -0.25, 300, 0, 0.5, 0, 7, 8, 9])
        XCTAssertEqual(batch.ids, [5, 6, nil])
        XCTAssertEqual(batch.labels, [[1, 2], [], []])
    }

    func testJSONLinesErrors() throws {
        let cases: [(String, String)] = [
            ("{\"id\": 1}", "missing \"vector\""),
            ("{\"vector\": [1, 2] \"id\": 3}", "invalid JSON at column 19"),
            ("{\"vector\": [1, 2]} x", "invalid JSON at column 20"),
            ("{\"vector\": [1, 2,]}", "invalid JSON at column 18"),
            ("{\"vector\": [1, 2], \"note\": \"open}", "invalid JSON at column 34"),
            ("{\"vector\": [1, \"a\"]}", "component 2: '\"a\"' is not a number"),
            ("{\"vector\": [1, 1e40]}", "component 2: value 1e40 is not finite"),
            ("{\"vector\": 1}", "\"vector\" must be an array of numbers"),
            ("{\"vector\": [1, 2], \"vector\": [3, 4]}", "duplicate \"vector\""),
            ("{\"vector\": [1, 2], \"id\": 1.5}", "id '1.5' is not an unsigned 64-bit integer"),
            ("{\"vector\": [1, 2], \"labels\": [1, -2]}", "label '-2' is not an unsigned 32-bit integer"),
            ("{\"vector\": [1, 2], \"labels\": 3}", "\"labels\" must be an array of unsigned 32-bit integers"),
            ("{\"vector\": [1, 2, 3]}", "expected 2 values, found 3"),
        ]
        for (index, (line, message)) in cases.enumerated() {
            let path = try write("e\(index).jsonl", text: "{\"vector\": [0, 0]}\n\n\(line)\n")
            assertBadInput(path, options(.jsonl), at: "\(path):3", message)
        }
    }
}

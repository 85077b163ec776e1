import Foundation
import XCTest
@testable import CalibyEngine

/// A temporary directory of input files and the reading helpers the reader tests share.
class ReaderTestCase: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("caliby-readers-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try FileManager.default.removeItem(at: directory)
    }

    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let path = directory.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    func write(_ name: String, text: String) throws -> String { try write(name, Array(text.utf8)) }

    func int32Bytes(_ value: Int32) -> [UInt8] { withUnsafeBytes(of: value.littleEndian, Array.init) }

    func fvecs(_ rows: [[Float]]) -> [UInt8] {
        rows.flatMap { row in int32Bytes(Int32(row.count)) + row.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) } }
    }

    func options(_ format: VectorFormat, dimensions: Int? = nil, id: Int? = nil, labels: Int? = nil,
                 header: HeaderLine = .auto) -> VectorReaderOptions {
        VectorReaderOptions(format: format, dimensions: dimensions, idColumn: id, labelsColumn: labels, header: header)
    }

    /// All batches of a file, read with a tiny buffer so records straddle refills.
    func readBatches(_ path: String, _ options: VectorReaderOptions, maxRecords: Int = 1000,
                     bufferCapacity: Int = 7) throws -> [VectorBatch] {
        let reader = try VectorReader(path: path, options: options, bufferCapacity: bufferCapacity)
        var batches: [VectorBatch] = []
        var batch = VectorBatch(dimensions: 0)
        while try reader.next(into: &batch, maxRecords: maxRecords) { batches.append(batch) }
        XCTAssertEqual(batch.count, 0)
        return batches
    }

    func readAll(_ path: String, _ options: VectorReaderOptions) throws -> VectorBatch {
        let batches = try readBatches(path, options)
        XCTAssertEqual(batches.count, 1)
        return try XCTUnwrap(batches.first)
    }

    func assertBadInput(_ path: String, _ options: VectorReaderOptions, at location: String, _ message: String,
                        file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try readBatches(path, options), file: file, line: line) { error in
            XCTAssertEqual(error as? CalibyError, .badInput(location: location, message: message), file: file, line: line)
        }
    }
}

import Foundation
import XCTest
@testable import CalibyEngine

/// Create checks what it will write before it writes (CreateFootprint); the prediction must stay
/// the truth as the layouts change.
final class CreateFootprintTests: XCTestCase {
    func testCreateWritesExactlyThePredictedBytes() throws {
        let dir = temporaryDirectory(self)
        try Caliby.initialize(dir)
        let database = try openDatabase(dir)
        defer { try? database.discardAndClose() }
        let cases: [(String, IndexType, IndexConfig)] = [
            ("small", .hnsw, IndexConfig(dimensions: 4, maxElements: 10)),
            ("wide", .hnsw, IndexConfig(dimensions: 3000, maxElements: 5000, precision: .float16, hnsw: HNSWConfig(M: 8))),
            ("many", .hnsw, IndexConfig(dimensions: 1, maxElements: 300_000)),
            ("codes", .diskann, IndexConfig(dimensions: 64, maxElements: 100_000)),
            ("nocodes", .diskann, IndexConfig(dimensions: 64, maxElements: 100_000, diskann: DiskANNConfig(R: 32, pqBytes: 0))),
        ]
        for (name, type, config) in cases {
            let index = try database.createIndex(name: name, type: type, config: config)
            try database.flush()
            let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: dir + "/" + index.info.fileName)[.size] as? Int)
            let footprint = CreateFootprint(type: type, config: index.info.config)
            XCTAssertEqual(size, footprint.bytesWrittenNow, name)
            XCTAssertEqual(footprint.fullBytes, index.info.capacityPages * index.info.pageSize, name)
        }
    }

    func testRefusalsComeBeforeAnythingIsRegisteredOrWritten() throws {
        let dir = temporaryDirectory(self)
        try Caliby.initialize(dir)
        let database = try openDatabase(dir)
        defer { try? database.discardAndClose() }
        _ = try database.createIndex(name: "taken", type: .hnsw, config: IndexConfig(dimensions: 2, maxElements: 10))
        let huge = IndexConfig(dimensions: 65536, maxElements: IndexConfig.maxCapacity)
        XCTAssertThrowsError(try database.createIndex(name: "huge", type: .hnsw, config: huge)) { error in
            XCTAssertEqual((error as? CalibyError)?.category, .usage)
            XCTAssertTrue("\(error)".contains("at most 16.0 TiB (lower maxElements or dimensions)"), "\(error)")
        }
        // A taken or bad name is reported as such, not as a lack of room.
        XCTAssertThrowsError(try database.createIndex(name: "taken", type: .hnsw, config: huge)) {
            XCTAssertEqual($0 as? CalibyError, .indexExists("taken"))
        }
        XCTAssertThrowsError(try database.createIndex(name: "a/b", type: .hnsw, config: huge)) {
            XCTAssertEqual(($0 as? CalibyError)?.category, .usage)
            XCTAssertTrue("\($0)".contains("invalid index name"), "\($0)")
        }
        XCTAssertEqual(database.listIndexes().map(\.name), ["taken"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix("index_") }, ["index_1.dat"])
    }

    func testByteCountsReadAsDfShowsThem() {
        XCTAssertEqual(ByteCount.text(0), "0 bytes")
        XCTAssertEqual(ByteCount.text(1023), "1023 bytes")
        XCTAssertEqual(ByteCount.text(1536), "1.5 KiB")
        XCTAssertEqual(ByteCount.text(64 << 30), "64.0 GiB")
        XCTAssertEqual(ByteCount.text(Int(53.14 * Double(1 << 30))), "53.1 GiB")
        XCTAssertEqual(ByteCount.text(IndexConfig.maxFileBytes), "16.0 TiB")
        XCTAssertEqual(ByteCount.text(Int.max), "8.0 EiB")
    }
}

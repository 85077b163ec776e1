import Foundation
import XCTest
@testable import CalibyEngine

/// The engine's messages are for library users too: they speak of its own parameters, never of
/// the command line's flags (the CLI renders those; Tests/CalibyCLITests/ArgumentTests).
final class ErrorTextTests: XCTestCase {
    func testParameterErrorsNameTheParameterNotAFlag() throws {
        let dir = temporaryDirectory(self)
        _ = try Caliby.initialize(dir)
        let db = try openDatabase(dir)
        defer { try? db.discardAndClose() }
        let cases: [(IndexConfig, String)] = [
            (IndexConfig(dimensions: -1, maxElements: 10), "dimensions must be between 1 and 65536, got -1"),
            (IndexConfig(dimensions: 4, maxElements: 0), "maxElements must be between 1 and 2147483648, got 0"),
        ]
        for (config, message) in cases {
            XCTAssertThrowsError(try db.createIndex(name: "x", type: .hnsw, config: config)) { error in
                XCTAssertEqual((error as? CalibyError)?.category, .usage)
                XCTAssertEqual("\(error)", message)
            }
        }
        XCTAssertFalse(CalibyError.duplicateID(index: "x", id: 3).description.contains("--"))
        XCTAssertFalse(CalibyError.bufferPoolExhausted(bytes: 4096).description.contains("--"))
    }
}

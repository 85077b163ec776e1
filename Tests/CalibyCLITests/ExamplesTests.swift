import Foundation
import XCTest

/// Every script in examples/ runs as a user would run it: the built `caliby` first on PATH and a
/// fresh $CALIBY_DIR. Each must succeed and print what it is there to show.
final class ExamplesTests: XCTestCase {
    private static let examples = Tools.packageRoot + "/examples"

    /// The scripts tested below; a new script must join them.
    private static let tested: Set<String> = [
        "quickstart.sh", "bulk-fvecs.sh", "csv-pipeline.sh", "repl-session.sh", "parallel-readers.sh",
    ]

    @discardableResult
    private func runExample(_ script: String, _ arguments: [String] = [], file: StaticString = #filePath,
                            line: UInt = #line) throws -> String {
        let dir = try makeDataDirectory(initialize: false)
        let result = try Tools.run(Self.examples + "/" + script, arguments,
                                   environment: ["PATH": Tools.pathWithCaliby, "CALIBY_DIR": dir])
        XCTAssertEqual(result.status, 0, "\(script):\n\(result.stdout)\n\(result.stderr)", file: file, line: line)
        return result.stdout + result.stderr
    }

    func testEveryExampleScriptIsTested() throws {
        let scripts = try FileManager.default.contentsOfDirectory(atPath: Self.examples).filter { $0.hasSuffix(".sh") }
        XCTAssertEqual(Set(scripts), Self.tested)
    }

    func testQuickstart() throws {
        let output = try runExample("quickstart.sh")
        XCTAssertTrue(output.contains("Initialized empty Caliby data directory"), output)
        XCTAssertTrue(output.contains("inserted 2000 vectors into 'quickstart'"), output)
        XCTAssertTrue(output.contains("query  rank"), output)
        XCTAssertTrue(output.contains("quickstart  hnsw    32"), output)
        XCTAssertTrue(output.contains("dropped; indexes left: 0"), output)
    }

    func testBulkFvecs() throws {
        guard Tools.find("python3") != nil else { throw XCTSkip("python3 is not installed") }
        let output = try runExample("bulk-fvecs.sh", ["2000"])
        XCTAssertTrue(output.contains("inserted 2000 vectors into 'bulk'"), output)
        XCTAssertTrue(output.contains("recall@10 = "), output)
    }

    func testCSVPipeline() throws {
        let output = try runExample("csv-pipeline.sh")
        XCTAssertTrue(output.contains("250,140,10   rank 1: dark orange"), output)
        XCTAssertTrue(output.contains("10,20,120    rank 1: navy"), output)
        XCTAssertTrue(output.contains("200,200,190  rank 1: silver"), output)
    }

    func testReplSession() throws {
        let output = try runExample("repl-session.sh")
        XCTAssertTrue(output.contains("caliby: error: no index named 'no-such-index'"), output)
        XCTAssertTrue(output.contains("stopped with exit status 66"), output)
    }

    func testParallelReaders() throws {
        let output = try runExample("parallel-readers.sh")
        XCTAssertTrue(output.contains("4 searches at once: 500 hits each, all the same"), output)
        XCTAssertTrue(output.contains("a writer meanwhile: exit status 75"), output)
        XCTAssertTrue(output.contains("the writer got in once the readers left: shared other"), output)
    }
}

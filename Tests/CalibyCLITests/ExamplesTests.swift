import Foundation
import XCTest

/// Every script in examples/ runs as a user would run it: the built `caliby` first on PATH and a
/// fresh $CALIBY_DIR. Each must succeed and print what it is there to show.
final class ExamplesTests: XCTestCase {
    private static let examples = Tools.packageRoot + "/examples"

    /// The scripts tested below; a new script must join them.
    private static let tested: Set<String> = [
        "quickstart.sh", "bulk-fvecs.sh", "csv-pipeline.sh", "repl-session.sh", "parallel-readers.sh", "documents.sh",
    ]

    /// Runs `script` and checks it succeeded and printed every one of `expected` (stdout or stderr).
    private func assertExample(_ script: String, _ arguments: [String] = [], prints expected: [String],
                               file: StaticString = #filePath, line: UInt = #line) throws {
        let dir = try makeDataDirectory(initialize: false)
        let result = try Tools.run(Self.examples + "/" + script, arguments,
                                   environment: ["PATH": Tools.pathWithCaliby, "CALIBY_DIR": dir])
        let output = result.stdout + result.stderr
        XCTAssertEqual(result.status, 0, "\(script):\n\(output)", file: file, line: line)
        XCTAssertEqual(expected.filter { !output.contains($0) }, [], "missing from \(script)'s output:\n\(output)",
                       file: file, line: line)
    }

    func testEveryExampleScriptIsTested() throws {
        let scripts = try FileManager.default.contentsOfDirectory(atPath: Self.examples).filter { $0.hasSuffix(".sh") }
        XCTAssertEqual(Set(scripts), Self.tested)
    }

    func testQuickstart() throws {
        try assertExample("quickstart.sh", prints: [
            "Initialized empty Caliby data directory", "inserted 2000 vectors into 'quickstart'", "query  rank",
            "quickstart  hnsw    32", "dropped; indexes left: 0",
        ])
    }

    func testDocuments() throws {
        try assertExample("documents.sh", prints: [
            "inserted 300 vectors into 'shop'", "Smart headphones   audio     45.89", "{\"id\":1,\"price\":9.99,\"tags\":[\"sale\",\"gift\"]}",
            "Heavy-duty speaker  2026", "shop: ok", "Wireless headphones  21.39",
        ])
    }

    func testBulkFvecs() throws {
        guard Tools.find("python3") != nil else { throw XCTSkip("python3 is not installed") }
        try assertExample("bulk-fvecs.sh", ["2000"], prints: ["inserted 2000 vectors into 'bulk'", "recall@10 = "])
    }

    func testCSVPipeline() throws {
        try assertExample("csv-pipeline.sh", prints: [
            "250,140,10   rank 1: dark orange", "10,20,120    rank 1: navy", "200,200,190  rank 1: silver",
        ])
    }

    func testReplSession() throws {
        try assertExample("repl-session.sh", prints: ["caliby: error: <stdin>:7: no index named 'no-such-index'", "stopped with exit status 66"])
    }

    func testParallelReaders() throws {
        try assertExample("parallel-readers.sh", prints: [
            "4 searches at once: 500 hits each, all the same", "a writer meanwhile: exit status 75",
            "the writer got in once the readers left: shared other",
        ])
    }
}

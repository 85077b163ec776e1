import Foundation
import XCTest

/// A build through a buffer pool much smaller than the index: the same index and answers as with
/// room for everything, while the process's peak memory stays near the pool's budget.
final class LargerThanMemoryTests: XCTestCase {
    private struct Run {
        let peakBytes: Int
        let answers: String
    }

    /// One-thread DiskANN build (reproducible: its order is a fixed permutation) of `data` with
    /// `buffer`, then exact-distance searches of `queries` through the same budget.
    private func build(_ data: String, queries: String, buffer: String) throws -> Run {
        let dir = try makeDataDirectory()
        try succeed(["create", "v", "--type", "diskann", "--dim", "768", "--max-elements", "2000", "--R", "32", "--L", "50"], in: dir)
        let insert = try CLI.run(["insert", "v", data, "--threads", "1", "--quiet", "--buffer-size", buffer, "--stats-format", "json"],
                                 directory: dir)
        XCTAssertEqual(insert.status, 0, insert.stderr)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(insert.stderr.utf8)) as? [String: Any], insert.stderr)
        let answers = try succeed(["search", "v", "--file", queries, "--distances", "exact", "--buffer-size", buffer, "--format", "tsv"], in: dir)
        return Run(peakBytes: try XCTUnwrap(report["peak_rss_bytes"] as? Int), answers: answers)
    }

    func testABuildThroughATinyPoolMatchesAnInMemoryOneWithinItsMemoryBound() throws {
        // 2,000 × 768 float32: a 6 MB input and a 9 MB index, one record per 4 KiB page.
        let data = try makeTemporaryFile("b.fvecs", contents: fvecs(testVectors(count: 2000, dimensions: 768, seed: 21), dimensions: 768))
        let queries = try makeTemporaryFile("q.fvecs", contents: fvecs(testVectors(count: 20, dimensions: 768, seed: 22), dimensions: 768))
        let tiny = try build(data, queries: queries, buffer: "2M")
        let roomy = try build(data, queries: queries, buffer: "256M")
        XCTAssertEqual(tiny.answers, roomy.answers, "the pool's size changes where pages live, not the graph")
        XCTAssertEqual(tiny.answers.split(separator: "\n").count, 1 + 20 * 10)
        XCTAssertLessThan(tiny.peakBytes + (4 << 20), roomy.peakBytes,
                          "the in-memory build holds the 9 MB index; the tiny pool's must not (peaks \(tiny.peakBytes), \(roomy.peakBytes))")
        XCTAssertLessThanOrEqual(tiny.peakBytes, (2 << 20) + (64 << 20), "the buffer plus 64 MiB, the bound BENCHMARKS.md quotes")
    }
}

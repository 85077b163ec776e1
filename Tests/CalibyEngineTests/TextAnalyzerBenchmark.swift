import Foundation
import XCTest
@testable import CalibyEngine

/// Analyzer throughput on a file of one text per line (the indexing path: `forEachTerm`, one call
/// per line), best of five runs per analyzer. Skipped unless CALIBY_TEXT_BENCH names the file:
///
///     CALIBY_TEXT_BENCH=/work/bench-data/man20k/base.txt swift test -c release \
///         -Xswiftc -enable-testing --disable-swift-testing --filter TextAnalyzerBenchmark
final class TextAnalyzerBenchmark: XCTestCase {
    func testThroughput() throws {
        guard let path = ProcessInfo.processInfo.environment["CALIBY_TEXT_BENCH"] else {
            throw XCTSkip("set CALIBY_TEXT_BENCH to a text file to run this benchmark")
        }
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
        let bytes = lines.reduce(0) { $0 + $1.utf8.count }
        for analyzer in Analyzer.allCases {
            var best = Double.infinity
            var terms = 0
            for _ in 0..<5 {
                var count = 0
                let start = DispatchTime.now().uptimeNanoseconds
                for line in lines { analyzer.forEachTerm(in: line) { _ in count += 1 } }
                best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                terms = count
            }
            print(String(format: "%@: %d lines, %d bytes, %d terms in %.1f ms: %.1f MB/s, %.2f M terms/s",
                         analyzer.rawValue, lines.count, bytes, terms, best * 1000, Double(bytes) / best / 1e6,
                         Double(terms) / best / 1e6))
        }
    }
}

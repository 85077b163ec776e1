import XCTest
@testable import CalibyEngine

/// `SearchScratch.anyKept`, the question both graphs' neighbour selections ask of each candidate:
/// it measures the first kept copies one by one and the rest four at a time, and must answer as if
/// it had measured every one of them.
final class NeighbourSelectionTests: XCTestCase {
    private let dimensions = 24

    /// A scratch whose kept slots 0..<count hold copies far from the candidate in slot `count`,
    /// except slot `near`, which lies next to it.
    private func scratch(count: Int, near: Int?, pool: BufferPool) -> SearchScratch {
        var generator = SeededGenerator(seed: UInt64(count * 31 + (near ?? 99)))
        let s = SearchScratch(nodes: 16, maxLinks: 16, dimensions: dimensions, pool: pool)
        let candidate = s.keptVector(count)
        for d in 0..<dimensions { candidate[d] = Float.random(in: -1..<1, using: &generator) }
        for slot in 0..<count {
            let copy = s.keptVector(slot)
            let offset: Float = slot == near ? 0.01 : 3
            for d in 0..<dimensions { copy[d] = candidate[d] + offset * (Float.random(in: 0.5..<1, using: &generator)) }
        }
        return s
    }

    func testTheCoveringCopyIsFoundAtEveryPositionAmongSinglesGroupsAndTheRest() throws {
        let pool = try BufferPool(budgetBytes: 1 << 20)
        // The near copy is 0.01 × (0.5..1) away in each dimension, a squared distance below
        // 24 × 1e-4; the others at least 24 × 2.25.
        let covers: (Float) -> Bool = { $0 < 0.01 }
        for count in 0...13 {
            for near in 0..<count {
                let s = scratch(count: count, near: near, pool: pool)
                XCTAssertTrue(s.anyKept(0..<count, near: count, metric: .l2, covers: covers),
                              "\(count) kept copies, the covering one at position \(near)")
                XCTAssertFalse(s.anyKept((0..<count).filter { $0 != near }, near: count, metric: .l2, covers: covers),
                               "\(count) kept copies, the covering one left out")
                // In another order, as DiskANN's labelled prune passes a filtered list.
                XCTAssertTrue(s.anyKept((0..<count).reversed(), near: count, metric: .l2, covers: covers),
                              "\(count) kept copies reversed, the covering one at position \(count - 1 - near)")
            }
            let far = scratch(count: count, near: nil, pool: pool)
            XCTAssertFalse(far.anyKept(0..<count, near: count, metric: .l2, covers: covers), "\(count) far copies")
        }
    }

    func testEveryDistanceItMeasuresIsTheOneToOneDistance() throws {
        let pool = try BufferPool(budgetBytes: 1 << 20)
        for metric in Metric.allCases {
            let s = scratch(count: 11, near: 4, pool: pool)
            var seen: [Float] = []
            XCTAssertFalse(s.anyKept(0..<11, near: 11, metric: metric) { seen.append($0); return false })
            let expected = (0..<11).map { Distance.between(s.keptVector(11), s.keptVector($0), dimensions, metric: metric) }
            XCTAssertEqual(seen.count, 11, "\(metric): every copy measured once")
            for (got, want) in zip(seen, expected) {
                XCTAssertEqual(got, want, accuracy: 1e-4 * max(1, abs(want)), "\(metric)")
            }
        }
    }
}

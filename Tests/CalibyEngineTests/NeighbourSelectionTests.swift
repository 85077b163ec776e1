import XCTest
@testable import CalibyEngine

/// `SearchScratch.anyKept`, the question both graphs' neighbour selections ask of each candidate:
/// it measures the first kept copies one by one and the rest four at a time, and must answer as if
/// it had measured every one of them. And HNSW's selection, which asks it of distances it may
/// have only as estimates.
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

    /// An int8 build hands HNSW's selection distances estimated by codes; it must decide by the
    /// vectors' own distances, measured from the base it is given, or an estimate too far makes it
    /// drop a link the graph needs (and one too near keeps a redundant one).
    func testAnHNSWSelectionFromEstimatesDecidesByExactDistances() throws {
        let d = dimensions
        let dir = temporaryDirectory(self)
        try Caliby.initialize(dir)
        let db = try openDatabase(dir)
        defer { try? db.discardAndClose() }
        let index = try db.createIndex(name: "v", type: .hnsw, config: IndexConfig(
            dimensions: d, maxElements: 8, hnsw: HNSWConfig(M: 16, efConstruction: 16, quantization: .none)))
        // Around a base at the origin: A at 1 on the first axis, C at -1 on it (squared distance 4
        // from A), D at 3 on the second axis (10 from A).
        var vectors = [Float](repeating: 0, count: 3 * d)
        vectors[0] = 1
        vectors[d] = -1
        vectors[2 * d + 1] = 3
        _ = try index.insert(batch(vectors, dimensions: d, ids: [10, 11, 12]), options: InsertOptions(threads: 1))
        let hnsw = try XCTUnwrap(index as? HNSWIndex)
        let (a, c, dNode) = (try XCTUnwrap(hnsw.node(of: 10)), try XCTUnwrap(hnsw.node(of: 11)), try XCTUnwrap(hnsw.node(of: 12)))
        // Estimates that put C at 5 (it is at 1) and D at 6 (it is at 9): taken as they are, A
        // covers C (4 < 5) and not D (10 > 6).
        let keys = [RankedNode.key(1, UInt32(a)), RankedNode.key(5, UInt32(c)), RankedNode.key(6, UInt32(dNode))]
        let base = [Float](repeating: 0, count: d)
        let (trusted, measured) = try hnsw.scratch.with { scratch in
            try base.withUnsafeBufferPointer { base in
                (try hnsw.selectNeighbours(keys, limit: 2, scratch: scratch),
                 try hnsw.selectNeighbours(keys, limit: 2, estimatedFrom: base.baseAddress!, scratch: scratch))
            }
        }
        XCTAssertEqual(trusted, [a, dNode], "the estimates taken as distances")
        XCTAssertEqual(measured, [a, c], "C is nearer the base (1) than A (4): kept; the limit then stops the look before D")
    }
}

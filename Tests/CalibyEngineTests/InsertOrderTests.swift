import XCTest
@testable import CalibyEngine

/// The order a batch is inserted in through a pool smaller than the index: near vectors one after
/// another, nothing lost or repeated, and what `--replace` promises kept.
final class InsertOrderTests: XCTestCase {
    private let d = 16

    /// `count` vectors of `groups` far-apart groups, cycling through them in input order.
    private func cycling(count: Int, groups: Int) -> [Float] {
        var rng = SeededGenerator(seed: 5)
        return (0..<count).flatMap { i in
            (0..<d).map { k in (k == i % groups ? 20 : 0) + rng.gaussian() }
        }
    }

    private func order(_ vectors: [Float], ids: [UInt64]? = nil, metric: Metric = .l2, threads: Int = 1) throws -> [Int] {
        let count = vectors.count / d
        return try vectors.withUnsafeBufferPointer {
            try InsertOrder.of(Array(0..<count), vectors: $0.baseAddress!, dimensions: d, ids: ids ?? (0..<UInt64(count)).map { $0 },
                               metric: metric, threads: threads)
        }
    }

    func testNearVectorsComeOneAfterAnotherAndEachOnce() throws {
        let groups = 2, count = 4096
        let cells = count / InsertOrder.cellSize
        for metric in [Metric.l2, .cosine] {
            let order = try order(cycling(count: count, groups: groups), metric: metric)
            XCTAssertEqual(order.sorted(), Array(0..<count), "\(metric): every position exactly once")
            // Input order changes group at every step; in cells, only from one cell to the next.
            let changes = zip(order, order.dropFirst()).filter { $0 % groups != $1 % groups }.count
            XCTAssertLessThan(changes, cells, "\(metric): group changed \(changes) times")
            // Within a cell, input order: positions fall only where a cell ends.
            let falls = zip(order, order.dropFirst()).filter { $0 > $1 }.count
            XCTAssertLessThan(falls, cells, "\(metric): position fell \(falls) times")
        }
    }

    func testARepeatedIDKeepsItsInputOrder() throws {
        let count = 4096
        let vectors = cycling(count: count, groups: 4)
        var rank = [Int](repeating: 0, count: count)
        for (k, position) in try order(vectors).enumerated() { rank[position] = k }
        // A later position whose cell goes first repeats the id of position 1: replacing in input
        // order, its vector must win, so it must now come after position 1.
        let later = try XCTUnwrap((2..<count).first { rank[$0] < rank[1] })
        var ids = (0..<UInt64(count)).map { $0 }
        ids[later] = ids[1]
        let order = try order(vectors, ids: ids)
        XCTAssertLessThan(try XCTUnwrap(order.firstIndex(of: 1)), try XCTUnwrap(order.firstIndex(of: later)))
        XCTAssertEqual(order.sorted(), Array(0..<count))
    }

    func testASmallBatchKeepsItsInputOrder() throws {
        XCTAssertEqual(try order(cycling(count: 2 * InsertOrder.cellSize - 1, groups: 4)), Array(0..<(2 * InsertOrder.cellSize - 1)))
    }

    func testThreadsTakeTurnsBetweenRunsOfCells() {
        // Cells of 3, 2 and 2: two threads take the first cell and the other two in turn; a cell
        // is never cut. Cells of 2, 2 and 3: three threads take one each.
        XCTAssertEqual(InsertOrder.interleaved(Array(0..<7), cellStarts: [0, 3, 5, 7], parts: 2), [0, 3, 1, 4, 2, 5, 6])
        XCTAssertEqual(InsertOrder.interleaved(Array(0..<7), cellStarts: [0, 2, 4, 7], parts: 3), [0, 2, 4, 1, 3, 5, 6])
        XCTAssertEqual(InsertOrder.interleaved(Array(0..<7), cellStarts: [0, 3, 5, 7], parts: 1), Array(0..<7))
    }

    /// Pages a build of the cycling vectors reads through a pool far smaller than its index, given
    /// in batches of `size` (a batch under two cells keeps its input order).
    private func pagesRead(inBatchesOf size: Int) throws -> Int {
        let dir = temporaryDirectory(self)
        try Caliby.initialize(dir)
        let pool = try BufferPool(budgetBytes: 256 * 1024)
        let db = try openDatabase(dir, pool: pool)
        let index = try db.createIndex(name: "v", type: .hnsw, config: IndexConfig(
            dimensions: d, maxElements: 4096, hnsw: HNSWConfig(M: 8, efConstruction: 64)))
        let vectors = cycling(count: 4096, groups: 4)
        for start in stride(from: 0, to: 4096, by: size) {
            _ = try index.insert(batch(Array(vectors[start * d..<min(4096, start + size) * d]), dimensions: d), options: InsertOptions())
        }
        let read = pool.pagesRead.load(ordering: .relaxed)
        try db.discardAndClose()
        return read
    }

    func testABuildThroughASmallPoolReadsFewerPagesInCells() throws {
        let inCells = try pagesRead(inBatchesOf: 4096), asGiven = try pagesRead(inBatchesOf: InsertOrder.cellSize * 2 - 1)
        // The cycling input is the worst case for the order as given (each insert in another group):
        // about 90,000 pages against 1,000,000.
        XCTAssertLessThan(inCells * 2, asGiven, "pages read in cells \(inCells), as given \(asGiven)")
    }

    /// Through a pool far smaller than the index, the batch goes in cell by cell: the last vector
    /// of a repeated id still wins, and every vector is found again.
    func testAnInsertThroughASmallPoolReplacesInInputOrder() throws {
        let dir = temporaryDirectory(self)
        try Caliby.initialize(dir)
        let db = try openDatabase(dir, pool: try BufferPool(budgetBytes: 256 * 1024))
        let index = try db.createIndex(name: "v", type: .hnsw, config: IndexConfig(
            dimensions: d, maxElements: 4096, hnsw: HNSWConfig(M: 8, efConstruction: 64)))
        let count = 4096
        let vectors = cycling(count: count, groups: 4)
        var ids: [UInt64] = (0..<UInt64(count)).map { $0 }
        ids[4000] = 1
        _ = try index.insert(batch(vectors, dimensions: d, ids: ids), options: InsertOptions(replace: true, threads: 2))
        XCTAssertTrue(try db.space(for: index.info).outgrowsPool, "the index must outgrow the pool for the order to apply")
        XCTAssertEqual(index.count, count - 1)
        var parameters = SearchParameters(k: 1)
        parameters.ef = 64
        let last = try vectors.withUnsafeBufferPointer { try index.search($0.baseAddress! + 4000 * d, parameters: parameters) }
        XCTAssertEqual(last.first?.id, 1)
        XCTAssertEqual(try XCTUnwrap(last.first).distance, 0, accuracy: 1e-3, "id 1 holds the vector given last")
        var found = 0
        for i in 0..<count where i != 1 && i != 4000 {
            let hits = try vectors.withUnsafeBufferPointer { try index.search($0.baseAddress! + i * d, parameters: parameters) }
            if hits.first?.id == UInt64(i) { found += 1 }
        }
        XCTAssertGreaterThan(found, (count - 2) * 95 / 100, "each vector finds itself")
        XCTAssertEqual(try index.checkIntegrity(), [])
        try db.flush()
        try db.close()
    }
}

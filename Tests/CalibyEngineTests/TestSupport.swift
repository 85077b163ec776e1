import Foundation
import XCTest
@testable import CalibyEngine

/// Deterministic test data: clustered like real embeddings, so recall numbers mean something.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    /// splitmix64 as a stream: the engine's hash of successive counters.
    mutating func next() -> UInt64 {
        defer { state &+= SplitMix.increment }
        return SplitMix.mix(state)
    }
    mutating func gaussian() -> Float {
        let u1 = Double.random(in: Double.ulpOfOne..<1, using: &self)
        let u2 = Double.random(in: 0..<1, using: &self)
        return Float((-2 * log(u1)).squareRoot() * cos(2 * .pi * u2))
    }
}

func clusteredVectors(count: Int, dimensions: Int, clusters: Int = 20, seed: UInt64) -> [Float] {
    var rng = SeededGenerator(seed: seed)
    let centres = (0..<clusters * dimensions).map { _ in rng.gaussian() * 10 }
    var out = [Float]()
    out.reserveCapacity(count * dimensions)
    for _ in 0..<count {
        let c = Int.random(in: 0..<clusters, using: &rng)
        for d in 0..<dimensions { out.append(centres[c * dimensions + d] + rng.gaussian() * 2) }
    }
    return out
}

func batch(_ vectors: [Float], dimensions: Int, ids: [UInt64]? = nil) -> VectorBatch {
    var b = VectorBatch(dimensions: dimensions)
    b.vectors = vectors
    let n = vectors.count / dimensions
    b.ids = ids ?? [UInt64?](repeating: nil, count: n)
    b.labels = [[UInt32]](repeating: [], count: n)
    return b
}

/// Exact k nearest by brute force among the rows `keep` allows for each query, as ids (= row numbers).
/// Cosine ranks the normalized vectors, as an index does (it normalizes on insert and search), so
/// callers pass the vectors they inserted.
func bruteForce(base: [Float], queries: [Float], dimensions: Int, k: Int, metric: Metric = .l2,
                keep: (_ query: Int, _ row: Int) -> Bool = { _, _ in true }) -> [[UInt64]] {
    let (base, queries) = metric == .cosine
        ? (normalized(base, dimensions: dimensions), normalized(queries, dimensions: dimensions)) : (base, queries)
    let n = base.count / dimensions
    return stride(from: 0, to: queries.count, by: dimensions).map { qo in
        var scored: [(Float, Int)] = []
        base.withUnsafeBufferPointer { b in
            queries.withUnsafeBufferPointer { q in
                for i in 0..<n where keep(qo / dimensions, i) {
                    scored.append((Distance.between(q.baseAddress! + qo, b.baseAddress! + i * dimensions, dimensions, metric: metric), i))
                }
            }
        }
        return scored.sorted { $0.0 < $1.0 }.prefix(k).map { UInt64($0.1) }
    }
}

/// Every query of a row-major block, with the parameters `parameters(queryNumber)` gives.
func search(_ index: GraphIndex, _ queries: [Float],
            parameters: (_ query: Int) -> SearchParameters) throws -> [[SearchHit]] {
    let d = index.info.config.dimensions
    return try stride(from: 0, to: queries.count, by: d).map { qo in
        try queries.withUnsafeBufferPointer { try index.search($0.baseAddress! + qo, parameters: parameters(qo / d)) }
    }
}

func search(_ index: GraphIndex, _ queries: [Float], k: Int = 10) throws -> [[SearchHit]] {
    try search(index, queries) { _ in SearchParameters(k: k) }
}

/// Fraction of the true neighbours found.
func recall(_ found: [[SearchHit]], _ truth: [[UInt64]]) -> Double {
    let hits = zip(found, truth).map { Set($0.map(\.id)).intersection($1).count }.reduce(0, +)
    return Double(hits) / Double(max(1, truth.map(\.count).reduce(0, +)))
}

func recall(_ index: GraphIndex, queries: [Float], truth: [[UInt64]], k: Int, ef: Int) throws -> Double {
    var parameters = SearchParameters(k: k)
    parameters.ef = ef
    return recall(try search(index, queries) { _ in parameters }, truth)
}

/// Each row scaled to unit length, as the cosine metric stores it.
func normalized(_ vectors: [Float], dimensions: Int) -> [Float] {
    var out = vectors
    out.withUnsafeMutableBufferPointer { v in
        for o in stride(from: 0, to: v.count, by: dimensions) { Distance.normalize(v.baseAddress! + o, dimensions) }
    }
    return out
}

/// A fresh directory under the system temp folder, removed after the test.
func temporaryDirectory(_ test: XCTestCase) -> String {
    let path = NSTemporaryDirectory() + "caliby-test-" + UUID().uuidString
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
    return path
}

/// Copies every file of a directory: the state a crash at this instant would leave on disk.
func crashImage(of directory: String, into copy: String) throws {
    try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
    for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
        try FileManager.default.copyItem(atPath: directory + "/" + name, toPath: copy + "/" + name)
    }
}

/// One process-wide pool for all engine tests (the engine allows one configuration per process).
let testPool: BufferPool = try! BufferPool(budgetBytes: 64 << 20)

func openDatabase(_ directory: String, pool: BufferPool = testPool, mode: AccessMode = .readWrite) throws -> Database {
    try Database(directory: directory, mode: mode, waitSeconds: 0, pool: pool)
}

extension Database {
    /// Ends a test's transaction without keeping it (`close` alone refuses while changes are
    /// pending): what a test that does not need its changes committed does at the end.
    func discardAndClose() throws {
        try rollback()
        try close()
    }
}

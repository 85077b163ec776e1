import Foundation
import XCTest
@testable import CalibyEngine

/// How many cases a fuzz test runs beyond its fixed ones. The seeds are fixed and the default keeps
/// each test to a few seconds in CI; set CALIBY_FUZZ_ITERATIONS (e.g. 20000) for a long local run.
func fuzzIterations(default count: Int) -> Int {
    ProcessInfo.processInfo.environment["CALIBY_FUZZ_ITERATIONS"].flatMap(Int.init) ?? count
}

/// A committed data directory with one index, kept as bytes so each fuzz case starts from it.
struct DamageModel {
    let info: IndexInfo
    let catalog: [UInt8]
    let file: [UInt8]
    /// Every id the index was given (live or deleted).
    let ids: Set<UInt64>
    let queries: [Float]

    var dimensions: Int { info.config.dimensions }
    var pageSize: Int { info.pageSize }

    /// 300 HNSW vectors in room for 400 (so a partly used node page and never-written slot pages),
    /// ten of them deleted.
    static func hnsw(_ test: XCTestCase, count: Int = 300, capacity: Int = 400) throws -> DamageModel {
        try build(test, type: .hnsw, config: IndexConfig(dimensions: 8, maxElements: capacity, hnsw: HNSWConfig(M: 8, efConstruction: 40)),
                  count: count) { index in _ = try index.delete(ids: Array(10..<20)) }
    }

    /// 1101 labelled DiskANN vectors (enough to train the PQ codebook; the last node page partly
    /// used), 60 deleted and consolidated, then 10 more inserted into freed slots: a free list,
    /// tombstones in the id map, codes.
    static func diskann(_ test: XCTestCase, count: Int = 1101, capacity: Int = 1500) throws -> DamageModel {
        let config = IndexConfig(dimensions: 8, maxElements: capacity, diskann: DiskANNConfig(R: 16, L: 32))
        return try build(test, type: .diskann, config: config, count: count) { index in
            guard count > 100 else { return }
            _ = try index.delete(ids: Array(100..<160))
            _ = try (index as! Consolidating).consolidate(threads: 1)
            let more = clusteredVectors(count: 10, dimensions: 8, seed: 902)
            _ = try index.insert(batch(more, dimensions: 8, ids: (0..<10).map { UInt64(count + $0) }), options: InsertOptions())
        }
    }

    private static func build(_ test: XCTestCase, type: IndexType, config: IndexConfig, count: Int,
                              then change: (GraphIndex) throws -> Void) throws -> DamageModel {
        let dir = temporaryDirectory(test)
        try Caliby.initialize(dir)
        let db = try openDatabase(dir)
        let index = try db.createIndex(name: "v", type: type, config: config)
        var vectors = batch(clusteredVectors(count: count, dimensions: config.dimensions, seed: 901), dimensions: config.dimensions)
        if type == .diskann { vectors.labels = (0..<count).map { $0 % 3 == 0 ? [] : [UInt32($0 % 7)] } }
        _ = try index.insert(vectors, options: InsertOptions())
        try change(index)
        try db.flush()
        let info = try db.info(named: "v")
        try db.discardAndClose()
        let ids = Set((0..<UInt64(count + (type == .diskann && count > 100 ? 10 : 0))))
        return DamageModel(info: info, catalog: Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/caliby_catalog"))),
                           file: Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/" + info.fileName))), ids: ids,
                           queries: clusteredVectors(count: 4, dimensions: config.dimensions, seed: 903))
    }

    /// Writes the model into `dir` (created if needed), with `file` and `catalog` in place of its own.
    func install(in dir: String, file: [UInt8]? = nil, catalog: [UInt8]? = nil) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try Data(catalog ?? self.catalog).write(to: URL(fileURLWithPath: dir + "/caliby_catalog"))
        try Data(file ?? self.file).write(to: URL(fileURLWithPath: dir + "/" + info.fileName))
    }
}

/// Applies `change` to page `page` of a file image and recomputes its trailer: damage that a
/// checksum cannot see, as a bug or a crafted file would make it.
func patchPage(_ bytes: inout [UInt8], page: Int, pageSize: Int, _ change: (UnsafeMutableRawPointer) -> Void) {
    bytes.withUnsafeMutableBytes { raw in
        let base = raw.baseAddress! + page * pageSize
        change(base)
        PageTrailer.stamp(base, pageSize: pageSize, pageNumber: page)
    }
}

/// What opening and using a damaged directory did. `failures` holds each operation's error.
struct DamageOutcome {
    var opened = false
    var problems: [String]?
    var failures: [(operation: String, error: CalibyError)] = []

    var damageSeen: Bool { !(problems ?? []).isEmpty || failures.contains { $0.error.category == .corrupt } }
}

/// Runs `body` on a thread of its own and waits up to `seconds`: a case that never ends fails the
/// test instead of hanging it (its thread is left behind). False when it timed out.
func bounded(seconds: Double = 30, file: StaticString = #filePath, line: UInt = #line, _ body: @escaping @Sendable () -> Void) -> Bool {
    let done = DispatchSemaphore(value: 0)
    Thread.detachNewThread {
        body()
        done.signal()
    }
    guard done.wait(timeout: .now() + seconds) == .success else {
        XCTFail("did not finish in \(seconds) s: a loop that never ends", file: file, line: line)
        return false
    }
    return true
}

/// Opens `dir` and runs every operation on the index: count, searches, check, insert, delete (and
/// consolidate). Each may fail, but only with a CalibyError; results must be sane unless the check
/// reported the damage. Nil when the case did not end in time.
func exercise(_ model: DamageModel, in dir: String, file: StaticString = #filePath, line: UInt = #line) -> DamageOutcome? {
    // Written by the worker thread until it ends; read here only after that.
    final class Shared: @unchecked Sendable { var outcome = DamageOutcome() }
    let shared = Shared()
    let finished = bounded(file: file, line: line) {
        func attempt(_ operation: String, _ body: () throws -> Void) {
            do {
                try body()
            } catch let error as CalibyError {
                shared.outcome.failures.append((operation, error))
            } catch {
                XCTFail("\(operation): \(error) is not a CalibyError", file: file, line: line)
            }
        }
        var database: Database?
        attempt("open directory") { database = try openDatabase(dir) }
        guard let db = database else { return }
        defer { try? db.discardAndClose() }
        var opened: GraphIndex?
        attempt("open index") { opened = try db.index(named: model.info.name) }
        guard let index = opened else { return }
        shared.outcome.opened = true
        XCTAssertTrue((0...model.info.config.maxElements).contains(index.count), "count \(index.count)", file: file, line: line)
        var hits: [SearchHit] = []
        for distances in model.info.type == .diskann ? [SearchDistances.exact, .pq] : [.auto] {
            var parameters = SearchParameters(k: 5)
            parameters.distances = distances
            attempt("search") { hits += try search(index, model.queries) { _ in parameters }.flatMap { $0 } }
        }
        attempt("check") { shared.outcome.problems = try index.checkIntegrity() }
        if shared.outcome.problems?.isEmpty == true {
            XCTAssertTrue(hits.allSatisfy { model.ids.contains($0.id) }, "sound index returned unknown ids", file: file, line: line)
        }
        let fresh = clusteredVectors(count: 3, dimensions: model.dimensions, seed: 904)
        attempt("insert") {
            _ = try index.insert(batch(fresh, dimensions: model.dimensions, ids: [1_000_001, 1_000_002, 1_000_003]), options: InsertOptions())
        }
        attempt("delete") { _ = try index.delete(ids: [1]) }
        if let consolidating = index as? Consolidating { attempt("consolidate") { _ = try consolidating.consolidate(threads: 1) } }
    }
    return finished ? shared.outcome : nil
}

/// The rule for every fuzz case: failures are damage reports, except that an index whose damage
/// the check reported may also refuse an operation for what its damaged counters say (full, no
/// such id, id exists).
func assertOnlyDamageReported(_ outcome: DamageOutcome, _ label: String, file: StaticString = #filePath, line: UInt = #line) {
    for (operation, error) in outcome.failures where error.category != .corrupt {
        let explained = outcome.damageSeen && [.capacity, .notFound, .exists].contains(error.category)
        XCTAssertTrue(explained, "\(label): \(operation) failed with \(error)", file: file, line: line)
    }
}

import Foundation
import XCTest
@testable import CalibyEngine

/// Every modifying operation, crashed at every sync point, with the power cut after the crash (what
/// was not synced is lost, or torn), and failed at every write, sync, rename, unlink and truncate
/// with EIO or ENOSPC: the reopened directory must equal the state before or after the operation
/// (after, once it reported success), in its catalog, counts and search results, and pass `check`.
final class DurabilityTests: XCTestCase {
    /// What a user can see of a directory: the catalog entries, each index's live count and its
    /// answers to fixed queries.
    private struct Observed: Equatable, CustomStringConvertible {
        var indexes: [IndexInfo] = []
        var counts: [String: Int] = [:]
        var results: [String: [[UInt64]]] = [:]
        var description: String { "\(counts)" }
    }

    private struct Scenario {
        var name: String
        var setup: (Database) throws -> Void
        /// Each step ends with a commit; a crash in step i may leave the state after step i - 1.
        var steps: [(Database) throws -> Void]
    }

    private static let d = 8
    private static let queries = clusteredVectors(count: 6, dimensions: d, seed: 99)

    /// The committed state of a directory this process holds open (a second open in the process is
    /// refused): observed in a copy of its files.
    private func observeCopy(of dir: String) throws -> Observed {
        let copy = NSTemporaryDirectory() + "caliby-observe-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: copy) }
        try crashImage(of: dir, into: copy)
        return try observe(copy)
    }

    private func observe(_ dir: String) throws -> Observed {
        let db = try openDatabase(dir, pool: try BufferPool(budgetBytes: 8 << 20), mode: .readOnly)
        defer { try? db.discardAndClose() }
        // The creation time differs between runs of the same steps; everything else must not.
        var seen = Observed(indexes: db.listIndexes().map { var info = $0; info.createdAt = 0; return info })
        for info in seen.indexes {
            let index = try db.index(named: info.name)
            seen.counts[info.name] = index.count
            let problems = try index.checkIntegrity()
            XCTAssertEqual(problems, [], "\(info.name) fails check")
            var parameters = SearchParameters(k: 5)
            parameters.distances = .exact
            seen.results[info.name] = try search(index, DurabilityTests.queries) { _ in parameters }.map { $0.map(\.id) }
        }
        return seen
    }

    private typealias Files = [String: [UInt8]]

    private func snapshot(_ dir: String) throws -> Files {
        var files: Files = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: dir) {
            files[name] = try Array(Data(contentsOf: URL(fileURLWithPath: dir + "/" + name)))
        }
        return files
    }

    private func restore(_ files: Files, into dir: String) throws {
        for name in try FileManager.default.contentsOfDirectory(atPath: dir) { unlink(dir + "/" + name) }
        for (name, bytes) in files { try Data(bytes).write(to: URL(fileURLWithPath: dir + "/" + name)) }
    }

    /// Runs the steps on a small pool (so dirty pages reach the files before commit) under `disk`.
    /// Returns how many steps committed and the error that stopped it, if any.
    private func run(_ scenario: Scenario, in dir: String, disk: SimulatedDisk) -> (committed: Int, error: Error?) {
        disk.install()
        defer { disk.uninstall() }
        var committed = 0
        var db: Database?
        do {
            db = try openDatabase(dir, pool: try BufferPool(budgetBytes: 96 * 1024))
            for step in scenario.steps {
                try step(db!)
                do {
                    try db!.flush()
                } catch CalibyError.committedButNotDurable(let detail) {
                    committed += 1
                    throw CalibyError.committedButNotDurable(detail)
                }
                committed += 1
            }
            try db!.discardAndClose()
            return (committed, nil)
        } catch {
            // A crashed disk fails everything the error path tries; a failed operation rolls back.
            try? db?.discardAndClose()
            return (committed, error)
        }
    }

    private struct Prepared {
        var dir: String
        var pristine: Files
        /// Before the first step, then after each.
        var states: [Observed]
        var syncs: Int
        /// The sync points of each commit (`flush`), where the protocol's order matters most.
        var commitSyncs: [ClosedRange<Int>]
        var counts: [FileOperation.Kind: Int]

        /// Every sync point of every commit, and an even spread of the others (an eviction's
        /// journal sync), so the whole run stays within CI's budget.
        var crashPoints: [Int] {
            var points = Set(commitSyncs.flatMap { Array($0) })
            let others = (1...syncs).filter { !points.contains($0) }
            let spread = min(others.count, 16)
            for i in 0..<spread { points.insert(others[i * others.count / spread]) }
            points.insert(syncs + 1)
            return points.sorted()
        }
    }

    private func prepare(_ scenario: Scenario) throws -> Prepared {
        let dir = temporaryDirectory(self)
        try Caliby.initialize(dir)
        let db = try openDatabase(dir)
        try scenario.setup(db)
        try db.flush()
        try db.discardAndClose()
        let pristine = try snapshot(dir)
        var states = [try observe(dir)]
        // A dry run counts the sync points and operations, and records the state after each step.
        let counter = try SimulatedDisk(directory: dir, mode: .observe)
        try restore(pristine, into: dir)
        counter.install()
        let database = try openDatabase(dir, pool: try BufferPool(budgetBytes: 96 * 1024))
        var commitSyncs: [ClosedRange<Int>] = []
        for step in scenario.steps {
            try step(database)
            let before = counter.syncs
            try database.flush()
            commitSyncs.append((before + 1)...max(before + 1, counter.syncs))
            counter.uninstall()
            states.append(try observeCopy(of: dir))
            counter.install()
        }
        try database.discardAndClose()
        counter.uninstall()
        XCTAssertNotEqual(states.first, states.last, "\(scenario.name) changes nothing visible")
        try restore(pristine, into: dir)
        return Prepared(dir: dir, pristine: pristine, states: states, syncs: counter.syncs, commitSyncs: commitSyncs,
                        counts: counter.counts)
    }

    private func checkCrashes(_ scenario: Scenario) throws {
        let prepared = try prepare(scenario)
        let (dir, pristine, states, syncs) = (prepared.dir, prepared.pristine, prepared.states, prepared.syncs)
        XCTAssertGreaterThan(syncs, 3, "\(scenario.name): too few sync points to mean anything")
        for crashAt in prepared.crashPoints {
            for tear in [nil, UInt64(crashAt)] as [UInt64?] {
                try restore(pristine, into: dir)
                let disk = try SimulatedDisk(directory: dir, mode: .crash(atSync: crashAt))
                let (committed, error) = run(scenario, in: dir, disk: disk)
                if disk.crashed { XCTAssertNotNil(error, "\(scenario.name): crash at sync \(crashAt) went unnoticed") }
                try disk.cutPower(tearing: tear)
                let label = "\(scenario.name), crash at sync \(crashAt) of \(syncs)\(tear == nil ? "" : ", torn")"
                // Recovery is crashed too after every commit's sync points (the journal then undoes
                // pages that reached the disk) and after a sample of the others.
                let inCommit = prepared.commitSyncs.contains { $0.contains(crashAt) }
                if (inCommit || crashAt % 3 == 0) && FileManager.default.fileExists(atPath: dir + "/" + Journal.fileName) {
                    try crashDuringRecovery(dir, label: label)
                }
                // A commit whose last sync failed may or may not survive the power cut: it said so.
                var first = committed
                if case CalibyError.committedButNotDurable? = error { first -= 1 }
                let now: Observed
                do {
                    now = try observe(dir)
                } catch {
                    XCTFail("\(label): reopening fails: \(error)")
                    continue
                }
                // Evictions vary a little from run to run, so a late crash point may not be reached.
                let allowed = disk.crashed ? states[first...min(committed + 1, states.count - 1)] : states[first...]
                XCTAssertTrue(allowed.contains(now),
                              "\(label): reopened as \(now), expected \(states[committed]) or the next step's")
            }
        }
    }

    /// The power fails again while the next open rolls back, or just after it finished: recovery
    /// must survive its own crash, and what it restored must be durable before the journal goes.
    private func crashDuringRecovery(_ dir: String, label: String) throws {
        let crashed = try snapshot(dir)
        for crashAt in [1, 2, 3, Int.max] {
            try restore(crashed, into: dir)
            let disk = try SimulatedDisk(directory: dir, mode: .crash(atSync: crashAt))
            disk.install()
            let db = try? openDatabase(dir)
            try? db?.discardAndClose()
            disk.uninstall()
            try disk.cutPower()
        }
    }

    private func checkFailures(_ scenario: Scenario) throws {
        let prepared = try prepare(scenario)
        let (dir, pristine, states, counts) = (prepared.dir, prepared.pristine, prepared.states, prepared.counts)
        let kinds: [FileOperation.Kind] = [.open, .write, .sync, .syncDirectory, .rename, .unlink, .truncate]
        var injected = 0
        for kind in kinds {
            let total = counts[kind] ?? 0
            // Every occurrence when there are few; an even spread of 12 when there are many.
            let picks = Set((0..<min(total, 12)).map { 1 + $0 * total / min(total, 12) })
            for nth in picks.sorted() {
                let code = nth % 2 == 0 ? EIO : ENOSPC
                try restore(pristine, into: dir)
                let disk = try SimulatedDisk(directory: dir, mode: .fail(kind, nth: nth, errno: code))
                let (committed, error) = run(scenario, in: dir, disk: disk)
                let label = "\(scenario.name), \(kind) #\(nth) of \(total) fails with \(code == EIO ? "EIO" : "ENOSPC")"
                if disk.injected {
                    injected += 1
                    XCTAssertNotNil(error, "\(label): the failure went unreported")
                }
                if let error = error as? CalibyError {
                    XCTAssertTrue([.io, .corrupt].contains(error.category) || error.category == .locked,
                                  "\(label): reported as \(error)")
                }
                let now = try observe(dir)
                XCTAssertEqual(now, states[committed], "\(label): reopened as \(now)")
                XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/" + Journal.fileName) && error == nil,
                               "\(label): a journal is left behind after success")
            }
        }
        XCTAssertGreaterThan(injected, 10)
    }

    // MARK: Scenarios

    private static func hnswConfig(_ max: Int = 3000) -> IndexConfig {
        IndexConfig(dimensions: d, maxElements: max, hnsw: HNSWConfig(M: 8, efConstruction: 32))
    }

    private static func diskannConfig() -> IndexConfig {
        IndexConfig(dimensions: d, maxElements: 3000, diskann: DiskANNConfig(R: 16, L: 32, alpha: 1.2, pqBytes: 2))
    }

    private static func vectors(_ count: Int, seed: UInt64) -> VectorBatch {
        batch(clusteredVectors(count: count, dimensions: d, seed: seed), dimensions: d)
    }

    private let hnswInsert = Scenario(name: "hnsw insert", setup: { db in
        _ = try db.createIndex(name: "v", type: .hnsw, config: hnswConfig()).insert(vectors(200, seed: 1), options: InsertOptions())
    }, steps: [{ db in _ = try db.index(named: "v").insert(vectors(700, seed: 2), options: InsertOptions()) }])

    private let createInsertDrop = Scenario(name: "create, insert with replace, drop", setup: { db in
        _ = try db.createIndex(name: "old", type: .hnsw, config: hnswConfig(500)).insert(vectors(100, seed: 3), options: InsertOptions())
    }, steps: [
        { db in _ = try db.createIndex(name: "new", type: .hnsw, config: hnswConfig(800)).insert(vectors(300, seed: 4), options: InsertOptions()) },
        { db in
            var replacement = vectors(50, seed: 5)
            replacement.ids = (0..<50).map { UInt64($0 * 2) }
            _ = try db.index(named: "new").insert(replacement, options: InsertOptions(replace: true))
            _ = try db.index(named: "old").delete(ids: [1, 2, 3])
        },
        { db in try db.dropIndex(named: "old") },
    ])

    private let diskann = Scenario(name: "diskann build, delete, consolidate", setup: { db in
        _ = try db.createIndex(name: "d", type: .diskann, config: diskannConfig())
    }, steps: [
        { db in _ = try db.index(named: "d").insert(vectors(1100, seed: 6), options: InsertOptions()) },
        { db in
            let index = try db.index(named: "d")
            _ = try index.delete(ids: Array(0..<300))
            _ = try (index as! Consolidating).consolidate(threads: 1)
            _ = try index.insert(vectors(100, seed: 7), options: InsertOptions())
        },
    ])

    func testCrashAtEverySyncPointLeavesACommittedState() throws {
        for scenario in [hnswInsert, createInsertDrop, diskann] { try checkCrashes(scenario) }
    }

    func testFailedWritesSyncsAndRenamesLoseNothingCommitted() throws {
        for scenario in [hnswInsert, createInsertDrop, diskann] { try checkFailures(scenario) }
    }

    /// After a crash mid-insert, a disk with no free block left must still let every command open
    /// the directory: recovery writes only where the journal says bytes were, and punches the
    /// pages that were holes.
    func testRecoveryOnAFullDiskNeedsNoFreeSpace() throws {
        let prepared = try prepare(hnswInsert)
        let (dir, pristine, states) = (prepared.dir, prepared.pristine, prepared.states)
        var recovered = 0
        for crashAt in stride(from: 3, through: prepared.syncs - 1, by: 2) {
            try restore(pristine, into: dir)
            let disk = try SimulatedDisk(directory: dir, mode: .crash(atSync: crashAt))
            _ = run(hnswInsert, in: dir, disk: disk)
            try disk.cutPower()
            guard FileManager.default.fileExists(atPath: dir + "/" + Journal.fileName) else { continue }
            let full = try SimulatedDisk(directory: dir, mode: .full)
            full.install()
            let db = try? openDatabase(dir, mode: .readOnly)
            full.uninstall()
            XCTAssertNotNil(db, "crash at sync \(crashAt): a full disk stops recovery")
            try db?.discardAndClose()
            if db != nil { recovered += 1 }
            XCTAssertEqual(try observe(dir), states[0])
        }
        XCTAssertGreaterThan(recovered, 0, "no crash left a hot journal to recover")
    }
}

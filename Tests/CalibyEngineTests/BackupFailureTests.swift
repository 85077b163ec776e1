import Foundation
import XCTest
@testable import CalibyEngine

/// Every file operation of a backup and of a restore failed in turn (through FileIO's hook, as a
/// full or failing disk would): the destination is absent or a whole copy, the target the old
/// directory or the new one, and no staging directory is left behind.
final class BackupFailureTests: XCTestCase {
    /// Fails the `nth` operation of `kind` under `parent`, once, with EIO.
    private final class FailOnce: FileIOHook {
        let kind: FileOperation.Kind, nth: Int, parent: String
        private(set) var seen = 0
        init(_ kind: FileOperation.Kind, nth: Int, under parent: String) { (self.kind, self.nth, self.parent) = (kind, nth, parent) }
        func willPerform(_ operation: FileOperation) -> Int32? {
            guard operation.kind == kind, operation.path.hasPrefix(parent) else { return nil }
            seen += 1
            return seen == nth ? EIO : nil
        }
        func didPerform(_ operation: FileOperation) {}
    }

    private func makeSource(_ dir: String, count: Int) throws {
        try Caliby.initialize(dir)
        let db = try openDatabase(dir)
        _ = try db.createIndex(name: "h", type: .hnsw, config: IndexConfig(dimensions: 8, maxElements: 400))
            .insert(batch(clusteredVectors(count: count, dimensions: 8, seed: 930), dimensions: 8), options: InsertOptions())
        try db.flush()
        try db.close()
    }

    private func counts(_ dir: String) throws -> [String: Int] {
        let db = try openDatabase(dir, mode: .readOnly)
        defer { try? db.close() }
        var found: [String: Int] = [:]
        for info in db.listIndexes() {
            XCTAssertEqual(try db.check(info), [], info.name)
            found[info.name] = try db.index(named: info.name).count
        }
        return found
    }

    private func staged(_ parent: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: parent).filter { $0.contains(".backup-") || $0.contains(".restore-") }
    }

    /// Runs `body` with the nth operation of each kind failing, n = 1, 2, … until a run meets no
    /// failure; `verify` judges the directory after each. Returns how many runs failed.
    /// A failed sync of the parent after a restore's swap leaves the old directory under the staging
    /// name (StagingDirectory.swap), so `leftoverAllowed` says when one may remain; the next run
    /// removes it.
    private func failEveryOperation(under parent: String, prepare: () throws -> Void = {}, _ body: () throws -> Void,
                                    leftoverAllowed: (CalibyError) -> Bool = { _ in false }, verify: (String) throws -> Void) throws -> Int {
        var failures = 0
        for kind in [FileOperation.Kind.open, .write, .sync, .truncate, .rename, .syncDirectory, .makeDirectory] {
            for nth in 1... {
                try prepare()
                let hook = FailOnce(kind, nth: nth, under: parent)
                FileIO.hook = hook
                var failure: CalibyError?
                do {
                    try body()
                } catch let error as CalibyError {
                    failure = error
                    XCTAssertEqual(error.category, .io, "\(kind) #\(nth): \(error)")
                }
                FileIO.hook = nil
                if failure.map(leftoverAllowed) != true {
                    XCTAssertEqual(try staged(URL(fileURLWithPath: parent).deletingLastPathComponent().path), [], "\(kind) #\(nth)")
                }
                try verify("\(kind) #\(nth)")
                if failure == nil { break }
                failures += 1
            }
        }
        return failures
    }

    func testAFailedOperationLeavesNoCopyOrAWholeOne() throws {
        let parent = temporaryDirectory(self)
        let source = parent + "/source"
        try makeSource(source, count: 300)
        let expected = try counts(source)
        let destination = parent + "/copy"
        let failures = try failEveryOperation(under: parent + "/copy", {
            try? FileManager.default.removeItem(atPath: destination)
            let db = try openDatabase(source, mode: .readOnly)
            defer { try? db.close() }
            _ = try Caliby.backup(db, indexes: [], toDirectory: destination)
        }, verify: { label in
            if FileManager.default.fileExists(atPath: destination) { XCTAssertEqual(try counts(destination), expected, label) }
        })
        XCTAssertGreaterThan(failures, 10, "every kind of operation was failed at every occurrence")
    }

    func testAFailedOperationLeavesTheOldDirectoryOrTheNew() throws {
        let parent = temporaryDirectory(self)
        try makeSource(parent + "/new", count: 300)
        try makeSource(parent + "/old", count: 50)
        try makeSource(parent + "/target", count: 50)
        let states = [try counts(parent + "/target"), try counts(parent + "/new")]
        let failures = try failEveryOperation(under: parent + "/target", prepare: {
            _ = try Caliby.restore(from: parent + "/old", into: parent + "/target", waitSeconds: 0)
        }, {
            _ = try Caliby.restore(from: parent + "/new", into: parent + "/target", waitSeconds: 0)
        }, leftoverAllowed: {
            if case .committedButNotDurable = $0 { return true }
            return false
        }, verify: { label in
            XCTAssertTrue(states.contains(try counts(parent + "/target")), label)
        })
        XCTAssertGreaterThan(failures, 10, "every kind of operation was failed at every occurrence")
        XCTAssertEqual(try staged(parent), [], "the last, successful restore removed what earlier ones left")
    }
}

import Foundation
import XCTest
@testable import CalibyEngine

/// A hot journal is applied only when it is whole, verified and of the transaction the catalog
/// names; anything else is refused with the directory left byte for byte as it was.
final class JournalTests: XCTestCase {
    private let d = 8

    /// A directory whose last insert was interrupted after dirty pages reached the files: the
    /// journal holds real undo records. Returns it with the search results of the committed state.
    private func interruptedDirectory() throws -> (dir: String, committed: [[SearchHit]]) {
        let dir = temporaryDirectory(self)
        try Caliby.initialize(dir)
        let pool = try BufferPool(budgetBytes: 96 * 1024)
        let db = try openDatabase(dir, pool: pool)
        let index = try db.createIndex(name: "v", type: .hnsw, config: IndexConfig(dimensions: d, maxElements: 4000,
                                                                                  hnsw: HNSWConfig(M: 8, efConstruction: 32)))
        _ = try index.insert(batch(clusteredVectors(count: 400, dimensions: d, seed: 1), dimensions: d), options: InsertOptions())
        try db.flush()
        let committed = try search(index, queries)
        _ = try index.insert(batch(clusteredVectors(count: 900, dimensions: d, seed: 2), dimensions: d), options: InsertOptions())
        XCTAssertGreaterThan(pool.pagesWritten.load(ordering: .relaxed), 0, "the insert must reach the files before commit")
        let image = dir + "-interrupted"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: image) }
        try crashImage(of: dir, into: image)
        try db.discardAndClose()
        return (image, committed)
    }

    private var queries: [Float] { clusteredVectors(count: 10, dimensions: d, seed: 3) }

    private func files(_ dir: String) throws -> [String: Data] {
        var out: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: dir) {
            out[name] = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name))
        }
        return out
    }

    private var journalName: String { Journal.fileName }

    private func damage(_ dir: String, _ change: (inout [UInt8]) -> Void) throws {
        let url = URL(fileURLWithPath: dir + "/" + journalName)
        var bytes = try Array(Data(contentsOf: url))
        change(&bytes)
        try Data(bytes).write(to: url)
    }

    /// Opening refuses with `journalDamaged`, changes no byte, and leaves the journal for the user.
    private func assertRefused(_ dir: String, mentioning words: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let before = try files(dir)
        for mode in [AccessMode.readOnly, .readWrite] {
            XCTAssertThrowsError(try openDatabase(dir, mode: mode), file: file, line: line) { error in
                guard case CalibyError.journalDamaged(_, let detail) = error else {
                    return XCTFail("expected a refused journal, got \(error)", file: file, line: line)
                }
                XCTAssertTrue(detail.contains(words), "\(detail)", file: file, line: line)
                XCTAssertEqual((error as! CalibyError).category, .corrupt, file: file, line: line)
                XCTAssertFalse(error.localizedDescription.contains("\n"), file: file, line: line)
            }
        }
        XCTAssertEqual(try files(dir), before, "a refused journal changed the directory", file: file, line: line)
    }

    func testIntactJournalRollsBack() throws {
        let (dir, committed) = try interruptedDirectory()
        let db = try openDatabase(dir)
        XCTAssertEqual(db.recoveryAtOpen, .rolledBack)
        XCTAssertEqual(try search(db.index(named: "v"), queries), committed)
        try db.discardAndClose()
    }

    /// Where the records the header counts end: damage before it is damage to what recovery needs
    /// (records after it were never relied on, and are ignored as a torn tail).
    private static func countedEnd(_ bytes: [UInt8]) -> Int {
        bytes.withUnsafeBytes { raw in
            let count = raw.loadUnaligned(fromByteOffset: 24, as: UInt64.self)
            var offset = Journal.headerSize
            for _ in 0..<count { offset += 32 + Int(raw.loadUnaligned(fromByteOffset: offset + 16, as: UInt64.self)) }
            return offset
        }
    }

    func testTruncatedJournalIsRefused() throws {
        let (dir, _) = try interruptedDirectory()
        try damage(dir) { bytes in
            let end = JournalTests.countedEnd(bytes)
            XCTAssertGreaterThan(end, Journal.headerSize + 4096, "the journal must count records")
            bytes.removeLast(bytes.count - end + 100)
        }
        try assertRefused(dir, mentioning: "truncated")
    }

    func testZeroedTailIsRefused() throws {
        let (dir, _) = try interruptedDirectory()
        try damage(dir) { bytes in
            let end = JournalTests.countedEnd(bytes)
            for i in (end - 4096)..<bytes.count { bytes[i] = 0 }
        }
        try assertRefused(dir, mentioning: "checksum")
    }

    func testFlippedMagicIsRefused() throws {
        let (dir, _) = try interruptedDirectory()
        try damage(dir) { $0[0] ^= 0x20 }
        try assertRefused(dir, mentioning: "header")
    }

    /// A journal left by a caliby before format 2 is named as such, not applied by guesswork.
    func testJournalOfTheFormerFormatIsRefusedByName() throws {
        let (dir, _) = try interruptedDirectory()
        try damage(dir) { bytes in
            withUnsafeBytes(of: UInt64(0x314C_4E52_4A42_4C43)) { bytes.replaceSubrange(0..<8, with: $0) }
        }
        try assertRefused(dir, mentioning: "older caliby")
    }

    /// The journal of a transaction that rolled back, put back after later commits: applying it
    /// would undo them. One commit later it undoes nothing (its generation is the one the catalog
    /// left behind, so it is removed); two commits later it is refused as stale.
    func testStaleJournalNeverUndoesALaterCommit() throws {
        let (dir, _) = try interruptedDirectory()
        let stale = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + journalName))
        var expected: [[SearchHit]] = []
        for commit in 1...2 {
            let db = try openDatabase(dir)
            let index = try db.index(named: "v")
            _ = try index.insert(batch(clusteredVectors(count: 50, dimensions: d, seed: 10 + UInt64(commit)), dimensions: d),
                                 options: InsertOptions())
            try db.flush()
            expected = try search(index, queries)
            try db.discardAndClose()
            try stale.write(to: URL(fileURLWithPath: dir + "/" + journalName))
            if commit == 1 {
                let reopened = try openDatabase(dir)
                XCTAssertEqual(reopened.recoveryAtOpen, .alreadyCommitted)
                XCTAssertEqual(try search(reopened.index(named: "v"), queries), expected)
                try reopened.discardAndClose()
            }
        }
        try assertRefused(dir, mentioning: "stale")
        XCTAssertEqual(try Caliby.discardJournal(dir), dir + "/" + journalName + ".discarded")
        let db = try openDatabase(dir)
        XCTAssertEqual(try search(db.index(named: "v"), queries), expected, "the later commits survive")
        XCTAssertEqual(try db.index(named: "v").checkIntegrity(), [])
        try db.discardAndClose()
    }

    /// Random damage to a hot journal, some with every checksum made valid again (a crafted
    /// journal): recovery either restores the committed state or refuses, never crashes, and a
    /// refusal changes nothing.
    func testMutatedJournalsRecoverOrAreRefused() throws {
        let (original, committed) = try interruptedDirectory()
        let pristine = try files(original)
        let iterations = ProcessEnvironment.value("CALIBY_FUZZ_ITERATIONS").flatMap(Int.init) ?? 40
        var rng = SeededGenerator(seed: 0x10_B5)
        var refused = 0
        for round in 0..<iterations {
            let dir = temporaryDirectory(self)
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            for (name, bytes) in pristine { try bytes.write(to: URL(fileURLWithPath: dir + "/" + name)) }
            let resign = round % 2 == 1
            try damage(dir) { bytes in
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    let at = Int.random(in: 0..<min(bytes.count, Journal.headerSize + 4096), using: &rng)
                    bytes[at] = UInt8.random(in: 0...255, using: &rng)
                }
                if resign { JournalTests.resign(&bytes) }
            }
            let before = try files(dir)
            do {
                let db = try openDatabase(dir)
                XCTAssertEqual(try search(db.index(named: "v"), queries), committed, "round \(round): recovered to another state")
                try db.discardAndClose()
            } catch let error as CalibyError {
                XCTAssertTrue([.corrupt, .io].contains(error.category), "round \(round): \(error)")
                if case .journalDamaged = error { XCTAssertEqual(try files(dir), before, "round \(round)") }
                refused += 1
            }
        }
        XCTAssertGreaterThan(refused, 0)
    }

    /// Recomputes the header checksum and every record checksum of a journal, as a forger would.
    private static func resign(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { raw in
            let nonce = raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
            raw.storeBytes(of: PageTrailer.checksum(raw.baseAddress!, count: 32), toByteOffset: 32, as: UInt64.self)
            var offset = Journal.headerSize
            var ordinal = 0
            while offset + 32 <= raw.count {
                let length = Int(truncatingIfNeeded: raw.loadUnaligned(fromByteOffset: offset + 16, as: UInt64.self))
                guard length >= 0, length <= raw.count - offset - 32 else { return }
                let sum = Journal.recordChecksum(nonce: nonce, ordinal: ordinal,
                                                 header: UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + 32)]),
                                                 payload: UnsafeRawBufferPointer(rebasing: raw[(offset + 32)..<(offset + 32 + length)]))
                raw.storeBytes(of: sum, toByteOffset: offset + 24, as: UInt64.self)
                offset += 32 + length
                ordinal += 1
            }
        }
    }
}

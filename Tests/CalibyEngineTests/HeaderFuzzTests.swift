import Foundation
import XCTest
@testable import CalibyEngine

/// Every 8-byte field of page 0, set to values chosen to break conversions and bounds, with the
/// page's checksum recomputed: opening and using the index either works with sane results or fails
/// with a damage report naming the field; never a trap. Each field also gets 2·CALIBY_FUZZ_ITERATIONS
/// random values (default 3 + 3).
final class HeaderFuzzTests: XCTestCase {
    private func adversarialValues(capacity: Int, original: UInt64, rng: inout SeededGenerator) -> [UInt64] {
        let fixed: [UInt64] = [0, 1, UInt64.max, UInt64(bitPattern: Int64.min), UInt64(Int64.max), 1 << 63 | 5,
                               UInt64(capacity), UInt64(capacity + 1), UInt64(UInt32.max), UInt64(UInt32.max) + 1,
                               original &+ 1, original &- 1]
        let extra = fuzzIterations(default: 3)
        return fixed + (0..<extra).map { _ in rng.next() } + (0..<extra).map { _ in UInt64.random(in: 0...UInt64(capacity) * 2, using: &rng) }
    }

    private func fuzz(_ model: DamageModel, fieldNames: [String], counters: Set<String>) throws {
        let dir = temporaryDirectory(self)
        var rng = SeededGenerator(seed: 77)
        // The defined fields, and a few past them that nothing reads (any value must do there).
        for field in 0..<(fieldNames.count + 3) {
            let original = model.file.withUnsafeBytes { $0.load(fromByteOffset: field * 8, as: UInt64.self) }
            for value in adversarialValues(capacity: model.info.config.maxElements, original: original, rng: &rng) {
                var file = model.file
                patchPage(&file, page: 0, pageSize: model.pageSize) { $0.storeBytes(of: value, toByteOffset: field * 8, as: UInt64.self) }
                try model.install(in: dir, file: file)
                let name = field < fieldNames.count ? fieldNames[field] : "unused field \(field)"
                let label = "\(model.info.type) \(name) = \(value)"
                guard let outcome = exercise(model, in: dir) else { return }
                assertOnlyDamageReported(outcome, label)
                if field >= fieldNames.count || value == original {
                    XCTAssertTrue(outcome.opened && outcome.problems == [] && outcome.failures.isEmpty, "\(label): \(outcome)")
                }
                // A count or node number with the top bit set is never valid, and the refusal names the field.
                if counters.contains(name) && value >> 63 == 1 {
                    XCTAssertFalse(outcome.opened, label)
                    let open = outcome.failures.first { $0.operation == "open index" }?.error
                    XCTAssertEqual(open?.category, .corrupt, label)
                    let message = open.map { "\($0)" } ?? ""
                    XCTAssertTrue(message.contains("\(model.info.fileName): data is damaged: header field")
                                  && message.contains(" \(name) = "), "\(label): \(message)")
                }
            }
        }
    }

    func testEveryHNSWHeaderFieldAtAdversarialValues() throws {
        try fuzz(try .hnsw(self), fieldNames: HNSWHeader.fieldNames,
                 counters: ["nodeCount", "entryPoint", "maxLevel", "upperSlotsUsed", "deletedCount", "quantizerLearnedFrom"])
    }

    func testEveryDiskANNHeaderFieldAtAdversarialValues() throws {
        try fuzz(try .diskann(self), fieldNames: DiskANNHeader.fieldNames,
                 counters: ["nodeCount", "freeCount", "freeHead", "deletedCount", "medoid", "labelEntries", "pqTrained"])
    }

    /// The case, exactly: a node count with the top bit set and a valid checksum.
    func testNodeCountWithTopBitSetIsRefusedNamingTheField() throws {
        let model = try DamageModel.hnsw(self)
        var file = model.file
        patchPage(&file, page: 0, pageSize: model.pageSize) { $0.storeBytes(of: UInt64(1) << 63, toByteOffset: 5 * 8, as: UInt64.self) }
        let dir = temporaryDirectory(self)
        try model.install(in: dir, file: file)
        let db = try openDatabase(dir)
        defer { try? db.discardAndClose() }
        XCTAssertThrowsError(try db.index(named: "v")) { error in
            XCTAssertEqual("\(error)", "\(dir)/index_1.dat: data is damaged: header field nodeCount = 9223372036854775808 exceeds the capacity 400")
        }
        XCTAssertEqual(try db.check(db.info(named: "v")).first,
                       "\(dir)/index_1.dat: data is damaged: header field nodeCount = 9223372036854775808 exceeds the capacity 400")
    }
}

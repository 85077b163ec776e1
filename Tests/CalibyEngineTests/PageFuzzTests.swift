import Foundation
import XCTest
@testable import CalibyEngine

/// Random changes inside node records, link lists, the id map, the label table and the PQ codes,
/// each page's checksum recomputed. Whatever the change: search, check, insert, delete and
/// consolidate end (in bounded time) with results or damage reports, never a trap; the check
/// reports every change to a value it can tell is wrong; and an index the check passes works.
/// Runs CALIBY_FUZZ_ITERATIONS cases per index type (default 300).
final class PageFuzzTests: XCTestCase {
    /// One change to the file image: where, the new bytes, and whether the check must notice.
    private struct Mutation {
        var what: String
        var page: Int
        var offset: Int
        var bytes: [UInt8]
        var mustReport: Bool
    }

    /// Reads values of the model's file image.
    private struct Image {
        let bytes: [UInt8]
        let pageSize: Int
        func load<T>(_ page: Int, _ offset: Int, as: T.Type) -> T {
            bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: page * pageSize + offset, as: T.self) }
        }
        func header(_ field: Int) -> Int { Int(truncatingIfNeeded: load(0, field * 8, as: UInt64.self)) }
        var pages: Int { bytes.count / pageSize }
    }

    /// At or past `limit` half the time, below it otherwise.
    private static func bigOrSmall(_ limit: Int, _ rng: inout SeededGenerator) -> UInt32 {
        Bool.random(using: &rng) ? UInt32.random(in: UInt32(limit)...UInt32.max, using: &rng) : UInt32.random(in: 0..<UInt32(limit), using: &rng)
    }

    private static func value<T: FixedWidthInteger>(_ x: T) -> [UInt8] { withUnsafeBytes(of: x.littleEndian) { Array($0) } }

    private func run(_ model: DamageModel, _ mutate: (Image, inout SeededGenerator) -> Mutation?) throws {
        let dir = temporaryDirectory(self)
        let image = Image(bytes: model.file, pageSize: model.pageSize)
        var rng = SeededGenerator(seed: model.info.type == .hnsw ? 11 : 12)
        var cases = 0, reported = 0
        while cases < fuzzIterations(default: 300) {
            guard let m = mutate(image, &rng) else { continue }
            let old = Array(model.file[(m.page * model.pageSize + m.offset)...].prefix(m.bytes.count))
            if old == m.bytes { continue }
            cases += 1
            var file = model.file
            patchPage(&file, page: m.page, pageSize: model.pageSize) { p in
                for (i, byte) in m.bytes.enumerated() { p.storeBytes(of: byte, toByteOffset: m.offset + i, as: UInt8.self) }
            }
            try model.install(in: dir, file: file)
            let label = "\(model.info.type) \(m.what) (page \(m.page) + \(m.offset)): \(old) -> \(m.bytes)"
            guard let outcome = exercise(model, in: dir) else { return }
            assertOnlyDamageReported(outcome, label)
            XCTAssertFalse(outcome.failures.contains { $0.operation == "check" }, "\(label): check stopped: \(outcome.failures)")
            let openRefused = outcome.failures.contains { $0.operation == "open index" }
            let checkReported = !(outcome.problems ?? []).isEmpty
            if m.mustReport { XCTAssertTrue(openRefused || checkReported, "\(label): not reported") }
            if outcome.problems == [] { XCTAssertTrue(outcome.failures.isEmpty, "\(label): check passed, but \(outcome.failures)") }
            if openRefused || checkReported { reported += 1 }
        }
        XCTAssertGreaterThan(reported, cases / 4, "most mutations are of values the check can judge")
    }

    func testRandomDamageInHNSWPages() throws {
        let model = try DamageModel.hnsw(self)
        let layout = HNSWLayout(config: model.info.config)
        try run(model) { image, rng in
            let nodeCount = image.header(5), upperUsed = image.header(8)
            // Half the time a node with upper levels: a search reads those through its first slot.
            let upper = (0..<nodeCount).filter { n in
                let (p, o) = layout.records.locate(n)
                return image.load(p, o + HNSWLayout.levelOffset, as: UInt32.self) & 0xFF > 0
            }
            let node = Bool.random(using: &rng) ? upper.randomElement(using: &rng)! : Int.random(in: 0..<nodeCount, using: &rng)
            let (page, offset) = layout.records.locate(node)
            let count = Int(image.load(page, offset + HNSWLayout.countOffset, as: UInt32.self))
            let level = Int(image.load(page, offset + HNSWLayout.levelOffset, as: UInt32.self) & 0xFF)
            let firstSlot = Int(image.load(page, offset + HNSWLayout.upperSlotOffset, as: UInt32.self))
            switch Int.random(in: 0..<11, using: &rng) {
            case 0:
                return Mutation(what: "node \(node) id", page: page, offset: offset, bytes: Self.value(rng.next()), mustReport: true)
            case 1:
                let word = Bool.random(using: &rng) ? UInt32(1) << UInt32.random(in: 0..<12, using: &rng) : UInt32.random(in: 0...UInt32.max, using: &rng)
                let old = image.load(page, offset + HNSWLayout.levelOffset, as: UInt32.self)
                return Mutation(what: "node \(node) level word", page: page, offset: offset + HNSWLayout.levelOffset,
                                bytes: Self.value(old ^ word), mustReport: true)
            case 2:
                return Mutation(what: "node \(node) first slot", page: page, offset: offset + HNSWLayout.upperSlotOffset,
                                bytes: Self.value(Self.bigOrSmall(upperUsed + 1, &rng)), mustReport: true)
            case 3:
                let new = UInt32.random(in: 0...UInt32(2 * layout.maxLinks0), using: &rng)
                return Mutation(what: "node \(node) link count", page: page, offset: offset + HNSWLayout.countOffset,
                                bytes: Self.value(new), mustReport: new > layout.maxLinks0)
            case 4:
                guard count > 0 else { return nil }
                let new = Self.bigOrSmall(nodeCount, &rng)
                return Mutation(what: "node \(node) link", page: page,
                                offset: offset + HNSWLayout.linksOffset + 4 * Int.random(in: 0..<count, using: &rng),
                                bytes: Self.value(new), mustReport: new >= nodeCount)
            case 5:
                guard level > 0 else { return nil }
                let (slotPage, slotOffset) = layout.upperSlot(firstSlot + Int.random(in: 0..<level, using: &rng))
                let upperCount = Int(image.load(slotPage, slotOffset, as: UInt32.self))
                if upperCount == 0 || Bool.random(using: &rng) {
                    let new = UInt32.random(in: 0...UInt32(2 * layout.M), using: &rng)
                    return Mutation(what: "node \(node) upper link count", page: slotPage, offset: slotOffset,
                                    bytes: Self.value(new), mustReport: new > layout.M)
                }
                let new = Self.bigOrSmall(nodeCount, &rng)
                return Mutation(what: "node \(node) upper link", page: slotPage,
                                offset: slotOffset + 4 + 4 * Int.random(in: 0..<upperCount, using: &rng),
                                bytes: Self.value(new), mustReport: new >= nodeCount)
            case 6, 7:
                return self.idMapMutation(image, layout.hashBase..<layout.upperBase, nodeCount: nodeCount, nodeField: rng.next() % 2 == 0, rng: &rng)
            case 8:
                let byte = Int.random(in: 0..<layout.stored.byteCount, using: &rng)
                return Mutation(what: "node \(node) vector byte", page: page, offset: offset + layout.vectorOffset + byte,
                                bytes: [UInt8.random(in: 0...255, using: &rng)], mustReport: false)
            case 9:
                guard nodeCount % layout.records.perPage != 0 else { return nil }
                let unused = Int.random(in: nodeCount..<(nodeCount / layout.records.perPage + 1) * layout.records.perPage, using: &rng)
                let (p, o) = layout.records.locate(unused)
                return Mutation(what: "unused node slot \(unused)", page: p, offset: o + Int.random(in: 0..<layout.records.recordBytes, using: &rng),
                                bytes: [UInt8.random(in: 1...255, using: &rng)], mustReport: true)
            default:
                return self.anyByte(image, rng: &rng)
            }
        }
    }

    func testRandomDamageInDiskANNPages() throws {
        let model = try DamageModel.diskann(self)
        let layout = DiskANNLayout(config: model.info.config)
        try run(model) { image, rng in
            let nodeCount = image.header(5), labelEntries = image.header(11)
            let node = Int.random(in: 0..<nodeCount, using: &rng)
            let (page, offset) = layout.records.locate(node)
            let state = image.load(page, offset + DiskANNLayout.stateOffset, as: UInt32.self)
            let used = state != NodeState.free.rawValue
            let count = Int(image.load(page, offset + DiskANNLayout.linkCountOffset, as: UInt32.self))
            switch Int.random(in: 0..<13, using: &rng) {
            case 0:
                return Mutation(what: "node \(node) id", page: page, offset: offset, bytes: Self.value(rng.next()),
                                mustReport: state == NodeState.live.rawValue)
            case 1:
                let new = Bool.random(using: &rng) ? UInt32.random(in: 0...3, using: &rng) : UInt32.random(in: 0...UInt32.max, using: &rng)
                return Mutation(what: "node \(node) state", page: page, offset: offset + DiskANNLayout.stateOffset,
                                bytes: Self.value(new), mustReport: true)
            case 2:
                guard used else { return nil }
                return Mutation(what: "node \(node) free-list link", page: page, offset: offset + DiskANNLayout.nextFreeOffset,
                                bytes: Self.value(UInt32.random(in: 1...UInt32.max, using: &rng)), mustReport: true)
            case 3:
                guard used else { return nil }
                let new = UInt32.random(in: 0...20, using: &rng)
                return Mutation(what: "node \(node) label count", page: page, offset: offset + DiskANNLayout.labelCountOffset,
                                bytes: Self.value(new), mustReport: new > DiskANNLayout.maxLabelsPerNode)
            case 4:
                guard used else { return nil }
                let new = UInt32.random(in: 0...UInt32(2 * layout.R), using: &rng)
                return Mutation(what: "node \(node) link count", page: page, offset: offset + DiskANNLayout.linkCountOffset,
                                bytes: Self.value(new), mustReport: new > layout.R)
            case 5:
                guard used, count > 0 else { return nil }
                let new = Self.bigOrSmall(nodeCount, &rng)
                return Mutation(what: "node \(node) link", page: page,
                                offset: offset + DiskANNLayout.linksOffset + 4 * Int.random(in: 0..<count, using: &rng),
                                bytes: Self.value(new), mustReport: new >= nodeCount)
            case 6:
                let entry = Int.random(in: 0..<DiskANNLayout.maxLabels, using: &rng)
                let (p, o) = layout.labelEntry(entry)
                guard entry < labelEntries else {
                    return Mutation(what: "unused label entry \(entry)", page: p, offset: o + Int.random(in: 0..<8, using: &rng),
                                    bytes: [UInt8.random(in: 1...255, using: &rng)], mustReport: true)
                }
                let start = Int(image.load(p, o + 4, as: UInt32.self)) - 1
                if Bool.random(using: &rng) {
                    // Labels in the model are 0..<7: one far from them is carried by no node.
                    return Mutation(what: "label entry \(entry) label", page: p, offset: o,
                                    bytes: Self.value(UInt32.random(in: 1000...UInt32.max, using: &rng)), mustReport: start >= 0)
                }
                let new = UInt32.random(in: 0...UInt32(nodeCount + 10), using: &rng)
                return Mutation(what: "label entry \(entry) start", page: p, offset: o + 4, bytes: Self.value(new),
                                mustReport: Int(new) - 1 >= nodeCount)
            case 7:
                guard used else { return nil }
                let (p, o) = layout.code(node)
                let old = image.load(p, o, as: UInt8.self)
                return Mutation(what: "node \(node) PQ code", page: p, offset: o, bytes: [old ^ UInt8.random(in: 1...255, using: &rng)],
                                mustReport: true)
            case 8:
                let slot = Int.random(in: nodeCount..<layout.capacity, using: &rng)
                let (p, o) = layout.code(slot)
                return Mutation(what: "PQ code of unused slot \(slot)", page: p, offset: o, bytes: [UInt8.random(in: 1...255, using: &rng)],
                                mustReport: true)
            case 9, 10:
                return self.idMapMutation(image, layout.hashBase..<layout.records.firstPage, nodeCount: nodeCount, nodeField: rng.next() % 2 == 0, rng: &rng)
            case 11:
                guard !used else { return nil }
                let field = [DiskANNLayout.idOffset, DiskANNLayout.linkCountOffset, layout.vectorOffset].randomElement(using: &rng)!
                return Mutation(what: "free slot \(node) byte", page: page, offset: offset + field,
                                bytes: [UInt8.random(in: 1...255, using: &rng)], mustReport: true)
            default:
                return self.anyByte(image, rng: &rng)
            }
        }
    }

    /// An id map entry in use: its node (to empty, removed, another node or far past the nodes)
    /// or its id changed. Either way some id no longer maps to the node that holds it.
    private func idMapMutation(_ image: Image, _ pages: Range<Int>, nodeCount: Int, nodeField: Bool,
                               rng: inout SeededGenerator) -> Mutation? {
        let page = Int.random(in: pages, using: &rng)
        let slot = Int.random(in: 0..<(PageLayout.usableBytes(image.pageSize) / IDMap.slotBytes), using: &rng)
        let stored = image.load(page, slot * IDMap.slotBytes + 8, as: UInt32.self)
        guard stored != 0 && stored != UInt32.max else { return nil }
        if !nodeField {
            return Mutation(what: "id map slot \(slot) id", page: page, offset: slot * IDMap.slotBytes, bytes: Self.value(rng.next()),
                            mustReport: true)
        }
        let new: UInt32 = [0, UInt32.max, UInt32.random(in: 1...UInt32(nodeCount), using: &rng),
                           UInt32.random(in: UInt32(nodeCount + 1)...UInt32.max - 1, using: &rng)].randomElement(using: &rng)!
        return Mutation(what: "id map slot \(slot) node", page: page, offset: slot * IDMap.slotBytes + 8, bytes: Self.value(new),
                        mustReport: true)
    }

    /// Any byte of any page but the header (HeaderFuzzTests covers it): only must not crash.
    private func anyByte(_ image: Image, rng: inout SeededGenerator) -> Mutation {
        let page = Int.random(in: 1..<image.pages, using: &rng)
        return Mutation(what: "byte", page: page, offset: Int.random(in: 0..<PageLayout.usableBytes(image.pageSize), using: &rng),
                        bytes: [UInt8.random(in: 0...255, using: &rng)], mustReport: false)
    }
}

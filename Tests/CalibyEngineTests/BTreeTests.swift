import Foundation
import Atomics
import XCTest
@testable import CalibyEngine

/// The document store's free list, reduced to what a tree needs: a bump pointer and a free list,
/// refusing a page freed twice or never given out (a tree that did that would corrupt a file).
final class TestAllocator: PageAllocating {
    private var nextPage: Int
    private var free: [Int] = []
    private(set) var live: Set<Int> = []

    init(firstPage: Int = 1) { nextPage = firstPage }

    func allocatePage() throws -> Int {
        let page = free.popLast() ?? { defer { nextPage += 1 }; return nextPage }()
        live.insert(page)
        return page
    }

    func freePage(_ page: Int) throws {
        guard live.remove(page) != nil else { throw CalibyError.invalidArgument("page \(page) freed but not in use") }
        free.append(page)
    }
}

final class BTreeTests: XCTestCase {
    private struct Reference: Hashable, Comparable {
        var key: IndexKey
        var node: UInt32
        static func < (a: Reference, b: Reference) -> Bool { (a.key, a.node) < (b.key, b.node) }
    }

    /// A tree over an anonymous scratch file in the shared test pool, as `TemporaryIndex` does.
    private func makeTree(pages: Int = 1 << 16) throws -> (BTree, TestAllocator) {
        let space = try PageSpace(pool: testPool, file: PosixFile.anonymous(), fileID: nil, journal: nil,
                                  pageSize: 4096, capacityPages: pages)
        let allocator = TestAllocator()
        let root = try BTree.create(space: space, allocator: allocator)
        return (BTree(space: space, allocator: allocator, root: root), allocator)
    }

    private func entries(_ tree: BTree) throws -> [Reference] {
        try tree.allEntries().map { Reference(key: $0.0, node: $0.1) }
    }

    private func assertMatches(_ tree: BTree, _ reference: Set<Reference>, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(try tree.check(pageLimit: tree.space.capacityPages), [], file: file, line: line)
        XCTAssertEqual(try tree.count, reference.count, file: file, line: line)
        XCTAssertEqual(try entries(tree), reference.sorted(), file: file, line: line)
    }

    private func scan(_ tree: BTree, _ lower: IndexKey, _ li: Bool, _ upper: IndexKey, _ ui: Bool) throws -> [Reference] {
        var out: [Reference] = []
        try tree.scan(from: lower, inclusive: li, to: upper, inclusive: ui) { key, node in
            out.append(Reference(key: key, node: node))
            return true
        }
        return out
    }

    private func int(_ v: Int64) -> IndexKey { IndexKey(.int(v)) }

    // MARK: Against a reference

    /// 100k random inserts and removes of a 5-value field (thousands of nodes per key) and of a
    /// wide one, compared with a set of pairs; then everything removed, then destroyed.
    func testRandomInsertsAndRemovesMatchAReference() throws {
        for values in [5, 1_000_000] {
            let (tree, allocator) = try makeTree()
            var rng = SeededGenerator(seed: UInt64(values))
            var reference = Set<Reference>()
            var present: [Reference] = []
            for op in 1...100_000 {
                if present.isEmpty || Int.random(in: 0..<10, using: &rng) < 6 {
                    let pair = Reference(key: int(Int64.random(in: 0..<Int64(values), using: &rng)),
                                         node: UInt32.random(in: 0..<40_000, using: &rng))
                    try tree.insert(pair.key, node: pair.node)
                    if reference.insert(pair).inserted { present.append(pair) }
                } else if Bool.random(using: &rng) {
                    let i = Int.random(in: 0..<present.count, using: &rng)
                    let pair = present.remove(at: i)
                    reference.remove(pair)
                    XCTAssertTrue(try tree.remove(pair.key, node: pair.node))
                } else {
                    let pair = Reference(key: int(Int64.random(in: 0..<Int64(values), using: &rng)), node: 40_000)
                    XCTAssertFalse(try tree.remove(pair.key, node: pair.node), "an absent pair")
                }
                if op % 25_000 == 0 { try assertMatches(tree, reference) }
            }
            XCTAssertGreaterThan(try tree.space.read(tree.root) { try tree.header($0, page: tree.root, level: nil).level }, 1,
                                 "the tree must have grown inner levels to test them")
            for pair in present.shuffled(using: &rng) { XCTAssertTrue(try tree.remove(pair.key, node: pair.node)) }
            try assertMatches(tree, [])
            XCTAssertEqual(allocator.live, [tree.root], "an emptied tree is its root leaf alone")
            try tree.destroy()
            XCTAssertEqual(allocator.live, [])
        }
    }

    func testInsertingAPresentPairIsANoOp() throws {
        let (tree, _) = try makeTree()
        for _ in 0..<3 { try tree.insert(int(7), node: 1) }
        try tree.insert(int(7), node: 2)
        XCTAssertEqual(try tree.count, 2)
        XCTAssertEqual(try entries(tree), [Reference(key: int(7), node: 1), Reference(key: int(7), node: 2)])
    }

    /// Every inclusive/exclusive combination, ranges between, at and outside the keys, empty and
    /// reversed ones, and a body that stops early.
    func testScansHonourBoundsAndStop() throws {
        let (tree, _) = try makeTree()
        var reference: [Reference] = []
        for key in stride(from: Int64(0), to: 100, by: 2) {
            for node in 0..<UInt32(40) {
                try tree.insert(int(key), node: node)
                reference.append(Reference(key: int(key), node: node))
            }
        }
        reference.sort()
        let bounds: [Int64] = [-5, 0, 1, 2, 37, 38, 50, 97, 98, 99, 200]
        for lower in bounds {
            for upper in bounds {
                for li in [false, true] {
                    for ui in [false, true] {
                        let expected = reference.filter {
                            (li ? $0.key >= int(lower) : $0.key > int(lower)) && (ui ? $0.key <= int(upper) : $0.key < int(upper))
                        }
                        XCTAssertEqual(try scan(tree, int(lower), li, int(upper), ui), expected, "\(lower) \(li) \(upper) \(ui)")
                    }
                }
            }
        }
        XCTAssertEqual(try scan(tree, .min, true, .max, true), reference)
        XCTAssertEqual(try scan(tree, .min, false, .min, true), [])
        XCTAssertEqual(try scan(tree, .max, false, .max, true), [])
        var seen = 0
        try tree.scan(from: int(10), inclusive: true, to: .max, inclusive: true) { _, _ in
            seen += 1
            return seen < 100
        }
        XCTAssertEqual(seen, 100)
    }

    /// Readers share pages under shared latches and run together: each sees what one reader alone saw.
    func testConcurrentReadersSeeTheSameTree() throws {
        let (tree, _) = try makeTree()
        for i in 0..<Int64(50_000) { try tree.insert(int(i % 500), node: UInt32(i)) }
        let lowers = (0..<Int64(100)).map { $0 * 5 }
        func read(_ lower: Int64) throws -> ([Reference], Int) {
            (try scan(tree, int(lower), true, int(lower + 50), false),
             try tree.estimateCount(from: int(lower), inclusive: true, to: int(lower + 50), inclusive: false))
        }
        let alone = try lowers.map(read)
        let failures = ManagedAtomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            for (i, lower) in lowers.enumerated() {
                guard let together = try? read(lower), together == alone[i] else {
                    failures.wrappingIncrement(ordering: .relaxed)
                    continue
                }
            }
        }
        XCTAssertEqual(failures.load(ordering: .relaxed), 0)
        XCTAssertEqual(alone[0].0.count, 5000)
    }

    // MARK: Estimates

    func testEstimateIsExactInOneLeafAndCloseForWideRanges() throws {
        let (tree, _) = try makeTree()
        var rng = SeededGenerator(seed: 5)
        var reference = Set<Reference>()
        while reference.count < 150_000 {
            let pair = Reference(key: int(Int64.random(in: 0..<10_000, using: &rng)), node: UInt32.random(in: 0..<1000, using: &rng))
            if reference.insert(pair).inserted { try tree.insert(pair.key, node: pair.node) }
        }
        // Random removals leave pages unevenly filled, which the estimate assumes away.
        for pair in reference.shuffled(using: &rng).prefix(60_000) {
            reference.remove(pair)
            try tree.remove(pair.key, node: pair.node)
        }
        // below[k]: pairs with a key below k (an int key's first word is the value, sign bit flipped).
        var below = [Int](repeating: 0, count: 10_002)
        for pair in reference { below[Int(pair.key.w0 ^ (1 << 63)) + 1] += 1 }
        for k in 1..<below.count { below[k] += below[k - 1] }
        func truth(_ lower: Int64, _ li: Bool, _ upper: Int64, _ ui: Bool) -> Int {
            max(0, below[Int(ui ? upper + 1 : upper)] - below[Int(li ? lower : lower + 1)])
        }
        for _ in 0..<200 {
            let lower = Int64.random(in: 0..<9000, using: &rng)
            let upper = lower + Int64.random(in: 1000...(10_000 - lower), using: &rng)
            let estimate = try tree.estimateCount(from: int(lower), inclusive: true, to: int(upper), inclusive: false)
            let exact = truth(lower, true, upper, false)
            XCTAssertLessThan(abs(estimate - exact), exact / 5 + 200, "[\(lower), \(upper)): \(estimate) for \(exact)")
        }
        var inOneLeaf = 0
        for key in Int64(0)..<300 {
            for (li, ui) in [(true, true), (true, false), (false, true), (false, false)] {
                let first = try tree.locate(BTree.lowerBound(int(key), inclusive: li))
                let last = try tree.locate(BTree.upperBound(int(key + 1), inclusive: ui))
                guard first.leaf == last.leaf else { continue }
                inOneLeaf += 1
                XCTAssertEqual(try tree.estimateCount(from: int(key), inclusive: li, to: int(key + 1), inclusive: ui),
                               truth(key, li, key + 1, ui))
            }
        }
        XCTAssertGreaterThan(inOneLeaf, 500)
        XCTAssertEqual(try tree.estimateCount(from: int(50), inclusive: true, to: int(10), inclusive: true), 0)
        XCTAssertEqual(try tree.estimateCount(from: int(50), inclusive: false, to: int(50), inclusive: true), 0)
    }

    // MARK: Pages

    func testAscendingInsertsFillPagesAndDestroyFreesThemAll() throws {
        let (tree, allocator) = try makeTree()
        for i in 0..<Int64(100_000) { try tree.insert(int(i), node: UInt32(i)) }
        XCTAssertEqual(try tree.check(pageLimit: tree.space.capacityPages), [])
        XCTAssertLessThan(allocator.live.count, 100_000 / tree.leafCapacity * 11 / 10, "appends split off full pages")
        try tree.destroy()
        XCTAssertEqual(allocator.live, [])
    }

    func testAllocatorPagesOutsideTheFileAreRefused() throws {
        let (tree, _) = try makeTree(pages: 4)
        var failure: Error?
        for i in 0..<Int64(3 * tree.leafCapacity) where failure == nil {
            do { try tree.insert(int(i), node: 0) } catch { failure = error }
        }
        guard case CalibyError.corrupt(_, let detail)? = failure as? CalibyError else { return XCTFail("\(String(describing: failure))") }
        XCTAssertTrue(detail.contains("allocator gave page 4"), detail)
    }

    // MARK: Damage

    /// A tree of three levels and the pages of its leftmost path, for damaging.
    private func damagedTree() throws -> (BTree, inner: Int, leaves: [Int]) {
        let (tree, allocator) = try makeTree()
        for i in 0..<Int64(40_000) { try tree.insert(int(i % 1000), node: UInt32(i)) }
        _ = allocator
        var leaves: [Int] = []
        var page = tree.root
        var inner = tree.root
        while true {
            let (h, first) = try tree.space.read(page) { p in
                let h = try tree.header(p, page: page, level: nil)
                return (h, h.level == 0 ? -1 : tree.rawChild(p, 0))
            }
            if h.level == 0 { break }
            inner = page
            page = first
        }
        // The leaves in chain order from the leftmost.
        while page >= 0 && leaves.count < 5 {
            leaves.append(page)
            page = try tree.space.read(page) { try tree.header($0, page: page, level: 0).next }
        }
        return (tree, inner, leaves)
    }

    private func assertDamage(_ tree: BTree, _ words: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let problems = try tree.check(pageLimit: tree.space.capacityPages)
        XCTAssertTrue(problems.contains { $0.contains(words) }, "\(problems)", file: file, line: line)
        XCTAssertThrowsError(try tree.allEntries(), file: file, line: line) { error in
            XCTAssertEqual((error as? CalibyError)?.category, .corrupt, "\(error)", file: file, line: line)
        }
    }

    func testCheckAndScansCatchASwappedPair() throws {
        let (tree, _, leaves) = try damagedTree()
        try tree.space.write(leaves[1]) { p in
            let a = tree.pair(p, 3, level: 0), b = tree.pair(p, 4, level: 0)
            BTree.store(BTree.Entry(pair: b), at: 3, level: 0, into: p)
            BTree.store(BTree.Entry(pair: a), at: 4, level: 0, into: p)
        }
        try assertDamage(tree, "entry 4")
    }

    func testCheckAndScansCatchALoopInTheLeafChain() throws {
        let (tree, _, leaves) = try damagedTree()
        try tree.space.write(leaves[3]) { BTree.setField(3, leaves[1], in: $0) }
        try assertDamage(tree, "the next leaf is \(leaves[1])")
        // A loop through empty leaves has no order to break, but only the root may be empty.
        let (small, allocator) = try makeTree(pages: 64)
        let a = try allocator.allocatePage(), b = try allocator.allocatePage()
        for (page, next) in [(a, b), (b, a)] {
            try small.space.create(page) { BTree.store(BTree.Header(level: 0, count: 0, next: next, pairs: 0), into: $0) }
        }
        try small.space.write(small.root) { BTree.setField(3, a, in: $0) }
        XCTAssertThrowsError(try small.allEntries()) { XCTAssertTrue("\($0)".contains("B-tree page \(a): an empty leaf"), "\($0)") }
    }

    func testCheckCatchesBadChildPointersAndHeaders() throws {
        let (tree, inner, leaves) = try damagedTree()
        let offset = BTree.offset(1, level: 1) + IndexKey.byteCount + 4
        try tree.space.write(inner) { $0.storeBytes(of: UInt32(leaves[0]), toByteOffset: offset, as: UInt32.self) }
        let problems = try tree.check(pageLimit: tree.space.capacityPages)
        XCTAssertTrue(problems.contains { $0.contains("which another entry already references") }, "\(problems)")
        XCTAssertTrue(problems.contains { $0.contains("the next leaf is") }, "the orphaned leaf breaks the chain: \(problems)")

        try tree.space.write(inner) { $0.storeBytes(of: UInt32(1 << 30), toByteOffset: offset, as: UInt32.self) }
        XCTAssertTrue(try tree.check(pageLimit: tree.space.capacityPages).contains { $0.contains("child 1 is page 1073741824, beyond") })
        XCTAssertThrowsError(try tree.destroy()) { XCTAssertTrue("\($0)".contains("B-tree page \(inner): child 1"), "\($0)") }

        try tree.space.write(leaves[2]) { $0.storeBytes(of: UInt64(0xBAD), as: UInt64.self) }
        XCTAssertTrue(try tree.check(pageLimit: tree.space.capacityPages).contains {
            $0.contains("B-tree page \(leaves[2]): header field magic")
        })
        try tree.space.write(tree.root) { BTree.setField(4, 12, in: $0) }
        XCTAssertTrue(try tree.check(pageLimit: tree.space.capacityPages).contains { $0.contains("pairs = 12, but the leaves hold") })
        XCTAssertEqual(try tree.count, 12)
        try tree.space.write(tree.root) { BTree.setField(1, 40, in: $0) }
        XCTAssertThrowsError(try tree.count) { XCTAssertTrue("\($0)".contains("level = 40 exceeds the height limit"), "\($0)") }
        XCTAssertThrowsError(try tree.destroy())
    }

    /// Random bytes of headers and entries overwritten: reads succeed or throw `corrupt`, and
    /// whatever a read trips on, `check` reports. Never a trap or a hang. Restored between rounds.
    func testRandomPageDamageIsReportedNeverATrap() throws {
        let (tree, allocator) = try makeTree()
        for i in 0..<Int64(20_000) { try tree.insert(int(i % 3000), node: UInt32(i)) }
        let pages = allocator.live.sorted()
        let images = try pages.map { page in
            try tree.space.read(page) { [UInt8](UnsafeRawBufferPointer(start: $0, count: tree.space.usableBytes)) }
        }
        var rng = SeededGenerator(seed: 77)
        var detected = 0
        for _ in 0..<fuzzIterations(default: 300) {
            let i = Int.random(in: 0..<pages.count, using: &rng)
            let offset = Int.random(in: 0..<(Bool.random(using: &rng) ? BTree.headerBytes : BTree.offset(40, level: 1)), using: &rng)
            let value = UInt8.random(in: 0...255, using: &rng)
            try tree.space.write(pages[i]) { $0.storeBytes(of: value, toByteOffset: offset, as: UInt8.self) }
            var failed = false
            let reads: [() throws -> Void] = [{ _ = try tree.allEntries() }, { _ = try tree.count },
                                              { _ = try tree.estimateCount(from: self.int(100), inclusive: true, to: self.int(2000), inclusive: false) }]
            for read in reads {
                do { try read() } catch let error as CalibyError where error.category == .corrupt { failed = true }
            }
            let problems = try tree.check(pageLimit: tree.space.capacityPages)
            if failed { XCTAssertFalse(problems.isEmpty, "a read failed, check saw nothing: page \(pages[i]) byte \(offset)") }
            if !problems.isEmpty { detected += 1 }
            try tree.space.write(pages[i]) { p in images[i].withUnsafeBytes { p.copyMemory(from: $0.baseAddress!, byteCount: $0.count) } }
        }
        XCTAssertEqual(try tree.check(pageLimit: tree.space.capacityPages), [])
        XCTAssertGreaterThan(detected, 50)
    }

    // MARK: Keys

    func testIntFloatAndBoolKeysSortAsTheirValues() {
        let ints: [Int64] = [.min, .min + 1, -1_000_000, -1, 0, 1, 255, 256, 1 << 40, .max - 1, .max]
        XCTAssertEqual(ints.map { int($0) }, ints.map { int($0) }.sorted())
        XCTAssertEqual(Set(ints.map { int($0) }).count, ints.count)
        let floats: [Double] = [-.infinity, -.greatestFiniteMagnitude, -1e10, -1, -.leastNonzeroMagnitude, 0,
                                .leastNonzeroMagnitude, 1e-300, 0.5, 1, 1e10, .greatestFiniteMagnitude, .infinity]
        let floatKeys = floats.map { IndexKey(.float($0)) }
        XCTAssertEqual(floatKeys, floatKeys.sorted())
        XCTAssertEqual(Set(floatKeys).count, floats.count)
        XCTAssertEqual(IndexKey(.float(-0.0)), IndexKey(.float(0.0)), "equal values, equal keys")
        XCTAssertLessThan(IndexKey(.bool(false)), IndexKey(.bool(true)))
        for key in floatKeys + ints.map({ int($0) }) + [IndexKey(.bool(true))] {
            XCTAssertTrue(key.isExact)
            XCTAssertLessThanOrEqual(IndexKey.min, key)
            XCTAssertLessThan(key, IndexKey.max)
        }
    }

    func testStringKeysSortAsTheirBytesAndFlagTruncation() {
        let strings = ["", "\0", "a", "a\0", "a\0\0", "a\u{1}", "ab", "abc", "b", String(repeating: "x", count: 22),
                       String(repeating: "x", count: 23), "z", "é", "日本", "🙂"]
        let keys = strings.map { IndexKey(.string($0)) }
        XCTAssertEqual(keys, keys.sorted(), "prefixes first, NULs count, UTF-8 byte order")
        XCTAssertEqual(strings.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }, strings)
        XCTAssertTrue(keys.allSatisfy(\.isExact))
        XCTAssertEqual(Set(keys).count, keys.count)

        let long = String(repeating: "x", count: 23) + "a"
        let longer = String(repeating: "x", count: 23) + "b" + String(repeating: "q", count: 100)
        let (a, b) = (IndexKey(.string(long)), IndexKey(.string(longer)))
        XCTAssertFalse(a.isExact)
        XCTAssertEqual(a, b, "strings that share the kept prefix share a key: a scan returns both, the caller re-checks")
        XCTAssertLessThan(IndexKey(.string(String(repeating: "x", count: 23))), a, "an exact prefix sorts before")
        XCTAssertLessThan(a, IndexKey(.string(String(repeating: "x", count: 22) + "y")))

        // Keys round-trip through a page's bytes, in memcmp order.
        var bytes = [UInt8](repeating: 0, count: 2 * IndexKey.byteCount)
        bytes.withUnsafeMutableBytes { buffer in
            let p = buffer.baseAddress!
            keys[6].store(to: p + 1)
            XCTAssertEqual(IndexKey(loadingFrom: p + 1), keys[6])
            keys[7].store(to: p + IndexKey.byteCount)
            XCTAssertLessThan(memcmp(p + 1, p + IndexKey.byteCount, IndexKey.byteCount), 0)
        }
    }

    // MARK: In a database transaction

    /// Through a journaled file of a real data directory, with a pool small enough that dirty pages
    /// reach the file before commit: a rollback restores the committed tree, a reopen finds it. The
    /// removals free committed pages that the inserts then reuse, which must be journaled with
    /// their images (a page started with `create` was journaled as a hole and zeroed by rollback).
    func testRollbackRestoresTheCommittedTree() throws {
        let dir = temporaryDirectory(self)
        try Caliby.initialize(dir)
        let pool = try BufferPool(budgetBytes: 256 * 1024)
        let db = try openDatabase(dir, pool: pool)
        let (info, space) = try db.registerIndex(name: "docs", type: .hnsw, config: IndexConfig(dimensions: 4, maxElements: 10),
                                                 pageSize: 4096, capacityPages: 4096)
        let allocator = TestAllocator()
        let root = try BTree.create(space: space, allocator: allocator)
        var tree = BTree(space: space, allocator: allocator, root: root)
        var reference = Set<Reference>()
        for i in 0..<20_000 {
            let pair = Reference(key: IndexKey(.string("k\(i % 700)")), node: UInt32(i))
            try tree.insert(pair.key, node: pair.node)
            reference.insert(pair)
        }
        try db.flush()
        let written = pool.pagesWritten.load(ordering: .relaxed)
        for pair in reference.sorted().prefix(15_000) { try tree.remove(pair.key, node: pair.node) }
        for i in 0..<20_000 { try tree.insert(IndexKey(.string("m\(i)")), node: UInt32(i)) }
        XCTAssertGreaterThan(pool.pagesWritten.load(ordering: .relaxed), written, "the change must reach the file before commit")
        try db.rollback()
        tree = BTree(space: try db.space(for: info), allocator: allocator, root: root)
        try assertMatches(tree, reference)
        try db.discardAndClose()

        let reopened = try openDatabase(dir, pool: pool)
        try assertMatches(BTree(space: try reopened.space(for: info), allocator: allocator, root: root), reference)
        try reopened.discardAndClose()
    }
}

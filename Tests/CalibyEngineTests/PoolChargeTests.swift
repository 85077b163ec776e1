import XCTest
@testable import CalibyEngine

/// Memory that grows with an index rather than with the buffer — each page's state word and flags,
/// a transaction's list of changed pages, each search thread's visited marks — is counted against
/// the buffer like pages (BufferPool.chargedBytes), so `--buffer-size` bounds it all: a 4M-vector
/// load through a 2 GiB buffer had gone 25 MiB past the buffer + 64 MiB the README promises.
final class PoolChargeTests: XCTestCase {
    private let pageSize = 4096

    private func newDatabase(pool: BufferPool) throws -> Database {
        let dir = temporaryDirectory(self)
        try Caliby.initialize(dir)
        return try openDatabase(dir, pool: pool)
    }

    private func register(_ db: Database, capacityPages: Int) throws -> PageSpace {
        try db.registerIndex(name: "raw", type: .hnsw, config: IndexConfig(dimensions: 4, maxElements: 4),
                             pageSize: pageSize, capacityPages: capacityPages).1
    }

    private func fill(_ space: PageSpace, pages: Range<Int>, tag: Int) throws {
        for page in pages {
            try space.create(page) { $0.storeBytes(of: UInt64(page * 7 + tag), as: UInt64.self) }
        }
    }

    private func verify(_ space: PageSpace, pages: Range<Int>, tag: Int) throws {
        for page in pages {
            XCTAssertEqual(try space.read(page) { $0.load(as: UInt64.self) }, UInt64(page * 7 + tag), "page \(page)")
        }
    }

    /// 64k reserved pages charge 576 KiB, so a 1 MiB pool keeps at most ~112 pages, not 256.
    func testAFilesPageTableTakesItsRoomFromPages() throws {
        let budget = 1 << 20
        let pool = try BufferPool(budgetBytes: budget)
        try {
            let db = try newDatabase(pool: pool)
            let space = try register(db, capacityPages: 1 << 16)
            let pageTable = PageSpace.bookkeepingBytesPerPage << 16
            XCTAssertGreaterThanOrEqual(pool.chargedBytes, pageTable)
            try fill(space, pages: 0..<400, tag: 1)
            try db.flush()
            try verify(space, pages: 0..<400, tag: 1)
            XCTAssertLessThanOrEqual(pool.residentBytes, budget - pageTable,
                                     "pages held beside \(pool.chargedBytes) bytes of bookkeeping")
            XCTAssertLessThanOrEqual(pool.residentBytes + pool.chargedBytes, budget + pageSize)
            try db.close()
        }()
        XCTAssertEqual(pool.chargedBytes, 0, "a closed file's bookkeeping is no longer charged")
    }

    /// A buffer smaller than an index's page table still holds a quarter of itself in pages: the
    /// index works (more slowly), rather than every page read failing.
    func testABufferSmallerThanThePageTableKeepsAQuarterForPages() throws {
        let budget = 1 << 20
        let pool = try BufferPool(budgetBytes: budget)
        let db = try newDatabase(pool: pool)
        let space = try register(db, capacityPages: 1 << 18)
        XCTAssertGreaterThan(pool.chargedBytes, budget, "2.25 MiB of page table over a 1 MiB buffer")
        try fill(space, pages: 0..<300, tag: 2)
        try db.flush()
        try verify(space, pages: 0..<300, tag: 2)
        XCTAssertLessThanOrEqual(pool.residentBytes, budget / 4)
        XCTAssertGreaterThan(pool.evictions.load(ordering: .relaxed), 0)
        try db.close()
    }

    /// A thread's visited marks are made when its work starts, often right after a preload filled
    /// the pool; work that then finds every page resident admits nothing, so the marks evict what
    /// they displace at once (a 1M load's first batch went 15 MiB past its budget, for as long as
    /// the batch took). What is evicted for them is written back first and reads back.
    func testVisitedMarksEvictWhatTheyDisplaceAtOnce() throws {
        let budget = 1 << 20
        let pool = try BufferPool(budgetBytes: budget)
        let db = try newDatabase(pool: pool)
        let space = try register(db, capacityPages: 1024)
        try fill(space, pages: 0..<300, tag: 5)
        XCTAssertGreaterThan(pool.residentBytes + pool.chargedBytes, budget - 2 * pageSize, "the pool is full")
        let evictions = pool.evictions.load(ordering: .relaxed)
        var marks: VisitedSet? = VisitedSet(capacity: 256 << 10, chargedTo: pool)
        XCTAssertLessThanOrEqual(pool.residentBytes + pool.chargedBytes, budget)
        XCTAssertGreaterThanOrEqual(pool.evictions.load(ordering: .relaxed) - evictions, (256 << 10) / pageSize)
        try verify(space, pages: 0..<300, tag: 5)
        let charged = pool.chargedBytes
        marks = nil
        XCTAssertNil(marks)
        XCTAssertEqual(charged - pool.chargedBytes, 256 << 10)
        try db.discardAndClose()
    }

    /// The list of pages a transaction changed grows with it (4 bytes a page) and is given back
    /// when it commits.
    func testATransactionsListOfChangedPagesIsChargedUntilItCommits() throws {
        let pool = try BufferPool(budgetBytes: 1 << 20)
        let db = try newDatabase(pool: pool)
        let space = try register(db, capacityPages: 8192)
        try fill(space, pages: 0..<5000, tag: 3)
        try db.flush()
        let settled = pool.chargedBytes
        for page in 0..<5000 { try space.write(page) { $0.storeBytes(of: UInt64(page * 7 + 4), as: UInt64.self) } }
        XCTAssertEqual(space.changedPages, 5000)
        XCTAssertGreaterThanOrEqual(pool.chargedBytes - settled, 5000 * MemoryLayout<UInt32>.stride)
        try db.flush()
        XCTAssertEqual(pool.chargedBytes, settled)
        try verify(space, pages: 0..<5000, tag: 4)
        try db.close()
    }

    /// Each insert or search thread marks visited nodes in a byte per node of the index's capacity.
    func testEachThreadsVisitedMarksAreChargedWhileTheIndexIsOpen() throws {
        let pool = try BufferPool(budgetBytes: 64 << 20)
        let capacity = 200_000, d = 8
        try {
            let db = try newDatabase(pool: pool)
            let index = try db.createIndex(name: "v", type: .hnsw, config: IndexConfig(dimensions: d, maxElements: capacity))
            let opened = pool.chargedBytes
            _ = try index.insert(batch(clusteredVectors(count: 2000, dimensions: d, seed: 5), dimensions: d),
                                 options: InsertOptions(threads: 2))
            XCTAssertGreaterThanOrEqual(pool.chargedBytes - opened, 2 * capacity, "two threads' marks")
            try db.flush()
            try db.close()
        }()
        XCTAssertEqual(pool.chargedBytes, 0, "a closed index's marks are no longer charged")
    }
}

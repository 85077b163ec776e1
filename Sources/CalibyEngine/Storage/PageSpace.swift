import Atomics
import CPrefetch
import Glibc

enum ClockOutcome { case keep, victim }

/// One file's pages in the pool. See `BufferPool` for the state word and its invariants.
package final class PageSpace: @unchecked Sendable {
    package let pageSize: Int
    package let capacityPages: Int
    package let path: String
    let pool: BufferPool
    let file: PosixFile
    /// Identifies the file in the journal; nil for a temporary space, which is never journaled.
    let fileID: UInt32?
    let journal: Journal?
    /// The file was opened read-only: nothing in this process writes or truncates it, and the
    /// directory lock keeps every caliby writer out while it is open, so its bytes and those of
    /// its resident pages stay the same (what lets `preload` map it: PageSpace+Preload.swift).
    let readOnly: Bool

    private let base: UnsafeMutableRawPointer
    private let states: UnsafeMutablePointer<UnsafeAtomic<UInt64>.Storage>
    /// Per-page bits, changed only by the holder of the page's exclusive latch.
    private let flags: UnsafeMutablePointer<UInt8>
    private static let dirtyFlag: UInt8 = 1
    private static let journaledFlag: UInt8 = 2
    /// On `changedPageList` in this transaction. A page evicted (written back, no longer dirty) and
    /// changed again must not be listed twice: in a long transaction through a small pool that
    /// happens millions of times (a 1M-vector DiskANN load through a 100 MiB pool grew the list
    /// to 266 MB). A journaled page is always listed, so the list also finds every journaled flag.
    private static let listedFlag: UInt8 = 4

    /// Pages the file holds; reads at or past it are corruption (fresh pages come from `create`).
    private let filePages: ManagedAtomic<Int>

    /// Transaction state, guarded by `txMutex`.
    private let txMutex = Mutex()
    private var baselinePages: Int?
    /// Every page made dirty since the transaction began, once: 4 bytes a page, because it lives
    /// as long as the transaction and a bulk load through a small pool touches every page of the
    /// file (page numbers are 32-bit on disk too, in the page trailer).
    private var changedPageList: [UInt32] = []
    /// The list's storage as charged to the pool (BufferPool.chargedBytes).
    private var listChargedBytes = 0
    private var wroteSinceSync = false

    /// A state word and a byte of flags for every page of the reserved range, charged to the pool
    /// while the space is open.
    static let bookkeepingBytesPerPage = MemoryLayout<UInt64>.stride + MemoryLayout<UInt8>.stride

    static let stateShift: UInt64 = 56
    static let versionMask: UInt64 = (1 << 56) - 1
    private static let maxShared: UInt64 = 252
    static let locked: UInt64 = 253
    private static let marked: UInt64 = 254
    static let evicted: UInt64 = 255

    init(pool: BufferPool, file: PosixFile, fileID: UInt32?, journal: Journal?, pageSize: Int,
         capacityPages: Int, readOnly: Bool = false) throws {
        self.pool = pool
        self.readOnly = readOnly
        self.file = file
        self.path = file.path
        self.fileID = fileID
        self.journal = journal
        self.pageSize = pageSize
        self.capacityPages = capacityPages
        // Checked before anything is allocated or charged: deinit does not run for a failed init.
        let size = try file.size()
        guard size % pageSize == 0 else {
            throw CalibyError.corrupt(path: file.path, detail: "size \(size) is not a multiple of the page size \(pageSize)")
        }
        let bytes = pageSize * capacityPages
        // One huge page more than needed, trimmed so the range starts on a huge-page boundary:
        // `preload` may back it with 2 MiB pages, which only whole aligned 2 MiB spans can use.
        let align = PageSpace.hugePageBytes
        guard let mapped = mmap(nil, bytes + align, PROT_READ | PROT_WRITE,
                                MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0),
              mapped != MAP_FAILED else {
            throw CalibyError.io(path: file.path, operation: "reserve \(bytes) bytes of address space", errno: errno)
        }
        let head = (align - Int(bitPattern: mapped) % align) % align
        if head > 0 { munmap(mapped, head) }
        munmap(mapped + head + bytes, align - head)
        base = mapped + head
        states = .allocate(capacity: capacityPages)
        states.initialize(repeating: .init(PageSpace.evicted << PageSpace.stateShift), count: capacityPages)
        flags = .allocate(capacity: capacityPages)
        flags.initialize(repeating: 0, count: capacityPages)
        pool.charge(PageSpace.bookkeepingBytesPerPage * capacityPages)
        filePages = ManagedAtomic(size / pageSize)
    }

    deinit {
        pool.forgetAll(of: self)
        pool.release(PageSpace.bookkeepingBytesPerPage * capacityPages + listChargedBytes)
        munmap(base, pageSize * capacityPages)
        states.deallocate()
        flags.deallocate()
    }

    package var usableBytes: Int { PageLayout.usableBytes(pageSize) }

    /// Pages the file holds now. A page below it has an image on disk (or dirty in the pool), which
    /// `write` journals before a change; only pages at or past it are for `create` (see `create`).
    package var pagesInFile: Int { filePages.load(ordering: .acquiring) }

    static let hugePageBytes = 2 << 20
    /// Set by the first `preload()` (PageSpace+Preload.swift), which later ones then skip.
    let preloaded = ManagedAtomic<Bool>(false)

    @inline(__always) func state(_ page: Int) -> UnsafeAtomic<UInt64> { UnsafeAtomic(at: states + page) }
    @inline(__always) func address(_ page: Int) -> UnsafeMutableRawPointer { base + page &* pageSize }

    // MARK: Latches

    /// Reads page `page` under a shared latch: no writer changes it while `body` runs.
    @inline(__always)
    package func read<R>(_ page: Int, _ body: (UnsafeRawPointer) throws -> R) throws -> R {
        try latchShared(page)
        defer { unlatchShared(page) }
        return try body(UnsafeRawPointer(address(page)))
    }

    /// Reads page `page` without taking a latch (vmcache's optimistic read): note the version, run
    /// `body`, and accept its result only if the version is unchanged and the page was neither
    /// locked nor evicted meanwhile; otherwise run it again. `body` may see a page mid-change, so it
    /// must only read, clamp whatever it uses as a count or index, and have no other effect. The
    /// graph searches use this: it costs two plain loads where a latch costs two atomic writes.
    @inline(__always)
    package func readOptimistic<R>(_ page: Int, _ body: (UnsafeRawPointer) -> R) throws -> R {
        let word = state(page)
        var attempts = 0
        while true {
            let before = word.load(ordering: .acquiring)
            let st = before >> PageSpace.stateShift
            if st <= PageSpace.maxShared {
                let result = body(UnsafeRawPointer(address(page)))
                atomicMemoryFence(ordering: .acquiring)
                let after = word.load(ordering: .relaxed)
                let afterState = after >> PageSpace.stateShift
                if (after ^ before) & PageSpace.versionMask == 0 && afterState <= PageSpace.maxShared { return result }
            } else if st == PageSpace.marked {
                // Reading is a use: take the clock's mark off so a hot page is not evicted.
                _ = word.compareExchange(expected: before, desired: before & PageSpace.versionMask, ordering: .relaxed)
                continue
            } else if st == PageSpace.evicted {
                if try fault(page, expected: before, fresh: false) {
                    word.store(before & PageSpace.versionMask, ordering: .releasing)
                }
                continue
            }
            backoff(&attempts)
        }
    }

    /// Starts reading page `page` from the file if it is not in the pool, without waiting: the
    /// pages a search is about to read together (a DiskANN beam) then cost one disk round trip,
    /// not one each. Only a hint; the read that follows faults the page in as usual.
    package func readAhead(_ page: Int) {
        guard page >= 0, page < filePages.load(ordering: .relaxed),
              state(page).load(ordering: .relaxed) >> PageSpace.stateShift == PageSpace.evicted else { return }
        file.readAhead(at: page &* pageSize, count: pageSize)
    }

    /// Whether the file is larger than the whole pool, so a search through it will miss: the cue
    /// for a search to ask the disk for pages ahead (`readAhead`), which would only cost an extra
    /// look at the state word per page where everything is resident.
    package var outgrowsPool: Bool { filePages.load(ordering: .relaxed) &* pageSize > pool.pageBudgetBytes }

    /// Starts loading bytes of a page into the CPU cache. Only a hint: an evicted page's range is
    /// mapped but empty, and a prefetch there does nothing.
    @inline(__always)
    package func prefetch(_ page: Int, offset: Int, lines: Int) {
        let start = address(page) + offset
        for line in 0..<lines { caliby_prefetch(start + line &* 64) }
    }

    /// Changes page `page` under an exclusive latch; the page becomes dirty in the transaction.
    package func write<R>(_ page: Int, _ body: (UnsafeMutableRawPointer) throws -> R) throws -> R {
        try latchExclusive(page, fresh: false)
        defer { unlatchExclusive(page) }
        try markDirty(page, neverWritten: false)
        return try body(address(page))
    }

    /// Starts a page that was never written: past the end of the file, or a hole inside it that a
    /// region growing in order has not reached (the index layouts allocate pages that way, so a
    /// page is created once, at its first use). Zero-filled, dirty, never read from disk.
    package func create<R>(_ page: Int, _ body: (UnsafeMutableRawPointer) throws -> R) throws -> R {
        precondition(page < capacityPages, "page \(page) beyond the reserved range of \(path)")
        try latchExclusive(page, fresh: true)
        defer { unlatchExclusive(page) }
        memset(address(page), 0, pageSize)
        try markDirty(page, neverWritten: true)
        return try body(address(page))
    }

    @inline(__always)
    private func latchShared(_ page: Int) throws {
        let word = state(page)
        var attempts = 0
        while true {
            let current = word.load(ordering: .acquiring)
            let st = current >> PageSpace.stateShift
            if st < PageSpace.maxShared {
                if word.weakCompareExchange(expected: current, desired: current &+ (1 << PageSpace.stateShift),
                                            ordering: .acquiring).exchanged { return }
            } else if st == PageSpace.marked {
                let desired = (current & PageSpace.versionMask) | (1 << PageSpace.stateShift)
                if word.weakCompareExchange(expected: current, desired: desired, ordering: .acquiring).exchanged { return }
            } else if st == PageSpace.evicted {
                if try fault(page, expected: current, fresh: false) {
                    // We hold it locked; hand it over as one shared latch.
                    word.store((current & PageSpace.versionMask) | (1 << PageSpace.stateShift), ordering: .releasing)
                    return
                }
            }
            backoff(&attempts)
        }
    }

    @inline(__always)
    private func unlatchShared(_ page: Int) {
        state(page).wrappingDecrement(by: 1 << PageSpace.stateShift, ordering: .releasing)
    }

    private func latchExclusive(_ page: Int, fresh: Bool) throws {
        let word = state(page)
        var attempts = 0
        while true {
            let current = word.load(ordering: .acquiring)
            let st = current >> PageSpace.stateShift
            if st == 0 || st == PageSpace.marked {
                let desired = (current & PageSpace.versionMask) | (PageSpace.locked << PageSpace.stateShift)
                if word.weakCompareExchange(expected: current, desired: desired, ordering: .acquiring).exchanged { return }
            } else if st == PageSpace.evicted {
                if try fault(page, expected: current, fresh: fresh) { return }
            }
            backoff(&attempts)
        }
    }

    private func unlatchExclusive(_ page: Int) {
        let word = state(page)
        let version = (word.load(ordering: .relaxed) &+ 1) & PageSpace.versionMask
        word.store(version, ordering: .releasing)
    }

    /// Brings an evicted page in. Returns false if another thread got there first; true with the
    /// page resident and locked by the caller.
    private func fault(_ page: Int, expected: UInt64, fresh: Bool) throws -> Bool {
        guard page >= 0 && page < capacityPages else {
            throw CalibyError.corrupt(path: path, detail: "reference to page \(page) beyond the file's \(capacityPages) pages")
        }
        let word = state(page)
        let lockedWord = (expected & PageSpace.versionMask) | (PageSpace.locked << PageSpace.stateShift)
        guard word.compareExchange(expected: expected, desired: lockedWord, ordering: .acquiring).exchanged else {
            return false
        }
        do {
            try pool.admit(self, page: page)
        } catch {
            word.store(expected, ordering: .releasing)
            throw error
        }
        if fresh { return true }
        do {
            guard page < filePages.load(ordering: .acquiring) else {
                throw CalibyError.corrupt(path: path, detail: "page \(page) is past the end of the file")
            }
            let got = try file.read(into: address(page), count: pageSize, at: page * pageSize)
            pool.pagesRead.wrappingIncrement(ordering: .relaxed)
            pool.bytesRead.wrappingIncrement(by: pageSize, ordering: .relaxed)
            if got < pageSize {
                throw CalibyError.corrupt(path: path, detail: "page \(page) is truncated")
            }
            if let problem = PageTrailer.verify(UnsafeRawPointer(address(page)), pageSize: pageSize, pageNumber: page) {
                throw CalibyError.corrupt(path: path, detail: "page \(page): \(problem)")
            }
        } catch {
            abandonFault(page, restoring: expected)
            throw error
        }
        return true
    }

    /// Gives up a page that was locked and admitted for a fault which failed: its frame's memory
    /// returned, the pool no longer counting it, its state word back as it was (evicted).
    func abandonFault(_ page: Int, restoring word: UInt64) {
        madvise(address(page), pageSize, MADV_DONTNEED)
        pool.forget(self, page: page)
        state(page).store(word, ordering: .releasing)
    }

    /// One look by the pool's clock (pool mutex held): mark an unlocked page, or report a marked
    /// one — unused since the last look — as a victim. It stays marked: `evict` locks it only for
    /// its own write-back, and a use before then takes the mark off and saves it.
    func clockVisit(_ page: Int) -> ClockOutcome {
        let word = state(page)
        let current = word.load(ordering: .acquiring)
        switch current >> PageSpace.stateShift {
        case 0:
            _ = word.compareExchange(expected: current, desired: (current & PageSpace.versionMask) | (PageSpace.marked << PageSpace.stateShift),
                                     ordering: .relaxed)
            return .keep
        case PageSpace.marked:
            return .victim
        default:
            return .keep
        }
    }

    /// Before a batch of evictions (no latch held): makes the journal durable once, so the
    /// victims' write-backs find nothing left to sync while they hold their pages locked.
    func prepareEviction() throws {
        try journal?.makeDurable()
    }

    /// Takes a page the clock chose for eviction (pool mutex not held): locks it, and writes it
    /// back if dirty. Returns the state word to finish or release it with, or nil if the page was
    /// used since it was chosen and stays. On a write-back error the page is released, resident.
    func claimForEviction(_ page: Int) throws -> UInt64? {
        let word = state(page)
        let current = word.load(ordering: .acquiring)
        guard current >> PageSpace.stateShift == PageSpace.marked,
              word.compareExchange(expected: current, desired: (current & PageSpace.versionMask) | (PageSpace.locked << PageSpace.stateShift),
                                   ordering: .acquiring).exchanged else { return nil }
        if flags[page] & PageSpace.dirtyFlag != 0 {
            do {
                try writeBack(page)
            } catch {
                releaseFromEviction(page, claimed: current)
                throw error
            }
        }
        return current
    }

    /// The memory of a claimed page, for `PageDiscard`.
    func range(of page: Int) -> (start: UnsafeMutableRawPointer, bytes: Int) { (address(page), pageSize) }

    /// Ends the eviction of a claimed page whose memory was discarded: it is evicted.
    func finishEviction(_ page: Int, claimed: UInt64) {
        state(page).store((((claimed & PageSpace.versionMask) &+ 1) & PageSpace.versionMask) | (PageSpace.evicted << PageSpace.stateShift),
                          ordering: .releasing)
    }

    /// Gives up the eviction of a claimed page: it stays resident, marked as the clock left it.
    func releaseFromEviction(_ page: Int, claimed: UInt64) {
        state(page).store(claimed, ordering: .releasing)
    }

    // MARK: Transactions (see Journal for the protocol)

    /// First change to a page in this transaction: journal its committed image (a hole's is
    /// recorded as such, so undoing it needs no disk space), remember it dirty.
    private func markDirty(_ page: Int, neverWritten: Bool) throws {
        guard flags[page] & PageSpace.dirtyFlag == 0 else { return }
        try txMutex.withLock {
            try joinTransaction()
            if let journal, let fileID, page < baselinePages!, flags[page] & PageSpace.journaledFlag == 0 {
                if neverWritten {
                    try journal.recordZeroPage(fileID: fileID, page: page, size: pageSize)
                } else {
                    try journal.recordPage(fileID: fileID, page: page, image: UnsafeRawPointer(address(page)), size: pageSize)
                }
                flags[page] |= PageSpace.journaledFlag
            }
            if flags[page] & PageSpace.listedFlag == 0 {
                changedPageList.append(UInt32(page))
                flags[page] |= PageSpace.listedFlag
                let listBytes = changedPageList.capacity * MemoryLayout<UInt32>.stride
                if listBytes != listChargedBytes {
                    pool.charge(listBytes - listChargedBytes)
                    listChargedBytes = listBytes
                }
            }
        }
        flags[page] |= PageSpace.dirtyFlag
    }

    /// Records the file's size the first time a transaction touches it (txMutex held).
    private func joinTransaction() throws {
        guard baselinePages == nil else { return }
        let pages = filePages.load(ordering: .acquiring)
        baselinePages = pages
        if let journal, let fileID { try journal.recordFileSize(fileID: fileID, bytes: pages * pageSize) }
    }

    /// Writes empty pages straight to a file that does not reach `pages` yet, bypassing the cache:
    /// formatting a large empty region (a hash table) must not churn the pool. Truncation undoes it.
    package func formatEmptyPages(_ pages: Range<Int>) throws {
        precondition(pages.lowerBound >= filePages.load(ordering: .acquiring) && pages.upperBound <= capacityPages)
        try txMutex.withLock { try joinTransaction() }
        try journal?.makeDurable()
        let chunkPages = max(1, (1 << 20) / pageSize)
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunkPages * pageSize, alignment: 4096)
        defer { buffer.deallocate() }
        var page = pages.lowerBound
        while page < pages.upperBound {
            let n = min(chunkPages, pages.upperBound - page)
            memset(buffer, 0, n * pageSize)
            for i in 0..<n { PageTrailer.stamp(buffer + i * pageSize, pageSize: pageSize, pageNumber: page + i) }
            try file.write(buffer, count: n * pageSize, at: page * pageSize)
            pool.pagesWritten.wrappingIncrement(by: n, ordering: .relaxed)
            pool.bytesWritten.wrappingIncrement(by: n * pageSize, ordering: .relaxed)
            page += n
        }
        filePages.store(max(filePages.load(ordering: .acquiring), pages.upperBound), ordering: .releasing)
        txMutex.withLock { wroteSinceSync = true }
    }

    /// Writes a dirty page (caller holds it locked). The journal is made durable first.
    private func writeBack(_ page: Int) throws {
        try journal?.makeDurable()
        PageTrailer.stamp(address(page), pageSize: pageSize, pageNumber: page)
        try file.write(address(page), count: pageSize, at: page * pageSize)
        pool.pagesWritten.wrappingIncrement(ordering: .relaxed)
        pool.bytesWritten.wrappingIncrement(by: pageSize, ordering: .relaxed)
        flags[page] &= ~PageSpace.dirtyFlag
        txMutex.withLock { wroteSinceSync = true }
        var pages = filePages.load(ordering: .relaxed)
        while page >= pages {
            let (done, original) = filePages.compareExchange(expected: pages, desired: page + 1, ordering: .releasing)
            if done { break }
            pages = original
        }
    }

    /// Whether this transaction changed anything in this file.
    var hasChanges: Bool { txMutex.withLock { baselinePages != nil } }

    /// The pages this transaction changed, each counted once however often it was evicted and
    /// changed again: what the commit writes back at most, and what its bookkeeping holds.
    var changedPages: Int { txMutex.withLock { changedPageList.count } }

    /// Commit step 2: every dirty page to the file, then fsync. Runs with no latch held by anyone
    /// (the database is quiescent between operations).
    func writeDirtyPages() throws {
        // Sorted in place: a copy would be one more list as long as the file at the end of a load.
        let pages = txMutex.withLock {
            changedPageList.sort()
            return changedPageList
        }
        for page in pages.lazy.map(Int.init) where flags[page] & PageSpace.dirtyFlag != 0 {
            try latchExclusive(page, fresh: false)
            defer { unlatchExclusive(page) }
            if flags[page] & PageSpace.dirtyFlag != 0 { try writeBack(page) }
        }
        if txMutex.withLock({ wroteSinceSync }) { try file.sync() }
    }

    /// Commit step 4, after the journal is gone: forget the transaction.
    func endTransaction() {
        txMutex.withLock {
            for page in changedPageList { flags[Int(page)] &= ~(PageSpace.listedFlag | PageSpace.journaledFlag) }
            changedPageList.removeAll()
            pool.release(listChargedBytes)
            listChargedBytes = 0
            baselinePages = nil
            wroteSinceSync = false
        }
    }
}

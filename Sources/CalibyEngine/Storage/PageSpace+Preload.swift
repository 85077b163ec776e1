import CMemory
import Glibc

/// Preloads: reading many of a file's pages into the pool at once, ahead of work that will touch
/// them (a bulk insert, a batch of searches, `--warmup`). Each is a hint: a page that does not
/// read back stays evicted, for the access that needs it to report.
extension PageSpace {
    /// Reads the file's pages into the pool in one sequential pass (up to the budget), for work
    /// that will touch most of them: a bulk insert, a batch search's warm-up.
    ///
    /// A read-only file the budget holds whole is mapped instead (`mapWhole`), unless `steadyState`.
    /// Otherwise, when the budget can hold the whole reserved range, the range is first advised
    /// into 2 MiB pages: a graph hop then rarely misses the TLB (+14% search QPS on 1M×128). Only
    /// then, because a 2 MiB page is resident as a whole — a one-shot search that touches 900
    /// scattered pages would otherwise make most of the file resident and blow a small budget.
    ///
    /// `steadyState`: the pages will be searched long enough for the 2 MiB pages' fewer TLB misses
    /// to repay copying the file into them (`search --warmup`; mapped, float32 warm QPS was 8 %
    /// lower on 100k × 384, BENCHMARKS.md).
    ///
    /// A page that does not read back (a reserved region's never-written hole, or damage) stays
    /// evicted.
    package func preload(steadyState: Bool = false) {
        guard !preloaded.exchange(true, ordering: .relaxed) else { return }
        let room = pool.pageBudgetBytes
        if readOnly && !steadyState && room >= pagesInFile * pageSize && mapWhole() { return }
        let bytes = pageSize * capacityPages
        if room >= bytes { madvise(range(of: 0).start, bytes, MADV_HUGEPAGE) }
        read(0..<min(room / pageSize, pagesInFile, capacityPages))
    }

    /// Puts the file, mapped copy-on-write, in place of its frames, and makes every page of it
    /// that verifies resident. The pages are then the kernel's page cache itself: a cached 200 MB
    /// file is in place in 13 ms, against 105–130 ms read into 4 KiB frames and 36–400 ms into
    /// 2 MiB ones, whose zeroing time swings on this VM (bench/load_paths.c, BENCHMARKS.md). The
    /// price is 4 KiB pages, with more TLB misses than 2 MiB frames, for the rest of the run.
    func mapWhole() -> Bool {
        let pages = pagesInFile
        return pages <= capacityPages && map(0..<pages)
    }

    /// Puts `pages` of the file, mapped copy-on-write, in place of their frames, and makes every
    /// evicted one of them that verifies resident (see `mapWhole`).
    ///
    /// Only for a read-only file (`readOnly`), because then nothing here makes a page's bytes
    /// differ from the file's: replacing a resident page's memory with the file's is invisible to
    /// its readers, an evicted page's discarded memory reads back as the file again, and the file
    /// never shrinks under the mapping (touching a page past its end would raise SIGBUS). A program
    /// other than caliby that truncates the file or fails its reads while the mapping lives can
    /// still raise SIGBUS; `PosixFile.mapFilled` reports every failure up to the moment of mapping.
    ///
    /// Returns false, with nothing changed, where the range cannot be mapped and filled (an old
    /// kernel, a failed read): the caller then reads it.
    func map(_ pages: Range<Int>) -> Bool {
        precondition(readOnly && pages.upperBound <= min(pagesInFile, capacityPages))
        guard !pages.isEmpty else { return true }
        let bytes = pages.count * pageSize, start = address(pages.lowerBound)
        guard let mapped = try? file.mapFilled(at: pages.lowerBound * pageSize, count: bytes) else { return false }
        guard caliby_move_mapping(mapped, bytes, start) == start else {
            munmap(mapped, bytes)
            return false
        }
        var page = pages.lowerBound
        while page < pages.upperBound {
            let locked = lockEvicted(page..<min(pages.upperBound, page + PageSpace.preloadRunPages))
            settle(locked, from: page, filled: locked.count)
            page += max(1, locked.count)
        }
        return true
    }

    /// Brings `pages` (those the file and the layout have) into the pool, asking the disk for the
    /// whole range at once so the reads that follow find it on its way: the pages every search of a
    /// batch will read (DiskANN's PQ codes) cost one sequential pass, not one random read each.
    /// A read-only file's range is mapped (`map`): no frames to zero, no copy; a warm batch of 100
    /// searches on 1M × 128 ran 1.2–1.6× as fast, and cold the disk's read of the codes stays
    /// (BENCHMARKS.md).
    package func preload(_ pages: Range<Int>) {
        let end = min(pages.upperBound, pagesInFile, capacityPages)
        guard pages.lowerBound >= 0, pages.lowerBound < end else { return }
        let pages = pages.lowerBound..<end
        file.readAhead(at: pages.lowerBound * pageSize, count: pages.count * pageSize)
        if readOnly && map(pages) { return }
        read(pages)
    }

    /// Reads `pages` into the pool in runs of evicted pages, one call each (`faultRun`), at most
    /// 1/16 of the pool at a time (pages locked for a read cannot be evicted to make room).
    private func read(_ pages: Range<Int>) {
        let runLimit = max(1, min(PageSpace.preloadRunPages, pool.budgetBytes / pageSize / 16))
        var page = pages.lowerBound
        while page < pages.upperBound { page += max(1, faultRun(page..<min(pages.upperBound, page + runLimit))) }
    }

    /// The most pages `preload` reads with one call: one per page made 1M's codes 8,000 calls.
    static let preloadRunPages = 64

    /// `preload` ahead of inserting `batch` vectors into an index holding `existing`: a batch at
    /// least 1/16 of the index touches most of its pages anyway. An empty index is not an empty
    /// file (id maps and tables are formatted for the full capacity at create), so the batch must
    /// also be large against the pages the file already has: inserting ten vectors into a fresh
    /// 10M-capacity index must not read its 512 MiB id map.
    package func preload(beforeInserting batch: Int, into existing: Int) {
        if batch * 16 >= max(existing, pagesInFile) { preload() }
    }

    /// `fault` for the evicted pages at the start of `run`, read with one `pread`: their frames lie
    /// side by side in the reserved range as their pages do in the file. Locks and admits pages
    /// from the start of `run` until one is not evicted (resident, or another thread's), reads
    /// them, then verifies each and leaves it unlocked, or evicted again if it does not verify or
    /// was not read (a short read, an I/O error: `preload` is a hint, and the access that needs the
    /// page reports). Returns how many pages it locked.
    func faultRun(_ run: Range<Int>) -> Int {
        let locked = lockEvicted(run)
        guard let first = run.first, !locked.isEmpty else { return 0 }
        let got = (try? file.read(into: address(first), count: locked.count * pageSize, at: first * pageSize)) ?? 0
        settle(locked, from: first, filled: min(locked.count, got / pageSize))
        return locked.count
    }

    /// Locks and admits the pages from the start of `run` until one is not evicted; returns their
    /// state words from before, to `settle` them with.
    private func lockEvicted(_ run: Range<Int>) -> [UInt64] {
        var before: [UInt64] = []
        before.reserveCapacity(run.count)
        for page in run {
            let word = state(page), current = word.load(ordering: .acquiring)
            guard current >> PageSpace.stateShift == PageSpace.evicted,
                  word.compareExchange(expected: current, desired: (current & PageSpace.versionMask) | (PageSpace.locked << PageSpace.stateShift),
                                       ordering: .acquiring).exchanged else { break }
            do {
                try pool.admit(self, page: page)
            } catch {
                word.store(current, ordering: .releasing)
                break
            }
            before.append(current)
        }
        return before
    }

    /// Ends a run `lockEvicted` locked from page `first`, whose first `filled` pages now hold the
    /// file's bytes: each of those that verifies is unlocked and counted as read; the rest go back
    /// to evicted.
    private func settle(_ locked: [UInt64], from first: Int, filled: Int) {
        pool.pagesRead.wrappingIncrement(by: filled, ordering: .relaxed)
        pool.bytesRead.wrappingIncrement(by: filled * pageSize, ordering: .relaxed)
        for (i, current) in locked.enumerated() {
            let page = first + i
            if i < filled, PageTrailer.verify(UnsafeRawPointer(address(page)), pageSize: pageSize, pageNumber: page) == nil {
                state(page).store(current & PageSpace.versionMask, ordering: .releasing)
            } else {
                abandonFault(page, restoring: current)
            }
        }
    }
}

import Glibc

/// Preloads: reading many of a file's pages into the pool at once, ahead of work that will touch
/// them (a bulk insert, a batch of searches, `--warmup`). Each is a hint: a page that does not
/// read back stays evicted, for the access that needs it to report.
extension PageSpace {
    /// Reads the file's pages into the pool in one sequential pass (up to the budget), for work
    /// that will touch most of them: a bulk insert, a batch search's warm-up. When the budget can
    /// hold the whole reserved range, the range is first advised into 2 MiB pages: a graph hop
    /// then rarely misses the TLB (+14% search QPS on 1M×128). Only then, because a 2 MiB page is
    /// resident as a whole — a one-shot search that touches 900 scattered pages would otherwise
    /// make most of the file resident and blow a small budget.
    ///
    /// A page that does not read back (a reserved region's never-written hole, or damage) stays
    /// evicted.
    package func preload() {
        guard !preloaded.exchange(true, ordering: .relaxed) else { return }
        let bytes = pageSize * capacityPages
        if pool.budgetBytes >= bytes { madvise(range(of: 0).start, bytes, MADV_HUGEPAGE) }
        preload(0..<pool.budgetBytes / pageSize)
    }

    /// Reads `pages` (those the file has) into the pool, asking the disk for the whole range at
    /// once so the reads that follow find it on its way: the pages every search of a batch will
    /// read (DiskANN's PQ codes) cost one sequential pass, not one random read each. The pass reads
    /// runs of evicted pages with one call each (`faultRun`), at most 1/16 of the pool at a time
    /// (pages locked for a read cannot be evicted to make room).
    package func preload(_ pages: Range<Int>) {
        let end = min(pages.upperBound, pagesInFile)
        guard pages.lowerBound >= 0, pages.lowerBound < end else { return }
        file.readAhead(at: pages.lowerBound * pageSize, count: (end - pages.lowerBound) * pageSize)
        let runLimit = max(1, min(PageSpace.preloadRunPages, pool.budgetBytes / pageSize / 16))
        var page = pages.lowerBound
        while page < end { page += max(1, faultRun(page..<min(end, page + runLimit))) }
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
}

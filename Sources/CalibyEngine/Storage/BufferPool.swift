import Atomics

/// The process-wide page cache, after vmcache (Leis et al., SIGMOD 2023).
///
/// Each open file (`PageSpace`) reserves a virtual address range as large as the file can ever grow
/// (an index's capacity is fixed at create), so page `p` always lives at `base + p * pageSize` and
/// translating a page number costs one multiply. Physical memory is spent only on resident pages;
/// the pool keeps their total at or below `budgetBytes` by evicting with a clock and returning the
/// memory with `madvise(MADV_DONTNEED)`.
///
/// Every page has one 64-bit state word: the high 8 bits are the state, the low 56 a version that
/// grows on every exclusive unlock and every eviction (so a reader can tell whether a page changed
/// between two looks):
///
///     0        unlocked, resident
///     1...252  resident, held by that many shared latches
///     253      locked: one writer, or a fault/eviction in progress
///     254      marked: resident and unlocked, chosen by the clock; any latch clears the mark
///     255      evicted: not in memory
///
/// Invariants:
/// - A page's bytes are written only under an exclusive latch on its state word, and read under a
///   latch (shared or exclusive) or optimistically (`readOptimistic`: the result counts only if the
///   version did not move and the page was neither locked nor evicted while it was read).
/// - Only the thread that moved a page to `locked` changes its bytes, reads it in or evicts it.
/// - Resident bytes ≤ budget, except transiently by one page per faulting thread.
/// - A dirty page is written to its file only through `PageSpace.writeBack`, which first makes the
///   journal durable (see `Journal`): a committed page is never overwritten before its original
///   image can be restored.
package final class BufferPool: @unchecked Sendable {
    package let budgetBytes: Int

    private let mutex = Mutex()
    private var resident: [(space: PageSpace, page: Int)] = []
    private var clockHand = 0
    private var residentBytesValue = 0

    /// Pages read from files since the pool was made (a one-shot search reports this).
    package let pagesRead = ManagedAtomic<Int>(0)
    package let pagesWritten = ManagedAtomic<Int>(0)

    package init(budgetBytes: Int) throws {
        guard budgetBytes >= 64 * 1024 else {
            throw CalibyError.invalidArgument("buffer size \(budgetBytes) bytes is below the minimum of 64K")
        }
        self.budgetBytes = budgetBytes
    }

    package var residentBytes: Int { mutex.withLock { residentBytesValue } }

    /// Makes room for one page of `space`, then records it as resident. Called with the page locked.
    ///
    /// When the pool is full it frees a batch (1/16 of the budget, at most 64 pages, as vmcache
    /// evicts), not one page: writing back a dirty page first syncs the journal if records were
    /// added since its last sync, and a batch pays that pair of fsyncs once instead of per page.
    func admit(_ space: PageSpace, page: Int) throws {
        try mutex.withLock {
            var scanned = 0
            let needed = residentBytesValue + space.pageSize > budgetBytes
            let batch = min(64, max(1, budgetBytes / space.pageSize / 16)) * space.pageSize
            while residentBytesValue + space.pageSize > (needed ? budgetBytes - batch + space.pageSize : budgetBytes) {
                guard !resident.isEmpty, scanned < 3 * resident.count + 3 else {
                    // The batch is a wish; only a page that cannot be made room for is an error.
                    if residentBytesValue + space.pageSize <= budgetBytes { break }
                    throw CalibyError.bufferPoolExhausted(bytes: budgetBytes)
                }
                scanned += 1
                if clockHand >= resident.count { clockHand = 0 }
                let candidate = resident[clockHand]
                switch try candidate.space.clockVisit(candidate.page) {
                case .keep:
                    clockHand += 1
                case .evicted:
                    residentBytesValue -= candidate.space.pageSize
                    resident.swapAt(clockHand, resident.count - 1)
                    resident.removeLast()
                }
            }
            residentBytesValue += space.pageSize
            resident.append((space, page))
        }
    }

    /// Undoes `admit` for a page whose read failed.
    func forget(_ space: PageSpace, page: Int) {
        mutex.withLock {
            if let i = resident.firstIndex(where: { $0.space === space && $0.page == page }) {
                resident.swapAt(i, resident.count - 1)
                resident.removeLast()
                residentBytesValue -= space.pageSize
            }
        }
    }

    /// Drops every page of `space` without writing it (close, drop, rollback).
    func forgetAll(of space: PageSpace) {
        mutex.withLock {
            let before = resident.count
            resident.removeAll { $0.space === space }
            residentBytesValue -= (before - resident.count) * space.pageSize
            clockHand = 0
        }
    }
}

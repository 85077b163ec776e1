import Atomics
import Glibc

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
/// - Resident bytes + charged bytes ≤ budget (see `chargedBytes`), except transiently: by one page
///   per faulting thread while its victims are written back, by victims that were used during their
///   eviction (they stay; the next admission that finds the pool full evicts again), by a charge
///   made under a latch (`charge`: a transaction's list of changed pages) until the next admission
///   evicts for it, and where the charges leave pages less than `pageFloorBytes`.
/// - Page I/O never runs under the pool's mutex (see `admit`).
/// - A dirty page is written to its file only through `PageSpace.writeBack`, which first makes the
///   journal durable (see `Journal`): a committed page is never overwritten before its original
///   image can be restored.
package final class BufferPool: @unchecked Sendable {
    package let budgetBytes: Int

    /// Guards `resident`, `clockHand`, the byte counts and `inFlight`; held to choose victims, never
    /// across I/O.
    private let mutex = Mutex()
    private var resident: [(space: PageSpace, page: Int)] = []
    private var clockHand = 0
    /// Bytes of pages in memory, including victims still being written back.
    private var residentBytesValue = 0
    /// Bytes of victims taken off `resident` whose eviction has not finished: room already found,
    /// so an admission does not choose victims for it a second time.
    private var evictingBytes = 0
    /// Victims in flight per space: `forgetAll` waits for its space's to finish (see there).
    private var inFlight: [ObjectIdentifier: Int] = [:]
    /// Memory besides the frames that grows with the files and work the pool serves: each file's
    /// page state words and flags, each transaction's list of changed pages, each search or insert
    /// thread's visited marks, and `resident` itself. It counts against the budget like pages, so
    /// `--buffer-size` bounds all the memory that grows with the data (4M × 128 DiskANN: 25 MiB
    /// of it, which a 2 GiB pool's load had put over the buffer + 64 MiB). `chargeAndEvict` evicts
    /// for a charge at once; `charge` leaves it to the next admission.
    private var chargedBytesValue = 0
    private var residentCharged = 0
    /// Pages keep at least this much of the budget however much is charged: a quarter, and at
    /// least the smallest budget allowed, so a small buffer under a large index still works (past
    /// its budget, by what is charged beyond three quarters of it).
    let pageFloorBytes: Int

    /// Pages read from files since the pool was made (a one-shot search reports this), and their bytes.
    package let pagesRead = ManagedAtomic<Int>(0)
    package let bytesRead = ManagedAtomic<Int>(0)
    /// Pages written to files (by eviction, commit, or formatting), and their bytes.
    package let pagesWritten = ManagedAtomic<Int>(0)
    package let bytesWritten = ManagedAtomic<Int>(0)
    /// Pages the clock took out of memory.
    package let evictions = ManagedAtomic<Int>(0)

    package init(budgetBytes: Int) throws {
        guard budgetBytes >= BufferPool.minimumBudgetBytes else {
            throw CalibyError.invalidArgument("buffer size \(budgetBytes) bytes is below the minimum of 64K")
        }
        self.budgetBytes = budgetBytes
        pageFloorBytes = min(budgetBytes, max(budgetBytes / 4, BufferPool.minimumBudgetBytes))
    }

    static let minimumBudgetBytes = 64 * 1024

    package var residentBytes: Int { mutex.withLock { residentBytesValue } }
    package var chargedBytes: Int { mutex.withLock { chargedBytesValue } }
    /// What pages may take now: the budget less what is charged, down to `pageFloorBytes`. What
    /// decides whether a file fits in the pool.
    package var pageBudgetBytes: Int { mutex.withLock { pageBudget } }
    private var pageBudget: Int { max(budgetBytes - chargedBytesValue, pageFloorBytes) }

    /// Counts `bytes` of bookkeeping against the budget until `release`d (see `chargedBytes`); the
    /// next admission evicts for it. For callers that may hold a latch or a space's transaction
    /// mutex, which an eviction's write-back can need.
    func charge(_ bytes: Int) { mutex.withLock { chargedBytesValue += bytes } }

    /// `charge`, then evicts at once what the charge displaces, for a caller that holds no latch: a
    /// thread's visited marks are made when its work starts, often after a preload filled the pool,
    /// and work that then finds all its pages resident would admit nothing, and so evict nothing,
    /// for the whole batch. Best effort: if the clock finds no victim, or a write-back fails, the
    /// pages stay and the next admission evicts (and reports the error).
    func chargeAndEvict(_ bytes: Int) {
        let victims = mutex.withLock { () -> [Victim] in
            chargedBytesValue += bytes
            return chooseVictims(incoming: 0, spare: 0) ?? []
        }
        if !victims.isEmpty { try? evict(victims) }
    }

    func release(_ bytes: Int) { mutex.withLock { chargedBytesValue -= bytes } }

    /// Charges `resident`'s storage as it is now (mutex held).
    private func chargeResidentStorage() {
        let bytes = resident.capacity * MemoryLayout<Victim>.stride
        chargedBytesValue += bytes - residentCharged
        residentCharged = bytes
    }

    private typealias Victim = (space: PageSpace, page: Int)

    /// Makes room for one page of `space`, then records it as resident. Called with the page locked.
    ///
    /// When the pool is full it frees a batch (1/16 of the budget, at most 64 pages, as vmcache
    /// evicts), not one page: writing back a dirty page first syncs the journal if records were
    /// added since its last sync, and a batch pays that pair of fsyncs once instead of per page.
    ///
    /// The victims are only chosen under the mutex; their write-back and discard run after it is
    /// released, so other threads go on faulting (and evicting) meanwhile. A victim stays `marked`
    /// until its write-back starts: a thread that uses it before takes the mark off, and the
    /// eviction keeps it. From then it is locked until the batch's memory is discarded, in one
    /// call for the whole batch (`PageDiscard`); a thread that needs it sleeps meanwhile (`backoff`).
    func admit(_ space: PageSpace, page: Int) throws {
        let victims = try mutex.withLock { () throws -> [Victim] in
            let batch = min(64, max(1, budgetBytes / space.pageSize / 16)) * space.pageSize
            guard let victims = chooseVictims(incoming: space.pageSize, spare: batch - space.pageSize) else {
                throw CalibyError.bufferPoolExhausted(bytes: budgetBytes)
            }
            residentBytesValue += space.pageSize
            resident.append((space, page))
            chargeResidentStorage()
            return victims
        }
        guard !victims.isEmpty else { return }
        do {
            try evict(victims)
        } catch {
            // The caller gives the page up (it stays evicted): it must not stay counted.
            forget(space, page: page)
            throw error
        }
    }

    /// Takes victims off the clock (mutex held) until `incoming` more bytes fit in what pages may
    /// take, with `spare` bytes more if it finds enough. Returns nil, with nothing taken, when the
    /// clock finds no more and `incoming` still does not fit.
    private func chooseVictims(incoming: Int, spare: Int) -> [Victim]? {
        var victims: [Victim] = []
        // Bytes that will be resident once the evictions under way finish.
        var settled: Int { residentBytesValue - evictingBytes }
        let room = pageBudget
        guard settled + incoming > room else { return victims }
        var scanned = 0
        while settled + incoming > room - spare {
            guard !resident.isEmpty, scanned < 3 * resident.count + 3 else {
                // The spare room is a wish; only bytes that cannot be made room for fail.
                if settled + incoming <= room { break }
                finish(victims, kept: victims, evicted: 0)
                return nil
            }
            scanned += 1
            if clockHand >= resident.count { clockHand = 0 }
            let candidate = resident[clockHand]
            guard candidate.space.clockVisit(candidate.page) == .victim else {
                clockHand += 1
                continue
            }
            resident.swapAt(clockHand, resident.count - 1)
            resident.removeLast()
            evictingBytes += candidate.space.pageSize
            inFlight[ObjectIdentifier(candidate.space), default: 0] += 1
            victims.append(candidate)
        }
        return victims
    }

    /// Writes back and drops the victims `admit` chose (no mutex held), then settles the counts.
    /// A failed write-back returns every victim of the batch to the clock, still resident.
    private func evict(_ victims: [Victim]) throws {
        var evicted = 0, kept: [Victim] = []
        defer { mutex.withLock { finish(victims, kept: kept, evicted: evicted) } }
        // One journal sync for the batch before any victim is locked, not inside the first write-back.
        var synced = Set<ObjectIdentifier>()
        do {
            for victim in victims where synced.insert(ObjectIdentifier(victim.space)).inserted {
                try victim.space.prepareEviction()
            }
        } catch {
            kept = victims
            throw error
        }
        var claimed: [(victim: Victim, word: UInt64)] = []
        do {
            for victim in victims {
                if let word = try victim.space.claimForEviction(victim.page) {
                    claimed.append((victim, word))
                } else {
                    kept.append(victim)
                }
            }
        } catch {
            for (victim, word) in claimed { victim.space.releaseFromEviction(victim.page, claimed: word) }
            kept = victims
            throw error
        }
        // One discard for the batch: each call costs every other core a TLB flush (see PageDiscard).
        PageDiscard.discard(claimed.map { $0.victim.space.range(of: $0.victim.page) })
        for (victim, word) in claimed {
            victim.space.finishEviction(victim.page, claimed: word)
            evicted += victim.space.pageSize
        }
        evictions.wrappingIncrement(by: claimed.count, ordering: .relaxed)
    }

    /// Ends a batch of evictions (mutex held): `evicted` bytes left memory, `kept` go back on the clock.
    private func finish(_ victims: [Victim], kept: [Victim], evicted: Int) {
        for victim in victims {
            evictingBytes -= victim.space.pageSize
            let id = ObjectIdentifier(victim.space)
            inFlight[id]! -= 1
            if inFlight[id] == 0 { inFlight[id] = nil }
        }
        residentBytesValue -= evicted
        resident += kept
        chargeResidentStorage()
    }

    /// Undoes `admit` for a page whose read failed. The page was appended last, and later
    /// admissions append after it, so the search runs from the end.
    func forget(_ space: PageSpace, page: Int) {
        mutex.withLock {
            if let i = resident.lastIndex(where: { $0.space === space && $0.page == page }) {
                resident.swapAt(i, resident.count - 1)
                resident.removeLast()
                residentBytesValue -= space.pageSize
            }
        }
    }

    /// Drops every page of `space` without writing it (close, drop, rollback).
    ///
    /// First it waits for evictions of the space's pages that other threads have under way: one
    /// writing back a page after a rollback (which this call begins) would put the undone change
    /// back into the file. Another database's admission can choose this space's pages as victims
    /// at any time, since the clock runs over every open file.
    func forgetAll(of space: PageSpace) {
        mutex.lock()
        defer { mutex.unlock() }
        while inFlight[ObjectIdentifier(space)] != nil {
            mutex.unlock()
            usleep(100)
            mutex.lock()
        }
        let before = resident.count
        resident.removeAll { $0.space === space }
        residentBytesValue -= (before - resident.count) * space.pageSize
        if resident.isEmpty { resident = [] }
        chargeResidentStorage()
        clockHand = 0
    }
}

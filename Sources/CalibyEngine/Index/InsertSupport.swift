import Atomics
import Dispatch

/// Pieces of a batch insert that do not depend on the index type.
extension VectorBatch {
    /// Explicit ids as given; missing ones continue from `next` (one past the largest id so far),
    /// in input order. Advances `next` past every id of the batch.
    func assignIDs(next: inout UInt64, index: String) throws -> [UInt64] {
        var ids: [UInt64] = []
        ids.reserveCapacity(count)
        for (i, id) in self.ids.enumerated() {
            if let id {
                if id == UInt64.max {
                    throw CalibyError.badInput(location: "record \(firstRecordNumber + i)", message: "id \(id) is reserved")
                }
                ids.append(id)
                next = max(next, id + 1)
            } else {
                guard next < UInt64.max else { throw CalibyError.capacity(index: index, detail: "automatic ids exhausted") }
                ids.append(next)
                next += 1
            }
        }
        return ids
    }
}

/// Calls `body(worker, i)` for every i in `0..<count` from up to `threads` workers, each taking the
/// next i. Stops handing out items at the first error and rethrows it.
public func parallelFor(_ count: Int, threads: Int, _ body: (_ worker: Int, _ item: Int) throws -> Void) throws {
    let next = ManagedAtomic<Int>(0)
    let failed = ManagedAtomic<Bool>(false)
    let errorMutex = Mutex()
    var firstError: Error?
    DispatchQueue.concurrentPerform(iterations: max(1, min(threads, count))) { worker in
        while !failed.load(ordering: .relaxed) {
            let i = next.loadThenWrappingIncrement(ordering: .relaxed)
            if i >= count { break }
            do {
                try body(worker, i)
            } catch {
                errorMutex.withLock { if firstError == nil { firstError = error } }
                failed.store(true, ordering: .relaxed)
            }
        }
    }
    if let firstError { throw firstError }
}

/// `parallelFor` for inserts: checks `isCancelled` before every item and reports progress from
/// one worker now and then.
func forEachInParallel(_ count: Int, options: InsertOptions, _ body: (Int) throws -> Void) throws {
    try parallelFor(count, threads: options.threads) { worker, i in
        if options.isCancelled?() == true { throw CalibyError.interrupted }
        try body(i)
        if worker == 0, i % 1024 == 0 { options.progress?(i) }
    }
}

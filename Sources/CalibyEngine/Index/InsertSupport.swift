import Atomics
import Dispatch

/// Calls `body(worker, i)` for every i in `0..<count` from up to `threads` workers, each taking the
/// next i. Stops handing out items at the first error and rethrows it.
package func parallelFor(_ count: Int, threads: Int, _ body: (_ worker: Int, _ item: Int) throws -> Void) throws {
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

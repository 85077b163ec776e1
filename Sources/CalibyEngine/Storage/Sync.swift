import Glibc

/// A plain pthread mutex. Used where a critical section may block on I/O (eviction, journal
/// appends), so a spinning lock would waste the other core.
package final class Mutex: @unchecked Sendable {
    private let handle = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    package init() { pthread_mutex_init(handle, nil) }
    deinit {
        pthread_mutex_destroy(handle)
        handle.deallocate()
    }

    package func lock() { pthread_mutex_lock(handle) }
    package func unlock() { pthread_mutex_unlock(handle) }

    @inline(__always)
    package func withLock<R>(_ body: () throws -> R) rethrows -> R {
        pthread_mutex_lock(handle)
        defer { pthread_mutex_unlock(handle) }
        return try body()
    }
}

/// Spin politely: after a few busy rounds give the core away, which the latch's holder may be
/// waiting for (there are often fewer cores than threads); after more, sleep. A page can stay
/// locked for a whole `pread` or `pwrite` (a fault, an eviction's write-back), and with an idle
/// core `sched_yield` returns at once: a waiter that only yielded would spin in the kernel for the
/// length of the I/O.
@inline(__always)
func backoff(_ attempts: inout Int) {
    attempts += 1
    guard attempts > 64 else { return }
    if attempts <= 128 {
        sched_yield()
    } else {
        usleep(UInt32(min(attempts - 128, 20) * 5))
    }
}

import CMemory
import Glibc

/// Returns the memory of evicted pages to the kernel (`MADV_DONTNEED`).
///
/// Each `madvise` call makes the kernel flush the range from the TLB of every CPU running the
/// process: an interrupt to each other core, waited for. One page at a time, with two threads
/// inserting through a small pool, perf put more than half of the run in those flushes (BENCHMARKS.md,
/// "Eviction outside the pool's mutex"). `process_madvise` takes a batch of ranges and the kernel
/// flushes once for all of them (Linux 6.x); where it is missing or refuses, one `madvise` per range.
enum PageDiscard {
    /// This process's pidfd, or -1: opened once, kept for the process's life.
    private static let selfDescriptor = caliby_pidfd_self()

    /// Discards every range; the memory reads back as zeros until written.
    static func discard(_ ranges: [(start: UnsafeMutableRawPointer, bytes: Int)]) {
        guard !ranges.isEmpty else { return }
        var done = 0
        if selfDescriptor >= 0 {
            var vectors = ranges.map { iovec(iov_base: $0.start, iov_len: $0.bytes) }
            let total = ranges.reduce(0) { $0 + $1.bytes }
            let advised = vectors.withUnsafeMutableBufferPointer {
                caliby_process_madvise(selfDescriptor, $0.baseAddress, $0.count, MADV_DONTNEED)
            }
            if advised == total { return }
            // A partial call advised whole ranges from the front; the rest go one by one.
            if advised > 0 {
                var bytes = 0
                while done < ranges.count && bytes + ranges[done].bytes <= advised {
                    bytes += ranges[done].bytes
                    done += 1
                }
            }
        }
        for range in ranges[done...] { madvise(range.start, range.bytes, MADV_DONTNEED) }
    }
}

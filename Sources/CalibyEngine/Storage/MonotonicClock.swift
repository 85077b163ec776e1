import Glibc

/// Seconds on CLOCK_MONOTONIC: for deadlines and elapsed times, which a change of the wall clock
/// must not stretch or cut short. The one clock of the engine and the CLI.
package func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// splitmix64's finalizer: a fixed, well-spread 64-bit hash of a counter. The indexes use it
/// wherever they need randomness that must not depend on thread interleaving (HNSW levels, the
/// DiskANN build order, k-means seeds), so one-thread builds are reproducible.
enum SplitMix {
    /// The golden-ratio step splitmix64 adds per call (and `mix` adds once).
    static let increment: UInt64 = 0x9E37_79B9_7F4A_7C15

    static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ increment
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

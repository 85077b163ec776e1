/// A set of node numbers (the index's record numbers, as `PagedIndex.node(of:)` gives them) as a
/// bitset: a filtered search asks `contains` for nearly every node it meets, so membership is one
/// load and a mask, and a set over a million nodes is 128 KiB.
///
/// Sendable by this invariant: it is built by one thread at a time (`insert`; DiskANN's notes of
/// lists to prune under `overfullMutex`) and only read afterwards, by any number of threads;
/// nobody inserts once it has been handed to a search or to the prune.
final class NodeSet: @unchecked Sendable {
    /// Node numbers 0..<capacity may be members.
    let capacity: Int
    /// Members so far (an insert of a member already present does not count).
    private(set) var count = 0
    private var words: [UInt64]
    /// The pool its bytes are counted against, if any (BufferPool.chargedBytes).
    private let pool: BufferPool?

    /// A set that lives as long as a transaction (DiskANN's lists to prune) grows with the index and
    /// so is charged to `pool`; one made for a single search is not.
    init(capacity: Int, chargedTo pool: BufferPool? = nil) {
        precondition(capacity >= 0, "a node set's capacity cannot be negative")
        self.capacity = capacity
        words = [UInt64](repeating: 0, count: (capacity + 63) >> 6)
        self.pool = pool
        pool?.charge(words.count * 8)
    }

    deinit { pool?.release(words.count * 8) }

    func insert(_ node: Int) {
        precondition(node >= 0 && node < capacity, "node \(node) outside the set's 0..<\(capacity)")
        let bit: UInt64 = 1 << UInt64(node & 63)
        if words[node >> 6] & bit == 0 {
            words[node >> 6] |= bit
            count += 1
        }
    }

    /// False for a node outside 0..<capacity: a search may meet nodes the set's builder never saw
    /// (inserted since), and they are simply not allowed.
    @inline(__always)
    func contains(_ node: Int) -> Bool {
        guard UInt(bitPattern: node) < UInt(bitPattern: capacity) else { return false }
        return words.withUnsafeBufferPointer { $0[node >> 6] } & (1 << UInt64(node & 63)) != 0
    }

    /// Every member, ascending.
    func forEach(_ body: (Int) throws -> Void) rethrows {
        for w in 0..<wordCount { try forEach(inWord: w, body) }
    }

    /// The set is held as `wordCount` words of 64 nodes each, which threads can share out without
    /// a list of the members.
    var wordCount: Int { words.count }

    /// The members among nodes 64·w ..< 64·(w + 1), ascending.
    func forEach(inWord w: Int, _ body: (Int) throws -> Void) rethrows {
        var rest = words[w]
        while rest != 0 {
            try body(w << 6 + rest.trailingZeroBitCount)
            rest &= rest - 1
        }
    }
}

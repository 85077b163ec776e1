import Glibc

/// DiskANN's search list: the best `capacity` (L) nodes seen so far, closest first, each marked
/// once expanded. A sorted array rather than a heap because a beam takes the W closest unexpanded
/// entries, which a cursor over the sorted order finds directly. Raw storage, as in KeyHeap: the
/// list is changed for nearly every node a search meets (against two Arrays: +9 % QPS at L 100 by
/// codes, no measurable change at L 15).
///
/// The beam is kept here too, not in an Array the caller passes inout: an inout class property
/// is checked for exclusivity at run time on every access (about 2 % of a DiskANN search).
///
/// Invariants: `keys[0..<count]` ascending and `expanded[0..<count]` beside them, count ≤ capacity
/// ≤ allocated; no unexpanded entry sits before `cursor`; `beamKeys[0..<beamCount]`, beamCount ≤
/// allocated.
final class CandidateList {
    private var keys: UnsafeMutablePointer<UInt64>
    private var expanded: UnsafeMutablePointer<Bool>
    private var beamKeys: UnsafeMutablePointer<UInt64>
    private var allocated: Int
    private var count = 0
    private var capacity = 0
    private var cursor = 0
    private var beamCount = 0

    init() {
        allocated = 128
        keys = .allocate(capacity: allocated)
        expanded = .allocate(capacity: allocated)
        beamKeys = .allocate(capacity: allocated)
    }

    deinit {
        keys.deallocate()
        expanded.deallocate()
        beamKeys.deallocate()
    }

    func reset(capacity: Int) {
        if capacity > allocated {
            keys.deallocate()
            expanded.deallocate()
            beamKeys.deallocate()
            allocated = capacity
            keys = .allocate(capacity: allocated)
            expanded = .allocate(capacity: allocated)
            beamKeys = .allocate(capacity: allocated)
        }
        self.capacity = capacity
        count = 0
        cursor = 0
        beamCount = 0
    }

    /// Adds `key` unless the list is full of closer nodes.
    @inline(__always)
    func insert(_ key: UInt64) {
        if count == capacity {
            guard key < keys[capacity - 1] else { return }
            count -= 1
        }
        var low = 0, high = count
        while low < high {
            let mid = (low + high) >> 1
            if keys[mid] < key { low = mid + 1 } else { high = mid }
        }
        memmove(keys + low + 1, keys + low, (count - low) * MemoryLayout<UInt64>.stride)
        memmove(expanded + low + 1, expanded + low, count - low)
        keys[low] = key
        expanded[low] = false
        count += 1
        if low < cursor { cursor = low }
    }

    /// The closest entry not yet expanded: the likely head of the next beam.
    var nextUnexpanded: UInt64? { cursor < count ? keys[cursor] : nil }

    /// Marks the `width` closest unexpanded entries expanded; they are `beam` until the next call.
    func takeBeam(_ width: Int) {
        beamCount = 0
        var i = cursor
        while i < count && beamCount < width {
            if !expanded[i] {
                expanded[i] = true
                beamKeys[beamCount] = keys[i]
                beamCount += 1
            }
            i += 1
        }
        while cursor < count && expanded[cursor] { cursor += 1 }
    }

    /// Calls `body` with the `width` closest entries not yet expanded, after a `takeBeam`: the
    /// likely next beam (the current beam's neighbours may still push some of them out).
    func upcoming(_ width: Int, _ body: (UInt64) -> Void) {
        var i = cursor, n = 0
        while i < count && n < width {
            if !expanded[i] {
                body(keys[i])
                n += 1
            }
            i += 1
        }
    }

    /// The last beam taken; `insert` leaves it alone, so it can be walked while inserting.
    var beam: UnsafeBufferPointer<UInt64> { UnsafeBufferPointer(start: beamKeys, count: beamCount) }
}

/// What a DiskANN search, insert or repair needs beyond SearchScratch (whose `results` hold the
/// live hits, at most k, and whose kept slots hold RobustPrune's candidates: up to R in each of its
/// two lists, plus the one under test).
final class DiskANNScratch: SearchScratch {
    let list = CandidateList()
    /// Keys of the live nodes a build search expanded: Vamana's candidate pool.
    var expanded: [UInt64] = []
    /// A second link buffer: consolidation reads a deleted neighbour's links while holding a node's.
    /// Like SearchScratch's, it has room for a whole record's list (`linkCapacity`) and for
    /// RobustPrune's 2·R + 1.
    let otherLinks: UnsafeMutablePointer<UInt32>
    /// RobustPrune's kept candidates' labels, beside SearchScratch's kept vectors.
    let keptLabels: UnsafeMutablePointer<UInt32>
    var keptLabelCounts: [Int]
    /// The query's PQ distance table (see PQCodebook.fillTable): `pqBytes × 256` entries.
    let table: UnsafeMutablePointer<Float>

    init(nodes: Int, R: Int, linkCapacity: Int, dimensions: Int, pqBytes: Int, pool: BufferPool) {
        let maxLinks = max(2 * R + 1, linkCapacity)
        table = .allocate(capacity: max(1, pqBytes) * PQCodebook.centroids)
        otherLinks = .allocate(capacity: maxLinks)
        keptLabels = .allocate(capacity: (2 * R + 1) * DiskANNLayout.maxLabelsPerNode)
        keptLabelCounts = [Int](repeating: 0, count: 2 * R + 1)
        super.init(nodes: nodes, maxLinks: maxLinks, dimensions: dimensions, pool: pool)
    }

    deinit {
        otherLinks.deallocate()
        keptLabels.deallocate()
        table.deallocate()
    }

    @inline(__always) func keptLabels(_ slot: Int) -> UnsafeMutablePointer<UInt32> {
        keptLabels + slot * DiskANNLayout.maxLabelsPerNode
    }
}

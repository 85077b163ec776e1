/// DiskANN's search list: the best `capacity` (L) nodes seen so far, closest first, each marked
/// once expanded. A sorted array rather than a heap because a beam takes the W closest unexpanded
/// entries, which a cursor over the sorted order finds directly.
struct CandidateList {
    private(set) var keys: [UInt64] = []
    private var expanded: [Bool] = []
    private var capacity = 0
    /// No unexpanded entry sits before it.
    private var cursor = 0

    mutating func reset(capacity: Int) {
        keys.removeAll(keepingCapacity: true)
        expanded.removeAll(keepingCapacity: true)
        self.capacity = capacity
        cursor = 0
    }

    /// Adds `key` unless the list is full of closer nodes.
    @inline(__always)
    mutating func insert(_ key: UInt64) {
        if keys.count == capacity {
            guard key < keys[capacity - 1] else { return }
            keys.removeLast()
            expanded.removeLast()
        }
        var low = 0, high = keys.count
        while low < high {
            let mid = (low + high) >> 1
            if keys[mid] < key { low = mid + 1 } else { high = mid }
        }
        keys.insert(key, at: low)
        expanded.insert(false, at: low)
        if low < cursor { cursor = low }
    }

    /// Marks the `width` closest unexpanded entries expanded and returns them in `beam`.
    mutating func takeBeam(_ width: Int, into beam: inout [UInt64]) {
        beam.removeAll(keepingCapacity: true)
        var i = cursor
        while i < keys.count && beam.count < width {
            if !expanded[i] {
                expanded[i] = true
                beam.append(keys[i])
            }
            i += 1
        }
        while cursor < keys.count && expanded[cursor] { cursor += 1 }
    }
}

/// Everything one DiskANN search, insert or repair needs, reused across calls.
final class DiskANNScratch {
    let visited: VisitedSet
    var list = CandidateList()
    /// Max-heap of the live hits (complemented keys), at most k.
    let results = KeyHeap()
    var beam: [UInt64] = []
    /// Keys of the live nodes a build search expanded: Vamana's candidate pool.
    var expanded: [UInt64] = []
    let links: UnsafeMutablePointer<UInt32>
    /// A second link buffer: consolidation reads a deleted neighbour's links while holding a node's.
    let otherLinks: UnsafeMutablePointer<UInt32>
    /// The node whose links are being chosen (insert, back-link, repair).
    let pivot: UnsafeMutablePointer<Float>
    /// A normalized copy of the query (cosine).
    let query: UnsafeMutablePointer<Float>
    /// RobustPrune's kept candidates (up to R in each of its two lists) plus the one under test:
    /// vectors and labels.
    let keptVectors: UnsafeMutablePointer<Float>
    let keptLabels: UnsafeMutablePointer<UInt32>
    var keptLabelCounts: [Int]
    private let dimensions: Int

    init(nodes: Int, R: Int, dimensions: Int) {
        self.dimensions = dimensions
        visited = VisitedSet(capacity: nodes)
        links = .allocate(capacity: R)
        otherLinks = .allocate(capacity: R)
        pivot = .allocate(capacity: dimensions)
        query = .allocate(capacity: dimensions)
        keptVectors = .allocate(capacity: (2 * R + 1) * dimensions)
        keptLabels = .allocate(capacity: (2 * R + 1) * DiskANNLayout.maxLabelsPerNode)
        keptLabelCounts = [Int](repeating: 0, count: 2 * R + 1)
    }

    deinit {
        links.deallocate()
        otherLinks.deallocate()
        pivot.deallocate()
        query.deallocate()
        keptVectors.deallocate()
        keptLabels.deallocate()
    }

    @inline(__always) func keptVector(_ slot: Int) -> UnsafeMutablePointer<Float> { keptVectors + slot * dimensions }

    @inline(__always) func keptLabels(_ slot: Int) -> UnsafeMutablePointer<UInt32> {
        keptLabels + slot * DiskANNLayout.maxLabelsPerNode
    }
}

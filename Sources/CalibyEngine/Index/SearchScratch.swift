import CPrefetch
import Glibc

/// A distance and a node id packed so that integer order is distance order: graph searches keep
/// their heaps as plain `UInt64` arrays. The float is mapped to an order-preserving unsigned form
/// (negative inner-product distances sort correctly too).
@usableFromInline
struct RankedNode {
    @inline(__always) static func key(_ distance: Float, _ node: UInt32) -> UInt64 {
        let bits = distance.bitPattern
        let ordered = bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
        return UInt64(ordered) << 32 | UInt64(node)
    }

    @inline(__always) static func distance(_ key: UInt64) -> Float {
        let ordered = UInt32(truncatingIfNeeded: key >> 32)
        let bits = ordered & 0x8000_0000 != 0 ? ordered & 0x7FFF_FFFF : ~ordered
        return Float(bitPattern: bits)
    }

    @inline(__always) static func node(_ key: UInt64) -> Int { Int(UInt32(truncatingIfNeeded: key)) }
}

/// Cache lines of a neighbour's vector a graph search prefetches: the first 8 (512 bytes, a
/// whole 128-d float vector). Measured with HNSW on 100k×128 (ef 32): 1 line gave +20% QPS over
/// none, 2 lines +27%, all 8 lines +70% — the stream prefetcher does not start in time. More
/// than 8 is slower: a search prefetches every fresh neighbour at once, and 16 neighbours of 24
/// lines (384-d) overflow the core's line-fill buffers, so the prefetching loop itself stalls
/// (20k real 384-d, ef 64: 24 lines 6,900 QPS, 8 lines 8,300, 4 lines 8,300; BENCHMARKS.md).
/// The hardware prefetcher streams the rest once the distance loop reads the first lines.
func vectorPrefetchLines(vectorBytes: Int) -> Int { min(8, (vectorBytes + 63) / 64) }

/// A binary min-heap of keys over raw storage: it lives in long-lived scratch and is mutated on
/// the hottest path, where an Array's uniqueness and bounds checks showed up in profiles. A max-heap
/// is the same heap over complemented keys (`~key`).
final class KeyHeap {
    private var storage: UnsafeMutablePointer<UInt64>
    private var capacity: Int
    /// Private, `count` only reading it: a property mutable from elsewhere (another file, or a
    /// testing build's importers) keeps run-time exclusivity checks, and keepClosest reads it for
    /// every candidate a search meets.
    private var held = 0

    init(capacity: Int = 256) {
        self.capacity = capacity
        storage = .allocate(capacity: capacity)
    }

    deinit { storage.deallocate() }

    var count: Int { held }
    var isEmpty: Bool { held == 0 }
    var top: UInt64 { storage[0] }

    func removeAll() { held = 0 }

    @inline(__always)
    func push(_ key: UInt64) {
        if held == capacity { grow() }
        var child = held
        held += 1
        while child > 0 {
            let parent = (child - 1) >> 1
            if storage[parent] <= key { break }
            storage[child] = storage[parent]
            child = parent
        }
        storage[child] = key
    }

    /// For a heap of complemented keys holding the closest keys so far: admits `key` if fewer than
    /// `limit` are held or it is closer than the farthest, which it then replaces.
    @inline(__always)
    func keepClosest(_ key: UInt64, limit: Int) {
        if held < limit {
            push(~key)
        } else if key < ~storage[0] {
            pop()
            push(~key)
        }
    }

    @inline(__always)
    @discardableResult
    func pop() -> UInt64 {
        let result = storage[0]
        held -= 1
        let last = storage[held]
        let n = held
        if n > 0 {
            var parent = 0
            while true {
                var child = 2 * parent + 1
                if child >= n { break }
                if child + 1 < n && storage[child + 1] < storage[child] { child += 1 }
                if last <= storage[child] { break }
                storage[parent] = storage[child]
                parent = child
            }
            storage[parent] = last
        }
        return result
    }

    /// Empties a max-heap of complemented keys, returning the keys closest first (one sort beats
    /// `count` pops).
    func drainComplemented() -> [UInt64] {
        var out = UnsafeBufferPointer(start: storage, count: held).map { ~$0 }
        out.sort()
        held = 0
        return out
    }

    /// Empties a max-heap of complemented keys, returning their nodes in no order: for a list
    /// about to be measured again and sorted by the new distances, where sorting by the old would
    /// be work thrown away.
    func drainNodesOfComplemented() -> [Int] {
        let nodes = UnsafeBufferPointer(start: storage, count: held).map { RankedNode.node(~$0) }
        held = 0
        return nodes
    }

    private func grow() {
        let bigger = UnsafeMutablePointer<UInt64>.allocate(capacity: capacity * 2)
        bigger.update(from: storage, count: held)
        storage.deallocate()
        storage = bigger
        capacity *= 2
    }
}

/// Which nodes a search has seen, cleared in O(1) by bumping a generation tag. One byte per node:
/// the tags are read at random, so their array's size decides whether they stay in cache, and
/// wiping it every 255th search costs well under 1 % of the searches it serves. A byte per node of
/// the index's capacity grows with the index, so it is charged to the pool (BufferPool.chargedBytes).
final class VisitedSet {
    private var tags: UnsafeMutablePointer<UInt8>
    private let capacity: Int
    private var generation: UInt8 = 0
    private let pool: BufferPool

    init(capacity: Int, chargedTo pool: BufferPool) {
        self.capacity = capacity
        self.pool = pool
        tags = .allocate(capacity: capacity)
        tags.initialize(repeating: 0, count: capacity)
        pool.chargeAndEvict(capacity)
    }

    deinit {
        tags.deallocate()
        pool.release(capacity)
    }

    func clear() {
        generation &+= 1
        if generation == 0 {
            tags.update(repeating: 0, count: capacity)
            generation = 1
        }
    }

    /// Starts fetching `node`'s tag: a node's neighbours' tags are scattered over the whole array.
    @inline(__always)
    func prefetch(_ node: Int) { caliby_prefetch(tags + node) }

    /// True the first time `node` is seen since `clear`.
    @inline(__always)
    func insert(_ node: Int) -> Bool {
        if tags[node] == generation { return false }
        tags[node] = generation
        return true
    }
}

/// Everything one search or insert thread needs, reused across calls so the hot path allocates
/// nothing. DiskANN's scratch extends it with what only DiskANN uses.
class SearchScratch {
    /// The work of the searches since the scratch was last handed back, counted here without
    /// atomics and added to `WorkCounters` once per call (see `PerThreadPool.with`).
    private var pageAccesses = 0
    private var distances = 0

    /// Adds one search round's work: a search loop counts in locals and calls this once.
    @inline(__always) final func count(pageAccesses: Int, distances: Int) {
        self.pageAccesses &+= pageAccesses
        self.distances &+= distances
    }

    final func publishWork() {
        guard pageAccesses > 0 || distances > 0 else { return }
        WorkCounters.pageAccesses.wrappingIncrement(by: pageAccesses, ordering: .relaxed)
        WorkCounters.distances.wrappingIncrement(by: distances, ordering: .relaxed)
        pageAccesses = 0
        distances = 0
    }

    let visited: VisitedSet
    let candidates = KeyHeap()
    /// Max-heap of results, as complemented keys.
    let results = KeyHeap()
    let links: UnsafeMutablePointer<UInt32>
    let linkCapacity: Int
    /// A normalized copy of the query (cosine).
    let query: UnsafeMutablePointer<Float>
    /// The query in code units, for a walk by int8 codes (ScalarQuantizer.prepare).
    let codeQuery: UnsafeMutablePointer<Int16>
    /// Neighbour selection's kept vectors, one slot each; the candidate under test is copied into
    /// the next free slot (a selection keeps at most maxLinks, so it always has one), compared
    /// against the kept copies, and stays there if kept.
    let kept: UnsafeMutablePointer<Float>
    let dimensions: Int
    /// The node whose links are being re-selected.
    let pivot: UnsafeMutablePointer<Float>

    init(nodes: Int, maxLinks: Int, dimensions: Int, pool: BufferPool) {
        visited = VisitedSet(capacity: nodes, chargedTo: pool)
        linkCapacity = maxLinks + 1
        links = .allocate(capacity: linkCapacity)
        query = .allocate(capacity: dimensions)
        codeQuery = .allocate(capacity: dimensions)
        kept = .allocate(capacity: maxLinks * dimensions)
        self.dimensions = dimensions
        pivot = .allocate(capacity: dimensions)
    }

    deinit {
        links.deallocate()
        query.deallocate()
        codeQuery.deallocate()
        kept.deallocate()
        pivot.deallocate()
    }

    @inline(__always) final func keptVector(_ slot: Int) -> UnsafeMutablePointer<Float> { kept + slot * dimensions }

    /// Whether `covers` holds for the distance from kept copy `slot` to any of the kept copies
    /// `others`, tried in their order: the question both neighbour selections (HNSW's heuristic,
    /// DiskANN's RobustPrune) ask of every candidate. A candidate that is kept has been measured
    /// against every copy kept before it, all of them here and in cache, where the kernel is bound
    /// by its loads: past the first `singlyMeasured`, they are measured four at a time by the
    /// one-to-four kernel, which loads the candidate once for the four.
    @inline(__always)
    final func anyKept(_ others: some Sequence<Int>, near slot: Int, metric: Metric, covers: (Float) -> Bool) -> Bool {
        let candidate = UnsafePointer(keptVector(slot)), dims = dimensions
        func coveredBy(_ other: Int) -> Bool { covers(Distance.between(candidate, keptVector(other), dims, metric: metric)) }
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: 4) { group in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 4) { four in
                var measured = 0, grouped = 0
                for other in others {
                    if measured < SearchScratch.singlyMeasured {
                        measured += 1
                        if coveredBy(other) { return true }
                        continue
                    }
                    group[grouped] = other
                    grouped += 1
                    guard grouped == 4 else { continue }
                    grouped = 0
                    Distance.between(candidate, four: keptVector(group[0]), keptVector(group[1]), keptVector(group[2]),
                                     keptVector(group[3]), dims, metric: metric, into: four.baseAddress!)
                    if four.contains(where: covers) { return true }
                }
                return group.prefix(grouped).contains(where: coveredBy)
            }
        }
    }

    /// Kept copies `anyKept` measures one at a time before it goes four at a time: a candidate is
    /// most often covered by one of the first (the nearest to the node being linked), and a group of
    /// four would measure three for nothing. Four at a time, DiskANN's build of 20k real 384-d
    /// embeddings went from 6.65–7.62 to 5.75–7.05 s (medians of three runs of 5–6 alternated
    /// builds; BENCHMARKS.md), and its graph answered the queries exactly as before. HNSW's build,
    /// whose kept lists are at most M long, did not move (100k real 384-d: 19.85 against 19.79 s).
    static let singlyMeasured = 2

    /// Of a node's `n` neighbours in `links`, keeps the unvisited ones (in order, at the front),
    /// marks them visited and calls `fetch` on each so its record starts loading before the first
    /// distance: graph search is bound by memory latency, not arithmetic. Returns how many it kept.
    /// The visited tags are as scattered as the records, so they are prefetched first (a prefetch
    /// never faults: a corrupt link still reaches the capacity check, which throws `corrupt(link)`).
    @inline(__always)
    final func keepUnvisited(_ n: Int, capacity: Int, corrupt: (Int) -> Error, fetch: (Int) -> Void) throws -> Int {
        for i in 0..<n { visited.prefetch(Int(links[i])) }
        var fresh = 0
        for i in 0..<n {
            let next = Int(links[i])
            guard next < capacity else { throw corrupt(next) }
            guard visited.insert(next) else { continue }
            fetch(next)
            links[fresh] = UInt32(next)
            fresh += 1
        }
        return fresh
    }

    /// The query as the index compares it: for cosine, a normalized copy in `query`.
    final func prepared(_ query: UnsafePointer<Float>, metric: Metric) -> UnsafePointer<Float> {
        guard metric == .cosine else { return query }
        self.query.update(from: query, count: dimensions)
        Distance.normalize(self.query, dimensions)
        return UnsafePointer(self.query)
    }
}

/// Hands each thread its own scratch; each index type has its own kind of scratch.
final class PerThreadPool<Scratch: SearchScratch> {
    private let mutex = Mutex()
    private var free: [Scratch] = []
    private let make: () -> Scratch

    init(make: @escaping () -> Scratch) { self.make = make }

    func with<R>(_ body: (Scratch) throws -> R) rethrows -> R {
        let scratch = mutex.withLock { free.popLast() } ?? make()
        defer {
            scratch.publishWork()
            mutex.withLock { free.append(scratch) }
        }
        return try body(scratch)
    }
}

typealias ScratchPool = PerThreadPool<SearchScratch>

/// Search restricted to a set of nodes (the document layer evaluates a filter into a `NodeSet`).
/// Both index types conform; each chooses its path with `FilteredPath.choose`.
protocol FilteredSearching: VectorIndex {
    /// The k nearest live vectors among `allowed`, closest first. Chooses exact distances over the
    /// allowed nodes or a filtered graph traversal by selectivity (see the rule in this file).
    func search(_ query: UnsafePointer<Float>, parameters: SearchParameters, allowed: NodeSet) throws -> [SearchHit]
}

/// How a filtered search runs.
enum FilteredPath: Equatable {
    /// The exact distance to every allowed node: cost proportional to the allowed count, recall 1.
    case exact
    /// `filteredBestFirst`; `twoHop` for a selective filter.
    case graph(twoHop: Bool)

    static func choose(allowed: Int, live: Int, listSize: Int) -> FilteredPath {
        if allowed <= max(exactMinimum, Int(exactFraction * Double(live))) { return .exact }
        return .graph(twoHop: Double(allowed) < twoHopFraction * Double(live))
    }

    static let exactMinimum = 2_000
    static let exactFraction = 0.1
    static let twoHopFraction = 0.3
}

/// The exact path both index types share: offers every allowed node below `nodes` (the records
/// allocated; a set may name more) to `results` (complemented keys, the best `k`). `distance`
/// gives nil for a node that must not be returned (deleted, freed).
func exactNearest(_ allowed: NodeSet, nodes: Int, k: Int, into results: KeyHeap,
                  distance: (Int) throws -> Float?) rethrows {
    results.removeAll()
    try allowed.forEach { node in
        guard node < nodes, let d = try distance(node) else { return }
        results.keepClosest(RankedNode.key(d, UInt32(node)), limit: k)
    }
}

/// What the filtered graph search needs of an index: its base graph (HNSW's level 0, DiskANN's
/// one graph) and its records.
protocol FilteredGraph: PagedIndex {
    /// Copies a node's base-graph links into `buffer` (room for the scratch's link capacity);
    /// returns their count, clamped to what a record holds.
    func baseLinks(of node: Int, into buffer: UnsafeMutablePointer<UInt32>) throws -> Int
    /// A node's distance from `q` and whether it is live, in one optimistic read of its record.
    func measure(_ q: UnsafePointer<Float>, _ node: Int) throws -> (distance: Float, live: Bool)
    /// Starts fetching what `measure` reads of a node, and with `links` its base links too.
    func prefetch(_ node: Int, links: Bool)
}

extension FilteredGraph {
    /// hnswlib's best-first search with a filter (ACORN, Patel et al., SIGMOD 2024, on the usual
    /// graph: the predicate is applied while searching). Started from `seeds` (keys of measured
    /// nodes); leaves the best `ef` allowed live nodes in `scratch.results` (complemented keys).
    ///
    /// Every node met is measured and may be expanded, allowed or not: a non-allowed node is a
    /// bridge, without which the search strands where the filter leaves the query's surroundings
    /// empty. Only allowed live nodes enter the results, so `ef` and the stopping bound count
    /// allowed nodes only; the walk goes as far as it takes to find `ef` of them. (DiskANN's own
    /// list of the `L` closest nodes, whatever the filter, filled with non-allowed nodes around the
    /// query and never reached an allowed region further away: recall 0.06 in the tests.)
    ///
    /// With `twoHop` (a selective filter), each non-allowed neighbour's allowed neighbours are
    /// measured at once, ACORN-1's expansion: the results fill, and their bound tightens, sooner,
    /// which stops the walk through bridges earlier.
    func filteredBestFirst(_ q: UnsafePointer<Float>, from seeds: [UInt64], ef: Int, allowed: NodeSet,
                           twoHop: Bool, scratch s: SearchScratch) throws {
        s.visited.clear()
        s.candidates.removeAll()
        s.results.removeAll()
        var bound = Float.infinity
        /// Queues a measured node for expansion, and among the results if it may be returned.
        func offer(_ node: Int, _ d: Float, returnable: Bool) {
            guard s.results.count < ef || d < bound else { return }
            let key = RankedNode.key(d, UInt32(node))
            s.candidates.push(key)
            guard returnable else { return }
            s.results.keepClosest(key, limit: ef)
            bound = RankedNode.distance(~s.results.top)
        }
        for seed in seeds where s.visited.insert(RankedNode.node(seed)) {
            let node = RankedNode.node(seed)
            offer(node, RankedNode.distance(seed), returnable: try allowed.contains(node) && measure(q, node).live)
        }
        let capacity = layout.records.capacity
        while !s.candidates.isEmpty {
            let next = s.candidates.pop()
            if RankedNode.distance(next) > bound && s.results.count >= ef { break }
            let node = RankedNode.node(next)
            // As in HNSWIndex.searchLevel: the likely next node's links are fetched ahead.
            if !s.candidates.isEmpty { prefetch(RankedNode.node(s.candidates.top), links: true) }
            let n = try baseLinks(of: node, into: s.links)
            let fresh = try s.keepUnvisited(n, capacity: capacity, corrupt: { corruptLink(node, $0) }) {
                prefetch($0, links: twoHop && !allowed.contains($0))
            }
            for i in 0..<fresh {
                let neighbour = Int(s.links[i])
                let isAllowed = allowed.contains(neighbour)
                let (d, live) = try measure(q, neighbour)
                offer(neighbour, d, returnable: isAllowed && live)
                guard twoHop && !isAllowed else { continue }
                // The unvisited allowed ones first, compacted and fetched, then measured.
                let m = try baseLinks(of: neighbour, into: s.otherLinks)
                var hops = 0
                for j in 0..<m {
                    let next = Int(s.otherLinks[j])
                    guard next < capacity else { throw corruptLink(neighbour, next) }
                    guard allowed.contains(next), s.visited.insert(next) else { continue }
                    prefetch(next, links: false)
                    s.otherLinks[hops] = UInt32(next)
                    hops += 1
                }
                for j in 0..<hops {
                    let next = Int(s.otherLinks[j])
                    let (d, live) = try measure(q, next)
                    offer(next, d, returnable: live)
                }
            }
        }
    }
}

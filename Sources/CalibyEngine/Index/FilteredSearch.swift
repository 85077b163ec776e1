/// Search restricted to a set of nodes (the document layer evaluates a filter into a `NodeSet`).
/// Both index types conform; each chooses its path with `FilteredPath.choose`.
protocol FilteredSearching: GraphIndex {
    /// The k nearest live vectors among `allowed`, closest first. Chooses exact distances over the
    /// allowed nodes or a filtered graph traversal by selectivity (see the rule in this file).
    func search(_ query: UnsafePointer<Float>, parameters: SearchParameters, allowed: NodeSet) throws -> [SearchHit]
}

/// How a filtered search runs.
enum FilteredPath: Equatable {
    /// The exact distance to every allowed node (`exactNearest`): recall 1, cost proportional to
    /// the allowed count.
    case exact
    /// The filtered best-first search of the graph (`filteredBestFirst`).
    case graph

    /// Exact when `allowed` ≤ 2.5·√(listSize · live). The graph search must find `listSize`
    /// allowed nodes, and at selectivity s = allowed/live it meets about 1/s nodes per allowed one,
    /// so its cost grows like listSize/s; the exact path's like s · live. They cross at
    /// s ≈ c·√(listSize/live), i.e. allowed ≈ c·√(listSize · live).
    ///
    /// Measured (bench/filtered_search_threshold.sh: 100k × 128 clustered, default build, k = 10,
    /// one thread, release, a machine shared with other builds; QPS exact / graph, graph recall@10):
    ///
    ///     allowed   HNSW ef 64                  DiskANN L 100
    ///       1 %     11604 /   347  (0.9997)     16573 /  197  (1.0)
    ///       2 %      7680 /   644  (1.0)         6447 /  342  (1.0)
    ///       5 %      2559 /  1913  (1.0)         2612 /  908  (1.0)
    ///      10 %      1428 /  3683  (1.0)         1392 / 1930  (1.0)
    ///      20 %       690 /  4962  (0.9997)       742 / 2553  (1.0)
    ///      50 %       306 /  6749  (0.9967)       298 / 3851  (1.0)
    ///     100 %       162 / 10003  (0.9847)       143 / 4865  (0.9927)
    ///
    /// Interpolating (exact QPS ∝ 1/s, graph QPS ∝ s), the paths cross at 6.0 % for HNSW ef 64
    /// (c = 2.4), 9.4 % at ef 128 (c = 2.6), 8.5 % for DiskANN L 100 (c = 2.7), 13 % at L 200
    /// (c = 2.9): the √listSize term holds, and c = 2.5 chooses within ~10 % of the faster path
    /// around the crossover, where the two cost about the same. The exact path's recall is 1; the
    /// graph path's is the unfiltered search's at the same list size or better.
    static func choose(allowed: Int, live: Int, listSize: Int) -> FilteredPath {
        Double(allowed) <= exactFactor * (Double(listSize) * Double(live)).squareRoot() ? .exact : .graph
    }

    static let exactFactor = 2.5
}

/// What the filtered search needs of an index: its base graph (HNSW's level 0, DiskANN's one
/// graph) and its records.
protocol FilteredGraph: PagedIndex {
    /// Copies a node's base-graph links into `buffer` (room for the scratch's link capacity);
    /// returns their count, clamped to what a record holds.
    func baseLinks(of node: Int, into buffer: UnsafeMutablePointer<UInt32>) throws -> Int
    /// A node's distance from `q` and whether it is live, in one optimistic read of its record.
    func measure(_ q: UnsafePointer<Float>, _ node: Int) throws -> (distance: Float, live: Bool)
    /// Starts fetching what `measure` reads of a node, and with `links` its base links too.
    func prefetch(_ node: Int, links: Bool)
    /// The search on a given path (the rule's choice; tests and the benchmark force each).
    func search(_ query: UnsafePointer<Float>, parameters: SearchParameters, allowed: NodeSet,
                path: FilteredPath) throws -> [SearchHit]
}

extension FilteredGraph {
    /// `FilteredSearching`'s search: the path `FilteredPath.choose` picks for this set.
    func search(_ query: UnsafePointer<Float>, parameters: SearchParameters, allowed: NodeSet) throws -> [SearchHit] {
        let path = FilteredPath.choose(allowed: allowed.count, live: count, listSize: parameters.listSize(info.type))
        return try search(query, parameters: parameters, allowed: allowed, path: path)
    }

    /// The exact path: measures every allowed node below `nodes` (the records allocated; a set may
    /// name more) and leaves the best `k` live ones in `scratch.results` (complemented keys). The
    /// members come in batches whose records are all fetched before the first is measured: one at a
    /// time, each waited for its own cache and TLB misses.
    func exactNearest(_ q: UnsafePointer<Float>, allowed: NodeSet, nodes: Int, k: Int, scratch s: SearchScratch) throws {
        s.results.removeAll()
        // The link buffer is free on this path; it holds at least 2·M or 2·R + 2 entries.
        let batch = min(16, s.linkCapacity)
        let readAhead = space.outgrowsPool
        var pending = 0
        func measurePending() throws {
            if readAhead { readAheadRecords(s.links, count: pending) }
            for i in 0..<pending {
                let node = Int(s.links[i])
                let (d, live) = try measure(q, node)
                if live { s.results.keepClosest(RankedNode.key(d, UInt32(node)), limit: k) }
            }
            pending = 0
        }
        try allowed.forEach { node in
            guard node < nodes else { return }
            prefetch(node, links: false)
            s.links[pending] = UInt32(node)
            pending += 1
            if pending == batch { try measurePending() }
        }
        try measurePending()
    }

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
    /// ACORN-1's two-hop expansion (each non-allowed neighbour's allowed neighbours measured at
    /// once) was measured too, and was slower at every selectivity on both index types (BENCHMARKS.md,
    /// "Filtered search"); where it could help, at a few per cent allowed, the exact path is faster.
    func filteredBestFirst(_ q: UnsafePointer<Float>, from seeds: [UInt64], ef: Int, allowed: NodeSet,
                           scratch s: SearchScratch) throws {
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
        let capacity = layout.records.capacity, readAhead = space.outgrowsPool
        while !s.candidates.isEmpty {
            let next = s.candidates.pop()
            if RankedNode.distance(next) > bound && s.results.count >= ef { break }
            let node = RankedNode.node(next)
            // As in HNSWIndex.searchLevel: the likely next node's links are fetched ahead.
            if !s.candidates.isEmpty { prefetch(RankedNode.node(s.candidates.top), links: true) }
            let n = try baseLinks(of: node, into: s.links)
            let fresh = try s.keepUnvisited(n, capacity: capacity, corrupt: { corruptLink(node, $0) }) {
                prefetch($0, links: false)
            }
            if readAhead { readAheadRecords(s.links, count: fresh) }
            for i in 0..<fresh {
                let neighbour = Int(s.links[i])
                let (d, live) = try measure(q, neighbour)
                offer(neighbour, d, returnable: live && allowed.contains(neighbour))
            }
        }
    }
}

/// Filtered search (FilteredSearch.swift): exact distances over a small allowed set, otherwise the
/// filtered best-first search of level 0. The upper levels are descended as without a filter: they
/// only find where level 0 starts, and `searchLevel` stays as it is for the unfiltered search.
extension HNSWIndex: FilteredSearching, FilteredGraph {
    func search(_ query: UnsafePointer<Float>, parameters: SearchParameters, allowed: NodeSet,
                path: FilteredPath) throws -> [SearchHit] {
        guard let entry = try searchEntry(parameters), allowed.count > 0 else { return [] }
        let nodes = allocatedNodes
        return try scratch.with { s in
            let q = s.prepared(query, metric: metric)
            switch path {
            case .exact:
                try exactNearest(q, allowed: allowed, nodes: nodes, k: parameters.k, scratch: s)
            case .graph:
                let listSize = parameters.listSize(.hnsw)
                let seeds = try levelZeroSeeds(q, entry: entry, listSize: listSize, scratch: s)
                try filteredBestFirst(q, from: seeds, ef: listSize, allowed: allowed, scratch: s)
            }
            return try hits(s.results, k: parameters.k)
        }
    }

    func baseLinks(of node: Int, into buffer: UnsafeMutablePointer<UInt32>) throws -> Int {
        try readLinks(of: node, level: 0, into: buffer)
    }

    @inline(__always)
    func measure(_ q: UnsafePointer<Float>, _ node: Int) throws -> (distance: Float, live: Bool) {
        let (page, offset) = layout.records.locate(node)
        let stored = self.stored, metric = self.metric, vectorOffset = layout.vectorOffset
        return try space.readOptimistic(page) { p in
            (stored.distance(q, p + offset + vectorOffset, metric: metric),
             p.load(fromByteOffset: offset + HNSWLayout.levelOffset, as: UInt32.self) & HNSWLayout.deletedBit == 0)
        }
    }

    /// A record's links lead it (the level word is on the first line) and its vector ends it.
    @inline(__always)
    func prefetch(_ node: Int, links: Bool) {
        let (page, offset) = layout.records.locate(node)
        space.prefetch(page, offset: offset, lines: links ? linkLines : 1)
        prefetchVector(of: node)
    }

    /// Starts loading a node's vector alone (re-measuring a list found by codes reads nothing else).
    @inline(__always)
    func prefetchVector(of node: Int) {
        let (page, offset) = layout.records.locate(node)
        space.prefetch(page, offset: offset + layout.vectorOffset, lines: prefetchLines)
    }
}

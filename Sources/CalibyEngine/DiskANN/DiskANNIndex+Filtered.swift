/// Filtered search (FilteredSearch.swift): exact distances over a small allowed set, otherwise the
/// filtered best-first search from the medoid, with exact distances whatever `distances` asks. A
/// node set has no start points of its own (a label has), so the search walks through the nodes the
/// set leaves out; `greedySearch`'s list of the L closest nodes would fill with them (see
/// `filteredBestFirst`), so the node set does not drive it as a label does.
extension DiskANNIndex: FilteredSearching, FilteredGraph {
    func search(_ query: UnsafePointer<Float>, parameters: SearchParameters, allowed: NodeSet,
                path: FilteredPath) throws -> [SearchHit] {
        if parameters.filter != nil {
            throw CalibyError.invalidArgument("index '\(info.name)': a label filter cannot be combined with a set of allowed nodes")
        }
        let (medoid, nodes) = headerMutex.withLock { (header.medoid, header.nodeCount) }
        guard parameters.k > 0, medoid >= 0, allowed.count > 0 else { return [] }
        return try scratch.with { s in
            let q = s.prepared(query, metric: metric)
            switch path {
            case .exact:
                try exactNearest(q, allowed: allowed, nodes: nodes, k: parameters.k, scratch: s)
            case .graph:
                let seed = RankedNode.key(try distance(q, toNode: medoid), UInt32(medoid))
                try filteredBestFirst(q, from: [seed], ef: parameters.listSize(.diskann), allowed: allowed, scratch: s)
            }
            return try hits(s.results, k: parameters.k)
        }
    }

    func baseLinks(of node: Int, into buffer: UnsafeMutablePointer<UInt32>) throws -> Int {
        try readLinks(of: node, into: buffer).count
    }

    @inline(__always)
    func measure(_ q: UnsafePointer<Float>, _ node: Int) throws -> (distance: Float, live: Bool) {
        let dims = dimensions, metric = self.metric
        return try peekRecord(node) { (Distance.between(q, $0.vector, dims, metric: metric), $0.state == .live) }
    }

    @inline(__always)
    func prefetch(_ node: Int, links: Bool) {
        prefetchRecord(node, withState: true)
        if links { prefetchLinks(node) }
    }
}

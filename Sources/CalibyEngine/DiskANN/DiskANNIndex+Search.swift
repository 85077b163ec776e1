import Glibc

/// Searching: the exact beam search (also the build's), the one steered by PQ codes, and the
/// `search` entry point that picks between them.
extension DiskANNIndex {
    /// DiskANN's beam search: each round expands the `width` closest unexpanded nodes of a list of
    /// the best `L` seen. Deleted nodes are walked through; only live ones enter `scratch.results`
    /// (the best `k`). With `collect`, `scratch.expanded` receives the live nodes expanded.
    ///
    /// `allLive` (no node is marked deleted) spares an unfiltered search each neighbour's state word,
    /// a cache line of its own beside the vector's; so does k = 0 (the build's searches, which
    /// return nothing and so never ask whether a node is live).
    func greedySearch(_ q: UnsafePointer<Float>, from entryPoints: [Int], filter: [UInt32]?, L: Int, width: Int,
                              k: Int, collect: Bool, allLive: Bool = false, scratch s: DiskANNScratch) throws {
        let allLive = allLive || k == 0
        let skipState = allLive && filter == nil
        s.visited.clear()
        s.list.reset(capacity: L)
        s.results.removeAll()
        s.expanded.removeAll(keepingCapacity: true)
        var accesses = 0, distances = 0
        defer { s.count(pageAccesses: accesses, distances: distances) }
        // A beam's records were read when they were measured; their neighbours' are asked of the
        // disk together (`readAheadRecords`). Not by the build's searches (k = 0): through a small
        // pool they mostly find the pages in the OS's cache, where asking costs a call and saves none.
        let readAhead = k > 0 && space.outgrowsPool
        for node in entryPoints where s.visited.insert(node) {
            accesses += 1
            distances += 1
            try consider(node, q, filter: filter, k: k, allLive: allLive, scratch: s)
        }
        while true {
            s.list.takeBeam(width)
            if s.list.beam.isEmpty { break }
            // As in HNSWIndex.searchLevel: the likely next node's links and the neighbours'
            // visited tags are fetched ahead, so neither stalls the loop.
            if let upcoming = s.list.nextUnexpanded { prefetchLinks(RankedNode.node(upcoming)) }
            for key in s.list.beam {
                let node = RankedNode.node(key)
                let (n, live) = try readLinks(of: node, into: s.links)
                if collect && live { s.expanded.append(key) }
                let fresh = try s.keepUnvisited(n, capacity: layout.capacity, corrupt: { corruptLink(node, $0) }) {
                    prefetchRecord($0, withState: !skipState)
                }
                if readAhead { readAheadRecords(s.links, count: fresh) }
                accesses += 1 + fresh
                distances += fresh
                for i in 0..<fresh { try consider(Int(s.links[i]), q, filter: filter, k: k, allLive: allLive, scratch: s) }
            }
        }
    }

    @inline(__always)
    private func consider(_ node: Int, _ q: UnsafePointer<Float>, filter: [UInt32]?, k: Int, allLive: Bool,
                          scratch s: DiskANNScratch) throws {
        guard let (d, live) = try probe(q, node, filter: filter, allLive: allLive) else { return }
        let key = RankedNode.key(d, UInt32(node))
        s.list.insert(key)
        if live && k > 0 { s.results.keepClosest(key, limit: k) }
    }

    /// DiskANN's search over codes: the list ranks candidates by PQ distance, and each expanded
    /// node, read whole, gives its links and its exact distance; `scratch.results` receives the best
    /// `k` live expanded nodes by exact distance, and with `collect` `scratch.expanded` all of them
    /// (FreshDiskANN's insert into an index on disk). A beam's records are fetched together.
    func compressedSearch(_ q: UnsafePointer<Float>, from entryPoints: [Int], filter: [UInt32]?, L: Int, width: Int,
                          k: Int, collect: Bool = false, codebook: PQCodebook, scratch s: DiskANNScratch) throws {
        codebook.fillTable(q, metric: metric, into: s.table)
        let table = UnsafePointer(s.table)
        s.visited.clear()
        s.list.reset(capacity: L)
        s.results.removeAll()
        s.expanded.removeAll(keepingCapacity: true)
        // Code pages and records read, PQ and exact distances alike.
        var accesses = 0, distances = 0
        defer { s.count(pageAccesses: accesses, distances: distances) }
        for node in entryPoints where s.visited.insert(node) {
            accesses += filter == nil ? 1 : 2
            distances += 1
            try enqueue(node, table: table, filter: filter, scratch: s)
        }
        let dims = dimensions, metric = self.metric, linkLimit = layout.linkCapacity
        while true {
            s.list.takeBeam(width)
            if s.list.beam.isEmpty { break }
            // A beam's records not in the pool are asked of the disk together before the first is
            // read, so a cold hop waits for one round trip, not one per record (DiskANN's beam).
            if width > 1 {
                for key in s.list.beam { space.readAhead(layout.records.locate(RankedNode.node(key)).page) }
                s.list.upcoming(width) { space.readAhead(layout.records.locate(RankedNode.node($0)).page) }
            }
            for key in s.list.beam {
                let (page, offset) = layout.records.locate(RankedNode.node(key))
                space.prefetch(page, offset: offset, lines: recordLines)
            }
            for key in s.list.beam {
                let node = RankedNode.node(key)
                let (n, live, d) = try peekRecord(node) { r in
                    let n = r.linkCount(limit: linkLimit)
                    for i in 0..<n { s.links[i] = r.links[i] }
                    return (n, r.state == .live, Distance.between(q, r.vector, dims, metric: metric))
                }
                if live && k > 0 { s.results.keepClosest(RankedNode.key(d, UInt32(node)), limit: k) }
                if live && collect { s.expanded.append(RankedNode.key(d, UInt32(node))) }
                let fresh = try s.keepUnvisited(n, capacity: layout.capacity, corrupt: { corruptLink(node, $0) }) { next in
                    let (codePage, codeOffset) = layout.code(next)
                    space.prefetch(codePage, offset: codeOffset, lines: layout.codeLines(codeOffset))
                    if filter != nil {
                        let (page, offset) = layout.records.locate(next)
                        space.prefetch(page, offset: offset, lines: 1)
                    }
                }
                accesses += 1 + (filter == nil ? fresh : 2 * fresh)
                distances += 1 + fresh
                for i in 0..<fresh { try enqueue(Int(s.links[i]), table: table, filter: filter, scratch: s) }
            }
        }
    }

    /// Puts a node on the search list at its code's distance; with a filter, only if it carries a
    /// label of it (which reads its record: labels live there).
    @inline(__always)
    private func enqueue(_ node: Int, table: UnsafePointer<Float>, filter: [UInt32]?, scratch s: DiskANNScratch) throws {
        if let filter, try !peekRecord(node, { $0.carriesAny(of: filter) }) { return }
        let (page, offset) = layout.code(node)
        let m = layout.pqBytes
        let d = try space.readOptimistic(page) { PQCodebook.distance($0 + offset, table: table, subspaces: m) }
        s.list.insert(RankedNode.key(d, UInt32(node)))
    }

    package func search(_ query: UnsafePointer<Float>, parameters: SearchParameters) throws -> [SearchHit] {
        guard parameters.k > 0 else { return [] }
        let (entry, trained, nodeCount, allLive) = headerMutex.withLock { () -> (Int?, PQCodebook?, Int, Bool) in
            let entry = parameters.filter.map { starts.start(of: $0) } ?? (header.medoid >= 0 ? header.medoid : nil)
            return (entry, self.codebook, header.nodeCount, header.deletedCount == 0)
        }
        let codebook = ranking(parameters, trained: trained, nodeCount: nodeCount)
        guard let entry else { return [] }
        return try scratch.with { s in
            let q = s.prepared(query, metric: metric), filter = parameters.filter.map { [$0] }
            let L = parameters.listSize(.diskann), width = max(1, parameters.beamWidth)
            if let codebook {
                try compressedSearch(q, from: [entry], filter: filter, L: L, width: width, k: parameters.k,
                                     codebook: codebook, scratch: s)
            } else {
                try greedySearch(q, from: [entry], filter: filter, L: L, width: width, k: parameters.k, collect: false,
                                 allLive: allLive, scratch: s)
            }
            return try hits(s.results, k: parameters.k)
        }
    }

    /// The codebook searches with `parameters` rank candidates by, nil when they rank by exact
    /// distance: `.auto` uses the codes only when the records in use do not fit in the pool.
    private func ranking(_ parameters: SearchParameters, trained: PQCodebook?, nodeCount: Int) -> PQCodebook? {
        switch parameters.distances {
        case .pq: return trained
        case .exact: return nil
        case .auto:
            let usedBytes = layout.records.pages(holding: nodeCount).upperBound * layout.pageSize
            return usedBytes > space.pool.pageBudgetBytes ? trained : nil
        }
    }

    /// The code pages of the slots in use, when searches with `parameters` rank by the codes.
    package func pagesSharedBySearches(_ parameters: SearchParameters) -> Range<Int> {
        let (trained, nodeCount) = headerMutex.withLock { (codebook, header.nodeCount) }
        guard ranking(parameters, trained: trained, nodeCount: nodeCount) != nil, nodeCount > 0 else { return 0..<0 }
        return layout.codeBase..<layout.code(nodeCount - 1).page + 1
    }
}

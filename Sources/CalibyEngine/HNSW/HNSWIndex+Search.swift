/// Searching: greedy descent through the upper levels, then hnswlib's best-first search of one
/// level, started at level 1 from several nodes (see `levelOneListSize`). With int8 quantization a
/// search walks all levels by the codes (`codes`, a CodeQuery) and re-ranks level 0's list by the
/// vectors, as an insert re-measures each level's candidates; filtered searches walk by vectors.
extension HNSWIndex {
    /// Greedy descent through levels above `target`, returning the closest node found.
    func descend(_ query: UnsafePointer<Float>, from entry: Int, topLevel: Int, to target: Int,
                 codes: CodeQuery? = nil, scratch: SearchScratch) throws -> (Int, Float) {
        var current = entry
        var currentDistance = try distance(query, toNode: entry, codes: codes)
        var level = topLevel
        var accesses = 1, distances = 1
        defer { scratch.count(pageAccesses: accesses, distances: distances) }
        while level > target {
            var changed = true
            while changed {
                changed = false
                let n = try readLinks(of: current, level: level, into: scratch.links)
                accesses += 1 + n
                distances += n
                for i in 0..<n {
                    let candidate = Int(scratch.links[i])
                    guard candidate < layout.capacity else { throw corruptLink(current, candidate) }
                    let d = try distance(query, toNode: candidate, codes: codes)
                    if d < currentDistance {
                        currentDistance = d
                        current = candidate
                        changed = true
                    }
                }
            }
            level -= 1
        }
        return (current, currentDistance)
    }

    /// Best-first search of one level (hnswlib's searchBaseLayer), started from `seeds` (keys of
    /// nodes already measured). Leaves up to `ef` results in `scratch.results` (complemented keys, a
    /// max-heap); deleted nodes are walked but not returned.
    func searchLevel(_ query: UnsafePointer<Float>, from seeds: [UInt64], ef: Int, level: Int,
                     skipDeleted: Bool, codes: CodeQuery? = nil, scratch: SearchScratch) throws {
        scratch.visited.clear()
        scratch.candidates.removeAll()
        scratch.results.removeAll()
        for seed in seeds where scratch.visited.insert(RankedNode.node(seed)) {
            scratch.candidates.push(seed)
            if skipDeleted, try isDeleted(RankedNode.node(seed)) { continue }
            scratch.results.keepClosest(seed, limit: ef)
        }
        var bound = scratch.results.isEmpty ? Float.infinity : RankedNode.distance(~scratch.results.top)
        var accesses = 0, distances = 0
        defer { scratch.count(pageAccesses: accesses, distances: distances) }
        let (hopOffset, hopLines) = codes == nil ? (layout.vectorOffset, prefetchLines) : (layout.codeOffset, codePrefetchLines)
        let readAhead = space.outgrowsPool
        while !scratch.candidates.isEmpty {
            let next = scratch.candidates.pop()
            if RankedNode.distance(next) > bound && scratch.results.count >= ef { break }
            let node = RankedNode.node(next)
            // The candidate likely expanded next: start fetching its link list now, so that miss
            // overlaps this node's distances instead of stalling the next round.
            if level == 0 && !scratch.candidates.isEmpty {
                let (page, offset) = layout.records.locate(RankedNode.node(scratch.candidates.top))
                space.prefetch(page, offset: offset, lines: linkLines)
            }
            let n = try readLinks(of: node, level: level, into: scratch.links)
            let fresh = try scratch.keepUnvisited(n, capacity: layout.capacity, corrupt: { corruptLink(node, $0) }) {
                let (page, offset) = layout.records.locate($0)
                space.prefetch(page, offset: offset + hopOffset, lines: hopLines)
            }
            if readAhead { readAheadRecords(scratch.links, count: fresh) }
            accesses += 1 + fresh
            distances += fresh
            let stored = self.stored, metric = self.metric
            for i in 0..<fresh {
                let neighbour = Int(scratch.links[i])
                // Written out rather than calling distance(_:toNode:): the compiler kept that call
                // out of line here, a quarter of build time in profiles.
                let (page, offset) = layout.records.locate(neighbour)
                let (d, deleted) = try space.readOptimistic(page) { p in
                    (codes?.distance(p + offset + hopOffset) ?? stored.distance(query, p + offset + hopOffset, metric: metric),
                     skipDeleted && p.load(fromByteOffset: offset + HNSWLayout.levelOffset, as: UInt32.self) & HNSWLayout.deletedBit != 0)
                }
                guard scratch.results.count < ef || d < bound else { continue }
                let key = RankedNode.key(d, UInt32(neighbour))
                scratch.candidates.push(key)
                if !deleted {
                    scratch.results.keepClosest(key, limit: ef)
                }
                if !scratch.results.isEmpty { bound = RankedNode.distance(~scratch.results.top) }
            }
        }
    }

    /// How many nodes level 1 hands to level 0 as starting points. hnswlib descends greedily to one
    /// node, and which one decides a lot: on 1M×128 its own builds ranged 0.953–0.967 recall@10 at
    /// ef 64, and ours, started from hnswlib's landing node, did better than from our own. Several
    /// starts remove that luck. At ef 40 on 1M×128 a level-1 list of ef/4 raised recall from 0.896
    /// to 0.953 for 2 % more distance computations; ef/2 lies on the same recall-per-distance curve.
    /// On 100k the gain is small and costs nothing at equal recall (BENCHMARKS.md).
    static func levelOneListSize(_ listSize: Int) -> Int { max(1, listSize / 4) }

    package func search(_ query: UnsafePointer<Float>, parameters: SearchParameters) throws -> [SearchHit] {
        guard let entry = try searchEntry(parameters) else { return [] }
        return try scratch.with { scratch in
            let q = scratch.prepared(query, metric: metric)
            let listSize = parameters.listSize(.hnsw)
            let codes = entry.quantizer?.prepare(q, metric: metric, into: scratch.codeQuery)
            let seeds = try levelZeroSeeds(q, entry: entry, listSize: listSize, codes: codes, scratch: scratch)
            try searchLevel(q, from: seeds, ef: listSize, level: 0, skipDeleted: entry.deleted > 0, codes: codes, scratch: scratch)
            guard codes != nil else { return try hits(scratch.results, k: parameters.k) }
            return try hits(sorted: measured(scratch.results.drainNodesOfComplemented(), from: q, scratch: scratch).sorted(), k: parameters.k)
        }
    }

    /// Keys of `nodes` measured from `q` by their vectors, in the order given: a list found by
    /// codes, to be re-ranked (its order by codes is only near the true one), or a node's links
    /// seen from it. The vectors are scattered and rarely cached, so each is asked for
    /// `vectorLookahead` nodes before its turn: waited for one at a time, they were most of the
    /// re-measuring.
    func measured(_ nodes: [Int], from q: UnsafePointer<Float>, scratch: SearchScratch) throws -> [UInt64] {
        scratch.count(pageAccesses: nodes.count, distances: nodes.count)
        let ahead = HNSWIndex.vectorLookahead
        for node in nodes.prefix(ahead) { prefetchVector(of: node) }
        var keys: [UInt64] = []
        keys.reserveCapacity(nodes.count + 1)  // + 1: a full list's re-selection adds the new node
        for (i, node) in nodes.enumerated() {
            if i + ahead < nodes.count { prefetchVector(of: nodes[i + ahead]) }
            keys.append(RankedNode.key(try distance(q, toNode: node), UInt32(node)))
        }
        return keys
    }

    static let vectorLookahead = 4

    /// Where a search starts, read under the header lock; nil when it has nothing to do (an empty
    /// index, k = 0). Refuses a label filter: an HNSW graph's records keep no labels (its documents
    /// do, and `DocumentCollection.search` filters by them).
    func searchEntry(_ parameters: SearchParameters) throws -> (node: Int, top: Int, deleted: Int, quantizer: ScalarQuantizer?)? {
        let (entry, top, deleted, quantizer) = entryMutex.withLock { (header.entryPoint, header.maxLevel, header.deletedCount, self.quantizer) }
        if parameters.filter != nil {
            throw CalibyError.invalidArgument("index '\(info.name)' is hnsw, whose graph keeps no labels: "
                                              + "filter by label through its documents (a filter 'labels CONTAINS n')")
        }
        guard entry >= 0, parameters.k > 0 else { return nil }
        return (entry, top, deleted, quantizer)
    }

    /// The upper levels' part of a search: greedy descent to level 1, then a level-1 search whose
    /// list becomes level 0's starting points (keys of measured nodes).
    func levelZeroSeeds(_ q: UnsafePointer<Float>, entry: (node: Int, top: Int, deleted: Int, quantizer: ScalarQuantizer?),
                        listSize: Int, codes: CodeQuery? = nil, scratch: SearchScratch) throws -> [UInt64] {
        let (start, startDistance) = try descend(q, from: entry.node, topLevel: entry.top, to: min(entry.top, 1), codes: codes,
                                                 scratch: scratch)
        let seeds = [RankedNode.key(startDistance, UInt32(start))]
        guard entry.top >= 1 else { return seeds }
        try searchLevel(q, from: seeds, ef: HNSWIndex.levelOneListSize(listSize), level: 1, skipDeleted: false, codes: codes,
                        scratch: scratch)
        return scratch.results.drainComplemented()
    }
}

import Atomics
import Glibc

/// Inserting: hnswlib's insertion with the neighbour-selection heuristic, `--replace` as its
/// updatePoint, and the batch insert on several threads.
extension HNSWIndex {
    /// The vector as the index will hold it: normalized for cosine, rounded to the stored precision.
    func preparedForStorage(_ vector: UnsafePointer<Float>, scratch: SearchScratch) -> UnsafePointer<Float> {
        guard metric == .cosine || stored.precision != .float32 else { return vector }
        scratch.query.update(from: vector, count: dimensions)
        if metric == .cosine { Distance.normalize(scratch.query, dimensions) }
        stored.round(scratch.query)
        return UnsafePointer(scratch.query)
    }

    /// hnswlib's getNeighborsByHeuristic2: keep a candidate only if it is closer to the base than to
    /// every candidate already kept — spreads links across directions. `sorted` is closest first.
    /// Each candidate is copied out of its page once, into the slot after the kept ones, so the
    /// pairwise distances run on cached copies (this was a quarter of build time read from pages);
    /// the copies are asked for `vectorLookahead` candidates before their turn.
    ///
    /// `estimatedFrom`: the keys' distances are estimates (by codes) from this vector, the base's
    /// own; each candidate looked at is measured from it exactly, on its copy, and the estimates
    /// only order the look. Each vector is thus read once, for its copy, and only up to the point
    /// where `limit` are kept (about four in five of an ef-long list on 300k × 128, seven in ten on
    /// real 384-d): re-measuring the whole list first, as the build did, read every vector in a
    /// pass of its own, then most again here (1M × 128 int8 builds 9 % faster, BENCHMARKS.md).
    func selectNeighbours(_ sorted: [UInt64], limit: Int, estimatedFrom base: UnsafePointer<Float>? = nil,
                          scratch: SearchScratch) throws -> [Int] {
        guard sorted.count > limit else { return sorted.map(RankedNode.node) }
        precondition(limit <= layout.maxLinks0, "selection beyond the scratch's kept slots")
        var kept: [Int] = []
        kept.reserveCapacity(limit)
        let ahead = HNSWIndex.vectorLookahead
        for key in sorted.prefix(ahead) { prefetchVector(of: RankedNode.node(key)) }
        for (i, key) in sorted.enumerated() {
            if kept.count >= limit { break }
            if i + ahead < sorted.count { prefetchVector(of: RankedNode.node(sorted[i + ahead])) }
            let candidate = RankedNode.node(key)
            let copy = scratch.keptVector(kept.count)
            try copyVector(of: candidate, into: copy)
            let candidateDistance = base.map { Distance.between(UnsafePointer(copy), $0, dimensions, metric: metric) }
                ?? RankedNode.distance(key)
            if !scratch.anyKept(0..<kept.count, near: kept.count, metric: metric, covers: { $0 < candidateDistance }) {
                kept.append(candidate)
            }
        }
        return kept
    }

    /// Links `node` (vector `q`) at `level` to its selected neighbours and each of them back to it.
    /// `estimated`: the candidates' distances are estimates by codes (see `selectNeighbours`).
    private func connect(_ node: Int, vector q: UnsafePointer<Float>, candidates: [UInt64], estimated: Bool, level: Int,
                         scratch: SearchScratch) throws {
        let limit = level == 0 ? layout.maxLinks0 : M
        let chosen = try selectNeighbours(candidates.filter { RankedNode.node($0) != node }, limit: M,
                                          estimatedFrom: estimated ? q : nil, scratch: scratch)
        // A concurrent insert may already have reached this node through a higher level and added
        // itself here; this write drops that edge. hnswlib prevents it by holding the node's lock for
        // its whole insertion. Tried: making such inserts wait or look away cost 3.5 % of build time
        // and changed recall at no measured setting (100k, 1M), so the rare lost edge is accepted.
        try writeLinks(of: node, level: level, chosen)
        let pivot = UnsafePointer(scratch.pivot)
        for neighbour in chosen {
            var pivotLoaded = false
            while true {
                let (page, offset) = try linkList(of: neighbour, level: level)
                let links = try space.read(page) { readList($0, offset, limit) }
                if let bad = links.first(where: { $0 >= layout.capacity }) { throw corruptLink(neighbour, bad) }
                if links.contains(node) { break }
                var updated = links
                if links.count < limit {
                    updated.append(node)
                } else {
                    // Full: re-select among the old links and the new node, seen from the neighbour.
                    if !pivotLoaded {
                        try copyVector(of: neighbour, into: scratch.pivot)
                        pivotLoaded = true
                    }
                    var keyed = try measured(links, from: pivot, scratch: scratch)
                    keyed.append(RankedNode.key(Distance.between(pivot, q, dimensions, metric: metric), UInt32(node)))
                    keyed.sort()
                    updated = try selectNeighbours(keyed, limit: limit, scratch: scratch)
                }
                if try replaceList(page, offset, limit, expected: links, with: updated) { break }
            }
        }
    }

    /// Writes `updated` over the link list at (`page`, `offset`) if it still holds `expected`:
    /// another thread may have changed it while this one re-selected. False when it had, and the
    /// caller reads and re-selects again. (Contents, not the page version: evictions move the version.)
    func replaceList(_ page: Int, _ offset: Int, _ limit: Int, expected: [Int], with updated: [Int]) throws -> Bool {
        try space.write(page) { p -> Bool in
            guard readList(UnsafeRawPointer(p), offset, limit) == expected else { return false }
            p.storeBytes(of: UInt32(updated.count), toByteOffset: offset, as: UInt32.self)
            for (i, link) in updated.enumerated() {
                p.storeBytes(of: UInt32(link), toByteOffset: offset + 4 + 4 * i, as: UInt32.self)
            }
            return true
        }
    }

    func readList(_ p: UnsafeRawPointer, _ offset: Int, _ limit: Int) -> [Int] {
        let n = min(Int(p.load(fromByteOffset: offset, as: UInt32.self)), limit)
        return (0..<n).map { Int(p.load(fromByteOffset: offset + 4 + 4 * $0, as: UInt32.self)) }
    }

    /// Same seed → same levels: a build is reproducible whatever the thread interleaving.
    private func randomLevel(for node: Int) -> Int {
        let z = SplitMix.mix(UInt64(node))
        let uniform = (Double(z >> 11) + 1) / 9_007_199_254_740_992.0
        return min(Int(-log(uniform) * levelMultiplier), HNSWLayout.maxLevel)
    }

    /// Reserves a node number and its upper slots, creating their pages when they are new; once
    /// every slot has been used, a deleted node's slot that `claimDeletedSlots` set aside (`reused`).
    private func allocateNode() throws -> (node: Int, level: Int, firstSlot: Int, reused: Bool) {
        try entryMutex.withLock {
            guard header.nodeCount < layout.capacity else {
                if let node = claimedSlots.popLast() { return (node, 0, 0, true) }
                throw CalibyError.noRoom(index: info.name, needed: 1, free: 0, capacity: layout.capacity)
            }
            let node = header.nodeCount
            let level = min(randomLevel(for: node), layout.upperSlotCapacity - header.upperSlotsUsed)
            let firstSlot = header.upperSlotsUsed
            if layout.records.startsPage(node) { try space.create(layout.records.locate(node).page) { _ in } }
            for slot in firstSlot..<(firstSlot + level) where slot % layout.upperSlotsPerPage == 0 {
                try space.create(layout.upperSlot(slot).page) { _ in }
            }
            header.nodeCount += 1
            header.upperSlotsUsed += level
            return (node, level, firstSlot, false)
        }
    }

    private func insertOne(id: UInt64, vector: UnsafePointer<Float>, replace: Bool, quantizer: ScalarQuantizer?,
                           scratch: SearchScratch) throws -> Bool {
        let q = preparedForStorage(vector, scratch: scratch)
        if let existing = try node(of: id) {
            guard replace else { throw CalibyError.duplicateID(index: info.name, id: id) }
            try update(existing, vector: q, quantizer: quantizer, scratch: scratch)
            return false
        }
        let (node, level, firstSlot, reused) = try allocateNode()
        if reused {
            try reuse(node, id: id, vector: q, quantizer: quantizer, scratch: scratch)
            return true
        }
        if let clash = try idMap.insert(id, node: node), clash != node {
            throw CalibyError.duplicateID(index: info.name, id: id)
        }
        let (page, offset) = layout.records.locate(node)
        try space.write(page) { p in
            p.storeBytes(of: id, toByteOffset: offset + HNSWLayout.idOffset, as: UInt64.self)
            p.storeBytes(of: UInt32(level), toByteOffset: offset + HNSWLayout.levelOffset, as: UInt32.self)
            p.storeBytes(of: UInt32(firstSlot), toByteOffset: offset + HNSWLayout.upperSlotOffset, as: UInt32.self)
            storeVector(q, intoRecord: p + offset, quantizer: quantizer)
        }
        try link(node, level: level, query: q, quantizer: quantizer, scratch: scratch)
        return true
    }

    /// Wires a node (already written) into the graph from the current entry point. A reused node
    /// may be the entry point itself: its search then starts at its own old links, as hnswlib's
    /// repairConnectionsForUpdate does, and `connect` leaves it out of its own candidates.
    func link(_ node: Int, level: Int, query q: UnsafePointer<Float>, quantizer: ScalarQuantizer?, scratch: SearchScratch,
              reused: Bool = false) throws {
        levelMutex.lock()
        var holdsLevelMutex = true
        defer { if holdsLevelMutex { levelMutex.unlock() } }
        let (entry, top) = entryMutex.withLock { (header.entryPoint, header.maxLevel) }
        if level <= top {
            levelMutex.unlock()
            holdsLevelMutex = false
        }
        if entry >= 0 && (entry != node || reused) {
            // With codes, the candidates are found by them (walking by codes cut 384-d build time
            // 20 % at the same recall, BENCHMARKS.md), and the selection, which compares vectors,
            // measures by the vectors those it looks at.
            let codes = quantizer?.prepare(q, metric: metric, into: scratch.codeQuery)
            var (current, currentDistance) = try descend(q, from: entry, topLevel: top, to: level, codes: codes, scratch: scratch)
            for lc in stride(from: min(level, top), through: 0, by: -1) {
                if codes != nil && lc < min(level, top) { currentDistance = try distance(q, toNode: current, codes: codes) }
                try searchLevel(q, from: [RankedNode.key(currentDistance, UInt32(current))], ef: efConstruction,
                                level: lc, skipDeleted: false, codes: codes, scratch: scratch)
                let found = scratch.results.drainComplemented()
                try connect(node, vector: q, candidates: found, estimated: codes != nil, level: lc, scratch: scratch)
                if let best = found.first(where: { RankedNode.node($0) != node }) {
                    current = RankedNode.node(best)
                    currentDistance = RankedNode.distance(best)
                }
            }
        }
        if level > top || entry < 0 {
            entryMutex.withLock {
                header.entryPoint = node
                header.maxLevel = level
            }
        }
    }

    /// `--replace`: new vector, then relink the node as hnswlib's updatePoint does.
    private func update(_ node: Int, vector q: UnsafePointer<Float>, quantizer: ScalarQuantizer?, scratch: SearchScratch) throws {
        let (page, offset) = layout.records.locate(node)
        let (level, undeleted) = try space.write(page) { p -> (Int, Bool) in
            let word = p.load(fromByteOffset: offset + HNSWLayout.levelOffset, as: UInt32.self)
            let level = Int(word & 0xFF)
            // The level becomes the graph's top level if it is the highest: it must be one a node can have.
            guard level <= HNSWLayout.maxLevel, word & ~(HNSWLayout.deletedBit | 0xFF) == 0 else {
                throw CalibyError.corrupt(path: space.path, detail: "node \(node): level word \(word) is not a level and a deleted flag")
            }
            let undeleted = word & HNSWLayout.deletedBit != 0
            if undeleted { p.storeBytes(of: word & ~HNSWLayout.deletedBit, toByteOffset: offset + HNSWLayout.levelOffset, as: UInt32.self) }
            storeVector(q, intoRecord: p + offset, quantizer: quantizer)
            return (level, undeleted)
        }
        if undeleted {
            // After the latch is dropped (the lock order, see the type's comment). A count of 0 here
            // is damage: the insert fails, and nothing it changed is committed.
            try entryMutex.withLock {
                guard header.deletedCount > 0 else {
                    throw CalibyError.corrupt(path: space.path, detail: "node \(node) is marked deleted, but header field deletedCount = 0")
                }
                header.deletedCount -= 1
            }
        }
        try link(node, level: level, query: q, quantizer: quantizer, scratch: scratch)
    }

    package func insert(_ batch: VectorBatch, options: InsertOptions) throws -> InsertSummary {
        try requireInsertable(batch)
        if batch.labels.contains(where: { !$0.isEmpty }) {
            throw CalibyError.invalidArgument("index '\(info.name)' is hnsw, whose graph keeps no labels: "
                                              + "insert them with its documents (DocumentCollection.insert)")
        }
        // Cosine vectors are normalized before they are stored, so any finite input fits.
        if metric != .cosine { try stored.checkRange(batch, index: info.name) }
        var summary = InsertSummary()
        guard batch.count > 0 else { return summary }
        let ids = try assignIDs(batch)
        summary.firstID = ids.first
        summary.lastID = ids.last
        try claimDeletedSlots(for: ids, replace: options.replace)
        let quantizer = try quantizerForInsert(batch)
        space.preload(beforeInserting: ids.count, into: count)
        let inserted = ManagedAtomic<Int>(0)
        var failure: Error?
        do {
            try batch.vectors.withUnsafeBufferPointer { vectors in
                try forEachInParallel(ids.count, options: options) { i in
                    try scratch.with { scratch in
                        if try insertOne(id: ids[i], vector: vectors.baseAddress! + i * dimensions,
                                         replace: options.replace, quantizer: quantizer, scratch: scratch) {
                            inserted.wrappingIncrement(ordering: .relaxed)
                        }
                    }
                }
            }
        } catch {
            failure = error
        }
        try writeHeader()
        if let failure { throw failure }
        summary.inserted = inserted.load(ordering: .relaxed)
        summary.replaced = ids.count - summary.inserted
        return summary
    }

    private func assignIDs(_ batch: VectorBatch) throws -> [UInt64] {
        try entryMutex.withLock {
            var next = header.nextAutoID
            let ids = try batch.assignIDs(next: &next, index: info.name)
            if next != header.nextAutoID {
                header.nextAutoID = next
            }
            return ids
        }
    }
}

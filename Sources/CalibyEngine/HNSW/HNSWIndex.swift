import Atomics
import Dispatch
import Glibc

/// Hierarchical Navigable Small World graph (Malkov & Yashunin), in the shape of hnswlib's
/// `hnswalg.h`: flat node records, level-0 links beside the vector, upper levels in separate slots,
/// insertion with the neighbour-selection heuristic. Everything lives in buffer-pool pages (layout in
/// HNSWLayout.swift); this object holds only the header copy and per-thread scratch.
///
/// Concurrency: no thread ever holds two page latches. Searches read pages optimistically; a
/// neighbour's list is rewritten only if it still holds what was read (otherwise the update is
/// recomputed). `entryMutex` guards the header; a node whose level
/// tops the graph holds `levelMutex` for its whole insertion, as hnswlib holds its global lock.
/// Lock order: `levelMutex`, then `entryMutex`, then one page latch; never the reverse.
public final class HNSWIndex: PagedIndex {
    public let info: IndexInfo
    let space: PageSpace
    let layout: HNSWLayout
    let metric: Metric
    let dimensions: Int
    let M: Int
    let efConstruction: Int
    let writable: Bool
    let idMap: IDMap
    let stored: StoredVector
    private let levelMultiplier: Double
    /// Cache lines of each neighbour's vector to prefetch.
    private let prefetchLines: Int
    /// Cache lines from a node record's start through its level-0 links (one more than their
    /// bytes need: a record does not start on a line boundary).
    private let linkLines: Int

    private let entryMutex = Mutex()
    private let levelMutex = Mutex()
    private var header: HNSWHeader
    private var headerChanged = false
    private let scratch: ScratchPool

    /// Formats a new, empty index in `space`.
    convenience init(creating info: IndexInfo, space: PageSpace, writable: Bool) throws {
        self.init(info: info, space: space, writable: writable, header: HNSWHeader())
        let (layout, header, metric) = (self.layout, self.header, self.metric)
        try space.create(0) { header.store(into: $0, layout: layout, metric: metric) }
        try space.formatEmptyPages(layout.hashBase..<layout.upperBase)
    }

    /// Opens an existing index: reads page 0 only. The caller checked the catalog's page size and
    /// count against the layout (`Database.index(named:)`).
    convenience init(opening info: IndexInfo, space: PageSpace, writable: Bool) throws {
        let layout = HNSWLayout(config: info.config)
        let header = try space.read(0) {
            try HNSWHeader.load(from: $0, layout: layout, metric: info.config.metric, path: space.path)
        }
        self.init(info: info, space: space, writable: writable, header: header)
    }

    private init(info: IndexInfo, space: PageSpace, writable: Bool, header: HNSWHeader) {
        self.info = info
        self.space = space
        let layout = HNSWLayout(config: info.config)
        self.layout = layout
        metric = info.config.metric
        dimensions = info.config.dimensions
        M = layout.M
        efConstruction = info.config.hnsw?.efConstruction ?? 200
        self.writable = writable
        idMap = IDMap(space: space, firstPage: layout.hashBase, slotCount: layout.hashSlots, nodeLimit: layout.capacity)
        stored = layout.stored
        levelMultiplier = 1 / log(Double(max(M, 2)))
        prefetchLines = vectorPrefetchLines(vectorBytes: layout.stored.byteCount)
        linkLines = (HNSWLayout.linksOffset + 4 * layout.maxLinks0 + 63) / 64 + 1
        self.header = header
        scratch = ScratchPool { SearchScratch(nodes: layout.capacity, maxLinks: layout.maxLinks0, dimensions: layout.dimensions) }
    }

    public var count: Int { entryMutex.withLock { header.nodeCount - header.deletedCount } }

    /// The header as this object holds it (the integrity check compares it with page 0).
    var headerSnapshot: HNSWHeader { entryMutex.withLock { header } }

    /// Insertion is point by point, so batches only bound the memory a load holds.
    public var preferredBatchSize: Int { 50_000 }

    // MARK: Node access (each call takes and drops one latch)

    @inline(__always)
    private func distance(_ query: UnsafePointer<Float>, toNode node: Int) throws -> Float {
        let (page, offset) = layout.records.locate(node)
        let vectorOffset = offset + layout.vectorOffset
        let stored = self.stored, metric = self.metric
        return try space.readOptimistic(page) { stored.distance(query, $0 + vectorOffset, metric: metric) }
    }

    private func isDeleted(_ node: Int) throws -> Bool {
        let (page, offset) = layout.records.locate(node)
        return try space.readOptimistic(page) {
            $0.load(fromByteOffset: offset + HNSWLayout.levelOffset, as: UInt32.self) & HNSWLayout.deletedBit != 0
        }
    }

    private func copyVector(of node: Int, into buffer: UnsafeMutablePointer<Float>) throws {
        let (page, offset) = layout.records.locate(node)
        let vectorOffset = offset + layout.vectorOffset, stored = self.stored
        try space.readOptimistic(page) { stored.decode($0 + vectorOffset, into: buffer) }
    }

    /// Where node's link list at `level` is: (page, offset of the count word).
    func linkList(of node: Int, level: Int) throws -> (page: Int, offset: Int) {
        let (page, offset) = layout.records.locate(node)
        if level == 0 { return (page, offset + HNSWLayout.countOffset) }
        // Written before the node is linked and never changed: an optimistic read suffices, and a
        // latch here would make every level-1 hop of every search thread write the page's state word.
        let first = try space.readOptimistic(page) {
            Int($0.load(fromByteOffset: offset + HNSWLayout.upperSlotOffset, as: UInt32.self))
        }
        // Read from the page: bounded before it becomes a page number (one compare, upper levels only).
        guard first + level <= layout.upperSlotCapacity else {
            throw CalibyError.corrupt(path: space.path, detail: "node \(node): level \(level) link slot \(first + level - 1) "
                                      + "beyond the \(layout.upperSlotCapacity) upper slots")
        }
        return layout.upperSlot(first + level - 1)
    }

    /// Copies a link list into `buffer`; returns the count (clamped to what the level allows).
    @inline(__always)
    func readLinks(of node: Int, level: Int, into buffer: UnsafeMutablePointer<UInt32>) throws -> Int {
        let (page, offset) = try linkList(of: node, level: level)
        let limit = level == 0 ? layout.maxLinks0 : M
        return try space.readOptimistic(page) {
            let n = min(Int($0.load(fromByteOffset: offset, as: UInt32.self)), limit)
            // An inline loop, not memmove: a call per expanded node showed as 4% of build time.
            for i in 0..<n { buffer[i] = $0.load(fromByteOffset: offset + 4 + 4 * i, as: UInt32.self) }
            return n
        }
    }

    private func writeLinks(of node: Int, level: Int, _ links: [Int]) throws {
        let (page, offset) = try linkList(of: node, level: level)
        try space.write(page) { p in
            p.storeBytes(of: UInt32(links.count), toByteOffset: offset, as: UInt32.self)
            for (i, link) in links.enumerated() { p.storeBytes(of: UInt32(link), toByteOffset: offset + 4 + 4 * i, as: UInt32.self) }
        }
    }

    // MARK: Search

    /// Greedy descent through levels above `target`, returning the closest node found.
    private func descend(_ query: UnsafePointer<Float>, from entry: Int, topLevel: Int, to target: Int,
                         scratch: SearchScratch) throws -> (Int, Float) {
        var current = entry
        var currentDistance = try distance(query, toNode: entry)
        var level = topLevel
        while level > target {
            var changed = true
            while changed {
                changed = false
                let n = try readLinks(of: current, level: level, into: scratch.links)
                for i in 0..<n {
                    let candidate = Int(scratch.links[i])
                    guard candidate < layout.capacity else { throw corruptLink(current, candidate) }
                    let d = try distance(query, toNode: candidate)
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
    private func searchLevel(_ query: UnsafePointer<Float>, from seeds: [UInt64], ef: Int, level: Int,
                             skipDeleted: Bool, scratch: SearchScratch) throws {
        scratch.visited.clear()
        scratch.candidates.removeAll()
        scratch.results.removeAll()
        for seed in seeds where scratch.visited.insert(RankedNode.node(seed)) {
            scratch.candidates.push(seed)
            if skipDeleted, try isDeleted(RankedNode.node(seed)) { continue }
            scratch.results.keepClosest(seed, limit: ef)
        }
        var bound = scratch.results.isEmpty ? Float.infinity : RankedNode.distance(~scratch.results.top)
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
                space.prefetch(page, offset: offset + layout.vectorOffset, lines: prefetchLines)
            }
            let stored = self.stored, metric = self.metric, vectorOffset = layout.vectorOffset
            for i in 0..<fresh {
                let neighbour = Int(scratch.links[i])
                // Written out rather than calling distance(_:toNode:): the compiler kept that call
                // out of line here, a quarter of build time in profiles.
                let (page, offset) = layout.records.locate(neighbour)
                let (d, deleted) = try space.readOptimistic(page) { p in
                    (stored.distance(query, p + offset + vectorOffset, metric: metric),
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

    /// The vector as the index will hold it: normalized for cosine, rounded to the stored precision.
    private func preparedForStorage(_ vector: UnsafePointer<Float>, scratch: SearchScratch) -> UnsafePointer<Float> {
        guard metric == .cosine || stored.precision != .float32 else { return vector }
        scratch.query.update(from: vector, count: dimensions)
        if metric == .cosine { Distance.normalize(scratch.query, dimensions) }
        stored.round(scratch.query)
        return UnsafePointer(scratch.query)
    }

    /// How many nodes level 1 hands to level 0 as starting points. hnswlib descends greedily to one
    /// node, and which one decides a lot: on 1M×128 its own builds ranged 0.953–0.967 recall@10 at
    /// ef 64, and ours, started from hnswlib's landing node, did better than from our own. Several
    /// starts remove that luck. At ef 40 on 1M×128 a level-1 list of ef/4 raised recall from 0.896
    /// to 0.953 for 2 % more distance computations; ef/2 lies on the same recall-per-distance curve.
    /// On 100k the gain is small and costs nothing at equal recall (BENCHMARKS.md).
    static func levelOneListSize(_ listSize: Int) -> Int { max(1, listSize / 4) }

    public func search(_ query: UnsafePointer<Float>, parameters: SearchParameters) throws -> [SearchHit] {
        let (entry, top, deleted) = entryMutex.withLock { (header.entryPoint, header.maxLevel, header.deletedCount) }
        if parameters.filter != nil {
            throw CalibyError.invalidArgument("index '\(info.name)' is hnsw, which keeps no labels: --filter needs a diskann index")
        }
        guard entry >= 0, parameters.k > 0 else { return [] }
        return try scratch.with { scratch in
            let q = scratch.prepared(query, metric: metric)
            let listSize = parameters.listSize(.hnsw)
            let (start, startDistance) = try descend(q, from: entry, topLevel: top, to: min(top, 1), scratch: scratch)
            var seeds = [RankedNode.key(startDistance, UInt32(start))]
            if top >= 1 {
                try searchLevel(q, from: seeds, ef: HNSWIndex.levelOneListSize(listSize), level: 1, skipDeleted: false,
                                scratch: scratch)
                seeds = scratch.results.drainComplemented()
            }
            try searchLevel(q, from: seeds, ef: listSize, level: 0, skipDeleted: deleted > 0, scratch: scratch)
            return try scratch.results.drainComplemented().prefix(parameters.k).map {
                SearchHit(id: try userID(of: RankedNode.node($0)), distance: RankedNode.distance($0))
            }
        }
    }

    /// The node an id maps to. The map's node numbers come from a page: one past the nodes in use
    /// is damage, and writing there would corrupt an unallocated record.
    private func node(of id: UInt64) throws -> Int? {
        guard let node = try idMap.lookup(id) else { return nil }
        let nodeCount = entryMutex.withLock { header.nodeCount }
        guard node < nodeCount else {
            throw CalibyError.corrupt(path: space.path, detail: "id map sends id \(id) to node \(node), beyond nodeCount \(nodeCount)")
        }
        return node
    }

    func userID(of node: Int) throws -> UInt64 {
        let (page, offset) = layout.records.locate(node)
        return try space.readOptimistic(page) { $0.load(fromByteOffset: offset + HNSWLayout.idOffset, as: UInt64.self) }
    }

    // MARK: Insert

    /// hnswlib's getNeighborsByHeuristic2: keep a candidate only if it is closer to the base than to
    /// every candidate already kept — spreads links across directions. `sorted` is closest first.
    /// Each candidate is copied out of its page once, into the slot after the kept ones, so the
    /// pairwise distances run on cached copies (this was a quarter of build time read from pages).
    private func selectNeighbours(_ sorted: [UInt64], limit: Int, scratch: SearchScratch) throws -> [Int] {
        guard sorted.count > limit else { return sorted.map(RankedNode.node) }
        precondition(limit <= layout.maxLinks0, "selection beyond the scratch's kept slots")
        var kept: [Int] = []
        kept.reserveCapacity(limit)
        let dims = dimensions
        for key in sorted {
            if kept.count >= limit { break }
            let candidate = RankedNode.node(key)
            let candidateDistance = RankedNode.distance(key)
            let slot = scratch.keptVector(kept.count)
            try copyVector(of: candidate, into: slot)
            var good = true
            for j in 0..<kept.count where Distance.between(slot, scratch.keptVector(j), dims, metric: metric) < candidateDistance {
                good = false
                break
            }
            if good { kept.append(candidate) }
        }
        return kept
    }

    /// Links `node` (vector `q`) at `level` to its selected neighbours and each of them back to it.
    private func connect(_ node: Int, vector q: UnsafePointer<Float>, candidates: [UInt64], level: Int,
                         scratch: SearchScratch) throws {
        let limit = level == 0 ? layout.maxLinks0 : M
        let chosen = try selectNeighbours(candidates.filter { RankedNode.node($0) != node }, limit: M, scratch: scratch)
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
                    var keyed = try links.map { RankedNode.key(try distance(pivot, toNode: $0), UInt32($0)) }
                    keyed.append(RankedNode.key(Distance.between(pivot, q, dimensions, metric: metric), UInt32(node)))
                    keyed.sort()
                    updated = try selectNeighbours(keyed, limit: limit, scratch: scratch)
                }
                // Rewrite only if the list is as we read it: another thread may have changed it while
                // we re-selected. (Contents, not the page version: evictions move the version.)
                let written = try space.write(page) { p -> Bool in
                    guard readList(UnsafeRawPointer(p), offset, limit) == links else { return false }
                    p.storeBytes(of: UInt32(updated.count), toByteOffset: offset, as: UInt32.self)
                    for (i, link) in updated.enumerated() {
                        p.storeBytes(of: UInt32(link), toByteOffset: offset + 4 + 4 * i, as: UInt32.self)
                    }
                    return true
                }
                if written { break }
            }
        }
    }

    private func readList(_ p: UnsafeRawPointer, _ offset: Int, _ limit: Int) -> [Int] {
        let n = min(Int(p.load(fromByteOffset: offset, as: UInt32.self)), limit)
        return (0..<n).map { Int(p.load(fromByteOffset: offset + 4 + 4 * $0, as: UInt32.self)) }
    }

    /// Same seed → same levels: a build is reproducible whatever the thread interleaving.
    private func randomLevel(for node: Int) -> Int {
        let z = SplitMix.mix(UInt64(node))
        let uniform = (Double(z >> 11) + 1) / 9_007_199_254_740_992.0
        return min(Int(-log(uniform) * levelMultiplier), HNSWLayout.maxLevel)
    }

    /// Reserves a node number and its upper slots, creating their pages when they are new.
    private func allocateNode() throws -> (node: Int, level: Int, firstSlot: Int) {
        try entryMutex.withLock {
            guard header.nodeCount < layout.capacity else {
                throw CalibyError.capacity(index: info.name, detail: "all \(layout.capacity) slots are used (--max-elements)")
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
            headerChanged = true
            return (node, level, firstSlot)
        }
    }

    private func insertOne(id: UInt64, vector: UnsafePointer<Float>, replace: Bool,
                           scratch: SearchScratch) throws -> Bool {
        let q = preparedForStorage(vector, scratch: scratch)
        if let existing = try node(of: id) {
            guard replace else { throw CalibyError.duplicateID(index: info.name, id: id) }
            try update(existing, vector: q, scratch: scratch)
            return false
        }
        let (node, level, firstSlot) = try allocateNode()
        if let clash = try idMap.insert(id, node: node), clash != node {
            throw CalibyError.duplicateID(index: info.name, id: id)
        }
        let (page, offset) = layout.records.locate(node)
        try space.write(page) { p in
            p.storeBytes(of: id, toByteOffset: offset + HNSWLayout.idOffset, as: UInt64.self)
            p.storeBytes(of: UInt32(level), toByteOffset: offset + HNSWLayout.levelOffset, as: UInt32.self)
            p.storeBytes(of: UInt32(firstSlot), toByteOffset: offset + HNSWLayout.upperSlotOffset, as: UInt32.self)
            stored.encode(q, into: p + offset + layout.vectorOffset)
        }
        try link(node, level: level, query: q, scratch: scratch)
        return true
    }

    /// Wires a node (already written) into the graph from the current entry point.
    private func link(_ node: Int, level: Int, query q: UnsafePointer<Float>, scratch: SearchScratch) throws {
        levelMutex.lock()
        var holdsLevelMutex = true
        defer { if holdsLevelMutex { levelMutex.unlock() } }
        let (entry, top) = entryMutex.withLock { (header.entryPoint, header.maxLevel) }
        if level <= top {
            levelMutex.unlock()
            holdsLevelMutex = false
        }
        if entry >= 0 && entry != node {
            var (current, currentDistance) = try descend(q, from: entry, topLevel: top, to: level, scratch: scratch)
            for lc in stride(from: min(level, top), through: 0, by: -1) {
                try searchLevel(q, from: [RankedNode.key(currentDistance, UInt32(current))], ef: efConstruction,
                                level: lc, skipDeleted: false, scratch: scratch)
                let found = scratch.results.drainComplemented()
                try connect(node, vector: q, candidates: found, level: lc, scratch: scratch)
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
                headerChanged = true
            }
        }
    }

    /// `--replace`: new vector, then relink the node as hnswlib's updatePoint does.
    private func update(_ node: Int, vector q: UnsafePointer<Float>, scratch: SearchScratch) throws {
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
            stored.encode(q, into: p + offset + layout.vectorOffset)
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
                headerChanged = true
            }
        }
        try link(node, level: level, query: q, scratch: scratch)
    }

    public func insert(_ batch: VectorBatch, options: InsertOptions) throws -> InsertSummary {
        try requireInsertable(batch)
        if batch.labels.contains(where: { !$0.isEmpty }) {
            throw CalibyError.invalidArgument("index '\(info.name)' is hnsw: labels are kept only by diskann indexes")
        }
        // Cosine vectors are normalized before they are stored, so any finite input fits.
        if metric != .cosine { try stored.checkRange(batch, index: info.name) }
        var summary = InsertSummary()
        guard batch.count > 0 else { return summary }
        let ids = try assignIDs(batch)
        summary.firstID = ids.first
        summary.lastID = ids.last
        if !options.replace {
            let free = entryMutex.withLock { layout.capacity - header.nodeCount }
            if ids.count > free {
                throw CalibyError.capacity(index: info.name,
                                           detail: "\(ids.count) vectors do not fit in the \(free) free slots (--max-elements \(layout.capacity))")
            }
        }
        space.preload(beforeInserting: ids.count, into: count)
        let inserted = ManagedAtomic<Int>(0)
        var failure: Error?
        do {
            try batch.vectors.withUnsafeBufferPointer { vectors in
                try forEachInParallel(ids.count, options: options) { i in
                    try scratch.with { scratch in
                        if try insertOne(id: ids[i], vector: vectors.baseAddress! + i * dimensions,
                                         replace: options.replace, scratch: scratch) {
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
                headerChanged = true
            }
            return ids
        }
    }

    private func writeHeader() throws {
        let (snapshot, changed) = entryMutex.withLock { () -> (HNSWHeader, Bool) in
            defer { headerChanged = false }
            return (header, headerChanged)
        }
        guard changed else { return }
        try space.write(0) { snapshot.store(into: $0, layout: layout, metric: metric) }
    }

    // MARK: Delete

    public func delete(ids: [UInt64]) throws -> Int {
        guard writable else { throw CalibyError.readOnly("delete") }
        // Every id is looked up before any is marked, so an unknown one changes nothing.
        let nodes = try ids.map { id in
            guard let node = try node(of: id) else { throw CalibyError.noSuchID(index: info.name, id: id) }
            return node
        }
        var deleted = 0
        for node in nodes {
            let (page, offset) = layout.records.locate(node)
            let marked = try space.write(page) { p -> Bool in
                let word = p.load(fromByteOffset: offset + HNSWLayout.levelOffset, as: UInt32.self)
                guard word & HNSWLayout.deletedBit == 0 else { return false }
                p.storeBytes(of: word | HNSWLayout.deletedBit, toByteOffset: offset + HNSWLayout.levelOffset, as: UInt32.self)
                return true
            }
            if marked { deleted += 1 }
        }
        entryMutex.withLock {
            header.deletedCount += deleted
            headerChanged = deleted > 0 || headerChanged
        }
        try writeHeader()
        return deleted
    }
}

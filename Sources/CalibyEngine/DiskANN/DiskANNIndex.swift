import Atomics
import Glibc

/// DiskANN's graph: Vamana (Subramanya et al., NeurIPS 2019) with FreshDiskANN's updates (Singh et
/// al. 2021) and Filtered-DiskANN's labels (Gollapudi et al., WWW 2023), kept whole in buffer-pool
/// pages (layout in DiskANNLayout.swift). A node's vector sits beside its links; a PQ code of each
/// vector (PQCodebook) sits in a small region of its own. This object holds only the header copy,
/// the label start table, the codebook and per-thread scratch.
///
/// - Search by codes, as DiskANN's: candidates are ranked by their codes' distance; each node the
///   search expands is read whole, which gives its links and its exact distance; the results are the
///   live expanded nodes re-ranked by exact distance. So a hop reads one record page, and the code
///   pages, few and touched by every search, stay in the pool. In memory the exact search (every
///   candidate ranked by its vector) is faster for the same recall, so `SearchDistances.auto`
///   takes codes only for an index whose pages outgrow the pool.
/// - Codebook rule: trained once, by k-means over a sample of at most `pqTrainingSample` live
///   points, at the end of the first insert after which the index holds at least
///   `pqTrainingMinimum` live points (the bulk build, or the dynamic batch that crosses the
///   minimum: the points already there are encoded then). Later inserts encode with it, in the
///   transaction that writes the record; it is never retrained. Indexes created with
///   `pqBytes` 0 have none. The build's own searches always use exact distances.
/// - Build: a batch into an empty index is bulk-loaded with Vamana's two passes over a random order
///   from the medoid, α = 1 over its first quarter, then the configured α over all. Later inserts are FreshDiskANN's: greedy search, RobustPrune, back-links. Either
///   way a back-link is appended while the record has spare room (R + `spareLinks`) and a full
///   list is re-pruned to R; before the transaction commits, every list past R is pruned back to R.
/// - Labels: a point's candidates come from an unfiltered search and from a search that follows only
///   points sharing one of its labels, started at those labels' start points; its links are half
///   plain RobustPrune, half Filtered-DiskANN's label-aware prune (see `robustPrune`). So each
///   label's points form a navigable graph of their own (filtered search follows only them) inside
///   one graph that also serves unfiltered search.
/// - Delete marks a point: it is still walked through, never returned, never given new edges.
///   `consolidate` (FreshDiskANN's delete consolidation) splices deleted points out and frees their
///   slots; `delete` runs it by itself past `autoConsolidateFraction`.
///
/// Concurrency as in HNSWIndex: no thread ever holds two page latches, and a link list is rewritten
/// only if it is unchanged since it was read (otherwise the update is recomputed; see `replaceLinks`).
/// `headerMutex` guards the header and the label start table and is never taken under a latch.
package final class DiskANNIndex: PagedIndex, Consolidating {
    /// `delete` and `insert --replace` consolidate once more than this fraction of the used slots is deleted: deleted
    /// points still cost every search that walks through them and hold slots, while a consolidation
    /// reads the whole graph, so it pays off only in bulk (FreshDiskANN batches deletes the same way).
    package static let autoConsolidateFraction = 0.2
    /// The most candidates one RobustPrune considers, closest first (DiskANN's `maxc`): consolidation
    /// can gather R² of them, and the far ones are pruned anyway.
    static let maxPruneCandidates = 750
    /// The bulk build's first pass (α = 1) links one point in this many (see `bulkLoad`).
    static let skeletonShare = 4
    /// Live points before a codebook is trained: k-means wants several points per centroid, and an
    /// index smaller than this is searched quickly enough with exact distances.
    package static let pqTrainingMinimum = 4 * PQCodebook.centroids
    /// Points k-means runs over (DiskANN trains on a sample too): about 100 per centroid; k-means'
    /// time grows with it (≈ 1.6 s on two threads for 128 dimensions).
    static let pqTrainingSample = 25_000

    package let info: IndexInfo
    let space: PageSpace
    let layout: DiskANNLayout
    let metric: Metric
    let dimensions: Int
    let R: Int
    let buildL: Int
    let alpha: Float
    let writable: Bool
    let idMap: IDMap
    /// Cache lines of a vector: a search prefetches all of them (`vectorPrefetchLines`).
    private let vectorLines: Int
    /// Cache lines of a whole record, which a compressed search reads for every node it expands.
    let recordLines: Int
    /// Cache lines of a record's link count and links.
    private let linkLines: Int

    let headerMutex = Mutex()
    @TrackedHeader var header: DiskANNHeader
    var starts: LabelStarts
    /// Set once, when trained or at open (guarded by `headerMutex`).
    var codebook: PQCodebook?
    let scratch: PerThreadPool<DiskANNScratch>
    /// Nodes whose lists back-links took past R since the lists were last pruned back
    /// (`addBackLink`, `shrinkOverfullLists`): a bit per slot, made at the first; and the threads of
    /// the last insert, which that prune uses too. Guarded by `overfullMutex`, which is never held
    /// with a latch.
    let overfullMutex = Mutex()
    var overfullNodes: NodeSet?
    var shrinkThreads = 1

    private init(info: IndexInfo, space: PageSpace, writable: Bool, layout: DiskANNLayout, header: DiskANNHeader,
                 starts: LabelStarts, codebook: PQCodebook?) {
        (self.info, self.space, self.writable, self.layout, self.header, self.starts) = (info, space, writable, layout, header, starts)
        self.codebook = codebook
        let config = info.config.diskann ?? DiskANNConfig()
        (metric, dimensions, R, buildL, alpha) = (info.config.metric, layout.dimensions, layout.R, config.L, Float(config.alpha))
        idMap = IDMap(space: space, firstPage: layout.hashBase, slotCount: layout.hashSlots, nodeLimit: layout.capacity)
        vectorLines = vectorPrefetchLines(vectorBytes: 4 * layout.dimensions)
        recordLines = min(64, (layout.records.recordBytes + 63) / 64)
        linkLines = (4 + 4 * layout.R + 63) / 64 + 1
        let pool = space.pool
        scratch = PerThreadPool {
            DiskANNScratch(nodes: layout.capacity, R: layout.R, linkCapacity: layout.linkCapacity, dimensions: layout.dimensions,
                           pqBytes: layout.pqBytes, pool: pool)
        }
    }

    /// Formats a new, empty index in `space`.
    convenience init(creating info: IndexInfo, space: PageSpace, writable: Bool) throws {
        let layout = DiskANNLayout(config: info.config)
        let header = DiskANNHeader()
        try space.create(0) { header.store(into: $0, layout: layout, metric: info.config.metric) }
        try space.formatEmptyPages(layout.labelBase..<layout.records.firstPage)
        self.init(info: info, space: space, writable: writable, layout: layout, header: header, starts: LabelStarts(), codebook: nil)
    }

    /// Opens an existing index: reads page 0, the used part of the label table and the codebook. The
    /// caller checked the catalog's page size and count against the layout (`Database.index(named:)`).
    convenience init(opening info: IndexInfo, space: PageSpace, writable: Bool) throws {
        let layout = DiskANNLayout(config: info.config)
        let header = try space.read(0) { try DiskANNHeader.load(from: $0, layout: layout, metric: info.config.metric, path: space.path) }
        let starts = try DiskANNIndex.loadLabelStarts(header: header, space: space, layout: layout)
        let codebook = header.pqTrained ? try DiskANNIndex.loadCodebook(space: space, layout: layout) : nil
        self.init(info: info, space: space, writable: writable, layout: layout, header: header, starts: starts, codebook: codebook)
    }

    package var count: Int { headerMutex.withLock { header.liveCount } }

    package func storageStatistics() -> (slots: SlotStatistics, parts: [IndexStatistics.Part]) {
        let header = headerMutex.withLock { self.header }
        return (SlotStatistics(used: header.nodeCount, deleted: header.deletedCount, free: header.freeCount), layout.parts(header))
    }

    /// The header, label table and codebook as this object holds them (the integrity check
    /// compares them with their pages).
    var checkSnapshot: (header: DiskANNHeader, labelTable: [(label: UInt32, start: Int)], codebook: PQCodebook?) {
        headerMutex.withLock { (header, starts.entries, codebook) }
    }

    /// Whether a codebook is trained, so searches can be steered by codes.
    var isCompressed: Bool { headerMutex.withLock { codebook != nil } }

    // MARK: Node access (each call takes and drops one latch)

    @inline(__always)
    func withRecord<T>(_ node: Int, _ body: (NodeRecord) throws -> T) throws -> T {
        let (page, offset) = layout.records.locate(node)
        return try space.read(page) { try body(layout.record($0, offset)) }
    }

    func withRecordForWriting<T>(_ node: Int, _ body: (NodeRecord) throws -> T) throws -> T {
        let (page, offset) = layout.records.locate(node)
        return try space.write(page) { try body(layout.record($0, offset)) }
    }

    /// Reads a record without a latch (see `PageSpace.readOptimistic`): `body` may see it
    /// mid-change and is run again then, so it must only read, with counts clamped (NodeRecord's
    /// accessors clamp), and write nothing but private scratch. Searches and the build's distance
    /// reads use it: a latch costs two atomic writes on a shared cache line per visited node.
    @inline(__always)
    func peekRecord<T>(_ node: Int, _ body: (NodeRecord) -> T) throws -> T {
        let (page, offset) = layout.records.locate(node)
        return try space.readOptimistic(page) { body(layout.record($0, offset)) }
    }

    /// A node's link count and links (one line more than their bytes: records are not line-aligned).
    @inline(__always)
    func prefetchLinks(_ node: Int) {
        let (page, offset) = layout.records.locate(node)
        space.prefetch(page, offset: offset + DiskANNLayout.linkCountOffset, lines: linkLines)
    }

    /// Starts fetching the cache lines of a record a search is about to read: its first line (state,
    /// labels) and its vector. The loop is bound by memory latency, not arithmetic (see HNSWIndex).
    @inline(__always)
    func prefetchRecord(_ node: Int, withState: Bool) {
        let (page, offset) = layout.records.locate(node)
        if withState { space.prefetch(page, offset: offset, lines: 1) }
        space.prefetch(page, offset: offset + layout.vectorOffset, lines: vectorLines)
    }

    /// Distance from `q` and liveness; nil when a filter is set and the node carries none of its
    /// labels, so filtered search neither follows nor returns it.
    @inline(__always)
    func probe(_ q: UnsafePointer<Float>, _ node: Int, filter: [UInt32]?, allLive: Bool) throws -> (distance: Float, live: Bool)? {
        let dims = dimensions, metric = self.metric
        if allLive && filter == nil { return (try distance(q, toNode: node), true) }
        return try peekRecord(node) { r in
            if let filter, !r.carriesAny(of: filter) { return nil }
            return (Distance.between(q, r.vector, dims, metric: metric), r.state == .live)
        }
    }

    @inline(__always)
    func distance(_ q: UnsafePointer<Float>, toNode node: Int) throws -> Float {
        let dims = dimensions, metric = self.metric
        return try peekRecord(node) { Distance.between(q, $0.vector, dims, metric: metric) }
    }

    /// Copies a node's links into `buffer` (room for `layout.linkCapacity`); returns their count
    /// and whether it is live.
    @inline(__always)
    func readLinks(of node: Int, into buffer: UnsafeMutablePointer<UInt32>) throws -> (count: Int, live: Bool) {
        let limit = layout.linkCapacity
        return try peekRecord(node) { r in
            let n = r.linkCount(limit: limit)
            // An inline loop, not memmove: a call per expanded node (as measured in HNSWIndex).
            for i in 0..<n { buffer[i] = r.links[i] }
            return (n, r.state == .live)
        }
    }

    /// A node's links, each checked before a caller turns it into a page.
    func links(of node: Int) throws -> [UInt32] {
        let limit = layout.linkCapacity
        let links = try withRecord(node) { Array(UnsafeBufferPointer(start: $0.links, count: $0.linkCount(limit: limit))) }
        if let bad = links.first(where: { Int($0) >= layout.capacity }) { throw corruptLink(node, Int(bad)) }
        return links
    }

    /// Replaces the node's links if they still are `expected`; false when another thread changed
    /// them in between. Compares the list, as HNSWIndex.connect does, not the page version: the version also
    /// moves when the page is evicted or another record on it changes, and a re-prune reads many
    /// pages, so with a small pool it would almost never find its own page's version unchanged.
    func replaceLinks(of node: Int, expected: [UInt32], with links: [UInt32]) throws -> Bool {
        let limit = layout.linkCapacity
        precondition(links.count <= limit, "a link list longer than its record's room")
        return try withRecordForWriting(node) { r in
            guard UnsafeBufferPointer(start: r.links, count: r.linkCount(limit: limit)).elementsEqual(expected) else { return false }
            r.setLinks(links)
            return true
        }
    }

    /// Copies the vector into `buffer`; returns the labels.
    func copyVector(of node: Int, into buffer: UnsafeMutablePointer<Float>) throws -> [UInt32] {
        let dims = dimensions
        return try withRecord(node) { r in
            buffer.update(from: r.vector, count: dims)
            return r.labels
        }
    }

    func state(of node: Int) throws -> NodeState { try withRecord(node) { $0.state } }

    var allocatedNodes: Int { headerMutex.withLock { header.nodeCount } }

    func userID(of node: Int) throws -> UInt64 { try withRecord(node) { $0.id } }

    /// Writes a new record, and its code when there is a codebook (a reused slot's old code goes).
    func writeRecord(_ node: Int, id: UInt64, labels: [UInt32], vector: UnsafePointer<Float>,
                             codebook: PQCodebook?) throws {
        let bytes = layout.records.recordBytes, dims = dimensions
        try withRecordForWriting(node) { r in
            r.clear(bytes: bytes)
            r.id = id
            r.stateWord = NodeState.live.rawValue
            r.setLabels(labels)
            r.vector.update(from: vector, count: dims)
        }
        guard let codebook else { return }
        let (page, offset) = layout.code(node)
        try space.write(page) { codebook.encode(vector, into: ($0 + offset).assumingMemoryBound(to: UInt8.self)) }
    }

    /// Marks a live node deleted; returns whether it was live.
    func markDeleted(_ node: Int) throws -> Bool {
        let marked = try withRecordForWriting(node) { r -> Bool in
            guard r.state == .live else { return false }
            r.stateWord = NodeState.deleted.rawValue
            return true
        }
        if marked {
            headerMutex.withLock {
                header.deletedCount += 1
            }
        }
        return marked
    }

    /// The used part of the label table. Its start nodes become search entry points and its labels
    /// keys, so a start past the nodes or a label held twice is refused here.
    private static func loadLabelStarts(header: DiskANNHeader, space: PageSpace, layout: DiskANNLayout) throws -> LabelStarts {
        var holder: [UInt32: Int] = [:]
        return try LabelStarts(loading: header.labelEntries) { entry in
            let value = try readLabelEntry(entry, space: space, layout: layout)
            guard value.start < header.nodeCount else {
                throw CalibyError.corrupt(path: space.path, detail: "label table entry \(entry): label \(value.label) starts at node "
                                          + "\(value.start), beyond nodeCount \(header.nodeCount)")
            }
            if let other = holder.updateValue(entry, forKey: value.label) {
                throw CalibyError.corrupt(path: space.path, detail: "label table entries \(other) and \(entry) both hold label \(value.label)")
            }
            return value
        }
    }

    static func readLabelEntry(_ entry: Int, space: PageSpace, layout: DiskANNLayout) throws -> (label: UInt32, start: Int) {
        let (page, offset) = layout.labelEntry(entry)
        return try space.read(page) {
            ($0.load(fromByteOffset: offset, as: UInt32.self), Int($0.load(fromByteOffset: offset + 4, as: UInt32.self)) - 1)
        }
    }

    // MARK: Slots and header

    /// Takes `count` slots: the free list first, then fresh ones (creating their pages).
    func allocate(_ count: Int) throws -> [Int] {
        try headerMutex.withLock {
            var nodes: [Int] = []
            nodes.reserveCapacity(count)
            while nodes.count < count {
                if header.freeCount > 0 {
                    // The list's links come from pages: each must be a free slot in use range, and
                    // the count bounds the walk, so a damaged list can neither reach past the nodes
                    // nor hand out a live slot.
                    let node = header.freeHead
                    let (state, next) = try withRecord(node) { ($0.stateWord, $0.nextFree) }
                    guard state == NodeState.free.rawValue, next < header.nodeCount, (next < 0) == (header.freeCount == 1) else {
                        throw CalibyError.corrupt(path: space.path, detail: "free list: slot \(node) (state \(state)) links to \(next), "
                                                  + "with \(header.freeCount - 1) free slots to follow of \(header.nodeCount)")
                    }
                    header.freeHead = next
                    header.freeCount -= 1
                    nodes.append(node)
                } else {
                    guard header.nodeCount < layout.capacity else {
                        throw CalibyError.noRoom(index: info.name, needed: 1, free: 0, capacity: layout.capacity)
                    }
                    let node = header.nodeCount
                    if layout.records.startsPage(node) { try space.create(layout.records.locate(node).page) { _ in } }
                    header.nodeCount += 1
                    nodes.append(node)
                }
            }
            return nodes
        }
    }

    /// Page 0 and the changed label table entries, when anything changed.
    func writeHeader() throws {
        let (snapshot, entries) = headerMutex.withLock { () -> (DiskANNHeader?, [(Int, UInt32, Int)]) in
            if header.labelEntries != starts.entries.count { header.labelEntries = starts.entries.count }
            defer { starts.markWritten() }
            return ($header.takeChanges(), starts.changedEntries.sorted().map { ($0, starts.entries[$0].label, starts.entries[$0].start) })
        }
        if let snapshot { try space.write(0) { snapshot.store(into: $0, layout: layout, metric: metric) } }
        for (entry, label, start) in entries {
            let (page, offset) = layout.labelEntry(entry)
            try space.write(page) { p in
                p.storeBytes(of: label, toByteOffset: offset, as: UInt32.self)
                p.storeBytes(of: UInt32(start + 1), toByteOffset: offset + 4, as: UInt32.self)
            }
        }
    }
}

extension DiskANNIndex: DocumentHost {
    var nextAutoID: UInt64 { headerMutex.withLock { header.nextAutoID } }

    func isLive(_ node: Int) throws -> Bool { try node >= 0 && node < allocatedNodes && state(of: node) == .live }

    func carries(_ node: Int, labels: [UInt32]) throws -> Bool {
        let carried = try withRecord(node) { $0.labels }
        return labels.allSatisfy(carried.contains)
    }
}

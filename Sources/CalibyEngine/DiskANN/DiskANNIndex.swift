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
///   from the medoid, α = 1 then the configured α. Later inserts are FreshDiskANN's: greedy search,
///   RobustPrune, back-links re-pruned when a list would pass R.
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
public final class DiskANNIndex: VectorIndex, Consolidating {
    /// `delete` and `insert --replace` consolidate once more than this fraction of the used slots is deleted: deleted
    /// points still cost every search that walks through them and hold slots, while a consolidation
    /// reads the whole graph, so it pays off only in bulk (FreshDiskANN batches deletes the same way).
    public static let autoConsolidateFraction = 0.2
    /// The most candidates one RobustPrune considers, closest first (DiskANN's `maxc`): consolidation
    /// can gather R² of them, and the far ones are pruned anyway.
    static let maxPruneCandidates = 750
    /// Live points before a codebook is trained: k-means wants several points per centroid, and an
    /// index smaller than this is searched quickly enough with exact distances.
    public static let pqTrainingMinimum = 4 * PQCodebook.centroids
    /// Points k-means runs over (DiskANN trains on a sample too): about 100 per centroid; k-means'
    /// time grows with it (≈ 1.6 s on two threads for 128 dimensions).
    static let pqTrainingSample = 25_000

    public let info: IndexInfo
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
    private let recordLines: Int
    /// Cache lines of a record's link count and links.
    private let linkLines: Int

    private let headerMutex = Mutex()
    private var header: DiskANNHeader
    private var headerChanged = false
    private var starts: LabelStarts
    /// Set once, when trained or at open (guarded by `headerMutex`).
    private var codebook: PQCodebook?
    private let scratch: PerThreadPool<DiskANNScratch>

    private init(info: IndexInfo, space: PageSpace, writable: Bool, layout: DiskANNLayout, header: DiskANNHeader,
                 starts: LabelStarts, codebook: PQCodebook?) {
        (self.info, self.space, self.writable, self.layout, self.header, self.starts) = (info, space, writable, layout, header, starts)
        self.codebook = codebook
        let config = info.config.diskann ?? DiskANNConfig()
        (metric, dimensions, R, buildL, alpha) = (info.config.metric, layout.dimensions, layout.R, config.L, Float(config.alpha))
        idMap = IDMap(space: space, firstPage: layout.hashBase, slotCount: layout.hashSlots, nodeLimit: layout.capacity)
        vectorLines = vectorPrefetchLines(vectorBytes: 4 * layout.dimensions)
        recordLines = min(64, (layout.recordBytes + 63) / 64)
        linkLines = (4 + 4 * layout.R + 63) / 64 + 1
        scratch = PerThreadPool {
            DiskANNScratch(nodes: layout.capacity, R: layout.R, dimensions: layout.dimensions, pqBytes: layout.pqBytes)
        }
    }

    /// Formats a new, empty index in `space`.
    convenience init(creating info: IndexInfo, space: PageSpace, writable: Bool) throws {
        let layout = DiskANNLayout(config: info.config)
        let header = DiskANNHeader()
        try space.create(0) { header.store(into: $0, layout: layout, metric: info.config.metric) }
        try space.formatEmptyPages(layout.labelBase..<layout.nodeBase)
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

    public var count: Int { headerMutex.withLock { header.liveCount } }

    /// The header, label table and codebook as this object holds them (the integrity check
    /// compares them with their pages).
    var checkSnapshot: (header: DiskANNHeader, labelTable: [(label: UInt32, start: Int)], codebook: PQCodebook?) {
        headerMutex.withLock { (header, starts.entries, codebook) }
    }

    /// Whether a codebook is trained, so searches can be steered by codes.
    var isCompressed: Bool { headerMutex.withLock { codebook != nil } }

    /// An empty index takes the whole input as one batch, the two-pass bulk build; later batches are
    /// inserted point by point.
    public var preferredBatchSize: Int { headerMutex.withLock { header.usedCount == 0 } ? Int.max : 50_000 }

    // MARK: Node access (each call takes and drops one latch)

    @inline(__always)
    func withRecord<T>(_ node: Int, _ body: (NodeRecord) throws -> T) throws -> T {
        let (page, offset) = layout.node(node)
        return try space.read(page) { try body(layout.record($0, offset)) }
    }

    private func withRecordForWriting<T>(_ node: Int, _ body: (NodeRecord) throws -> T) throws -> T {
        let (page, offset) = layout.node(node)
        return try space.write(page) { try body(layout.record($0, offset)) }
    }

    /// Reads a record without a latch (see `PageSpace.readOptimistic`): `body` may see it
    /// mid-change and is run again then, so it must only read, with counts clamped (NodeRecord's
    /// accessors clamp), and write nothing but private scratch. Searches and the build's distance
    /// reads use it: a latch costs two atomic writes on a shared cache line per visited node.
    @inline(__always)
    private func peekRecord<T>(_ node: Int, _ body: (NodeRecord) -> T) throws -> T {
        let (page, offset) = layout.node(node)
        return try space.readOptimistic(page) { body(layout.record($0, offset)) }
    }

    /// A node's link count and links (one line more than their bytes: records are not line-aligned).
    @inline(__always)
    private func prefetchLinks(_ node: Int) {
        let (page, offset) = layout.node(node)
        space.prefetch(page, offset: offset + DiskANNLayout.linkCountOffset, lines: linkLines)
    }

    /// Starts fetching the cache lines of a record a search is about to read: its first line (state,
    /// labels) and its vector. The loop is bound by memory latency, not arithmetic (see HNSWIndex).
    @inline(__always)
    private func prefetchRecord(_ node: Int, withState: Bool) {
        let (page, offset) = layout.node(node)
        if withState { space.prefetch(page, offset: offset, lines: 1) }
        space.prefetch(page, offset: offset + layout.vectorOffset, lines: vectorLines)
    }

    /// Distance from `q` and liveness; nil when a filter is set and the node carries none of its
    /// labels, so filtered search neither follows nor returns it.
    @inline(__always)
    private func probe(_ q: UnsafePointer<Float>, _ node: Int, filter: [UInt32]?, allLive: Bool) throws -> (distance: Float, live: Bool)? {
        let dims = dimensions, metric = self.metric
        if allLive && filter == nil { return (try distance(q, toNode: node), true) }
        return try peekRecord(node) { r in
            if let filter, !r.carriesAny(of: filter) { return nil }
            return (Distance.between(q, r.vector, dims, metric: metric), r.state == .live)
        }
    }

    @inline(__always)
    private func distance(_ q: UnsafePointer<Float>, toNode node: Int) throws -> Float {
        let dims = dimensions, metric = self.metric
        return try peekRecord(node) { Distance.between(q, $0.vector, dims, metric: metric) }
    }

    /// Copies a node's links into `buffer` (room for R); returns their count and whether it is live.
    @inline(__always)
    func readLinks(of node: Int, into buffer: UnsafeMutablePointer<UInt32>) throws -> (count: Int, live: Bool) {
        let R = self.R
        return try peekRecord(node) { r in
            let n = r.linkCount(limit: R)
            // An inline loop, not memmove: a call per expanded node (as measured in HNSWIndex).
            for i in 0..<n { buffer[i] = r.links[i] }
            return (n, r.state == .live)
        }
    }

    /// A node's links, each checked before a caller turns it into a page.
    private func links(of node: Int) throws -> [UInt32] {
        let R = self.R
        let links = try withRecord(node) { Array(UnsafeBufferPointer(start: $0.links, count: $0.linkCount(limit: R))) }
        if let bad = links.first(where: { Int($0) >= layout.capacity }) { throw corruptLink(node, Int(bad)) }
        return links
    }

    /// Replaces the node's links if they still are `expected`; false when another thread changed
    /// them in between. Compares the list, as HNSWIndex.connect does, not the page version: the version also
    /// moves when the page is evicted or another record on it changes, and a re-prune reads many
    /// pages, so with a small pool it would almost never find its own page's version unchanged.
    private func replaceLinks(of node: Int, expected: [UInt32], with links: [UInt32]) throws -> Bool {
        let R = self.R
        return try withRecordForWriting(node) { r in
            guard UnsafeBufferPointer(start: r.links, count: r.linkCount(limit: R)).elementsEqual(expected) else { return false }
            r.setLinks(links)
            return true
        }
    }

    /// Copies the vector into `buffer`; returns the labels.
    private func copyVector(of node: Int, into buffer: UnsafeMutablePointer<Float>) throws -> [UInt32] {
        let dims = dimensions
        return try withRecord(node) { r in
            buffer.update(from: r.vector, count: dims)
            return r.labels
        }
    }

    private func state(of node: Int) throws -> NodeState { try withRecord(node) { $0.state } }

    /// The node an id maps to. The map's node numbers come from a page: one past the slots in use
    /// is damage, and writing there would corrupt a record never allocated.
    private func node(of id: UInt64) throws -> Int? {
        guard let node = try idMap.lookup(id) else { return nil }
        let nodeCount = headerMutex.withLock { header.nodeCount }
        guard node < nodeCount else {
            throw CalibyError.corrupt(path: space.path, detail: "id map sends id \(id) to node \(node), beyond nodeCount \(nodeCount)")
        }
        return node
    }

    func userID(of node: Int) throws -> UInt64 { try withRecord(node) { $0.id } }

    /// Writes a new record, and its code when there is a codebook (a reused slot's old code goes).
    private func writeRecord(_ node: Int, id: UInt64, labels: [UInt32], vector: UnsafePointer<Float>,
                             codebook: PQCodebook?) throws {
        let bytes = layout.recordBytes, dims = dimensions
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
    private func markDeleted(_ node: Int) throws -> Bool {
        let marked = try withRecordForWriting(node) { r -> Bool in
            guard r.state == .live else { return false }
            r.stateWord = NodeState.deleted.rawValue
            return true
        }
        if marked {
            headerMutex.withLock {
                header.deletedCount += 1
                headerChanged = true
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

    // MARK: Search

    /// DiskANN's beam search: each round expands the `width` closest unexpanded nodes of a list of
    /// the best `L` seen. Deleted nodes are walked through; only live ones enter `scratch.results`
    /// (the best `k`). With `collect`, `scratch.expanded` receives the live nodes expanded.
    ///
    /// `allLive` (no node is marked deleted) spares an unfiltered search each neighbour's state word,
    /// a cache line of its own beside the vector's; so does k = 0 (the build's searches, which
    /// return nothing and so never ask whether a node is live).
    private func greedySearch(_ q: UnsafePointer<Float>, from entryPoints: [Int], filter: [UInt32]?, L: Int, width: Int,
                              k: Int, collect: Bool, allLive: Bool = false, scratch s: DiskANNScratch) throws {
        let allLive = allLive || k == 0
        let skipState = allLive && filter == nil
        s.visited.clear()
        s.list.reset(capacity: L)
        s.results.removeAll()
        s.expanded.removeAll(keepingCapacity: true)
        for node in entryPoints where s.visited.insert(node) {
            try consider(node, q, filter: filter, k: k, allLive: allLive, scratch: s)
        }
        while true {
            s.list.takeBeam(width, into: &s.beam)
            if s.beam.isEmpty { break }
            // As in HNSWIndex.searchLevel: the likely next node's links and the neighbours'
            // visited tags are fetched ahead, so neither stalls the loop.
            if let upcoming = s.list.nextUnexpanded { prefetchLinks(RankedNode.node(upcoming)) }
            for key in s.beam {
                let node = RankedNode.node(key)
                let (n, live) = try readLinks(of: node, into: s.links)
                if collect && live { s.expanded.append(key) }
                let fresh = try s.keepUnvisited(n, capacity: layout.capacity, corrupt: { corruptLink(node, $0) }) {
                    prefetchRecord($0, withState: !skipState)
                }
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
    /// `k` live expanded nodes by exact distance. A beam's records are fetched together.
    private func compressedSearch(_ q: UnsafePointer<Float>, from entryPoints: [Int], filter: [UInt32]?, L: Int, width: Int,
                                  k: Int, codebook: PQCodebook, scratch s: DiskANNScratch) throws {
        codebook.fillTable(q, metric: metric, into: s.table)
        let table = UnsafePointer(s.table)
        s.visited.clear()
        s.list.reset(capacity: L)
        s.results.removeAll()
        for node in entryPoints where s.visited.insert(node) { try enqueue(node, table: table, filter: filter, scratch: s) }
        let dims = dimensions, metric = self.metric, R = self.R
        while true {
            s.list.takeBeam(width, into: &s.beam)
            if s.beam.isEmpty { break }
            for key in s.beam {
                let (page, offset) = layout.node(RankedNode.node(key))
                space.prefetch(page, offset: offset, lines: recordLines)
            }
            for key in s.beam {
                let node = RankedNode.node(key)
                let (n, live, d) = try peekRecord(node) { r in
                    let n = r.linkCount(limit: R)
                    for i in 0..<n { s.links[i] = r.links[i] }
                    return (n, r.state == .live, Distance.between(q, r.vector, dims, metric: metric))
                }
                if live { s.results.keepClosest(RankedNode.key(d, UInt32(node)), limit: k) }
                let fresh = try s.keepUnvisited(n, capacity: layout.capacity, corrupt: { corruptLink(node, $0) }) { next in
                    let (codePage, codeOffset) = layout.code(next)
                    space.prefetch(codePage, offset: codeOffset, lines: layout.codeLines(codeOffset))
                    if filter != nil {
                        let (page, offset) = layout.node(next)
                        space.prefetch(page, offset: offset, lines: 1)
                    }
                }
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

    public func search(_ query: UnsafePointer<Float>, parameters: SearchParameters) throws -> [SearchHit] {
        guard parameters.k > 0 else { return [] }
        let (entry, trained, nodeCount, allLive) = headerMutex.withLock { () -> (Int?, PQCodebook?, Int, Bool) in
            let entry = parameters.filter.map { starts.start(of: $0) } ?? (header.medoid >= 0 ? header.medoid : nil)
            return (entry, self.codebook, header.nodeCount, header.deletedCount == 0)
        }
        let codebook: PQCodebook?
        switch parameters.distances {
        case .pq: codebook = trained
        case .exact: codebook = nil
        case .auto:
            let usedBytes = (layout.nodeBase + (nodeCount + layout.nodesPerPage - 1) / layout.nodesPerPage) * layout.pageSize
            codebook = usedBytes > space.pool.budgetBytes ? trained : nil
        }
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
            return try s.results.drainComplemented().map {
                SearchHit(id: try userID(of: RankedNode.node($0)), distance: RankedNode.distance($0))
            }
        }
    }

    // MARK: Linking

    /// A node's links: RobustPrune (Vamana's Algorithm 2) run twice over one walk of the candidates,
    /// `sorted` closest to the pivot first, without the pivot or repeats.
    ///
    /// - The general list is plain RobustPrune: a candidate c is dropped when a kept node k is closer
    ///   to it than the pivot is, by the factor α. It makes the graph navigable for unfiltered search.
    /// - The labelled list is Filtered-DiskANN's FilteredRobustPrune over the candidates sharing a
    ///   label with the pivot: k must also carry every label c shares with the pivot. It makes each
    ///   label's points navigable for filtered search.
    ///
    /// Each list may take half the degree, and what one leaves unused goes to the other: without the
    /// split, the many nearer points of other labels would fill all R slots first (in high dimension
    /// RobustPrune keeps about R), and a label's points would lose the edges between them. Deleted
    /// candidates are dropped: they must gain no edges.
    private func robustPrune(_ sorted: [UInt64], pivotLabels: [UInt32], alpha: Float, scratch s: DiskANNScratch) throws -> [UInt32] {
        var nodes: [UInt32] = []
        var general: [Int] = [], labelled: [Int] = []
        let dims = dimensions
        for key in sorted.prefix(DiskANNIndex.maxPruneCandidates) {
            if general.count == R && (pivotLabels.isEmpty || labelled.count == R) { break }
            let slot = nodes.count
            let node = RankedNode.node(key)
            // Labels first: once the general list is full, a candidate sharing no label with the
            // pivot cannot be kept, and its vector is not worth copying.
            let (labelCount, sharesLabel, wanted) = try peekRecord(node) { r -> (Int, Bool, Bool) in
                let n = r.labelCount
                for i in 0..<n { s.keptLabels(slot)[i] = r.label(i) }
                let sharesLabel = (0..<n).contains { pivotLabels.contains(s.keptLabels(slot)[$0]) }
                let wanted = r.state == .live && (general.count < R || (sharesLabel && labelled.count < R))
                if wanted { s.keptVector(slot).update(from: r.vector, count: dims) }
                return (n, sharesLabel, wanted)
            }
            guard wanted else { continue }
            s.keptLabelCounts[slot] = labelCount
            let toPivot = RankedNode.distance(key)
            let keepGeneral = general.count < R
                && !isCovered(slot, toPivot: toPivot, by: general, pivotLabels: nil, alpha: alpha, scratch: s)
            let keepLabelled = sharesLabel && labelled.count < R
                && !isCovered(slot, toPivot: toPivot, by: labelled, pivotLabels: pivotLabels, alpha: alpha, scratch: s)
            guard keepGeneral || keepLabelled else { continue }
            nodes.append(UInt32(node))
            if keepGeneral { general.append(slot) }
            if keepLabelled { labelled.append(slot) }
        }
        let labelledShare = max(R / 2, R - general.count)
        var chosen: [Int] = []
        for slot in labelled.prefix(labelledShare) + general + labelled.dropFirst(labelledShare)
            where chosen.count < R && !chosen.contains(slot) {
            chosen.append(slot)
        }
        return chosen.map { nodes[$0] }
    }

    /// Whether a kept slot stands in for candidate `slot`: closer to it than the pivot is, by the
    /// factor α, and, with `pivotLabels`, carrying every label the candidate shares with the pivot.
    @inline(__always)
    private func isCovered(_ slot: Int, toPivot: Float, by kept: [Int], pivotLabels: [UInt32]?, alpha: Float,
                           scratch s: DiskANNScratch) -> Bool {
        for k in kept where pivotLabels.map({ carriesSharedLabels(k, of: slot, pivotLabels: $0, scratch: s) }) ?? true {
            let between = Distance.between(s.keptVector(k), s.keptVector(slot), dimensions, metric: metric)
            // α widens only positive distances: an inner product's negative ones would otherwise
            // make pruning stricter than α = 1.
            if (between > 0 ? alpha * between : between) <= toPivot { return true }
        }
        return false
    }

    /// Whether slot `k` carries every label slot `c` shares with the pivot.
    @inline(__always)
    private func carriesSharedLabels(_ k: Int, of c: Int, pivotLabels: [UInt32], scratch s: DiskANNScratch) -> Bool {
        let cLabels = s.keptLabels(c), kLabels = s.keptLabels(k), kCount = s.keptLabelCounts[k]
        for i in 0..<s.keptLabelCounts[c] where pivotLabels.contains(cLabels[i]) {
            if !(0..<kCount).contains(where: { kLabels[$0] == cLabels[i] }) { return false }
        }
        return true
    }

    /// Sorted by distance, each node once, without `node` itself.
    private func uniqueSorted(_ keys: [UInt64], excluding node: Int) -> [UInt64] {
        var out: [UInt64] = []
        out.reserveCapacity(keys.count)
        for key in keys.sorted() where key != out.last && RankedNode.node(key) != node { out.append(key) }
        return out
    }

    /// Vamana's step for one point, also FreshDiskANN's insert: candidates from the searches, then
    /// its links by RobustPrune and a back-link from each of them.
    private func link(_ node: Int, vector q: UnsafePointer<Float>, labels: [UInt32], alpha: Float,
                      scratch s: DiskANNScratch) throws {
        let (medoid, labelStarts) = headerMutex.withLock { (header.medoid, labels.compactMap { starts.start(of: $0) }) }
        var pool: [UInt64] = []
        if medoid >= 0 {
            try greedySearch(q, from: [medoid], filter: nil, L: buildL, width: 1, k: 0, collect: true, scratch: s)
            pool += s.expanded
        }
        if !labelStarts.isEmpty {
            try greedySearch(q, from: labelStarts, filter: labels, L: buildL, width: 1, k: 0, collect: true, scratch: s)
            pool += s.expanded
        }
        let chosen = try relink(node, pivot: q, pivotLabels: labels, adding: pool, alpha: alpha, scratch: s)
        for neighbour in chosen { try addBackLink(from: Int(neighbour), to: node, vector: q, alpha: alpha, scratch: s) }
    }

    /// Sets the node's links to RobustPrune(its current links ∪ `candidates`), again if back-links
    /// from concurrent inserts changed its page in between.
    private func relink(_ node: Int, pivot: UnsafePointer<Float>, pivotLabels: [UInt32], adding candidates: [UInt64],
                        alpha: Float, scratch s: DiskANNScratch) throws -> [UInt32] {
        while true {
            let current = try links(of: node)
            var keys = candidates
            for link in current { keys.append(RankedNode.key(try distance(pivot, toNode: Int(link)), link)) }
            let chosen = try robustPrune(uniqueSorted(keys, excluding: node), pivotLabels: pivotLabels, alpha: alpha, scratch: s)
            if try replaceLinks(of: node, expected: current, with: chosen) { return chosen }
        }
    }

    /// Adds `node` to `neighbour`'s links; when that would pass R, re-prunes them as seen from `neighbour`.
    private func addBackLink(from neighbour: Int, to node: Int, vector q: UnsafePointer<Float>, alpha: Float,
                             scratch s: DiskANNScratch) throws {
        // The neighbour's vector and labels are needed only to re-prune a full list (as in
        // HNSWIndex.connect); most back-links just append.
        var neighbourLabels: [UInt32]?
        let pivot = UnsafePointer(s.pivot)
        while true {
            let current = try links(of: neighbour)
            if current.contains(UInt32(node)) { return }
            var updated = current
            if current.count < R {
                updated.append(UInt32(node))
            } else {
                if neighbourLabels == nil { neighbourLabels = try copyVector(of: neighbour, into: s.pivot) }
                var keys = try current.map { RankedNode.key(try distance(pivot, toNode: Int($0)), $0) }
                keys.append(RankedNode.key(Distance.between(pivot, q, dimensions, metric: metric), UInt32(node)))
                updated = try robustPrune(uniqueSorted(keys, excluding: neighbour), pivotLabels: neighbourLabels!,
                                          alpha: alpha, scratch: s)
            }
            if try replaceLinks(of: neighbour, expected: current, with: updated) { return }
        }
    }

    // MARK: Insert

    public func insert(_ batch: VectorBatch, options: InsertOptions) throws -> InsertSummary {
        guard writable else { throw CalibyError.readOnly("insert") }
        guard batch.dimensions == dimensions else {
            throw CalibyError.invalidArgument("index '\(info.name)' has \(dimensions) dimensions, the input has \(batch.dimensions)")
        }
        var summary = InsertSummary()
        guard batch.count > 0 else { return summary }
        let labels = try checkedLabels(batch)
        var next = headerMutex.withLock { header.nextAutoID }
        let ids = try batch.assignIDs(next: &next, index: info.name)
        summary.firstID = ids.first
        summary.lastID = ids.last
        // Replacing in input order means the last vector of a repeated id wins.
        let records = options.replace ? lastOccurrences(ids) : Array(ids.indices)
        try ensureRoom(for: records.count, options: options)
        headerMutex.withLock {
            if next != header.nextAutoID {
                header.nextAutoID = next
                headerChanged = true
            }
        }
        let vectors = preparedVectors(batch)
        space.preload(beforeInserting: records.count, into: count)
        let outcome = Result { () throws -> Int in
            let inserted = try vectors.withUnsafeBufferPointer { v in
                let batch = PreparedBatch(records: records, ids: ids, labels: labels, vectors: v.baseAddress!, dimensions: dimensions)
                if headerMutex.withLock({ header.usedCount == 0 }) { return try bulkLoad(batch, options: options) }
                return try insertEach(batch, options: options)
            }
            try trainCodebookIfDue(threads: options.threads)
            if options.replace { try consolidateIfDue(threads: options.threads) }
            return inserted
        }
        try writeHeader()
        summary.inserted = try outcome.get()
        summary.replaced = ids.count - summary.inserted
        return summary
    }

    /// The records of a batch to insert, in the form the insert paths share.
    private struct PreparedBatch {
        let records: [Int]
        let ids: [UInt64]
        let labels: [[UInt32]]
        let vectors: UnsafePointer<Float>
        let dimensions: Int
        func vector(_ record: Int) -> UnsafePointer<Float> { vectors + record * dimensions }
    }

    /// Each record's labels ascending without repeats, after checking they fit: at most
    /// `maxLabelsPerNode` per vector and `maxLabels` distinct in the index.
    private func checkedLabels(_ batch: VectorBatch) throws -> [[UInt32]] {
        var distinct = Set<UInt32>()
        let labels = try (0..<batch.count).map { i -> [UInt32] in
            let unique = i < batch.labels.count ? Array(Set(batch.labels[i])).sorted() : []
            guard unique.count <= DiskANNLayout.maxLabelsPerNode else {
                throw CalibyError.badInput(location: "record \(batch.firstRecordNumber + i)",
                                           message: "has \(unique.count) labels; a vector carries at most \(DiskANNLayout.maxLabelsPerNode)")
            }
            distinct.formUnion(unique)
            return unique
        }
        let (needed, available) = headerMutex.withLock { starts.roomNeeded(for: distinct) }
        guard needed <= available else {
            throw CalibyError.capacity(index: info.name, detail: "the input brings \(needed) new labels, but an index holds at most "
                + "\(DiskANNLayout.maxLabels) distinct labels and there is room for \(available) more")
        }
        return labels
    }

    private func lastOccurrences(_ ids: [UInt64]) -> [Int] {
        var seen = Set<UInt64>()
        return ids.indices.reversed().filter { seen.insert(ids[$0]).inserted }.reversed()
    }

    /// Fails before changing anything when the records cannot fit, consolidating first when the
    /// deleted slots would make the room.
    private func ensureRoom(for needed: Int, options: InsertOptions) throws {
        let (free, deleted) = headerMutex.withLock { (layout.capacity - header.usedCount, header.deletedCount) }
        if needed > free && needed <= free + deleted {
            _ = try consolidate(threads: options.threads)
            return
        }
        guard needed <= free else {
            var detail = "\(needed) vectors do not fit in the \(free) free slots (--max-elements \(layout.capacity))"
            if options.replace { detail += "; a replaced vector takes a new slot until its old one is consolidated" }
            throw CalibyError.capacity(index: info.name, detail: detail)
        }
    }

    /// The vectors as stored: normalized for cosine.
    private func preparedVectors(_ batch: VectorBatch) -> [Float] {
        guard metric == .cosine else { return batch.vectors }
        var vectors = batch.vectors
        vectors.withUnsafeMutableBufferPointer { v in
            for offset in stride(from: 0, to: v.count, by: dimensions) { Distance.normalize(v.baseAddress! + offset, dimensions) }
        }
        return vectors
    }

    /// Vamana's build for a batch into an empty index: every record written, the start points
    /// chosen, then two linking passes over a random order, the first with α = 1 (a sparse graph
    /// that connects every point), the second with the configured α (adds the longer edges that
    /// shorten searches). Returns the number inserted.
    private func bulkLoad(_ batch: PreparedBatch, options: InsertOptions) throws -> Int {
        let count = batch.records.count
        let nodes = try allocate(count)
        var quiet = options
        quiet.progress = nil
        let codebook = headerMutex.withLock { self.codebook }
        try forEachInParallel(count, options: quiet) { i in
            let record = batch.records[i]
            try writeRecord(nodes[i], id: batch.ids[record], labels: batch.labels[record], vector: batch.vector(record),
                            codebook: codebook)
            if try idMap.insert(batch.ids[record], node: nodes[i]) != nil {
                throw CalibyError.duplicateID(index: info.name, id: batch.ids[record])
            }
        }
        chooseStarts(batch, nodes: nodes)
        // A fixed pseudo-random order, so a one-thread build is reproducible.
        let order = (0..<count).sorted { SplitMix.mix(UInt64($0)) < SplitMix.mix(UInt64($1)) }
        for (pass, passAlpha) in [Float(1), alpha].enumerated() {
            var passOptions = options
            if let progress = options.progress { passOptions.progress = { progress((pass * count + $0) / 2) } }
            try forEachInParallel(count, options: passOptions) { i in
                let record = batch.records[order[i]]
                try scratch.with { s in
                    try link(nodes[order[i]], vector: batch.vector(record), labels: batch.labels[record], alpha: passAlpha, scratch: s)
                }
            }
        }
        return count
    }

    /// Vamana starts from the medoid; the point nearest the centroid stands in for it (an exact
    /// medoid costs a quadratic pass). Each label's start is found the same way among its points.
    private func chooseStarts(_ batch: PreparedBatch, nodes: [Int]) {
        var carriers: [UInt32: [Int]] = [:]
        for (i, record) in batch.records.enumerated() {
            for label in batch.labels[record] { carriers[label, default: []].append(i) }
        }
        let nearest = { (members: [Int]) -> Int in
            nodes[members[self.nearestToCentroid(members.map { batch.vector(batch.records[$0]) })]]
        }
        let medoid = nearest(Array(batch.records.indices))
        let labelStarts = carriers.mapValues(nearest)
        headerMutex.withLock {
            header.medoid = medoid
            for (label, node) in labelStarts { starts.setStart(label, node) }
            headerChanged = true
        }
    }

    /// Position in `vectors` of the one nearest (in L2, whatever the metric: this is about where
    /// the points lie) to their mean.
    private func nearestToCentroid(_ vectors: [UnsafePointer<Float>]) -> Int {
        var sum = [Double](repeating: 0, count: dimensions)
        for v in vectors { for d in 0..<dimensions { sum[d] += Double(v[d]) } }
        let centroid = sum.map { Float($0 / Double(vectors.count)) }
        return centroid.withUnsafeBufferPointer { c in
            var nearest = 0, nearestDistance = Float.infinity
            for (i, v) in vectors.enumerated() {
                let d = Distance.squaredL2(v, c.baseAddress!, dimensions)
                if d < nearestDistance { (nearest, nearestDistance) = (i, d) }
            }
            return nearest
        }
    }

    /// FreshDiskANN's inserts, one point at a time on every thread. Returns the number of new ids.
    private func insertEach(_ batch: PreparedBatch, options: InsertOptions) throws -> Int {
        let added = ManagedAtomic<Int>(0)
        try forEachInParallel(batch.records.count, options: options) { i in
            let record = batch.records[i]
            let new = try scratch.with { s in
                try insertOne(id: batch.ids[record], labels: batch.labels[record], vector: batch.vector(record),
                              replace: options.replace, scratch: s)
            }
            if new { added.wrappingIncrement(ordering: .relaxed) }
        }
        return added.load(ordering: .relaxed)
    }

    /// Inserts one point. An id whose old vector is deleted counts as new; with `replace` a live one
    /// is marked deleted and its id moves to the new node (an update is a delete plus an insert, as in
    /// FreshDiskANN). Returns whether the id was new.
    private func insertOne(id: UInt64, labels: [UInt32], vector: UnsafePointer<Float>, replace: Bool,
                           scratch s: DiskANNScratch) throws -> Bool {
        let existing = try node(of: id)
        let replacing = try existing.map { try state(of: $0) == .live } ?? false
        if replacing && !replace { throw CalibyError.duplicateID(index: info.name, id: id) }
        let node = try allocate(1)[0]
        try writeRecord(node, id: id, labels: labels, vector: vector, codebook: headerMutex.withLock { codebook })
        if let existing {
            guard try idMap.repoint(id, from: existing, to: node) else { throw CalibyError.duplicateID(index: info.name, id: id) }
            if replacing { _ = try markDeleted(existing) }
        } else if try idMap.insert(id, node: node) != nil {
            throw CalibyError.duplicateID(index: info.name, id: id)
        }
        headerMutex.withLock {
            for label in labels where starts.start(of: label) == nil {
                starts.setStart(label, node)
                headerChanged = true
            }
        }
        try link(node, vector: vector, labels: labels, alpha: alpha, scratch: s)
        return !replacing
    }

    /// Takes `count` slots: the free list first, then fresh ones (creating their pages).
    private func allocate(_ count: Int) throws -> [Int] {
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
                        throw CalibyError.capacity(index: info.name, detail: "all \(layout.capacity) slots are used (--max-elements)")
                    }
                    let node = header.nodeCount
                    if node % layout.nodesPerPage == 0 { try space.create(layout.node(node).page) { _ in } }
                    header.nodeCount += 1
                    nodes.append(node)
                }
            }
            headerChanged = true
            return nodes
        }
    }

    /// Page 0 and the changed label table entries, when anything changed.
    private func writeHeader() throws {
        let (snapshot, changed, entries) = headerMutex.withLock { () -> (DiskANNHeader, Bool, [(Int, UInt32, Int)]) in
            if header.labelEntries != starts.entries.count {
                header.labelEntries = starts.entries.count
                headerChanged = true
            }
            defer {
                headerChanged = false
                starts.markWritten()
            }
            return (header, headerChanged, starts.changedEntries.sorted().map { ($0, starts.entries[$0].label, starts.entries[$0].start) })
        }
        if changed { try space.write(0) { snapshot.store(into: $0, layout: layout, metric: metric) } }
        for (entry, label, start) in entries {
            let (page, offset) = layout.labelEntry(entry)
            try space.write(page) { p in
                p.storeBytes(of: label, toByteOffset: offset, as: UInt32.self)
                p.storeBytes(of: UInt32(start + 1), toByteOffset: offset + 4, as: UInt32.self)
            }
        }
    }

    // MARK: Codebook

    /// Applies the codebook rule (see the type's comment): trains when due, then encodes every used
    /// slot — deleted points are still walked through — and stores the codebook. Searches keep to
    /// exact distances until the codebook is published, after every code is written.
    private func trainCodebookIfDue(threads: Int) throws {
        guard layout.pqBytes > 0 else { return }
        let (due, nodeCount) = headerMutex.withLock {
            (codebook == nil && header.liveCount >= DiskANNIndex.pqTrainingMinimum, header.nodeCount)
        }
        guard due else { return }
        var live: [Int] = []
        for node in 0..<nodeCount where try state(of: node) == .live { live.append(node) }
        let n = min(live.count, DiskANNIndex.pqTrainingSample)
        var sample = [Float](repeating: 0, count: n * dimensions)
        try sample.withUnsafeMutableBufferPointer { v in
            for i in 0..<n { _ = try copyVector(of: live[i * live.count / n], into: v.baseAddress! + i * dimensions) }
        }
        let book = PQCodebook(dimensions: dimensions, subspaces: layout.pqBytes)
        try sample.withUnsafeBufferPointer { try book.train(sample: $0.baseAddress!, count: n, threads: threads) }
        let perPage = layout.codesPerPage, m = layout.pqBytes
        try parallelFor((nodeCount + perPage - 1) / perPage, threads: threads) { _, p in
            let first = p * perPage, last = min(nodeCount, first + perPage)
            var codes = [UInt8](repeating: 0, count: (last - first) * m)
            try codes.withUnsafeMutableBufferPointer { c in
                for node in first..<last {
                    try withRecord(node) { r in if r.state != .free { book.encode(r.vector, into: c.baseAddress! + (node - first) * m) } }
                }
            }
            try space.write(layout.codeBase + p) { $0.copyMemory(from: codes, byteCount: codes.count) }
        }
        try storeCodebook(book)
        headerMutex.withLock {
            codebook = book
            header.pqTrained = true
            headerChanged = true
        }
    }

    private func storeCodebook(_ book: PQCodebook) throws {
        let perPage = layout.codebookFloatsPerPage
        for first in stride(from: 0, to: book.floatCount, by: perPage) {
            let n = min(perPage, book.floatCount - first)
            try space.write(layout.codebookBase + first / perPage) { $0.copyMemory(from: book.coordinates + first, byteCount: n * 4) }
        }
    }

    static func loadCodebook(space: PageSpace, layout: DiskANNLayout) throws -> PQCodebook {
        let book = PQCodebook(dimensions: layout.dimensions, subspaces: layout.pqBytes)
        let perPage = layout.codebookFloatsPerPage
        for first in stride(from: 0, to: book.floatCount, by: perPage) {
            let n = min(perPage, book.floatCount - first)
            try space.read(layout.codebookBase + first / perPage) {
                UnsafeMutableRawPointer(book.coordinates + first).copyMemory(from: $0, byteCount: n * 4)
            }
        }
        guard UnsafeBufferPointer(start: book.coordinates, count: book.floatCount).allSatisfy(\.isFinite) else {
            throw CalibyError.corrupt(path: space.path, detail: "the PQ codebook holds a value that is not finite")
        }
        return book
    }

    // MARK: Delete and consolidate

    public func delete(ids: [UInt64]) throws -> Int {
        guard writable else { throw CalibyError.readOnly("delete") }
        // Every id is looked up before any is marked, so an unknown one changes nothing.
        let nodes = try ids.map { id in
            guard let node = try node(of: id) else { throw CalibyError.noSuchID(index: info.name, id: id) }
            return node
        }
        var deleted = 0
        for node in nodes where try markDeleted(node) { deleted += 1 }
        try consolidateIfDue(threads: max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        try writeHeader()
        return deleted
    }

    /// The automatic consolidation, after anything that marks nodes deleted: `delete`, and
    /// `insert --replace` (whose old vectors are marked deleted too).
    private func consolidateIfDue(threads: Int) throws {
        let (used, marked) = headerMutex.withLock { (header.usedCount, header.deletedCount) }
        if Double(marked) > DiskANNIndex.autoConsolidateFraction * Double(used) { _ = try consolidate(threads: threads) }
    }

    /// A start point about to be freed, and the vector its replacement should be nearest to.
    private struct DoomedStart {
        /// nil for the medoid.
        let label: UInt32?
        let vector: [Float]
    }

    /// FreshDiskANN's delete consolidation (Algorithm 4): every live node with deleted out-neighbours
    /// takes their live out-neighbours instead and re-prunes; start points that were deleted move to
    /// the nearest live point (carrying the label); then the deleted slots and their ids are freed
    /// for reuse. Returns the number of slots freed.
    public func consolidate(threads: Int) throws -> Int {
        guard writable else { throw CalibyError.readOnly("consolidate") }
        let (nodeCount, medoid, deletedCount) = headerMutex.withLock { (header.nodeCount, header.medoid, header.deletedCount) }
        guard deletedCount > 0 else { return 0 }
        var deleted = [Bool](repeating: false, count: nodeCount)
        var live: [Int] = [], gone: [Int] = []
        for node in 0..<nodeCount {
            switch try state(of: node) {
            case .live: live.append(node)
            case .deleted:
                deleted[node] = true
                gone.append(node)
            case .free: break
            }
        }
        // Each freed slot takes one off the header's count, which must not go negative.
        guard gone.count == deletedCount else {
            throw CalibyError.corrupt(path: space.path, detail: "\(gone.count) nodes are marked deleted, but header field deletedCount = \(deletedCount)")
        }
        let doomed = try doomedStarts(medoid: medoid, deleted: deleted)
        var best = [UInt64](repeating: .max, count: doomed.count)
        let bestMutex = Mutex()
        try forEachInParallel(live.count, options: InsertOptions(threads: threads)) { i in
            let node = live[i]
            try scratch.with { s in
                let labels = try copyVector(of: node, into: s.pivot)
                try repairLinks(of: node, labels: labels, deleted: deleted, scratch: s)
                for (t, target) in doomed.enumerated() where target.label.map(labels.contains) ?? true {
                    let d = target.vector.withUnsafeBufferPointer { Distance.squaredL2(s.pivot, $0.baseAddress!, dimensions) }
                    let key = RankedNode.key(d, UInt32(node))
                    bestMutex.withLock { best[t] = min(best[t], key) }
                }
            }
        }
        headerMutex.withLock {
            for (target, key) in zip(doomed, best) {
                let node = key == .max ? -1 : RankedNode.node(key)
                switch (target.label, node >= 0) {
                case (nil, _): header.medoid = node
                case (let label?, true): starts.setStart(label, node)
                case (let label?, false): starts.clearStart(label)
                }
            }
            headerChanged = true
        }
        // Freed highest first, so the free list hands out the lowest slots first.
        for node in gone.reversed() { try free(node) }
        try idMap.compactIfNeeded()
        try writeHeader()
        return gone.count
    }

    private func doomedStarts(medoid: Int, deleted: [Bool]) throws -> [DoomedStart] {
        var doomed: [(UInt32?, Int)] = medoid >= 0 && deleted[medoid] ? [(nil, medoid)] : []
        headerMutex.withLock {
            for entry in starts.entries where entry.start >= 0 && entry.start < deleted.count && deleted[entry.start] {
                doomed.append((entry.label, entry.start))
            }
        }
        return try doomed.map { label, node in
            var vector = [Float](repeating: 0, count: dimensions)
            _ = try vector.withUnsafeMutableBufferPointer { try copyVector(of: node, into: $0.baseAddress!) }
            return DoomedStart(label: label, vector: vector)
        }
    }

    /// Algorithm 4's step for one node (its vector in `scratch.pivot`). Written without checking the
    /// list first: in this phase only this node's worker writes its links, and nobody writes the
    /// deleted nodes' links it reads.
    private func repairLinks(of node: Int, labels: [UInt32], deleted: [Bool], scratch s: DiskANNScratch) throws {
        let (n, _) = try readLinks(of: node, into: s.links)
        for i in 0..<n where Int(s.links[i]) >= deleted.count { throw corruptLink(node, Int(s.links[i])) }
        guard (0..<n).contains(where: { deleted[Int(s.links[$0])] }) else { return }
        s.visited.clear()
        _ = s.visited.insert(node)
        var candidates: [Int] = []
        for i in 0..<n {
            let neighbour = Int(s.links[i])
            if !deleted[neighbour] {
                if s.visited.insert(neighbour) { candidates.append(neighbour) }
                continue
            }
            let (m, _) = try readLinks(of: neighbour, into: s.otherLinks)
            for j in 0..<m {
                let next = Int(s.otherLinks[j])
                guard next < deleted.count else { throw corruptLink(neighbour, next) }
                if !deleted[next] && s.visited.insert(next) { candidates.append(next) }
            }
        }
        let pivot = UnsafePointer(s.pivot)
        let keys = try candidates.map { RankedNode.key(try distance(pivot, toNode: $0), UInt32($0)) }.sorted()
        let chosen = try robustPrune(keys, pivotLabels: labels, alpha: alpha, scratch: s)
        try withRecordForWriting(node) { $0.setLinks(chosen) }
    }

    /// Puts a deleted slot on the free list and drops its id, unless the id has moved to a new node.
    private func free(_ node: Int) throws {
        _ = try idMap.remove(try userID(of: node), node: node)
        let next = headerMutex.withLock { header.freeHead }
        let bytes = layout.recordBytes
        try withRecordForWriting(node) { r in
            r.clear(bytes: bytes)
            r.nextFree = next
        }
        headerMutex.withLock {
            header.freeHead = node
            header.freeCount += 1
            header.deletedCount -= 1
            headerChanged = true
        }
    }

    func corruptLink(_ node: Int, _ link: Int) -> CalibyError {
        .corrupt(path: space.path, detail: "node \(node) links to \(link), beyond the capacity \(layout.capacity)")
    }
}

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
package final class HNSWIndex: PagedIndex {
    package let info: IndexInfo
    let space: PageSpace
    let layout: HNSWLayout
    let metric: Metric
    let dimensions: Int
    let M: Int
    let efConstruction: Int
    let writable: Bool
    let idMap: IDMap
    let stored: StoredVector
    let levelMultiplier: Double
    /// Cache lines of each neighbour's vector to prefetch.
    let prefetchLines: Int
    /// The same for its codes, when a search walks by them.
    let codePrefetchLines: Int
    /// Cache lines from a node record's start through its level-0 links (one more than their
    /// bytes need: a record does not start on a line boundary).
    let linkLines: Int

    let entryMutex = Mutex()
    let levelMutex = Mutex()
    @TrackedHeader var header: HNSWHeader
    let scratch: ScratchPool
    /// Deleted nodes set aside for the running insert once the fresh slots run out, their old ids
    /// already gone from the id map (HNSWIndex+Reuse.swift). Guarded by `entryMutex`.
    var claimedSlots: [Int] = []
    /// With int8 quantization, the codes' quantizer once the first insert has trained it; learned
    /// again while the index is young (HNSWIndex+Quantizer.swift). Guarded by `entryMutex`.
    var quantizer: ScalarQuantizer?

    /// Formats a new, empty index in `space`.
    convenience init(creating info: IndexInfo, space: PageSpace, writable: Bool) throws {
        self.init(info: info, space: space, writable: writable, header: HNSWHeader())
        let (layout, header, metric) = (self.layout, self.header, self.metric)
        try space.create(0) { header.store(into: $0, layout: layout, metric: metric) }
        try space.formatEmptyPages(1..<layout.upperBase)
    }

    /// Opens an existing index: reads page 0 only. The caller checked the catalog's page size and
    /// count against the layout (`Database.index(named:)`).
    convenience init(opening info: IndexInfo, space: PageSpace, writable: Bool) throws {
        let layout = HNSWLayout(config: info.config)
        let header = try space.read(0) {
            try HNSWHeader.load(from: $0, layout: layout, metric: info.config.metric, path: space.path)
        }
        self.init(info: info, space: space, writable: writable, header: header)
        if header.quantizerTrained {
            var floats = [Float](repeating: 0, count: layout.quantizerFloats)
            try floats.withUnsafeMutableBufferPointer { try space.readFloats(into: $0, from: 1) }
            quantizer = try ScalarQuantizer(floats: floats, path: space.path)
        }
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
        codePrefetchLines = vectorPrefetchLines(vectorBytes: layout.codeBytes)
        linkLines = (HNSWLayout.linksOffset + 4 * layout.maxLinks0 + 63) / 64 + 1
        self.header = header
        let pool = space.pool
        scratch = ScratchPool {
            SearchScratch(nodes: layout.capacity, maxLinks: layout.maxLinks0, dimensions: layout.dimensions, pool: pool)
        }
    }

    package var count: Int { entryMutex.withLock { header.nodeCount - header.deletedCount } }

    package func storageStatistics() -> (slots: SlotStatistics, parts: [IndexStatistics.Part]) {
        let header = entryMutex.withLock { self.header }
        return (SlotStatistics(used: header.nodeCount, deleted: header.deletedCount, free: 0), layout.parts(header))
    }

    /// None: an HNSW search reads only the records it visits (quantized codes live in them).
    package func pagesSharedBySearches(_ parameters: SearchParameters) -> Range<Int> { 0..<0 }

    /// The header as this object holds it (the integrity check compares it with page 0).
    var headerSnapshot: HNSWHeader { entryMutex.withLock { header } }

    // MARK: Node access (each call takes and drops one latch)

    /// The distance from `query` to a node's vector, or its estimate from the node's codes.
    @inline(__always)
    func distance(_ query: UnsafePointer<Float>, toNode node: Int, codes: CodeQuery? = nil) throws -> Float {
        let (page, offset) = layout.records.locate(node)
        if let codes {
            let codeOffset = offset + layout.codeOffset
            return try space.readOptimistic(page) { codes.distance($0 + codeOffset) }
        }
        let vectorOffset = offset + layout.vectorOffset
        let stored = self.stored, metric = self.metric
        return try space.readOptimistic(page) { stored.distance(query, $0 + vectorOffset, metric: metric) }
    }

    func isDeleted(_ node: Int) throws -> Bool {
        let (page, offset) = layout.records.locate(node)
        return try space.readOptimistic(page) {
            $0.load(fromByteOffset: offset + HNSWLayout.levelOffset, as: UInt32.self) & HNSWLayout.deletedBit != 0
        }
    }

    /// Writes a node's vector (already as stored: normalized, rounded) and, when the index has a
    /// quantizer, its codes, into the record at `record`.
    func storeVector(_ q: UnsafePointer<Float>, intoRecord record: UnsafeMutableRawPointer, quantizer: ScalarQuantizer?) {
        stored.encode(q, into: record + layout.vectorOffset)
        quantizer?.encode(q, into: record + layout.codeOffset)
    }

    func copyVector(of node: Int, into buffer: UnsafeMutablePointer<Float>) throws {
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

    func writeLinks(of node: Int, level: Int, _ links: [Int]) throws {
        let (page, offset) = try linkList(of: node, level: level)
        try space.write(page) { p in
            p.storeBytes(of: UInt32(links.count), toByteOffset: offset, as: UInt32.self)
            for (i, link) in links.enumerated() { p.storeBytes(of: UInt32(link), toByteOffset: offset + 4 + 4 * i, as: UInt32.self) }
        }
    }

    // MARK: Ids

    var allocatedNodes: Int { entryMutex.withLock { header.nodeCount } }

    func userID(of node: Int) throws -> UInt64 {
        let (page, offset) = layout.records.locate(node)
        return try space.readOptimistic(page) { $0.load(fromByteOffset: offset + HNSWLayout.idOffset, as: UInt64.self) }
    }

    // MARK: Header and delete

    func writeHeader() throws {
        guard let snapshot = entryMutex.withLock({ $header.takeChanges() }) else { return }
        try space.write(0) { snapshot.store(into: $0, layout: layout, metric: metric) }
    }

    package func delete(ids: [UInt64]) throws -> Int {
        guard writable else { throw CalibyError.readOnly("delete") }
        var deleted = 0
        for node in try existingNodes(of: ids) {
            let (page, offset) = layout.records.locate(node)
            let marked = try space.write(page) { p -> Bool in
                let word = p.load(fromByteOffset: offset + HNSWLayout.levelOffset, as: UInt32.self)
                guard word & HNSWLayout.deletedBit == 0 else { return false }
                p.storeBytes(of: word | HNSWLayout.deletedBit, toByteOffset: offset + HNSWLayout.levelOffset, as: UInt32.self)
                return true
            }
            if marked { deleted += 1 }
        }
        if deleted > 0 { entryMutex.withLock { header.deletedCount += deleted } }
        try writeHeader()
        return deleted
    }
}

extension HNSWIndex: DocumentHost {
    var nextAutoID: UInt64 { entryMutex.withLock { header.nextAutoID } }

    func isLive(_ node: Int) throws -> Bool { try node >= 0 && node < allocatedNodes && !isDeleted(node) }

    /// HNSW records keep no labels; the collection reads them from the documents.
    func carries(_ node: Int, labels: [UInt32]) throws -> Bool { labels.isEmpty }
}

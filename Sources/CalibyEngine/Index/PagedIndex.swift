/// What HNSWIndex and DiskANNIndex share beyond `GraphIndex`: a layout whose node records form a
/// `RecordRegion` of their page space. The checks and messages both need are written here once.
protocol PagedIndex: GraphIndex {
    associatedtype Layout: IndexLayout
    var layout: Layout { get }
    var space: PageSpace { get }
    var writable: Bool { get }
    var dimensions: Int { get }
    var idMap: IDMap { get }
    /// Records allocated so far (the header's node count, read under the index's header lock).
    var allocatedNodes: Int { get }
    /// The user id a node's record holds.
    func userID(of node: Int) throws -> UInt64
}

extension PagedIndex {
    /// A link read from a page that names no possible node (see `RecordRegion.corruptLink`).
    func corruptLink(_ node: Int, _ link: Int) -> CalibyError {
        layout.records.corruptLink(node, link, path: space.path)
    }

    /// A link to a slot never allocated: what a walk of the whole graph (reorder) refuses before
    /// following it.
    func linkBeyondNodes(_ node: Int, _ link: Int) -> CalibyError {
        .corrupt(path: space.path, detail: "node \(node) links to \(link), beyond the \(allocatedNodes) nodes")
    }

    /// Rewrites a link list copied out of `node`'s record (both layouts keep a UInt32 count word,
    /// then the links) with every link renumbered, refusing a count or link no insert could have
    /// written (reorder).
    func renumberLinks(at list: UnsafeMutableRawPointer, limit: Int, of node: Int, _ renumbered: Renumbering) throws {
        let count = Int(list.load(as: UInt32.self))
        guard count <= limit else {
            throw CalibyError.corrupt(path: space.path, detail: "node \(node): link count \(count), more than the \(limit) a list holds")
        }
        for i in 0..<count {
            let link = Int(list.load(fromByteOffset: 4 + 4 * i, as: UInt32.self))
            guard link < renumbered.count else { throw linkBeyondNodes(node, link) }
            list.storeBytes(of: UInt32(renumbered[link]), toByteOffset: 4 + 4 * i, as: UInt32.self)
        }
    }

    /// The node an id maps to. The map's node numbers come from a page: one past the records
    /// allocated is damage, and writing there would corrupt a record never allocated.
    func node(of id: UInt64) throws -> Int? {
        guard let node = try idMap.lookup(id) else { return nil }
        let allocated = allocatedNodes
        guard node < allocated else {
            throw CalibyError.corrupt(path: space.path, detail: "id map sends id \(id) to node \(node), beyond nodeCount \(allocated)")
        }
        return node
    }

    /// Every id's node, all looked up before the caller changes anything, so that an unknown id
    /// changes nothing (delete).
    func existingNodes(of ids: [UInt64]) throws -> [Int] {
        try ids.map { id in
            guard let node = try node(of: id) else { throw CalibyError.noSuchID(index: info.name, id: id) }
            return node
        }
    }

    /// Asks the disk for the records of `nodes[0..<count]` that are not in the pool, before the
    /// first is read. Through a pool smaller than the file the nodes a search hop measures are
    /// mostly on pages not in it; asked together they cost one disk round trip, not one each
    /// (DiskANN's beam, for the neighbours every graph search reads anyway). Searches call this
    /// only when `space.outgrowsPool`, tested before each search loop: where everything is
    /// resident it would cost a look at each neighbour's page state and save nothing.
    func readAheadRecords(_ nodes: UnsafePointer<UInt32>, count: Int) {
        for i in 0..<count { space.readAhead(layout.records.locate(Int(nodes[i])).page) }
    }

    /// The closest `k` of a search's results heap (complemented keys) as hits, closest first;
    /// empties the heap.
    func hits(_ results: KeyHeap, k: Int) throws -> [SearchHit] {
        try hits(sorted: results.drainComplemented(), k: k)
    }

    /// The first `k` of keys sorted closest first, as hits.
    func hits(sorted keys: [UInt64], k: Int) throws -> [SearchHit] {
        try keys.prefix(k).map { SearchHit(id: try userID(of: RankedNode.node($0)), distance: RankedNode.distance($0)) }
    }

    /// What every insert checks before it changes anything.
    func requireInsertable(_ batch: VectorBatch) throws {
        guard writable else { throw CalibyError.readOnly("insert") }
        guard batch.dimensions == dimensions else {
            throw CalibyError.invalidArgument("index '\(info.name)' has \(dimensions) dimensions, the input has \(batch.dimensions)")
        }
    }
}

extension CalibyError {
    /// An insert of `needed` vectors into an index with `free` of its `capacity` slots left: the
    /// one wording of a full index, in the library's terms (the CLI names the option and command).
    /// It ends with what makes room, since a full index is no dead end: deleted slots are reused
    /// (HNSW at once, DiskANN after consolidation) and `resize` grows the index.
    static func noRoom(index: String, needed: Int, free: Int, capacity: Int, note: String? = nil) -> CalibyError {
        let vectors = needed == 1 ? "1 vector does" : "\(needed) vectors do"
        let slots = free == 1 ? "the 1 free slot" : "the \(free) free slots"
        return .capacity(index: index, detail: "\(vectors) not fit in \(slots) (maxElements \(capacity))" + (note.map { "; \($0)" } ?? "")
                         + "; \(noRoomRemedy)")
    }

    package static let noRoomRemedy = "delete vectors or resize the index to make room"
}

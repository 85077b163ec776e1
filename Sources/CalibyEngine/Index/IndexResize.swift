/// `resize`: a larger capacity moves every region after the id map (the map itself, HNSW's upper
/// slots, DiskANN's codes and the node records are all laid out by capacity, and the buffer pool
/// reserves the file's address range by it), so growing is a copy into a new file with the new
/// layout, swapped in at commit (`Database.replaceFile`). Node numbers, links, upper slots and the
/// free list do not change, so the graph is copied page by page, never rebuilt; only the id map is
/// re-hashed into its larger table. The document file's directory is laid out by capacity too, and
/// its page numbers are everywhere in it (directory, B+trees, overflow chains, text segments), so it
/// is rebuilt rather than moved: each live node's document and labels are put again at the same
/// node in a new document file, which also rebuilds its field indexes and text index compactly.
struct ResizePlan {
    /// Old pages → first new page, for regions the new file formats empty first (written over).
    var intoFormatted: [(Range<Int>, Int)] = []
    /// Old pages → first new page, for regions past the formatted ones (created, in order).
    var grown: [(Range<Int>, Int)] = []

    /// Pages the new file holds once written: what free space it needs now.
    func pagesWritten(formatted: Int) -> Int { formatted + grown.reduce(0) { $0 + $1.0.count } }
}

extension PagedIndex {
    /// Writes this index's pages into `target`, laid out by `newLayout`: the header (`storeHeader`)
    /// first, the formatted regions empty, then the plan's copies and the id map's entries, each
    /// sent to its node's new number when `renumbered` (reorder moves nodes; resize keeps them).
    func copy(into target: PageSpace, newLayout: Layout, newMap: IDMap, plan: ResizePlan, renumbered: Renumbering? = nil,
              storeHeader: (UnsafeMutableRawPointer) -> Void) throws {
        try target.create(0) { storeHeader($0) }
        try target.formatEmptyPages(1..<newLayout.formattedPages.upperBound)
        let bytes = space.usableBytes
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 16)
        defer { buffer.deallocate() }
        // Through a buffer, so that no thread holds latches of two pages at once (HNSWIndex).
        for (pages, start) in plan.intoFormatted {
            for (i, page) in pages.enumerated() {
                try space.read(page) { buffer.copyMemory(from: $0, byteCount: bytes) }
                try target.write(start + i) { $0.copyMemory(from: buffer, byteCount: bytes) }
            }
        }
        for (pages, start) in plan.grown {
            for (i, page) in pages.enumerated() {
                try space.read(page) { buffer.copyMemory(from: $0, byteCount: bytes) }
                try target.create(start + i) { $0.copyMemory(from: buffer, byteCount: bytes) }
            }
        }
        // Grows with the index, so charged to the buffer like its other bookkeeping.
        let entryBytes = MemoryLayout<(UInt64, Int)>.stride * allocatedNodes
        space.pool.chargeAndEvict(entryBytes)
        defer { space.pool.release(entryBytes) }
        var entries: [(UInt64, Int)] = []
        entries.reserveCapacity(allocatedNodes)
        try idMap.forEach { entries.append(($0, $1)) }
        for (id, node) in entries {
            var newNode = node
            if let renumbered {
                guard node < renumbered.count else {
                    throw CalibyError.corrupt(path: space.path,
                                              detail: "id map sends id \(id) to node \(node), beyond the \(renumbered.count) nodes")
                }
                newNode = renumbered[node]
            }
            if try newMap.insert(id, node: newNode) != nil {
                throw CalibyError.corrupt(path: space.path, detail: "id map holds id \(id) twice")
            }
        }
    }
}

extension HNSWIndex {
    /// The new file of `resize` (see ResizePlan).
    func resizePlan(to newLayout: HNSWLayout) -> ResizePlan {
        let header = headerSnapshot
        let upperPages = (header.upperSlotsUsed + layout.upperSlotsPerPage - 1) / layout.upperSlotsPerPage
        let records = layout.records.pages(holding: header.nodeCount)
        // The quantizer's pages (none without quantization) come before the id map: they keep theirs.
        return ResizePlan(intoFormatted: [(1..<layout.hashBase, 1)],
                          grown: [(layout.upperBase..<layout.upperBase + upperPages, newLayout.upperBase),
                                  (records, newLayout.records.firstPage)])
    }

    func copy(into target: PageSpace, newLayout: HNSWLayout) throws {
        let header = headerSnapshot, metric = self.metric
        try copy(into: target, newLayout: newLayout,
                 newMap: IDMap(space: target, firstPage: newLayout.hashBase, slotCount: newLayout.hashSlots, nodeLimit: newLayout.capacity),
                 plan: resizePlan(to: newLayout)) { header.store(into: $0, layout: newLayout, metric: metric) }
    }
}

extension DiskANNIndex {
    /// The new file of `resize` (see ResizePlan): the label table, codebook and used codes keep
    /// their pages (nothing before the codes depends on the capacity).
    func resizePlan(to newLayout: DiskANNLayout) -> ResizePlan {
        let nodes = checkSnapshot.header.nodeCount
        let codePages = layout.pqBytes == 0 || nodes == 0 ? 0 : layout.code(nodes - 1).page + 1 - layout.codeBase
        return ResizePlan(intoFormatted: [(layout.labelBase..<layout.codeBase + codePages, newLayout.labelBase)],
                          grown: [(layout.records.pages(holding: nodes), newLayout.records.firstPage)])
    }

    func copy(into target: PageSpace, newLayout: DiskANNLayout) throws {
        try shrinkOverfullLists()
        let header = checkSnapshot.header, metric = self.metric
        try copy(into: target, newLayout: newLayout,
                 newMap: IDMap(space: target, firstPage: newLayout.hashBase, slotCount: newLayout.hashSlots, nodeLimit: newLayout.capacity),
                 plan: resizePlan(to: newLayout)) { header.store(into: $0, layout: newLayout, metric: metric) }
    }
}

extension Database {
    /// Grows an index to hold `maxElements` vectors, keeping its graph as it is: the index's file
    /// is copied into a larger one, which replaces it when the transaction commits (``flush()``).
    /// Other open indexes are not touched.
    ///
    /// ```swift
    /// try database.resizeIndex("docs", maxElements: 200_000)
    /// try database.flush()
    /// ```
    ///
    /// The copy needs free space for the index's used pages and its larger id map until the commit
    /// removes the old file.
    ///
    /// - Throws: ``CalibyError/invalidArgument(_:)`` when `maxElements` is not more than the
    ///   current capacity (an index never shrinks: its node numbers are its addresses);
    ///   ``CalibyError/invalidParameter(name:requirement:value:)`` beyond the largest capacity, or
    ///   when an explicit `documentBytes` cannot hold the larger document directory;
    ///   ``CalibyError/noSpace(_:lower:)`` when the file system cannot take the copy;
    ///   ``CalibyError/tooLarge(_:lower:)`` when the file could outgrow what a file may take.
    ///   A failure during the copy leaves the transaction to ``rollback()``.
    public func resizeIndex(_ name: String, maxElements: Int) throws {
        try requireOpen()
        if let failedChange { throw CalibyError.transactionAborted(cause: failedChange) }
        try requireWritable("resize")
        let info = try info(named: name)
        let old = info.config.maxElements
        guard maxElements > old else {
            throw CalibyError.invalidArgument("index '\(name)' holds at most \(old) vectors; resize only grows an index, to more than \(old)")
        }
        var config = info.config
        config.maxElements = maxElements
        try config.validate()
        if config.hasDocumentFile { try requireDocumentRoom(config) }
        let footprint = CreateFootprint(type: info.type, config: config)
        try footprint.requireWithinSizeLimit(config: config, command: "resize")
        let index = try self.index(named: name)
        let newLayout = info.type.layout(config)
        let plan: ResizePlan
        switch index {
        case let hnsw as HNSWIndex: plan = hnsw.resizePlan(to: newLayout as! HNSWLayout)
        case let diskann as DiskANNIndex: plan = diskann.resizePlan(to: newLayout as! DiskANNLayout)
        default: preconditionFailure("an index of a directory is HNSW or DiskANN")
        }
        let needed = try plan.pagesWritten(formatted: newLayout.formattedPages.upperBound) * newLayout.pageSize
            + rebuiltDocumentBytes(of: info, config: config)
        let free = try FreeSpace.available(at: directory)
        guard needed <= free else {
            throw CalibyError.noSpace("resize: index '\(name)' at \(maxElements) elements needs \(ByteCount.text(needed)) "
                                      + "written now; \(directory) has \(ByteCount.text(free)) free", lower: ["maxElements"])
        }
        let collection = try self.collection(named: name)
        try replaceFiles(of: info, config: config) { replacement, space, documentSpace in
            switch index {
            case let hnsw as HNSWIndex: try hnsw.copy(into: space, newLayout: newLayout as! HNSWLayout)
            case let diskann as DiskANNIndex: try diskann.copy(into: space, newLayout: newLayout as! DiskANNLayout)
            default: preconditionFailure("an index of a directory is HNSW or DiskANN")
            }
            if let documentSpace { try collection.copyDocuments(into: openDocumentStore(of: replacement, in: documentSpace)) }
        }
    }
}

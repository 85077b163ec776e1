/// `reorder` for DiskANN: slots are numbered in insertion order, so the records a search expands
/// together lie on unrelated pages. Renumbered breadth-first from the medoid (then from each
/// label's start), nodes a beam expands together are often on one page, which a cold search then
/// reads once (DiskANN's own disk layout orders nodes the same way for the same reason); warm, their
/// lines are nearer. A pure permutation, as for HNSW (HNSWIndex+Reorder.swift): the graph is the
/// same, and so are the answers but for ties. Free slots go last, their list chained in order.
extension DiskANNIndex {
    /// Every used slot once, breadth-first from the medoid and then from each label's start
    /// (Renumbering); free slots after them.
    func breadthFirstOrder() throws -> Renumbering {
        let (header, table, _) = checkSnapshot
        return try Renumbering.breadthFirst(count: header.nodeCount, starts: [header.medoid] + table.map(\.start),
                                            maxLinks: layout.linkCapacity,
                                            walked: { try withRecord($0) { $0.stateWord != NodeState.free.rawValue } },
                                            links: { try readLinks(of: $0, into: $1).count }, beyond: linkBeyondNodes)
    }

    /// Writes this index into `target`, an empty file of the same layout, renumbered: each record
    /// at its new place with its links renumbered, each code beside it, the label starts, medoid,
    /// free list and id map renumbered, the codebook as it is. Lists past R are pruned first, as
    /// a commit would.
    func copy(into target: PageSpace, renumbered: Renumbering) throws {
        try shrinkOverfullLists()
        let (header, table, _) = checkSnapshot
        precondition(renumbered.count == header.nodeCount, "\(renumbered.count) nodes renumbered in an index of \(header.nodeCount)")
        let firstFree = header.nodeCount - header.freeCount
        var newHeader = header
        if header.medoid >= 0 { newHeader.medoid = renumbered[header.medoid] }
        newHeader.freeHead = header.freeCount > 0 ? firstFree : -1
        let (layout, metric) = (self.layout, self.metric)
        let newMap = IDMap(space: target, firstPage: layout.hashBase, slotCount: layout.hashSlots, nodeLimit: layout.capacity)
        let codebook = ResizePlan(intoFormatted: [(layout.codebookBase..<layout.codeBase, layout.codebookBase)])
        try copy(into: target, newLayout: layout, newMap: newMap, plan: codebook, renumbered: renumbered) {
            newHeader.store(into: $0, layout: layout, metric: metric)
        }
        for (entry, value) in table.enumerated() {
            let (page, offset) = layout.labelEntry(entry)
            try target.write(page) { p in
                p.storeBytes(of: value.label, toByteOffset: offset, as: UInt32.self)
                p.storeBytes(of: UInt32(value.start < 0 ? 0 : renumbered[value.start] + 1), toByteOffset: offset + 4, as: UInt32.self)
            }
        }
        if header.pqTrained { try copyCodes(into: target, renumbered: renumbered) }

        var records = PageAssembler(target: target, formatted: false)
        defer { records.deallocate() }
        let recordBytes = layout.records.recordBytes, limit = layout.linkCapacity
        for (new, old) in renumbered.order.enumerated() {
            let (page, offset) = layout.records.locate(new)
            let record = layout.record(try records.page(page), offset)
            let (oldPage, oldOffset) = layout.records.locate(Int(old))
            try space.read(oldPage) { record.base.copyMemory(from: $0 + oldOffset, byteCount: recordBytes) }
            let state = record.stateWord
            guard state <= NodeState.deleted.rawValue, (state == NodeState.free.rawValue) == (new >= firstFree) else {
                throw CalibyError.corrupt(path: space.path, detail: "slot \(old): state \(state), where the header's freeCount "
                                          + "\(header.freeCount) of \(header.nodeCount) slots says otherwise")
            }
            if state == NodeState.free.rawValue {
                record.nextFree = new + 1 < header.nodeCount ? new + 1 : -1
                continue
            }
            try renumberLinks(at: record.base + DiskANNLayout.linkCountOffset, limit: limit, of: Int(old), renumbered)
        }
        try records.finish()
    }

    /// Each slot's PQ code at its new number (the code region was formatted empty in `target`).
    private func copyCodes(into target: PageSpace, renumbered: Renumbering) throws {
        var codes = PageAssembler(target: target, formatted: true)
        defer { codes.deallocate() }
        let bytes = layout.pqBytes
        for (new, old) in renumbered.order.enumerated() {
            let (page, offset) = layout.code(new)
            let code = try codes.page(page) + offset
            let (oldPage, oldOffset) = layout.code(Int(old))
            try space.read(oldPage) { code.copyMemory(from: $0 + oldOffset, byteCount: bytes) }
        }
        try codes.finish()
    }
}

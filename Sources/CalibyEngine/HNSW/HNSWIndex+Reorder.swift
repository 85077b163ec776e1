/// `reorder` for HNSW: nodes are numbered in insertion order, so a search's consecutive hops land on
/// records scattered over the whole file, each a cold cache line, TLB entry and page-state word.
/// Renumbered breadth-first over level 0 from the entry point, a node's neighbours sit near it and
/// near each other, and a search walks fewer distinct pages (the measured gain is in
/// BENCHMARKS.md). It is a pure permutation, so the graph and the answers are the same but for
/// ties, which searches rank by node number. Deleted nodes move with the rest and keep their ids,
/// so `insert --replace` still revives them.
extension HNSWIndex {
    /// Every node once, breadth-first over level 0 from the entry point (Renumbering).
    func breadthFirstOrder() throws -> Renumbering {
        try Renumbering.breadthFirst(count: allocatedNodes, starts: [headerSnapshot.entryPoint], maxLinks: layout.maxLinks0,
                                     walked: { _ in true }, links: { try readLinks(of: $0, level: 0, into: $1) },
                                     beyond: linkBeyondNodes)
    }

    /// Writes this index into `target`, an empty file of the same layout, renumbered: every record
    /// at its new place with its links renumbered, upper slots given out again in the new order
    /// (so they too follow the walk), the id map and entry point renumbered, the quantizer's pages
    /// as they are.
    func copy(into target: PageSpace, renumbered: Renumbering) throws {
        let header = headerSnapshot
        precondition(renumbered.count == header.nodeCount, "\(renumbered.count) nodes renumbered in an index of \(header.nodeCount)")
        var newHeader = header
        if header.entryPoint >= 0 { newHeader.entryPoint = renumbered[header.entryPoint] }
        let (layout, metric) = (self.layout, self.metric)
        let newMap = IDMap(space: target, firstPage: layout.hashBase, slotCount: layout.hashSlots, nodeLimit: layout.capacity)
        try copy(into: target, newLayout: layout, newMap: newMap, plan: ResizePlan(intoFormatted: [(1..<layout.hashBase, 1)]),
                 renumbered: renumbered) { newHeader.store(into: $0, layout: layout, metric: metric) }

        var records = PageAssembler(target: target, formatted: false)
        var slots = PageAssembler(target: target, formatted: false)
        defer { records.deallocate(); slots.deallocate() }
        let recordBytes = layout.records.recordBytes
        var nextSlot = 0
        for (new, old) in renumbered.order.enumerated() {
            let (page, offset) = layout.records.locate(new)
            let record = try records.page(page) + offset
            let (oldPage, oldOffset) = layout.records.locate(Int(old))
            try space.read(oldPage) { record.copyMemory(from: $0 + oldOffset, byteCount: recordBytes) }
            let word = record.load(fromByteOffset: HNSWLayout.levelOffset, as: UInt32.self)
            let level = Int(word & 0xFF)
            guard word & ~(HNSWLayout.deletedBit | 0xFF) == 0, level <= HNSWLayout.maxLevel,
                  nextSlot + level <= header.upperSlotsUsed else {
                throw CalibyError.corrupt(path: space.path, detail: "node \(old): level word \(word) is not a level and a deleted flag, "
                                          + "or its levels overrun the \(header.upperSlotsUsed) upper slots in use")
            }
            try renumberLinks(at: record + HNSWLayout.countOffset, limit: layout.maxLinks0, of: Int(old), renumbered)
            record.storeBytes(of: UInt32(nextSlot), toByteOffset: HNSWLayout.upperSlotOffset, as: UInt32.self)
            for upper in stride(from: 1, through: level, by: 1) {
                let (oldSlotPage, oldSlotOffset) = try linkList(of: Int(old), level: upper)
                let (slotPage, slotOffset) = layout.upperSlot(nextSlot)
                let slot = try slots.page(slotPage) + slotOffset
                try space.read(oldSlotPage) { slot.copyMemory(from: $0 + oldSlotOffset, byteCount: layout.upperSlotBytes) }
                try renumberLinks(at: slot, limit: M, of: Int(old), renumbered)
                nextSlot += 1
            }
        }
        guard nextSlot == header.upperSlotsUsed else {
            throw CalibyError.corrupt(path: space.path,
                                      detail: "nodes use \(nextSlot) upper slots, header field upperSlotsUsed = \(header.upperSlotsUsed)")
        }
        try records.finish()
        try slots.finish()
    }
}

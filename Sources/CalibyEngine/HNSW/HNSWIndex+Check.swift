import Glibc

/// `caliby check` for HNSW: every page of the file, then each invariant the index code relies on,
/// reporting every violation and skipping only what lies on pages that could not be read.
extension HNSWIndex {
    package func checkIntegrity() throws -> [String] {
        let report = CheckReport()
        let header = headerSnapshot
        let scan = try space.verifyEveryPage(written: layout.writtenPages(header))
        scan.problems.forEach(report.add)
        let readable = scan.isReadable
        if readable(0) {
            try report.guarding {
                let onDisk = try space.read(0) { try HNSWHeader.load(from: $0, layout: layout, metric: metric, path: space.path) }
                if onDisk != header { report.add("header page differs from the open index's counters") }
            }
        }
        let quantizer = try checkQuantizer(header, readable: readable, report: report)
        let nodes = try checkNodes(header, quantizer: quantizer, readable: readable, complete: !scan.foundDamage, report: report)
        try checkLinks(header, nodes: nodes, readable: readable, report: report)
        try checkUnusedSlots(header, readable: readable, report: report)
        var mapped = 0
        try idMap.forEach(readable: readable) { id, node in
            mapped += 1
            guard node < header.nodeCount else {
                return report.add("id map sends id \(id) to node \(node), beyond the \(header.nodeCount) nodes")
            }
            if let facts = nodes[node], facts.id != id { report.add("id map sends id \(id) to node \(node), which holds id \(facts.id)") }
        }
        if !scan.foundDamage && mapped != header.nodeCount {
            report.add("id map holds \(mapped) entries for \(header.nodeCount) nodes")
        }
        return report.lines
    }

    /// What the check read of a node; nil where its page could not be read.
    private struct NodeFacts {
        var id: UInt64
        var level: Int
    }

    /// The quantizer's pages read back to the open index's quantizer; nil when there is none to
    /// check codes against.
    private func checkQuantizer(_ header: HNSWHeader, readable: (Int) -> Bool, report: CheckReport) throws -> ScalarQuantizer? {
        guard header.quantizerTrained, (1..<layout.hashBase).allSatisfy(readable) else { return nil }
        let open = entryMutex.withLock { quantizer }
        var onDisk: ScalarQuantizer?
        try report.guarding {
            var floats = [Float](repeating: 0, count: layout.quantizerFloats)
            try floats.withUnsafeMutableBufferPointer { try space.readFloats(into: $0, from: 1) }
            onDisk = try ScalarQuantizer(floats: floats, path: space.path)
        }
        if let onDisk, onDisk != open { report.add("the int8 quantizer's pages differ from the open index's quantizer") }
        return onDisk
    }

    private func checkNodes(_ header: HNSWHeader, quantizer: ScalarQuantizer?, readable: (Int) -> Bool, complete: Bool,
                            report: CheckReport) throws -> [NodeFacts?] {
        // Each node's codes are made again from its vector: the two must agree byte for byte.
        let vector = UnsafeMutablePointer<Float>.allocate(capacity: dimensions)
        let codes = UnsafeMutableRawPointer.allocate(byteCount: max(1, layout.codeBytes), alignment: 16)
        defer {
            vector.deallocate()
            codes.deallocate()
        }
        var facts = [NodeFacts?](repeating: nil, count: header.nodeCount)
        // Nodes take their upper slots in allocation order, so a node's first slot is the sum of
        // the levels before it (resynchronized after a node that could not be read).
        var expectedSlot: Int? = 0
        var deleted = 0, slotsSeen = 0
        var largestID: UInt64?
        let mapReadable = (layout.hashBase..<layout.upperBase).allSatisfy(readable)
        for node in 0..<header.nodeCount {
            let (page, offset) = layout.records.locate(node)
            guard readable(page) else {
                expectedSlot = nil
                continue
            }
            func problem(_ text: String) { report.add("node \(node): \(text)") }
            try report.guarding {
                let (id, word, firstSlot, vectorOK, codesOK) = try space.read(page) { p in
                    let vectorOK = stored.isFinite(p + offset + layout.vectorOffset)
                    var codesOK = true
                    if let quantizer, vectorOK {
                        stored.decode(p + offset + layout.vectorOffset, into: vector)
                        quantizer.encode(vector, into: codes)
                        codesOK = memcmp(codes, p + offset + layout.codeOffset, dimensions) == 0
                    }
                    return (p.load(fromByteOffset: offset + HNSWLayout.idOffset, as: UInt64.self),
                            p.load(fromByteOffset: offset + HNSWLayout.levelOffset, as: UInt32.self),
                            Int(p.load(fromByteOffset: offset + HNSWLayout.upperSlotOffset, as: UInt32.self)),
                            vectorOK, codesOK)
                }
                let level = Int(word & 0xFF)
                facts[node] = NodeFacts(id: id, level: level)
                if word & ~(HNSWLayout.deletedBit | 0xFF) != 0 { problem("level word \(word) has bits beyond the level and deleted flag") }
                if word & HNSWLayout.deletedBit != 0 { deleted += 1 }
                if level > header.maxLevel { problem("level \(level) above the top level \(header.maxLevel)") }
                if let expected = expectedSlot, firstSlot != expected {
                    problem("first upper slot \(firstSlot), but the levels of the nodes before it make \(expected)")
                }
                if firstSlot + level > header.upperSlotsUsed {
                    problem("upper slots \(firstSlot)..<\(firstSlot + level) beyond the \(header.upperSlotsUsed) in use")
                }
                expectedSlot = firstSlot + level
                slotsSeen += level
                if !vectorOK { problem("vector is not finite") }
                if !codesOK { problem("int8 codes differ from those of its vector") }
                largestID = max(largestID ?? 0, id)
                if mapReadable, try idMap.lookup(id) != node { problem("id \(id) does not map back to it") }
            }
        }
        if complete && deleted != header.deletedCount {
            report.add("\(deleted) nodes marked deleted, header says \(header.deletedCount)")
        }
        if complete && slotsSeen != header.upperSlotsUsed {
            report.add("\(slotsSeen) upper slots used by nodes, header says \(header.upperSlotsUsed)")
        }
        if let largestID, header.nextAutoID <= largestID {
            report.add("header field nextAutoID = \(header.nextAutoID) is not above the largest id \(largestID)")
        }
        if header.entryPoint >= 0, let entry = facts[header.entryPoint], entry.level != header.maxLevel {
            report.add("entry point \(header.entryPoint) has level \(entry.level), but the top level is \(header.maxLevel)")
        }
        return facts
    }

    /// Each link list: its count within the level's limit, and every link to another node, once,
    /// that has the level (searches read a target's list at the level they reached it on).
    private func checkLinks(_ header: HNSWHeader, nodes: [NodeFacts?], readable: (Int) -> Bool, report: CheckReport) throws {
        let buffer = UnsafeMutablePointer<UInt32>.allocate(capacity: layout.maxLinks0 + 1)
        defer { buffer.deallocate() }
        for node in 0..<header.nodeCount {
            guard let facts = nodes[node] else { continue }
            func problem(_ text: String) { report.add("node \(node): \(text)") }
            for level in 0...min(facts.level, HNSWLayout.maxLevel) {
                try report.guarding {
                    let (page, offset) = try linkList(of: node, level: level)
                    guard readable(page) else { return }
                    let limit = level == 0 ? layout.maxLinks0 : M
                    let count = try space.read(page) { Int($0.load(fromByteOffset: offset, as: UInt32.self)) }
                    if count > limit { problem("\(count) links at level \(level), more than \(limit)") }
                    let n = try readLinks(of: node, level: level, into: buffer)
                    for i in 0..<n {
                        let target = Int(buffer[i])
                        if target >= header.nodeCount {
                            problem("level \(level) link to \(target), beyond the \(header.nodeCount) nodes")
                        } else if target == node {
                            problem("level \(level) link to itself")
                        } else if (0..<i).contains(where: { buffer[$0] == buffer[i] }) {
                            problem("level \(level) links to \(target) twice")
                        } else if let other = nodes[target], other.level < level {
                            problem("level \(level) link to \(target), whose level is \(other.level)")
                        }
                    }
                }
            }
        }
    }

    /// Records and upper slots not yet allocated are zero: allocation writes only some of their
    /// fields and takes the rest (a link count) as zero.
    private func checkUnusedSlots(_ header: HNSWHeader, readable: (Int) -> Bool, report: CheckReport) throws {
        let lastNode = (header.nodeCount + layout.records.perPage - 1) / layout.records.perPage * layout.records.perPage
        let lastSlot = (header.upperSlotsUsed + layout.upperSlotsPerPage - 1) / layout.upperSlotsPerPage * layout.upperSlotsPerPage
        for node in header.nodeCount..<min(lastNode, layout.capacity) {
            let (page, offset) = layout.records.locate(node)
            guard readable(page) else { continue }
            if try !space.read(page, { isZero($0, offset: offset, count: layout.records.recordBytes) }) {
                report.add("node slot \(node), not yet in use, is not empty")
            }
        }
        for slot in header.upperSlotsUsed..<min(lastSlot, layout.upperSlotCapacity) {
            let (page, offset) = layout.upperSlot(slot)
            guard readable(page) else { continue }
            if try !space.read(page, { isZero($0, offset: offset, count: layout.upperSlotBytes) }) {
                report.add("upper slot \(slot), not yet in use, is not empty")
            }
        }
    }
}

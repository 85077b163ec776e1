import Glibc

/// `caliby check` for DiskANN: every page of the file, then each invariant the index code relies
/// on, reporting every violation and skipping only what lies on pages that could not be read.
extension DiskANNIndex {
    package func checkIntegrity() throws -> [String] {
        try shrinkOverfullLists()
        let report = CheckReport()
        let (header, table, book) = checkSnapshot
        let scan = try space.verifyEveryPage(written: layout.writtenPages(nodeCount: header.nodeCount))
        scan.problems.forEach(report.add)
        let readable = scan.isReadable
        if readable(0) {
            try report.guarding {
                let onDisk = try space.read(0) { try DiskANNHeader.load(from: $0, layout: layout, metric: metric, path: space.path) }
                if onDisk != header { report.add("header page differs from the open index's counters") }
            }
        }
        try checkLabelTable(table, readable: readable, report: report)
        try checkCodes(header, codebook: book, readable: readable, report: report)
        let nodes = try checkNodes(header, codebook: book, readable: readable, complete: !scan.foundDamage, report: report)
        try checkLinks(header, nodes: nodes, readable: readable, report: report)
        try checkFreeList(header, nodes: nodes, readable: readable, report: report)
        try checkStarts(header, table: table, nodes: nodes, report: report)
        try idMap.forEach(readable: readable) { id, node in
            guard node < header.nodeCount, let facts = nodes[node] else {
                if node >= header.nodeCount || readable(layout.records.locate(node).page) {
                    report.add("id map sends id \(id) to node \(node), not a used node")
                }
                return
            }
            if facts.state == .free { report.add("id map sends id \(id) to node \(node), a free slot") }
            if facts.state != .free && facts.id != id { report.add("id map sends id \(id) to node \(node), which holds \(facts.id)") }
        }
        return report.lines
    }

    /// What the check read of a node; nil where its page could not be read or its state is unknown.
    private struct NodeFacts {
        var id: UInt64
        var state: NodeState
        var labels: [UInt32]
    }

    /// The used entries as the open index holds them; the rest of the table never written (zero).
    private func checkLabelTable(_ table: [(label: UInt32, start: Int)], readable: (Int) -> Bool, report: CheckReport) throws {
        for entry in 0..<DiskANNLayout.maxLabels {
            let (page, offset) = layout.labelEntry(entry)
            guard readable(page) else { continue }
            if entry < table.count {
                if try DiskANNIndex.readLabelEntry(entry, space: space, layout: layout) != table[entry] {
                    report.add("label table entry \(entry) differs from the open index's")
                }
            } else if try !space.read(page, { isZero($0, offset: offset, count: DiskANNLayout.labelEntryBytes) }) {
                report.add("label table entry \(entry), past the \(table.count) in use, is not empty")
            }
        }
    }

    /// The codebook pages hold the open index's codebook, or nothing before one is trained; the
    /// codes of slots without one (all of them before training) are zero.
    private func checkCodes(_ header: DiskANNHeader, codebook book: PQCodebook?, readable: (Int) -> Bool,
                            report: CheckReport) throws {
        guard layout.pqBytes > 0 else { return }
        let codebookPages = layout.codebookBase..<layout.codeBase
        if let book {
            if codebookPages.allSatisfy(readable) {
                try report.guarding {
                    let stored = try DiskANNIndex.loadCodebook(space: space, layout: layout)
                    if memcmp(book.coordinates, stored.coordinates, book.floatCount * 4) != 0 {
                        report.add("PQ codebook pages differ from the open index's codebook")
                    }
                }
            }
        } else {
            for page in codebookPages where readable(page) {
                if try !space.read(page, { isZero($0, offset: 0, count: space.usableBytes) }) {
                    report.add("PQ codebook page \(page) holds data, but no codebook is trained")
                }
            }
        }
        let firstWithout = book == nil ? 0 : header.nodeCount
        let perPage = layout.codesPerPage
        for page in (layout.codeBase + firstWithout / perPage)..<layout.hashBase where readable(page) {
            let firstSlot = max(firstWithout, (page - layout.codeBase) * perPage)
            let slots = min(layout.capacity, (page - layout.codeBase + 1) * perPage) - firstSlot
            guard slots > 0 else { continue }
            let offset = layout.code(firstSlot).offset
            if try !space.read(page, { isZero($0, offset: offset, count: slots * layout.pqBytes) }) {
                report.add("PQ code page \(page) holds codes for slots that have none (from slot \(firstSlot))")
            }
        }
    }

    private func checkNodes(_ header: DiskANNHeader, codebook book: PQCodebook?, readable: (Int) -> Bool, complete: Bool,
                            report: CheckReport) throws -> [NodeFacts?] {
        var nodes = [NodeFacts?](repeating: nil, count: header.nodeCount)
        let m = layout.pqBytes
        let expectedCode = UnsafeMutablePointer<UInt8>.allocate(capacity: max(1, m))
        defer { expectedCode.deallocate() }
        let mapReadable = (layout.hashBase..<layout.records.firstPage).allSatisfy(readable)
        var freeSeen = 0, deletedSeen = 0
        var largestID: UInt64?
        for node in 0..<header.nodeCount {
            let page = layout.records.locate(node).page
            guard readable(page) else { continue }
            func problem(_ text: String) { report.add("node \(node): \(text)") }
            try report.guarding {
                let (word, id, labels, labelCount, linkCount, nextFree, vectorOK, emptyIfFree) = try withRecord(node) { r in
                    if let book { book.encode(r.vector, into: expectedCode) }
                    return (r.stateWord, r.id, r.labels, r.rawLabelCount, r.rawLinkCount, r.nextFree,
                            UnsafeBufferPointer(start: r.vector, count: dimensions).allSatisfy(\.isFinite),
                            isZero(r.base, offset: 0, count: DiskANNLayout.nextFreeOffset)
                                && isZero(r.base, offset: DiskANNLayout.labelCountOffset,
                                          count: layout.records.recordBytes - DiskANNLayout.labelCountOffset))
                }
                guard let state = NodeState(rawValue: word) else { return problem("unknown state \(word)") }
                nodes[node] = NodeFacts(id: id, state: state, labels: labels)
                if state == .free {
                    freeSeen += 1
                    if !emptyIfFree { problem("free slot is not empty") }
                    return
                }
                if state == .deleted { deletedSeen += 1 }
                largestID = max(largestID ?? 0, id)
                if nextFree != -1 { problem("free-list link \(nextFree) on a slot in use") }
                if labelCount > DiskANNLayout.maxLabelsPerNode { problem("\(labelCount) labels") }
                if labels != Array(Set(labels)).sorted() { problem("labels not ascending and distinct") }
                if linkCount > R { problem("\(linkCount) links, more than R = \(R)") }
                if !vectorOK { problem("vector is not finite") }
                let (codePage, codeOffset) = layout.code(node)
                if book != nil, readable(codePage), try !space.read(codePage, { memcmp($0 + codeOffset, expectedCode, m) == 0 }) {
                    problem("PQ code differs from its vector's")
                }
                guard mapReadable else { return }
                let mapped = try idMap.lookup(id)
                if state == .live && mapped != node { problem("id \(id) does not map back to it") }
                if state == .deleted, let mapped, mapped != node,
                   try mapped >= header.nodeCount || !readable(layout.records.locate(mapped).page) || userID(of: mapped) != id {
                    problem("deleted id \(id) maps to node \(mapped), which holds another id")
                }
            }
        }
        if complete && freeSeen != header.freeCount { report.add("\(freeSeen) free slots, header says \(header.freeCount)") }
        if complete && deletedSeen != header.deletedCount {
            report.add("\(deletedSeen) nodes marked deleted, header says \(header.deletedCount)")
        }
        if let largestID, header.nextAutoID <= largestID {
            report.add("header field nextAutoID = \(header.nextAutoID) is not above the largest id \(largestID)")
        }
        let lastNode = (header.nodeCount + layout.records.perPage - 1) / layout.records.perPage * layout.records.perPage
        for node in header.nodeCount..<min(lastNode, layout.capacity) {
            let (page, offset) = layout.records.locate(node)
            guard readable(page) else { continue }
            if try !space.read(page, { isZero($0, offset: offset, count: layout.records.recordBytes) }) {
                report.add("node slot \(node), not yet in use, is not empty")
            }
        }
        return nodes
    }

    /// Every link of a used node goes to another used node, once.
    private func checkLinks(_ header: DiskANNHeader, nodes: [NodeFacts?], readable: (Int) -> Bool, report: CheckReport) throws {
        let buffer = UnsafeMutablePointer<UInt32>.allocate(capacity: layout.linkCapacity)
        defer { buffer.deallocate() }
        for node in 0..<header.nodeCount {
            guard let facts = nodes[node], facts.state != .free else { continue }
            try report.guarding {
                let (n, _) = try readLinks(of: node, into: buffer)
                for i in 0..<n {
                    let target = Int(buffer[i])
                    if target >= header.nodeCount || target == node || nodes[target]?.state == .free {
                        report.add("node \(node): link to \(target), not another used node")
                    } else if (0..<i).contains(where: { buffer[$0] == buffer[i] }) {
                        report.add("node \(node): links to \(target) twice")
                    }
                }
            }
        }
    }

    /// The free list: free slots only, each once, as many as the header says.
    private func checkFreeList(_ header: DiskANNHeader, nodes: [NodeFacts?], readable: (Int) -> Bool, report: CheckReport) throws {
        var onFreeList = Set<Int>()
        var next = header.freeHead
        while next >= 0 && onFreeList.count <= header.freeCount {
            guard next < header.nodeCount, readable(layout.records.locate(next).page) else {
                if next >= header.nodeCount { report.add("free list reaches node \(next), beyond the \(header.nodeCount) slots") }
                return
            }
            guard nodes[next]?.state == .free, onFreeList.insert(next).inserted else {
                report.add("free list reaches node \(next), which is not a free slot or is listed twice")
                return
            }
            next = try withRecord(next) { $0.nextFree }
        }
        if onFreeList.count != header.freeCount {
            report.add("free list holds \(onFreeList.count) slots, header says \(header.freeCount)")
        }
    }

    /// The start points: the medoid and each label's, used nodes carrying their label; every label
    /// a node carries has one.
    private func checkStarts(_ header: DiskANNHeader, table: [(label: UInt32, start: Int)], nodes: [NodeFacts?],
                             report: CheckReport) throws {
        let used = { (node: Int) in node >= 0 && node < header.nodeCount && nodes[node].map { $0.state != .free } ?? true }
        if used(header.medoid) != (header.usedCount > 0) { report.add("start point \(header.medoid) is not a used node") }
        var labelsWithStart = Set<UInt32>(), labelsSeen = Set<UInt32>()
        for (label, start) in table {
            if !labelsSeen.insert(label).inserted { report.add("label \(label) has two table entries") }
            guard start >= 0 else { continue }
            labelsWithStart.insert(label)
            if !used(start) || nodes[start].map({ !$0.labels.contains(label) }) ?? false {
                report.add("label \(label): start point \(start) is not a used node carrying it")
            }
        }
        let carried = nodes.reduce(into: Set<UInt32>()) { all, facts in
            if let facts, facts.state != .free { all.formUnion(facts.labels) }
        }
        for label in carried.subtracting(labelsWithStart).sorted() { report.add("label \(label) has no start point") }
    }
}

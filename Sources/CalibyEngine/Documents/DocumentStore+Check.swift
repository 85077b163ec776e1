/// `caliby check` for a document file: every page read, every record decoded, and the field indexes
/// compared with the documents. Damage is reported, one line each, not thrown.
extension DocumentStore {
    func checkIntegrity() throws -> [String] {
        // Pending text documents become a segment first: the header snapshot below must be final.
        try textIndex?.flushBeforeReading()
        var problems: [String] = []
        func problem(_ text: String) { problems.append("\(space.path): \(text)") }
        func attempt(_ what: String, _ body: () throws -> Void) throws {
            do { try body() } catch let error as CalibyError where error.category == .corrupt {
                problem("\(what): \(error)")
            }
        }
        let header = mutex.withLock { self.header }

        // Directory → records: each decodes, and no two nodes share one.
        var owners: [RecordRef: Int] = [:]
        var overflowPages = Set<Int>()
        var expectedKeys = [Int: Set<KeyEntry>]()
        var documents = 0
        try attempt("directory") {
            try forEachNode { node in
                try attempt("document of node \(node)") {
                    guard let ref = try ref(of: node) else { return }
                    documents += 1
                    if let other = owners.updateValue(node, forKey: ref) {
                        problem("nodes \(other) and \(node) share the record in slot \(ref.slot) of page \(ref.page)")
                    }
                    let document = try document(of: node)!
                    for (position, field) in schema.fields.enumerated() where field.hasTree {
                        for key in document[position].map(keys) ?? [] {
                            expectedKeys[position, default: []].insert(KeyEntry(key: key, node: UInt32(node)))
                        }
                    }
                    overflowPages.formUnion(try overflowChain(of: ref))
                }
            }
        }
        if documents != header.documentCount {
            problem("\(documents) documents, but header field documentCount = \(header.documentCount)")
        }

        // The text index against the documents; its pages are not heap pages.
        var textPages = Set<Int>()
        if let textIndex {
            try attempt("text index") {
                let result = try textIndex.check()
                problems += result.problems.map { $0.hasPrefix(space.path) ? $0 : "\(space.path): \($0)" }
                textPages = result.pages
            }
        }

        // Pages → kinds: every heap record belongs to a node, the free list is what it claims.
        var freePages = Set<Int>()
        var page = header.freeHead
        while page != 0 && freePages.count <= header.highWater {
            guard freePages.insert(page).inserted else { problem("the free list loops at page \(page)"); break }
            do {
                page = try space.read(page) { p in
                    p.load(as: UInt16.self) == DocumentLayout.freeKind ? Int(p.load(fromByteOffset: 8, as: UInt64.self)) : -1
                }
            } catch let error as CalibyError where error.category == .corrupt {
                problem("free list: \(error)")
                break
            }
            if page < 0 || (page != 0 && (page < layout.firstAllocatablePage || page >= header.highWater)) {
                problem("the free list holds a page that is not free, or links outside the file")
                break
            }
        }
        if freePages.count != header.freeCount { problem("\(freePages.count) free pages, but header field freeCount = \(header.freeCount)") }
        for page in layout.firstAllocatablePage..<header.highWater where !freePages.contains(page) && !textPages.contains(page) {
            try attempt("page \(page)") {
                let (kind, live) = try space.read(page) { p -> (UInt16, [Int]) in
                    let kind = p.load(as: UInt16.self)
                    guard kind == DocumentLayout.heapKind else { return (kind, []) }
                    let count = min(Int(p.load(fromByteOffset: 2, as: UInt16.self)), DocumentLayout.usable / DocumentLayout.slotBytes)
                    return (kind, (0..<count).filter {
                        p.load(fromByteOffset: DocumentLayout.heapHeaderBytes + $0 * DocumentLayout.slotBytes + 2, as: UInt16.self) != 0
                    })
                }
                for slot in live where owners[RecordRef(page: page, slot: slot)] == nil {
                    problem("record in slot \(slot) of page \(page) belongs to no node")
                }
                if kind == DocumentLayout.overflowKind && !overflowPages.contains(page) {
                    problem("overflow page \(page) belongs to no record")
                }
            }
        }

        // Field indexes against the documents.
        for (position, field) in schema.fields.enumerated() where field.hasTree {
            try attempt("index of field '\(field.name)'") {
                let tree = try tree(position)
                for text in try tree.check(pageLimit: header.highWater) { problem("index of field '\(field.name)': \(text)") }
                let stored = Set(try tree.allEntries().map { KeyEntry(key: $0.0, node: $0.1) })
                let expected = expectedKeys[position] ?? []
                let missing = expected.subtracting(stored).count, extra = stored.subtracting(expected).count
                if missing + extra > 0 {
                    problem("index of field '\(field.name)' disagrees with the documents: \(missing) entries missing, \(extra) extra")
                }
            }
        }
        return problems
    }

    /// The overflow pages of a record (empty for an inline one), checking the chain as it reads it.
    private func overflowChain(of ref: RecordRef) throws -> [Int] {
        let first = try space.read(ref.page) { p -> Int? in
            let slotOffset = DocumentLayout.heapHeaderBytes + ref.slot * DocumentLayout.slotBytes
            let offset = Int(p.load(fromByteOffset: slotOffset, as: UInt16.self))
            guard offset + 13 <= DocumentLayout.usable, p.load(fromByteOffset: offset, as: UInt8.self) == 1 else { return nil }
            return Int(p.loadUnaligned(fromByteOffset: offset + 5, as: UInt64.self))
        }
        var pages: [Int] = []
        var page = first ?? 0
        while page != 0 {
            page = try checkedPage(page, from: "an overflow chain")
            guard pages.count < layout.capacityPages else { throw damage("overflow chain from page \(first!) loops") }
            pages.append(page)
            page = try space.read(page) { Int($0.load(fromByteOffset: 8, as: UInt64.self)) }
        }
        return pages
    }
}

/// One (key, node) pair of a field index, for comparing sets.
private struct KeyEntry: Hashable {
    let key: IndexKey
    let node: UInt32
}

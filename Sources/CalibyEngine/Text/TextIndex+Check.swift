/// `caliby check` for the text index: every segment opens and decodes, and its live postings are
/// exactly what analyzing the stored documents gives (compared as a count and an order-independent
/// digest of every (term, node, position), so the check needs no copy of the index in memory).
extension TextIndex {
    struct CheckResult {
        var problems: [String] = []
        /// Every page the text index owns, so the document check does not mistake them for its own.
        var pages: Set<Int> = []
    }

    func check() throws -> CheckResult {
        try flushBeforeReading()
        var result = CheckResult()
        func attempt(_ what: String, _ body: () throws -> Void) throws {
            do { try body() } catch let error as CalibyError where error.category == .corrupt {
                result.problems.append("\(what): \(error)")
            }
        }
        result.pages.insert(rootPage)
        var found = PostingDigest()
        let tombstones = try? self.tombstones()
        if tombstones == nil { try attempt("text index tombstones") { _ = try self.tombstones() } }
        var page = root.tombstoneHead
        while page != 0 && result.pages.insert(page).inserted {
            page = (try? space.read(page) { Int($0.load(fromByteOffset: 8, as: UInt64.self)) }) ?? 0
        }
        for info in root.segments {
            try attempt("text segment \(info.sequence)") {
                let reader = try SegmentReader(info: info, space: space, validPages: store.layout.firstAllocatablePage..<store.allocatedPages)
                result.pages.formUnion(reader.dataPages)
                var map = info.mapPage
                while map != 0 && result.pages.insert(map).inserted { map = try space.read(map) { Int($0.load(fromByteOffset: 8, as: UInt64.self)) } }
                var terms = 0, postings = 0
                var previous: [UInt8]?
                try reader.forEachTerm { term, entry in
                    if let previous, !previous.lexicographicallyPrecedes(term) {
                        throw damage("segment \(info.sequence): terms out of order at '\(String(decoding: term, as: UTF8.self))'")
                    }
                    previous = term
                    terms += 1
                    postings += entry.df
                    let list = try reader.postings(entry, positions: true, nodeCapacity: store.layout.nodeCapacity) { node in
                        guard let dead = tombstones?[UInt32(node)] else { return true }
                        return info.sequence > Int(dead)
                    }
                    for i in 0..<list.count {
                        for position in list.positions(of: i) { found.add(term, node: list.nodes[i], position: position) }
                        found.lengths[Int(list.nodes[i]), default: []].insert(list.lengths[i])
                    }
                }
                if terms != info.termCount || postings != info.postings {
                    result.problems.append("\(path): text segment \(info.sequence) has \(terms) terms and \(postings) postings; the root says \(info.termCount) and \(info.postings)")
                }
            }
        }
        var expected = PostingDigest()
        var documents = 0, tokens = 0
        let mask = FieldMask(store.textFieldPositions)
        try attempt("documents for the text index") {
            try store.forEachNode { node in
                guard let document = try store.document(of: node, wanted: mask) else { return }
                var position: Int32 = 0
                var length: Int32 = 0
                analyze(document, term: { term in
                    expected.add(Array(term.utf8), node: Int32(node), position: position)
                    position += 1
                    length += 1
                }, gap: { position += 1 })
                if length > 0 {
                    documents += 1
                    tokens += Int(length)
                    expected.lengths[node] = [length]
                }
            }
        }
        if documents != root.documents || tokens != root.tokens {
            result.problems.append("\(path): the text index counts \(root.documents) documents of \(root.tokens) tokens; the documents have \(documents) of \(tokens)")
        }
        if found.count != expected.count || found.sum != expected.sum {
            result.problems.append("\(path): the text index disagrees with the documents: \(found.count) live postings' positions, \(expected.count) expected")
        } else if found.lengths != expected.lengths {
            result.problems.append("\(path): the text index records document lengths that differ from the documents'")
        }
        return result
    }
}

/// A multiset of (term, node, position) as a count and a sum of hashes: equal sets give equal digests.
struct PostingDigest {
    private(set) var count = 0
    private(set) var sum: UInt64 = 0
    var lengths: [Int: Set<Int32>] = [:]

    mutating func add(_ term: [UInt8], node: Int32, position: Int32) {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in term { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
        h ^= UInt64(UInt32(bitPattern: node)) << 32 | UInt64(UInt32(bitPattern: position))
        // Mixed, so nearby nodes and positions spread over the whole word.
        sum &+= SplitMix.mix(h)
        count += 1
    }
}

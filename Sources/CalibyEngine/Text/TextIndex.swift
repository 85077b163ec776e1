import Glibc

/// The full-text index of an index's documents (layout and design in TextIndexLayout.swift): the
/// document store tells it each document added and removed; it analyzes them into memory and writes
/// a segment (`flush`) before the transaction commits, or before a search in it reads.
///
/// Changes come from one thread (the store's writer); searches may run from several threads, and
/// share the segment readers through `mutex`.
final class TextIndex {
    unowned let store: DocumentStore
    let analyzer: Analyzer
    let rootPage: Int
    var root: TextRoot
    var rootChanged = false
    let mutex = Mutex()
    private let flushMutex = Mutex()

    // Documents added since the last flush, as term numbers in position order (`gap` between
    // fields), back to back in one array; a node added twice keeps its last version's run.
    private var termNumbers: [String: UInt32] = [:]
    private var terms: [String] = []
    private var pendingTerms: [UInt32] = []
    private var pending: [Int: Range<Int>] = [:]
    private var pendingTokens = 0
    static let gap = UInt32.max

    /// Opened segments by sequence, and the tombstones by node (loaded at first use).
    private var readers: [Int: SegmentReader] = [:]
    private var tombstoneCache: [UInt32: UInt32]?

    var space: PageSpace { store.space }
    var path: String { store.space.path }

    /// Makes an empty text index; its root page comes from the store's allocator.
    init(creating store: DocumentStore, analyzer: Analyzer) throws {
        self.store = store
        self.analyzer = analyzer
        rootPage = try store.allocatePage()
        root = TextRoot(analyzer: analyzer)
        rootChanged = true
        try writeRoot()
    }

    init(opening store: DocumentStore, analyzer: Analyzer, rootPage: Int) throws {
        self.store = store
        self.analyzer = analyzer
        self.rootPage = rootPage
        let (pages, first, nodes, path) = (store.allocatedPages, store.layout.firstAllocatablePage, store.layout.nodeCapacity, store.space.path)
        root = try store.space.read(rootPage) { p in
            try TextRoot.load(from: p, analyzer: analyzer, pages: pages, firstPage: first, nodes: nodes, path: path)
        }
    }

    func damage(_ detail: String) -> CalibyError { .corrupt(path: path, detail: "text index: \(detail)") }

    /// A search or check in the transaction that added documents sees them: the first reader
    /// writes them as a segment (readers on other threads wait for it here).
    func flushBeforeReading() throws {
        flushMutex.lock()
        defer { flushMutex.unlock() }
        if !pending.isEmpty { try flush() }
    }

    func writeRoot() throws {
        guard rootChanged else { return }
        let root = self.root
        try SegmentWriter.format(space, rootPage) { root.store(into: $0) }
        rootChanged = false
    }

    // MARK: Analysis

    /// Calls `body` with each term of the document's indexed text fields, and `gap` between fields
    /// (positions skip one there, so a phrase never spans two fields).
    func analyze(_ document: Document, term: (String) -> Void, gap: () -> Void) {
        var first = true
        for position in store.textFieldPositions {
            guard case .string(let text)? = document[position] else { continue }
            if !first { gap() }
            first = false
            analyzer.forEachTerm(in: text, term)
        }
    }

    /// The number of tokens the index counts for `document` (its length |D| in BM25).
    func length(of document: Document) -> Int {
        var count = 0
        analyze(document, term: { _ in count += 1 }, gap: {})
        return count
    }

    // MARK: Changes

    /// Indexes `document` as `node`'s (the store has removed any older version first).
    func add(_ document: Document, node: Int) throws {
        let start = pendingTerms.count
        var length = 0
        analyze(document, term: { term in
            let number: UInt32
            if let known = termNumbers[term] {
                number = known
            } else {
                number = UInt32(terms.count)
                terms.append(term)
                termNumbers[term] = number
            }
            pendingTerms.append(number)
            length += 1
        }, gap: { pendingTerms.append(TextIndex.gap) })
        guard length > 0 else {
            pendingTerms.removeLast(pendingTerms.count - start)
            return
        }
        pending[node] = start..<pendingTerms.count
        pendingTokens += pendingTerms.count - start
        root.documents += 1
        root.tokens += length
        rootChanged = true
        if pendingTokens > TextLayout.pendingTokenLimit { try flush() }
    }

    /// Forgets `node`'s indexed `document` (as stored before the change).
    func remove(_ document: Document, node: Int) throws {
        let length = self.length(of: document)
        guard length > 0 else { return }
        root.documents -= 1
        root.tokens -= length
        rootChanged = true
        if let dropped = pending.removeValue(forKey: node) {
            pendingTokens -= dropped.count
        } else {
            try addTombstone(node: node)
        }
    }

    /// Writes what was added since the last flush as a segment, merges as the policy says, and
    /// writes the root: before every commit, when the pending documents grow large, and before a
    /// search in the same transaction (`flushBeforeReading`).
    func flush() throws {
        if !pending.isEmpty {
            let info = try writeSegment()
            pending.removeAll()
            pendingTerms.removeAll()
            termNumbers.removeAll()
            terms.removeAll()
            pendingTokens = 0
            root.segments.append(info)
            rootChanged = true
            try mergeAsNeeded()
        }
        try writeRoot()
    }

    /// The pending documents as one new segment.
    private func writeSegment() throws -> SegmentInfo {
        let nodes = pending.keys.sorted()
        // Every occurrence grouped by term with a counting sort (count, then place), in document
        // order then position order within a term: each term's run is its postings, ready to encode.
        var start = [Int](repeating: 0, count: terms.count + 1)
        for node in nodes {
            for term in pendingTerms[pending[node]!] where term != TextIndex.gap { start[Int(term) + 1] += 1 }
        }
        for t in 0..<terms.count { start[t + 1] += start[t] }
        var fill = start
        var occurrences = [UInt64](repeating: 0, count: start[terms.count])
        var lengths: [Int] = []
        lengths.reserveCapacity(nodes.count)
        occurrences.withUnsafeMutableBufferPointer { out in
            for (d, node) in nodes.enumerated() {
                var position: UInt64 = 0, length = 0
                for term in pendingTerms[pending[node]!] {
                    defer { position += 1 }
                    guard term != TextIndex.gap else { continue }
                    // Document index above, position below: one word, ordered as the postings are.
                    out[fill[Int(term)]] = UInt64(d) << 32 | position
                    fill[Int(term)] += 1
                    length += 1
                }
                lengths.append(length)
            }
        }
        let bytes = terms.map { Array($0.utf8) }
        let order = terms.indices.sorted { bytes[$0].lexicographicallyPrecedes(bytes[$1]) }
        var writer = SegmentWriter(space: space, allocate: { try self.newPage() })
        var dictionary = DictionaryBuilder()
        var docs: [UInt8] = [], positions: [UInt8] = []
        var postings = 0
        // A term whose only documents were removed again before the flush has no postings.
        for t in order where start[t + 1] > start[t] {
            docs.removeAll(keepingCapacity: true)
            positions.removeAll(keepingCapacity: true)
            var i = start[t], previousNode = -1, df = 0
            while i < start[t + 1] {
                let d = Int(occurrences[i] >> 32)
                var frequency = 0, previousPosition: UInt64 = 0
                while i < start[t + 1] && Int(occurrences[i] >> 32) == d {
                    let position = occurrences[i] & 0xFFFF_FFFF
                    Varint.append(Int(position - previousPosition), to: &positions)
                    previousPosition = position
                    frequency += 1
                    i += 1
                }
                let node = nodes[d]
                Varint.append(previousNode < 0 ? node : node - previousNode, to: &docs)
                Varint.append(frequency, to: &docs)
                Varint.append(lengths[d], to: &docs)
                previousNode = node
                df += 1
            }
            dictionary.add(bytes[t], TermEntry(df: df, offset: writer.length, docsBytes: docs.count, positionsBytes: positions.count))
            try writer.append(docs)
            try writer.append(positions)
            postings += df
        }
        return try finishSegment(&writer, dictionary, sequence: nextSequence(), postings: postings)
    }

    /// Appends the dictionary, block index and footer after the postings, and the map.
    func finishSegment(_ writer: inout SegmentWriter, _ dictionary: DictionaryBuilder, sequence: Int, postings: Int) throws -> SegmentInfo {
        let dictionaryOffset = writer.length
        var index: [UInt8] = []
        for block in dictionary.blocks {
            Varint.append(block.firstTerm.count, to: &index)
            index += block.firstTerm
            Varint.append(dictionaryOffset + block.start, to: &index)
            Varint.append(block.postingsOffset, to: &index)
        }
        try writer.append(dictionary.bytes)
        let indexOffset = writer.length
        try writer.append(index)
        var footer = [UInt8](repeating: 0, count: TextLayout.footerBytes)
        footer.withUnsafeMutableBytes { f in
            f.storeBytes(of: UInt64(dictionaryOffset), as: UInt64.self)
            f.storeBytes(of: UInt64(indexOffset), toByteOffset: 8, as: UInt64.self)
            f.storeBytes(of: UInt64(dictionary.blocks.count), toByteOffset: 16, as: UInt64.self)
            f.storeBytes(of: TextLayout.footerMagic, toByteOffset: 24, as: UInt64.self)
        }
        try writer.append(footer)
        let map = try writer.finish()
        return SegmentInfo(sequence: sequence, mapPage: map, byteLength: writer.length, termCount: dictionary.termCount,
                           postings: postings, level: TextLayout.level(ofBytes: writer.length))
    }

    private func nextSequence() -> Int {
        defer { root.nextSequence += 1 }
        return root.nextSequence
    }

    /// A page for the text index (the store's allocator, checked like the B+trees').
    func newPage() throws -> Int {
        let page = try store.allocatePage()
        guard page >= store.layout.firstAllocatablePage, page < min(space.capacityPages, Int(UInt32.max)) else {
            throw damage("the page allocator gave page \(page)")
        }
        return page
    }

    // MARK: Segments and tombstones

    /// The reader of segment `info`, opened at first use.
    func reader(_ info: SegmentInfo) throws -> SegmentReader {
        if let reader = mutex.withLock({ readers[info.sequence] }), reader.info == info { return reader }
        let valid = store.layout.firstAllocatablePage..<store.allocatedPages
        let reader = try SegmentReader(info: info, space: space, validPages: valid)
        mutex.withLock { readers[info.sequence] = reader }
        return reader
    }

    func forgetReader(_ sequence: Int) { mutex.withLock { _ = readers.removeValue(forKey: sequence) } }

    /// Node → the sequence up to which its postings are dead.
    func tombstones() throws -> [UInt32: UInt32] {
        if let cached = mutex.withLock({ tombstoneCache }) { return cached }
        var map: [UInt32: UInt32] = [:]
        var page = root.tombstoneHead
        var count = 0
        let valid = store.layout.firstAllocatablePage..<store.allocatedPages
        while page != 0 {
            guard valid.contains(page), count < root.tombstones else { throw damage("tombstone list runs to page \(page) after \(count) of \(root.tombstones) tombstones") }
            let capacity = UInt32(store.layout.nodeCapacity)
            page = try space.read(page) { p -> Int in
                guard p.load(as: UInt16.self) == TextLayout.tombstoneKind else { return -1 }
                let n = Int(p.load(fromByteOffset: 2, as: UInt16.self))
                guard n <= TextLayout.tombstoneEntries else { return -1 }
                for i in 0..<n {
                    let at = TextLayout.listHeaderBytes + i * 8
                    let node = p.load(fromByteOffset: at, as: UInt32.self), sequence = p.load(fromByteOffset: at + 4, as: UInt32.self)
                    guard node < capacity else { return -1 }
                    map[node] = max(map[node] ?? 0, sequence)
                    count += 1
                }
                return Int(p.load(fromByteOffset: 8, as: UInt64.self))
            }
            guard page >= 0 else { throw damage("a tombstone page is damaged") }
        }
        guard count == root.tombstones else { throw damage("the tombstone list has \(count) entries, the root says \(root.tombstones)") }
        mutex.withLock { tombstoneCache = map }
        return map
    }

    /// Marks every posting of `node` written so far dead.
    private func addTombstone(node: Int) throws {
        guard !root.segments.isEmpty else { return }
        var map = try tombstones()
        let sequence = UInt32(root.nextSequence - 1)
        map[UInt32(node)] = sequence
        mutex.withLock { tombstoneCache = map }
        let head = root.tombstoneHead
        let count = head == 0 ? TextLayout.tombstoneEntries : try space.read(head) { Int($0.load(fromByteOffset: 2, as: UInt16.self)) }
        let entry = { (p: UnsafeMutableRawPointer, at: Int) in
            p.storeBytes(of: UInt32(node), toByteOffset: TextLayout.listHeaderBytes + at * 8, as: UInt32.self)
            p.storeBytes(of: sequence, toByteOffset: TextLayout.listHeaderBytes + at * 8 + 4, as: UInt32.self)
            p.storeBytes(of: UInt16(at + 1), toByteOffset: 2, as: UInt16.self)
        }
        if count < TextLayout.tombstoneEntries {
            try space.write(head) { entry($0, count) }
        } else {
            let page = try newPage()
            try SegmentWriter.format(space, page) { p in
                ListPage.setHeader(p, kind: TextLayout.tombstoneKind, count: 0, next: head)
                entry(p, 0)
            }
            root.tombstoneHead = page
        }
        root.tombstones += 1
        rootChanged = true
    }

    /// Replaces the tombstone list with `kept` (after a merge), freeing the old pages.
    func rewriteTombstones(_ kept: [UInt32: UInt32]) throws {
        var page = root.tombstoneHead
        while page != 0 {
            let next = try space.read(page) { Int($0.load(fromByteOffset: 8, as: UInt64.self)) }
            try store.freePage(page)
            page = next
        }
        root.tombstoneHead = try ListPage.writeChain(kept.sorted { $0.key < $1.key }, kind: TextLayout.tombstoneKind, entryBytes: 8,
                                                     space: space, allocate: newPage) { p, offset, entry in
            p.storeBytes(of: entry.key, toByteOffset: offset, as: UInt32.self)
            p.storeBytes(of: entry.value, toByteOffset: offset + 4, as: UInt32.self)
        }
        root.tombstones = kept.count
        rootChanged = true
        mutex.withLock { tombstoneCache = kept }
    }
}

/// The dictionary of a segment being written: blocks of `TextLayout.termsPerBlock` prefix-compressed
/// entries (format in TextIndexLayout.swift).
struct DictionaryBuilder {
    struct Block {
        var firstTerm: [UInt8]
        var start: Int
        var postingsOffset: Int
    }
    private(set) var bytes: [UInt8] = []
    private(set) var blocks: [Block] = []
    private(set) var termCount = 0
    private var previous: [UInt8] = []

    mutating func add(_ term: [UInt8], _ entry: TermEntry) {
        var shared = 0
        if termCount % TextLayout.termsPerBlock == 0 {
            blocks.append(Block(firstTerm: term, start: bytes.count, postingsOffset: entry.offset))
        } else {
            let limit = min(term.count, previous.count)
            while shared < limit && term[shared] == previous[shared] { shared += 1 }
        }
        Varint.append(shared, to: &bytes)
        Varint.append(term.count - shared, to: &bytes)
        bytes += term[shared...]
        Varint.append(entry.df, to: &bytes)
        Varint.append(entry.docsBytes, to: &bytes)
        Varint.append(entry.positionsBytes, to: &bytes)
        previous = term
        termCount += 1
    }
}

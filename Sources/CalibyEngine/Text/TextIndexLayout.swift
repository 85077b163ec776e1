import Glibc

/// The full-text index of an index's `text` fields: an inverted index in pages of the document file
/// (same buffer pool, journal and checksums; pages come from the document store's allocator).
///
/// Shape: immutable segments, as Lucene, tantivy and SQLite FTS5 build theirs. A transaction
/// analyzes the documents it adds into memory and, before it commits, writes them as one new segment: terms
/// sorted, postings contiguous, so a bulk load writes every page once, in order, and a segment is as
/// small as its varints. A removed or replaced document is not rewritten out of old segments; its
/// node gets a tombstone instead, and a merge drops what the tombstones cover. In-place growth was
/// the alternative: every insert would touch one page per distinct term (a 200k-sentence load, about
/// 3 million page writes instead of 3,000), and rare terms would need a page each or a packing scheme.
///
///     root page          TextRoot: counts for BM25, the segment table, the tombstone list
///     segment            a byte stream over data pages, found through its map pages
///     tombstone pages    (node, sequence) pairs
///
/// Root page (fields of 8 bytes, validated by `TextRoot.load`):
///     0 magic "CLBTEXT1"   8 analyzer code   16 documents (N: live documents with ≥ 1 token)
///     24 tokens (their total length)   32 next sequence   40 tombstone head page   48 tombstones
///     56 segment count     64 segments, `SegmentInfo.fields` fields each
///
/// Segment: every segment has a sequence number, unique and increasing in the order segments were
/// written (a merge's output takes the largest of its inputs'). A posting of node n in segment s is
/// live unless n has a tombstone with sequence t ≥ s: removing a document stamps its node with the
/// newest sequence so far, and its next version, if any, goes into a later segment.
///
/// Segment byte stream (varints are LEB128, `Varint`):
///     postings     per term, in term order: the docs part — per document, ascending:
///                  node gap (the first: the node), tf, document length — then the positions part —
///                  per document, tf position gaps (the first: the position)
///     dictionary   blocks of `termsPerBlock` terms; per term: bytes shared with the previous term of
///                  its block, suffix length, suffix, df, docs-part bytes, positions-part bytes
///     block index  per block: first term's length and bytes, the block's stream offset, the
///                  stream offset of its first term's postings
///     footer       `footerBytes`: dictionary offset, block index offset, block count, magic (UInt64 each)
/// A term's postings start where the previous term's end, so the dictionary stores lengths only.
/// A query reads the block index (cached per process), one dictionary block per term and that
/// term's postings: a one-shot query on a large index reads a few pages per term.
///
/// Data pages hold `usable` stream bytes each, nothing else (the pool's checksum guards them).
/// Map page: 0 UInt16 kind, 2 UInt16 count, 8 UInt64 next map page (0: last), 16 UInt32 data pages.
/// Tombstone page: 0 UInt16 kind, 2 UInt16 count, 8 UInt64 next page (0: last), 16 (UInt32 node,
/// UInt32 sequence) pairs. New tombstones go into the head page, or a new head.
///
/// Merging (`TextIndex+Merge.swift`): a segment's level is its size in powers of 8 above 64 KiB;
/// when `mergeFactor` segments share a level they become one, dropping dead postings, so a posting
/// is rewritten O(log n) times over a growing index. When tombstones outnumber a quarter of the
/// documents every segment is merged into one, which empties the tombstone list.
enum TextLayout {
    static let mapKind: UInt16 = 0x4D54         // "TM"
    static let tombstoneKind: UInt16 = 0x5454   // "TT"
    static let listHeaderBytes = 16
    static let usable = DocumentLayout.usable
    static let mapEntries = (usable - listHeaderBytes) / 4
    static let tombstoneEntries = (usable - listHeaderBytes) / 8
    static let termsPerBlock = 32
    static let footerBytes = 32
    static let footerMagic: UInt64 = 0x5447_4553_5443_4C43  // "CLCTSEGT"
    static let mergeFactor = 8
    static let levelBaseBytes = 64 << 10
    /// A command that adds more tokens than this writes a segment before it goes on, so memory
    /// stays bounded during a bulk load (about 16 bytes a token while pending and written: 128 MiB).
    static let pendingTokenLimit = 8 << 20

    static func level(ofBytes bytes: Int) -> Int {
        var level = 0
        var size = levelBaseBytes
        while bytes >= size && level < 20 {
            level += 1
            size *= 8
        }
        return level
    }
}

extension Analyzer {
    /// Stored in the text root, so a catalog and a document file that disagree are caught.
    var code: UInt64 {
        switch self {
        case .standard: return 1
        case .english: return 2
        case .whitespace: return 3
        }
    }
}

/// One segment's entry in the root page.
struct SegmentInfo: Equatable {
    static let fields = 6
    var sequence: Int
    var mapPage: Int
    var byteLength: Int
    var termCount: Int
    /// Postings (live or not) in the segment: merge policy and `check` use it.
    var postings: Int
    var level: Int
}

/// The text index's page 0 (its root page, wherever the allocator put it); the index keeps a copy
/// and writes it back when it changed, inside the same transaction.
struct TextRoot: Equatable {
    static let magic: UInt64 = 0x3154_5845_5442_4C43  // "CLBTEXT1"
    static let segmentsField = 8
    static let maxSegments = (TextLayout.usable / 8 - segmentsField) / SegmentInfo.fields

    var analyzerCode: UInt64
    var documents = 0
    var tokens = 0
    var nextSequence = 1
    var tombstoneHead = 0
    var tombstones = 0
    var segments: [SegmentInfo] = []

    init(analyzer: Analyzer) { analyzerCode = analyzer.code }

    func store(into page: UnsafeMutableRawPointer) {
        func bits(_ value: Int) -> UInt64 { UInt64(bitPattern: Int64(value)) }
        var fields: [UInt64] = [TextRoot.magic, analyzerCode, bits(documents), bits(tokens), bits(nextSequence), bits(tombstoneHead),
                                bits(tombstones), bits(segments.count)]
        for s in segments {
            fields += [bits(s.sequence), bits(s.mapPage), bits(s.byteLength), bits(s.termCount), bits(s.postings), bits(s.level)]
        }
        memset(page, 0, TextLayout.usable)
        for (i, value) in fields.enumerated() { page.storeBytes(of: value, toByteOffset: i * 8, as: UInt64.self) }
    }

    /// Reads the root, checking each field against the document file (`pages`: its allocated pages,
    /// `nodes`: its node capacity) and the others.
    static func load(from page: UnsafeRawPointer, analyzer: Analyzer, pages: Int, firstPage: Int, nodes: Int, path: String) throws -> TextRoot {
        let base = ["magic", "analyzer", "documents", "tokens", "nextSequence", "tombstoneHead", "tombstones", "segmentCount"]
        let raw = { (i: Int) in page.load(fromByteOffset: i * 8, as: UInt64.self) }
        let count = min(Int(min(raw(7), UInt64(maxSegments))), maxSegments)
        let names = base + (0..<count).flatMap { i in
            ["sequence", "mapPage", "byteLength", "termCount", "postings", "level"].map { "segment\(i).\($0)" }
        }
        let f = HeaderFields(page: page, path: path, names: names)
        try f.expectFormat(.text)
        try f.expect(1, equals: analyzer.code, from: "the catalog's analyzer code")
        var root = TextRoot(analyzer: analyzer)
        root.documents = try f.count(2, atMost: nodes, "the node capacity")
        root.tokens = try f.count(3, atMost: Int(Int64.max / 2), "a plausible total")
        try f.require((root.documents == 0) == (root.tokens == 0), 2, 3, "documents exactly when tokens")
        root.nextSequence = try f.count(4, atMost: Int(UInt32.max), "the largest sequence")
        root.tombstoneHead = try f.count(5, atMost: pages - 1, "the last allocated page")
        root.tombstones = try f.count(6, atMost: Int(UInt32.max), "the largest count")
        try f.require((root.tombstoneHead == 0) == (root.tombstones == 0), 5, 6, "a tombstone page exactly when tombstones")
        _ = try f.count(7, atMost: maxSegments, "the segments a root page holds")
        var previous = 0
        for i in 0..<count {
            let at = segmentsField + i * SegmentInfo.fields
            let s = SegmentInfo(
                sequence: try f.count(at, atMost: root.nextSequence - 1, "the last sequence given"),
                mapPage: try f.count(at + 1, atMost: pages - 1, "the last allocated page"),
                byteLength: try f.count(at + 2, atMost: pages * TextLayout.usable, "the bytes the pages hold"),
                termCount: try f.count(at + 3, atMost: Int(UInt32.max), "the largest count"),
                postings: try f.count(at + 4, atMost: Int(Int64.max / 2), "a plausible total"),
                level: try f.count(at + 5, atMost: 20, "the largest level"))
            try f.require(s.sequence > previous, at, at, "sequences ascend in the segment table")
            try f.require(s.mapPage >= firstPage, at + 1, at + 1, "a map page outside the directory")
            try f.require(s.byteLength >= TextLayout.footerBytes, at + 2, at + 2, "a segment holds at least its footer")
            previous = s.sequence
            root.segments.append(s)
        }
        if root.tombstoneHead != 0 && root.tombstoneHead < firstPage {
            throw f.damage("the tombstone list starts at page \(root.tombstoneHead), inside the directory")
        }
        return root
    }
}

/// Map pages and tombstone pages are both chains of list pages: kind, count, next page, then
/// fixed-size entries (formats above).
enum ListPage {
    static func capacity(entryBytes: Int) -> Int { (TextLayout.usable - TextLayout.listHeaderBytes) / entryBytes }

    static func setHeader(_ p: UnsafeMutableRawPointer, kind: UInt16, count: Int, next: Int) {
        p.storeBytes(of: kind, as: UInt16.self)
        p.storeBytes(of: UInt16(count), toByteOffset: 2, as: UInt16.self)
        p.storeBytes(of: UInt64(next), toByteOffset: 8, as: UInt64.self)
    }

    /// Writes `entries` as a chain of new pages from `allocate`, in order; returns the first page
    /// (0 for no entries). `store` writes entry i of a page at `TextLayout.listHeaderBytes + i · entryBytes`.
    static func writeChain<Entry>(_ entries: [Entry], kind: UInt16, entryBytes: Int, space: PageSpace, allocate: () throws -> Int,
                                  store: (UnsafeMutableRawPointer, _ offset: Int, Entry) -> Void) throws -> Int {
        let perPage = capacity(entryBytes: entryBytes)
        var next = 0
        // Backwards, so each page can name the one after it.
        for start in stride(from: 0, to: entries.count, by: perPage).reversed() {
            let chunk = entries[start..<min(start + perPage, entries.count)]
            let page = try allocate()
            let link = next
            try SegmentWriter.format(space, page) { p in
                setHeader(p, kind: kind, count: chunk.count, next: link)
                for (i, entry) in chunk.enumerated() { store(p, TextLayout.listHeaderBytes + i * entryBytes, entry) }
            }
            next = page
        }
        return next
    }
}

/// Where everything of an index's document file (`index_<id>.docs`) lives. The file has 4 KiB pages
/// in the same buffer pool, journal and checksums as the graph file beside it.
///
///     page 0                              header (DocumentHeader)
///     [1, 1 + directoryPages)             directory: node n → its record (8 bytes per node),
///                                         formatted in order as nodes are reached
///     [1 + directoryPages, capacityPages) pages allocated one at a time (high-water mark, then a
///                                         free list): heap pages, overflow pages, B+tree pages
///
/// Directory entry: 0 = the node has no document (it is not a live vector); otherwise
/// `heapPage << 16 | slot`. Every live vector of an index with fields has a document, even one
/// with no values, so a filter such as `x IS NULL` can be answered from the documents alone.
///
/// Heap page (slotted, after SQLite's table leaves without the tree):
///     0  UInt16 kind (heapKind)   2  UInt16 slot count   4  UInt16 dataStart   6  UInt16 deadBytes
///     8  slots: UInt16 offset, UInt16 length (length 0: free slot)
///     records packed downwards from the end of the usable bytes to dataStart
/// Record: byte 0 = 0 (inline: the encoded document follows) or 1 (overflow: UInt32 length,
/// UInt64 first overflow page). Documents of more than `maxInlineBytes` go to overflow pages whole,
/// so a heap page holds several documents and a one-document read touches one or two pages.
///
/// Overflow page: 0 UInt16 kind, 2 UInt16 bytes used, 8 UInt64 next page (0: last), 16 data.
/// Free page: 0 UInt16 kind, 8 UInt64 next free page (0: last).
///
/// Space: a removed record's bytes count as dead until its page is compacted (when an insert needs
/// them) or empties (the page goes to the free list). Inserts go to one fill page; a removal that
/// leaves a page at least half free makes it the fill page, so updates reuse space without a
/// free-space map. Pages are never returned to the file system (a later `vacuum` may).
struct DocumentLayout {
    static let pageSize = 4096
    static let usable = PageLayout.usableBytes(pageSize)
    static let entriesPerDirectoryPage = usable / 8
    static let heapKind: UInt16 = 0x4448       // "HD"
    static let overflowKind: UInt16 = 0x564F   // "OV"
    static let freeKind: UInt16 = 0x5246       // "FR"
    static let heapHeaderBytes = 8
    static let slotBytes = 4
    static let overflowHeaderBytes = 16
    static let overflowDataBytes = usable - overflowHeaderBytes
    /// A quarter of a page, as SQLite's default local payload: a heap page keeps at least 3 documents.
    static let maxInlineBytes = 1000
    /// The fewest pages a document file may have beyond its directory (create refuses less).
    static let minimumHeapPages = 16

    let nodeCapacity: Int
    let capacityPages: Int
    let directoryPages: Int
    var firstAllocatablePage: Int { 1 + directoryPages }

    init(nodeCapacity: Int, documentBytes: Int) {
        self.nodeCapacity = nodeCapacity
        capacityPages = documentBytes / DocumentLayout.pageSize
        directoryPages = (nodeCapacity + DocumentLayout.entriesPerDirectoryPage - 1) / DocumentLayout.entriesPerDirectoryPage
    }

    init(config: IndexConfig) { self.init(nodeCapacity: config.maxElements, documentBytes: config.resolvedDocumentBytes) }

    /// The smallest document space an index of `nodeCapacity` can have: its directory and a few pages.
    static func minimumBytes(nodeCapacity: Int) -> Int {
        (1 + DocumentLayout(nodeCapacity: nodeCapacity, documentBytes: 0).directoryPages + minimumHeapPages) * pageSize
    }

    @inline(__always) func directoryEntry(_ node: Int) -> (page: Int, offset: Int) {
        (1 + node / DocumentLayout.entriesPerDirectoryPage, node % DocumentLayout.entriesPerDirectoryPage * 8)
    }
}

/// Where a record is: its heap page and slot.
struct RecordRef: Hashable {
    let page: Int
    let slot: Int

    init(page: Int, slot: Int) {
        self.page = page
        self.slot = slot
    }

    init?(entry: UInt64) {
        guard entry != 0 else { return nil }
        page = Int(entry >> 16)
        slot = Int(entry & 0xFFFF)
    }

    var entry: UInt64 { UInt64(page) << 16 | UInt64(slot) }
}

/// Page 0 of a document file; the store keeps a copy and writes it back when it changed, inside
/// the same transaction.
struct DocumentHeader: Equatable {
    static let magic: UInt64 = 0x3143_4F44_4342_4C43  // "CLBDOC1"
    static let fieldNames = ["magic", "pageSize", "capacityPages", "nodeCapacity", "highWater", "directoryFormatted",
                             "freeHead", "freeCount", "documentCount", "fillPage", "fieldCount", "textRoot"]
    /// Field i's B+tree root page is header field `rootsField + i` (0: the field has no index).
    static let rootsField = 16

    var highWater = 0
    var directoryFormatted = 0
    var freeHead = 0
    var freeCount = 0
    var documentCount = 0
    var fillPage = 0
    var fieldCount = 0
    /// The full-text index's root page (0: no text field is indexed).
    var textRoot = 0
    var roots: [Int] = []

    init(layout: DocumentLayout, fieldCount: Int) {
        highWater = layout.firstAllocatablePage
        self.fieldCount = fieldCount
        roots = Array(repeating: 0, count: fieldCount)
    }

    func store(into page: UnsafeMutableRawPointer, layout: DocumentLayout) {
        func bits(_ value: Int) -> UInt64 { UInt64(bitPattern: Int64(value)) }
        let fields: [UInt64] = [
            DocumentHeader.magic, bits(DocumentLayout.pageSize), bits(layout.capacityPages), bits(layout.nodeCapacity),
            bits(highWater), bits(directoryFormatted), bits(freeHead), bits(freeCount), bits(documentCount),
            bits(fillPage), bits(fieldCount), bits(textRoot),
        ]
        for (i, value) in fields.enumerated() { page.storeBytes(of: value, toByteOffset: i * 8, as: UInt64.self) }
        for (i, root) in roots.enumerated() {
            page.storeBytes(of: bits(root), toByteOffset: (DocumentHeader.rootsField + i) * 8, as: UInt64.self)
        }
    }

    /// Reads page 0, checking every field against the catalog (layout, schema) and the others.
    static func load(from page: UnsafeRawPointer, layout: DocumentLayout, schema: Schema, path: String) throws -> DocumentHeader {
        let names = fieldNames + (fieldNames.count..<rootsField).map { "reserved\($0)" } + schema.fields.map { "root(\($0.name))" }
        let f = HeaderFields(page: page, path: path, names: names)
        try f.expectFormat(.documents)
        try f.expect(1, equals: UInt64(DocumentLayout.pageSize), from: "the document page size")
        try f.expect(2, equals: UInt64(layout.capacityPages))
        try f.expect(3, equals: UInt64(layout.nodeCapacity))
        try f.expect(10, equals: UInt64(schema.fields.count))
        var header = DocumentHeader(layout: layout, fieldCount: schema.fields.count)
        header.highWater = try f.count(4, atMost: layout.capacityPages, "the capacity in pages")
        try f.require(header.highWater >= layout.firstAllocatablePage, 4, 3, "the high-water mark lies past the directory")
        header.directoryFormatted = try f.count(5, atMost: layout.directoryPages, "the directory's pages")
        header.freeHead = try f.count(6, atMost: header.highWater - 1, "the last allocated page")
        header.freeCount = try f.count(7, atMost: header.highWater, "the high-water mark")
        try f.require((header.freeHead == 0) == (header.freeCount == 0), 6, 7, "a free list head exactly when pages are free")
        header.documentCount = try f.count(8, atMost: layout.nodeCapacity, "the node capacity")
        header.fillPage = try f.count(9, atMost: header.highWater - 1, "the last allocated page")
        for (i, field) in schema.fields.enumerated() {
            let root = try f.count(rootsField + i, atMost: header.highWater - 1, "the last allocated page")
            guard (root != 0) == field.hasTree else {
                throw f.damage("header field root(\(field.name)) = \(root), but the catalog says the field is \(field.hasTree ? "" : "not ")indexed")
            }
            header.roots[i] = root
        }
        header.textRoot = try f.count(11, atMost: header.highWater - 1, "the last allocated page")
        let fullText = schema.fields.contains(where: \.isFullText)
        guard (header.textRoot != 0) == fullText else {
            throw f.damage("header field textRoot = \(header.textRoot), but the catalog says \(fullText ? "a" : "no") text field is indexed")
        }
        for page in [header.freeHead, header.fillPage, header.textRoot] + header.roots where page != 0 && page < layout.firstAllocatablePage {
            throw f.damage("a page reference \(page) points into the directory")
        }
        return header
    }
}

/// Where everything of a DiskANN index lives in its file. Capacity is fixed at create, so every
/// region has a fixed place and the file grows only as the node region fills.
///
///     page 0                          header (see DiskANNHeader)
///     [labelBase, codebookBase)       label start table (see LabelStarts), written empty at create
///     [codebookBase, codeBase)        PQ codebook: 256 · dimensions floats (see PQCodebook), packed
///                                     across pages; meaningful once the header says it is trained
///     [codeBase, hashBase)            PQ codes: `pqBytes` per node slot, `codesPerPage` per page
///     [hashBase, records.firstPage)   id map (IDMap), written empty at create
///     [records.firstPage, totalPages) node records (RecordRegion)
///
/// Everything before the records is written (empty) at create. The two PQ regions are empty when
/// `pqBytes` is 0. Codes sit apart from the records so that the few pages holding them stay in the
/// pool: a search ranks candidates by code and reads the full record only of the nodes it expands.
///
/// Node record: the vector, its out-links and its labels share a page, so one hop of a search reads
/// one page when cold (DiskANN's on-disk node).
///     0   UInt64  user id
///     8   UInt32  state: 0 free, 1 live, 2 deleted (marked, still linked until consolidation)
///     12  UInt32  next free slot + 1 (free slots only; 0 ends the list)
///     16  UInt32  label count (≤ maxLabelsPerNode)
///     20  UInt32  labels [maxLabelsPerNode], ascending
///     52  UInt32  link count (≤ R between transactions; ≤ linkCapacity while an insert runs)
///     56  UInt32  links [linkCapacity]
///     v   Float   vector [dimensions]
/// Format 2: linkCapacity = R, v = 56 + 4·R rounded up to 16, records a multiple of 16 bytes.
/// Format 3: v = 56 + 4·(R + spare links) rounded up to 64 (see DiskANNConfig.spareLinks), the
/// padding added to the spare room (linkCapacity = (v − 56) / 4), records a multiple of 64 bytes.
///
/// Label table entry (8 bytes): UInt32 label, UInt32 start node + 1 (0 = entry free for reuse).
struct DiskANNLayout {
    /// Labels one vector may carry, kept inline so a filtered hop needs no second page.
    static let maxLabelsPerNode = 8
    /// Distinct labels an index may hold, each with its own start point in the fixed table.
    static let maxLabels = 4096
    static let labelEntryBytes = 8

    static let idOffset = 0
    static let stateOffset = 8
    static let nextFreeOffset = 12
    static let labelCountOffset = 16
    static let labelsOffset = 20
    static let linkCountOffset = labelsOffset + 4 * maxLabelsPerNode
    static let linksOffset = linkCountOffset + 4

    let dimensions: Int
    let R: Int
    /// Links a record has room for: R, plus the spare room back-links use during an insert (at
    /// least `spareLinks`, with the padding before the vector).
    let linkCapacity: Int
    let capacity: Int
    let pageSize: Int
    let vectorOffset: Int
    let records: RecordRegion
    let labelEntriesPerPage: Int
    let hashSlots: Int
    /// PQ code bytes per vector (subspaces); 0: no compressed copies, every distance is exact.
    let pqBytes: Int
    let codesPerPage: Int
    let codebookFloatsPerPage: Int

    let labelBase = 1
    let codebookBase: Int
    let codeBase: Int
    let hashBase: Int
    let totalPages: Int

    init(config: IndexConfig) {
        dimensions = config.dimensions
        R = config.diskann?.R ?? DiskANNConfig().R
        capacity = config.maxElements
        let spare = config.diskann?.spareLinks ?? 0
        let recordBytes: Int
        if spare > 0 {
            // Format 3 starts every vector and record on a cache line and gives the padding to the
            // spare room: a vector straddling lines cost 384-d searches 10 % (BENCHMARKS.md,
            // "DiskANN build"). Format 2 is kept byte for byte: its files are read as they are.
            vectorOffset = (DiskANNLayout.linksOffset + 4 * (R + spare) + 63) / 64 * 64
            linkCapacity = (vectorOffset - DiskANNLayout.linksOffset) / 4
            recordBytes = (vectorOffset + 4 * dimensions + 63) / 64 * 64
        } else {
            linkCapacity = R
            vectorOffset = (DiskANNLayout.linksOffset + 4 * R + 15) / 16 * 16
            recordBytes = (vectorOffset + 4 * dimensions + 15) / 16 * 16
        }
        pageSize = PageLayout.pageSize(forRecord: recordBytes)
        let usable = PageLayout.usableBytes(pageSize)
        labelEntriesPerPage = usable / DiskANNLayout.labelEntryBytes
        hashSlots = IDMap.slotCount(capacity: capacity)
        pqBytes = (config.diskann ?? DiskANNConfig()).resolvedPQBytes(dimensions: dimensions)
        codesPerPage = usable / max(pqBytes, 1)
        codebookFloatsPerPage = usable / 4
        codebookBase = labelBase + (DiskANNLayout.maxLabels + labelEntriesPerPage - 1) / labelEntriesPerPage
        let codebookFloats = pqBytes == 0 ? 0 : PQCodebook.centroids * dimensions
        codeBase = codebookBase + (codebookFloats + codebookFloatsPerPage - 1) / codebookFloatsPerPage
        hashBase = codeBase + (pqBytes == 0 ? 0 : (capacity + codesPerPage - 1) / codesPerPage)
        records = RecordRegion(firstPage: hashBase + IDMap.pages(slotCount: hashSlots, usableBytes: usable),
                               recordBytes: recordBytes, usableBytes: usable, capacity: capacity)
        totalPages = records.endPage
        codeDivider = ExactDivider(codesPerPage)
    }

    private let codeDivider: ExactDivider

    /// Where a node's PQ code is.
    @inline(__always) func code(_ id: Int) -> (page: Int, offset: Int) {
        let q = codeDivider.quotient(id)
        return (codeBase + q, (id - q * codesPerPage) * pqBytes)
    }

    /// Cache lines a code at `offset` spans.
    @inline(__always) func codeLines(_ offset: Int) -> Int { ((offset & 63) + pqBytes + 63) >> 6 }

    @inline(__always) func labelEntry(_ entry: Int) -> (page: Int, offset: Int) {
        let q = entry / labelEntriesPerPage
        return (labelBase + q, (entry - q * labelEntriesPerPage) * DiskANNLayout.labelEntryBytes)
    }

    /// The record at `offset` of a page the caller has latched; valid only inside that latch.
    @inline(__always) func record(_ page: UnsafeRawPointer, _ offset: Int) -> NodeRecord {
        NodeRecord(base: UnsafeMutableRawPointer(mutating: page + offset), vectorOffset: vectorOffset)
    }

    @inline(__always) func record(_ page: UnsafeMutableRawPointer, _ offset: Int) -> NodeRecord {
        NodeRecord(base: page + offset, vectorOffset: vectorOffset)
    }
}

extension DiskANNLayout: IndexLayout {
    var formattedPages: Range<Int> { 0..<records.firstPage }
    var format: FileFormat { .diskann }

    /// DiskANN format 3 is format 2 plus spare link room in each record: an index created without
    /// it (before it existed) is still written as format 2, which older calibys read.
    var formatVersion: Int { linkCapacity > R ? 3 : 2 }

    /// The pages that hold data once `nodeCount` slots are used; the rest of the node region is
    /// holes, never written.
    func writtenPages(nodeCount: Int) -> [Range<Int>] {
        [formattedPages, records.pages(holding: nodeCount)]
    }
}

enum NodeState: UInt32 {
    case free = 0, live = 1, deleted = 2
}

/// Typed access to one node record in a latched page. Setters are used only under an exclusive latch.
struct NodeRecord {
    let base: UnsafeMutableRawPointer
    let vectorOffset: Int

    var id: UInt64 {
        get { base.load(fromByteOffset: DiskANNLayout.idOffset, as: UInt64.self) }
        nonmutating set { base.storeBytes(of: newValue, toByteOffset: DiskANNLayout.idOffset, as: UInt64.self) }
    }

    /// The raw state word (checked against `NodeState` by the integrity check).
    var stateWord: UInt32 {
        get { base.load(fromByteOffset: DiskANNLayout.stateOffset, as: UInt32.self) }
        nonmutating set { base.storeBytes(of: newValue, toByteOffset: DiskANNLayout.stateOffset, as: UInt32.self) }
    }

    var state: NodeState { NodeState(rawValue: stateWord) ?? .free }

    var nextFree: Int {
        get { Int(base.load(fromByteOffset: DiskANNLayout.nextFreeOffset, as: UInt32.self)) - 1 }
        nonmutating set { base.storeBytes(of: UInt32(newValue + 1), toByteOffset: DiskANNLayout.nextFreeOffset, as: UInt32.self) }
    }

    /// Clamped, so a damaged count never reads past the record.
    var labelCount: Int {
        min(Int(base.load(fromByteOffset: DiskANNLayout.labelCountOffset, as: UInt32.self)), DiskANNLayout.maxLabelsPerNode)
    }

    var rawLabelCount: Int { Int(base.load(fromByteOffset: DiskANNLayout.labelCountOffset, as: UInt32.self)) }

    @inline(__always) func label(_ i: Int) -> UInt32 {
        base.load(fromByteOffset: DiskANNLayout.labelsOffset + 4 * i, as: UInt32.self)
    }

    var labels: [UInt32] { (0..<labelCount).map(label) }

    /// Whether the node carries any of `filter` (the Filtered-DiskANN test for following a node).
    @inline(__always) func carriesAny(of filter: [UInt32]) -> Bool {
        for i in 0..<labelCount where filter.contains(label(i)) { return true }
        return false
    }

    func setLabels(_ labels: [UInt32]) {
        base.storeBytes(of: UInt32(labels.count), toByteOffset: DiskANNLayout.labelCountOffset, as: UInt32.self)
        for (i, label) in labels.enumerated() {
            base.storeBytes(of: label, toByteOffset: DiskANNLayout.labelsOffset + 4 * i, as: UInt32.self)
        }
    }

    var rawLinkCount: Int { Int(base.load(fromByteOffset: DiskANNLayout.linkCountOffset, as: UInt32.self)) }

    @inline(__always) func linkCount(limit: Int) -> Int { min(rawLinkCount, limit) }

    @inline(__always) var links: UnsafeMutablePointer<UInt32> {
        (base + DiskANNLayout.linksOffset).assumingMemoryBound(to: UInt32.self)
    }

    func setLinks(_ links: [UInt32]) {
        base.storeBytes(of: UInt32(links.count), toByteOffset: DiskANNLayout.linkCountOffset, as: UInt32.self)
        for (i, link) in links.enumerated() { self.links[i] = link }
    }

    @inline(__always) var vector: UnsafeMutablePointer<Float> {
        (base + vectorOffset).assumingMemoryBound(to: Float.self)
    }

    /// Zeroes the whole record (a slot going back to the free list).
    func clear(bytes: Int) { base.initializeMemory(as: UInt8.self, repeating: 0, count: bytes) }
}

extension DiskANNLayout {
    /// Where the data of `header`'s slots goes (see `IndexStatistics.parts`): a record minus its
    /// vector (state, labels, links) is the graph; codes count once trained.
    func parts(_ header: DiskANNHeader) -> [IndexStatistics.Part] {
        let usable = PageLayout.usableBytes(pageSize)
        let codes = header.pqTrained ? (codeBase - codebookBase) * usable + header.nodeCount * pqBytes : 0
        let vectorBytes = 4 * dimensions
        return [.init("graph", header.nodeCount * (records.recordBytes - vectorBytes)),
                .init("vectors", header.nodeCount * vectorBytes),
                .init("id_map", IDMap.pages(slotCount: hashSlots, usableBytes: usable) * usable),
                .init("codes", codes),
                .init("labels", header.labelEntries * DiskANNLayout.labelEntryBytes)]
    }
}

/// Page 0 of a DiskANN file. The index object keeps a copy and writes it back at the end of every
/// operation that changes it, inside the same transaction.
struct DiskANNHeader: Equatable {
    static let magic: UInt64 = 0x334E_4E41_4442_4C43  // "CLBDANN3" (format 2 still written, see formatVersion)
    /// Slots ever used: records past it have never been written.
    var nodeCount = 0
    /// Slots on the free list (freed by consolidation, reused by inserts first).
    var freeCount = 0
    var freeHead = -1
    /// Slots marked deleted and not yet consolidated.
    var deletedCount = 0
    /// Where unfiltered searches start: near the centre of the data.
    var medoid = -1
    /// One past the largest user id so far: where automatic ids continue.
    var nextAutoID: UInt64 = 0
    /// Label table entries in use or freed (the table's used prefix).
    var labelEntries = 0
    /// The codebook region holds a trained codebook and every used slot has its code.
    var pqTrained = false

    var usedCount: Int { nodeCount - freeCount }
    var liveCount: Int { nodeCount - freeCount - deletedCount }

    static let fieldNames = ["magic", "dimensions", "R", "capacity", "metric", "nodeCount", "freeCount", "freeHead",
                             "deletedCount", "medoid", "nextAutoID", "labelEntries", "pqBytes", "pqTrained"]

    func store(into page: UnsafeMutableRawPointer, layout: DiskANNLayout, metric: Metric) {
        // Bit patterns, not conversions: a counter gone wrong must reach the disk (and be refused
        // by the next load) rather than trap the writer.
        func bits(_ value: Int) -> UInt64 { UInt64(bitPattern: Int64(value)) }
        let fields: [UInt64] = [
            FileFormat.diskann.magic(version: layout.formatVersion), bits(layout.dimensions), bits(layout.R), bits(layout.capacity),
            bits(Metric.allCases.firstIndex(of: metric)!), bits(nodeCount), bits(freeCount), bits(freeHead),
            bits(deletedCount), bits(medoid), nextAutoID, bits(labelEntries), bits(layout.pqBytes), pqTrained ? 1 : 0,
        ]
        for (i, value) in fields.enumerated() { page.storeBytes(of: value, toByteOffset: i * 8, as: UInt64.self) }
    }

    /// Reads page 0, checking every field against the catalog's parameters, the layout and the
    /// other fields, so nothing after it needs to distrust the counters.
    static func load(from page: UnsafeRawPointer, layout: DiskANNLayout, metric: Metric, path: String) throws -> DiskANNHeader {
        let f = HeaderFields(page: page, path: path, names: fieldNames)
        try f.expectFormat(.diskann, version: layout.formatVersion)
        try f.expect(1, equals: UInt64(layout.dimensions))
        try f.expect(2, equals: UInt64(layout.R))
        try f.expect(3, equals: UInt64(layout.capacity))
        try f.expect(4, equals: UInt64(Metric.allCases.firstIndex(of: metric)!))
        try f.expect(12, equals: UInt64(layout.pqBytes))
        var header = DiskANNHeader()
        let n = try f.count(5, atMost: layout.capacity, "the capacity")
        header.nodeCount = n
        header.freeCount = try f.count(6, atMost: n, "nodeCount")
        header.freeHead = try f.node(7, below: n, "nodeCount")
        try f.require((header.freeHead < 0) == (header.freeCount == 0), 7, 6, "a free-list head exactly when slots are free")
        header.deletedCount = try f.count(8, atMost: n - header.freeCount, "the used slots")
        header.medoid = try f.node(9, below: n, "nodeCount")
        try f.require((header.medoid < 0) == (header.usedCount == 0), 9, 5, "a start point exactly when slots are used")
        header.nextAutoID = f.raw(10)
        header.labelEntries = try f.count(11, atMost: DiskANNLayout.maxLabels, "the label table's")
        let trained = f.raw(13)
        guard trained == 0 || (trained == 1 && layout.pqBytes > 0) else {
            throw f.damage("header field pqTrained = \(trained), must be 0 or 1 (and 0 for an index without codes)")
        }
        header.pqTrained = trained == 1
        return header
    }
}

/// The per-label start points of filtered search (Filtered-DiskANN's st(f)), held in memory and
/// persisted in the label table region; only the entries changed since the last write go back.
struct LabelStarts {
    private(set) var entries: [(label: UInt32, start: Int)] = []
    private var entryOf: [UInt32: Int] = [:]
    private var freeEntries: [Int] = []
    private(set) var changedEntries: Set<Int> = []

    /// The start point of `label`, if any vector carries it.
    func start(of label: UInt32) -> Int? {
        guard let entry = entryOf[label], entries[entry].start >= 0 else { return nil }
        return entries[entry].start
    }

    /// How many of `labels` would take an entry (those without a start: a freed entry still keyed to
    /// its label counts among the available ones, and may go to another label first), and how many
    /// entries are available.
    func roomNeeded(for labels: Set<UInt32>) -> (needed: Int, available: Int) {
        (labels.filter { start(of: $0) == nil }.count, DiskANNLayout.maxLabels - entries.count + freeEntries.count)
    }

    /// Sets or moves the start of `label`; the caller checked room with `roomNeeded`.
    mutating func setStart(_ label: UInt32, _ node: Int) {
        let entry: Int
        if let existing = entryOf[label] {
            entry = existing
            if entries[entry].start < 0 { freeEntries.removeAll { $0 == entry } }
        } else if let reused = freeEntries.popLast() {
            entryOf[entries[reused].label] = nil
            entry = reused
        } else {
            precondition(entries.count < DiskANNLayout.maxLabels, "label table overflow")
            entry = entries.count
            entries.append((label, -1))
        }
        entries[entry] = (label, node)
        entryOf[label] = entry
        changedEntries.insert(entry)
    }

    /// No vector carries `label` any more: its entry becomes free for another label.
    mutating func clearStart(_ label: UInt32) {
        guard let entry = entryOf[label], entries[entry].start >= 0 else { return }
        entries[entry].start = -1
        freeEntries.append(entry)
        changedEntries.insert(entry)
    }

    mutating func markWritten() { changedEntries.removeAll() }

    init() {}

    init(loading count: Int, read: (Int) throws -> (label: UInt32, start: Int)) rethrows {
        for entry in 0..<count {
            let value = try read(entry)
            entries.append(value)
            entryOf[value.label] = entry
            if value.start < 0 { freeEntries.append(entry) }
        }
    }
}

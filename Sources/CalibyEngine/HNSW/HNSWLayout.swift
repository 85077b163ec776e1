/// Where everything of an HNSW index lives in its file. Capacity is fixed at create, so every
/// region has a fixed place and the file grows only as regions fill (unused tails are holes).
///
///     page 0                          header (see HNSWHeader)
///     [1, hashBase)                   int8 quantizer (scale, then one offset per dimension,
///                                     ScalarQuantizer), packed floats; none without quantization
///     [hashBase, upperBase)           id map (IDMap), written empty at create
///     [upperBase, records.firstPage)  upper-level link slots, allocated in order
///     [records.firstPage, totalPages) node records (RecordRegion), allocated in order
///
/// Node record (hnswlib's level-0 record, plus what a disk index needs):
///     0   UInt64  user id
///     8   UInt32  level (low 8 bits) | deleted flag (bit 8)
///     12  UInt32  first upper slot (levels 1...level use consecutive slots)
///     16  UInt32  level-0 link count
///     20  UInt32  level-0 links [2·M]
///     c   Int8    codes [dimensions] with int8 quantization, rounded up to 16 bytes; else nothing,
///         c = 20 + 8·M rounded up to the record alignment
///     v   vector [dimensions] in the index's precision (Float or Float16, see StoredVector),
///         v = c + the codes' bytes, rounded up to the record alignment
///
/// The codes sit between the links and the vector so that a search's hop reads links and codes
/// from the record's first lines and touches the vector only to re-rank.
///
/// Records, and so c and v, are aligned to 16 bytes, or with `HNSWConfig.alignedRecords` (format
/// 3, every int8 index created since) to 64, a cache line: a record of 800 bytes (128-d, M 16)
/// starts every other time mid-line, and its 128 bytes of codes then span three lines, of which a
/// hop's prefetch asked for two (asking for the third gained nothing: the cost is the line fetched).
/// Aligned, the record is 832 bytes, four to a 4 KiB page where five fitted (the file is 23 %
/// larger; `PageLayout.smallPageSize` says why not nine to 8 KiB), for faster builds and in-memory
/// searches (BENCHMARKS.md). At 384-d the record grows from 2,080 to 2,112 bytes in the same 16 KiB
/// pages of seven.
///
/// Upper slot: UInt32 link count, UInt32 links [M].
struct HNSWLayout {
    let dimensions: Int
    let stored: StoredVector
    let M: Int
    let maxLinks0: Int
    let capacity: Int
    let pageSize: Int

    static let idOffset = 0
    static let levelOffset = 8
    static let upperSlotOffset = 12
    static let countOffset = 16
    static let linksOffset = 20
    static let deletedBit: UInt32 = 1 << 8
    /// The highest level a node gets (levels are geometric with ratio 1/M; 32 is never reached).
    static let maxLevel = 32

    let quantization: VectorQuantization
    /// Records, codes and vectors start on 64-byte lines (`HNSWConfig.alignedRecords`), else on 16 bytes.
    let alignedRecords: Bool
    let codeOffset: Int
    /// The codes' bytes in a record (0 without quantization).
    let codeBytes: Int
    let vectorOffset: Int
    let records: RecordRegion
    let upperSlotBytes: Int
    let upperSlotsPerPage: Int
    let upperSlotCapacity: Int
    let hashSlots: Int

    /// Floats of the quantizer region: the scale, then one offset per dimension.
    let quantizerFloats: Int
    let quantizerFloatsPerPage: Int
    let hashBase: Int
    let upperBase: Int
    let totalPages: Int

    init(config: IndexConfig) {
        dimensions = config.dimensions
        stored = StoredVector(precision: config.precision, dimensions: config.dimensions)
        M = config.hnsw?.M ?? 16
        maxLinks0 = 2 * M
        capacity = config.maxElements
        quantization = config.hnsw?.quantization ?? .none
        alignedRecords = config.hnsw?.alignedRecords == true
        let alignment = alignedRecords ? 64 : 16
        func aligned(_ bytes: Int) -> Int { (bytes + alignment - 1) / alignment * alignment }
        codeOffset = aligned(HNSWLayout.linksOffset + 4 * maxLinks0)
        codeBytes = quantization == .int8 ? (dimensions + 15) / 16 * 16 : 0
        vectorOffset = aligned(codeOffset + codeBytes)
        let recordBytes = aligned(vectorOffset + stored.byteCount)
        // Format 1 keeps its rule; records with codes are wider, so they get pages that waste little
        // (format 2), or 4 KiB ones while those hold four (format 3).
        pageSize = quantization == .none ? PageLayout.pageSize(forRecord: recordBytes)
            : alignedRecords ? PageLayout.smallPageSize(forRecord: recordBytes) : PageLayout.densePageSize(forRecord: recordBytes)
        let usable = PageLayout.usableBytes(pageSize)
        upperSlotBytes = 4 + 4 * M
        upperSlotsPerPage = usable / upperSlotBytes
        // Expected slots are capacity/(M-1) (levels are geometric with ratio 1/M); twice that plus
        // a margin is never reached in practice, and a node that would overflow gets a lower level.
        upperSlotCapacity = 2 * (capacity + M - 2) / (M - 1) + 64
        hashSlots = IDMap.slotCount(capacity: capacity)
        quantizerFloats = quantization == .int8 ? 1 + dimensions : 0
        quantizerFloatsPerPage = usable / 4
        hashBase = 1 + (quantizerFloats + quantizerFloatsPerPage - 1) / quantizerFloatsPerPage
        upperBase = hashBase + IDMap.pages(slotCount: hashSlots, usableBytes: usable)
        records = RecordRegion(firstPage: upperBase + (upperSlotCapacity + upperSlotsPerPage - 1) / upperSlotsPerPage,
                               recordBytes: recordBytes, usableBytes: usable, capacity: capacity)
        totalPages = records.endPage
    }

    /// HNSW format 2 is format 1 plus int8 codes, format 3 format 2 with records on cache lines: an
    /// index without codes is still written as format 1, and one created with codes before records
    /// were aligned as format 2, which older calibys read.
    var formatVersion: Int { quantization == .none ? 1 : alignedRecords ? 3 : 2 }

    @inline(__always) func upperSlot(_ slot: Int) -> (page: Int, offset: Int) {
        let q = slot / upperSlotsPerPage
        return (upperBase + q, (slot - q * upperSlotsPerPage) * upperSlotBytes)
    }
}

extension HNSWLayout: IndexLayout {
    var formattedPages: Range<Int> { 0..<upperBase }
    var format: FileFormat { .hnsw }

    /// The pages that hold data once `header`'s nodes and slots are allocated; the rest of their
    /// regions are holes, never written.
    func writtenPages(_ header: HNSWHeader) -> [Range<Int>] {
        [formattedPages,
         upperBase..<upperBase + (header.upperSlotsUsed + upperSlotsPerPage - 1) / upperSlotsPerPage,
         records.pages(holding: header.nodeCount)]
    }
}

extension HNSWLayout {
    /// Where the data of `header`'s nodes goes (see `IndexStatistics.parts`): the level-0 record
    /// minus its vector, and the upper levels' slots in use, are the graph.
    func parts(_ header: HNSWHeader) -> [IndexStatistics.Part] {
        let usable = PageLayout.usableBytes(pageSize)
        var parts: [IndexStatistics.Part] = [
            .init("graph", header.nodeCount * (records.recordBytes - stored.byteCount - codeBytes) + header.upperSlotsUsed * upperSlotBytes),
            .init("vectors", header.nodeCount * stored.byteCount),
            .init("id_map", IDMap.pages(slotCount: hashSlots, usableBytes: usable) * usable)]
        if quantization != .none { parts.append(.init("codes", header.nodeCount * codeBytes + 4 * quantizerFloats)) }
        return parts
    }
}

/// Page 0 of an HNSW file. The index object keeps a copy and writes it back at the end of every
/// operation that changes it, inside the same transaction.
struct HNSWHeader: Equatable {
    static let magic: UInt64 = 0x3357_534E_4842_4C43  // "CLBHNSW3" (formats 1 and 2 still written, see formatVersion)
    var nodeCount = 0
    var entryPoint = -1
    var maxLevel = -1
    var upperSlotsUsed = 0
    /// One past the largest user id so far: where automatic ids continue.
    var nextAutoID: UInt64 = 0
    var deletedCount = 0
    /// The quantizer region holds a trained quantizer (the first insert trains it).
    var quantizerTrained = false
    /// The vectors in the index (with the batch) when the quantizer last learned, at most
    /// `ScalarQuantizer.sampleSize`; 0 when untrained, and in files written before it was kept.
    var quantizerLearnedFrom = 0

    static let fieldNames = ["magic", "dimensions", "M", "capacity", "metric", "nodeCount", "entryPoint", "maxLevel",
                             "upperSlotsUsed", "nextAutoID", "deletedCount", "precision", "quantizerTrained",
                             "quantizerLearnedFrom"]

    func store(into page: UnsafeMutableRawPointer, layout: HNSWLayout, metric: Metric) {
        // Bit patterns, not conversions: a counter gone wrong must reach the disk (and be refused
        // by the next load) rather than trap the writer.
        func bits(_ value: Int) -> UInt64 { UInt64(bitPattern: Int64(value)) }
        let fields: [UInt64] = [
            FileFormat.hnsw.magic(version: layout.formatVersion), bits(layout.dimensions), bits(layout.M), bits(layout.capacity),
            bits(Metric.allCases.firstIndex(of: metric)!), bits(nodeCount), bits(entryPoint), bits(maxLevel),
            bits(upperSlotsUsed), nextAutoID, bits(deletedCount),
            bits(VectorPrecision.allCases.firstIndex(of: layout.stored.precision)!), quantizerTrained ? 1 : 0,
            bits(quantizerLearnedFrom),
        ]
        for (i, value) in fields.enumerated() { page.storeBytes(of: value, toByteOffset: i * 8, as: UInt64.self) }
    }

    /// Reads page 0, checking every field against the catalog's parameters, the layout and the
    /// other fields, so nothing after it needs to distrust the counters.
    static func load(from page: UnsafeRawPointer, layout: HNSWLayout, metric: Metric, path: String) throws -> HNSWHeader {
        let f = HeaderFields(page: page, path: path, names: fieldNames)
        try f.expectFormat(.hnsw, version: layout.formatVersion)
        try f.expect(1, equals: UInt64(layout.dimensions))
        try f.expect(2, equals: UInt64(layout.M))
        try f.expect(3, equals: UInt64(layout.capacity))
        try f.expect(4, equals: UInt64(Metric.allCases.firstIndex(of: metric)!))
        try f.expect(11, equals: UInt64(VectorPrecision.allCases.firstIndex(of: layout.stored.precision)!))
        var header = HNSWHeader()
        header.nodeCount = try f.count(5, atMost: layout.capacity, "the capacity")
        header.entryPoint = try f.node(6, below: header.nodeCount, "nodeCount")
        try f.require((header.entryPoint < 0) == (header.nodeCount == 0), 6, 5, "an entry point exactly when there are nodes")
        header.maxLevel = Int(Int64(bitPattern: f.raw(7)))
        guard (-1...HNSWLayout.maxLevel).contains(header.maxLevel) else {
            throw f.damage("header field maxLevel = \(header.maxLevel), must be between -1 and \(HNSWLayout.maxLevel)")
        }
        try f.require((header.maxLevel < 0) == (header.nodeCount == 0), 7, 5, "a top level exactly when there are nodes")
        header.upperSlotsUsed = try f.count(8, atMost: layout.upperSlotCapacity, "the upper slot capacity")
        header.nextAutoID = f.raw(9)
        header.deletedCount = try f.count(10, atMost: header.nodeCount, "nodeCount")
        let trained = f.raw(12)
        guard trained <= (layout.quantization == .none ? 0 : 1) else {
            throw f.damage("header field quantizerTrained = \(trained), must be \(layout.quantization == .none ? "0 without quantization" : "0 or 1")")
        }
        header.quantizerTrained = trained == 1
        try f.require(header.quantizerTrained || header.nodeCount == 0 || layout.quantization == .none, 12, 5,
                      "a trained quantizer once a quantized index has nodes")
        header.quantizerLearnedFrom = try f.count(13, atMost: ScalarQuantizer.sampleSize, "the quantizer's sample size")
        try f.require(header.quantizerTrained || header.quantizerLearnedFrom == 0, 13, 12, "no sample without a quantizer")
        return header
    }
}

/// Where everything of an HNSW index lives in its file. Capacity is fixed at create, so every
/// region has a fixed place and the file grows only as regions fill (unused tails are holes).
///
///     page 0                      header (see HNSWHeader)
///     [hashBase, upperBase)       id map (LabelMap), written empty at create
///     [upperBase, nodeBase)       upper-level link slots, allocated in order
///     [nodeBase, totalPages)      node records, `nodesPerPage` per page, allocated in order
///
/// Node record (hnswlib's level-0 record, plus what a disk index needs):
///     0   UInt64  user id
///     8   UInt32  level (low 8 bits) | deleted flag (bit 8)
///     12  UInt32  first upper slot (levels 1...level use consecutive slots)
///     16  UInt32  level-0 link count
///     20  UInt32  level-0 links [2·M]
///     v   vector [dimensions] in the index's precision (Float or Float16, see StoredVector),
///         v = 20 + 8·M rounded up to 16
///
/// Upper slot: UInt32 link count, UInt32 links [M].
struct HNSWLayout {
    let dimensions: Int
    let stored: StoredVector
    let M: Int
    let maxLinks0: Int
    let capacity: Int
    let pageSize: Int

    static let labelOffset = 0
    static let levelOffset = 8
    static let upperSlotOffset = 12
    static let countOffset = 16
    static let linksOffset = 20
    static let deletedBit: UInt32 = 1 << 8

    let vectorOffset: Int
    let recordBytes: Int
    let nodesPerPage: Int
    let upperSlotBytes: Int
    let upperSlotsPerPage: Int
    let upperSlotCapacity: Int
    let hashSlots: Int

    let hashBase = 1
    let upperBase: Int
    let nodeBase: Int
    let totalPages: Int

    /// Page size and page count, as the catalog records them.
    var pages: (pageSize: Int, totalPages: Int) { (pageSize, totalPages) }

    init(config: IndexConfig) {
        dimensions = config.dimensions
        stored = StoredVector(precision: config.precision, dimensions: config.dimensions)
        M = config.hnsw?.M ?? 16
        maxLinks0 = 2 * M
        capacity = config.maxElements
        vectorOffset = (HNSWLayout.linksOffset + 4 * maxLinks0 + 15) / 16 * 16
        recordBytes = (vectorOffset + stored.byteCount + 15) / 16 * 16
        pageSize = PageLayout.pageSize(forRecord: recordBytes)
        let usable = PageLayout.usableBytes(pageSize)
        nodesPerPage = usable / recordBytes
        nodeDivider = ExactDivider(nodesPerPage)
        upperSlotBytes = 4 + 4 * M
        upperSlotsPerPage = usable / upperSlotBytes
        // Expected slots are capacity/(M-1) (levels are geometric with ratio 1/M); twice that plus
        // a margin is never reached in practice, and a node that would overflow gets a lower level.
        upperSlotCapacity = 2 * (capacity + M - 2) / (M - 1) + 64
        hashSlots = LabelMap.slotCount(capacity: capacity)
        upperBase = hashBase + LabelMap.pages(slotCount: hashSlots, usableBytes: usable)
        nodeBase = upperBase + (upperSlotCapacity + upperSlotsPerPage - 1) / upperSlotsPerPage
        totalPages = nodeBase + (capacity + nodesPerPage - 1) / nodesPerPage
    }

    private let nodeDivider: ExactDivider

    @inline(__always) func node(_ id: Int) -> (page: Int, offset: Int) {
        let q = nodeDivider.quotient(id)
        return (nodeBase + q, (id - q * nodesPerPage) * recordBytes)
    }

    @inline(__always) func upperSlot(_ slot: Int) -> (page: Int, offset: Int) {
        let q = slot / upperSlotsPerPage
        return (upperBase + q, (slot - q * upperSlotsPerPage) * upperSlotBytes)
    }
}

/// Page 0 of an HNSW file. The index object keeps a copy and writes it back at the end of every
/// operation that changes it, inside the same transaction.
struct HNSWHeader: Equatable {
    static let magic: UInt64 = 0x3157_534E_4842_4C43  // "CLBHNSW1"
    var nodeCount = 0
    var entryPoint = -1
    var maxLevel = -1
    var upperSlotsUsed = 0
    /// One past the largest user id so far: where automatic ids continue.
    var nextAutoID: UInt64 = 0
    var deletedCount = 0

    func store(into page: UnsafeMutableRawPointer, layout: HNSWLayout, metric: Metric) {
        let fields: [UInt64] = [
            HNSWHeader.magic, UInt64(layout.dimensions), UInt64(layout.M), UInt64(layout.capacity),
            UInt64(Metric.allCases.firstIndex(of: metric)!), UInt64(nodeCount), UInt64(bitPattern: Int64(entryPoint)),
            UInt64(bitPattern: Int64(maxLevel)), UInt64(upperSlotsUsed), nextAutoID, UInt64(deletedCount),
            UInt64(VectorPrecision.allCases.firstIndex(of: layout.stored.precision)!),
        ]
        for (i, value) in fields.enumerated() { page.storeBytes(of: value, toByteOffset: i * 8, as: UInt64.self) }
    }

    /// Reads and checks page 0 against the catalog's parameters.
    static func load(from page: UnsafeRawPointer, layout: HNSWLayout, metric: Metric, path: String) throws -> HNSWHeader {
        func field(_ i: Int) -> UInt64 { page.load(fromByteOffset: i * 8, as: UInt64.self) }
        guard field(0) == magic else { throw CalibyError.corrupt(path: path, detail: "page 0 is not an HNSW header") }
        guard field(1) == UInt64(layout.dimensions), field(2) == UInt64(layout.M), field(3) == UInt64(layout.capacity),
              field(4) == UInt64(Metric.allCases.firstIndex(of: metric)!),
              field(11) == UInt64(VectorPrecision.allCases.firstIndex(of: layout.stored.precision)!) else {
            throw CalibyError.corrupt(path: path, detail: "header parameters differ from the catalog's")
        }
        var header = HNSWHeader()
        header.nodeCount = Int(field(5))
        header.entryPoint = Int(Int64(bitPattern: field(6)))
        header.maxLevel = Int(Int64(bitPattern: field(7)))
        header.upperSlotsUsed = Int(field(8))
        header.nextAutoID = field(9)
        header.deletedCount = Int(field(10))
        guard header.nodeCount <= layout.capacity, header.entryPoint < header.nodeCount,
              (header.entryPoint < 0) == (header.nodeCount == 0), header.maxLevel < 64,
              header.upperSlotsUsed <= layout.upperSlotCapacity, header.deletedCount <= header.nodeCount else {
            throw CalibyError.corrupt(path: path, detail: "header counters are inconsistent")
        }
        return header
    }
}

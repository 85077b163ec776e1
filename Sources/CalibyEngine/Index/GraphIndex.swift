import Glibc

/// What every index type offers the commands. Implementations keep their whole state in pages of
/// their `PageSpace`; the objects hold only caches of the header.
package protocol GraphIndex: AnyObject {
    var info: IndexInfo { get }
    /// Live (not deleted) vectors.
    var count: Int { get }


    /// Inserts a batch; ids come from the batch or, where nil, continue after the largest id so far.
    /// On error the index may be partly changed: the caller rolls the transaction back.
    func insert(_ batch: VectorBatch, options: InsertOptions) throws -> InsertSummary

    /// The `k` nearest live vectors, closest first.
    func search(_ query: UnsafePointer<Float>, parameters: SearchParameters) throws -> [SearchHit]

    /// Marks ids deleted; they never appear in results again.
    func delete(ids: [UInt64]) throws -> Int

    /// Reads every page of the file and checks the structure; returns each problem found, one line
    /// each (empty when sound). Damage is reported, not thrown: the check goes on past it. Throws
    /// only what is not damage (an I/O error, a buffer pool too small).
    func checkIntegrity() throws -> [String]

    /// How the slots are used and the bytes each part of the data takes, in one look at the header.
    func storageStatistics() -> (slots: SlotStatistics, parts: [IndexStatistics.Part])

    /// Pages that searches with `parameters` read whatever their query, each search a scattered
    /// few of them: DiskANN's PQ codes when it ranks by them. Empty when there are none.
    func pagesSharedBySearches(_ parameters: SearchParameters) -> Range<Int>
}

/// Index types whose deletes leave marked points in the graph until a separate pass takes them out
/// and frees their slots.
package protocol Consolidating: GraphIndex {
    /// Removes deleted points from the graph and frees their slots for new inserts; returns how
    /// many slots it freed.
    func consolidate(threads: Int) throws -> Int
}

package struct InsertOptions: Sendable {
    package var replace = false
    package var threads = 1
    /// Called now and then from one thread with the number of records done so far.
    package var progress: (@Sendable (Int) -> Void)?
    /// Checked between records; when it returns true the insert stops with `.interrupted`.
    package var isCancelled: (@Sendable () -> Bool)?
    package init(replace: Bool = false, threads: Int = 1) {
        self.replace = replace
        self.threads = threads
    }
}

/// What an insert did.
public struct InsertSummary: Sendable, Equatable {
    /// Vectors added under new ids.
    public package(set) var inserted = 0
    /// Vectors that took the place of an existing id's (`replace`).
    public package(set) var replaced = 0
    /// The batch's first id.
    public package(set) var firstID: UInt64?
    /// The batch's last id.
    public package(set) var lastID: UInt64?
    package init() {}
}

package struct SearchParameters: Sendable {
    package var k = 10
    /// HNSW candidate list size (raised to k when smaller).
    package var ef = 64
    /// DiskANN candidate list size (raised to k when smaller).
    package var searchL = 100
    /// Nodes expanded per step: DiskANN's default of 4, which overlaps page reads when the index
    /// is on disk. In memory Caliby reads pages synchronously and a wider beam only expands more
    /// nodes: width 1 measured about 25 % faster at equal recall on 100k×128 (BENCHMARKS.md).
    package var beamWidth = 4
    /// Only points carrying this label (DiskANN).
    package var filter: UInt32?
    /// Which distances steer a DiskANN search.
    package var distances = SearchDistances.auto
    package init(k: Int = 10) { self.k = k }

    /// The candidate list a search of that index type keeps: `ef` or `searchL`, never below k.
    package func listSize(_ type: IndexType) -> Int { max(type == .hnsw ? ef : searchL, k) }
}

/// How a DiskANN search ranks the candidates it has not expanded yet (see DiskANNIndex).
package enum SearchDistances: String, CaseIterable, Codable, Sendable {
    /// By PQ code: reads the full vector only of the nodes it expands.
    case pq
    /// By exact distance: reads the vector of every node it meets.
    case exact
    /// `pq` when the index's pages outgrow the buffer pool, `exact` when they fit (in memory an
    /// exact distance costs little more than a code's and needs a much shorter list for the same
    /// recall; out of memory every exact distance may be a page read).
    case auto
}

/// One result of a vector search.
public struct SearchHit: Sendable, Equatable {
    /// The id the vector was inserted under.
    public var id: UInt64
    /// The metric's distance, smaller is closer: squared L2, or 1 − ⟨a, b⟩ for `ip` and `cosine`.
    public var distance: Float
    /// A hit, as tests and fused rankings make them.
    public init(id: UInt64, distance: Float) {
        self.id = id
        self.distance = distance
    }
}

extension IndexConfig {
    /// The config an index of `type` is created with, checked: its type's parameters filled in with
    /// their defaults and the other type's dropped. The catalog records the code size, link room
    /// and record alignment actually used, so a later change of a default cannot change an
    /// existing index's layout.
    func resolved(for type: IndexType) throws -> IndexConfig {
        var config = self
        config.hnsw = type == .hnsw ? hnsw ?? HNSWConfig() : nil
        config.diskann = type == .diskann ? diskann ?? DiskANNConfig() : nil
        if let hnsw = config.hnsw, hnsw.quantization == .int8 { config.hnsw?.alignedRecords = hnsw.alignedRecords ?? true }
        if let diskann = config.diskann {
            config.diskann?.pqBytes = diskann.resolvedPQBytes(dimensions: dimensions)
            config.diskann?.spareLinks = diskann.spareLinks ?? DiskANNConfig.defaultSpareLinks(R: diskann.R)
        }
        try config.validate()
        return config
    }
}

extension IndexType {
    /// Formats a new, empty index of this type in `space`.
    func format(_ info: IndexInfo, space: PageSpace) throws -> GraphIndex {
        switch self {
        case .hnsw: return try HNSWIndex(creating: info, space: space, writable: true)
        case .diskann: return try DiskANNIndex(creating: info, space: space, writable: true)
        }
    }
}

/// Per-type construction, kept in the index layer so the catalog stays type-agnostic.
extension Database {
    package func createIndex(name: String, type: IndexType, config: IndexConfig) throws -> GraphIndex {
        let config = try config.resolved(for: type)
        // What registering would refuse comes first, so that a taken or bad name is not reported as
        // a lack of space; then what the machine cannot hold, before a byte is written.
        try requireWritable("create")
        try IndexName.validate(name)
        if listIndexes().contains(where: { $0.name == name }) { throw CalibyError.indexExists(name) }
        try CreateFootprint(type: type, config: config).requireRoom(config: config, directory: directory)
        let layout = type.layout(config)
        let (info, space) = try registerIndex(name: name, type: type, config: config, pageSize: layout.pageSize,
                                              capacityPages: layout.totalPages)
        let index = try type.format(info, space: space)
        openObjects[info.id] = index
        return index
    }

    package func index(named name: String) throws -> GraphIndex {
        let info = try info(named: name)
        if let index = openObjects[info.id] as? GraphIndex { return index }
        try checkLayout(of: info)
        let space = try space(for: info)
        let index: GraphIndex
        switch info.type {
        case .hnsw: index = try HNSWIndex(opening: info, space: space, writable: mode == .readWrite)
        case .diskann: index = try DiskANNIndex(opening: info, space: space, writable: mode == .readWrite)
        }
        openObjects[info.id] = index
        return index
    }

    /// Reads an index into the buffer pool ahead of a steady state of searches (`--warmup`; see
    /// `PageSpace.preload`).
    package func preload(_ index: GraphIndex) throws { try space(for: index.info).preload(steadyState: true) }

    /// `preload` when a batch of `queries` searches will touch most of the index anyway and the
    /// pool holds all of it. A search expands about its list size of nodes and reads their
    /// neighbours' records, so queries × list size × out-degree pages is what the batch can touch;
    /// from there one sequential pass, in 2 MiB pages, beats faulting the same pages one at a time
    /// in random order (20k × 384, 1000 queries: BENCHMARKS.md, "Real embeddings"). An index the
    /// pool cannot hold gets the pages all its searches share read that way instead, when the batch
    /// would read them all anyway (DiskANN's codes: cold QPS 2.0× on 1M × 128, BENCHMARKS.md).
    package func preload(_ index: GraphIndex, beforeSearching queries: Int, parameters: SearchParameters) throws {
        let info = index.info
        let space = try space(for: info)
        let degree = info.type == .hnsw ? 2 * (info.config.hnsw?.M ?? 16) : info.config.diskann?.R ?? 64
        let reach = min(queries, 1 << 32) * parameters.listSize(info.type) * degree
        let room = pool.pageBudgetBytes
        if reach >= space.pagesInFile && room >= space.pagesInFile * space.pageSize {
            space.preload()
            return
        }
        // Each of those page touches looks at one of the shared pages (a code per neighbour). If
        // the batch will read them all anyway, one sequential pass is cheaper than a random read
        // per page (DiskANN's disk search holds its codes in memory from load for the same reason).
        // Up to 7/8 of the pool, leaving an eighth for the records the searches expand: they are
        // each read about once, while every search comes back to the codes. With half, 4M × 128's
        // 124 MB of codes were faulted in one page at a time through a 160 MiB pool (the memory
        // diskannpy's disk index searches in), at 0.23–0.80× the QPS of preloading them
        // (BENCHMARKS.md).
        let shared = index.pagesSharedBySearches(parameters)
        if !shared.isEmpty && reach >= shared.count && shared.count * space.pageSize <= room - room / 8 {
            space.preload(shared)
        }
    }

    /// A row of `caliby list`.
    package func summary(of info: IndexInfo) throws -> IndexSummary {
        IndexSummary(info: info, count: try index(named: info.name).count, diskBytes: try diskBytes(of: info))
    }
}

/// An index with no data directory (`VectorIndex.temporary`): in the shared buffer pool over an
/// unnamed scratch file, so it may still exceed memory. Nothing is journaled or kept.
enum TemporaryIndex {
    static func make(name: String, type: IndexType, config: IndexConfig) throws -> GraphIndex {
        let config = try config.resolved(for: type)
        guard config.schema.isEmpty else { throw CalibyError.invalidArgument("a temporary index has no documents: leave the schema empty") }
        try CreateFootprint(type: type, config: config).requireWithinSizeLimit(config: config)
        let layout = type.layout(config)
        let info = IndexInfo(id: 0, name: name, type: type, config: config, pageSize: layout.pageSize,
                             capacityPages: layout.totalPages, createdAt: Int64(time(nil)))
        let space = try PageSpace(pool: Caliby.pool(), file: PosixFile.anonymous(), fileID: nil, journal: nil,
                                  pageSize: layout.pageSize, capacityPages: layout.totalPages)
        return try type.format(info, space: space)
    }
}

package struct IndexSummary: Sendable {
    package var info: IndexInfo
    package var count: Int
    package var diskBytes: Int
}

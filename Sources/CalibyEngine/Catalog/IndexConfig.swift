/// What the catalog records about each index. Values are fixed at create.

/// The graph an index is: fixed at create.
public enum IndexType: String, Codable, Sendable, CaseIterable {
    /// Hierarchical navigable small world graph (hnswlib's algorithm): fast inserts one at a time,
    /// the usual choice.
    case hnsw
    /// DiskANN's Vamana graph, with PQ codes that steer searches when the index is larger than the
    /// buffer pool; label filters; deletes consolidated in place.
    case diskann
}

/// How distance is measured; smaller is always closer.
public enum Metric: String, Codable, Sendable, CaseIterable {
    /// Squared Euclidean distance (as hnswlib and FAISS report it).
    case l2
    /// Inner product, reported as 1 − ⟨a, b⟩ so that smaller is closer.
    case ip
    /// Vectors are normalized on insert and on query; reported as 1 − cosine.
    case cosine
}

/// How an index stores its vectors. Queries, distances and the arithmetic stay 32-bit either way.
public enum VectorPrecision: String, Codable, Sendable, CaseIterable {
    /// Exactly as inserted.
    case float32
    /// IEEE half precision: half the bytes, so twice the vectors per page and per cache line, which
    /// is what a memory-bound search pays for. About three significant digits (integers up to 2048,
    /// as in SIFT's bytes, are exact); magnitudes above 65504 are refused at insert.
    case float16

    package var bytesPerComponent: Int { self == .float32 ? 4 : 2 }
}

/// A compressed copy of each vector that an index's searches walk the graph by, besides the
/// vector itself, which still gives every returned distance.
public enum VectorQuantization: String, Codable, Sendable, CaseIterable {
    /// Searches compare full vectors at every hop.
    case none
    /// One signed byte per component (a shared scale and per-component offsets learned from the
    /// first insert, and again while the index doubles up to 2,000 vectors); HNSW's default.
    /// Searches walk the graph by these codes, a quarter of float32's bytes, then re-rank their
    /// candidate list by the full vectors; inserts find candidates by them and choose neighbours
    /// by the vectors. Costs one byte per dimension per vector.
    case int8
}

/// HNSW's build parameters (hnswlib's `M` and `ef_construction`) and how searches traverse.
public struct HNSWConfig: Codable, Sendable, Equatable {
    /// Links per node on upper levels; level 0 keeps 2·M.
    public var M: Int = 16
    /// Candidate list size while inserting: larger builds a better graph, slower.
    public var efConstruction: Int = 200
    /// Codes that searches and inserts traverse by (neighbours are chosen by full vectors either way).
    public var quantization: VectorQuantization = .int8
    /// Whether each int8 record starts on a 64-byte cache line, with its codes and vector on lines
    /// of their own (HNSW format 3, see HNSWLayout): a hop then reads a code's two lines at
    /// 128 dimensions, not three every other record. Set at create for int8 indexes (`resolved`);
    /// nil in catalogs written before it existed, whose files keep the 16-byte layout (format 2).
    package var alignedRecords: Bool?
    /// hnswlib's M and efConstruction, and int8 codes: they cost a byte per dimension and give the
    /// same recall with faster searches and builds on every set measured (BENCHMARKS.md).
    public init(M: Int = 16, efConstruction: Int = 200, quantization: VectorQuantization = .int8) {
        self.M = M
        self.efConstruction = efConstruction
        self.quantization = quantization
    }

    /// Catalogs written before `quantization` existed hold unquantized indexes.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        M = try c.decode(Int.self, forKey: .M)
        efConstruction = try c.decode(Int.self, forKey: .efConstruction)
        quantization = try c.decodeIfPresent(VectorQuantization.self, forKey: .quantization) ?? .none
        alignedRecords = try c.decodeIfPresent(Bool.self, forKey: .alignedRecords)
    }
}

/// DiskANN (Vamana) build parameters.
public struct DiskANNConfig: Codable, Sendable, Equatable {
    /// Maximum out-degree.
    public var R: Int = 64
    /// Candidate list size while building.
    public var L: Int = 100
    /// Pruning slack (> 1 keeps longer edges).
    public var alpha: Double = 1.2
    /// Bytes of each vector's PQ code, which steers searches and inserts (0: none, every distance exact); nil
    /// takes `defaultPQBytes` (see `resolvedPQBytes`).
    public var pqBytes: Int?
    /// Links a record has room for beyond R (at least; the layout adds the padding before the
    /// vector), which back-links fill during an insert before the list is pruned back to R
    /// (DiskANN's build slack; the insert ends with every list at most R).
    /// Set at create (`defaultSpareLinks`); nil in catalogs written before it existed, whose files
    /// have no such room (DiskANN format 2, see DiskANNLayout.formatVersion).
    package var spareLinks: Int?
    /// DiskANN's usual defaults.
    public init(R: Int = 64, L: Int = 100, alpha: Double = 1.2, pqBytes: Int? = nil) {
        self.R = R
        self.L = L
        self.alpha = alpha
        self.pqBytes = pqBytes
    }

    /// One byte per four dimensions, DiskANN's usual ratio (32 bytes for 128 floats: 1/16 the size).
    package static func defaultPQBytes(dimensions: Int) -> Int { max(1, dimensions / 4) }

    package func resolvedPQBytes(dimensions: Int) -> Int { pqBytes ?? DiskANNConfig.defaultPQBytes(dimensions: dimensions) }

    /// 0.3·R, DiskANN's graph slack factor (1.3): a full list then takes about 0.3·R back-links
    /// per RobustPrune instead of one, which is most of an insert's work when the graph is dense
    /// (BENCHMARKS.md, "DiskANN build"), for 4·0.3·R bytes more per record before line alignment.
    package static func defaultSpareLinks(R: Int) -> Int { (3 * R + 9) / 10 }
}

/// An index's parameters, fixed at create (fields can be added later with the CLI's `alter`).
public struct IndexConfig: Codable, Sendable, Equatable {
    /// The length of every vector, 1…65,536.
    public var dimensions: Int
    /// How many vectors the index can hold; its file's address range is reserved for this many.
    public var maxElements: Int
    public var metric: Metric
    /// How the vectors are stored in the pages (queries are float32 either way).
    public var precision: VectorPrecision
    /// HNSW's parameters (defaults when nil and the type is HNSW).
    public var hnsw: HNSWConfig?
    /// DiskANN's parameters (defaults when nil and the type is DiskANN).
    public var diskann: DiskANNConfig?
    /// The documents' fields; empty for an index of vectors alone, which has no document file.
    public var schema: Schema
    /// Bytes reserved for the document file (documents and secondary indexes); nil takes
    /// `defaultDocumentBytes`. Fixed at create, like the graph's capacity.
    public var documentBytes: Int?
    /// An HNSW index keeps its vectors' labels in its document file (HNSW records have no room for
    /// them); set by the first insert that brings labels.
    package var labelsInDocuments: Bool
    /// How the full-text index turns text into terms; fixed at create, since the stored terms
    /// depend on it.
    public var analyzer: Analyzer

    /// Parameters other than `dimensions` and `maxElements` have the CLI's defaults.
    public init(dimensions: Int, maxElements: Int, metric: Metric = .l2, precision: VectorPrecision = .float32,
                hnsw: HNSWConfig? = nil, diskann: DiskANNConfig? = nil, schema: Schema = Schema(),
                documentBytes: Int? = nil, analyzer: Analyzer = .standard) {
        self.dimensions = dimensions
        self.maxElements = maxElements
        self.metric = metric
        self.precision = precision
        self.hnsw = hnsw
        self.diskann = diskann
        self.schema = schema
        self.documentBytes = documentBytes
        self.analyzer = analyzer
        labelsInDocuments = false
    }

    /// Whether the index has a document file: it has fields, or keeps labels there.
    package var hasDocumentFile: Bool { !schema.isEmpty || labelsInDocuments }

    /// 4 KiB a document (a passage of text with its metadata), at least 64 MiB.
    package static func defaultDocumentBytes(maxElements: Int) -> Int { max(64 << 20, maxElements.multipliedReportingOverflow(by: 4096).partialValue) }

    package var resolvedDocumentBytes: Int { documentBytes ?? IndexConfig.defaultDocumentBytes(maxElements: maxElements) }

    /// Catalogs written before `precision` existed hold float32 indexes: a missing key means that.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        dimensions = try c.decode(Int.self, forKey: .dimensions)
        maxElements = try c.decode(Int.self, forKey: .maxElements)
        metric = try c.decode(Metric.self, forKey: .metric)
        precision = try c.decodeIfPresent(VectorPrecision.self, forKey: .precision) ?? .float32
        hnsw = try c.decodeIfPresent(HNSWConfig.self, forKey: .hnsw)
        diskann = try c.decodeIfPresent(DiskANNConfig.self, forKey: .diskann)
        schema = try c.decodeIfPresent(Schema.self, forKey: .schema) ?? Schema()
        documentBytes = try c.decodeIfPresent(Int.self, forKey: .documentBytes)
        labelsInDocuments = try c.decodeIfPresent(Bool.self, forKey: .labelsInDocuments) ?? false
        analyzer = try c.decodeIfPresent(Analyzer.self, forKey: .analyzer) ?? .standard
    }

    package static let maxDimensions = 65_536
    package static let maxCapacity = 1 << 31
    /// The most an index's file may grow to. The buffer pool reserves each open file's whole range
    /// of addresses, and a process has 128 TiB of them (x86-64, 4-level page tables): 16 TiB leaves
    /// room for several such indexes open at once (`list` and `check` open every one).
    package static let maxFileBytes = 1 << 44

    /// Refuses parameters out of range, naming the parameter as this type does (`dimensions`,
    /// `hnsw.M`); a front end names its own option for it (the CLI: `--dim`, `--M`).
    func validate() throws {
        if let problem = problems().first {
            throw CalibyError.invalidParameter(name: problem.field, requirement: problem.requirement, value: problem.value)
        }
    }

    /// Every parameter out of range. One list serves `create` (a usage error) and the catalog
    /// (damage naming the field), so the two can never disagree on what is valid.
    func problems() -> [ConfigProblem] {
        var found: [ConfigProblem] = []
        func require(_ ok: Bool, _ field: String, _ value: Any, _ requirement: String) {
            if !ok { found.append(ConfigProblem(field: field, value: "\(value)", requirement: requirement)) }
        }
        func range(_ value: Int, _ bounds: ClosedRange<Int>, _ field: String) {
            require(bounds.contains(value), field, value, "between \(bounds.lowerBound) and \(bounds.upperBound)")
        }
        range(dimensions, 1...IndexConfig.maxDimensions, "dimensions")
        range(maxElements, 1...IndexConfig.maxCapacity, "maxElements")
        if let documentBytes {
            require(documentBytes >= 1 << 20 && documentBytes <= IndexConfig.maxFileBytes, "documentBytes", documentBytes,
                    "between 1 MiB and \(ByteCount.text(IndexConfig.maxFileBytes))")
        }
        do { try schema.validate() } catch let error as CalibyError {
            found.append(ConfigProblem(field: "schema", value: schema.fields.map(\.spec).joined(separator: ","), requirement: "valid: \(error)"))
        } catch {}
        if let hnsw {
            range(hnsw.M, 2...512, "hnsw.M")
            range(hnsw.efConstruction, 1...100_000, "hnsw.efConstruction")
            if hnsw.alignedRecords == true {
                require(hnsw.quantization == .int8, "hnsw.alignedRecords", true, "false unless hnsw.quantization is int8")
            }
        }
        if diskann != nil && labelsInDocuments { found.append(ConfigProblem(field: "labelsInDocuments", value: "true", requirement: "false for a diskann index")) }
        if let diskann {
            require(precision == .float32, "precision", precision.rawValue, "float32 for a diskann index")
            range(diskann.R, 2...1024, "diskann.R")
            range(diskann.L, 1...100_000, "diskann.L")
            require((1...4).contains(diskann.alpha), "diskann.alpha", diskann.alpha, "between 1 and 4")
            if let pqBytes = diskann.pqBytes {
                // Compared, not `0...dimensions`: a damaged catalog's dimensions may be negative.
                require(pqBytes >= 0 && pqBytes <= dimensions, "diskann.pqBytes", pqBytes,
                        "between 0 and the dimensions (\(dimensions))")
            }
            if let spareLinks = diskann.spareLinks {
                require(spareLinks >= 0 && spareLinks <= diskann.R, "diskann.spareLinks", spareLinks, "between 0 and R (\(diskann.R))")
            }
        }
        return found
    }
}

/// A parameter out of range, named as the catalog field (the IndexConfig property path).
struct ConfigProblem: Equatable {
    let field: String
    let value: String
    /// What the value must be, e.g. "between 1 and 65536".
    let requirement: String

    var catalogMessage: String { "\(field) = \(value), must be \(requirement)" }
}

/// One catalog entry. `pageSize` and `capacityPages` let the catalog open the file without knowing
/// the index type's layout.
public struct IndexInfo: Codable, Sendable, Equatable {
    package var id: UInt32
    /// Unique in its directory: letters, digits, `_`, `-` and `.`, at most 64 bytes.
    public package(set) var name: String
    public package(set) var type: IndexType
    /// The parameters it was created with (and the fields added since).
    public package(set) var config: IndexConfig
    package var pageSize: Int
    package var capacityPages: Int
    /// Seconds since the Unix epoch.
    public package(set) var createdAt: Int64

    package var fileName: String { IndexInfo.fileName(id: id) }
    /// The file of the index's documents, when it has fields.
    package var documentFileName: String? { config.hasDocumentFile ? IndexInfo.fileName(id: documentFileID) : nil }
    /// The journal names files by id: an index's document file is its id with this bit set (index
    /// ids stay below it).
    static let documentFileBit: UInt32 = 1 << 31
    var documentFileID: UInt32 { id | IndexInfo.documentFileBit }
    static func fileName(id: UInt32) -> String {
        id & documentFileBit == 0 ? "index_\(id).dat" : "index_\(id & ~documentFileBit).docs"
    }
}

package enum IndexName {
    package static let maxLength = 64

    /// Names become keys, never paths, but are still kept to a safe alphabet so they print, quote
    /// and complete cleanly in a shell.
    package static func validate(_ name: String) throws {
        if name.isEmpty { throw CalibyError.invalidName(name, reason: "empty") }
        if name.utf8.count > maxLength {
            throw CalibyError.invalidName(name, reason: "longer than \(maxLength) characters")
        }
        if name == "." || name == ".." { throw CalibyError.invalidName(name, reason: "reserved") }
        if name.hasPrefix("-") { throw CalibyError.invalidName(name, reason: "starts with '-'") }
        for scalar in name.unicodeScalars {
            let ok = (scalar >= "a" && scalar <= "z") || (scalar >= "A" && scalar <= "Z")
                || (scalar >= "0" && scalar <= "9") || scalar == "_" || scalar == "-" || scalar == "."
            if !ok {
                let shown = scalar.value < 32 ? String(format: scalar.value) : "'\(scalar)'"
                throw CalibyError.invalidName(name, reason: "character \(shown) not allowed (use letters, digits, _ - .)")
            }
        }
    }

    private static func String(format value: UInt32) -> String { "U+" + Swift.String(value, radix: 16, uppercase: true) }
}

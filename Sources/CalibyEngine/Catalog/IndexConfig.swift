/// What the catalog records about each index. Values are fixed at create.

public enum IndexType: String, Codable, Sendable, CaseIterable {
    case hnsw, diskann
}

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

    public var bytesPerComponent: Int { self == .float32 ? 4 : 2 }
}

public struct HNSWConfig: Codable, Sendable, Equatable {
    /// Links per node on upper levels; level 0 keeps 2·M.
    public var M: Int = 16
    public var efConstruction: Int = 200
    public init(M: Int = 16, efConstruction: Int = 200) {
        self.M = M
        self.efConstruction = efConstruction
    }
}

public struct DiskANNConfig: Codable, Sendable, Equatable {
    /// Maximum out-degree.
    public var R: Int = 64
    /// Candidate list size while building.
    public var L: Int = 100
    /// Pruning slack (> 1 keeps longer edges).
    public var alpha: Double = 1.2
    /// Bytes of each vector's PQ code, which steers searches (0: none, every distance exact); nil
    /// takes `defaultPQBytes` (see `resolvedPQBytes`).
    public var pqBytes: Int?
    public init(R: Int = 64, L: Int = 100, alpha: Double = 1.2, pqBytes: Int? = nil) {
        self.R = R
        self.L = L
        self.alpha = alpha
        self.pqBytes = pqBytes
    }

    /// One byte per four dimensions, DiskANN's usual ratio (32 bytes for 128 floats: 1/16 the size).
    public static func defaultPQBytes(dimensions: Int) -> Int { max(1, dimensions / 4) }

    public func resolvedPQBytes(dimensions: Int) -> Int { pqBytes ?? DiskANNConfig.defaultPQBytes(dimensions: dimensions) }
}

public struct IndexConfig: Codable, Sendable, Equatable {
    public var dimensions: Int
    public var maxElements: Int
    public var metric: Metric
    public var precision: VectorPrecision
    public var hnsw: HNSWConfig?
    public var diskann: DiskANNConfig?

    public init(dimensions: Int, maxElements: Int, metric: Metric = .l2, precision: VectorPrecision = .float32,
                hnsw: HNSWConfig? = nil, diskann: DiskANNConfig? = nil) {
        self.dimensions = dimensions
        self.maxElements = maxElements
        self.metric = metric
        self.precision = precision
        self.hnsw = hnsw
        self.diskann = diskann
    }

    /// Catalogs written before `precision` existed hold float32 indexes: a missing key means that.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        dimensions = try c.decode(Int.self, forKey: .dimensions)
        maxElements = try c.decode(Int.self, forKey: .maxElements)
        metric = try c.decode(Metric.self, forKey: .metric)
        precision = try c.decodeIfPresent(VectorPrecision.self, forKey: .precision) ?? .float32
        hnsw = try c.decodeIfPresent(HNSWConfig.self, forKey: .hnsw)
        diskann = try c.decodeIfPresent(DiskANNConfig.self, forKey: .diskann)
    }

    public static let maxDimensions = 65_536
    public static let maxCapacity = 1 << 31
    /// The most an index's file may grow to. The buffer pool reserves each open file's whole range
    /// of addresses, and a process has 128 TiB of them (x86-64, 4-level page tables): 16 TiB leaves
    /// room for several such indexes open at once (`list` and `check` open every one).
    public static let maxFileBytes = 1 << 44

    func validate() throws {
        guard (1...IndexConfig.maxDimensions).contains(dimensions) else {
            throw CalibyError.invalidArgument("--dim must be between 1 and \(IndexConfig.maxDimensions), got \(dimensions)")
        }
        guard (1...IndexConfig.maxCapacity).contains(maxElements) else {
            throw CalibyError.invalidArgument("--max-elements must be between 1 and \(IndexConfig.maxCapacity), got \(maxElements)")
        }
        if let hnsw {
            guard (2...512).contains(hnsw.M) else { throw CalibyError.invalidArgument("--M must be between 2 and 512, got \(hnsw.M)") }
            guard (1...100_000).contains(hnsw.efConstruction) else {
                throw CalibyError.invalidArgument("--ef-construction must be between 1 and 100000, got \(hnsw.efConstruction)")
            }
        }
        if let diskann {
            guard precision == .float32 else {
                throw CalibyError.invalidArgument("--precision \(precision.rawValue) is available for hnsw indexes only")
            }
            guard (2...1024).contains(diskann.R) else { throw CalibyError.invalidArgument("--R must be between 2 and 1024, got \(diskann.R)") }
            guard (1...100_000).contains(diskann.L) else { throw CalibyError.invalidArgument("--L must be between 1 and 100000, got \(diskann.L)") }
            guard diskann.alpha >= 1, diskann.alpha <= 4 else {
                throw CalibyError.invalidArgument("--alpha must be between 1 and 4, got \(diskann.alpha)")
            }
            if let pqBytes = diskann.pqBytes, !(0...dimensions).contains(pqBytes) {
                throw CalibyError.invalidArgument("--pq-bytes must be between 0 and the dimensions (\(dimensions)), got \(pqBytes)")
            }
        }
    }
}

/// One catalog entry. `pageSize` and `capacityPages` let the catalog open the file without knowing
/// the index type's layout.
public struct IndexInfo: Codable, Sendable, Equatable {
    public var id: UInt32
    public var name: String
    public var type: IndexType
    public var config: IndexConfig
    public var pageSize: Int
    public var capacityPages: Int
    /// Seconds since the Unix epoch.
    public var createdAt: Int64

    public var fileName: String { IndexInfo.fileName(id: id) }
    static func fileName(id: UInt32) -> String { "index_\(id).dat" }
}

public enum IndexName {
    public static let maxLength = 64

    /// Names become keys, never paths, but are still kept to a safe alphabet so they print, quote
    /// and complete cleanly in a shell.
    public static func validate(_ name: String) throws {
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

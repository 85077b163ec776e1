import ArgumentParser
import CalibyEngine

extension IndexType: ExpressibleByArgument {}
extension Metric: ExpressibleByArgument {}
extension VectorPrecision: ExpressibleByArgument {}
extension VectorQuantization: ExpressibleByArgument {}
extension SearchDistances: ExpressibleByArgument {}
extension Analyzer: ExpressibleByArgument {}

struct CreateCommand: DatabaseCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Create a named index with fixed dimensions and capacity, and the fields of its documents.",
        discussion: """
            With --field (or --schema), every vector carries a document of typed fields, stored in \
            the index's document file beside the graph: insert reads them from JSON lines or CSV \
            with a header, search --where filters by them and --fields prints them, get and update \
            read and change them. Fields can be added later (caliby alter), never changed or removed. \
            Types: int (64-bit), float (64-bit), bool, string (at most \(ByteCount.text(Schema.maxStringBytes))), \
            text (at most \(ByteCount.text(Schema.maxTextBytes))), int[] and string[] (at most \
            \(Schema.maxArrayElements) elements). Text fields are full-text indexed for search --text \
            (name:text:noindex opts out), with the --analyzer chosen here.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Index name: letters, digits, '_', '-', '.'; at most 64 characters.")
    var name: String

    @Option(name: .long, help: "Index type.")
    var type: IndexType = .hnsw

    // Numbers are read `.unconditional`ly, so that "-1" is a value to refuse with the option's range
    // rather than taken for an option (and "Missing value" reported).
    @Option(name: .long, parsing: .unconditional, help: "Vector dimensions, 1 to \(IndexConfig.maxDimensions).")
    var dim: Int

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp(
        "Capacity: the most vectors the index will ever hold, 1 to \(IndexConfig.maxCapacity).",
        discussion: """
            The index's file may grow to at most \(ByteCount.text(IndexConfig.maxFileBytes)). Its id map (and a DiskANN \
            index's PQ codes) is written empty at once, so create refuses a capacity whose empty tables \
            do not fit the free space of the directory's file system.
            """))
    var maxElements: Int

    @Option(name: .long, help: "Distance: l2 (squared Euclidean), ip (1 - inner product), cosine (1 - cosine).")
    var metric: Metric = .l2

    @Option(name: .long, help: ArgumentHelp(
        "How vectors are stored: float32 (as given) or float16 (half the size; refuses magnitudes above 65504). HNSW only.",
        valueName: "precision"))
    var precision: VectorPrecision = .float32

    // Each type's options are optional so that one given for the other type is refused, not ignored.
    @Option(name: .customLong("M"), parsing: .unconditional, help: "HNSW: links per node; level 0 keeps 2*M (default: \(HNSWConfig().M)).")
    var M: Int?

    @Option(name: .long, parsing: .unconditional, help: "HNSW: candidate list size while building (default: \(HNSWConfig().efConstruction)).")
    var efConstruction: Int?

    @Option(name: .long, help: ArgumentHelp("""
        HNSW: int8 keeps one byte per dimension beside each vector, which searches and inserts walk \
        the graph by before ranking by the vectors (faster searches and builds, same recall); none \
        keeps only the vectors (default: int8).
        """, valueName: "none|int8"))
    var quantization: VectorQuantization?

    @Option(name: .customLong("R"), parsing: .unconditional, help: "DiskANN: maximum out-degree (default: \(DiskANNConfig().R)).")
    var R: Int?

    @Option(name: .customLong("L"), parsing: .unconditional, help: "DiskANN: candidate list size while building (default: \(DiskANNConfig().L)).")
    var L: Int?

    @Option(name: .long, parsing: .unconditional, help: "DiskANN: pruning slack, at least 1 (default: \(DiskANNConfig().alpha)).")
    var alpha: Double?

    @Option(name: .long, parsing: .unconditional, help: """
        DiskANN: bytes of each vector's PQ code, which steers searches that do not fit in memory \
        and every insert once trained (0: no codes, every distance exact; default: one per four \
        dimensions).
        """)
    var pqBytes: Int?

    @OptionGroup var fields: FieldOptions

    var access: AccessMode { .readWrite }

    /// The option that sets each IndexConfig parameter, for the engine's range errors: a library
    /// user reads "dimensions must be ...", a command-line user "--dim must be ...".
    private static let options = [
        "dimensions": "--dim", "maxElements": "--max-elements", "precision": "--precision", "hnsw.M": "--M",
        "hnsw.efConstruction": "--ef-construction", "diskann.R": "--R", "diskann.L": "--L", "diskann.alpha": "--alpha",
        "diskann.pqBytes": "--pq-bytes", "documentBytes": "--document-space",
    ]

    static func option(setting parameter: String) -> String { options[parameter] ?? parameter }

    func validate() throws {
        let foreign: [(String, Bool)] = type == .hnsw
            ? [("--R", R != nil), ("--L", L != nil), ("--alpha", alpha != nil), ("--pq-bytes", pqBytes != nil)]
            : [("--M", M != nil), ("--ef-construction", efConstruction != nil), ("--quantization", quantization != nil)]
        if let (option, _) = foreign.first(where: \.1) {
            throw ValidationError("\(option) is not an option of \(type.rawValue) indexes")
        }
        if fields.fieldSpecs.isEmpty && fields.schema == nil {
            if fields.documentSpace != nil { throw ValidationError("--document-space is for an index with fields (--field or --schema)") }
            if !fields.indexedFields.isEmpty { throw ValidationError("--index-field needs fields (--field or --schema)") }
            if fields.analyzer != nil { throw ValidationError("--analyzer is for an index with text fields (--field body:text)") }
        }
    }

    func execute(in session: Session) throws {
        var hnsw = HNSWConfig(), diskann = DiskANNConfig(pqBytes: pqBytes)
        if let M { hnsw.M = M }
        if let efConstruction { hnsw.efConstruction = efConstruction }
        if let quantization { hnsw.quantization = quantization }
        if let R { diskann.R = R }
        if let L { diskann.L = L }
        if let alpha { diskann.alpha = alpha }
        let config = IndexConfig(dimensions: dim, maxElements: maxElements, metric: metric, precision: precision,
                                 hnsw: hnsw, diskann: diskann, schema: try fields.resolvedSchema(),
                                 documentBytes: try fields.documentBytes(), analyzer: fields.analyzer ?? .standard)
        _ = try session.database.createCollection(name: name, type: type, config: config)
    }
}

import ArgumentParser
import CalibyEngine

extension IndexType: ExpressibleByArgument {}
extension Metric: ExpressibleByArgument {}
extension VectorPrecision: ExpressibleByArgument {}
extension SearchDistances: ExpressibleByArgument {}

struct CreateCommand: DatabaseCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Create a named index with fixed dimensions and capacity.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Index name: letters, digits, '_', '-', '.'; at most 64 characters.")
    var name: String

    @Option(name: .long, help: "Index type.")
    var type: IndexType = .hnsw

    @Option(name: .long, help: "Vector dimensions.")
    var dim: Int

    @Option(name: .long, help: "Capacity: the most vectors the index will ever hold.")
    var maxElements: Int

    @Option(name: .long, help: "Distance: l2 (squared Euclidean), ip (1 − inner product), cosine (1 − cosine).")
    var metric: Metric = .l2

    @Option(name: .long, help: ArgumentHelp(
        "How vectors are stored: float32 (as given) or float16 (half the size; refuses values beyond ±65504). HNSW only.",
        valueName: "precision"))
    var precision: VectorPrecision = .float32

    @Option(name: .customLong("M"), help: "HNSW: links per node (level 0 keeps 2·M).")
    var M: Int = 16

    @Option(name: .long, help: "HNSW: candidate list size while building.")
    var efConstruction: Int = 200

    @Option(name: .customLong("R"), help: "DiskANN: maximum out-degree.")
    var R: Int = 64

    @Option(name: .customLong("L"), help: "DiskANN: candidate list size while building.")
    var L: Int = 100

    @Option(name: .long, help: "DiskANN: pruning slack (≥ 1).")
    var alpha: Double = 1.2

    @Option(name: .long, help: """
        DiskANN: bytes of each vector's PQ code, which steers searches that do not fit in memory \
        (0: no codes; default: one per four dimensions).
        """)
    var pqBytes: Int?

    var access: AccessMode { .readWrite }

    func execute(in session: Session) throws {
        let config = IndexConfig(dimensions: dim, maxElements: maxElements, metric: metric, precision: precision,
                                 hnsw: type == .hnsw ? HNSWConfig(M: M, efConstruction: efConstruction) : nil,
                                 diskann: type == .diskann ? DiskANNConfig(R: R, L: L, alpha: alpha, pqBytes: pqBytes) : nil)
        _ = try session.database.createIndex(name: name, type: type, config: config)
    }
}

import CalibyEngine
import Glibc

// The lifecycle of a data directory, step by step: configure the buffer pool, open the directory,
// create or reopen an index through the catalog, insert, search, commit, close.
let directory = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "caliby-data"

do {
    // 1. The buffer pool: how much memory cached pages may take. Before anything else.
    try Caliby.setBufferConfig(sizeBytes: 256 << 20)

    // 2. Open the data directory, making it on the first run. The directory is locked until close.
    let database = try Caliby.open(directory, create: true)

    // 3. The catalog: what earlier runs created is there again.
    for info in database.listIndexes() {
        print("found index \(info.name): \(info.config.dimensions) dimensions, \(info.type.rawValue)")
    }
    let index: VectorIndex
    if database.listIndexes().contains(where: { $0.name == "my_index" }) {
        index = try database.openIndex("my_index")
    } else {
        let config = IndexConfig(dimensions: 128, maxElements: 10_000, metric: .l2,
                                 hnsw: HNSWConfig(M: 16, efConstruction: 200))
        index = try database.createIndex("my_index", type: .hnsw, config: config)
    }

    // 4. Insert a batch: vectors with their ids. Every vector's length is checked first.
    let start = try index.count
    func vector(_ i: Int) -> [Float] {
        (0..<128).map { (j: Int) -> Float in Float((i * 7919 + j * 104_729) % 10_007) / 10_007 }
    }
    let vectors = (start..<start + 1000).map(vector)
    try index.insert(vectors, ids: (start..<start + 1000).map { UInt64($0) })

    // 5. Search: the k nearest, closest first. `ef` trades speed for recall.
    let hits = try index.search(vectors[7], k: 3, ef: 64)
    print("nearest to \(start + 7): \(hits.map { "\($0.id)" }.joined(separator: ", "))")

    // 6. Commit, then close. close() refuses while changes are pending, so nothing is lost silently.
    try database.flush()
    try database.close()
    print("\(directory): my_index holds \(start + 1000) vectors")

    // A temporary index lives in memory only and needs no directory.
    let scratch = try VectorIndex.temporary(type: .diskann, config: IndexConfig(dimensions: 3, maxElements: 100))
    try scratch.insert([1, 0, 0], id: 1)
    try scratch.insert([0, 1, 0], id: 2)
    print("temporary: nearest to [0.9, 0.1, 0] is \(try scratch.search([0.9, 0.1, 0], k: 1)[0].id)")
} catch let error as CalibyError {
    // Typed errors: `.locked` when another process has the directory, `.dimensionMismatch`, ...
    print("caliby: \(error)")
    exit(1)
}

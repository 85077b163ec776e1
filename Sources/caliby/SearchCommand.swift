import ArgumentParser
import CalibyEngine
import Dispatch
import Glibc

struct SearchCommand: DatabaseCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Find the k nearest vectors to each query, the best matches of a full-text query, or both fused.",
        discussion: """
            Queries come from --vector, --file, or standard input. Output has one row per hit: \
            query (0-based, counting records: a header and blank lines are not queries), rank \
            (1-based), id, distance; closest first. With --groundtruth the output \
            is instead one row: k, queries, recall, qps, threads, and ef (HNSW) or L (DiskANN).

            --text (or --text-file) searches the full-text index of the text fields instead, ranked \
            by BM25 (k1 = 1.2, b = 0.75): rows query, rank, id, score. Given with --vector or --file \
            too, both searches run and --hybrid fuses them (default rrf): rows query, rank, id, \
            score (fused), distance, vector_rank, text_score, text_rank (empty or null where a \
            document is not in that side's best max(k, \(HybridFusion.candidates(k: 0)))). See FULL-TEXT SEARCH in caliby-search(1).
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Index name.", completion: .indexName)
    var name: String

    // Read `.unconditional`ly, as every number option: a query may well start with "-0.3".
    @Option(name: .long, parsing: .unconditional, help: "One query: values separated by commas or spaces.")
    var vector: String?

    @Option(name: .long, help: "A file of queries (.fvecs, .bvecs, .csv, .tsv, .jsonl); - for standard input.",
            completion: .vectorFile)
    var file: String?

    @OptionGroup var input: VectorInputOptions

    @Option(name: .short, parsing: .unconditional, help: "Neighbours per query.")
    var k: Int = SearchParameters().k

    // The options of one index type are optional, without a default, so that a search can tell
    // one given for the other type (refused: it would do nothing) from one left out.
    @Option(name: .long, parsing: .unconditional,
            help: "HNSW: candidate list size (default: \(SearchParameters().ef); raised to k when smaller).")
    var ef: Int?

    @Option(name: .customLong("L"), parsing: .unconditional,
            help: "DiskANN: candidate list size (default: \(SearchParameters().searchL); raised to k when smaller).")
    var L: Int?

    @Option(name: .long, parsing: .unconditional, help: """
        DiskANN: closest candidates expanded together in each step of the search (default: \(SearchParameters().beamWidth)).
        """)
    var beamWidth: Int?

    @Option(name: .long, help: ArgumentHelp(
        "A full-text query: words (any may match), \"a phrase\", +required, -excluded.", valueName: "query"))
    var text: String?

    @Option(name: .customLong("text-file"), help: ArgumentHelp("A file of full-text queries, one per line (blank lines skipped); - for standard input.",
                                                                valueName: "file"), completion: .file())
    var textFile: String?

    @Option(name: .long, help: ArgumentHelp(
        "How --text and a vector query are fused: rrf (reciprocal rank fusion, k = 60; the default) or a vector weight from 0 to 1 (0.7: 0.7 vector + 0.3 text, each min-max normalized).",
        valueName: "rrf|weight"))
    var hybrid: String?

    @Option(name: .long, parsing: .unconditional, help: "Only vectors carrying this label (0 to \(UInt32.max)); the same as --where \"labels CONTAINS n\".")
    var filter: Int64?

    @OptionGroup var documents: DocumentQueryOptions

    @Option(name: .long, help: """
        DiskANN: what ranks the candidates: pq (compressed codes; reads the vectors only of the points \
        it expands, needs a longer --L), exact (reads every vector it meets), auto (pq when the index \
        is larger than --buffer-size, else exact; the default).
        """)
    var distances: SearchDistances?

    @Option(name: .long, parsing: .unconditional, help: "Search threads for a batch of queries.")
    var threads: Int = 1

    @Option(name: .long, help: "Output format (default: table on a terminal, tsv otherwise).")
    var format: OutputFormat?

    @Option(name: .long, help: "A .ivecs file of true neighbours: print recall@k and QPS instead of the hits.",
            completion: .file(extensions: ["ivecs"]))
    var groundtruth: String?

    @Flag(name: .long, help: ArgumentHelp(
        "Load the index into memory, then run the queries once, untimed, before the timed run (steady-state QPS).",
        discussion: "The index is read in one sequential pass; when --buffer-size can hold all of it, in 2 MiB pages, which a steady state repays. Without --warmup, a batch that will touch most of an index the buffer holds maps its file from the OS page cache instead: no copy."))
    var warmup = false

    @OptionGroup var statistics: RunStatisticsOptions

    var access: AccessMode { .readOnly }

    func validate() throws {
        for (option, value) in [("-k", k), ("--ef", ef), ("--L", L), ("--beam-width", beamWidth), ("--threads", threads)] as [(String, Int?)] {
            try requireAtLeastOne(value, option)
        }
        if let filter, !(0...Int64(UInt32.max)).contains(filter) {
            throw ValidationError("--filter must be a label between 0 and \(UInt32.max), got \(filter)")
        }
        if vector != nil && file != nil { throw ValidationError("give --vector or --file, not both") }
        if filter != nil && documents.filter != nil {
            throw ValidationError("give --filter or --where, not both (--where \"labels CONTAINS n AND ...\" combines them)")
        }
        if vector != nil && input.header != .auto { throw ValidationError("--header applies to --file or standard input, not --vector") }
        if text != nil && textFile != nil { throw ValidationError("give --text or --text-file, not both") }
        if textFile == "-" && file == "-" { throw ValidationError("--text-file and --file cannot both read standard input") }
        let hasText = text != nil || textFile != nil
        if hybrid != nil && !(hasText && (vector != nil || file != nil)) {
            throw ValidationError("--hybrid fuses a full-text and a vector search: give --text and --vector (or --text-file and --file)")
        }
        if hasText && groundtruth != nil { throw ValidationError("--groundtruth measures vector search; it does not apply to --text") }
    }

    func execute(in session: Session) throws {
        let database = session.database
        var stats = try statistics.enabled ? RunStatistics(command: "search", index: name, session: session) : nil
        let collection = try database.collection(named: name)
        let index = collection.index
        try refuseOptionsOfTheOtherType(index.info.type)
        let fieldNames = try documents.fieldNames(for: collection)
        let filterStarted = monotonicSeconds()
        // A label is a filter like any other: DiskANN answers it from its records, HNSW from its documents.
        let filter = try self.filter.map { try Filter(parsing: "labels CONTAINS \($0)", schema: collection.schema) }
            ?? documents.parsedFilter(for: collection)
        let prepared = try filter.map(collection.prepare)
        let filterSeconds = monotonicSeconds() - filterStarted
        stats?.end("open")
        let filterNote = prepared?.matchCount.map {
            "--where matched \(counted($0, "vector")) of \(index.count) in \(String(format1: filterSeconds * 1000)) ms"
        }
        if text != nil || textFile != nil {
            let throughput = try executeText(collection, prepared, fieldNames: fieldNames, database: database, stats: &stats)
            let extra = statistics.format == .text ? [throughput] : []
            try stats?.write(statistics.format, extraLines: extra + (filterNote.map { [$0] } ?? []))
            return
        }
        let queries = try readQueries(dimensions: index.info.config.dimensions)
        stats?.end("queries")
        let parameters = searchParameters()
        Interrupt.install()
        if warmup {
            try database.preload(index)
            _ = try runQueries(collection, prepared, queries, parameters)
            stats?.end("warmup")
        }
        let started = monotonicSeconds()
        if !warmup { try database.preload(index, beforeSearching: queries.count, parameters: parameters) }
        let results = try runQueries(collection, prepared, queries, parameters)
        let elapsed = monotonicSeconds() - started
        stats?.end("search")
        if let groundtruth {
            let truth = try readIvecs(path: groundtruth)
            guard truth.count >= queries.count else {
                throw CalibyError.badInput(location: groundtruth, message: "has \(truth.count) rows for \(queries.count) queries")
            }
            if let short = truth.prefix(queries.count).firstIndex(where: { $0.count < k }) {
                throw CalibyError.badInput(location: "\(groundtruth): record \(short + 1)",
                                           message: "has \(truth[short].count) neighbours, fewer than -k \(k)")
            }
            var hits = 0
            for (found, expected) in zip(results, truth) {
                let wanted = Set(expected.prefix(k).map { UInt64(UInt32(bitPattern: $0)) })
                hits += found.filter { wanted.contains($0.id) }.count
            }
            let recall = Double(hits) / Double(queries.count * k)
            var table = Table(columns: ["k", "queries", "recall", "qps", "threads", index.info.type == .hnsw ? "ef" : "L"])
            table.rows = [[.int(k), .int(queries.count), .real(recall), .real((Double(queries.count) / elapsed).rounded()),
                           .int(threads), .int(parameters.listSize(index.info.type))]]
            Terminal.write(table.render(Terminal.format(format)))
        } else {
            var table = Table(columns: ["query", "rank", "id", "distance"] + fieldNames)
            for (q, hits) in results.enumerated() {
                let documents = fieldNames.isEmpty ? [] : try collection.documents(ids: hits.map(\.id), fields: fieldNames)
                for (rank, hit) in hits.enumerated() {
                    table.rows.append([.int(q), .int(rank + 1), .uint(hit.id), .real(Double(hit.distance))]
                                      + (fieldNames.isEmpty ? [] : collection.cells(documents[rank], fieldNames)))
                }
            }
            Terminal.write(table.render(Terminal.format(format)))
        }
        stats?.end("output")
        try stats?.write(statistics.format, extraLines: filterNote.map { [$0] } ?? [])
    }

    /// -k and the options of the index's type.
    func searchParameters() -> SearchParameters {
        var parameters = SearchParameters(k: k)
        if let ef { parameters.ef = ef }
        if let L { parameters.searchL = L }
        if let beamWidth { parameters.beamWidth = beamWidth }
        if let distances { parameters.distances = distances }
        return parameters
    }

    /// As `create` refuses them: an option of the other index type would be ignored, and the user
    /// would believe it applied.
    private func refuseOptionsOfTheOtherType(_ type: IndexType) throws {
        let foreign: [(option: String, given: Bool, instead: String?)] = type == .hnsw
            ? [("--L", L != nil, "--ef"), ("--beam-width", beamWidth != nil, nil), ("--distances", distances != nil, nil)]
            : [("--ef", ef != nil, "--L")]
        guard let option = foreign.first(where: \.given) else { return }
        let other = type == .hnsw ? IndexType.diskann : .hnsw
        throw CalibyError.invalidArgument("\(option.option) is for \(other.rawValue) indexes, and '\(name)' is \(type.rawValue)"
            + (option.instead.map { "; use \($0)" } ?? ""))
    }

    func readQueries(dimensions: Int) throws -> VectorBatch {
        var batch = VectorBatch(dimensions: dimensions)
        if let vector {
            batch.vectors = try parseVectorArgument(vector, dimensions: dimensions)
            batch.ids = [nil]
            batch.labels = [[]]
            return batch
        }
        if file == nil && isatty(0) == 1 {
            throw CalibyError.invalidArgument("give --vector or --file, or pipe queries on standard input")
        }
        let path = file ?? "-"
        let reader = try input.reader(path: path, format: input.format(of: path), dimensions: dimensions)
        var all = VectorBatch(dimensions: dimensions)
        while try reader.next(into: &batch, maxRecords: 65_536) {
            all.vectors += batch.vectors
            all.ids += batch.ids
            all.labels += batch.labels
        }
        if all.count == 0 { throw CalibyError.badInput(location: reader.displayName, message: "no queries") }
        return all
    }

    private func runQueries(_ collection: DocumentCollection, _ filter: DocumentCollection.PreparedFilter?, _ queries: VectorBatch,
                            _ parameters: SearchParameters) throws -> [[SearchHit]] {
        let n = queries.count, d = queries.dimensions
        var results = [[SearchHit]](repeating: [], count: n)
        try results.withUnsafeMutableBufferPointer { out in
            try queries.vectors.withUnsafeBufferPointer { v in
                try parallelFor(n, threads: threads) { _, q in
                    if Interrupt.isRequested { throw CalibyError.interrupted }
                    out[q] = try collection.search(v.baseAddress! + q * d, parameters: parameters, filter: filter)
                }
            }
        }
        return results
    }
}

/// Taken when the process starts running Swift code, for `search --stats`.
let processStart = monotonicSeconds()

import CalibyEngine

/// `search --text` and `search --text --vector --hybrid`: full-text queries, alone or fused with
/// vector queries, printed in the same table shapes as a vector search.
extension SearchCommand {
    func executeText(_ collection: DocumentCollection, _ filter: DocumentCollection.PreparedFilter?, fieldNames: [String], database: Database,
                     stats: inout RunStatistics?) throws -> String {
        let texts = try readTextQueries(collection)
        let hybridMethod = try hybrid.map(HybridMethod.init(parsing:)) ?? .rrf
        var vectors: VectorBatch?
        if vector != nil || file != nil {
            let batch = try readQueries(dimensions: collection.index.info.config.dimensions)
            guard texts.count == batch.count || texts.count == 1 else {
                throw CalibyError.invalidArgument("\(texts.count) text queries for \(batch.count) vector queries: give as many, or one for all")
            }
            vectors = batch
        }
        stats?.end("queries")
        let parameters = searchParameters()
        Interrupt.install()
        let count = vectors?.count ?? texts.count
        var textHits = [[TextHit]](repeating: [], count: vectors == nil ? count : 0)
        var hybridHits = [[HybridHit]](repeating: [], count: vectors == nil ? 0 : count)
        func run() throws {
            if let vectors {
                let d = vectors.dimensions
                try hybridHits.withUnsafeMutableBufferPointer { out in
                    try vectors.vectors.withUnsafeBufferPointer { v in
                        try parallelFor(count, threads: threads) { _, q in
                            if Interrupt.isRequested { throw CalibyError.interrupted }
                            out[q] = try collection.searchHybrid(v.baseAddress! + q * d, parameters: parameters, text: texts[texts.count == 1 ? 0 : q],
                                                                 method: hybridMethod, filter: filter)
                        }
                    }
                }
            } else {
                try textHits.withUnsafeMutableBufferPointer { out in
                    try parallelFor(count, threads: threads) { _, q in
                        if Interrupt.isRequested { throw CalibyError.interrupted }
                        out[q] = try collection.searchText(texts[q], k: k, filter: filter)
                    }
                }
            }
        }
        if warmup {
            if vectors != nil { try database.preload(collection.index) }
            try run()
            stats?.end("warmup")
        }
        let started = monotonicSeconds()
        try run()
        let elapsed = monotonicSeconds() - started
        stats?.end("search")
        var table: Table
        if vectors == nil {
            table = Table(columns: ["query", "rank", "id", "score"] + fieldNames)
            for (q, hits) in textHits.enumerated() {
                let documents = try documentsOf(hits.map(\.id), collection, fieldNames)
                for (rank, hit) in hits.enumerated() {
                    table.rows.append([.int(q), .int(rank + 1), .uint(hit.id), .real(hit.score)] + documents[rank])
                }
            }
        } else {
            table = Table(columns: ["query", "rank", "id", "score", "distance", "vector_rank", "text_score", "text_rank"] + fieldNames)
            for (q, hits) in hybridHits.enumerated() {
                let documents = try documentsOf(hits.map(\.id), collection, fieldNames)
                for (rank, hit) in hits.enumerated() {
                    table.rows.append([.int(q), .int(rank + 1), .uint(hit.id), .real(hit.score), hit.distance.map { .real(Double($0)) } ?? .null,
                                       hit.vectorRank.map { .int($0) } ?? .null, hit.textScore.map { .real($0) } ?? .null,
                                       hit.textRank.map { .int($0) } ?? .null] + documents[rank])
                }
            }
        }
        Terminal.write(table.render(Terminal.format(format)))
        stats?.end("output")
        return "text: \(count) queries in \(String(format1: elapsed * 1000)) ms "
            + "(\(Int((Double(count) / max(elapsed, 1e-9)).rounded())) queries/s), \(counted(threads, "thread"))"
    }

    /// The queries of --text or --text-file, parsed with the index's analyzer; a bad one names its line.
    private func readTextQueries(_ collection: DocumentCollection) throws -> [TextQuery] {
        if let text { return [try collection.textQuery(text)] }
        let path = textFile!
        var queries: [TextQuery] = []
        try forEachLine(of: path) { number, line in
            guard !line.isEmpty else { return }
            do {
                queries.append(try collection.textQuery(line))
            } catch let error as CalibyError where error.category == .usage {
                throw CalibyError.badInput(location: "\(path == "-" ? "<stdin>" : path):\(number)", message: error.description)
            }
        }
        if queries.isEmpty { throw CalibyError.badInput(location: path == "-" ? "<stdin>" : path, message: "no queries") }
        return queries
    }

    private func documentsOf(_ ids: [UInt64], _ collection: DocumentCollection, _ fieldNames: [String]) throws -> [[Cell]] {
        guard !fieldNames.isEmpty else { return ids.map { _ in [] } }
        return try collection.documents(ids: ids, fields: fieldNames).map { collection.cells($0, fieldNames) }
    }
}

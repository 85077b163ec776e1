/// Full-text and hybrid search over a collection: the text index answers in nodes; here they
/// become ids, filtered by `--where` like a vector search, and fused with a vector search.
extension DocumentCollection {
    /// Whether any text field is in the full-text index.
    package var hasTextIndex: Bool { store?.textIndex != nil }

    package var analyzer: Analyzer { info.config.analyzer }

    /// What `info` shows of the text index (nil: none). `terms` adds up the segments' dictionaries,
    /// so a term in two segments counts twice until they merge.
    package var textIndexSummary: (documents: Int, tokens: Int, segments: Int, terms: Int)? {
        guard let root = store?.textIndex?.root else { return nil }
        return (root.documents, root.tokens, root.segments.count, root.segments.reduce(0) { $0 + $1.termCount })
    }

    /// Parses a query with this collection's analyzer (so its terms are the index's terms).
    package func textQuery(_ text: String) throws -> TextQuery {
        _ = try textIndex()
        return try TextQuery(parsing: text, analyzer: analyzer)
    }

    private func textIndex() throws -> TextIndex {
        guard let index = store?.textIndex else {
            let text = schema.fields.filter { $0.type == .text }.map(\.name)
            throw CalibyError.invalidArgument("index '\(name)' has no full-text index"
                + (text.isEmpty ? " (it has no text fields)" : " (its text fields \(text.joined(separator: ", ")) are not indexed)"))
        }
        return index
    }

    /// The `k` best documents for `query` by BM25 among those `filter` lets through; ties by id.
    package func searchText(_ query: TextQuery, k: Int, filter: PreparedFilter? = nil) throws -> [TextHit] {
        let scored = try textIndex().search(query, k: k, allowed: try allowedNodes(filter))
        let hits = try scored.map { TextHit(id: try host.userID(of: $0.node), score: $0.score) }
        return Array(hits.sorted { $0.score != $1.score ? $0.score > $1.score : $0.id < $1.id }.prefix(k))
    }

    /// A vector search and a text search fused into one ranking (`HybridFusion`).
    package func searchHybrid(_ vector: UnsafePointer<Float>, parameters: SearchParameters, text query: TextQuery, method: HybridMethod,
                             filter: PreparedFilter? = nil) throws -> [HybridHit] {
        var wide = parameters
        wide.k = HybridFusion.candidates(k: parameters.k)
        let vectorHits = try search(vector, parameters: wide, filter: filter)
        let textHits = try searchText(query, k: wide.k, filter: filter)
        return HybridFusion.fuse(vector: vectorHits, text: textHits, method: method, k: parameters.k)
    }

    /// The nodes a prepared filter allows; on DiskANN's label path that set was never built.
    private func allowedNodes(_ filter: PreparedFilter?) throws -> NodeSet? {
        guard let filter else { return nil }
        if let nodes = filter.nodes { return nodes }
        let nodes = NodeSet(capacity: info.config.maxElements)
        try host.forEachLiveNode { if try carries($0, labels: [filter.label!]) { nodes.insert($0) } }
        return nodes
    }
}

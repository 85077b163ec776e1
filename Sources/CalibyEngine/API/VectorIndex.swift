/// One index of a data directory, or a temporary one: what a Swift program inserts into and searches.
///
/// Every call checks its arguments before it changes anything (the vector length against the
/// index's dimensions, ids against vectors and documents, `k` and the list sizes), and reports a
/// problem as a ``CalibyError``. A change that fails after that (a duplicate id, a full index, a
/// disk error) may have been applied in part, so the database then accepts only
/// ``Database/rollback()`` — the way PostgreSQL aborts a transaction.
///
/// The object finds its index by name on every call, so it stays valid across ``Database/rollback()``;
/// after ``Database/dropIndex(named:)`` it throws ``CalibyError/noSuchIndex(_:)``, after
/// ``Database/close()`` every call throws.
///
/// Searches may run from several threads at once while nothing changes the index.
public final class VectorIndex {
    /// The index's name in its directory ("temporary" for a temporary index).
    public let name: String
    private let backing: Backing

    private enum Backing {
        case database(Database)
        case temporary(GraphIndex)
    }

    init(name: String, database: Database) {
        self.name = name
        backing = .database(database)
    }

    private init(temporary graph: GraphIndex) {
        name = graph.info.name
        backing = .temporary(graph)
    }

    /// An index in memory with no data directory, for a program that builds, searches and throws
    /// away. It lives in the process's buffer pool over an unnamed scratch file, so it may still
    /// grow larger than the pool; nothing of it is kept. It has no documents: `config.schema` must
    /// be empty.
    public static func temporary(type: IndexType = .hnsw, config: IndexConfig) throws -> VectorIndex {
        VectorIndex(temporary: try TemporaryIndex.make(name: "temporary", type: type, config: config))
    }

    // MARK: What it is

    /// The catalog entry: type, dimensions, metric, capacity, fields.
    public var info: IndexInfo {
        get throws {
            switch backing {
            case .database(let database): return try collection(database).info
            case .temporary(let graph): return graph.info
            }
        }
    }

    /// Live (not deleted) vectors.
    public var count: Int {
        get throws { try graph().count }
    }

    // MARK: Changing

    /// Inserts one vector under `id`, with its document's fields by name (fields the document does
    /// not carry stay null). With `replace`, an existing id gets the new vector and document;
    /// without, an existing id is ``CalibyError/duplicateID(index:id:)``.
    @discardableResult
    public func insert(_ vector: some Collection<Float>, id: UInt64, document: [String: FieldValue] = [:],
                       replace: Bool = false) throws -> InsertSummary {
        try insert([vector], ids: [id], documents: document.isEmpty ? nil : [document], replace: replace)
    }

    /// Inserts a batch: `vectors[i]` under `ids[i]` with `documents?[i]`. The batch is checked whole
    /// before anything is inserted. `threads` builds the graph in parallel.
    @discardableResult
    public func insert<Vectors: Collection>(_ vectors: Vectors, ids: some Collection<UInt64>,
                                            documents: [[String: FieldValue]]? = nil, replace: Bool = false,
                                            threads: Int = 1) throws -> InsertSummary
    where Vectors.Element: Collection<Float> {
        let info = try self.info
        var batch = VectorBatch(dimensions: info.config.dimensions)
        guard vectors.count == ids.count else {
            throw CalibyError.countMismatch(expected: "\(vectors.count) vectors", actual: "\(ids.count) ids")
        }
        if let documents, documents.count != vectors.count {
            throw CalibyError.countMismatch(expected: "\(vectors.count) vectors", actual: "\(documents.count) documents")
        }
        guard threads >= 1 else { throw CalibyError.invalidParameter(name: "threads", requirement: "at least 1", value: "\(threads)") }
        batch.vectors.reserveCapacity(vectors.count * info.config.dimensions)
        for (record, vector) in vectors.enumerated() { try append(vector, to: &batch.vectors, record: record, info: info) }
        batch.ids = ids.map { $0 }
        try checkNew(batch.ids, replace: replace)
        if let documents {
            guard case .database(let database) = backing else { throw noDocuments() }
            batch.documents = try documents.map(document)
            // Types, required fields and sizes, by the engine's own rule, while nothing has changed.
            _ = try collection(database).checkedDocuments(batch)
        }
        let options = InsertOptions(replace: replace, threads: threads)
        return try change { database in
            if let database { return try collection(database).insert(batch, options: options) }
            return try graph().insert(batch, options: options)
        }
    }

    /// Deletes `ids` with their documents; they never appear in results again. Every id is
    /// checked first: an unknown one is ``CalibyError/noSuchID(index:id:)`` and changes nothing.
    /// Returns how many were deleted.
    @discardableResult
    public func delete(ids: [UInt64]) throws -> Int {
        let graph = try graph()
        let host = graph as! DocumentHost
        var seen = Set<UInt64>()
        let ids = ids.filter { seen.insert($0).inserted }
        for id in ids where try !host.isLive(id: id) { throw CalibyError.noSuchID(index: name, id: id) }
        return try change { database in
            if let database { return try collection(database).delete(ids: ids) }
            return try graph.delete(ids: ids)
        }
    }

    /// Sets fields of one document without touching its vector; a nil value removes the field's value.
    public func update(id: UInt64, set fields: [String: FieldValue?]) throws {
        guard case .database(let database) = backing else { throw noDocuments() }
        let collection = try collection(database)
        for name in fields.keys where collection.schema.position(of: name) == nil { throw collection.unknownField(name) }
        try change { _ in try collection.update(id: id, set: fields.map { ($0.key, $0.value) }) }
    }

    // MARK: Reading

    /// The `k` nearest live vectors to `query`, closest first, among those whose documents match
    /// `filter` (the filter language of `caliby search --where`, e.g. `price < 10 AND tag = 'a'`).
    ///
    /// - Parameters:
    ///   - query: as many values as the index has dimensions.
    ///   - k: how many results, at most.
    ///   - ef: HNSW's candidate list (default 64): larger finds more of the true neighbours, slower.
    ///   - searchL: DiskANN's candidate list (default 100), the same trade.
    ///   - filter: a condition on the documents; nil searches every vector.
    public func search(_ query: some Collection<Float>, k: Int = 10, ef: Int? = nil, searchL: Int? = nil,
                       filter: String? = nil) throws -> [SearchHit] {
        let (vector, parameters) = try checkedQuery(query, k: k, ef: ef, searchL: searchL)
        switch backing {
        case .database(let database):
            let collection = try collection(database)
            return try collection.search(vector, parameters: parameters, filter: prepared(filter, collection))
        case .temporary(let graph):
            guard filter == nil else { throw noDocuments() }
            return try graph.search(vector, parameters: parameters)
        }
    }

    /// The `k` best documents for a full-text query by BM25, best first, among those `filter`
    /// lets through. The query language is `caliby search --text`'s: words, `"phrases"`,
    /// `+required` and `-excluded` words.
    public func searchText(_ query: String, k: Int = 10, filter: String? = nil) throws -> [TextHit] {
        guard case .database(let database) = backing else { throw noDocuments() }
        guard k >= 1 else { throw CalibyError.invalidParameter(name: "k", requirement: "at least 1", value: "\(k)") }
        let collection = try collection(database)
        return try collection.searchText(collection.textQuery(query), k: k, filter: prepared(filter, collection))
    }

    /// A vector search and a full-text search fused into one ranking, best first: each side
    /// contributes its best max(k, 100) candidates, then `method` fuses them (RRF with k = 60, or
    /// a weighted sum of min-max normalized scores whose vector share is `vectorWeight`, 0…1).
    public func searchHybrid(_ query: some Collection<Float>, text: String, k: Int = 10, method: HybridMethod = .rrf,
                             ef: Int? = nil, searchL: Int? = nil, filter: String? = nil) throws -> [HybridHit] {
        guard case .database(let database) = backing else { throw noDocuments() }
        if case .weighted(let weight) = method, !(0...1).contains(weight) {
            throw CalibyError.invalidParameter(name: "vectorWeight", requirement: "from 0 to 1", value: "\(weight)")
        }
        let (vector, parameters) = try checkedQuery(query, k: k, ef: ef, searchL: searchL)
        let collection = try collection(database)
        return try collection.searchHybrid(vector, parameters: parameters, text: collection.textQuery(text), method: method,
                                           filter: prepared(filter, collection))
    }

    /// The documents of `ids`, in that order, as field name → value (fields a document does not
    /// carry are absent); `fields` limits which are read. An unknown id is ``CalibyError/noSuchID(index:id:)``.
    public func documents(ids: [UInt64], fields: [String]? = nil) throws -> [[String: FieldValue]] {
        guard case .database(let database) = backing else { throw noDocuments() }
        let collection = try collection(database)
        let names = collection.schema.fields.map(\.name)
        return try collection.documents(ids: ids, fields: fields).map { document in
            var byName: [String: FieldValue] = [:]
            for (position, value) in document.values.enumerated() where position < names.count {
                if let value { byName[names[position]] = value }
            }
            return byName
        }
    }

    // MARK: Plumbing

    private func prepared(_ filter: String?, _ collection: DocumentCollection) throws -> DocumentCollection.PreparedFilter? {
        try filter.map { try collection.prepare(Filter(parsing: $0, schema: collection.schema)) }
    }

    private func collection(_ database: Database) throws -> DocumentCollection {
        try database.requireOpen()
        return try database.collection(named: name)
    }

    private func graph() throws -> GraphIndex {
        switch backing {
        case .database(let database): return try collection(database).index
        case .temporary(let graph): return graph
        }
    }

    /// Runs a change whose arguments were checked; a failure now may have left part of it behind,
    /// so the transaction is marked for rollback (`Database.failedChange`).
    private func change<R>(_ body: (Database?) throws -> R) throws -> R {
        switch backing {
        case .temporary: return try body(nil)
        case .database(let database):
            try database.requireOpen()
            if let failed = database.failedChange { throw CalibyError.transactionAborted(cause: failed) }
            do {
                return try body(database)
            } catch {
                database.failedChange = "\(error)"
                throw error
            }
        }
    }

    /// Appends `vector`'s components after checking its length and that every one is finite.
    private func append(_ vector: some Collection<Float>, to flat: inout [Float], record: Int?, info: IndexInfo) throws {
        let dimensions = info.config.dimensions
        guard vector.count == dimensions else {
            throw CalibyError.dimensionMismatch(index: name, expected: dimensions, actual: vector.count, record: record)
        }
        let start = flat.count
        flat.append(contentsOf: vector)
        if let bad = flat[start...].firstIndex(where: { !$0.isFinite }) {
            throw CalibyError.badInput(location: record.map { "vector \($0)" } ?? "query",
                                       message: "component \(bad - start) is \(flat[bad]), not a finite number")
        }
    }

    /// The ids of a batch the engine would refuse after it began: one given twice, one taken
    /// (without `replace`), the reserved `UInt64.max`.
    private func checkNew(_ ids: [UInt64?], replace: Bool) throws {
        let host = try graph() as! DocumentHost
        var seen = Set<UInt64>()
        for case let id? in ids {
            guard id != UInt64.max else { throw CalibyError.invalidParameter(name: "id", requirement: "below \(UInt64.max)", value: "\(id)") }
            guard seen.insert(id).inserted else { throw CalibyError.duplicateID(index: name, id: id) }
            if !replace, try host.isLive(id: id) { throw CalibyError.duplicateID(index: name, id: id) }
        }
    }

    /// A document by field name as the engine keeps it, by schema position.
    private func document(_ fields: [String: FieldValue]) throws -> Document {
        guard case .database(let database) = backing else { throw noDocuments() }
        let collection = try collection(database)
        var document = Document(fieldCount: collection.schema.fields.count)
        for (name, value) in fields {
            guard let position = collection.schema.position(of: name) else { throw collection.unknownField(name) }
            document[position] = value
        }
        return document
    }

    /// A vector query and its search parameters, checked against the index (length, finite values,
    /// `k` and the list size of the index's type).
    private func checkedQuery(_ query: some Collection<Float>, k: Int, ef: Int?, searchL: Int?) throws -> ([Float], SearchParameters) {
        let info = try self.info
        let parameters = try searchParameters(k: k, ef: ef, searchL: searchL, type: info.type)
        var vector: [Float] = []
        try append(query, to: &vector, record: nil, info: info)
        return (vector, parameters)
    }

    private func searchParameters(k: Int, ef: Int?, searchL: Int?, type: IndexType) throws -> SearchParameters {
        func atLeastOne(_ value: Int?, _ name: String) throws {
            if let value, value < 1 { throw CalibyError.invalidParameter(name: name, requirement: "at least 1", value: "\(value)") }
        }
        try atLeastOne(k, "k")
        try atLeastOne(ef, "ef")
        try atLeastOne(searchL, "searchL")
        if ef != nil && type != .hnsw { throw CalibyError.invalidArgument("ef is for hnsw indexes; index '\(name)' is \(type.rawValue): use searchL") }
        if searchL != nil && type != .diskann { throw CalibyError.invalidArgument("searchL is for diskann indexes; index '\(name)' is \(type.rawValue): use ef") }
        var parameters = SearchParameters(k: k)
        if let ef { parameters.ef = ef }
        if let searchL { parameters.searchL = searchL }
        return parameters
    }

    private func noDocuments() -> CalibyError {
        .invalidArgument("index '\(name)' is temporary and has no documents")
    }
}

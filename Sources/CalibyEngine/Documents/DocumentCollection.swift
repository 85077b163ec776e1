/// An index together with its documents: what the commands and library users insert into, read,
/// update and search. An index without fields has no document store and behaves exactly as its
/// `GraphIndex` (same files, same speed).
///
/// Documents are keyed by the graph's node numbers (DocumentLayout), so a filter yields a set of
/// nodes the graph search can test with one bit, and `get` is an id-map lookup and a directory
/// read. The graph changes first (in parallel), then the documents (one thread), inside the same
/// transaction: a failure anywhere leaves the caller to roll both back.
package final class DocumentCollection {
    package let index: GraphIndex
    let host: DocumentHost
    private(set) var store: DocumentStore?
    let database: Database

    init(index: GraphIndex, store: DocumentStore?, database: Database) {
        self.index = index
        host = index as! DocumentHost
        self.store = store
        self.database = database
    }

    /// The catalog entry; the schema is the store's, which `alter` and `index` change after the
    /// index object was made.
    package var info: IndexInfo {
        var info = index.info
        info.config.schema = schema
        return info
    }
    package var name: String { index.info.name }
    package var schema: Schema { store?.schema ?? Schema() }

    // MARK: Insert and delete

    /// Inserts vectors with their documents (`batch.documents`, one per record, or none). With
    /// `options.replace` an existing id gets the new vector and the new document.
    package func insert(_ batch: VectorBatch, options: InsertOptions) throws -> InsertSummary {
        if store == nil && info.type == .hnsw && batch.labels.contains(where: { !$0.isEmpty }) {
            try createStore { $0.labelsInDocuments = true }
        }
        guard let store else {
            if !batch.documents.isEmpty { throw CalibyError.invalidArgument("index '\(name)' has no fields to store documents in") }
            return try index.insert(batch, options: options)
        }
        let documents = try checkedDocuments(batch)
        // Ids resolved here exactly as the index would, so each record's document can follow its id.
        var next = host.nextAutoID
        let ids = try batch.assignIDs(next: &next, index: name)
        var resolved = batch
        resolved.ids = ids
        // HNSW records have no room for labels: they go with the documents.
        let labels = info.type == .hnsw ? try checkedLabels(batch) : []
        resolved.labels = info.type == .hnsw ? [] : batch.labels
        if options.replace {
            for id in ids { if let node = try host.node(of: id) { try store.remove(node: node) } }
        }
        let summary = try index.insert(resolved, options: options)
        for (i, (id, document)) in zip(ids, documents).enumerated() {
            guard let node = try host.node(of: id) else { throw store.damage("id \(id) has no node right after its insert") }
            try store.put(document, labels: i < labels.count ? labels[i] : [], node: node)
        }
        try store.finishChanges()
        return summary
    }

    /// Each record's labels ascending without repeats, at most `Schema.maxArrayElements`.
    private func checkedLabels(_ batch: VectorBatch) throws -> [[UInt32]] {
        try batch.labels.enumerated().map { i, labels in
            let unique = Array(Set(labels)).sorted()
            if unique.count > Schema.maxArrayElements {
                throw CalibyError.badInput(location: "record \(batch.firstRecordNumber + i)",
                                           message: "has \(unique.count) labels; a vector carries at most \(Schema.maxArrayElements)")
            }
            return unique
        }
    }

    /// Gives an index its document file (its first field, or an HNSW index's first labels), with an
    /// empty document for every live vector; `change` records why in the catalog.
    func createStore(_ change: (inout IndexConfig) -> Void) throws {
        var info = index.info
        change(&info.config)
        try database.requireWritable("alter")
        let store = try DocumentStore(creating: database.createDocumentFile(for: info), of: info.name, layout: DocumentLayout(config: info.config),
                                      schema: info.config.schema, analyzer: info.config.analyzer)
        database.openObjects[info.documentFileID] = store
        try database.updateConfig(ofIndex: info.id, change)
        let empty = Document(fieldCount: info.config.schema.fields.count)
        try host.forEachLiveNode { try store.put(empty, node: $0) }
        try store.finishChanges()
        self.store = store
    }

    /// Each record's document, checked against the schema (the decoders check as they read; a
    /// library caller's batch is checked here).
    func checkedDocuments(_ batch: VectorBatch) throws -> [Document] {
        if batch.documents.isEmpty { return Array(repeating: Document(fieldCount: schema.fields.count), count: batch.count) }
        guard batch.documents.count == batch.count else {
            throw CalibyError.invalidArgument("the batch has \(batch.count) records but \(batch.documents.count) documents")
        }
        let codec = DocumentCodec(schema: schema)
        for (i, document) in batch.documents.enumerated() {
            let location = "record \(batch.firstRecordNumber + i)"
            if let (field, message) = document.problem(under: schema) {
                throw CalibyError.badInput(location: location, message: "field '\(field)': \(message)")
            }
            let bytes = codec.encode(document).count
            if bytes > Schema.maxDocumentBytes {
                throw CalibyError.badInput(location: location, message: "document of \(bytes) bytes, more than \(Schema.maxDocumentBytes)")
            }
        }
        return batch.documents
    }

    /// Deletes ids with their documents; every id is looked up first, so an unknown one changes nothing.
    package func delete(ids: [UInt64]) throws -> Int {
        if let store {
            let nodes = try ids.map { id in
                guard let node = try host.node(of: id), try host.isLive(node) else { throw CalibyError.noSuchID(index: name, id: id) }
                return node
            }
            for node in nodes { try store.remove(node: node) }
        }
        let deleted = try index.delete(ids: ids)
        try store?.finishChanges()
        return deleted
    }

    // MARK: Reading and updating

    /// The documents of `ids`, in that order; an unknown id is an error.
    package func documents(ids: [UInt64], fields: [String]? = nil) throws -> [Document] {
        let wanted = try mask(fields)
        return try ids.map { id in
            guard let node = try host.node(of: id), try host.isLive(node) else { throw CalibyError.noSuchID(index: name, id: id) }
            return try document(ofNode: node, wanted: wanted)
        }
    }

    /// Ids whose documents match `filter` (all live ids without one), ascending, at most `limit`.
    package func ids(matching filter: Filter?, limit: Int? = nil) throws -> [UInt64] {
        var ids: [UInt64] = []
        if let filter {
            try matchingNodes(filter).forEach { ids.append(try host.userID(of: $0)) }
        } else {
            try host.forEachLiveNode { ids.append(try host.userID(of: $0)) }
        }
        ids.sort()
        if let limit, ids.count > limit { ids.removeLast(ids.count - limit) }
        return ids
    }

    /// Changes fields of one document without touching its vector; nil removes a value.
    package func update(id: UInt64, set changes: [(field: String, value: FieldValue?)]) throws {
        guard let store else { throw CalibyError.invalidArgument("index '\(name)' has no fields") }
        guard let node = try host.node(of: id), try host.isLive(node) else { throw CalibyError.noSuchID(index: name, id: id) }
        var document = try store.document(of: node) ?? Document(fieldCount: schema.fields.count)
        for (field, value) in changes {
            guard let position = schema.position(of: field) else { throw unknownField(field) }
            document[position] = value
        }
        if let (field, message) = document.problem(under: schema) {
            throw CalibyError.invalidArgument("id \(id): field '\(field)': \(message)")
        }
        try store.put(document, node: node)
        try store.finishChanges()
    }

    func document(ofNode node: Int, wanted: FieldMask?) throws -> Document {
        try store?.document(of: node, wanted: wanted) ?? Document(fieldCount: schema.fields.count)
    }

    /// The field positions of `fields` (nil: all); an unknown name is an error.
    func mask(_ fields: [String]?) throws -> FieldMask? {
        guard let fields else { return nil }
        return FieldMask(try fields.map { name in
            guard let position = schema.position(of: name) else { throw unknownField(name) }
            return position
        })
    }

    func unknownField(_ name: String) -> CalibyError { .invalidArgument(unknownFieldMessage(name)) }

    /// "index 'docs' has no field 'colour' (fields: title, price)".
    package func unknownFieldMessage(_ name: String) -> String {
        let known = schema.fields.map(\.name)
        return "index '\(self.name)' has no field '\(name)'"
            + (known.isEmpty ? " (it has no fields)" : " (fields: \(known.joined(separator: ", ")))")
    }
}

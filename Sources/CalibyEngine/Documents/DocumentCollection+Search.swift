/// Filtered search: a filter becomes the set of matching nodes once per command, and each query
/// searches among them (the index chooses exact distances or a filtered traversal by the set's
/// size, Index/FilteredSearch.swift).
extension DocumentCollection {
    /// A filter evaluated against the documents, ready for any number of searches.
    package struct PreparedFilter {
        /// The nodes a search may return; nil when `label` says it all.
        let nodes: NodeSet?
        /// DiskANN's label path: the filter is exactly `labels CONTAINS n`, which the graph's own
        /// label-aware search answers without reading documents.
        let label: UInt32?

        /// How many vectors match (nil on the label path, which does not count them).
        package var matchCount: Int? { nodes?.count }
    }

    package func prepare(_ filter: Filter) throws -> PreparedFilter {
        if filter.fieldPositions.isEmpty && filter.requiredLabels.count == 1 && info.type == .diskann {
            return PreparedFilter(nodes: nil, label: filter.requiredLabels[0])
        }
        return PreparedFilter(nodes: try matchingNodes(filter), label: nil)
    }

    /// The live nodes whose documents (and labels) match: from a field index's candidates when a
    /// constrained field has one, else from every document.
    func matchingNodes(_ filter: Filter) throws -> NodeSet {
        let nodes = NodeSet(capacity: info.config.maxElements)
        let wanted = FieldMask(filter.fieldPositions)
        let labels = filter.requiredLabels
        func consider(_ node: Int) throws {
            if !labels.isEmpty, try !carries(node, labels: labels) { return }
            if try filter.matches(document(ofNode: node, wanted: wanted)) { nodes.insert(node) }
        }
        if let store, let candidates = try store.candidates(for: filter) {
            if candidates.exact && labels.isEmpty { return candidates.nodes }
            try candidates.nodes.forEach(consider)
        } else if let store {
            try store.forEachNode(consider)
        } else {
            try host.forEachLiveNode(consider)
        }
        return nodes
    }

    /// Whether a node carries every one of `labels`: DiskANN keeps them in its records, HNSW in
    /// its documents.
    func carries(_ node: Int, labels: [UInt32]) throws -> Bool {
        guard info.type == .hnsw else { return try host.carries(node, labels: labels) }
        guard let store else { return false }
        let carried = try store.labels(of: node)
        return labels.allSatisfy(carried.contains)
    }

    /// The k nearest live vectors that match `filter` (all, when nil), closest first.
    package func search(_ query: UnsafePointer<Float>, parameters: SearchParameters, filter: PreparedFilter?) throws -> [SearchHit] {
        guard let filter else { return try index.search(query, parameters: parameters) }
        if let label = filter.label {
            var parameters = parameters
            parameters.filter = label
            return try index.search(query, parameters: parameters)
        }
        return try host.search(query, parameters: parameters, allowed: filter.nodes!)
    }
}

/// Opening, creating and changing collections: the catalog side of documents.
extension Database {
    /// An index with its documents (none when it has no fields).
    package func collection(named name: String) throws -> DocumentCollection {
        let index = try index(named: name)
        return DocumentCollection(index: index, store: try documentStore(of: info(named: name)), database: self)
    }

    func documentStore(of info: IndexInfo) throws -> DocumentStore? {
        guard info.config.hasDocumentFile else { return nil }
        if let store = openObjects[info.documentFileID] as? DocumentStore { return store }
        let store = try DocumentStore(opening: documentSpace(for: info), of: info.name, layout: DocumentLayout(config: info.config),
                                      schema: info.config.schema, analyzer: info.config.analyzer, writable: mode == .readWrite)
        openObjects[info.documentFileID] = store
        return store
    }

    /// Creates an index and, when the config has fields, its document file.
    package func createCollection(name: String, type: IndexType, config: IndexConfig) throws -> DocumentCollection {
        try config.schema.validate()
        if !config.schema.isEmpty { try requireDocumentRoom(config) }
        let index = try createIndex(name: name, type: type, config: config)
        var store: DocumentStore?
        if !config.schema.isEmpty {
            let info = index.info
            store = try DocumentStore(creating: createDocumentFile(for: info), of: info.name, layout: DocumentLayout(config: info.config),
                                      schema: info.config.schema, analyzer: info.config.analyzer)
            openObjects[info.documentFileID] = store
        }
        return DocumentCollection(index: index, store: store, database: self)
    }

    func requireDocumentRoom(_ config: IndexConfig) throws {
        let minimum = DocumentLayout.minimumBytes(nodeCapacity: config.maxElements)
        if config.resolvedDocumentBytes < minimum {
            throw CalibyError.invalidParameter(name: "documentBytes", requirement: "at least \(ByteCount.text(minimum)) for \(config.maxElements) elements",
                                               value: "\(config.resolvedDocumentBytes)")
        }
    }
}

extension DocumentCollection {
    /// `alter --add-field`: appends a field; existing documents have no value for it. An index
    /// without a document file gets one, with an empty document for every live vector.
    package func addField(_ field: Field) throws {
        var schema = self.schema
        guard schema.position(of: field.name) == nil else { throw CalibyError.invalidArgument("index '\(name)' already has a field '\(field.name)'") }
        schema.fields.append(field)
        try schema.validate()
        if field.required && index.count > 0 {
            throw CalibyError.invalidArgument("field '\(field.name)' cannot be required: the index's \(index.count) documents have no value for it")
        }
        if let store {
            try store.addField(field)
            try database.updateConfig(ofIndex: info.id) { $0.schema = store.schema }
        } else {
            try createStore { $0.schema = schema }
        }
    }

    /// `caliby index NAME FIELD`: builds a secondary index on a field, or adds a text field to the
    /// full-text index.
    package func createFieldIndex(_ fieldName: String) throws {
        guard let store, let position = schema.position(of: fieldName) else { throw unknownField(fieldName) }
        let field = schema.fields[position]
        guard !field.indexed else { throw CalibyError.invalidArgument("field '\(fieldName)' is indexed already") }
        if field.type == .text { try store.indexTextField(position) } else { try store.createIndex(onField: position) }
        try database.updateConfig(ofIndex: info.id) { $0.schema = store.schema }
    }

    /// The index's own check, then the documents' and their agreement with the graph: exactly the
    /// live vectors have documents.
    package func checkIntegrity() throws -> [String] {
        var problems = try index.checkIntegrity()
        guard let store else { return problems }
        problems += try store.checkIntegrity()
        var live = 0
        try host.forEachLiveNode { node in
            live += 1
            if try store.ref(of: node) == nil { problems.append("\(store.space.path): live node \(node) (id \(try host.userID(of: node))) has no document") }
        }
        if live != store.documentCount {
            problems.append("\(store.space.path): \(store.documentCount) documents for \(live) live vectors")
        }
        return problems
    }
}

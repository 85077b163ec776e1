/// The catalog calls of the library: create, open and drop indexes by name.
extension Database {
    /// Creates an index and, when `config.schema` has fields, its document store; committed with
    /// the transaction (``flush()``).
    ///
    /// ```swift
    /// let index = try database.createIndex("docs", config: IndexConfig(dimensions: 384, maxElements: 100_000,
    ///                                                                  metric: .cosine))
    /// ```
    ///
    /// - Throws: ``CalibyError/indexExists(_:)``, ``CalibyError/invalidName(_:reason:)``,
    ///   ``CalibyError/invalidParameter(name:requirement:value:)`` for a parameter out of range,
    ///   ``CalibyError/noSpace(_:lower:)`` when the file system cannot hold the index's empty
    ///   tables, ``CalibyError/tooLarge(_:lower:)`` when its file could outgrow what a file may take.
    public func createIndex(_ name: String, type: IndexType = .hnsw, config: IndexConfig) throws -> VectorIndex {
        try requireOpen()
        _ = try createCollection(name: name, type: type, config: config)
        return VectorIndex(name: name, database: self)
    }

    /// The index named `name` when it exists (it must have `type`, and `config`'s dimensions and
    /// metric), else a new one: the call a program makes on every run.
    public func openOrCreateIndex(_ name: String, type: IndexType = .hnsw, config: IndexConfig) throws -> VectorIndex {
        try requireOpen()
        guard let info = listIndexes().first(where: { $0.name == name }) else { return try createIndex(name, type: type, config: config) }
        let wanted = "\(type.rawValue), \(config.dimensions) dimensions, \(config.metric.rawValue)"
        let found = "\(info.type.rawValue), \(info.config.dimensions) dimensions, \(info.config.metric.rawValue)"
        guard wanted == found else { throw CalibyError.invalidArgument("index '\(name)' exists as \(found), not \(wanted)") }
        return try openIndex(name)
    }

    /// An existing index. - Throws: ``CalibyError/noSuchIndex(_:)``.
    public func openIndex(_ name: String) throws -> VectorIndex {
        try requireOpen()
        _ = try collection(named: name)
        return VectorIndex(name: name, database: self)
    }
}

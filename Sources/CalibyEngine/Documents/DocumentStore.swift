/// The documents of one index, by node number, in the index's document file (layout in
/// DocumentLayout.swift), with a B+tree per indexed field (DocumentStore+FieldIndexes.swift) and
/// the full-text index of its indexed text fields (Text/TextIndex.swift).
///
/// Changes happen from one thread inside a transaction (the collection applies them after the
/// graph's parallel insert); reads may run from several threads, and take `mutex` only to copy
/// the header fields they need.
final class DocumentStore {
    /// The index's name, for messages.
    let indexName: String
    let space: PageSpace
    let layout: DocumentLayout
    let writable: Bool
    let analyzer: Analyzer
    /// Changes only by `alter` and `index`; what depends on it is remade with it.
    private(set) var schema: Schema {
        didSet {
            codec = DocumentCodec(schema: schema)
            textFieldPositions = schema.fullTextPositions
        }
    }
    /// Positions of the fields the text index covers, in schema order (read for every document
    /// a change indexes, so kept rather than recomputed).
    private(set) var textFieldPositions: [Int]
    private(set) var codec: DocumentCodec
    let mutex = Mutex()
    @TrackedHeader var header: DocumentHeader
    /// Open trees by field position (see DocumentStore+FieldIndexes).
    var trees: [Int: BTree] = [:]
    private(set) var textIndex: TextIndex?

    init(creating space: PageSpace, of indexName: String, layout: DocumentLayout, schema: Schema, analyzer: Analyzer) throws {
        self.indexName = indexName
        self.space = space
        self.layout = layout
        self.schema = schema
        self.analyzer = analyzer
        writable = true
        codec = DocumentCodec(schema: schema)
        textFieldPositions = schema.fullTextPositions
        let header = DocumentHeader(layout: layout, fieldCount: schema.fields.count)
        self.header = header
        try space.create(0) { header.store(into: $0, layout: layout) }
        for (position, field) in schema.fields.enumerated() where field.hasTree { try createTree(position) }
        if schema.fields.contains(where: \.isFullText) { try createTextIndex() }
        try writeHeader()
    }

    init(opening space: PageSpace, of indexName: String, layout: DocumentLayout, schema: Schema, analyzer: Analyzer, writable: Bool) throws {
        self.indexName = indexName
        self.space = space
        self.layout = layout
        self.schema = schema
        self.analyzer = analyzer
        self.writable = writable
        codec = DocumentCodec(schema: schema)
        textFieldPositions = schema.fullTextPositions
        let path = space.path
        header = try space.read(0) { try DocumentHeader.load(from: $0, layout: layout, schema: schema, path: path) }
        if header.textRoot != 0 { textIndex = try TextIndex(opening: self, analyzer: analyzer, rootPage: header.textRoot) }
    }

    var documentCount: Int { mutex.withLock { header.documentCount } }

    func damage(_ detail: String) -> CalibyError { .corrupt(path: space.path, detail: detail) }

    /// Ends a changing operation: the header is written; the text index keeps gathering documents
    /// until the commit (`writePendingChanges`), so a load in many batches makes one segment.
    func finishChanges() throws {
        try textIndex?.writeRoot()
        try writeHeader()
    }

    /// Pages allocated so far (the high-water mark): every page reference must lie below it.
    var allocatedPages: Int { mutex.withLock { header.highWater } }

    /// Writes the cached header to page 0 if it changed.
    func writeHeader() throws {
        guard let snapshot = mutex.withLock({ $header.takeChanges() }) else { return }
        let layout = self.layout
        try space.write(0) { snapshot.store(into: $0, layout: layout) }
    }

    func requireWritable(_ what: String) throws {
        guard writable else { throw CalibyError.readOnly(what) }
    }

    // MARK: Directory

    /// The record of `node`'s document, nil when it has none.
    func ref(of node: Int) throws -> RecordRef? {
        guard node >= 0 && node < layout.nodeCapacity else { return nil }
        let (page, offset) = layout.directoryEntry(node)
        guard page - 1 < mutex.withLock({ header.directoryFormatted }) else { return nil }
        let entry = try space.read(page) { $0.load(fromByteOffset: offset, as: UInt64.self) }
        guard let ref = RecordRef(entry: entry) else { return nil }
        guard ref.page >= layout.firstAllocatablePage && ref.page < layout.capacityPages else {
            throw damage("directory entry of node \(node) points to page \(ref.page), outside the heap")
        }
        return ref
    }

    private func setRef(_ ref: RecordRef?, of node: Int) throws {
        let (page, offset) = layout.directoryEntry(node)
        try formatDirectory(through: page - 1)
        try space.write(page) { $0.storeBytes(of: ref?.entry ?? 0, toByteOffset: offset, as: UInt64.self) }
    }

    /// Directory pages are created in order the first time a node on them gets a document (nodes
    /// are allocated in order, so this is usually one page at a time).
    private func formatDirectory(through index: Int) throws {
        let formatted = mutex.withLock { header.directoryFormatted }
        guard index >= formatted else { return }
        for i in formatted...index { try space.create(1 + i) { _ in } }
        mutex.withLock {
            header.directoryFormatted = index + 1
        }
    }

    // MARK: Documents

    /// `node`'s document, decoding only the fields in `wanted` (nil: all); nil when it has none.
    func document(of node: Int, wanted: FieldMask? = nil) throws -> Document? {
        guard let ref = try ref(of: node) else { return nil }
        let codec = self.codec
        return try withRecord(ref, node: node) { bytes in
            try codec.decode(bytes, wanted: wanted) { self.damage("document of node \(node): \($0)") }
        }
    }

    /// The labels stored with `node`'s document (an HNSW index's; empty when none).
    func labels(of node: Int) throws -> [UInt32] {
        guard let ref = try ref(of: node) else { return [] }
        let codec = self.codec
        return try withRecord(ref, node: node) { bytes in
            try codec.labels(bytes) { self.damage("document of node \(node): \($0)") }
        }
    }

    /// Stores `document` (and `labels`) as `node`'s, replacing what it had, and keeps the field
    /// indexes current.
    func put(_ document: Document, labels: [UInt32] = [], node: Int) throws {
        try requireWritable("insert")
        guard node >= 0 && node < layout.nodeCapacity else {
            throw damage("node \(node) is beyond the capacity \(layout.nodeCapacity)")
        }
        let old = try ref(of: node)
        var oldDocument: Document?
        if let old {
            if hasIndexedFields { oldDocument = try self.document(of: node, wanted: indexedMask) }
            try removeRecord(old)
        }
        let ref = try storeRecord(codec.encode(document, labels: labels))
        try setRef(ref, of: node)
        if old == nil {
            mutex.withLock {
                header.documentCount += 1
            }
        }
        try updateFieldIndexes(node: node, old: oldDocument, new: document)
        // An update that leaves the text alone leaves the text index alone.
        if let textIndex, oldDocument == nil || textFieldPositions.contains(where: { oldDocument![$0] != document[$0] }) {
            if let oldDocument { try textIndex.remove(oldDocument, node: node) }
            try textIndex.add(document, node: node)
        }
    }

    /// Removes `node`'s document; returns whether it had one.
    @discardableResult
    func remove(node: Int) throws -> Bool {
        try requireWritable("delete")
        guard let ref = try ref(of: node) else { return false }
        let oldDocument = hasIndexedFields ? try document(of: node, wanted: indexedMask) : nil
        try removeRecord(ref)
        try setRef(nil, of: node)
        mutex.withLock {
            header.documentCount -= 1
        }
        try updateFieldIndexes(node: node, old: oldDocument, new: nil)
        if let textIndex, let oldDocument { try textIndex.remove(oldDocument, node: node) }
        return true
    }

    /// Calls `body` with each node that has a document, ascending.
    func forEachNode(_ body: (Int) throws -> Void) throws {
        let formatted = mutex.withLock { header.directoryFormatted }
        for index in 0..<formatted {
            let entries = try space.read(1 + index) { p in
                (0..<DocumentLayout.entriesPerDirectoryPage).map { p.load(fromByteOffset: $0 * 8, as: UInt64.self) }
            }
            for (i, entry) in entries.enumerated() where entry != 0 {
                let node = index * DocumentLayout.entriesPerDirectoryPage + i
                if node < layout.nodeCapacity { try body(node) }
            }
        }
    }

    // MARK: Schema changes

    /// Appends a field (`alter --add-field`): stored records stay valid, with the field absent.
    func addField(_ field: Field) throws {
        try requireWritable("alter")
        schema.fields.append(field)
        mutex.withLock {
            header.fieldCount = schema.fields.count
            header.roots.append(0)
        }
        if field.hasTree { try createIndex(onField: schema.fields.count - 1) }
        if field.isFullText && textIndex == nil { try createTextIndex() }
        try finishChanges()
    }

    /// Gives the store its (empty) text index; `indexTextField` fills it.
    func createTextIndex() throws {
        let index = try TextIndex(creating: self, analyzer: analyzer)
        textIndex = index
        mutex.withLock {
            header.textRoot = index.rootPage
        }
    }

    /// `caliby index NAME TEXTFIELD`: adds a stored text field to the full-text index, re-indexing
    /// every document (their other text fields' positions shift by the new field).
    func indexTextField(_ position: Int) throws {
        try requireWritable("index")
        let before = textFieldPositions
        setIndexed(position)
        if let textIndex {
            let mask = FieldMask(before)
            try forEachNode { node in
                if let old = try document(of: node, wanted: mask) { try textIndex.remove(old, node: node) }
            }
        } else {
            try createTextIndex()
        }
        let mask = FieldMask(textFieldPositions)
        try forEachNode { node in
            if let document = try document(of: node, wanted: mask) { try textIndex!.add(document, node: node) }
        }
        try finishChanges()
    }

    /// Marks the schema's field indexed after its tree was built (see `createIndex`).
    func setIndexed(_ position: Int) {
        schema.fields[position].indexed = true
    }
}

extension DocumentStore: PendingChanges {
    func writePendingChanges() throws {
        try textIndex?.flush()
        try writeHeader()
    }
}

import Glibc

/// `vacuum`: after many deletes an index's file keeps every slot it ever used (HNSW marks, and
/// reuses only once full; DiskANN frees slots but never shrinks) and its document file keeps
/// every page it ever allocated. Vacuum rebuilds the index from its live vectors, ids, labels and
/// documents into new files through the ordinary insert (so the graph is a fresh build, and recall
/// is that of one), and swaps them in at commit like `resize` (`Database.replaceFiles`).
///
/// The catalog needs no compaction of its own: it lists only live indexes, and `nextID` only
/// grows on purpose (a create's file never belongs to a live index; see CatalogFile).
extension Database {
    /// Rebuilds an index compactly from its live vectors and their documents, into new files that
    /// replace the old ones when the transaction commits (``flush()``); a crash before that leaves
    /// the index as it was. Ids, labels, documents and the next automatic id are kept; the new
    /// files are in the newest format for the index's parameters (an older index's way to it).
    ///
    /// ```swift
    /// try database.vacuumIndex("docs")
    /// try database.flush()
    /// ```
    ///
    /// The live vectors go over in batches, as a load takes its input (`VectorBatch.loadBytes` at a
    /// time), so memory stays bounded by the buffer; the new files need free space until the commit
    /// removes the old ones.
    ///
    /// - Throws: ``CalibyError/noSuchIndex(_:)``; a failure during the rebuild leaves the
    ///   transaction to ``rollback()``.
    public func vacuumIndex(_ name: String, threads: Int = 1) throws {
        try requireOpen()
        if let failedChange { throw CalibyError.transactionAborted(cause: failedChange) }
        try requireWritable("vacuum")
        let info = try info(named: name)
        let old = try collection(named: name)
        var live: [Int] = []
        try old.host.forEachLiveNode { live.append($0) }
        let perBatch = VectorBatch.loadRecords(dimensions: info.config.dimensions)
        // Every record is written again, so the new file takes the layout an index created now
        // gets: a format-2 index becomes HNSW format 3 (int8 records on cache lines) or DiskANN
        // format 3 (spare link room), its parameters otherwise kept.
        let config = try info.config.resolved(for: info.type)
        try replaceFiles(of: info, config: config) { replacement, space, documentSpace in
            let index = try replacement.type.format(replacement, space: space)
            openObjects[replacement.id] = index
            let store = try documentSpace.map { try openDocumentStore(of: replacement, in: $0) }
            let rebuilt = DocumentCollection(index: index, store: store, database: self)
            for start in stride(from: 0, to: live.count, by: perBatch) {
                let records = try old.records(ofNodes: live[start..<min(start + perBatch, live.count)])
                _ = try rebuilt.insert(records, options: InsertOptions(threads: threads))
            }
            try rebuilt.continueAutomaticIDs(from: old.host.nextAutoID)
        }
    }
}

extension DocumentCollection {
    /// The vectors of `nodes` as an insert would take them back: id, vector as stored (normalized
    /// for cosine, rounded to the stored precision, so storing it again changes nothing), labels
    /// and document.
    func records(ofNodes nodes: ArraySlice<Int>) throws -> VectorBatch {
        let d = index.info.config.dimensions
        var batch = VectorBatch(dimensions: d)
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: d)
        defer { buffer.deallocate() }
        for node in nodes {
            var labels: [UInt32] = []
            switch index {
            case let hnsw as HNSWIndex: try hnsw.copyVector(of: node, into: buffer)
            case let diskann as DiskANNIndex: labels = try diskann.copyVector(of: node, into: buffer)
            default: preconditionFailure("an index of a directory is HNSW or DiskANN")
            }
            if let store {
                if index is HNSWIndex { labels = try store.labels(of: node) }
                if !schema.isEmpty { batch.documents.append(try document(ofNode: node, wanted: nil)) }
            }
            batch.ids.append(try host.userID(of: node))
            batch.vectors.append(contentsOf: UnsafeBufferPointer(start: buffer, count: d))
            batch.labels.append(labels)
        }
        return batch
    }

    /// Automatic ids go on where the old index left them, though the largest ids may be gone.
    func continueAutomaticIDs(from next: UInt64) throws {
        switch index {
        case let hnsw as HNSWIndex:
            hnsw.entryMutex.withLock { hnsw.header.nextAutoID = max(hnsw.header.nextAutoID, next) }
            try hnsw.writeHeader()
        case let diskann as DiskANNIndex:
            diskann.headerMutex.withLock { diskann.header.nextAutoID = max(diskann.header.nextAutoID, next) }
            try diskann.writeHeader()
        default: preconditionFailure("an index of a directory is HNSW or DiskANN")
        }
    }
}

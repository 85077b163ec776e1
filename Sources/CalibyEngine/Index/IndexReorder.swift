import Glibc

/// `reorder`: renumbers a finished graph so that nodes a search visits together are stored
/// together (Renumbering; each type's copy: HNSWIndex+Reorder.swift, DiskANNIndex+Reorder.swift).
/// Node numbers are addresses everywhere (records, links, upper slots, codes, label starts, id map,
/// the document file's directory and indexes),
/// so, like `resize`, it writes new files, swapped in at commit (`Database.replaceFiles`): the index
/// file is copied record by record into the new order, and the documents are put again at their
/// nodes' new numbers.
extension Database {
    /// Renumbers an index's nodes breadth-first over its graph, so that searches read fewer
    /// distinct pages and cache lines; the graph, its ids and documents stay the same, and so do
    /// search results but for ties (nodes at equal distances, or equal int8 estimates, are ranked
    /// by node number). The new files replace the old ones when the transaction commits
    /// (``flush()``); a crash before that leaves the index as it was.
    ///
    /// ```swift
    /// try database.reorderIndex("docs")
    /// try database.flush()
    /// ```
    ///
    /// Worth running after a bulk load or a large insert: nodes inserted later are numbered in
    /// insertion order again, so the gain fades as the index grows. The copy needs free space for
    /// the index's used pages (and its documents) until the commit removes the old files, and
    /// 25 bytes per node of the buffer (the numbering, and the id map's entries, which the copy
    /// reads whole as resize does).
    ///
    /// - Throws: ``CalibyError/noSuchIndex(_:)``; ``CalibyError/noSpace(_:lower:)`` when the file
    ///   system cannot take the copy. A failure during the copy leaves the transaction to
    ///   ``rollback()``.
    public func reorderIndex(_ name: String) throws {
        try requireOpen()
        if let failedChange { throw CalibyError.transactionAborted(cause: failedChange) }
        try requireWritable("reorder")
        let info = try info(named: name)
        let index = try self.index(named: name)
        // The numbering grows with the index, so it is charged to the buffer like its bookkeeping.
        let numberingBytes = Renumbering.bytesPerNode * index.storageStatistics().slots.used
        pool.chargeAndEvict(numberingBytes)
        defer { pool.release(numberingBytes) }
        let renumbered: Renumbering
        let written: [Range<Int>]
        switch index {
        case let hnsw as HNSWIndex:
            renumbered = try hnsw.breadthFirstOrder()
            written = hnsw.layout.writtenPages(hnsw.headerSnapshot)
        case let diskann as DiskANNIndex:
            renumbered = try diskann.breadthFirstOrder()
            written = diskann.layout.writtenPages(nodeCount: renumbered.count)
        default: preconditionFailure("an index of a directory is HNSW or DiskANN")
        }
        let needed = try written.reduce(0) { $0 + $1.count } * info.pageSize + rebuiltDocumentBytes(of: info, config: info.config)
        let free = try FreeSpace.available(at: directory)
        guard needed <= free else {
            throw CalibyError.noSpace("reorder: index '\(name)' needs \(ByteCount.text(needed)) written now; "
                                      + "\(directory) has \(ByteCount.text(free)) free", lower: [])
        }
        let collection = try self.collection(named: name)
        try replaceFiles(of: info, config: info.config) { replacement, space, documentSpace in
            switch index {
            case let hnsw as HNSWIndex: try hnsw.copy(into: space, renumbered: renumbered)
            case let diskann as DiskANNIndex: try diskann.copy(into: space, renumbered: renumbered)
            default: preconditionFailure("an index of a directory is HNSW or DiskANN")
            }
            if let documentSpace {
                try collection.copyDocuments(into: openDocumentStore(of: replacement, in: documentSpace), renumbered: renumbered)
            }
        }
    }
}

import Glibc

/// What `resize`, `vacuum` and `reorder` share when they write an index's replacement files
/// (`Database.replaceFiles`): the document file is rebuilt by putting documents again, never
/// copied page by page, since its page numbers are everywhere in it.
extension Database {
    /// At most the bytes a rebuilt document file of `info` under `config` takes: the old file's
    /// plus a whole directory.
    func rebuiltDocumentBytes(of info: IndexInfo, config: IndexConfig) throws -> Int {
        try info.documentFileName.map {
            try PosixFile(path: directory + "/" + $0, flags: O_RDONLY | PosixFile.inDirectory).allocatedBytes()
                + DocumentLayout(config: config).directoryPages * DocumentLayout.pageSize
        } ?? 0
    }

    /// A new, empty document store for `replacement` in `space`, registered before it is filled:
    /// its pending text is written at commit (`writePendingChanges`).
    func openDocumentStore(of replacement: IndexInfo, in space: PageSpace) throws -> DocumentStore {
        let store = try DocumentStore(creating: space, of: replacement.name, layout: DocumentLayout(config: replacement.config),
                                      schema: replacement.config.schema, analyzer: replacement.config.analyzer)
        openObjects[replacement.documentFileID] = store
        return store
    }
}

extension DocumentCollection {
    /// Puts every live node's document and labels into `target` at the same node, or at its new
    /// number when `renumbered` (resize keeps node numbers; reorder moves them).
    func copyDocuments(into target: DocumentStore, renumbered: Renumbering? = nil) throws {
        guard let store else { return }
        let empty = Document(fieldCount: schema.fields.count)
        try host.forEachLiveNode { node in
            try target.put(store.document(of: node) ?? empty, labels: store.labels(of: node), node: renumbered.map { $0[node] } ?? node)
        }
        try target.finishChanges()
    }
}

/// One file's format as `caliby upgrade` found it.
package struct FileFormatReport: Sendable {
    package var file: String
    package var kind: String
    package var version: Int
    /// The version this build writes; `version` is older when they differ.
    package var current: Int
}

extension Database {
    /// `caliby upgrade`: reads the format of every file (the catalog when the directory opened;
    /// each index's headers as it opens here, which refuses a newer one with `newerFormat`) and
    /// rewrites, in this transaction, each one older than this build writes. No format has
    /// changed in a way that needs a rewrite since versions were introduced (FileFormat), so every
    /// file that opens is current and nothing is rewritten: the report says so, file by file.
    package func upgrade() throws -> [FileFormatReport] {
        try requireOpen()
        try requireWritable("upgrade")
        var report = [FileFormatReport(file: Database.catalogFileName, kind: "catalog", version: catalog.format,
                                       current: CatalogFile.currentFormat)]
        for info in listIndexes() {
            let collection = try collection(named: info.name)
            // The version the layout writes is current for it (HNSW without codes stays format 1).
            let layout = info.type.layout(info.config)
            report.append(FileFormatReport(file: info.fileName, kind: layout.format.kind, version: layout.formatVersion,
                                           current: layout.formatVersion))
            if let documents = info.documentFileName {
                let format = FileFormat.documents
                report.append(FileFormatReport(file: documents, kind: format.kind, version: format.current, current: format.current))
                if collection.textIndexSummary != nil {
                    let text = FileFormat.text
                    report.append(FileFormatReport(file: documents, kind: text.kind, version: text.current, current: text.current))
                }
            }
        }
        return report
    }
}

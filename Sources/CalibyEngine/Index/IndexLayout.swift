/// What the code above an index type needs of its page layout: how large the file's pages are, how
/// many it may have, and which ones `create` writes. The catalog records the first two and knows no
/// layouts; they are checked against the layout here, before the file is mapped.
protocol IndexLayout {
    init(config: IndexConfig)
    var pageSize: Int { get }
    var totalPages: Int { get }
    /// The header and the regions formatted empty at create: a sound file holds every one of them,
    /// whatever its counters say.
    var formattedPages: Range<Int> { get }
    /// Where the node records are.
    var records: RecordRegion { get }
    /// The file kind's format and the version this layout's file is written in (FileFormat).
    var format: FileFormat { get }
    var formatVersion: Int { get }
}

extension IndexType {
    func layout(_ config: IndexConfig) -> any IndexLayout {
        switch self {
        case .hnsw: return HNSWLayout(config: config)
        case .diskann: return DiskANNLayout(config: config)
        }
    }
}

extension Database {
    /// The catalog's page size and count must be what the index's parameters give: they size the
    /// mapping of its file and its pages are addressed by the layout, so a damaged pair would map
    /// a huge range or send reads past it. The catalog checked the parameters' ranges (which keep
    /// the layout's arithmetic far from overflow) when it was read.
    func checkLayout(of info: IndexInfo) throws {
        let layout = info.type.layout(info.config)
        for (field, recorded, computed) in [("pageSize", info.pageSize, layout.pageSize),
                                            ("capacityPages", info.capacityPages, layout.totalPages)] where recorded != computed {
            throw CalibyError.corrupt(path: directory + "/" + Database.catalogFileName,
                                      detail: "index '\(info.name)': \(field) = \(recorded), but its parameters give \(computed)")
        }
    }
}

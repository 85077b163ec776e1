/// What HNSWIndex and DiskANNIndex share beyond `VectorIndex`: a layout whose node records form a
/// `RecordRegion` of their page space. The checks and messages both need are written here once.
protocol PagedIndex: VectorIndex {
    associatedtype Layout: IndexLayout
    var layout: Layout { get }
    var space: PageSpace { get }
    var writable: Bool { get }
    var dimensions: Int { get }
}

extension PagedIndex {
    /// A link read from a page that names no possible node (see `RecordRegion.corruptLink`).
    func corruptLink(_ node: Int, _ link: Int) -> CalibyError {
        layout.records.corruptLink(node, link, path: space.path)
    }

    /// What every insert checks before it changes anything.
    func requireInsertable(_ batch: VectorBatch) throws {
        guard writable else { throw CalibyError.readOnly("insert") }
        guard batch.dimensions == dimensions else {
            throw CalibyError.invalidArgument("index '\(info.name)' has \(dimensions) dimensions, the input has \(batch.dimensions)")
        }
    }
}

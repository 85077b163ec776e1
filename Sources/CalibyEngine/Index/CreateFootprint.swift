/// What creating an index commits to, read from its layout before anything is written: the bytes
/// create writes at once and the size the file may grow to. A create the machine cannot hold is
/// refused with a message naming the figures, instead of filling the disk or failing half-written.
struct CreateFootprint {
    /// Page 0 and every region before the node records, which `init(creating:)` of HNSWIndex and
    /// DiskANNIndex write empty (the id map, and DiskANN's label table and PQ regions). The engine
    /// tests compare it with the size of a freshly created file, so the two cannot drift apart.
    let bytesWrittenNow: Int
    /// The file once every slot is used: the address range the buffer pool reserves for it.
    let fullBytes: Int
    /// What the bytes written now are, for the message.
    let tables: String
    /// The parameters that shrink them.
    let shrinkingParameters: [String]

    init(type: IndexType, config: IndexConfig) {
        let layout = type.layout(config)
        bytesWrittenNow = layout.formattedPages.upperBound * layout.pageSize
        fullBytes = layout.totalPages * layout.pageSize
        let pqBytes = type == .diskann ? DiskANNLayout(config: config).pqBytes : 0
        tables = pqBytes > 0 ? "its empty id map and PQ codes" : "its empty id map"
        shrinkingParameters = pqBytes > 0 ? ["maxElements", "diskann.pqBytes"] : ["maxElements"]
    }

    /// Refuses an index whose file could outgrow `IndexConfig.maxFileBytes` (a usage error: no
    /// machine takes it), then one whose empty tables do not fit the free space of the file system
    /// holding `directory` now (exit 68, like a full index: lowering the capacity or freeing space
    /// makes the same command work).
    func requireRoom(config: IndexConfig, directory: String) throws {
        try requireWithinSizeLimit(config: config)
        let what = "create: an index of \(config.maxElements) elements"
        let free = try FreeSpace.available(at: directory)
        guard bytesWrittenNow <= free else {
            throw CalibyError.noSpace(
                "\(what) needs \(ByteCount.text(bytesWrittenNow)) written now for \(tables); \(directory) has "
                + "\(ByteCount.text(free)) free", lower: shrinkingParameters)
        }
    }

    /// The first of `requireRoom`'s refusals, alone for a temporary index, which has no directory.
    func requireWithinSizeLimit(config: IndexConfig, command: String = "create") throws {
        guard fullBytes <= IndexConfig.maxFileBytes else {
            throw CalibyError.tooLarge(
                "\(command): an index of \(config.maxElements) elements of \(config.dimensions) dimensions may grow to "
                + "\(ByteCount.text(fullBytes)); an index may grow to at most \(ByteCount.text(IndexConfig.maxFileBytes))",
                lower: ["maxElements", "dimensions"])
        }
    }
}

/// What an index holds and where its bytes go (`caliby stats`, `Database.statistics(named:)`).
///
/// The parts are the bytes the index's data takes in its file: records that hold nodes and the
/// regions in use, counted exactly; `fileBytes` is what the files take on disk, which is more (a
/// region's last page is whole, the header and the formatted tables count, holes do not).
public struct IndexStatistics: Sendable, Equatable {
    /// The index's name.
    public let name: String
    /// HNSW or DiskANN.
    public let type: IndexType
    /// `maxElements`: the slots the file was laid out for.
    public let capacity: Int
    /// Vectors a search can return.
    public let live: Int
    /// Vectors deleted whose slots are not free yet: DiskANN frees them when it consolidates; HNSW
    /// gives them to new vectors once its never-used slots run out.
    public let deleted: Int
    /// Slots freed and waiting for the next inserts (DiskANN's, after a consolidation).
    public let freeSlots: Int
    /// Slots ever used: live, deleted and free together.
    public let slotsUsed: Int
    /// Bytes each part of the data takes, in a fixed order: graph (links and node state), vectors,
    /// id_map (user id → slot), codes (a DiskANN index's PQ codebook and codes), labels (DiskANN's
    /// label table), documents (the documents file: fields, field indexes, full text).
    public let parts: [Part]
    /// Bytes the index's files take on disk.
    public let fileBytes: Int

    /// Live vectors as a fraction of capacity: how full the index is for new inserts' purposes,
    /// where free slots count as room.
    public var fillFactor: Double { capacity == 0 ? 0 : Double(live) / Double(capacity) }

    /// One part of an index's data and the bytes it takes.
    public struct Part: Sendable, Equatable {
        /// graph, vectors, id_map, codes, labels or documents.
        public let name: String
        /// Bytes of the part's data.
        public let bytes: Int
        package init(_ name: String, _ bytes: Int) {
            self.name = name
            self.bytes = bytes
        }
    }

    package init(info: IndexInfo, slots: SlotStatistics, parts: [Part], fileBytes: Int) {
        name = info.name
        type = info.type
        capacity = info.config.maxElements
        live = slots.live
        deleted = slots.deleted
        freeSlots = slots.free
        slotsUsed = slots.used
        self.parts = parts
        self.fileBytes = fileBytes
    }
}

/// How a graph index's slots are used, read under its header lock in one look.
package struct SlotStatistics: Sendable {
    package var used: Int
    package var deleted: Int
    package var free: Int
    package var live: Int { used - deleted - free }
}

/// Totals of the engine's work since the process started: take a snapshot before an operation and
/// one after, and their difference (`-`) is what the operation cost.
///
/// The I/O counts are the shared buffer pool's (`Caliby.setBufferConfig`); the search counts add
/// every graph search's, a build's included. Counts from other threads' work at the same time are
/// in the difference too.
public struct EngineCounters: Sendable, Equatable {
    /// Pages read from index and document files into the pool (misses).
    public var pagesRead = 0
    /// The bytes of those pages.
    public var bytesRead = 0
    /// Pages written to the files: evictions of changed pages, commits, formatting of new files.
    public var pagesWritten = 0
    /// The bytes of those pages.
    public var bytesWritten = 0
    /// Pages the pool took out of memory to make room.
    public var evictions = 0
    /// Pages graph searches read a record, link list or code from, in the pool or not.
    public var pageAccesses = 0
    /// Distances graph searches computed (exact, or from PQ codes).
    public var distanceComputations = 0

    /// All zero.
    public init() {}

    /// Page accesses the pool answered from memory. An estimate when anything but graph searches
    /// read pages meanwhile (documents, a check): their reads count as misses of the searches'.
    public var poolHits: Int { max(0, pageAccesses - pagesRead) }

    /// What happened between two snapshots: each count of `after` less that of `before`.
    public static func - (after: EngineCounters, before: EngineCounters) -> EngineCounters {
        var d = EngineCounters()
        d.pagesRead = after.pagesRead - before.pagesRead
        d.bytesRead = after.bytesRead - before.bytesRead
        d.pagesWritten = after.pagesWritten - before.pagesWritten
        d.bytesWritten = after.bytesWritten - before.bytesWritten
        d.evictions = after.evictions - before.evictions
        d.pageAccesses = after.pageAccesses - before.pageAccesses
        d.distanceComputations = after.distanceComputations - before.distanceComputations
        return d
    }

    package init(pool: BufferPool) {
        pagesRead = pool.pagesRead.load(ordering: .relaxed)
        bytesRead = pool.bytesRead.load(ordering: .relaxed)
        pagesWritten = pool.pagesWritten.load(ordering: .relaxed)
        bytesWritten = pool.bytesWritten.load(ordering: .relaxed)
        evictions = pool.evictions.load(ordering: .relaxed)
        pageAccesses = WorkCounters.pageAccesses.load(ordering: .relaxed)
        distanceComputations = WorkCounters.distances.load(ordering: .relaxed)
    }
}

extension Caliby {
    /// The engine's work so far in this process (see ``EngineCounters``).
    public static func counters() throws -> EngineCounters { EngineCounters(pool: try pool()) }
}

extension Database {
    /// An index's slots and where its bytes go (see ``IndexStatistics``).
    /// - Throws: ``CalibyError/noSuchIndex(_:)``.
    public func statistics(named name: String) throws -> IndexStatistics {
        try requireOpen()
        let info = try info(named: name)
        let (slots, parts) = try index(named: name).storageStatistics()
        let documents = try info.documentFileName.map { try fileBytes($0) } ?? 0
        return IndexStatistics(info: info, slots: slots, parts: parts + [.init("documents", documents)],
                               fileBytes: try diskBytes(of: info))
    }
}

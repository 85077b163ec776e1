import FoundationEssentials
import Glibc

/// The library's entry point: `Caliby.setBufferConfig` → `Caliby.open` → catalog calls on the
/// ``Database`` → ``Database/flush()`` → ``Database/close()``.
///
/// The buffer pool is process-wide: every directory and temporary index of the process shares it,
/// and its size is fixed once anything uses it.
public enum Caliby {
    /// The buffer pool's size unless `setBufferConfig` says otherwise: 2 GiB.
    public static let defaultBufferBytes = 2 << 30

    private static let mutex = Mutex()
    nonisolated(unsafe) private static var configuredBytes = defaultBufferBytes
    nonisolated(unsafe) private static var sharedPool: BufferPool?

    /// Sets the buffer pool's size in bytes: how much memory the process's cached pages may take.
    /// Indexes larger than this still work, from disk. Must come before `open` or any index is
    /// made; afterwards it throws ``CalibyError/configAfterInit``.
    public static func setBufferConfig(sizeBytes: Int) throws {
        try mutex.withLock {
            guard sharedPool == nil else { throw CalibyError.configAfterInit }
            _ = try BufferPool(budgetBytes: sizeBytes)
            configuredBytes = sizeBytes
        }
    }

    /// The process's pool, made on first use with the configured size.
    package static func pool() throws -> BufferPool {
        try mutex.withLock {
            if let sharedPool { return sharedPool }
            let pool = try BufferPool(budgetBytes: configuredBytes)
            sharedPool = pool
            return pool
        }
    }

    /// Opens a data directory, rolling back a transaction a crash interrupted.
    ///
    /// - Parameters:
    ///   - directory: the data directory's path.
    ///   - mode: `.readWrite` takes the directory alone; `.readOnly` shares it with other readers.
    ///   - create: makes the directory (and its parents) and an empty catalog when they are missing.
    ///   - waitSeconds: how long to wait for another process's lock before throwing
    ///     ``CalibyError/locked(directory:holder:)``.
    /// - Throws: ``CalibyError/alreadyOpen(directory:)`` when this process has the directory open
    ///   already; ``CalibyError/notADataDirectory(_:)`` when it is not one and `create` is false.
    public static func open(_ directory: String, mode: AccessMode = .readWrite, create: Bool = false,
                            waitSeconds: Double = 0) throws -> Database {
        if create {
            guard mode == .readWrite else { throw CalibyError.invalidArgument("cannot create \(directory) read-only") }
            try initialize(directory, waitSeconds: waitSeconds)
        }
        return try Database(directory: directory, mode: mode, waitSeconds: waitSeconds, pool: pool())
    }

    /// `caliby init`: creates the directory, lock file and an empty catalog. Idempotent.
    @discardableResult
    package static func initialize(_ directory: String, waitSeconds: Double = 0) throws -> Bool {
        try FileSystem.makeDirectory(directory)
        let lock = try DirectoryLock(directory: directory, mode: .readWrite, waitSeconds: waitSeconds)
        defer { withExtendedLifetime(lock) {} }
        let catalogPath = directory + "/" + Database.catalogFileName
        if FileSystem.exists(catalogPath) { return false }
        try FileSystem.replaceAtomically(catalogPath, with: CatalogFile().encoded(), directory: directory)
        return true
    }

    /// `caliby recover --discard-journal`: sets aside a hot journal that opening refuses (damaged,
    /// or stale), under the directory's write lock, so the directory can be opened and checked.
    /// Whatever that journal would have undone stays as it is on disk. Returns where the journal
    /// was kept (`caliby.journal.discarded`), or nil when there was none.
    package static func discardJournal(_ directory: String, waitSeconds: Double = 0) throws -> String? {
        guard FileSystem.isDirectory(directory), FileSystem.exists(directory + "/" + Database.catalogFileName) else {
            throw CalibyError.notADataDirectory(directory)
        }
        let lock = try DirectoryLock(directory: directory, mode: .readWrite, waitSeconds: waitSeconds)
        defer { withExtendedLifetime(lock) {} }
        return try Journal.discard(directory: directory)
    }
}

/// An open data directory: the lock, the catalog, the journal and the open index files.
///
/// Every change since the last ``flush()`` is one transaction: `flush` commits it atomically and
/// durably, ``rollback()`` discards it, and a crash at any instant leaves the directory as the
/// last commit left it. ``close()`` refuses while changes are pending, so nothing is lost or kept
/// by accident.
///
/// Not for concurrent use from several threads, except searches, which may run in parallel while
/// nothing changes; `flush`, `rollback`, `create` and `drop` run while no index operation is in flight.
public final class Database {
    static let catalogFileName = "caliby_catalog"

    /// The path it was opened by.
    public let directory: String
    /// Read-only handles share the directory with other readers and refuse every change.
    public let mode: AccessMode
    package let pool: BufferPool
    private let lock: DirectoryLock
    let journal: Journal

    private(set) var catalog: CatalogFile
    private var catalogChanged = false
    private var spaces: [UInt32: PageSpace] = [:]
    private var deletedAtCommit: [String] = []
    /// Index objects built over `spaces`, owned here so each file has one; kept by the index layer.
    package var openObjects: [UInt32: AnyObject] = [:]
    /// What this open did with a journal it found.
    package private(set) var recoveryAtOpen = JournalRecovery.none
    /// Whether this open found a hot journal and rolled it back.
    public var recoveredAtOpen: Bool { recoveryAtOpen == .rolledBack }

    private var catalogPath: String { directory + "/" + Database.catalogFileName }
    /// False after `close`: the lock is gone, so nothing may be read or written.
    package private(set) var isOpen = true
    /// Set by the public API when a change failed after it began (see `CalibyError.transactionAborted`):
    /// the transaction may hold part of it, so only `rollback` is accepted.
    package var failedChange: String?

    init(directory: String, mode: AccessMode, waitSeconds: Double, pool: BufferPool) throws {
        let catalogPath = directory + "/" + Database.catalogFileName
        guard FileSystem.isDirectory(directory), FileSystem.exists(catalogPath) else {
            throw CalibyError.notADataDirectory(directory)
        }
        self.directory = directory
        self.mode = mode
        self.pool = pool
        lock = try DirectoryLock(directory: directory, mode: mode, waitSeconds: waitSeconds)
        journal = Journal(directory: directory)
        // Recovery never rewrites the catalog (journal invariant 4), so it can be read first.
        catalog = try Database.readCatalog(catalogPath)
        if FileSystem.exists(journal.path) {
            // Only a writer may roll back; a reader takes the write lock for as long as that takes.
            if mode == .readOnly { try lock.change(to: .readWrite, waitSeconds: waitSeconds) }
            recoveryAtOpen = try recover()
            if mode == .readOnly { try lock.change(to: .readOnly, waitSeconds: waitSeconds) }
        }
        journal.baseGeneration = catalog.generation
        journal.beforeOverwrite = { [unowned self] in try self.verifyLock() }
        if mode == .readWrite { try removeOrphans() }
    }

    /// A database dropped without `close`: its pages leave the shared pool with it, dirty ones
    /// unwritten, since evicting one later would write without the lock (which goes with this
    /// object). What it had written stays behind a hot journal, which the next open rolls back.
    deinit {
        for space in spaces.values { pool.forgetAll(of: space) }
    }

    private static func readCatalog(_ path: String) throws -> CatalogFile {
        try CatalogFile.decode(PosixFile(path: path, flags: O_RDONLY | PosixFile.inDirectory).readAll(), path: path)
    }

    private func recover() throws -> JournalRecovery {
        let directory = directory
        return try Journal.recover(directory: directory, generation: catalog.generation,
                                   filePath: { directory + "/" + IndexInfo.fileName(id: $0) })
    }

    /// The lock file must still be the one this process locked (see DirectoryLock). If it was
    /// removed or replaced, lock what the name denotes now; that is safe only if nobody committed
    /// meanwhile, which the catalog's generation tells.
    private func verifyLock() throws {
        guard !lock.isIntact else { return }
        try lock.relock()
        guard try Database.readCatalog(catalogPath).generation == catalog.generation else {
            throw CalibyError.lockLost(directory: directory)
        }
    }

    /// Files of creates that never committed (journal invariant 5), and the temporaries of a catalog
    /// or journal that a crash caught before its rename.
    private func removeOrphans() throws {
        let known = Set(catalog.indexes.flatMap { [$0.fileName] + ($0.documentFileName.map { [$0] } ?? []) })
        var removed = false
        for name in try FileSystem.list(directory) where name.hasPrefix("index_") && !known.contains(name)
            || name == Database.catalogFileName + ".tmp" || name == Journal.fileName + ".tmp" {
            try FileSystem.remove(directory + "/" + name)
            removed = true
        }
        if removed { try FileSystem.syncDirectory(directory) }
    }

    // MARK: Catalog

    /// The catalog: every index, in the order they were created.
    public func listIndexes() -> [IndexInfo] { catalog.indexes }

    /// The catalog entry of one index.
    public func info(named name: String) throws -> IndexInfo {
        guard let info = catalog.indexes.first(where: { $0.name == name }) else { throw CalibyError.noSuchIndex(name) }
        return info
    }

    func requireOpen() throws {
        guard isOpen else { throw CalibyError.invalidArgument("\(directory): the database is closed") }
    }

    func requireWritable(_ what: String) throws {
        if mode == .readOnly { throw CalibyError.readOnly(what) }
    }

    /// Registers a new index and creates its empty file. The index layer formats it.
    package func registerIndex(name: String, type: IndexType, config: IndexConfig, pageSize: Int,
                              capacityPages: Int) throws -> (IndexInfo, PageSpace) {
        try requireWritable("create")
        try IndexName.validate(name)
        try config.validate()
        if catalog.indexes.contains(where: { $0.name == name }) { throw CalibyError.indexExists(name) }
        let nextID = catalog.nextID + 1
        if nextID > IndexInfo.documentFileBit { throw CalibyError.capacity(index: name, detail: "the catalog has given out every index id") }
        let info = IndexInfo(id: catalog.nextID, name: name, type: type, config: config, pageSize: pageSize,
                             capacityPages: capacityPages, createdAt: Int64(time(nil)))
        let space = try createFile(id: info.id, pageSize: pageSize, capacityPages: capacityPages)
        catalog.nextID = nextID
        catalog.indexes.append(info)
        catalogChanged = true
        return (info, space)
    }

    /// Creates an empty file of this directory and its page space. Never truncates: the catalog
    /// guarantees no index has this id, and files of uncommitted creates are removed at open, so an
    /// existing file means the directory is not what the catalog says, and its contents are not
    /// ours to destroy.
    private func createFile(id: UInt32, pageSize: Int, capacityPages: Int) throws -> PageSpace {
        let path = directory + "/" + IndexInfo.fileName(id: id)
        let file: PosixFile
        do {
            file = try PosixFile(path: path, flags: O_RDWR | O_CREAT | O_EXCL | PosixFile.inDirectory)
        } catch CalibyError.io(_, _, EEXIST) {
            throw CalibyError.corrupt(path: path, detail: "file exists already, though the catalog names no index with id \(id & ~IndexInfo.documentFileBit)")
        }
        let space = try PageSpace(pool: pool, file: file, fileID: id, journal: journal, pageSize: pageSize,
                                  capacityPages: capacityPages)
        spaces[id] = space
        return space
    }

    /// The file of an index, opened on first use (opening the directory reads only the catalog).
    package func space(for info: IndexInfo) throws -> PageSpace {
        try openFile(id: info.id, pageSize: info.pageSize, capacityPages: info.capacityPages)
    }

    /// The document file of an index with fields, opened on first use.
    func documentSpace(for info: IndexInfo) throws -> PageSpace {
        let layout = DocumentLayout(config: info.config)
        return try openFile(id: info.documentFileID, pageSize: DocumentLayout.pageSize, capacityPages: layout.capacityPages)
    }

    /// Creates the document file of an index that gets its first field (create, or alter).
    func createDocumentFile(for info: IndexInfo) throws -> PageSpace {
        try createFile(id: info.documentFileID, pageSize: DocumentLayout.pageSize,
                       capacityPages: DocumentLayout(config: info.config).capacityPages)
    }

    private func openFile(id: UInt32, pageSize: Int, capacityPages: Int) throws -> PageSpace {
        if let space = spaces[id] { return space }
        let path = directory + "/" + IndexInfo.fileName(id: id)
        guard FileSystem.exists(path) else { throw CalibyError.corrupt(path: path, detail: "index file is missing") }
        let file = try PosixFile(path: path, flags: (mode == .readWrite ? O_RDWR : O_RDONLY) | PosixFile.inDirectory)
        let space = try PageSpace(pool: pool, file: file, fileID: id, journal: mode == .readWrite ? journal : nil,
                                  pageSize: pageSize, capacityPages: capacityPages, readOnly: mode == .readOnly)
        spaces[id] = space
        return space
    }

    /// Bytes on disk of the index's files (graph and documents).
    package func diskBytes(of info: IndexInfo) throws -> Int {
        try ([info.fileName] + (info.documentFileName.map { [$0] } ?? [])).reduce(0) { $0 + (try fileBytes($1)) }
    }

    /// Bytes one file of the directory takes on disk.
    func fileBytes(_ name: String) throws -> Int {
        try PosixFile(path: directory + "/" + name, flags: O_RDONLY | PosixFile.inDirectory).allocatedBytes()
    }

    /// Changes what may change of an index's parameters after create (its schema, where its labels
    /// are kept); committed with the transaction.
    func updateConfig(ofIndex id: UInt32, _ change: (inout IndexConfig) -> Void) throws {
        try requireWritable("alter")
        guard let i = catalog.indexes.firstIndex(where: { $0.id == id }) else { throw CalibyError.noSuchIndex("#\(id)") }
        change(&catalog.indexes[i].config)
        catalogChanged = true
    }

    /// Gives index `info` new files under a new id, laid out for `config` (`resize`, `vacuum`,
    /// `reorder`), in the page size and page count that layout has:
    /// `fill` writes the new index file and, when the index has documents, the new document file;
    /// then the catalog entry names them, and the old files go when the transaction commits, as a
    /// dropped index's do. Before the commit point the new files are ones the catalog does not
    /// name, removed at the next open (journal invariant 5), so a crash anywhere leaves either the
    /// old index or the new one. A failure leaves the transaction to be rolled back.
    func replaceFiles(of info: IndexInfo, config: IndexConfig, fill: (IndexInfo, PageSpace, PageSpace?) throws -> Void) throws {
        guard let i = catalog.indexes.firstIndex(where: { $0.id == info.id }) else { throw CalibyError.noSuchIndex(info.name) }
        let nextID = catalog.nextID + 1
        if nextID > IndexInfo.documentFileBit { throw CalibyError.capacity(index: info.name, detail: "the catalog has given out every index id") }
        var replacement = info
        replacement.id = catalog.nextID
        replacement.config = config
        let layout = info.type.layout(config)
        replacement.pageSize = layout.pageSize
        replacement.capacityPages = layout.totalPages
        let space = try createFile(id: replacement.id, pageSize: layout.pageSize, capacityPages: layout.totalPages)
        catalog.nextID = nextID
        catalogChanged = true
        do {
            try fill(replacement, space, config.hasDocumentFile ? createDocumentFile(for: replacement) : nil)
        } catch {
            failedChange = "\(error)"
            throw error
        }
        catalog.indexes[i] = replacement
        for id in [info.id, info.documentFileID] {
            openObjects[id] = nil
            if let old = spaces.removeValue(forKey: id) { pool.forgetAll(of: old) }
        }
        deletedAtCommit += ([info.fileName] + (info.documentFileName.map { [$0] } ?? [])).map { directory + "/" + $0 }
    }

    /// Removes an index and its files; the files go when the transaction commits.
    public func dropIndex(named name: String) throws {
        try requireOpen()
        try requireWritable("drop")
        let info = try info(named: name)
        catalog.indexes.removeAll { $0.id == info.id }
        catalogChanged = true
        openObjects[info.id] = nil
        openObjects[info.documentFileID] = nil
        for id in [info.id, info.documentFileID] {
            if let space = spaces.removeValue(forKey: id) { pool.forgetAll(of: space) }
        }
        deletedAtCommit += ([info.fileName] + (info.documentFileName.map { [$0] } ?? [])).map { directory + "/" + $0 }
    }

    // MARK: Transactions (protocol in Journal.swift)

    /// Writes what open objects keep in memory for the transaction (the text index's pending
    /// documents), so that it is inside the commit.
    func writePendingChanges() throws {
        for object in openObjects.values { try (object as? PendingChanges)?.writePendingChanges() }
    }

    /// Whether anything changed since the last commit.
    public var hasUncommittedChanges: Bool {
        catalogChanged || journal.isActive || !deletedAtCommit.isEmpty
    }

    /// Commits every change since the last commit (journal invariant 3). A no-op when nothing
    /// changed. Throws `committedButNotDurable` when the change is in place but a sync after the
    /// commit point failed; any other error means nothing was committed (call `rollback`).
    public func flush() throws {
        try requireOpen()
        if let failedChange { throw CalibyError.transactionAborted(cause: failedChange) }
        guard mode == .readWrite, hasUncommittedChanges else { return }
        try writePendingChanges()
        try verifyLock()
        try journal.makeDurable()
        let changed = spaces.values.filter(\.hasChanges)
        for space in changed { try space.writeDirtyPages() }
        var next = catalog
        next.generation += 1
        var notDurable: CalibyError?
        do {
            try FileSystem.replaceAtomically(catalogPath, with: next.encoded(), directory: directory)
        } catch let error as CalibyError {
            guard case .committedButNotDurable = error else { throw error }
            notDurable = error
        }
        // Past the commit point: what follows only tidies up, and must not be mistaken for failure
        // of the commit itself.
        catalog = next
        catalogChanged = false
        journal.baseGeneration = catalog.generation
        for space in changed { space.endTransaction() }
        let deleted = deletedAtCommit
        deletedAtCommit.removeAll()
        do {
            try journal.finish()
            for path in deleted { try FileSystem.remove(path) }
        } catch let error as CalibyError {
            notDurable = notDurable ?? .committedButNotDurable(error.description)
        }
        if let notDurable { throw notDurable }
    }

    /// Discards every change since the last commit, restoring files from the journal. Inside the
    /// engine, index objects obtained before are stale afterwards (a ``VectorIndex`` finds its
    /// index again by name).
    public func rollback() throws {
        try requireOpen()
        failedChange = nil
        guard mode == .readWrite, hasUncommittedChanges else { return }
        for space in spaces.values { pool.forgetAll(of: space) }
        spaces.removeAll()
        openObjects.removeAll()
        journal.abandon()
        _ = try recover()
        catalog = try Database.readCatalog(catalogPath)
        journal.baseGeneration = catalog.generation
        catalogChanged = false
        deletedAtCommit.removeAll()
        try removeOrphans()
    }

    /// Releases the directory. Refuses with ``CalibyError/uncommittedChanges(directory:)`` while
    /// a transaction is pending: ``flush()`` keeps it, ``rollback()`` discards it. Closing twice is
    /// harmless; any other use afterwards throws.
    public func close() throws {
        guard isOpen else { return }
        if hasUncommittedChanges { throw CalibyError.uncommittedChanges(directory: directory) }
        isOpen = false
        for space in spaces.values { pool.forgetAll(of: space) }
        spaces.removeAll()
        openObjects.removeAll()
        lock.release()
    }
}

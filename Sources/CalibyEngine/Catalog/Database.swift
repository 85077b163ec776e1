import FoundationEssentials
import Glibc

/// The seed's module-level lifecycle, in Swift: `Caliby.setBufferConfig` → `Caliby.open` →
/// catalog calls on the `Database` → `flush` → `close`. The buffer pool is process-wide and fixed
/// once anything uses it.
public enum Caliby {
    public static let defaultBufferBytes = 2 << 30

    private static let mutex = Mutex()
    nonisolated(unsafe) private static var configuredBytes = defaultBufferBytes
    nonisolated(unsafe) private static var sharedPool: BufferPool?

    /// Must come before `open` or any index is made; afterwards it throws the seed's
    /// "Cannot change buffer config after system is initialized".
    public static func setBufferConfig(sizeBytes: Int) throws {
        try mutex.withLock {
            guard sharedPool == nil else { throw CalibyError.configAfterInit }
            _ = try BufferPool(budgetBytes: sizeBytes)
            configuredBytes = sizeBytes
        }
    }

    /// The process's pool, made on first use with the configured size.
    public static func pool() throws -> BufferPool {
        try mutex.withLock {
            if let sharedPool { return sharedPool }
            let pool = try BufferPool(budgetBytes: configuredBytes)
            sharedPool = pool
            return pool
        }
    }

    public static func open(_ directory: String, mode: AccessMode = .readWrite, waitSeconds: Double = 0) throws -> Database {
        try Database(directory: directory, mode: mode, waitSeconds: waitSeconds, pool: pool())
    }

    /// `caliby init`: creates the directory, lock file and an empty catalog. Idempotent.
    @discardableResult
    public static func initialize(_ directory: String, waitSeconds: Double = 0) throws -> Bool {
        try FileSystem.makeDirectory(directory)
        let lock = try DirectoryLock(directory: directory, mode: .readWrite, waitSeconds: waitSeconds)
        defer { withExtendedLifetime(lock) {} }
        let catalogPath = directory + "/" + Database.catalogFileName
        if FileSystem.exists(catalogPath) { return false }
        try FileSystem.replaceAtomically(catalogPath, with: CatalogFile().encoded(), directory: directory)
        return true
    }
}

/// An open data directory: the lock, the catalog, the journal and the open index files.
///
/// Not for concurrent use from several threads except through an index's own parallel operations;
/// `flush`, `rollback`, `create` and `drop` run while no index operation is in flight.
public final class Database {
    static let catalogFileName = "caliby_catalog"

    public let directory: String
    public let mode: AccessMode
    public let pool: BufferPool
    private let lock: DirectoryLock
    let journal: Journal

    private var catalog: CatalogFile
    private var committedCatalogBytes: [UInt8]
    private var catalogChanged = false
    private var spaces: [UInt32: PageSpace] = [:]
    private var deletedAtCommit: [String] = []
    /// Index objects built over `spaces`, owned here so each file has one; kept by the index layer.
    public var openObjects: [UInt32: AnyObject] = [:]
    /// Whether this open found a hot journal and rolled it back.
    public private(set) var recoveredAtOpen = false

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
        if FileSystem.exists(journal.path) {
            // Only a writer may roll back; a reader takes the write lock for as long as that takes.
            if mode == .readOnly { try lock.change(to: .readWrite, directory: directory, waitSeconds: waitSeconds) }
            recoveredAtOpen = try Database.recover(directory: directory)
            if mode == .readOnly { try lock.change(to: .readOnly, directory: directory, waitSeconds: waitSeconds) }
        }
        committedCatalogBytes = try PosixFile(path: catalogPath, flags: O_RDONLY).readAll()
        catalog = try CatalogFile.decode(committedCatalogBytes, path: catalogPath)
        if mode == .readWrite { try removeOrphans() }
    }

    private static func recover(directory: String) throws -> Bool {
        try Journal.recover(directory: directory,
                            filePath: { directory + "/" + IndexInfo.fileName(id: $0) },
                            restoreCatalog: {
                                try FileSystem.replaceAtomically(directory + "/" + catalogFileName, with: $0, directory: directory)
                            })
    }

    /// Files of creates that never committed (journal invariant 5).
    private func removeOrphans() throws {
        let known = Set(catalog.indexes.map(\.fileName))
        var removed = false
        for name in try FileSystem.list(directory) where name.hasPrefix("index_") && !known.contains(name)
            || name == Database.catalogFileName + ".tmp" {
            try FileSystem.remove(directory + "/" + name)
            removed = true
        }
        if removed { try FileSystem.syncDirectory(directory) }
    }

    // MARK: Catalog

    public func listIndexes() -> [IndexInfo] { catalog.indexes }

    public func info(named name: String) throws -> IndexInfo {
        guard let info = catalog.indexes.first(where: { $0.name == name }) else { throw CalibyError.noSuchIndex(name) }
        return info
    }

    func requireWritable(_ what: String) throws {
        if mode == .readOnly { throw CalibyError.readOnly(what) }
    }

    /// Registers a new index and creates its empty file. The index layer formats it.
    public func registerIndex(name: String, type: IndexType, config: IndexConfig, pageSize: Int,
                              capacityPages: Int) throws -> (IndexInfo, PageSpace) {
        try requireWritable("create")
        try IndexName.validate(name)
        try config.validate()
        if catalog.indexes.contains(where: { $0.name == name }) { throw CalibyError.indexExists(name) }
        let (nextID, exhausted) = catalog.nextID.addingReportingOverflow(1)
        if exhausted { throw CalibyError.capacity(index: name, detail: "the catalog has given out every index id") }
        let info = IndexInfo(id: catalog.nextID, name: name, type: type, config: config, pageSize: pageSize,
                             capacityPages: capacityPages, createdAt: Int64(time(nil)))
        let path = directory + "/" + info.fileName
        // Never truncate: the catalog guarantees no index has this id, and files of uncommitted
        // creates are removed at open, so an existing file means the directory is not what the
        // catalog says, and its contents are not ours to destroy.
        let file: PosixFile
        do {
            file = try PosixFile(path: path, flags: O_RDWR | O_CREAT | O_EXCL)
        } catch CalibyError.io(_, _, EEXIST) {
            throw CalibyError.corrupt(path: path, detail: "file exists already, though the catalog names no index with id \(info.id)")
        }
        let space = try PageSpace(pool: pool, file: file, fileID: info.id, journal: journal, pageSize: pageSize,
                                  capacityPages: capacityPages)
        catalog.nextID = nextID
        catalog.indexes.append(info)
        catalogChanged = true
        spaces[info.id] = space
        return (info, space)
    }

    /// The file of an index, opened on first use (opening the directory reads only the catalog).
    public func space(for info: IndexInfo) throws -> PageSpace {
        if let space = spaces[info.id] { return space }
        let path = directory + "/" + info.fileName
        guard FileSystem.exists(path) else { throw CalibyError.corrupt(path: path, detail: "index file is missing") }
        let file = try PosixFile(path: path, flags: mode == .readWrite ? O_RDWR : O_RDONLY)
        let space = try PageSpace(pool: pool, file: file, fileID: info.id, journal: mode == .readWrite ? journal : nil,
                                  pageSize: info.pageSize, capacityPages: info.capacityPages)
        spaces[info.id] = space
        return space
    }

    public func diskBytes(of info: IndexInfo) throws -> Int {
        try PosixFile(path: directory + "/" + info.fileName, flags: O_RDONLY).allocatedBytes()
    }

    public func dropIndex(named name: String) throws {
        try requireWritable("drop")
        let info = try info(named: name)
        catalog.indexes.removeAll { $0.id == info.id }
        catalogChanged = true
        openObjects[info.id] = nil
        if let space = spaces.removeValue(forKey: info.id) { pool.forgetAll(of: space) }
        deletedAtCommit.append(directory + "/" + info.fileName)
    }

    // MARK: Transactions (protocol in Journal.swift)

    public var hasUncommittedChanges: Bool {
        catalogChanged || journal.isActive || !deletedAtCommit.isEmpty
    }

    /// Commits every change since the last commit. A no-op when nothing changed.
    public func flush() throws {
        guard mode == .readWrite, hasUncommittedChanges else { return }
        if catalogChanged { try journal.recordCatalog(committedCatalogBytes) }
        try journal.makeDurable()
        let changed = spaces.values.filter(\.hasChanges)
        for space in changed { try space.writeDirtyPages() }
        if catalogChanged {
            let bytes = try catalog.encoded()
            try FileSystem.replaceAtomically(directory + "/" + Database.catalogFileName, with: bytes, directory: directory)
            committedCatalogBytes = bytes
            catalogChanged = false
        }
        try journal.commit()
        for space in changed { space.endTransaction() }
        if !deletedAtCommit.isEmpty {
            for path in deletedAtCommit { try FileSystem.remove(path) }
            deletedAtCommit.removeAll()
            try FileSystem.syncDirectory(directory)
        }
    }

    /// Discards every change since the last commit, restoring files from the journal. Index objects
    /// obtained before are stale afterwards; ask the database for them again.
    public func rollback() throws {
        guard mode == .readWrite, hasUncommittedChanges else { return }
        for space in spaces.values { pool.forgetAll(of: space) }
        spaces.removeAll()
        openObjects.removeAll()
        journal.abandon()
        _ = try Database.recover(directory: directory)
        let catalogPath = directory + "/" + Database.catalogFileName
        committedCatalogBytes = try PosixFile(path: catalogPath, flags: O_RDONLY).readAll()
        catalog = try CatalogFile.decode(committedCatalogBytes, path: catalogPath)
        catalogChanged = false
        deletedAtCommit.removeAll()
        try removeOrphans()
    }

    /// Releases the directory; uncommitted changes are rolled back (the seed: flush, then close).
    public func close() throws {
        try rollback()
        for space in spaces.values { pool.forgetAll(of: space) }
        spaces.removeAll()
        openObjects.removeAll()
        lock.release()
    }
}

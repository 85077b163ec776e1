import Glibc

/// The rollback journal (`caliby.journal`), after SQLite's pager. One transaction spans every
/// change a command makes to the directory; the journal holds what is needed to undo it.
///
/// Records, each with a checksum salted per journal so stale bytes never pass as records:
///     page      original image of a page that existed when the transaction began
///     fileSize  a file's size when the transaction first touched it (undo = truncate)
///     catalog   the committed catalog's bytes
///
/// Invariants (each is what makes a kill at any instant recoverable):
/// 1. Before any byte of a data file or the catalog is overwritten, the record that undoes it is in
///    the journal and the journal is fsynced (`makeDurable`), its directory entry too.
/// 2. A page is journaled at its first change in the transaction, while its image is still the
///    committed one; pages past the file's starting size are not journaled: truncation undoes them.
/// 3. Commit: journal durable → dirty pages written and fsynced → catalog replaced atomically →
///    journal unlinked and the directory fsynced. That unlink is the commit point.
/// 4. Opening with a journal present ("hot") rolls back: every valid record is applied, files are
///    fsynced, then the journal is unlinked. Replaying twice is harmless, so a crash during recovery
///    is recovered by the next open. A torn tail record fails its checksum and is ignored: nothing
///    it guards was written, by invariant 1.
/// 5. Files of dropped indexes are unlinked only after the commit point; files not named by the
///    committed catalog are removed at open (they belong to a create that never committed).
final class Journal: @unchecked Sendable {
    static let fileName = "caliby.journal"
    private static let magic: UInt64 = 0x314C_4E52_4A42_4C43  // "CLBJRNL1"
    private static let headerSize = 16
    private static let recordHeaderSize = 32

    enum RecordType: UInt32 { case page = 1, fileSize = 2, catalog = 3 }

    let directory: String
    let path: String
    private let mutex = Mutex()
    private var file: PosixFile?
    private var salt: UInt64 = 0
    private var end = 0
    private var unsynced = false
    private var catalogRecorded = false

    init(directory: String) {
        self.directory = directory
        self.path = directory + "/" + Journal.fileName
    }

    var isActive: Bool { mutex.withLock { file != nil } }

    func recordPage(fileID: UInt32, page: Int, image: UnsafeRawPointer, size: Int) throws {
        try append(.page, fileID: fileID, argument: UInt64(page), payload: UnsafeRawBufferPointer(start: image, count: size))
    }

    func recordFileSize(fileID: UInt32, bytes: Int) throws {
        try append(.fileSize, fileID: fileID, argument: UInt64(bytes), payload: UnsafeRawBufferPointer(start: nil, count: 0))
    }

    /// Records the committed catalog once per transaction.
    func recordCatalog(_ bytes: [UInt8]) throws {
        guard !mutex.withLock({ catalogRecorded }) else { return }
        try bytes.withUnsafeBytes { try append(.catalog, fileID: 0, argument: 0, payload: $0) }
        mutex.withLock { catalogRecorded = true }
    }

    private func append(_ type: RecordType, fileID: UInt32, argument: UInt64, payload: UnsafeRawBufferPointer) throws {
        try mutex.withLock {
            if file == nil { try start() }
            var header = [UInt8](repeating: 0, count: Journal.recordHeaderSize)
            header.withUnsafeMutableBytes { h in
                h.storeBytes(of: type.rawValue, toByteOffset: 0, as: UInt32.self)
                h.storeBytes(of: fileID, toByteOffset: 4, as: UInt32.self)
                h.storeBytes(of: argument, toByteOffset: 8, as: UInt64.self)
                h.storeBytes(of: UInt64(payload.count), toByteOffset: 16, as: UInt64.self)
                h.storeBytes(of: Journal.recordChecksum(salt: salt, header: UnsafeRawBufferPointer(h), payload: payload),
                             toByteOffset: 24, as: UInt64.self)
            }
            try file!.write(header, at: end)
            if payload.count > 0 { try file!.write(payload.baseAddress!, count: payload.count, at: end + header.count) }
            end += header.count + payload.count
            unsynced = true
        }
    }

    private func start() throws {
        let created = try PosixFile(path: path, flags: O_RDWR | O_CREAT | O_TRUNC)
        var generator = SystemRandomNumberGenerator()
        salt = generator.next() | 1
        var header = [UInt8](repeating: 0, count: Journal.headerSize)
        header.withUnsafeMutableBytes {
            $0.storeBytes(of: Journal.magic, toByteOffset: 0, as: UInt64.self)
            $0.storeBytes(of: salt, toByteOffset: 8, as: UInt64.self)
        }
        try created.write(header, at: 0)
        file = created
        end = Journal.headerSize
        // The journal's own directory entry must be durable before anything relies on it.
        try created.sync()
        try FileSystem.syncDirectory(directory)
    }

    /// Invariant 1: called before any data-file or catalog overwrite.
    func makeDurable() throws {
        try mutex.withLock {
            guard unsynced, let file else { return }
            try file.sync()
            unsynced = false
        }
    }

    /// Forgets an unfinished transaction without touching the file; `recover` then undoes it.
    func abandon() {
        mutex.withLock {
            file = nil
            end = 0
            unsynced = false
            catalogRecorded = false
        }
    }

    /// Invariant 3's commit point.
    func commit() throws {
        try mutex.withLock {
            guard file != nil else { return }
            file = nil
            try FileSystem.remove(path)
            try FileSystem.syncDirectory(directory)
            end = 0
            unsynced = false
            catalogRecorded = false
        }
    }

    private static func recordChecksum(salt: UInt64, header: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer) -> UInt64 {
        var words = [UInt64](repeating: 0, count: 4)
        words[0] = salt
        for i in 0..<3 { words[i + 1] = header.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self) }
        let headSum = words.withUnsafeBytes { PageTrailer.checksum($0.baseAddress!, count: 32) }
        guard payload.count > 0 else { return headSum }
        let body = payload.count / 8 * 8
        var sum = headSum ^ PageTrailer.checksum(payload.baseAddress!, count: body)
        for i in body..<payload.count { sum = (sum ^ UInt64(payload[i])) &* 0x100_0000_01B3 }
        return sum
    }

    /// Invariant 4. Returns whether a transaction was rolled back. `filePath` maps a file id to its
    /// path; `restoreCatalog` rewrites the catalog with committed bytes.
    static func recover(directory: String, filePath: (UInt32) -> String,
                        restoreCatalog: ([UInt8]) throws -> Void) throws -> Bool {
        let path = directory + "/" + fileName
        guard FileSystem.exists(path) else { return false }
        let journal = try PosixFile(path: path, flags: O_RDONLY)
        let size = try journal.size()
        var header = [UInt8](repeating: 0, count: headerSize)
        let got = try header.withUnsafeMutableBytes { try journal.read(into: $0.baseAddress!, count: headerSize, at: 0) }
        let valid = got == headerSize && header.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) } == magic
        if valid {
            let salt = header.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self) }
            var files: [UInt32: PosixFile] = [:]
            func open(_ id: UInt32) throws -> PosixFile? {
                if let file = files[id] { return file }
                guard FileSystem.exists(filePath(id)) else { return nil }
                let file = try PosixFile(path: filePath(id), flags: O_RDWR)
                files[id] = file
                return file
            }
            var sizes: [(UInt32, Int)] = []
            var offset = headerSize
            var recordHeader = [UInt8](repeating: 0, count: recordHeaderSize)
            while offset + recordHeaderSize <= size {
                _ = try recordHeader.withUnsafeMutableBytes {
                    try journal.read(into: $0.baseAddress!, count: recordHeaderSize, at: offset)
                }
                let (rawType, fileID, argument, length, stored) = recordHeader.withUnsafeBytes {
                    ($0.loadUnaligned(fromByteOffset: 0, as: UInt32.self), $0.loadUnaligned(fromByteOffset: 4, as: UInt32.self),
                     $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self), $0.loadUnaligned(fromByteOffset: 16, as: UInt64.self),
                     $0.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
                }
                guard let type = RecordType(rawValue: rawType), length <= UInt64(size - offset - recordHeaderSize) else { break }
                var payload = [UInt8](repeating: 0, count: Int(length))
                if length > 0 {
                    _ = try payload.withUnsafeMutableBytes {
                        try journal.read(into: $0.baseAddress!, count: Int(length), at: offset + recordHeaderSize)
                    }
                }
                let sum = recordHeader.withUnsafeBytes { h in
                    payload.withUnsafeBytes { recordChecksum(salt: salt, header: h, payload: $0) }
                }
                guard sum == stored else { break }
                switch type {
                case .page:
                    if let file = try open(fileID) {
                        let page = Int(argument)
                        try payload.withUnsafeMutableBytes {
                            PageTrailer.stamp($0.baseAddress!, pageSize: $0.count, pageNumber: page)
                            try file.write($0.baseAddress!, count: $0.count, at: page * $0.count)
                        }
                    }
                case .fileSize:
                    sizes.append((fileID, Int(argument)))
                case .catalog:
                    try restoreCatalog(payload)
                }
                offset += recordHeaderSize + Int(length)
            }
            for (id, bytes) in sizes { try open(id)?.truncate(to: bytes) }
            for file in files.values { try file.sync() }
        }
        try FileSystem.remove(path)
        try FileSystem.syncDirectory(directory)
        return valid
    }
}

import Glibc

/// The rollback journal (`caliby.journal`), after SQLite's pager. One transaction spans every
/// change a command makes to the directory; the journal holds what is needed to undo it.
///
/// Layout (format 2):
///
///     [0, 512)   header, a sector to itself so that rewriting the record count never tears a record:
///                UInt64 magic "CLBJRNL2", UInt64 nonce (random per journal), UInt64 base generation
///                (the catalog generation this transaction undoes back to), UInt64 record count (how
///                many records are durable), UInt64 checksum of the four fields before it
///     [512, …)   records: UInt32 type, UInt32 file id, UInt64 argument, UInt64 payload length,
///                UInt64 checksum (seeded by the nonce and the record's ordinal), then the payload
///
///     page      the original image of a page that existed when the transaction began
///     zeroPage  a page that was never written (a hole) when the transaction began, payload its
///               UInt64 size: undone by punching the hole again, which needs no free space
///     fileSize  a file's size when the transaction first touched it (undo = truncate)
///
/// Invariants (each is what makes a kill or a power cut at any instant recoverable):
/// 1. Before any byte of a data file is overwritten, the record that undoes it is durable and
///    counted: records fsynced, then the header's count rewritten and fsynced (`makeDurable`).
///    The journal is born whole: header fsynced under a temporary name, renamed, directory fsynced
///    (`start`), so a journal whose header does not verify is damage, never a crash's leftover.
/// 2. A page is journaled at its first change in the transaction, while its image is still the
///    committed one; pages past the file's starting size are not journaled: truncation undoes them.
/// 3. Commit (Database.flush): journal durable → dirty pages written and fsynced → the catalog,
///    with its generation one higher, replaced by rename and the directory fsynced. That rename is
///    the commit point. The journal is unlinked after it.
/// 4. Opening with a journal present ("hot") compares its base generation G with the catalog's C:
///      C == G      the commit point was not reached: apply every counted record (all must verify,
///                  or nothing is applied and the open fails), fsync, unlink the journal;
///      C == G + 1  the commit point was reached: the journal is just removed;
///      otherwise   the journal belongs to another transaction (a stale copy put back): refused.
///    Replaying twice is harmless, so a crash during recovery is recovered by the next open.
///    Records past the count are a torn tail: nothing they guard was written, by invariant 1.
/// 5. Files of dropped indexes are unlinked only after the commit point; files not named by the
///    committed catalog are removed at open (they belong to a create that never committed).
/// 6. The writer holds an fcntl write lock on the journal for the life of the transaction, so a
///    process that finds the journal locked knows a transaction is running beside it (its directory
///    lock was bypassed, e.g. by a removed lock file) and refuses to touch it.
final class Journal: @unchecked Sendable {
    static let fileName = "caliby.journal"
    static let magic: UInt64 = 0x324C_4E52_4A42_4C43  // "CLBJRNL2"
    /// Format 1 (before record counts and generations), recognised only to say so.
    private static let formerMagic: UInt64 = 0x314C_4E52_4A42_4C43  // "CLBJRNL1"
    static let headerSize = 512
    private static let headerFieldBytes = 40
    private static let recordHeaderSize = 32

    enum RecordType: UInt32 { case page = 1, fileSize = 2, zeroPage = 4 }

    let directory: String
    let path: String
    private let mutex = Mutex()
    private var file: PosixFile?
    private var nonce: UInt64 = 0
    private var end = 0
    private var appended = 0
    private var counted = 0
    /// The committed catalog generation: a new journal names it as the one it undoes back to.
    var baseGeneration: UInt64 = 0
    /// Runs before the journal is made durable for an overwrite (the directory lock's re-check).
    var beforeOverwrite: (() throws -> Void)?

    init(directory: String) {
        self.directory = directory
        self.path = directory + "/" + Journal.fileName
    }

    var isActive: Bool { mutex.withLock { file != nil } }

    func recordPage(fileID: UInt32, page: Int, image: UnsafeRawPointer, size: Int) throws {
        try append(.page, fileID: fileID, argument: UInt64(page), payload: UnsafeRawBufferPointer(start: image, count: size))
    }

    func recordZeroPage(fileID: UInt32, page: Int, size: Int) throws {
        var size = UInt64(size)
        try withUnsafeBytes(of: &size) { try append(.zeroPage, fileID: fileID, argument: UInt64(page), payload: $0) }
    }

    func recordFileSize(fileID: UInt32, bytes: Int) throws {
        try append(.fileSize, fileID: fileID, argument: UInt64(bytes), payload: UnsafeRawBufferPointer(start: nil, count: 0))
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
                h.storeBytes(of: Journal.recordChecksum(nonce: nonce, ordinal: appended, header: UnsafeRawBufferPointer(h),
                                                        payload: payload),
                             toByteOffset: 24, as: UInt64.self)
            }
            try file!.write(header, at: end)
            if payload.count > 0 { try file!.write(payload.baseAddress!, count: payload.count, at: end + header.count) }
            end += header.count + payload.count
            appended += 1
        }
    }

    /// Creates the journal so that the name `caliby.journal` only ever denotes a file whose header
    /// is durable: written and fsynced under a temporary name, then renamed, then the directory
    /// fsynced. A crash before the rename leaves only the temporary, which is not a hot journal.
    /// Hence a journal with an unreadable header is damage, never an interrupted start.
    private func start() throws {
        let temporary = path + ".tmp"
        try FileSystem.remove(temporary)
        let created = try PosixFile(path: temporary, flags: O_RDWR | O_CREAT | O_EXCL | PosixFile.inDirectory)
        do {
            try Journal.lockTransaction(created)
            var generator = SystemRandomNumberGenerator()
            nonce = generator.next() | 1
            try created.write(Journal.header(nonce: nonce, base: baseGeneration, count: 0), at: 0)
            try created.sync()
            // A journal that appeared since this process opened the directory belongs to a
            // transaction running beside it (a bypassed lock): never replace it.
            if FileSystem.exists(path) { throw CalibyError.journalInUse(path: path) }
            try FileSystem.rename(temporary, path)
            try FileSystem.syncDirectory(directory)
        } catch {
            try? FileSystem.remove(temporary)
            throw error
        }
        file = created
        end = Journal.headerSize
        appended = 0
        counted = 0
    }

    /// Invariant 1: called before any data-file overwrite.
    func makeDurable() throws {
        try mutex.withLock {
            guard let file, appended > counted else { return }
            try beforeOverwrite?()
            try file.sync()
            try file.write(Journal.header(nonce: nonce, base: baseGeneration, count: appended), at: 0)
            try file.sync()
            counted = appended
        }
    }

    /// Forgets an unfinished transaction without touching the file; `recover` then undoes it.
    func abandon() {
        mutex.withLock {
            file = nil
            end = 0
            appended = 0
            counted = 0
        }
    }

    /// After invariant 3's commit point: the journal has nothing left to undo.
    func finish() throws {
        try mutex.withLock {
            guard file != nil else { return }
            file = nil
            end = 0
            appended = 0
            counted = 0
            try FileSystem.remove(path)
        }
    }

    static func header(nonce: UInt64, base: UInt64, count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: headerSize)
        bytes.withUnsafeMutableBytes {
            for (i, value) in [magic, nonce, base, UInt64(count)].enumerated() {
                $0.storeBytes(of: value, toByteOffset: i * 8, as: UInt64.self)
            }
            $0.storeBytes(of: PageTrailer.checksum($0.baseAddress!, count: 32), toByteOffset: 32, as: UInt64.self)
        }
        return bytes
    }

    static func recordChecksum(nonce: UInt64, ordinal: Int, header: UnsafeRawBufferPointer,
                                       payload: UnsafeRawBufferPointer) -> UInt64 {
        var words = [UInt64](repeating: 0, count: 4)
        words[0] = nonce ^ (UInt64(ordinal) &* 0x9E37_79B9_7F4A_7C15)
        for i in 0..<3 { words[i + 1] = header.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self) }
        let headSum = words.withUnsafeBytes { PageTrailer.checksum($0.baseAddress!, count: 32) }
        guard payload.count > 0 else { return headSum }
        let body = payload.count / 8 * 8
        var sum = headSum ^ PageTrailer.checksum(payload.baseAddress!, count: body)
        for i in body..<payload.count { sum = (sum ^ UInt64(payload[i])) &* 0x100_0000_01B3 }
        return sum
    }

    /// Moves a hot journal that recovery refuses out of the way (`caliby recover --discard-journal`),
    /// keeping it as `caliby.journal.discarded` for inspection. The caller holds the directory's
    /// write lock. Returns the new path, or nil when there was no journal.
    static func discard(directory: String) throws -> String? {
        let path = directory + "/" + fileName
        guard FileSystem.exists(path) else { return nil }
        let journal = try PosixFile(path: path, flags: O_RDWR | PosixFile.inDirectory)
        try lockTransaction(journal)
        let kept = path + ".discarded"
        try FileSystem.rename(path, kept)
        try FileSystem.syncDirectory(directory)
        return kept
    }

    /// Invariant 6: the transaction's owner holds the journal write-locked.
    private static func lockTransaction(_ file: PosixFile) throws {
        var request = flock()
        request.l_type = Int16(F_WRLCK)
        request.l_whence = Int16(SEEK_SET)
        guard fcntl(file.fd, F_SETLK, &request) == 0 else {
            let code = errno
            if code == EAGAIN || code == EACCES { throw CalibyError.journalInUse(path: file.path) }
            throw CalibyError.io(path: file.path, operation: "fcntl lock", errno: code)
        }
    }

    /// Invariant 4. `generation` is the committed catalog's; `filePath` maps a file id to its path.
    static func recover(directory: String, generation: UInt64, filePath: (UInt32) -> String) throws -> JournalRecovery {
        let path = directory + "/" + fileName
        guard FileSystem.exists(path) else { return .none }
        let journal = try PosixFile(path: path, flags: O_RDWR | PosixFile.inDirectory)
        try lockTransaction(journal)
        let size = try journal.size()
        var header = [UInt8](repeating: 0, count: headerFieldBytes)
        let got = try header.withUnsafeMutableBytes { try journal.read(into: $0.baseAddress!, count: headerFieldBytes, at: 0) }
        let outcome: JournalRecovery
        let fields = header.withUnsafeBytes { h in (0..<5).map { h.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self) } }
        let sum = header.withUnsafeBytes { PageTrailer.checksum($0.baseAddress!, count: 32) }
        // A newer journal's header may not even checksum the same way: its version decides first.
        _ = try FileFormat.journal.accept(fields[0], path: path)
        if fields[0] == formerMagic {
            throw CalibyError.journalDamaged(
                path: path, detail: "it was written by an older caliby (journal format 1): recover with that version")
        }
        guard got == headerFieldBytes, fields[0] == magic, fields[4] == sum else {
            throw CalibyError.journalDamaged(path: path, detail: "its header is not a Caliby journal's (magic or checksum wrong)")
        }
        let (nonce, base, count) = (fields[1], fields[2], fields[3])
        if generation == base &+ 1 {
            outcome = .alreadyCommitted
        } else if generation != base {
            throw CalibyError.journalDamaged(
                path: path, detail: "it undoes generation \(base) but the catalog is at generation \(generation): it is stale")
        } else {
            let records = try verifiedRecords(journal, path: path, size: size, nonce: nonce, count: count)
            try apply(records, from: journal, filePath: filePath)
            outcome = .rolledBack
        }
        try FileSystem.remove(path)
        try FileSystem.syncDirectory(directory)
        return outcome
    }

    private struct Record {
        var type: RecordType
        var fileID: UInt32
        var argument: UInt64
        var payloadOffset: Int
        var length: Int
    }

    /// Every counted record, each checked before any is applied: a journal damaged after it was
    /// written must not be half-applied.
    private static func verifiedRecords(_ journal: PosixFile, path: String, size: Int, nonce: UInt64,
                                        count: UInt64) throws -> [Record] {
        var records: [Record] = []
        var offset = headerSize
        var recordHeader = [UInt8](repeating: 0, count: recordHeaderSize)
        var payload: [UInt8] = []
        for ordinal in 0..<Int(min(count, UInt64(Int.max))) {
            func damaged(_ what: String) -> CalibyError {
                .journalDamaged(path: path, detail: "record \(ordinal + 1) of \(count) \(what)")
            }
            guard offset + recordHeaderSize <= size else { throw damaged("is missing (the journal is truncated)") }
            _ = try recordHeader.withUnsafeMutableBytes {
                try journal.read(into: $0.baseAddress!, count: recordHeaderSize, at: offset)
            }
            let (rawType, fileID, argument, length, stored) = recordHeader.withUnsafeBytes {
                ($0.loadUnaligned(fromByteOffset: 0, as: UInt32.self), $0.loadUnaligned(fromByteOffset: 4, as: UInt32.self),
                 $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self), $0.loadUnaligned(fromByteOffset: 16, as: UInt64.self),
                 $0.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
            }
            guard length <= UInt64(size - offset - recordHeaderSize) else { throw damaged("is missing (the journal is truncated)") }
            payload = [UInt8](repeating: 0, count: Int(length))
            if length > 0 {
                _ = try payload.withUnsafeMutableBytes {
                    try journal.read(into: $0.baseAddress!, count: Int(length), at: offset + recordHeaderSize)
                }
            }
            let sum = recordHeader.withUnsafeBytes { h in
                payload.withUnsafeBytes { recordChecksum(nonce: nonce, ordinal: ordinal, header: h, payload: $0) }
            }
            guard sum == stored else { throw damaged("fails its checksum") }
            guard let type = RecordType(rawValue: rawType), plausible(type, argument: argument, payload: payload) else {
                throw damaged("has an impossible type, size or position")
            }
            records.append(Record(type: type, fileID: fileID, argument: argument, payloadOffset: offset + recordHeaderSize,
                                  length: Int(length)))
            offset += recordHeaderSize + Int(length)
        }
        return records
    }

    /// A record that passed its checksum but whose numbers no writer could have produced (a
    /// crafted journal) is refused rather than trusted with an offset.
    private static func plausible(_ type: RecordType, argument: UInt64, payload: [UInt8]) -> Bool {
        func isPageSize(_ n: UInt64) -> Bool { n >= 4096 && n <= 1 << 30 && n.nonzeroBitCount == 1 }
        switch type {
        case .page: return argument < 1 << 32 && isPageSize(UInt64(payload.count))
        case .zeroPage:
            return argument < 1 << 32 && payload.count == 8
                && isPageSize(payload.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        case .fileSize: return argument < 1 << 62 && payload.isEmpty
        }
    }

    private static func apply(_ records: [Record], from journal: PosixFile, filePath: (UInt32) -> String) throws {
        var files: [UInt32: PosixFile] = [:]
        func open(_ id: UInt32) throws -> PosixFile? {
            if let file = files[id] { return file }
            guard FileSystem.exists(filePath(id)) else { return nil }
            let file = try PosixFile(path: filePath(id), flags: O_RDWR | PosixFile.inDirectory)
            files[id] = file
            return file
        }
        var sizes: [(UInt32, Int)] = []
        var zeroPages: [(id: UInt32, page: Int, size: Int)] = []
        for record in records {
            switch record.type {
            case .page:
                guard let file = try open(record.fileID) else { continue }
                var image = [UInt8](repeating: 0, count: record.length)
                try image.withUnsafeMutableBytes {
                    try journal.read(into: $0.baseAddress!, count: record.length, at: record.payloadOffset)
                    let page = Int(record.argument)
                    PageTrailer.stamp($0.baseAddress!, pageSize: record.length, pageNumber: page)
                    try file.write($0.baseAddress!, count: record.length, at: page * record.length)
                }
            case .zeroPage:
                var size: UInt64 = 0
                _ = try withUnsafeMutableBytes(of: &size) { try journal.read(into: $0.baseAddress!, count: 8, at: record.payloadOffset) }
                zeroPages.append((record.fileID, Int(record.argument), Int(size)))
            case .fileSize:
                sizes.append((record.fileID, Int(record.argument)))
            }
        }
        for (id, bytes) in sizes { try open(id)?.truncate(to: bytes) }
        // After truncation, so a hole past the restored end is simply gone.
        for (id, page, size) in zeroPages {
            guard let file = try open(id) else { continue }
            let start = page * size
            let length = try min(size, max(0, file.size() - start))
            if length > 0 { try file.punchHole(at: start, count: length) }
        }
        for file in files.values { try file.sync() }
    }
}

/// What opening a directory did with a journal it found (journal invariant 4).
package enum JournalRecovery: Sendable, Equatable {
    /// No journal.
    case none
    /// An unfinished transaction was undone.
    case rolledBack
    /// The commit point had been reached; only the journal was left to remove.
    case alreadyCommitted
}

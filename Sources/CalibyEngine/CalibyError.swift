import Glibc

/// Every failure the engine reports. The engine never prints: the CLI turns `category` into an exit
/// status and `description` into the one-line message a user reads.
public enum CalibyError: Error, CustomStringConvertible, Equatable {
    /// Another process holds the directory lock in a conflicting mode (the documented wording, exit 75); `holder`
    /// is its process id when the kernel names it.
    case locked(directory: String, holder: Int32?)
    /// The buffer pool is already in use (the documented wording).
    case configAfterInit
    /// The path has no catalog (`Caliby.open(_:create:)` with `create: true` makes one).
    case notADataDirectory(String)
    /// An index name outside the allowed alphabet or length.
    case invalidName(String, reason: String)
    case indexExists(String)
    case noSuchIndex(String)
    /// A call that cannot be made as it stands; the message says why.
    case invalidArgument(String)
    /// An index parameter out of range; `name` is IndexConfig's ("dimensions", "hnsw.M"), which a
    /// front end may render as its own option.
    case invalidParameter(name: String, requirement: String, value: String)
    /// A change asked of a directory opened read-only; names the change.
    case readOnly(String)
    /// A system call failed; `errno` says why.
    case io(path: String, operation: String, errno: Int32)
    /// What a file holds is not what Caliby wrote (checksum, structure); nothing was changed.
    case corrupt(path: String, detail: String)
    /// Bad user data: `location` is "file:line" or "file: record N".
    case badInput(location: String, message: String)
    case noSuchFile(String)
    /// The index holds `maxElements` vectors already (or has run out of another fixed resource).
    case capacity(index: String, detail: String)
    /// An insert without `replace` of an id the index has.
    case duplicateID(index: String, id: UInt64)
    case noSuchID(index: String, id: UInt64)
    /// Every page of the buffer pool is latched at once: raise the pool's size.
    case bufferPoolExhausted(bytes: Int)
    /// The file system cannot take what a create would write (its empty tables); the message names
    /// both figures, `lower` the `IndexConfig` parameters that shrink them ("maxElements").
    case noSpace(String, lower: [String])
    /// An index whose file could outgrow what one file may take; `lower` as for `noSpace`.
    case tooLarge(String, lower: [String])
    /// A long operation stopped at the caller's request (Ctrl-C in the CLI).
    case interrupted
    /// A hot journal that recovery will not apply: damaged after it was written, or from another
    /// transaction. Nothing was applied; the journal is left in place.
    case journalDamaged(path: String, detail: String)
    /// Another process holds the journal of a transaction although this one holds the directory
    /// lock: the lock file was removed or replaced under a running writer.
    case journalInUse(path: String)
    /// The lock file was removed or replaced while this process held it, and the directory changed
    /// meanwhile; nothing was committed.
    case lockLost(directory: String)
    /// The commit point was passed (the change is in place) but a later sync failed, so a power
    /// loss might still undo it.
    case committedButNotDurable(String)
    /// A filter (`--where`) that does not parse or does not fit the schema; `column` counts Unicode
    /// scalars from 1 on `line`. The CLI prefixes its own flag name.
    case badFilter(line: Int, column: Int, message: String)
    /// A text query (`--text`) that does not parse; `column` counts Unicode scalars from 1. The CLI
    /// prefixes its own flag name.
    case badTextQuery(column: Int, message: String)
    /// The directory is already open in this process. fcntl locks belong to the process, so the
    /// kernel would grant a second lock, and closing either handle would drop both.
    case alreadyOpen(directory: String)
    /// `close` while a transaction is pending: `flush` keeps it, `rollback` discards it.
    case uncommittedChanges(directory: String)
    /// A change of this transaction failed part way, so the transaction may hold half of it;
    /// only `rollback` is accepted until then. `cause` is the failure's description.
    case transactionAborted(cause: String)
    /// A vector whose length is not the index's dimensions; `record` counts from 0 within a batch.
    case dimensionMismatch(index: String, expected: Int, actual: Int, record: Int?)
    /// Parallel inputs of different lengths ("3 vectors but 2 ids").
    case countMismatch(expected: String, actual: String)
    /// A file written by a newer caliby in a format this build does not read (see `FileFormat`).
    case newerFormat(path: String, kind: String, found: Int, supported: Int)

    /// Kinds of failure, for a program that reacts to a kind rather than a case (the CLI maps
    /// each to an exit status).
    public enum Category: Sendable {
        case usage, data, notFound, exists, io, locked, corrupt, capacity, interrupted, newerFormat
    }

    /// The kind of failure this is.
    public var category: Category {
        switch self {
        case .locked, .journalInUse, .lockLost, .alreadyOpen: return .locked
        case .configAfterInit, .invalidName, .invalidArgument, .invalidParameter, .readOnly, .badFilter, .badTextQuery, .tooLarge,
             .uncommittedChanges, .transactionAborted, .dimensionMismatch, .countMismatch: return .usage
        case .notADataDirectory, .noSuchIndex, .noSuchFile, .noSuchID: return .notFound
        case .indexExists, .duplicateID: return .exists
        case .io, .committedButNotDurable: return .io
        case .corrupt, .journalDamaged: return .corrupt
        case .badInput: return .data
        case .capacity, .bufferPoolExhausted, .noSpace: return .capacity
        case .interrupted: return .interrupted
        case .newerFormat: return .newerFormat
        }
    }

    /// One line naming the problem, what it concerns and, where there is one, the way out.
    public var description: String {
        switch self {
        case .locked(let dir, let holder):
            return "Data directory is already locked: \(dir) (\(holder.map { "process \($0)" } ?? "another process") is using it)"
        case .configAfterInit:
            return "Cannot change buffer config after system is initialized"
        case .notADataDirectory(let dir):
            return "\(dir): not a Caliby data directory"
        case .invalidName(let name, let reason):
            return "invalid index name '\(name)': \(reason)"
        case .indexExists(let name):
            return "index '\(name)' already exists"
        case .noSuchIndex(let name):
            return "no index named '\(name)'"
        case .invalidArgument(let message):
            return message
        case .invalidParameter(let name, let requirement, let value):
            return "\(name) must be \(requirement), got \(value)"
        case .readOnly(let what):
            return "\(what) needs write access, but the directory is open read-only"
        case .io(let path, let operation, let code):
            return "\(path): \(operation) failed: \(String(cString: strerror(code)))"
        case .corrupt(let path, let detail):
            return "\(path): data is damaged: \(detail)"
        case .badInput(let location, let message):
            return "\(location): \(message)"
        case .noSuchFile(let path):
            return "\(path): no such file"
        case .capacity(let index, let detail):
            return "index '\(index)' is full: \(detail)"
        case .duplicateID(let index, let id):
            return "index '\(index)' already has id \(id)"
        case .noSuchID(let index, let id):
            return "index '\(index)' has no id \(id)"
        case .bufferPoolExhausted(let bytes):
            return "buffer pool of \(bytes) bytes is too small: every cached page is in use"
        case .noSpace(let message, let lower), .tooLarge(let message, let lower):
            return "\(message) (lower \(lower.joined(separator: " or ")))"
        case .interrupted:
            return "interrupted"
        case .journalDamaged(let path, let detail):
            return "\(path): data is damaged: hot journal not applied: \(detail); nothing was changed"
        case .journalInUse(let path):
            return "\(path): another process is in the middle of a transaction although the directory lock was free "
                + "(was .caliby.lock removed?); leaving the directory alone"
        case .lockLost(let directory):
            return "\(directory): lost the directory lock (.caliby.lock was removed or replaced while held) and another "
                + "process changed the directory; nothing was committed"
        case .committedButNotDurable(let detail):
            return "the change is committed, but making it durable failed (a power loss may undo it): \(detail)"
        case .badFilter(let line, let column, let message):
            return "filter \(line):\(column): \(message)"
        case .badTextQuery(let column, let message):
            return "text query: column \(column): \(message)"
        case .alreadyOpen(let directory):
            return "Data directory is already locked: \(directory) (this process has it open already)"
        case .uncommittedChanges(let directory):
            return "\(directory): the transaction has uncommitted changes: flush() to keep them or rollback() to discard them before close()"
        case .transactionAborted(let cause):
            return "an earlier change of this transaction failed (\(cause)); rollback() before anything else"
        case .dimensionMismatch(let index, let expected, let actual, let record):
            return "\(record.map { "vector \($0)" } ?? "vector") has \(actual) values, but index '\(index)' has \(expected) dimensions"
        case .countMismatch(let expected, let actual):
            return "\(expected) but \(actual)"
        case .newerFormat(let path, let kind, let found, let supported):
            return "\(path) was written by a newer caliby (\(kind) format \(found); this caliby reads up to \(supported))"
        }
    }
}

/// Sizes in messages and help, in binary units with one decimal ("64.0 GiB"), as `df -h` and `ls -lh`
/// show them.
package enum ByteCount {
    package static func text(_ bytes: Int) -> String {
        let units = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        guard bytes >= 1024 else { return "\(bytes) bytes" }
        var value = Double(bytes) / 1024
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10) \(units[unit])"
    }
}

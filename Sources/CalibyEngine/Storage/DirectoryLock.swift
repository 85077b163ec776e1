import Glibc

/// How a data directory is opened.
public enum AccessMode: Sendable {
    /// Many readers at once; no writer while any holds it (fcntl read lock).
    case readOnly
    /// One process alone (fcntl write lock).
    case readWrite
}

/// The process-level guard of a data directory: an fcntl lock on `.caliby.lock`. The kernel drops it
/// when the process exits for any reason, so a killed holder never leaves the directory locked.
///
/// An fcntl lock belongs to a file, not to a name: if the lock file is removed or replaced (a tmp
/// cleaner, a user), the next process creates a new file under the name and locks that one beside
/// the holder. So a lock counts as taken only when, after locking, the name still denotes the
/// locked file (`fstat` of the descriptor = `lstat` of the path), and a writer checks that again
/// before each commit and before the journal lets a data file be overwritten (Database).
final class DirectoryLock {
    static let fileName = ".caliby.lock"
    private let directory: String
    private let path: String
    private var file: PosixFile
    private(set) var mode: AccessMode
    private var claim: OpenDirectories.Claim?

    /// Takes the lock in `mode`, polling until `waitSeconds` have passed, then fails with the documented
    /// "Data directory is already locked".
    init(directory: String, mode: AccessMode, waitSeconds: Double) throws {
        let path = directory + "/" + DirectoryLock.fileName
        self.directory = directory
        self.path = path
        self.mode = mode
        let claim = try OpenDirectories.claim(directory)
        do {
            file = try DirectoryLock.lockFile(path, mode, directory: directory, deadline: monotonicSeconds() + max(0, waitSeconds))
        } catch {
            OpenDirectories.release(claim)
            throw error
        }
        self.claim = claim
    }

    deinit { release() }

    /// Opens (creating it if missing) and locks the file `path` names, until the name still denotes
    /// the locked file afterwards: a name removed or replaced between the open and the lock sends
    /// it round again, for what the name denotes now.
    private static func lockFile(_ path: String, _ mode: AccessMode, directory: String, deadline: Double) throws -> PosixFile {
        for _ in 0..<100 {
            let candidate = try PosixFile(path: path, flags: O_RDWR | O_CREAT | PosixFile.inDirectory)
            try acquire(candidate, mode, directory: directory, deadline: deadline)
            if names(path, candidate) { return candidate }
        }
        throw CalibyError.io(path: path, operation: "lock (the file keeps being replaced)", errno: EAGAIN)
    }

    /// Whether `path` still names the file whose descriptor we hold.
    private static func names(_ path: String, _ file: PosixFile) -> Bool {
        var held = stat(), named = stat()
        guard fstat(file.fd, &held) == 0, lstat(path, &named) == 0 else { return false }
        return held.st_dev == named.st_dev && held.st_ino == named.st_ino
    }

    /// Whether the lock is still the directory's: its file is still the one `.caliby.lock` names.
    var isIntact: Bool { DirectoryLock.names(path, file) }

    /// After `isIntact` turned false: locks whatever the name denotes now (creating it if it is
    /// gone), without waiting. Throws `locked` if another process holds that one. The caller must
    /// still find out whether anyone changed the directory while the lock was not its own.
    func relock() throws {
        file = try DirectoryLock.lockFile(path, mode, directory: directory, deadline: monotonicSeconds())
    }

    /// Switches an already held lock; fcntl converts it in place.
    func change(to newMode: AccessMode, waitSeconds: Double) throws {
        try DirectoryLock.acquire(file, newMode, directory: directory, deadline: monotonicSeconds() + max(0, waitSeconds))
        mode = newMode
    }

    /// Lets go before the object dies (the REPL and tests reopen in one process).
    func release() {
        guard let claim else { return }
        self.claim = nil
        OpenDirectories.release(claim)
        var request = flock()
        request.l_type = Int16(F_UNLCK)
        request.l_whence = Int16(SEEK_SET)
        _ = fcntl(file.fd, F_SETLK, &request)
    }

    private static func acquire(_ file: PosixFile, _ mode: AccessMode, directory: String, deadline: Double) throws {
        while true {
            var request = flock()
            request.l_type = Int16(mode == .readWrite ? F_WRLCK : F_RDLCK)
            request.l_whence = Int16(SEEK_SET)
            request.l_start = 0
            request.l_len = 0
            if fcntl(file.fd, F_SETLK, &request) == 0 { return }
            let code = errno
            guard code == EAGAIN || code == EACCES || code == EINTR else {
                throw CalibyError.io(path: file.path, operation: "fcntl lock", errno: code)
            }
            if monotonicSeconds() >= deadline { throw CalibyError.locked(directory: directory, holder: holder(of: file, mode)) }
            usleep(10_000)
        }
    }

    /// The process holding a lock that conflicts with `mode`, so the refusal can name it. Nil when
    /// the kernel does not say (the holder let go meanwhile, or it holds an open-file-description lock).
    private static func holder(of file: PosixFile, _ mode: AccessMode) -> Int32? {
        var request = flock()
        request.l_type = Int16(mode == .readWrite ? F_WRLCK : F_RDLCK)
        request.l_whence = Int16(SEEK_SET)
        guard fcntl(file.fd, F_GETLK, &request) == 0, request.l_type != Int16(F_UNLCK), request.l_pid > 0 else { return nil }
        return request.l_pid
    }
}

/// The directories this process holds locks on. An fcntl lock belongs to the process: the kernel
/// grants a second lock on a file the process has locked already, and closing any descriptor of it
/// drops them all. So a second open of a directory in one process is refused here, before fcntl
/// could silently share the lock.
private enum OpenDirectories {
    /// A directory by identity, not by name: two spellings of one path are one directory.
    struct Claim: Hashable {
        let device: UInt64
        let inode: UInt64
    }

    private static let mutex = Mutex()
    nonisolated(unsafe) private static var held: Set<Claim> = []

    static func claim(_ directory: String) throws -> Claim {
        var status = stat()
        guard stat(directory, &status) == 0 else { throw CalibyError.io(path: directory, operation: "stat", errno: errno) }
        let claim = Claim(device: UInt64(status.st_dev), inode: UInt64(status.st_ino))
        try mutex.withLock {
            guard held.insert(claim).inserted else { throw CalibyError.alreadyOpen(directory: directory) }
        }
        return claim
    }

    static func release(_ claim: Claim) {
        mutex.withLock { _ = held.remove(claim) }
    }
}

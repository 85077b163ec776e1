import Glibc

public enum AccessMode: Sendable {
    /// Many readers at once; no writer while any holds it (fcntl read lock).
    case readOnly
    /// One process alone (fcntl write lock).
    case readWrite
}

/// The process-level guard of a data directory: an fcntl lock on `.caliby.lock`. The kernel drops it
/// when the process exits for any reason, so a killed holder never leaves the directory locked.
final class DirectoryLock {
    static let fileName = ".caliby.lock"
    private let file: PosixFile
    private(set) var mode: AccessMode

    /// Takes the lock in `mode`, polling until `waitSeconds` have passed, then fails with the seed's
    /// "Data directory is already locked".
    init(directory: String, mode: AccessMode, waitSeconds: Double) throws {
        file = try PosixFile(path: directory + "/" + DirectoryLock.fileName, flags: O_RDWR | O_CREAT)
        self.mode = mode
        try acquire(mode, directory: directory, waitSeconds: waitSeconds)
    }

    /// Switches an already held lock; fcntl converts it in place.
    func change(to newMode: AccessMode, directory: String, waitSeconds: Double) throws {
        try acquire(newMode, directory: directory, waitSeconds: waitSeconds)
        mode = newMode
    }

    /// Lets go before the object dies (the REPL and tests reopen in one process).
    func release() {
        var request = flock()
        request.l_type = Int16(F_UNLCK)
        request.l_whence = Int16(SEEK_SET)
        _ = fcntl(file.fd, F_SETLK, &request)
    }

    private func acquire(_ mode: AccessMode, directory: String, waitSeconds: Double) throws {
        let deadline = monotonicSeconds() + max(0, waitSeconds)
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
            if monotonicSeconds() >= deadline { throw CalibyError.locked(directory: directory) }
            usleep(10_000)
        }
    }
}

func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

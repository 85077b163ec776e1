import Glibc

/// The one door every file operation of the engine goes through (`PosixFile` and `FileSystem` call
/// nothing else), so that tests can stand between the engine and the disk the way SQLite's test
/// VFS does: fail the Nth write or fsync with EIO or ENOSPC, or record what was synced and cut the
/// power (Tests/CalibyEngineTests/SimulatedDisk.swift). In production no hook is installed and each
/// call costs one load and a branch beside its system call.
struct FileOperation {
    enum Kind: Sendable, CaseIterable {
        case open, read, readAhead, map, write, sync, truncate, punchHole, syncDirectory, unlink, rename, makeDirectory

        /// Operations that change what is on disk (the ones a crash can lose or a full disk refuse).
        var changesDisk: Bool { self != .open && self != .read && self != .readAhead && self != .map }
    }

    var kind: Kind
    var path: String
    /// The descriptor (-1 for path operations, and for `open` before it succeeded).
    var fd: Int32 = -1
    var offset = 0
    var count = 0
    /// `write`: the bytes being written (valid only during the hook call).
    var bytes: UnsafeRawBufferPointer?
    /// `open`: the flags.
    var flags: Int32 = 0
    /// `rename`: the new name.
    var target: String?
}

protocol FileIOHook: AnyObject {
    /// Before the operation: an errno makes it fail without touching the disk.
    func willPerform(_ operation: FileOperation) -> Int32?
    /// After the operation succeeded (`open` carries the new descriptor).
    func didPerform(_ operation: FileOperation)
}

enum FileIO {
    /// Installed and removed by tests while no engine operation runs; read without a lock.
    nonisolated(unsafe) static var hook: FileIOHook?

    /// Runs `syscall` (which returns < 0 and sets errno on failure) between the hook's two calls.
    /// Returns the syscall's result, or -1 with errno set.
    @inline(__always)
    static func perform(_ operation: @autoclosure () -> FileOperation, _ syscall: () -> Int) -> Int {
        guard let hook else { return syscall() }
        var op = operation()
        if let code = hook.willPerform(op) {
            errno = code
            return -1
        }
        let result = syscall()
        if result >= 0 {
            if op.kind == .open { op.fd = Int32(result) }
            hook.didPerform(op)
        }
        return result
    }

    /// Reads until `count` bytes or the end of the file, retrying interrupted calls; returns how
    /// many arrived. `read` makes one call for the bytes after the first `done` and returns its
    /// result; `offset` is where a positioned read starts (nil for a stream).
    @inline(__always)
    static func readFully(path: String, fd: Int32, count: Int, at offset: Int?, _ read: (_ done: Int) -> Int) throws -> Int {
        var done = 0
        while done < count {
            let n = perform(FileOperation(kind: .read, path: path, fd: fd, offset: offset.map { $0 + done } ?? 0, count: count - done)) {
                read(done)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw CalibyError.io(path: path, operation: "read", errno: errno)
            }
            if n == 0 { break }
            done += n
        }
        return done
    }
}

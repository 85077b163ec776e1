import CFileSystem
import Glibc

/// A file descriptor with the handful of calls the storage layer needs, each turning `errno` into a
/// `CalibyError.io` that names the file. Short reads and writes are retried until complete.
final class PosixFile {
    let path: String
    let fd: Int32

    /// Files inside a data directory are opened with `O_NOFOLLOW`: a symbolic link planted there
    /// must never make caliby write somewhere else, so a link is refused with its name.
    init(path: String, flags: Int32, mode: mode_t = 0o644) throws {
        let fd = Int32(FileIO.perform(FileOperation(kind: .open, path: path, flags: flags)) {
            Int(Glibc.open(path, flags | O_CLOEXEC, mode))
        })
        if fd < 0 {
            let code = errno
            if code == ENOENT { throw CalibyError.noSuchFile(path) }
            if code == ELOOP && flags & O_NOFOLLOW != 0 {
                throw CalibyError.corrupt(path: path, detail: "is a symbolic link (caliby never follows links inside a data directory)")
            }
            throw CalibyError.io(path: path, operation: "open", errno: code)
        }
        self.path = path
        self.fd = fd
    }

    /// The flags for a file the engine keeps inside a data directory.
    static let inDirectory: Int32 = O_NOFOLLOW

    /// A scratch file that no directory names: it vanishes with the process.
    static func anonymous() throws -> PosixFile {
        let base = ProcessEnvironment.value("TMPDIR") ?? "/tmp"
        var template = Array((base + "/caliby-temporary-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw CalibyError.io(path: base, operation: "create temporary file", errno: errno) }
        let path = String(cString: template)
        unlink(path)
        return PosixFile(fd: fd, path: path)
    }

    private init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    deinit { Glibc.close(fd) }

    /// Reads exactly `count` bytes at `offset`; returns how many were read before end of file.
    @discardableResult
    func read(into buffer: UnsafeMutableRawPointer, count: Int, at offset: Int) throws -> Int {
        try FileIO.readFully(path: path, fd: fd, count: count, at: offset) { done in
            pread(fd, buffer + done, count - done, off_t(offset + done))
        }
    }

    /// Asks the kernel to start reading `count` bytes at `offset` into its page cache and returns at
    /// once (POSIX_FADV_WILLNEED), so that several reads issued this way wait on the disk together.
    /// Only a hint: a failure changes nothing, and the `read` that follows reports any error.
    ///
    /// Advised in pieces of `readAheadPiece`: Linux starts at most the larger of the device's
    /// largest request and its read-ahead window per call (8 MiB here) and drops the rest. One call
    /// for 1M × 128's 32 MB of PQ codes left three quarters of them to the faults that followed,
    /// whose read-around went up to 8 MiB past the codes: 629 KiB read per query of a cold batch
    /// of 100, against 495 KiB in pieces (BENCHMARKS.md).
    func readAhead(at offset: Int, count: Int) {
        _ = FileIO.perform(FileOperation(kind: .readAhead, path: path, fd: fd, offset: offset, count: count)) {
            for start in stride(from: offset, to: offset + count, by: PosixFile.readAheadPiece) {
                // posix_fadvise returns its error instead of setting errno.
                let code = posix_fadvise(fd, off_t(start), off_t(min(PosixFile.readAheadPiece, offset + count - start)),
                                         POSIX_FADV_WILLNEED)
                if code != 0 {
                    errno = code
                    return -1
                }
            }
            return 0
        }
    }

    /// Linux's default read-ahead window; a device's largest request is not smaller.
    static let readAheadPiece = 128 << 10

    /// Maps `count` bytes of the file from `offset` (a multiple of the system page size)
    /// copy-on-write, with the page tables filled now (`MADV_POPULATE_READ`): the mapping shows the
    /// page cache's own pages, so bringing in file pages costs neither fresh memory nor a copy.
    /// Filling now is what makes a failed or short read an error here; touching a page that was
    /// never filled would raise SIGBUS instead. The caller owns the mapping (`munmap`).
    func mapFilled(at offset: Int, count: Int) throws -> UnsafeMutableRawPointer {
        var mapped: UnsafeMutableRawPointer?
        let done = FileIO.perform(FileOperation(kind: .map, path: path, fd: fd, offset: offset, count: count)) {
            guard let start = mmap(nil, count, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, off_t(offset)), start != MAP_FAILED
            else { return -1 }
            guard madvise(start, count, MADV_POPULATE_READ) == 0 else {
                let code = errno
                munmap(start, count)
                errno = code
                return -1
            }
            mapped = start
            return 0
        }
        guard done == 0, let mapped else { throw CalibyError.io(path: path, operation: "map", errno: errno) }
        return mapped
    }

    func write(_ buffer: UnsafeRawPointer, count: Int, at offset: Int) throws {
        var done = 0
        while done < count {
            let bytes = UnsafeRawBufferPointer(start: buffer + done, count: count - done)
            let n = FileIO.perform(FileOperation(kind: .write, path: path, fd: fd, offset: offset + done, count: count - done,
                                                 bytes: bytes)) {
                pwrite(fd, buffer + done, count - done, off_t(offset + done))
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw CalibyError.io(path: path, operation: "write", errno: errno)
            }
            done += n
        }
    }

    func write(_ bytes: [UInt8], at offset: Int) throws {
        try bytes.withUnsafeBytes { try write($0.baseAddress!, count: $0.count, at: offset) }
    }

    func readAll() throws -> [UInt8] {
        let count = try size()
        var bytes = [UInt8](repeating: 0, count: count)
        let got = try bytes.withUnsafeMutableBytes { try read(into: $0.baseAddress!, count: count, at: 0) }
        return Array(bytes.prefix(got))
    }

    func sync() throws {
        if FileIO.perform(FileOperation(kind: .sync, path: path, fd: fd), { Int(fsync(fd)) }) != 0 {
            throw CalibyError.io(path: path, operation: "fsync", errno: errno)
        }
    }

    func truncate(to size: Int) throws {
        if FileIO.perform(FileOperation(kind: .truncate, path: path, fd: fd, count: size), { Int(ftruncate(fd, off_t(size))) }) != 0 {
            throw CalibyError.io(path: path, operation: "truncate", errno: errno)
        }
    }

    /// Makes `count` bytes at `offset` read as zeros by freeing their blocks, so undoing the write
    /// of a page that was a hole needs no free space (a full disk must not stop recovery). Where
    /// the file system cannot punch holes, zeros are written instead.
    func punchHole(at offset: Int, count: Int) throws {
        let done = FileIO.perform(FileOperation(kind: .punchHole, path: path, fd: fd, offset: offset, count: count)) {
            Int(caliby_punch_hole(fd, Int64(offset), Int64(count)))
        }
        if done == 0 { return }
        guard errno == EOPNOTSUPP else { throw CalibyError.io(path: path, operation: "punch hole", errno: errno) }
        try write([UInt8](repeating: 0, count: count), at: offset)
    }

    func size() throws -> Int {
        var st = stat()
        if fstat(fd, &st) != 0 { throw CalibyError.io(path: path, operation: "stat", errno: errno) }
        return Int(st.st_size)
    }

    /// Bytes the file occupies on disk (holes excluded).
    func allocatedBytes() throws -> Int {
        var st = stat()
        if fstat(fd, &st) != 0 { throw CalibyError.io(path: path, operation: "stat", errno: errno) }
        return Int(st.st_blocks) * 512
    }
}

/// Directory-level operations; each durable change to a directory entry ends with `syncDirectory`.
enum FileSystem {
    /// Whether the name exists (a symbolic link counts, dangling or not: callers then refuse it).
    static func exists(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0
    }

    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    static func makeDirectory(_ path: String) throws {
        var prefix = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            prefix += "/" + part
            let made = FileIO.perform(FileOperation(kind: .makeDirectory, path: prefix)) { Int(mkdir(prefix, 0o755)) }
            if made != 0 && errno != EEXIST {
                throw CalibyError.io(path: prefix, operation: "mkdir", errno: errno)
            }
        }
        if !isDirectory(path) { throw CalibyError.io(path: path, operation: "mkdir", errno: ENOTDIR) }
    }

    /// Makes the directory's entries durable: a created, renamed or removed name survives a power
    /// loss only after this.
    static func syncDirectory(_ path: String) throws {
        let done = FileIO.perform(FileOperation(kind: .syncDirectory, path: path)) {
            let fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard fd >= 0 else { return -1 }
            defer { Glibc.close(fd) }
            return Int(fsync(fd))
        }
        if done != 0 { throw CalibyError.io(path: path, operation: "fsync directory", errno: errno) }
    }

    static func remove(_ path: String) throws {
        if FileIO.perform(FileOperation(kind: .unlink, path: path), { Int(unlink(path)) }) != 0 && errno != ENOENT {
            throw CalibyError.io(path: path, operation: "unlink", errno: errno)
        }
    }

    static func rename(_ from: String, _ to: String) throws {
        if FileIO.perform(FileOperation(kind: .rename, path: from, target: to), { Int(Glibc.rename(from, to)) }) != 0 {
            throw CalibyError.io(path: from, operation: "rename", errno: errno)
        }
    }

    static func list(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else { throw CalibyError.io(path: path, operation: "opendir", errno: errno) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Replaces `path` with `bytes` so that a crash leaves either the old or the new content:
    /// write a sibling, fsync it, rename over, fsync the directory. Once the rename is done the new
    /// content is in place even if the directory sync fails: that failure is reported as
    /// `committedButNotDurable`, so a caller never mistakes a replaced file for an unchanged one.
    static func replaceAtomically(_ path: String, with bytes: [UInt8], directory: String) throws {
        let temporary = path + ".tmp"
        try remove(temporary)
        let file = try PosixFile(path: temporary, flags: O_WRONLY | O_CREAT | O_EXCL | PosixFile.inDirectory)
        try file.write(bytes, at: 0)
        try file.sync()
        try rename(temporary, path)
        do {
            try syncDirectory(directory)
        } catch let error as CalibyError {
            throw CalibyError.committedButNotDurable(error.description)
        }
    }
}

/// Environment variables without Foundation; empty counts as unset.
package enum ProcessEnvironment {
    package static func value(_ name: String) -> String? {
        guard let raw = getenv(name) else { return nil }
        let value = String(cString: raw)
        return value.isEmpty ? nil : value
    }
}

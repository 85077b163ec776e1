import Glibc

/// How much a file system can still take, for checks made before a large write (create writes an
/// index's empty tables at once). The one place the engine asks the file system this.
enum FreeSpace {
    /// Bytes an unprivileged process may still write on the file system holding `path`: the blocks
    /// available to non-root users (`f_bavail`), not the root reserve (`f_bfree`).
    static func available(at path: String) throws -> Int {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { throw CalibyError.io(path: path, operation: "statvfs", errno: errno) }
        let (bytes, overflow) = UInt64(info.f_bavail).multipliedReportingOverflow(by: UInt64(info.f_frsize))
        return overflow || bytes > UInt64(Int.max) ? Int.max : Int(bytes)
    }
}

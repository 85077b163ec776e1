import Glibc

/// A pipe or terminal end (standard input or output) for the backup archive stream: sequential
/// reads and writes, no offsets, through `FileIO` like every other file operation. It owns a
/// duplicate of the descriptor, so closing it never closes the process's own stdin or stdout.
final class StreamFile {
    let path: String
    private let fd: Int32

    private init(descriptor: Int32, path: String) throws {
        let fd = Int32(FileIO.perform(FileOperation(kind: .open, path: path)) { Int(fcntl(descriptor, F_DUPFD_CLOEXEC, 0)) })
        guard fd >= 0 else { throw CalibyError.io(path: path, operation: "open", errno: errno) }
        self.fd = fd
        self.path = path
    }

    static func standardOutput() throws -> StreamFile { try StreamFile(descriptor: STDOUT_FILENO, path: "<stdout>") }
    static func standardInput() throws -> StreamFile { try StreamFile(descriptor: STDIN_FILENO, path: "<stdin>") }

    deinit { Glibc.close(fd) }

    func write(_ buffer: UnsafeRawPointer, count: Int) throws {
        var done = 0
        while done < count {
            let bytes = UnsafeRawBufferPointer(start: buffer + done, count: count - done)
            let n = FileIO.perform(FileOperation(kind: .write, path: path, fd: fd, count: count - done, bytes: bytes)) {
                Glibc.write(fd, buffer + done, count - done)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw CalibyError.io(path: path, operation: "write", errno: errno)
            }
            done += n
        }
    }

    /// Reads until `count` bytes or the end of the stream; returns how many arrived.
    func read(into buffer: UnsafeMutableRawPointer, count: Int) throws -> Int {
        try FileIO.readFully(path: path, fd: fd, count: count, at: nil) { done in Glibc.read(fd, buffer + done, count - done) }
    }
}

import Glibc

/// Large sequential `read`s into one buffer that decoders parse in place. Works for pipes and stdin,
/// where neither seeking nor the file size is available.
final class InputBuffer {
    /// Large enough that per-`read` overhead vanishes next to the copy, small enough to stay in L3.
    static let defaultCapacity = 4 << 20

    let displayName: String
    let totalBytes: Int?
    private(set) var bytesRead = 0
    private let file: PosixFile?  // owns and closes the descriptor; nil for stdin, which is not ours
    private let fd: Int32
    private var storage: UnsafeMutablePointer<UInt8>
    private var capacity: Int  // one more byte is allocated, so a final line can be NUL-terminated
    private var start = 0, end = 0  // unconsumed bytes
    private var atEnd = false

    init(path: String, capacity: Int) throws {
        if path == "-" {
            file = nil
            fd = STDIN_FILENO
            displayName = "<stdin>"
        } else {
            let file = try PosixFile(path: path, flags: O_RDONLY)
            self.file = file
            fd = file.fd
            displayName = path
        }
        var st = stat()
        let isRegular = fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
        totalBytes = isRegular ? Int(st.st_size) : nil
        if isRegular { _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL) }
        self.capacity = capacity
        storage = .allocate(capacity: capacity + 1)
    }

    deinit { storage.deallocate() }

    var available: Int { end - start }
    var front: UnsafeRawPointer { UnsafeRawPointer(storage + start) }
    func consume(_ count: Int) { start += count }

    /// Reads until at least `minimum` bytes are buffered or the input ends; returns the bytes buffered.
    /// Pointers into the buffer are invalidated.
    @discardableResult
    func fill(atLeast minimum: Int) throws -> Int {
        if available >= minimum || atEnd { return available }
        if minimum > capacity {
            let grown = max(minimum, capacity * 2)
            let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: grown + 1)
            bigger.update(from: storage + start, count: available)
            storage.deallocate()
            storage = bigger
            capacity = grown
        } else if start > 0 {
            memmove(storage, storage + start, available)
        }
        (start, end) = (0, available)
        while end < minimum && !atEnd {
            let n = read(fd, storage + end, capacity - end)
            if n < 0 {
                if errno == EINTR { continue }
                throw CalibyError.io(path: displayName, operation: "read", errno: errno)
            }
            if n == 0 { atEnd = true }
            end += n
            bytesRead += n
        }
        return available
    }

    /// The next line without its "\n" or "\r\n", NUL-terminated in place so that C parsers such as
    /// `strtof` stop at its end; nil at end of input. Valid until the next call.
    func nextLine() throws -> ByteSpan? {
        var scanned = 0
        while true {
            let line = storage + start
            if let found = memchr(line + scanned, Int32(UInt8(ascii: "\n")), available - scanned) {
                let newline = found.assumingMemoryBound(to: UInt8.self)
                start += newline - line + 1
                return Self.terminate(line, newline)
            }
            scanned = available
            if atEnd {
                guard available > 0 else { return nil }
                start = end
                return Self.terminate(line, line + scanned)
            }
            try fill(atLeast: available + 1)
        }
    }

    private static func terminate(_ line: UnsafeMutablePointer<UInt8>, _ stop: UnsafeMutablePointer<UInt8>) -> ByteSpan {
        var stop = stop
        if stop > line && stop[-1] == UInt8(ascii: "\r") { stop -= 1 }
        stop.pointee = 0
        return ByteSpan(start: line, end: stop)
    }
}

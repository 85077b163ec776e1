import Glibc

/// Where a backup's files go, one after the other, each written in order from its first byte.
protocol BackupSink: AnyObject {
    /// A file of `size` bytes begins.
    func begin(_ name: String, size: Int) throws
    /// The next `count` bytes of the current file, which start at `offset`. `isZero` says they are
    /// all zeros, so a sink that can leave a hole need not write them.
    func write(_ bytes: UnsafeRawPointer, count: Int, at offset: Int, isZero: Bool) throws
    /// The current file is complete.
    func end() throws
}

/// Writes each file into a directory being built (a backup's or a restore's staging directory):
/// created with O_EXCL, zeros left as holes (an index file is mostly holes until it fills),
/// sized, and fsynced before the next begins. The caller syncs the directory.
final class DirectorySink: BackupSink {
    let directory: String
    private var file: PosixFile?
    private var size = 0
    private(set) var bytesWritten = 0

    init(directory: String) { self.directory = directory }

    func begin(_ name: String, size: Int) throws {
        file = try PosixFile(path: directory + "/" + name, flags: O_WRONLY | O_CREAT | O_EXCL | PosixFile.inDirectory)
        self.size = size
    }

    func write(_ bytes: UnsafeRawPointer, count: Int, at offset: Int, isZero: Bool) throws {
        guard let file else { preconditionFailure("write before begin") }
        if !isZero { try file.write(bytes, count: count, at: offset) }
        bytesWritten += count
    }

    func end() throws {
        guard let file else { preconditionFailure("end before begin") }
        try file.truncate(to: size)
        try file.sync()
        self.file = nil
    }
}

/// Copies files into a sink, reading each page once and verifying its trailer as it passes.
enum PageCopy {
    /// Read in runs of this many bytes: large enough that the copy streams like `cp`.
    static let chunkBytes = 1 << 20

    /// Copies the page file `path` as `name`. Every page must verify or be all zeros (a page the
    /// layout has not reached yet is a hole); anything else stops the copy with `corrupt` naming
    /// the file and page, since a backup of damage would only hide it. Returns the file's size.
    @discardableResult
    static func copy(pageFile path: String, as name: String, pageSize: Int, into sink: BackupSink) throws -> Int {
        let file = try PosixFile(path: path, flags: O_RDONLY | PosixFile.inDirectory)
        let size = try file.size()
        guard size % pageSize == 0 else {
            throw CalibyError.corrupt(path: path, detail: "size \(size) is not a multiple of the page size \(pageSize)")
        }
        try sink.begin(name, size: size)
        let chunk = max(pageSize, chunkBytes / pageSize * pageSize)
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 4096)
        defer { buffer.deallocate() }
        var offset = 0
        while offset < size {
            let count = min(chunk, size - offset)
            // The directory lock keeps writers out, so a short read is a file changed under it.
            guard try file.read(into: buffer, count: count, at: offset) == count else {
                throw CalibyError.corrupt(path: path, detail: "the file shrank while it was copied")
            }
            // Runs of data pages and runs of holes, each handed over whole.
            var runStart = 0, runIsZero = false
            for at in stride(from: 0, to: count, by: pageSize) {
                let page = UnsafeRawPointer(buffer + at)
                let number = (offset + at) / pageSize
                var zero = false
                if let problem = PageTrailer.verify(page, pageSize: pageSize, pageNumber: number) {
                    guard isZero(page, offset: 0, count: pageSize) else {
                        throw CalibyError.corrupt(path: path, detail: "page \(number): \(problem)")
                    }
                    zero = true
                }
                if at == 0 {
                    runIsZero = zero
                } else if zero != runIsZero {
                    try sink.write(buffer + runStart, count: at - runStart, at: offset + runStart, isZero: runIsZero)
                    runStart = at
                    runIsZero = zero
                }
            }
            try sink.write(buffer + runStart, count: count - runStart, at: offset + runStart, isZero: runIsZero)
            offset += count
        }
        try sink.end()
        return size
    }

    /// A small file given whole (the catalog).
    static func copy(bytes: [UInt8], as name: String, into sink: BackupSink) throws {
        try sink.begin(name, size: bytes.count)
        try bytes.withUnsafeBytes { try sink.write($0.baseAddress!, count: $0.count, at: 0, isZero: false) }
        try sink.end()
    }
}

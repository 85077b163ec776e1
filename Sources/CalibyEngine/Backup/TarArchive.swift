import Glibc

/// The backup archive stream (`caliby backup --to -`): POSIX ustar, which GNU tar, bsdtar and
/// Python's tarfile all extract. One regular-file entry per file of the data directory, at the top
/// level (no directory entry: extract into a directory you choose), mode 0644, the time of the
/// backup; index files first and the catalog last, so an archive cut short extracts to something
/// without a catalog, which no command mistakes for a data directory. A file of 8 GiB or more
/// gives its size in the base-256 form GNU tar and bsdtar read. Holes travel as zeros. The
/// archive ends with two zero blocks.
enum TarArchive {
    static let block = 512

    /// Whether `name` is one a backup writes: `restore -` extracts nothing else, so an archive
    /// cannot place a file outside the directory or one a data directory does not expect.
    static func isBackupFileName(_ name: String) -> Bool {
        if name == Database.catalogFileName { return true }
        guard name.hasPrefix("index_") else { return false }
        let rest = name.dropFirst(6)
        for suffix in [".dat", ".docs"] where rest.hasSuffix(suffix) {
            let digits = rest.dropLast(suffix.count)
            return !digits.isEmpty && digits.count <= 10 && digits.allSatisfy { $0.isASCII && $0.isNumber }
        }
        return false
    }

    /// A ustar header block for a regular file.
    static func header(name: String, size: Int, mtime: Int) -> [UInt8] {
        var h = [UInt8](repeating: 0, count: block)
        func put(_ text: String, at offset: Int) {
            for (i, byte) in text.utf8.enumerated() { h[offset + i] = byte }
        }
        func octal(_ value: Int, at offset: Int, width: Int) {
            let digits = String(value, radix: 8)
            put(String(repeating: "0", count: width - 1 - digits.count) + digits, at: offset)
        }
        put(name, at: 0)
        octal(0o644, at: 100, width: 8)
        octal(0, at: 108, width: 8)
        octal(0, at: 116, width: 8)
        if size < 1 << 33 {
            octal(size, at: 124, width: 12)
        } else {
            h[124] = 0x80
            for i in 0..<8 { h[135 - i] = UInt8(truncatingIfNeeded: size >> (8 * i)) }
        }
        octal(mtime, at: 136, width: 12)
        h[156] = UInt8(ascii: "0")
        put("ustar", at: 257)
        put("00", at: 263)
        put(String(repeating: " ", count: 8), at: 148)
        let sum = h.reduce(0) { $0 + Int($1) }
        let digits = String(sum, radix: 8)
        put(String(repeating: "0", count: 6 - digits.count) + digits, at: 148)
        h[154] = 0
        h[155] = UInt8(ascii: " ")
        return h
    }

    /// The name and size of a header block; nil for a zero block (the end). Anything but a
    /// regular file with a backup's file name is refused.
    static func parse(_ h: UnsafeRawBufferPointer, source: String) throws -> (name: String, size: Int)? {
        if !h.contains(where: { $0 != 0 }) { return nil }
        func damage(_ detail: String) -> CalibyError { .corrupt(path: source, detail: "archive: \(detail)") }
        var stored = 0
        for i in 148..<156 where h[i] >= 0x30 && h[i] <= 0x37 { stored = stored * 8 + Int(h[i] - 0x30) }
        let sum = h.enumerated().reduce(0) { $0 + ((148..<156).contains($1.offset) ? 0x20 : Int($1.element)) }
        guard sum == stored else { throw damage("header checksum mismatch (not a caliby backup archive, or damaged)") }
        guard Array(h[257..<262]) == Array("ustar".utf8) else { throw damage("not a ustar archive") }
        let name = String(decoding: h[0..<100].prefix { $0 != 0 }, as: UTF8.self)
        guard h[156] == UInt8(ascii: "0") || h[156] == 0, h[345] == 0, isBackupFileName(name) else {
            throw damage("entry '\(name)' is not a file a caliby backup holds")
        }
        var size = 0
        if h[124] == 0x80 {
            for i in 125..<136 {
                guard size < Int.max >> 16 else { throw damage("entry '\(name)': size out of range") }
                size = size << 8 | Int(h[i])
            }
        } else {
            for i in 124..<136 where h[i] != 0 && h[i] != 0x20 {
                guard h[i] >= 0x30 && h[i] <= 0x37 else { throw damage("entry '\(name)': size field is not octal") }
                size = size * 8 + Int(h[i] - 0x30)
            }
        }
        return (name, size)
    }
}

/// A backup sink that writes the archive to a stream, buffered.
final class TarSink: BackupSink {
    private let out: StreamFile
    private let mtime = Int(time(nil))
    private var buffer: [UInt8] = []
    private var remaining = 0
    private var size = 0

    init(_ out: StreamFile) {
        self.out = out
        buffer.reserveCapacity(PageCopy.chunkBytes * 2)
    }

    func begin(_ name: String, size: Int) throws {
        buffer += TarArchive.header(name: name, size: size, mtime: mtime)
        self.size = size
    }

    func write(_ bytes: UnsafeRawPointer, count: Int, at offset: Int, isZero: Bool) throws {
        buffer.append(contentsOf: UnsafeRawBufferPointer(start: bytes, count: count))
        if buffer.count >= PageCopy.chunkBytes { try drain() }
    }

    func end() throws {
        let padding = (TarArchive.block - size % TarArchive.block) % TarArchive.block
        buffer += [UInt8](repeating: 0, count: padding)
    }

    /// The two zero blocks that end an archive, and everything still buffered.
    func finish() throws {
        buffer += [UInt8](repeating: 0, count: 2 * TarArchive.block)
        try drain()
    }

    private func drain() throws {
        try buffer.withUnsafeBytes { try out.write($0.baseAddress!, count: $0.count) }
        buffer.removeAll(keepingCapacity: true)
    }
}

/// Extracts a backup archive from a stream into a directory sink (restore's staging directory):
/// each entry's name and header checked, no name twice, holes kept for zero pages.
enum TarExtract {
    static func extract(from input: StreamFile, into sink: DirectorySink) throws {
        let chunk = PageCopy.chunkBytes
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 4096)
        defer { buffer.deallocate() }
        var seen = Set<String>()
        func truncated() -> CalibyError { .corrupt(path: input.path, detail: "archive: the stream ends early (a backup cut short?)") }
        while true {
            guard try input.read(into: buffer, count: TarArchive.block) == TarArchive.block else { throw truncated() }
            guard let (name, size) = try TarArchive.parse(UnsafeRawBufferPointer(start: buffer, count: TarArchive.block),
                                                          source: input.path) else { break }
            guard seen.insert(name).inserted else {
                throw CalibyError.corrupt(path: input.path, detail: "archive: entry '\(name)' appears twice")
            }
            try sink.begin(name, size: size)
            var offset = 0
            let padded = (size + TarArchive.block - 1) / TarArchive.block * TarArchive.block
            while offset < padded {
                let count = min(chunk, padded - offset)
                guard try input.read(into: buffer, count: count) == count else { throw truncated() }
                let data = min(count, size - offset)
                try writeRuns(buffer, count: data, at: offset, into: sink)
                offset += count
            }
            try sink.end()
        }
        guard seen.contains(Database.catalogFileName) else {
            throw CalibyError.corrupt(path: input.path, detail: "archive: holds no \(Database.catalogFileName) (not a complete caliby backup)")
        }
    }
}

extension TarExtract {
    /// Hands `count` bytes over in runs of 4 KiB blocks that are all zeros or not, so the pages an
    /// index has not reached stay holes in the extracted file, as in the original.
    static func writeRuns(_ buffer: UnsafeMutableRawPointer, count: Int, at offset: Int, into sink: BackupSink) throws {
        let block = 4096
        var start = 0, startIsZero = false
        for at in stride(from: 0, to: count, by: block) {
            let zero = isZero(buffer, offset: at, count: min(block, count - at))
            if at == 0 {
                startIsZero = zero
            } else if zero != startIsZero {
                try sink.write(buffer + start, count: at - start, at: offset + start, isZero: startIsZero)
                (start, startIsZero) = (at, zero)
            }
        }
        if count > start { try sink.write(buffer + start, count: count - start, at: offset + start, isZero: startIsZero) }
    }
}

/// LEB128 varints: the text index's postings and dictionary are runs of small numbers (node gaps,
/// term frequencies, position gaps), most of which fit in one byte.
enum Varint {
    @inline(__always) static func append(_ value: Int, to bytes: inout [UInt8]) {
        var v = UInt64(value)
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }
}

/// Reads varints and byte strings from bytes that came from disk: every read is bounds-checked and
/// a value that runs past the end, or is longer than 9 bytes, is damage (`fail` names it), never a trap.
struct StreamReader {
    let bytes: UnsafeRawBufferPointer
    var offset: Int
    let end: Int

    init(_ bytes: UnsafeRawBufferPointer, from start: Int = 0, to end: Int? = nil) {
        self.bytes = bytes
        offset = start
        self.end = min(end ?? bytes.count, bytes.count)
    }

    var atEnd: Bool { offset >= end }

    @inline(__always) mutating func varint(_ fail: () -> CalibyError) throws -> Int {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while offset < end {
            let byte = bytes[offset]
            offset += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 {
                guard value <= UInt64(Int.max) else { throw fail() }
                return Int(value)
            }
            shift += 7
            if shift > 56 { throw fail() }
        }
        throw fail()
    }

    mutating func bytes(_ count: Int, _ fail: () -> CalibyError) throws -> UnsafeRawBufferPointer {
        guard count >= 0, count <= end - offset else { throw fail() }
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count])
    }

    mutating func skip(_ count: Int, _ fail: () -> CalibyError) throws {
        guard count >= 0, count <= end - offset else { throw fail() }
        offset += count
    }
}

/// A document's bytes as stored in the document file.
///
///     record  = entry*                       entries by ascending field position
///     entry   = position:u8 payload          only the fields the document carries
///     payload = int, float: 8 bytes little-endian (float: IEEE bits)
///               bool: 1 byte, 0 or 1
///               string, text: varint byte count, UTF-8 bytes
///               int[]: varint count, 8 bytes each
///               string[]: varint count, (varint byte count, UTF-8 bytes) each
///   labels  = 255:u8 varint count, 4 bytes each   last, and only when the vector has labels
///             (an HNSW index keeps them here: its graph records have no room for them)
///
/// The type of a payload is its field's type in the schema, so a record carries no tags; fields are
/// only ever appended to a schema (`alter --add-field`), so an old record decodes under a newer
/// schema with the new fields absent. Decoding validates every byte it uses: a record is data from
/// disk, and damage must become an error, never a trap.
struct DocumentCodec {
    let schema: Schema

    static let labelsPosition = 255

    func encode(_ document: Document, labels: [UInt32] = []) -> [UInt8] {
        var out: [UInt8] = []
        for (position, value) in document.values.enumerated() {
            guard let value else { continue }
            out.append(UInt8(position))
            switch value {
            case .int(let x): appendFixed(UInt64(bitPattern: x), to: &out)
            case .float(let x): appendFixed(x.bitPattern, to: &out)
            case .bool(let x): out.append(x ? 1 : 0)
            case .string(let s): appendString(s, to: &out)
            case .intArray(let a):
                appendVarint(a.count, to: &out)
                for x in a { appendFixed(UInt64(bitPattern: x), to: &out) }
            case .stringArray(let a):
                appendVarint(a.count, to: &out)
                for s in a { appendString(s, to: &out) }
            }
        }
        if !labels.isEmpty {
            out.append(UInt8(DocumentCodec.labelsPosition))
            appendVarint(labels.count, to: &out)
            for label in labels { withUnsafeBytes(of: label.littleEndian) { out.append(contentsOf: $0) } }
        }
        return out
    }

    /// The labels a record carries (empty when none).
    func labels(_ bytes: UnsafeRawBufferPointer, damage: (String) -> CalibyError) throws -> [UInt32] {
        var labels: [UInt32] = []
        _ = try decode(bytes, wanted: FieldMask([]), labels: &labels, damage: damage)
        return labels
    }

    /// Decodes the fields whose positions `wanted` holds (nil: all); the others stay nil. `damage`
    /// turns a description of what is wrong into the error to throw.
    func decode(_ bytes: UnsafeRawBufferPointer, wanted: FieldMask? = nil,
                damage: (String) -> CalibyError) throws -> Document {
        var labels: [UInt32] = []
        return try decode(bytes, wanted: wanted, labels: &labels, damage: damage)
    }

    private func decode(_ bytes: UnsafeRawBufferPointer, wanted: FieldMask?, labels: inout [UInt32],
                        damage: (String) -> CalibyError) throws -> Document {
        var document = Document(fieldCount: schema.fields.count)
        var reader = ByteReader(bytes: bytes)
        var previous = -1
        do {
            while !reader.atEnd {
                let position = Int(try reader.byte())
                guard position > previous else { throw RecordDamage("field position \(position) after \(previous)") }
                if position == DocumentCodec.labelsPosition {
                    labels = try reader.labels()
                    guard reader.atEnd else { throw RecordDamage("bytes after the labels") }
                    break
                }
                guard position < schema.fields.count else {
                    throw RecordDamage("field position \(position), but the schema has \(schema.fields.count) fields")
                }
                previous = position
                let type = schema.fields[position].type
                if let wanted, !wanted.contains(position) {
                    try reader.skip(type)
                } else {
                    document.values[position] = try reader.value(type)
                }
            }
        } catch let problem as RecordDamage {
            throw damage(problem.detail)
        }
        return document
    }

    private func appendFixed(_ x: UInt64, to out: inout [UInt8]) {
        withUnsafeBytes(of: x.littleEndian) { out.append(contentsOf: $0) }
    }

    private func appendVarint(_ n: Int, to out: inout [UInt8]) {
        var n = UInt64(n)
        while n >= 0x80 {
            out.append(UInt8(n & 0x7F) | 0x80)
            n >>= 7
        }
        out.append(UInt8(n))
    }

    private func appendString(_ s: String, to out: inout [UInt8]) {
        var s = s
        s.withUTF8 { utf8 in
            appendVarint(utf8.count, to: &out)
            out.append(contentsOf: utf8)
        }
    }
}

/// A set of field positions (a schema has at most 256 fields).
struct FieldMask: Sendable {
    private var words = [UInt64](repeating: 0, count: 4)

    init(_ positions: some Sequence<Int>) {
        for p in positions where p >= 0 && p < 256 { words[p >> 6] |= 1 << UInt64(p & 63) }
    }

    func contains(_ position: Int) -> Bool { words[position >> 6] & (1 << UInt64(position & 63)) != 0 }
}

private struct RecordDamage: Error {
    let detail: String
    init(_ detail: String) { self.detail = detail }
}

/// Bounds-checked reading of a stored record; what it finds wrong it throws as `RecordDamage`.
private struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    var at = 0

    func damage(_ detail: String) -> RecordDamage { RecordDamage(detail) }

    var atEnd: Bool { at >= bytes.count }

    mutating func need(_ n: Int) throws {
        guard n >= 0, n <= bytes.count - at else { throw damage("record ends inside a value at byte \(at) of \(bytes.count)") }
    }

    mutating func byte() throws -> UInt8 {
        try need(1)
        defer { at += 1 }
        return bytes[at]
    }

    mutating func fixed() throws -> UInt64 {
        try need(8)
        defer { at += 8 }
        return UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self))
    }

    /// A length or count: at most what the rest of the record could hold, so a damaged one cannot
    /// make an allocation huge.
    mutating func varint() throws -> Int {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try byte()
            guard shift < 63 else { throw damage("length at byte \(at) does not end") }
            value |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { break }
            shift += 7
        }
        guard value <= UInt64(bytes.count - at) else {
            throw damage("length \(value) at byte \(at) exceeds the \(bytes.count - at) bytes left")
        }
        return Int(value)
    }

    mutating func labels() throws -> [UInt32] {
        let n = try varint()
        try need(n * 4)
        defer { at += n * 4 }
        return (0..<n).map { UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: at + $0 * 4, as: UInt32.self)) }
    }

    mutating func string() throws -> String {
        let n = try varint()
        let utf8 = UnsafeRawBufferPointer(rebasing: bytes[at..<at + n])
        at += n
        guard let s = String(validating: utf8.bindMemory(to: UInt8.self), as: UTF8.self) else {
            throw damage("a string is not valid UTF-8")
        }
        return s
    }

    mutating func value(_ type: FieldType) throws -> FieldValue {
        switch type {
        case .int: return .int(Int64(bitPattern: try fixed()))
        case .float:
            let x = Double(bitPattern: try fixed())
            guard x.isFinite else { throw damage("a float is \(x)") }
            return .float(x)
        case .bool:
            let b = try byte()
            guard b <= 1 else { throw damage("a bool is \(b)") }
            return .bool(b == 1)
        case .string, .text: return .string(try string())
        case .intArray:
            let n = try varint()
            try need(n * 8)
            return .intArray(try (0..<n).map { _ in Int64(bitPattern: try fixed()) })
        case .stringArray:
            let n = try varint()
            return .stringArray(try (0..<n).map { _ in try string() })
        }
    }

    mutating func skip(_ type: FieldType) throws {
        switch type {
        case .int, .float: try need(8); at += 8
        case .bool: try need(1); at += 1
        case .string, .text: at += try varint()
        case .intArray:
            let n = try varint()
            try need(n * 8)
            at += n * 8
        case .stringArray:
            for _ in 0..<(try varint()) { at += try varint() }
        }
    }
}

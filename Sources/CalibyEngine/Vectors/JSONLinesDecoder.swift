/// JSON lines: one object per line with a "vector" array and optional "id" (or null) and "labels";
/// other keys are skipped.
final class JSONLinesDecoder: RecordDecoder {
    private let lines: TextLines

    init(lines: TextLines) { self.lines = lines }

    func decodeRecord(into batch: inout VectorBatch, dimensions: inout DimensionRule) throws -> Bool {
        guard let line = try lines.nextNonBlank() else { return false }
        var json = JSONCursor(line: line, lines: lines)
        var id: UInt64?
        var labels: [UInt32] = []
        var values: Int?
        try json.expect("{")
        if !json.consume("}") {
            repeat {
                let key = try json.string()
                try json.expect(":")
                if key.equals("vector") {
                    guard values == nil else { throw lines.error("duplicate \"vector\"") }
                    values = try readVector(&json, into: &batch.vectors)
                } else if key.equals("id") {
                    let value = try json.value()
                    id = try value.equals("null") ? nil : lines.id(value)
                } else if key.equals("labels") {
                    labels = try readLabels(&json)
                } else {
                    _ = try json.value()
                }
            } while json.consume(",")
            try json.expect("}")
        }
        try json.expectEnd()
        guard let values else { throw lines.error("missing \"vector\"") }
        try lines.commit(values: values, id: id, labels: labels, to: &batch, dimensions: &dimensions)
        return true
    }

    private func readVector(_ json: inout JSONCursor, into vectors: inout [Float]) throws -> Int {
        guard json.consume("[") else { throw lines.error("\"vector\" must be an array of numbers") }
        if json.consume("]") { return 0 }
        var count = 0
        repeat {
            count += 1
            vectors.append(try lines.component(try json.value(), "component \(count)"))
        } while json.consume(",")
        try json.expect("]")
        return count
    }

    private func readLabels(_ json: inout JSONCursor) throws -> [UInt32] {
        if json.consume("[") {
            if json.consume("]") { return [] }
            var labels: [UInt32] = []
            repeat { labels.append(try IDText.label(try json.value(), fail: lines.error)) } while json.consume(",")
            try json.expect("]")
            return labels
        }
        guard try json.value().equals("null") else {
            throw lines.error("\"labels\" must be an array of unsigned 32-bit integers")
        }
        return []
    }
}

/// A cursor over one NUL-terminated line of JSON. Values the decoder ignores are skipped by bracket
/// matching rather than fully validated: they cost nothing to keep and are not ours to police.
struct JSONCursor {
    private let line: ByteSpan
    private let lines: TextLines
    private var p: UnsafePointer<UInt8>

    init(line: ByteSpan, lines: TextLines) {
        self.line = line
        self.lines = lines
        p = line.start
    }

    private func invalid() -> CalibyError { lines.error("invalid JSON at column \(p - line.start + 1)") }

    private mutating func skipSpace() {
        while p.pointee == UInt8(ascii: " ") || p.pointee == UInt8(ascii: "\t") { p += 1 }
    }

    mutating func consume(_ byte: Unicode.Scalar) -> Bool {
        skipSpace()
        guard p < line.end && p.pointee == UInt8(ascii: byte) else { return false }
        p += 1
        return true
    }

    mutating func expect(_ byte: Unicode.Scalar) throws {
        guard consume(byte) else { throw invalid() }
    }

    mutating func expectEnd() throws {
        skipSpace()
        guard p == line.end else { throw invalid() }
    }

    /// A string's raw content: escapes are skipped, not decoded, since the keys we match have none.
    mutating func string() throws -> ByteSpan {
        skipSpace()
        guard p < line.end && p.pointee == UInt8(ascii: "\"") else { throw invalid() }
        let content = p + 1
        var q = content
        while q < line.end && q.pointee != UInt8(ascii: "\"") { q += q.pointee == UInt8(ascii: "\\") ? 2 : 1 }
        guard q < line.end else {
            p = line.end
            throw invalid()
        }
        p = q + 1
        return ByteSpan(start: content, end: q)
    }

    /// Steps over one value of any kind and returns its text.
    mutating func value() throws -> ByteSpan {
        skipSpace()
        let start = p
        switch p.pointee {
        case UInt8(ascii: "\""): _ = try string()
        case UInt8(ascii: "["), UInt8(ascii: "{"): try skipContainer()
        default: guard scanNumber() || scanLiteral() else { throw invalid() }
        }
        return ByteSpan(start: start, end: p)
    }

    private mutating func skipContainer() throws {
        var depth = 0
        repeat {
            guard p < line.end else { throw invalid() }
            switch p.pointee {
            case UInt8(ascii: "\""):
                _ = try string()
                continue
            case UInt8(ascii: "["), UInt8(ascii: "{"): depth += 1
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
            p += 1
        } while depth > 0
    }

    /// JSON number grammar (leading zeros tolerated); the NUL after the line stops every scan.
    private mutating func scanNumber() -> Bool {
        func digits(_ q: inout UnsafePointer<UInt8>) -> Bool {
            let first = q
            while q.pointee &- UInt8(ascii: "0") < 10 { q += 1 }
            return q > first
        }
        var q = p
        if q.pointee == UInt8(ascii: "-") { q += 1 }
        guard digits(&q) else { return false }
        if q.pointee == UInt8(ascii: ".") {
            q += 1
            guard digits(&q) else { return false }
        }
        if q.pointee | 0x20 == UInt8(ascii: "e") {
            q += 1
            if q.pointee == UInt8(ascii: "+") || q.pointee == UInt8(ascii: "-") { q += 1 }
            guard digits(&q) else { return false }
        }
        p = q
        return true
    }

    private mutating func scanLiteral() -> Bool {
        for literal: StaticString in ["true", "false", "null"] {
            let count = literal.utf8CodeUnitCount
            // Stops at the first mismatch, which the line's NUL guarantees before reading past it.
            if (0..<count).allSatisfy({ p[$0] == literal.utf8Start[$0] }) {
                p += count
                return true
            }
        }
        return false
    }
}

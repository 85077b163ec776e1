/// JSON lines: one object per line with a "vector" array and optional "id" (or null) and "labels".
/// Without fields other keys are skipped; with fields each other key names one (`DocumentFieldDecoder`).
final class JSONLinesDecoder: RecordDecoder {
    private let lines: TextLines
    /// Nil without fields, so that path pays nothing per record for documents.
    private let fields: DocumentFieldDecoder?

    init(lines: TextLines, fields: DocumentFieldDecoder?) {
        self.lines = lines
        self.fields = fields
    }

    func decodeRecord(into batch: inout VectorBatch, dimensions: inout DimensionRule) throws -> Bool {
        guard let line = try lines.nextNonBlank() else { return false }
        var json = JSONCursor(line: line, lines: lines)
        var id: UInt64?
        var labels: [UInt32] = []
        var values: Int?
        // Without fields both are empty arrays, which allocate nothing.
        let fieldCount = fields?.schema.fields.count ?? 0
        var document = Document(fieldCount: fieldCount)
        var seen = [Bool](repeating: false, count: fieldCount)
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
                } else if let fields {
                    try readField(key, in: line, &json, fields, into: &document, seen: &seen)
                } else {
                    _ = try json.value()
                }
            } while json.consume(",")
            try json.expect("}")
        }
        try json.expectEnd()
        guard let values else { throw lines.error("missing \"vector\"") }
        try lines.commit(values: values, id: id, labels: labels, to: &batch, dimensions: &dimensions)
        if let fields { try fields.finish(document, into: &batch) }
        return true
    }

    /// The value of `key`, which must name a field (unless unknown keys are skipped).
    private func readField(_ key: ByteSpan, in line: ByteSpan, _ json: inout JSONCursor, _ fields: DocumentFieldDecoder,
                           into document: inout Document, seen: inout [Bool]) throws {
        // Keys are matched raw for speed; a field name is decoded in full, from its opening quote,
        // by a cursor over the same line so that an error's column is the line's.
        var keyCursor = JSONCursor(line: line, lines: lines, at: key.start - 1)
        let name = try keyCursor.decodedString()
        guard let position = try fields.position(of: name, shown: key.text) else {
            _ = try json.value()
            return
        }
        _ = json.peek()  // steps over the spaces, so that the value's text starts at the value
        let start = json.position
        let value = try fields.jsonValue(&json, for: fields.schema.fields[position])
        try fields.store(value, from: ByteSpan(start: start, end: json.position), at: position, in: &document, seen: &seen)
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

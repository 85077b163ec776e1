/// How ids and labels are written wherever Caliby reads them (id and label columns, JSON lines,
/// `--ids` and `--labels` files): decimal digits only — no sign, fraction or exponent — and a
/// record's labels separated by ';' or '|' (',' would split a CSV field).
package enum IDText {
    static func id(_ span: ByteSpan, fail: (String) -> CalibyError) throws -> UInt64 {
        guard let id = span.unsigned(max: .max) else { throw fail("id '\(span.text)' is not an unsigned 64-bit integer") }
        return id
    }

    static func label(_ span: ByteSpan, fail: (String) -> CalibyError) throws -> UInt32 {
        guard let label = span.unsigned(max: UInt64(UInt32.max)) else {
            throw fail("label '\(span.text)' is not an unsigned 32-bit integer")
        }
        return UInt32(label)
    }

    /// A field's labels; an empty field has none.
    static func labels(_ field: ByteSpan, fail: (String) -> CalibyError) throws -> [UInt32] {
        let field = field.trimmingSpaces()
        guard !field.isEmpty else { return [] }
        var labels: [UInt32] = []
        var p = field.start
        while true {
            var stop = p
            while stop < field.end && stop.pointee != UInt8(ascii: ";") && stop.pointee != UInt8(ascii: "|") { stop += 1 }
            labels.append(try label(ByteSpan(start: p, end: stop).trimmingSpaces(), fail: fail))
            if stop == field.end { return labels }
            p = stop + 1
        }
    }

    /// One id written as text; errors are reported at `location` (file:line).
    package static func id(_ text: String, location: String) throws -> UInt64 {
        try withSpan(text) { try id($0.trimmingSpaces(), fail: { .badInput(location: location, message: $0) }) }
    }

    /// One record's labels written as text; errors are reported at `location` (file:line).
    package static func labels(_ text: String, location: String) throws -> [UInt32] {
        try withSpan(text) { try labels($0, fail: { .badInput(location: location, message: $0) }) }
    }

    private static func withSpan<R>(_ text: String, _ body: (ByteSpan) throws -> R) throws -> R {
        let bytes = Array(text.utf8) + [0]  // never empty: the span needs a base address
        return try bytes.withUnsafeBufferPointer { b in
            try body(ByteSpan(start: b.baseAddress!, end: b.baseAddress! + (b.count - 1)))
        }
    }
}

import Glibc

/// Typed field values from the input, shared by JSON lines (a key's JSON value) and CSV/TSV (a
/// cell): which field a key or column names, each value decoded strictly to its field's type, and
/// the checks every stored value passes, all reported at the record's line and naming the field.
final class DocumentFieldDecoder {
    let schema: Schema
    private let lines: TextLines
    private let ignoreUnknown: Bool
    private let positions: [String: Int]

    init(schema: Schema, ignoreUnknown: Bool, lines: TextLines) {
        self.schema = schema
        self.lines = lines
        self.ignoreUnknown = ignoreUnknown
        positions = Dictionary(uniqueKeysWithValues: schema.fields.enumerated().map { ($1.name, $0) })
    }

    /// The schema position `name` denotes; nil for a name to skip (`ignoreUnknown`); else an error
    /// listing the fields, with the closest one when the name looks like a misspelling of it.
    /// `context` leads the message (a CSV column's number).
    func position(of name: String, shown: @autoclosure () -> String, context: String = "") throws -> Int? {
        if let position = positions[name] { return position }
        if ignoreUnknown { return nil }
        let names = schema.fields.map(\.name)
        let listed = names.prefix(12).joined(separator: ", ") + (names.count > 12 ? ", …" : "")
        var message = "\(context)unknown field '\(shown())' (fields: \(listed))"
        // Within two edits, fewer for a short name (case differences are free).
        let nearest = NameSuggestion.closest(to: name, among: names, maximumDistance: min(2, max(1, name.unicodeScalars.count / 3)))
        if let close = nearest.first { message += "; did you mean '\(close)'?" }
        throw lines.error(message)
    }

    // MARK: Values

    /// The JSON value at the cursor as a value of `field`; nil for null.
    func jsonValue(_ json: inout JSONCursor, for field: Field) throws -> FieldValue? {
        if json.peek() == UInt8(ascii: "n") {
            let value = try json.value()
            guard value.equals("null") else { throw mismatch(field, value) }
            return nil
        }
        guard field.type.isArray else { return try jsonScalar(&json, field, field.type, element: nil) }
        guard json.peek() == UInt8(ascii: "[") else { throw mismatch(field, try json.value()) }
        _ = json.consume("[")
        var ints: [Int64] = []
        var strings: [String] = []
        if !json.consume("]") {
            var element = 0
            repeat {
                element += 1
                if json.peek() == UInt8(ascii: "n") {
                    let value = try json.value()
                    guard value.equals("null") else { throw mismatch(field, value, element: element) }
                    throw lines.error("field '\(field.name)': element \(element) is null, which an array cannot hold")
                }
                switch try jsonScalar(&json, field, field.type.elementType, element: element) {
                case .int(let x): ints.append(x)
                case .string(let s): strings.append(s)
                default: preconditionFailure("array elements are int or string")
                }
            } while json.consume(",")
            try json.expect("]")
        }
        return field.type == .intArray ? .intArray(ints) : .stringArray(strings)
    }

    private func jsonScalar(_ json: inout JSONCursor, _ field: Field, _ type: FieldType, element: Int?) throws -> FieldValue {
        if type == .string || type == .text {
            guard json.peek() == UInt8(ascii: "\"") else { throw mismatch(field, try json.value(), element: element) }
            return .string(try json.decodedString())
        }
        let value = try json.value()
        guard let scalar = Self.scalar(value, type, boolDigits: false) else { throw mismatch(field, value, element: element) }
        return scalar
    }

    /// A CSV/TSV cell (quotes removed) as a value of `field`; nil for an empty cell. Numbers and
    /// booleans are written as in JSON (booleans in any case, or 1 and 0, as spreadsheets and pandas
    /// write them); strings as they are; arrays as a JSON array.
    func cellValue(_ cell: ByteSpan, for field: Field) throws -> FieldValue? {
        if cell.isEmpty { return nil }
        switch field.type {
        case .string, .text:
            guard let text = String(validating: UnsafeBufferPointer(start: cell.start, count: cell.end - cell.start), as: UTF8.self) else {
                throw lines.error("field '\(field.name)': '\(cell.text)' is not valid UTF-8")
            }
            return .string(text)
        case .intArray, .stringArray:
            var json = JSONCursor(line: cell, lines: lines)
            do {
                guard json.peek() == UInt8(ascii: "[") else { throw mismatch(field, cell, quote: "'") }
                let value = try jsonValue(&json, for: field)
                try json.expectEnd()
                return value
            } catch CalibyError.badInput(_, let message) where message.hasPrefix("invalid JSON") {
                throw lines.error("field '\(field.name)': expected a JSON array like \(field.type == .intArray ? "[1, 2]" : "[\"a\", \"b\"]"), got '\(cell.text)'")
            }
        case .int, .float, .bool:
            guard let value = Self.scalar(cell, field.type, boolDigits: true) else { throw mismatch(field, cell, quote: "'") }
            return value
        }
    }

    /// A number or boolean spelled exactly by `span`: ints are integers that fit in 64 bits (no
    /// fraction or exponent, which would hide a rounding), floats any finite number.
    private static func scalar(_ span: ByteSpan, _ type: FieldType, boolDigits: Bool) -> FieldValue? {
        switch type {
        case .int:
            guard JSONCursor.numberEnd(from: span.start) == span.end else { return nil }
            return span.int64.map(FieldValue.int)
        case .float:
            guard JSONCursor.numberEnd(from: span.start) == span.end else { return nil }
            var stop: UnsafeMutablePointer<CChar>?
            let value = span.start.withMemoryRebound(to: CChar.self, capacity: 1) { strtod($0, &stop) }
            guard stop.map({ UnsafeRawPointer($0) }) == UnsafeRawPointer(span.end), value.isFinite else { return nil }
            return .float(value)
        case .bool:
            if span.equals("true") || span.equals("false") { return .bool(span.start.pointee == UInt8(ascii: "t")) }
            guard boolDigits else { return nil }
            if span.equals("1") || span.equals("0") { return .bool(span.start.pointee == UInt8(ascii: "1")) }
            switch String(decoding: UnsafeBufferPointer(start: span.start, count: span.end - span.start), as: UTF8.self).lowercased() {
            case "true": return .bool(true)
            case "false": return .bool(false)
            default: return nil
            }
        case .string, .text, .intArray, .stringArray:
            return nil
        }
    }

    private func mismatch(_ field: Field, _ value: ByteSpan, element: Int? = nil, quote: String = "") -> CalibyError {
        let type = element == nil ? field.type : field.type.elementType
        var problem = "expected \(type.rawValue), got \(quote)\(value.text)\(quote)"
        if type == .int, JSONCursor.numberEnd(from: value.start) == value.end {
            problem += value.int64 == nil && !value.hasFractionOrExponent ? " (beyond 64-bit integers)" : " (not an integer)"
        } else if type == .float, JSONCursor.numberEnd(from: value.start) == value.end {
            problem += " (not finite)"
        }
        return lines.error("field '\(field.name)': " + (element.map { "element \($0): " } ?? "") + problem)
    }

    // MARK: Documents

    /// Stores `value` (decoded from `raw`) at `position`, after the rules every stored value obeys.
    /// A field given twice is refused: which one was meant is not ours to guess.
    func store(_ value: FieldValue?, from raw: ByteSpan, at position: Int, in document: inout Document,
               seen: inout [Bool]) throws {
        let field = schema.fields[position]
        if seen[position] { throw lines.error("field '\(field.name)' is given twice") }
        seen[position] = true
        guard let value else { return }
        if let problem = value.problem(storingIn: field) {
            throw lines.error("field '\(field.name)': \(problem): \(raw.text)")
        }
        document[position] = value
    }

    /// Checks what only the whole record shows (required fields) and adds the document to `batch`.
    func finish(_ document: Document, into batch: inout VectorBatch) throws {
        if let (field, problem) = document.problem(under: schema) { throw lines.error("field '\(field)': \(problem)") }
        batch.documents.append(document)
    }
}

extension ByteSpan {
    /// Optional '-' then decimal digits, within Int64; nil for anything else.
    var int64: Int64? {
        var p = start
        let negative = p < end && p.pointee == UInt8(ascii: "-")
        if negative { p += 1 }
        guard p < end else { return nil }
        var magnitude: UInt64 = 0
        while p < end {
            let digit = p.pointee &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            let (times10, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(digit))
            guard !overflow1, !overflow2 else { return nil }
            magnitude = sum
            p += 1
        }
        if negative { return magnitude <= UInt64(Int64.max) + 1 ? Int64(truncatingIfNeeded: 0 &- magnitude) : nil }
        return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
    }

    var hasFractionOrExponent: Bool {
        (start..<end).contains { $0.pointee == UInt8(ascii: ".") || $0.pointee | 0x20 == UInt8(ascii: "e") }
    }
}

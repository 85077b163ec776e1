import Glibc

/// CSV and TSV whose header names the columns: `id`, `labels`, `vector` (one cell holding the whole
/// vector) or a range of component columns, and the fields. Used when the input carries fields or
/// vector columns; plain vector files keep `DelimitedDecoder`, which has no per-record cost for
/// names. Quoted cells may span lines (text exported by pandas or a spreadsheet does).
final class HeaderMappedDecoder: RecordDecoder {
    private enum Role: Hashable {
        case id, labels, vector, component, field(Int), skipped
    }

    private let lines: TextLines
    private let separator: UInt8
    private let options: VectorReaderOptions
    private let fields: DocumentFieldDecoder?
    /// Per column, from the header; nil until it is read.
    private var roles: [Role]?
    private var headerLine = 0
    /// A record continued over several lines, and a quoted cell with its doubled quotes undone:
    /// both NUL-terminated, as parsers of a span expect.
    private var joined: [UInt8] = []
    private var unquoted: [UInt8] = []

    init(lines: TextLines, separator: UInt8, options: VectorReaderOptions, fields: DocumentFieldDecoder?) {
        self.lines = lines
        self.separator = separator
        self.options = options
        self.fields = fields
    }

    func decodeRecord(into batch: inout VectorBatch, dimensions: inout DimensionRule) throws -> Bool {
        if roles == nil {
            guard try nextRecord({ try readHeader($0) }) else { return false }
        }
        return try nextRecord { try decode($0, into: &batch, dimensions: &dimensions) }
    }

    /// Calls `body` with the next record: the next non-blank line, joined with the lines after it
    /// while a quoted field is open. False at end of input.
    private func nextRecord(_ body: (ByteSpan) throws -> Void) throws -> Bool {
        guard let line = try lines.nextNonBlank() else { return false }
        var quotes = QuoteState()
        quotes.scan(line, separator: separator)
        guard quotes.inside else {
            try body(line)
            return true
        }
        joined.removeAll(keepingCapacity: true)
        joined.append(contentsOf: UnsafeBufferPointer(start: line.start, count: line.end - line.start))
        // At end of input the quote stays open, and splitting the record reports it.
        while quotes.inside, let more = try lines.continuation() {
            quotes.scan(more, separator: separator)
            joined.append(UInt8(ascii: "\n"))
            joined.append(contentsOf: UnsafeBufferPointer(start: more.start, count: more.end - more.start))
        }
        joined.append(0)
        try joined.withUnsafeBufferPointer { bytes in
            try body(ByteSpan(start: bytes.baseAddress!, end: bytes.baseAddress! + (bytes.count - 1)))
        }
        return true
    }

    /// Calls `body` with a cell's text: a quoted cell's doubled quotes become one.
    private func withCell(_ cell: ByteSpan, quoted: Bool, _ body: (ByteSpan) throws -> Void) throws {
        guard quoted, memchr(cell.start, Int32(UInt8(ascii: "\"")), cell.end - cell.start) != nil else {
            return try body(cell)
        }
        unquoted.removeAll(keepingCapacity: true)
        var p = cell.start
        while p < cell.end {
            unquoted.append(p.pointee)
            p += p.pointee == UInt8(ascii: "\"") ? 2 : 1  // the splitter let only doubled quotes through
        }
        unquoted.append(0)
        try unquoted.withUnsafeBufferPointer { bytes in
            try body(ByteSpan(start: bytes.baseAddress!, end: bytes.baseAddress! + (bytes.count - 1)))
        }
    }

    // MARK: Header

    private func readHeader(_ line: ByteSpan) throws {
        headerLine = lines.lineNumber
        var roles: [Role] = []
        var named: [Role: Int] = [:]
        try DelimitedDecoder.forEachField(of: line, separator: separator, lines: lines) { column, raw, quoted in
            try withCell(quoted ? raw.trimmingSpaces() : raw, quoted: quoted) { name in
                if options.header == .auto, let problem = DelimitedDecoder.columnNameProblem(name) {
                    throw lines.error("the first line is not a header (field \(column) \(problem)); csv and tsv input "
                                      + "with fields or vector columns needs a header line naming its columns")
                }
                let role = try self.role(of: column, named: name)
                if role != .component && role != .skipped, let earlier = named.updateValue(column, forKey: role) {
                    throw lines.error("columns \(earlier) and \(column) are both \(describe(role))")
                }
                roles.append(role)
            }
        }
        if let range = options.vectorColumns, range.upperBound > roles.count {
            throw lines.error("vector columns \(range.lowerBound)-\(range.upperBound) go past the header's \(roles.count) columns")
        }
        for (name, column) in options.namedColumns where column > roles.count {
            throw lines.error("missing \(name) column \(column) (the header has \(roles.count) fields)")
        }
        if !roles.contains(.vector) && !roles.contains(.component) {
            throw lines.error("no vector: name one column 'vector' (a JSON array [0.1, 0.2] or numbers separated by "
                              + "spaces), or give the range of columns holding the components")
        }
        self.roles = roles
    }

    private func role(of column: Int, named name: ByteSpan) throws -> Role {
        if options.vectorColumns?.contains(column) == true { return .component }
        if column == options.idColumn { return .id }
        if column == options.labelsColumn { return .labels }
        if name.equals("id") && options.idColumn == nil { return .id }
        if name.equals("labels") && options.labelsColumn == nil { return .labels }
        if name.equals("vector") {
            guard options.vectorColumns == nil else {
                throw lines.error("column \(column) is named 'vector', but the vector is in columns "
                                  + "\(options.vectorColumns!.lowerBound)-\(options.vectorColumns!.upperBound)")
            }
            return .vector
        }
        let text = String(decoding: UnsafeBufferPointer(start: name.start, count: name.end - name.start), as: UTF8.self)
        if let fields {
            return try fields.position(of: text, shown: name.text, context: "column \(column): ").map(Role.field) ?? .skipped
        }
        guard options.ignoreUnknown else {
            throw lines.error("column \(column) '\(name.text)' is not id, labels or a vector column, and there are no fields")
        }
        return .skipped
    }

    private func describe(_ role: Role) -> String {
        switch role {
        case .field(let position): return "field '\(options.schema.fields[position].name)'"
        default: return "'\(role)'"
        }
    }

    // MARK: Records

    private func decode(_ line: ByteSpan, into batch: inout VectorBatch, dimensions: inout DimensionRule) throws {
        let roles = roles!
        var id: UInt64?
        var labels: [UInt32] = []
        var values = 0
        var columns = 0
        let fieldCount = options.schema.fields.count
        var document = Document(fieldCount: fieldCount)
        var seen = [Bool](repeating: false, count: fieldCount)
        try DelimitedDecoder.forEachField(of: line, separator: separator, lines: lines) { column, raw, quoted in
            columns = column
            guard column <= roles.count else { return }  // reported below, with the count
            if case .field(let position) = roles[column - 1], let fields {
                // Text keeps its spaces when quoted: the quotes say where it starts and ends.
                return try withCell(raw, quoted: quoted) { cell in
                    let value = try fields.cellValue(cell, for: options.schema.fields[position])
                    try fields.store(value, from: cell, at: position, in: &document, seen: &seen)
                }
            }
            try withCell(quoted ? raw.trimmingSpaces() : raw, quoted: quoted) { cell in
                switch roles[column - 1] {
                case .id: id = cell.isEmpty ? nil : try lines.id(cell)
                case .labels: labels = try IDText.labels(cell, fail: lines.error)
                case .component:
                    batch.vectors.append(try lines.component(cell, "field \(column)"))
                    values += 1
                case .vector: values += try readVector(cell, into: &batch.vectors)
                case .field, .skipped: break
                }
            }
        }
        if columns != roles.count {
            throw lines.error("line has \(columns) fields but the header (line \(headerLine)) has \(roles.count)")
        }
        try lines.commit(values: values, id: id, labels: labels, to: &batch, dimensions: &dimensions)
        if let fields { try fields.finish(document, into: &batch) }
    }

    /// A `vector` cell: numbers separated by commas and/or white space, optionally in brackets —
    /// a JSON array, or what pandas and numpy print for an array (which may wrap over lines).
    private func readVector(_ cell: ByteSpan, into vectors: inout [Float]) throws -> Int {
        var span = cell
        if span.start < span.end && span.start.pointee == UInt8(ascii: "[") {
            guard span.end[-1] == UInt8(ascii: "]") else { throw lines.error("vector '\(cell.text)': no closing ']'") }
            span = ByteSpan(start: span.start + 1, end: span.end - 1)
        }
        func isSpace(_ p: UnsafePointer<UInt8>) -> Bool {
            p < span.end && (p.pointee == UInt8(ascii: " ") || p.pointee == UInt8(ascii: "\t") || p.pointee == UInt8(ascii: "\n"))
        }
        var p = span.start
        while isSpace(p) { p += 1 }
        if p == span.end { return 0 }
        var count = 0
        while true {
            var stop = p
            while stop < span.end && !isSpace(stop) && stop.pointee != UInt8(ascii: ",") { stop += 1 }
            count += 1
            vectors.append(try lines.component(ByteSpan(start: p, end: stop), "vector component \(count)"))
            p = stop
            while isSpace(p) { p += 1 }
            if p == span.end { return count }
            if p.pointee == UInt8(ascii: ",") {
                p += 1
                while isSpace(p) { p += 1 }
            }
        }
    }
}

/// Whether a CSV/TSV record's quoted field is still open at the end of the text scanned so far, by
/// the splitter's rules: a quote opens a field only at its start, and a doubled quote inside is text.
private struct QuoteState {
    private(set) var inside = false
    private var atFieldStart = true

    mutating func scan(_ span: ByteSpan, separator: UInt8) {
        let quote = UInt8(ascii: "\"")
        // Most lines hold no quote at all, and one without leaves the record as it was.
        if memchr(span.start, Int32(quote), span.end - span.start) == nil { return }
        var p = span.start
        while p < span.end {
            let byte = p.pointee
            if inside {
                if byte == quote {
                    if p + 1 < span.end && p[1] == quote {
                        p += 2
                        continue
                    }
                    inside = false
                }
            } else if byte == separator {
                atFieldStart = true
            } else if byte == quote && atFieldStart {
                inside = true
                atFieldStart = false
            } else if byte != UInt8(ascii: " ") {
                atFieldStart = false
            }
            p += 1
        }
    }
}

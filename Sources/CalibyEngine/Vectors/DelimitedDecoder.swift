import Glibc

/// CSV and TSV: one record per line, an optional header line first (`HeaderLine`).
final class DelimitedDecoder: RecordDecoder {
    private let lines: TextLines
    private let separator: UInt8
    private let idColumn: Int?
    private let labelsColumn: Int?
    private let namedColumns: [(name: String, column: Int)]
    /// How to take the first non-blank line; nil once it has been read.
    private var firstLineRule: HeaderLine?
    /// The header's field count and line number until the first record is checked against them: the
    /// columns it names must be the records' columns, or the names and `idColumn` would point at
    /// different things. Later records must match the first one's dimension, hence its field count.
    private var header: (fields: Int, line: Int)?

    init(lines: TextLines, separator: UInt8, options: VectorReaderOptions) {
        self.lines = lines
        self.separator = separator
        idColumn = options.idColumn
        labelsColumn = options.labelsColumn
        namedColumns = options.namedColumns
        firstLineRule = options.header
    }

    func decodeRecord(into batch: inout VectorBatch, dimensions: inout DimensionRule) throws -> Bool {
        guard let line = try lines.nextNonBlank() else { return false }
        if let rule = firstLineRule {
            firstLineRule = nil
            return try decodeFirst(line, rule, into: &batch, dimensions: &dimensions)
        }
        try decode(line, into: &batch, dimensions: &dimensions)
        return true
    }

    /// The first non-blank line: a header, then the record is the next line; or itself a record.
    private func decodeFirst(_ line: ByteSpan, _ rule: HeaderLine, into batch: inout VectorBatch,
                             dimensions: inout DimensionRule) throws -> Bool {
        var notHeader: (column: Int, problem: String)?
        var names = 0
        var fields = 0
        if rule != .absent {
            try forEachField(of: line) { column, field in
                fields = column
                if let problem = Self.columnNameProblem(field) {
                    if notHeader == nil { notHeader = (column, problem) }
                } else {
                    names += 1
                }
            }
        }
        if rule == .present || (rule == .auto && notHeader == nil) {
            header = (fields, lines.lineNumber)
            guard let next = try lines.nextNonBlank() else { return false }
            try decode(next, into: &batch, dimensions: &dimensions)
            return true
        }
        guard rule == .auto, names > 0, let (column, problem) = notHeader else {
            try decode(line, into: &batch, dimensions: &dimensions)
            return true
        }
        // Part of the line reads as column names, so its error says why it was not taken as a header.
        do {
            try decode(line, into: &batch, dimensions: &dimensions)
        } catch CalibyError.badInput(let location, let message) {
            throw CalibyError.badInput(
                location: location, message: "\(message) (line \(lines.lineNumber) is not a header: field \(column) \(problem))")
        }
        return true
    }

    /// Why `field` is not a column name in `HeaderLine.auto`'s sense, or nil when it is one.
    static func columnNameProblem(_ field: ByteSpan) -> String? {
        guard !field.isEmpty else { return "is empty" }
        var hasLetter = false
        var p = field.start
        while p < field.end {
            guard let (scalar, length) = ByteSpan.scalar(at: p, before: field.end) else { return "is not valid UTF-8" }
            switch scalar.properties.generalCategory {
            case .control: return "has a control character"
            case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: hasLetter = true
            default: break
            }
            p += length
        }
        if field.float != nil { return "is a number" }
        // Digits of another script, or a record split at the wrong separator ("1;2;3"), are no
        // number to strtof, yet no one names a column that way.
        return hasLetter ? nil : "has no letter"
    }

    private func decode(_ line: ByteSpan, into batch: inout VectorBatch, dimensions: inout DimensionRule) throws {
        var id: UInt64?
        var labels: [UInt32] = []
        var values = 0
        var columns = 0
        try forEachField(of: line) { column, field in
            columns = column
            if column == idColumn {
                id = try lines.id(field)
            } else if column == labelsColumn {
                labels = try labelList(field)
            } else {
                batch.vectors.append(try lines.component(field, "field \(column)"))
                values += 1
            }
        }
        if let header {
            self.header = nil
            if columns != header.fields {
                throw lines.error("line has \(columns) fields but the header (line \(header.line)) has \(header.fields)")
            }
        }
        for (name, column) in namedColumns where column > columns {
            throw lines.error("missing \(name) column \(column) (line has \(columns) fields)")
        }
        try lines.commit(values: values, id: id, labels: labels, to: &batch, dimensions: &dimensions)
    }

    /// Calls `body` with each field's 1-based column and content, surrounding spaces and quotes removed.
    private func forEachField(of line: ByteSpan, _ body: (Int, ByteSpan) throws -> Void) throws {
        try Self.forEachField(of: line, separator: separator, lines: lines) { column, field, quoted in
            try body(column, quoted ? field.trimmingSpaces() : field)
        }
    }

    /// Calls `body` with each field's 1-based column, content and whether it was quoted. An
    /// unquoted field comes without surrounding spaces; a quoted one is the text between its
    /// quotes, which may hold the separator, line breaks and doubled quotes (left doubled).
    /// Inlined so that each caller's closure inlines too, as when this was one private method: this
    /// loop is where reading CSV spends its time.
    @inline(__always)
    static func forEachField(of line: ByteSpan, separator: UInt8, lines: TextLines,
                             _ body: (Int, ByteSpan, Bool) throws -> Void) throws {
        let quote = UInt8(ascii: "\"")
        var p = line.start
        var column = 1
        while true {
            while p < line.end && p.pointee == UInt8(ascii: " ") { p += 1 }
            if p < line.end && p.pointee == quote {
                var close = p + 1
                while true {
                    guard let found = memchr(close, Int32(quote), line.end - close) else {
                        throw lines.error("field \(column): unterminated quote")
                    }
                    close = UnsafePointer(found.assumingMemoryBound(to: UInt8.self))
                    guard close + 1 < line.end && close[1] == quote else { break }
                    close += 2
                }
                try body(column, ByteSpan(start: p + 1, end: close), true)
                p = close + 1
                while p < line.end && p.pointee == UInt8(ascii: " ") { p += 1 }
                if p < line.end && p.pointee != separator {
                    throw lines.error("field \(column): unexpected text after closing quote")
                }
            } else {
                let found = memchr(p, Int32(separator), line.end - p)
                let stop = found.map { UnsafePointer($0.assumingMemoryBound(to: UInt8.self)) } ?? line.end
                try body(column, ByteSpan(start: p, end: stop).trimmingSpaces(), false)
                p = stop
            }
            if p == line.end { return }
            p += 1
            column += 1
        }
    }

    private func labelList(_ field: ByteSpan) throws -> [UInt32] { try IDText.labels(field, fail: lines.error) }
}

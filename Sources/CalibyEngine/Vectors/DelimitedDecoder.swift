import Glibc

final class DelimitedDecoder: RecordDecoder {
    private let lines: TextLines
    private let separator: UInt8
    private let idColumn: Int?
    private let labelsColumn: Int?
    private let namedColumns: [(name: String, column: Int)]
    private var headerChecked = false

    init(lines: TextLines, separator: UInt8, options: VectorReaderOptions) {
        self.lines = lines
        self.separator = separator
        idColumn = options.idColumn
        labelsColumn = options.labelsColumn
        namedColumns = options.namedColumns
    }

    func decodeRecord(into batch: inout VectorBatch, dimensions: inout DimensionRule) throws -> Bool {
        guard var line = try lines.nextNonBlank() else { return false }
        if !headerChecked {
            headerChecked = true
            if try isHeader(line) {
                guard let next = try lines.nextNonBlank() else { return false }
                line = next
            }
        }
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
        for (name, column) in namedColumns where column > columns {
            throw lines.error("missing \(name) column \(column) (line has \(columns) fields)")
        }
        try lines.commit(values: values, id: id, labels: labels, to: &batch, dimensions: &dimensions)
        return true
    }

    /// A header is a first line with a field, other than labels, that is not a number.
    private func isHeader(_ line: ByteSpan) throws -> Bool {
        var header = false
        try forEachField(of: line) { column, field in
            if column != labelsColumn && field.float == nil { header = true }
        }
        return header
    }

    /// Calls `body` with each field's 1-based column and content, with surrounding spaces and
    /// quotes removed. A quoted field may contain the separator and doubled quotes.
    private func forEachField(of line: ByteSpan, _ body: (Int, ByteSpan) throws -> Void) throws {
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
                try body(column, ByteSpan(start: p + 1, end: close).trimmingSpaces())
                p = close + 1
                while p < line.end && p.pointee == UInt8(ascii: " ") { p += 1 }
                if p < line.end && p.pointee != separator {
                    throw lines.error("field \(column): unexpected text after closing quote")
                }
            } else {
                let found = memchr(p, Int32(separator), line.end - p)
                let stop = found.map { UnsafePointer($0.assumingMemoryBound(to: UInt8.self)) } ?? line.end
                try body(column, ByteSpan(start: p, end: stop).trimmingSpaces())
                p = stop
            }
            if p == line.end { return }
            p += 1
            column += 1
        }
    }

    private func labelList(_ field: ByteSpan) throws -> [UInt32] { try IDText.labels(field, fail: lines.error) }
}

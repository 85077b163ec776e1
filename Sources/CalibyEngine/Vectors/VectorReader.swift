import Glibc

// MARK: - Public API

package enum VectorFormat: String, CaseIterable, Sendable {
    case fvecs, bvecs, csv, tsv, jsonl

    /// By file extension (.fvecs .bvecs .csv .tsv .jsonl .json .ndjson, any case); nil if unknown.
    package static func infer(fromPath path: String) -> VectorFormat? {
        let name = path.split(separator: "/").last ?? ""
        guard let dot = name.lastIndex(of: ".") else { return nil }
        switch name[name.index(after: dot)...].lowercased() {
        case "fvecs": return .fvecs
        case "bvecs": return .bvecs
        case "csv": return .csv
        case "tsv": return .tsv
        case "jsonl", "json", "ndjson": return .jsonl
        default: return nil
        }
    }
}

/// Whether the first non-blank line of CSV/TSV input names the columns instead of holding a record.
package enum HeaderLine: Sendable {
    /// A header when every field is a column name: it has a letter, is not a number (nan, inf and
    /// 0x1p3 are numbers), is valid UTF-8 and has no control character. Any other first line is a
    /// record, so a damaged one is reported instead of skipped.
    case auto
    /// The first line is a header whatever it holds.
    case present
    /// Every line is a record.
    case absent
}

package struct VectorReaderOptions: Sendable {
    package var format: VectorFormat
    /// Expected dimension; nil = take it from the first record, then all must match.
    package var dimensions: Int?
    /// CSV/TSV: 1-based column holding the id (UInt64); that column is not part of the vector.
    package var idColumn: Int?
    /// CSV/TSV: 1-based column holding labels, UInt32 values separated by ';' or '|' (may be empty).
    package var labelsColumn: Int?
    /// CSV/TSV: whether the first line is a header. A header must have as many fields as the records.
    package var header: HeaderLine
    /// The fields records carry (one `Document` per record in `VectorBatch.documents`). JSON lines
    /// name them by key; CSV/TSV by a header naming the columns. fvecs and bvecs carry none: their
    /// documents are empty, and a required field refuses them.
    package var schema = Schema()
    /// Skip JSON keys and CSV/TSV columns that name no field, instead of refusing the input.
    package var ignoreUnknown = false
    /// CSV/TSV with a header: the 1-based columns, inclusive, holding the vector's components, when
    /// it is not one `vector` column. The other columns are named by the header.
    package var vectorColumns: ClosedRange<Int>?

    package init(format: VectorFormat, dimensions: Int? = nil, idColumn: Int? = nil, labelsColumn: Int? = nil,
                header: HeaderLine = .auto, schema: Schema = Schema(), ignoreUnknown: Bool = false,
                vectorColumns: ClosedRange<Int>? = nil) {
        self.format = format
        self.dimensions = dimensions
        self.idColumn = idColumn
        self.labelsColumn = labelsColumn
        self.header = header
        self.schema = schema
        self.ignoreUnknown = ignoreUnknown
        self.vectorColumns = vectorColumns
    }

    var isDelimited: Bool { format == .csv || format == .tsv }
    var isBinary: Bool { format == .fvecs || format == .bvecs }

    /// CSV/TSV whose columns are named by the header (fields, or vector columns among others)
    /// rather than all holding components.
    var mapsColumnsByName: Bool { isDelimited && (!schema.isEmpty || vectorColumns != nil) }

    /// The CSV/TSV columns holding something other than vector values, named for messages.
    var namedColumns: [(name: String, column: Int)] {
        [("id", idColumn), ("labels", labelsColumn)].compactMap { name, column in column.map { (name, $0) } }
    }
}

package final class VectorReader {
    private let input: InputBuffer
    private let decoder: RecordDecoder
    private var dimensions: DimensionRule
    private var recordsDelivered = 0
    /// fvecs/bvecs under a schema: every record gets a document with no values.
    private let emptyDocument: Document?

    /// Path "-" means standard input (display name "<stdin>"). Throws `.noSuchFile` if missing.
    package convenience init(path: String, options: VectorReaderOptions) throws {
        try self.init(path: path, options: options, bufferCapacity: InputBuffer.defaultCapacity)
    }

    /// `bufferCapacity` only exists so tests can push records across buffer refills with tiny inputs.
    init(path: String, options: VectorReaderOptions, bufferCapacity: Int) throws {
        try Self.validate(options)
        input = try InputBuffer(path: path, capacity: bufferCapacity)
        dimensions = DimensionRule(expected: options.dimensions)
        let lines = TextLines(input: input)
        let fields = options.schema.isEmpty
            ? nil : DocumentFieldDecoder(schema: options.schema, ignoreUnknown: options.ignoreUnknown, lines: lines)
        let separator = UInt8(ascii: options.format == .csv ? "," : "\t")
        emptyDocument = options.isBinary && fields != nil ? Document(fieldCount: options.schema.fields.count) : nil
        switch options.format {
        case .fvecs: decoder = BinaryDecoder(input: input, element: .float32)
        case .bvecs: decoder = BinaryDecoder(input: input, element: .uint8)
        case .csv, .tsv:
            decoder = options.mapsColumnsByName
                ? HeaderMappedDecoder(lines: lines, separator: separator, options: options, fields: fields)
                : DelimitedDecoder(lines: lines, separator: separator, options: options)
        case .jsonl: decoder = JSONLinesDecoder(lines: lines, fields: fields)
        }
    }

    private static func validate(_ options: VectorReaderOptions) throws {
        if let d = options.dimensions, !DimensionRule.range.contains(d) {
            throw CalibyError.invalidArgument("dimensions must be between 1 and \(DimensionRule.range.upperBound), not \(d)")
        }
        // A binary or JSON file has no header line, so asking for one (or denying it) is a mistake
        // about the input rather than something to ignore.
        if options.header != .auto && !options.isDelimited {
            throw CalibyError.invalidArgument("a header line only applies to csv and tsv input")
        }
        for (name, column) in options.namedColumns {
            guard options.isDelimited else {
                throw CalibyError.invalidArgument("a \(name) column only applies to csv and tsv input")
            }
            guard column >= 1 else { throw CalibyError.invalidArgument("\(name) column must be 1 or more, not \(column)") }
        }
        if let id = options.idColumn, id == options.labelsColumn {
            throw CalibyError.invalidArgument("id and labels cannot both be column \(id)")
        }
        try options.schema.validate()
        if let columns = options.vectorColumns {
            guard options.isDelimited else { throw CalibyError.invalidArgument("vector columns only apply to csv and tsv input") }
            guard columns.lowerBound >= 1 else {
                throw CalibyError.invalidArgument("vector columns must be 1 or more, not \(columns.lowerBound)")
            }
            for (name, column) in options.namedColumns where columns.contains(column) {
                throw CalibyError.invalidArgument("the \(name) column \(column) is among the vector columns \(columns.lowerBound)-\(columns.upperBound)")
            }
        }
        if options.mapsColumnsByName && options.header == .absent {
            throw CalibyError.invalidArgument(
                "csv and tsv input \(options.schema.isEmpty ? "with vector columns" : "with fields") needs a header line naming its columns")
        }
        if options.isBinary, let field = options.schema.fields.first(where: \.required) {
            throw CalibyError.invalidArgument("\(options.format.rawValue) input carries no fields, but field '\(field.name)' is required")
        }
    }

    /// Fills `batch` (after clearing it) with up to `maxRecords` records; returns false at end of input
    /// (batch empty). After an error the reader's position is unspecified.
    package func next(into batch: inout VectorBatch, maxRecords: Int) throws -> Bool {
        precondition(maxRecords > 0, "maxRecords must be positive")
        batch.removeAll()
        batch.firstRecordNumber = recordsDelivered + 1
        while batch.count < maxRecords, try decoder.decodeRecord(into: &batch, dimensions: &dimensions) {}
        if let emptyDocument { batch.documents.append(contentsOf: repeatElement(emptyDocument, count: batch.count)) }
        if let d = dimensions.expected { batch.dimensions = d }
        recordsDelivered += batch.count
        return batch.count > 0
    }

    package var displayName: String { input.displayName }
    /// For progress reporting.
    package var bytesRead: Int { input.bytesRead }
    /// File size when known (not for stdin or pipes).
    package var totalBytes: Int? { input.totalBytes }
}

protocol RecordDecoder: AnyObject {
    /// Appends one record to `batch`; returns false at end of input.
    func decodeRecord(into batch: inout VectorBatch, dimensions: inout DimensionRule) throws -> Bool
}

// MARK: - Validation shared by all formats

/// The dimension every record must share: fixed by the options or adopted from the first record.
struct DimensionRule {
    static let range = 1...65536
    private(set) var expected: Int?

    /// Returns why a record with `count` values is unacceptable, or nil (adopting `count` if first).
    mutating func check(_ count: Int) -> String? {
        if let expected { return count == expected ? nil : "expected \(expected) values, found \(count)" }
        guard Self.range.contains(count) else { return "dimension \(count) is out of range (\(Self.range))" }
        expected = count
        return nil
    }
}

func notFiniteMessage(_ what: String, _ value: String) -> String { "\(what): value \(value) is not finite" }

/// Index of the first NaN or infinity. The common all-finite case is a branch-free pass the compiler
/// can vectorise; only a failing record pays for the second, locating pass.
func firstNonFinite(_ values: UnsafeBufferPointer<Float>) -> Int? {
    var exponentAllOnes: UInt32 = 0
    for value in values { exponentAllOnes |= (value.bitPattern & 0x7F80_0000) == 0x7F80_0000 ? 1 : 0 }
    return exponentAllOnes == 0 ? nil : values.firstIndex { !$0.isFinite }
}

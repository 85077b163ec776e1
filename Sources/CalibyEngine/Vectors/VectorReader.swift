import Glibc

// MARK: - Public API

public enum VectorFormat: String, CaseIterable, Sendable {
    case fvecs, bvecs, csv, tsv, jsonl

    /// By file extension (.fvecs .bvecs .csv .tsv .jsonl .json .ndjson, any case); nil if unknown.
    public static func infer(fromPath path: String) -> VectorFormat? {
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
public enum HeaderLine: Sendable {
    /// A header when every field is a column name: it has a letter, is not a number (nan, inf and
    /// 0x1p3 are numbers), is valid UTF-8 and has no control character. Any other first line is a
    /// record, so a damaged one is reported instead of skipped.
    case auto
    /// The first line is a header whatever it holds.
    case present
    /// Every line is a record.
    case absent
}

public struct VectorReaderOptions: Sendable {
    public var format: VectorFormat
    /// Expected dimension; nil = take it from the first record, then all must match.
    public var dimensions: Int?
    /// CSV/TSV: 1-based column holding the id (UInt64); that column is not part of the vector.
    public var idColumn: Int?
    /// CSV/TSV: 1-based column holding labels, UInt32 values separated by ';' or '|' (may be empty).
    public var labelsColumn: Int?
    /// CSV/TSV: whether the first line is a header. A header must have as many fields as the records.
    public var header: HeaderLine

    public init(format: VectorFormat, dimensions: Int? = nil, idColumn: Int? = nil, labelsColumn: Int? = nil,
                header: HeaderLine = .auto) {
        self.format = format
        self.dimensions = dimensions
        self.idColumn = idColumn
        self.labelsColumn = labelsColumn
        self.header = header
    }

    var isDelimited: Bool { format == .csv || format == .tsv }

    /// The CSV/TSV columns holding something other than vector values, named for messages.
    var namedColumns: [(name: String, column: Int)] {
        [("id", idColumn), ("labels", labelsColumn)].compactMap { name, column in column.map { (name, $0) } }
    }
}

/// A batch of decoded records, stored flat for speed.
public struct VectorBatch {
    public var dimensions: Int
    /// count * dimensions values, record after record.
    public var vectors: [Float] = []
    /// Explicit id per record, nil when the input has none.
    public var ids: [UInt64?] = []
    /// Per record, empty when none.
    public var labels: [[UInt32]] = []
    /// 1-based number of the batch's first record in the input.
    public var firstRecordNumber = 1
    public var count: Int { ids.count }

    public init(dimensions: Int) { self.dimensions = dimensions }

    /// Keeps the storage so that refilling a batch in a loop does not reallocate.
    public mutating func removeAll() {
        vectors.removeAll(keepingCapacity: true)
        ids.removeAll(keepingCapacity: true)
        labels.removeAll(keepingCapacity: true)
    }
}

public final class VectorReader {
    private let input: InputBuffer
    private let decoder: RecordDecoder
    private var dimensions: DimensionRule
    private var recordsDelivered = 0

    /// Path "-" means standard input (display name "<stdin>"). Throws `.noSuchFile` if missing.
    public convenience init(path: String, options: VectorReaderOptions) throws {
        try self.init(path: path, options: options, bufferCapacity: InputBuffer.defaultCapacity)
    }

    /// `bufferCapacity` only exists so tests can push records across buffer refills with tiny inputs.
    init(path: String, options: VectorReaderOptions, bufferCapacity: Int) throws {
        try Self.validate(options)
        input = try InputBuffer(path: path, capacity: bufferCapacity)
        dimensions = DimensionRule(expected: options.dimensions)
        switch options.format {
        case .fvecs: decoder = BinaryDecoder(input: input, element: .float32)
        case .bvecs: decoder = BinaryDecoder(input: input, element: .uint8)
        case .csv, .tsv:
            decoder = DelimitedDecoder(
                lines: TextLines(input: input), separator: UInt8(ascii: options.format == .csv ? "," : "\t"),
                options: options)
        case .jsonl: decoder = JSONLinesDecoder(lines: TextLines(input: input))
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
    }

    /// Fills `batch` (after clearing it) with up to `maxRecords` records; returns false at end of input
    /// (batch empty). After an error the reader's position is unspecified.
    public func next(into batch: inout VectorBatch, maxRecords: Int) throws -> Bool {
        precondition(maxRecords > 0, "maxRecords must be positive")
        batch.removeAll()
        batch.firstRecordNumber = recordsDelivered + 1
        while batch.count < maxRecords, try decoder.decodeRecord(into: &batch, dimensions: &dimensions) {}
        if let d = dimensions.expected { batch.dimensions = d }
        recordsDelivered += batch.count
        return batch.count > 0
    }

    public var displayName: String { input.displayName }
    /// For progress reporting.
    public var bytesRead: Int { input.bytesRead }
    /// File size when known (not for stdin or pipes).
    public var totalBytes: Int? { input.totalBytes }
}

/// Reads a TEXMEX .ivecs file (ground truth): each record an int32 count, then count int32s.
public func readIvecs(path: String) throws -> [[Int32]] {
    let records = TexmexRecords(input: try InputBuffer(path: path, capacity: InputBuffer.defaultCapacity), elementSize: 4)
    let counts = 0...DimensionRule.range.upperBound
    var rows: [[Int32]] = []
    while let record = try records.next(validate: { counts.contains($0) ? nil : "count \($0) is out of range (\(counts))" }) {
        rows.append((0..<record.count).map {
            Int32(littleEndian: record.payload.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self))
        })
    }
    return rows
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

// MARK: - Buffered input

/// Large sequential `read`s into one buffer that decoders parse in place. Works for pipes and stdin,
/// where neither seeking nor the file size is available.
final class InputBuffer {
    /// Large enough that per-`read` overhead vanishes next to the copy, small enough to stay in L3.
    static let defaultCapacity = 4 << 20

    let displayName: String
    let totalBytes: Int?
    private(set) var bytesRead = 0
    private let file: PosixFile?  // owns and closes the descriptor; nil for stdin, which is not ours
    private let fd: Int32
    private var storage: UnsafeMutablePointer<UInt8>
    private var capacity: Int  // one more byte is allocated, so a final line can be NUL-terminated
    private var start = 0, end = 0  // unconsumed bytes
    private var atEnd = false

    init(path: String, capacity: Int) throws {
        if path == "-" {
            file = nil
            fd = STDIN_FILENO
            displayName = "<stdin>"
        } else {
            let file = try PosixFile(path: path, flags: O_RDONLY)
            self.file = file
            fd = file.fd
            displayName = path
        }
        var st = stat()
        let isRegular = fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
        totalBytes = isRegular ? Int(st.st_size) : nil
        if isRegular { _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL) }
        self.capacity = capacity
        storage = .allocate(capacity: capacity + 1)
    }

    deinit { storage.deallocate() }

    var available: Int { end - start }
    var front: UnsafeRawPointer { UnsafeRawPointer(storage + start) }
    func consume(_ count: Int) { start += count }

    /// Reads until at least `minimum` bytes are buffered or the input ends; returns the bytes buffered.
    /// Pointers into the buffer are invalidated.
    @discardableResult
    func fill(atLeast minimum: Int) throws -> Int {
        if available >= minimum || atEnd { return available }
        if minimum > capacity {
            let grown = max(minimum, capacity * 2)
            let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: grown + 1)
            bigger.update(from: storage + start, count: available)
            storage.deallocate()
            storage = bigger
            capacity = grown
        } else if start > 0 {
            memmove(storage, storage + start, available)
        }
        (start, end) = (0, available)
        while end < minimum && !atEnd {
            let n = read(fd, storage + end, capacity - end)
            if n < 0 {
                if errno == EINTR { continue }
                throw CalibyError.io(path: displayName, operation: "read", errno: errno)
            }
            if n == 0 { atEnd = true }
            end += n
            bytesRead += n
        }
        return available
    }

    /// The next line without its "\n" or "\r\n", NUL-terminated in place so that C parsers such as
    /// `strtof` stop at its end; nil at end of input. Valid until the next call.
    func nextLine() throws -> ByteSpan? {
        var scanned = 0
        while true {
            let line = storage + start
            if let found = memchr(line + scanned, Int32(UInt8(ascii: "\n")), available - scanned) {
                let newline = found.assumingMemoryBound(to: UInt8.self)
                start += newline - line + 1
                return Self.terminate(line, newline)
            }
            scanned = available
            if atEnd {
                guard available > 0 else { return nil }
                start = end
                return Self.terminate(line, line + scanned)
            }
            try fill(atLeast: available + 1)
        }
    }

    private static func terminate(_ line: UnsafeMutablePointer<UInt8>, _ stop: UnsafeMutablePointer<UInt8>) -> ByteSpan {
        var stop = stop
        if stop > line && stop[-1] == UInt8(ascii: "\r") { stop -= 1 }
        stop.pointee = 0
        return ByteSpan(start: line, end: stop)
    }
}

// MARK: - Binary formats

/// Record framing shared by .fvecs, .bvecs and .ivecs: little-endian int32 count, then count elements.
final class TexmexRecords {
    let input: InputBuffer
    let elementSize: Int
    private var recordNumber = 0

    init(input: InputBuffer, elementSize: Int) {
        self.input = input
        self.elementSize = elementSize
    }

    func error(_ message: String) -> CalibyError {
        .badInput(location: "\(input.displayName): record \(recordNumber)", message: message)
    }

    /// The next record's element count and payload (valid until the next call); nil at end of input.
    /// `validate` vets the count before the payload is buffered, so a garbage header fails fast
    /// instead of making us buffer gigabytes.
    func next(validate: (Int) -> String?) throws -> (count: Int, payload: UnsafeRawPointer)? {
        guard try input.fill(atLeast: 4) > 0 else { return nil }
        recordNumber += 1
        try require(4)
        let count = Int(Int32(littleEndian: input.front.loadUnaligned(as: Int32.self)))
        if let problem = validate(count) { throw error(problem) }
        let size = 4 + count * elementSize
        try require(size)
        let payload = input.front + 4
        input.consume(size)
        return (count, payload)
    }

    private func require(_ size: Int) throws {
        let found = try input.fill(atLeast: size)
        if found < size { throw error("truncated record (expected \(size) bytes, found \(found))") }
    }
}

protocol RecordDecoder: AnyObject {
    /// Appends one record to `batch`; returns false at end of input.
    func decodeRecord(into batch: inout VectorBatch, dimensions: inout DimensionRule) throws -> Bool
}

final class BinaryDecoder: RecordDecoder {
    enum Element: Int { case float32 = 4, uint8 = 1 }

    private let records: TexmexRecords
    private let element: Element

    init(input: InputBuffer, element: Element) {
        records = TexmexRecords(input: input, elementSize: element.rawValue)
        self.element = element
    }

    func decodeRecord(into batch: inout VectorBatch, dimensions: inout DimensionRule) throws -> Bool {
        guard let record = try records.next(validate: { dimensions.check($0) }) else { return false }
        let base = batch.vectors.count
        batch.vectors.append(contentsOf: repeatElement(0, count: record.count))
        let bad: Int? = batch.vectors.withUnsafeMutableBufferPointer { all in
            let values = UnsafeMutableBufferPointer(rebasing: all[base...])
            switch element {
            case .uint8:
                for i in values.indices { values[i] = Float(record.payload.load(fromByteOffset: i, as: UInt8.self)) }
                return nil
            case .float32:
                // The payload may sit at any alignment, hence a byte copy rather than a typed load;
                // Linux hosts are little-endian, so the bytes need no swapping.
                memcpy(values.baseAddress!, record.payload, record.count * 4)
                return firstNonFinite(UnsafeBufferPointer(values))
            }
        }
        if let bad {
            throw records.error(notFiniteMessage("component \(bad + 1)", "\(batch.vectors[base + bad])"))
        }
        batch.ids.append(nil)
        batch.labels.append([])
        return true
    }
}

// MARK: - Text formats

/// A run of bytes inside the input buffer. The byte at `end` is always readable (at worst the
/// line's NUL), which lets parsers look one byte past a span without a bounds check.
struct ByteSpan {
    var start: UnsafePointer<UInt8>
    var end: UnsafePointer<UInt8>

    init(start: UnsafePointer<UInt8>, end: UnsafePointer<UInt8>) {
        self.start = start
        self.end = end
    }

    init(start: UnsafeMutablePointer<UInt8>, end: UnsafeMutablePointer<UInt8>) {
        self.init(start: UnsafePointer(start), end: UnsafePointer(end))
    }

    var isEmpty: Bool { start == end }

    func trimmingSpaces() -> ByteSpan {
        var span = self
        while span.start < span.end && span.start.pointee == UInt8(ascii: " ") { span.start += 1 }
        while span.end > span.start && span.end[-1] == UInt8(ascii: " ") { span.end -= 1 }
        return span
    }

    func equals(_ text: StaticString) -> Bool {
        end - start == text.utf8CodeUnitCount && memcmp(start, text.utf8Start, text.utf8CodeUnitCount) == 0
    }

    /// For error messages: capped so a runaway field cannot produce a megabyte message, and with
    /// control characters, line separators and bytes that are not UTF-8 escaped (\0, \t, \r, \xFF)
    /// so the message stays one readable line that shows what is actually in the file.
    var text: String {
        let limit = 40
        var shown = ""
        var p = start
        while p < end && p - start < limit {
            if let (scalar, length) = Self.scalar(at: p, before: end), !Self.breaksLine(scalar) {
                shown.unicodeScalars.append(scalar)
                p += length
            } else {
                switch p.pointee {
                case 0: shown += "\\0"
                case UInt8(ascii: "\t"): shown += "\\t"
                case UInt8(ascii: "\r"): shown += "\\r"
                default: shown += "\\x" + String(p.pointee >> 4, radix: 16, uppercase: true)
                                   + String(p.pointee & 15, radix: 16, uppercase: true)
                }
                p += 1
            }
        }
        return p < end ? shown + "…" : shown
    }

    private static func breaksLine(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .lineSeparator, .paragraphSeparator: return true
        default: return false
        }
    }

    /// The Unicode scalar whose UTF-8 encoding starts at `p` and its length in bytes; nil when the
    /// bytes there are not valid UTF-8 (overlong forms and surrogates included).
    static func scalar(at p: UnsafePointer<UInt8>, before end: UnsafePointer<UInt8>) -> (Unicode.Scalar, Int)? {
        var bytes = UnsafeBufferPointer(start: p, count: min(4, end - p)).makeIterator()
        var parser = Unicode.UTF8.ForwardParser()
        guard case .valid(let encoded) = parser.parseScalar(from: &bytes) else { return nil }
        return (Unicode.UTF8.decode(encoded), encoded.count)
    }

    /// The number spelled by exactly this span, nil if it is anything else. Spans never start with
    /// whitespace (which `strtof` would skip) because callers trim or grammar-check them first.
    var float: Float? {
        guard !isEmpty else { return nil }
        if let value = exactFloat { return value }
        var stop: UnsafeMutablePointer<CChar>?
        let value = start.withMemoryRebound(to: CChar.self, capacity: 1) { strtof($0, &stop) }
        return stop.map { UnsafeRawPointer($0) } == UnsafeRawPointer(end) ? value : nil
    }

    private static let exactPowersOf10: [Float] = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10]

    /// Clinger's fast path, which takes `strtof`'s ~65 ns per value down to a few: when the
    /// significand fits in 24 bits and the power of ten is at most 10^10 both are exact Floats, so
    /// one IEEE multiply or divide is already the correctly rounded result. Nil means "ask strtof".
    private var exactFloat: Float? {
        var p = start
        let negative = p.pointee == UInt8(ascii: "-")
        if negative { p += 1 }
        var significand: UInt32 = 0
        var exponent = 0
        var sawDigit = false
        var inFraction = false
        while p < end {
            let digit = p.pointee &- UInt8(ascii: "0")
            if digit < 10 {
                significand = significand &* 10 &+ UInt32(digit)
                guard significand <= 1 << 24 else { return nil }
                sawDigit = true
                if inFraction { exponent -= 1 }
            } else if p.pointee == UInt8(ascii: ".") && !inFraction {
                inFraction = true
            } else {
                break
            }
            p += 1
        }
        guard sawDigit else { return nil }
        if p < end {
            guard p.pointee | 0x20 == UInt8(ascii: "e") else { return nil }
            p += 1
            let negativeExponent = p < end && p.pointee == UInt8(ascii: "-")
            if p < end && (negativeExponent || p.pointee == UInt8(ascii: "+")) { p += 1 }
            guard p < end, end - p <= 3 else { return nil }
            var written = 0
            while p < end {
                let digit = p.pointee &- UInt8(ascii: "0")
                guard digit < 10 else { return nil }
                written = written * 10 + Int(digit)
                p += 1
            }
            exponent += negativeExponent ? -written : written
        }
        guard abs(exponent) < Self.exactPowersOf10.count else { return nil }
        let magnitude = exponent < 0
            ? Float(significand) / Self.exactPowersOf10[-exponent]
            : Float(significand) * Self.exactPowersOf10[exponent]
        return negative ? -magnitude : magnitude
    }

    /// Decimal digits only: signs, fractions and exponents are not ids or labels.
    func unsigned(max limit: UInt64) -> UInt64? {
        guard !isEmpty else { return nil }
        var value: UInt64 = 0
        for p in start..<end {
            let digit = p.pointee &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(digit))
            guard !overflow1, !overflow2, sum <= limit else { return nil }
            value = sum
        }
        return value
    }
}

/// Line numbering, error locations and the field checks shared by the CSV/TSV and JSONL decoders.
final class TextLines {
    let input: InputBuffer
    private(set) var lineNumber = 0

    init(input: InputBuffer) { self.input = input }

    func error(_ message: String) -> CalibyError {
        .badInput(location: "\(input.displayName):\(lineNumber)", message: message)
    }

    /// The next line holding anything besides spaces and tabs (see `InputBuffer.nextLine`).
    func nextNonBlank() throws -> ByteSpan? {
        while var line = try input.nextLine() {
            lineNumber += 1
            // Spreadsheet exports often start with a UTF-8 byte order mark.
            if lineNumber == 1 && line.end - line.start >= 3 && ByteSpan(start: line.start, end: line.start + 3).equals("\u{FEFF}") {
                line.start += 3
            }
            if (line.start..<line.end).contains(where: { $0.pointee != UInt8(ascii: " ") && $0.pointee != UInt8(ascii: "\t") }) {
                return line
            }
        }
        return nil
    }

    func component(_ span: ByteSpan, _ what: @autoclosure () -> String) throws -> Float {
        guard let value = span.float else {
            throw error(span.isEmpty ? "\(what()): empty value" : "\(what()): '\(span.text)' is not a number")
        }
        guard value.isFinite else { throw error(notFiniteMessage(what(), span.text)) }
        return value
    }

    func id(_ span: ByteSpan) throws -> UInt64 { try IDText.id(span, fail: error) }

    /// Ends a record whose `values` components were already appended to `batch.vectors`.
    func commit(values: Int, id: UInt64?, labels: [UInt32], to batch: inout VectorBatch,
                dimensions: inout DimensionRule) throws {
        if let problem = dimensions.check(values) { throw error(problem) }
        batch.ids.append(id)
        batch.labels.append(labels)
    }
}

/// How ids and labels are written wherever Caliby reads them (id and label columns, JSON lines,
/// `--ids` and `--labels` files): decimal digits only — no sign, fraction or exponent — and a
/// record's labels separated by ';' or '|' (',' would split a CSV field).
public enum IDText {
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
    public static func id(_ text: String, location: String) throws -> UInt64 {
        try withSpan(text) { try id($0.trimmingSpaces(), fail: { .badInput(location: location, message: $0) }) }
    }

    /// One record's labels written as text; errors are reported at `location` (file:line).
    public static func labels(_ text: String, location: String) throws -> [UInt32] {
        try withSpan(text) { try labels($0, fail: { .badInput(location: location, message: $0) }) }
    }

    private static func withSpan<R>(_ text: String, _ body: (ByteSpan) throws -> R) throws -> R {
        let bytes = Array(text.utf8) + [0]  // never empty: the span needs a base address
        return try bytes.withUnsafeBufferPointer { b in
            try body(ByteSpan(start: b.baseAddress!, end: b.baseAddress! + (b.count - 1)))
        }
    }
}

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

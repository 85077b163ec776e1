import Glibc

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
    /// The line errors name: the first line of the record being read (a quoted CSV field may
    /// continue it over further lines).
    private(set) var lineNumber = 0
    private var linesRead = 0

    init(input: InputBuffer) { self.input = input }

    func error(_ message: String) -> CalibyError {
        .badInput(location: "\(input.displayName):\(lineNumber)", message: message)
    }

    /// The next line holding anything besides spaces and tabs (see `InputBuffer.nextLine`).
    func nextNonBlank() throws -> ByteSpan? {
        while var line = try input.nextLine() {
            linesRead += 1
            lineNumber = linesRead
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

    /// The line after the current one, blank or not, as the rest of a record that a quoted field
    /// carries over a line break; errors still name the record's first line. Nil at end of input.
    func continuation() throws -> ByteSpan? {
        guard let line = try input.nextLine() else { return nil }
        linesRead += 1
        return line
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

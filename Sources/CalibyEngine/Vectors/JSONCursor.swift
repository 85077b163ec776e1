/// A cursor over one line of JSON (or a CSV cell holding JSON) whose end byte is readable and is no
/// digit or letter, so that number and literal scans stop there. Values the decoder ignores are
/// skipped by bracket matching rather than fully validated: they cost nothing to keep and are not
/// ours to police. Field values are decoded in full (`decodedString`), since they are stored.
struct JSONCursor {
    private let line: ByteSpan
    private let lines: TextLines
    private var p: UnsafePointer<UInt8>

    /// `start`: where in `line` to begin, when a second cursor goes back over part of it.
    init(line: ByteSpan, lines: TextLines, at start: UnsafePointer<UInt8>? = nil) {
        self.line = line
        self.lines = lines
        p = start ?? line.start
    }

    private func invalid(_ reason: String? = nil) -> CalibyError {
        lines.error("invalid JSON at column \(p - line.start + 1)" + (reason.map { " (\($0))" } ?? ""))
    }

    /// Where the cursor stands, for the text of what it steps over.
    var position: UnsafePointer<UInt8> { p }

    /// The next byte after spaces, without consuming it; NUL at the end.
    mutating func peek() -> UInt8 {
        skipSpace()
        return p < line.end ? p.pointee : 0
    }

    /// Bounded by the end, not only by the line's NUL: a TSV cell ends at a tab.
    private mutating func skipSpace() {
        while p < line.end && (p.pointee == UInt8(ascii: " ") || p.pointee == UInt8(ascii: "\t")) { p += 1 }
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

    /// A string decoded as JSON says: every escape, surrogate pairs joined. An invalid escape, a lone
    /// surrogate, a raw control character or bytes that are not UTF-8 are errors.
    mutating func decodedString() throws -> String {
        skipSpace()
        guard p < line.end && p.pointee == UInt8(ascii: "\"") else { throw invalid() }
        let opening = p
        p += 1
        var decoded: [UInt8] = []  // filled only once an escape appears: most strings have none
        var sawEscape = false
        var run = p
        while true {
            guard p < line.end else { throw invalid("unterminated string") }
            let byte = p.pointee
            if byte == UInt8(ascii: "\"") { break }
            if byte < 0x20 { throw invalid("a control character in a string must be escaped") }
            if byte == UInt8(ascii: "\\") {
                sawEscape = true
                decoded.append(contentsOf: UnsafeBufferPointer(start: run, count: p - run))
                try decodeEscape(into: &decoded)
                run = p
            } else {
                p += 1
            }
        }
        let tail = UnsafeBufferPointer(start: run, count: p - run)
        let text: String?
        if sawEscape {
            decoded.append(contentsOf: tail)
            text = String(validating: decoded, as: UTF8.self)
        } else {
            text = String(validating: tail, as: UTF8.self)
        }
        guard let text else {
            p = opening
            throw invalid("a string that is not valid UTF-8")
        }
        p += 1
        return text
    }

    /// The escape at `p` (its backslash), appended as UTF-8.
    private mutating func decodeEscape(into bytes: inout [UInt8]) throws {
        let simple: UInt8?
        switch p[1] {
        case UInt8(ascii: "\""): simple = UInt8(ascii: "\"")
        case UInt8(ascii: "\\"): simple = UInt8(ascii: "\\")
        case UInt8(ascii: "/"): simple = UInt8(ascii: "/")
        case UInt8(ascii: "b"): simple = 0x08
        case UInt8(ascii: "f"): simple = 0x0C
        case UInt8(ascii: "n"): simple = UInt8(ascii: "\n")
        case UInt8(ascii: "r"): simple = UInt8(ascii: "\r")
        case UInt8(ascii: "t"): simple = UInt8(ascii: "\t")
        case UInt8(ascii: "u"): simple = nil
        default: throw invalid("invalid escape")
        }
        if let simple {
            bytes.append(simple)
            p += 2
            return
        }
        let escape = p
        let lead = try hexUnit()
        var scalar = Unicode.Scalar(lead)  // nil for a surrogate
        if UTF16.isLeadSurrogate(lead), line.end - p >= 2, p.pointee == UInt8(ascii: "\\"), p[1] == UInt8(ascii: "u") {
            let trail = try hexUnit()
            if UTF16.isTrailSurrogate(trail) {
                scalar = Unicode.Scalar(0x10000 + (UInt32(lead) - 0xD800) << 10 + (UInt32(trail) - 0xDC00))
            }
        }
        guard let scalar else {
            p = escape  // the message's column points at the escape, not past it
            throw invalid("a lone surrogate")
        }
        bytes.append(contentsOf: UTF8.encode(scalar)!)
    }

    /// The four hex digits of the `\uXXXX` at `p`, which it steps over.
    private mutating func hexUnit() throws -> UInt16 {
        guard line.end - p >= 6 else { throw invalid("invalid escape") }
        var unit: UInt16 = 0
        for i in 2..<6 {
            let c = p[i] | 0x20  // lower case for letters; digits keep their value
            let digit: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = c - UInt8(ascii: "a") + 10
            default: throw invalid("invalid escape")
            }
            unit = unit << 4 | UInt16(digit)
        }
        p += 6
        return unit
    }

    /// Where the JSON number starting at `start` ends (leading zeros tolerated), nil if none starts
    /// there. The readable byte after a line or cell, never a digit, stops every scan.
    static func numberEnd(from start: UnsafePointer<UInt8>) -> UnsafePointer<UInt8>? {
        func digits(_ q: inout UnsafePointer<UInt8>) -> Bool {
            let first = q
            while q.pointee &- UInt8(ascii: "0") < 10 { q += 1 }
            return q > first
        }
        var q = start
        if q.pointee == UInt8(ascii: "-") { q += 1 }
        guard digits(&q) else { return nil }
        if q.pointee == UInt8(ascii: ".") {
            q += 1
            guard digits(&q) else { return nil }
        }
        if q.pointee | 0x20 == UInt8(ascii: "e") {
            q += 1
            if q.pointee == UInt8(ascii: "+") || q.pointee == UInt8(ascii: "-") { q += 1 }
            guard digits(&q) else { return nil }
        }
        return q
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

    private mutating func scanNumber() -> Bool {
        guard let end = Self.numberEnd(from: p) else { return false }
        p = end
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

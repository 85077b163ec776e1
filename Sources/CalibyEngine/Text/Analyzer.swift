/// How a text field's values and a text query are turned into terms (`--analyzer`). The rules are
/// shared word for word with the benchmark's Python reference scorer (text-spec.md), so they are
/// deliberately simple and have no stop words.
public enum Analyzer: String, Codable, Sendable, CaseIterable {
    /// Words, numbers and single ideographs, lowercased and stripped of diacritics (NFD, nonspacing
    /// marks removed, NFC). `'`, `’` and `.` stay inside a word between two word characters
    /// (`don't`, `file.txt`), `,` between two digits (`1,000`).
    case standard
    /// `standard`, then every term made of ASCII letters a–z only stemmed with the original Porter
    /// stemmer (`connections` → `connect`).
    case english
    /// Runs of non-whitespace (Unicode White_Space) as they are: case, diacritics and punctuation
    /// kept. For identifiers and codes.
    case whitespace
}

extension Analyzer {
    /// A term longer than this many UTF-8 bytes (after folding) is dropped and takes no position.
    package static let maxTermBytes = 100

    /// The terms of `text` in order; term i has position i within this text.
    package func terms(_ text: String) -> [String] {
        var terms: [String] = []
        forEachTerm(in: text) { terms.append($0) }
        return terms
    }

    /// Same as `terms`, without the array: `body` gets each kept term in order, so the n-th call
    /// (from 0) is the term at position n — the path the index takes.
    func forEachTerm(in text: String, _ body: (String) -> Void) {
        var text = text
        text.withUTF8 { bytes in
            switch self {
            case .whitespace:
                Analyzer.splitOnWhitespace(bytes, body)
            case .standard, .english:
                var tokenizer = StandardTokenizer(bytes: bytes, stems: self == .english)
                tokenizer.run(body)
            }
        }
    }

    private static func splitOnWhitespace(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (String) -> Void) {
        var start = 0
        var i = 0
        func flush(_ end: Int) {
            if end > start && end - start <= maxTermBytes {
                body(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self))
            }
        }
        while i < bytes.count {
            let (scalar, length) = StandardTokenizer.decode(bytes, at: i)
            let isSpace = scalar.isASCII
                ? ByteClass.of(UInt8(scalar.value)) == .space
                : scalar.properties.isWhitespace
            if isSpace {
                flush(i)
                start = i + length
            }
            i += length
        }
        flush(i)
    }
}

/// What an ASCII byte is to the tokenizers; one table lookup per byte is the fast path.
enum ByteClass: UInt8 {
    case separator, word, digit, joiner, comma, space

    /// Unicode White_Space in ASCII is tab, LF, VT, FF, CR and space; they separate for `standard`
    /// too.
    static func of(_ byte: UInt8) -> ByteClass { table[Int(byte)] }

    private static let table: [ByteClass] = (0..<128).map { byte -> ByteClass in
        switch UInt8(byte) {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "_"): return .word
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return .digit
        case UInt8(ascii: "'"), UInt8(ascii: "."): return .joiner
        case UInt8(ascii: ","): return .comma
        case 9...13, 32: return .space
        default: return .separator
        }
    }
}

/// `standard`'s segmentation (text-spec.md, "standard" 1–3) over UTF-8 bytes. ASCII tokens are
/// lowercased byte by byte and become a String once; only a token with a non-ASCII scalar goes
/// through `TextFolding`.
private struct StandardTokenizer {
    /// A scalar's part in segmentation; `digit` is a W that is also Nd (for the `,` joiner).
    enum Kind { case word, digit, ideograph, joiner, comma, separator }

    let bytes: UnsafeBufferPointer<UInt8>
    let stems: Bool
    private var lowered: [UInt8] = []
    private var scalars: [Unicode.Scalar] = []
    private var lowercased: [Unicode.Scalar] = []
    private var decomposed: [Unicode.Scalar] = []

    init(bytes: UnsafeBufferPointer<UInt8>, stems: Bool) {
        self.bytes = bytes
        self.stems = stems
        lowered.reserveCapacity(Analyzer.maxTermBytes + 4)
    }

    /// The scalar starting at byte `i` of valid UTF-8, and its length in bytes.
    @inline(__always)
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int) -> (Unicode.Scalar, Int) {
        let lead = UInt32(bytes[i])
        if lead < 0x80 { return (Unicode.Scalar(UInt8(lead)), 1) }
        if lead < 0xE0 {
            return (Unicode.Scalar((lead & 0x1F) << 6 | UInt32(bytes[i + 1] & 0x3F))!, 2)
        }
        if lead < 0xF0 {
            let value = (lead & 0x0F) << 12 | UInt32(bytes[i + 1] & 0x3F) << 6 | UInt32(bytes[i + 2] & 0x3F)
            return (Unicode.Scalar(value)!, 3)
        }
        let value = (lead & 0x07) << 18 | UInt32(bytes[i + 1] & 0x3F) << 12
            | UInt32(bytes[i + 2] & 0x3F) << 6 | UInt32(bytes[i + 3] & 0x3F)
        return (Unicode.Scalar(value)!, 4)
    }

    static func kind(_ scalar: Unicode.Scalar) -> Kind {
        scalar.value < 0x370 ? latinKinds[Int(scalar.value)] : propertyKind(scalar)
    }

    /// ASCII, Latin, IPA and the combining diacritics by one lookup instead of two searches of
    /// the stdlib's property tables: accented Latin words are most of the non-ASCII text indexed.
    private static let latinKinds: [Kind] = (0..<0x370).map { propertyKind(Unicode.Scalar($0)!) }

    private static func propertyKind(_ scalar: Unicode.Scalar) -> Kind {
        let value = scalar.value
        if value < 0x80 {
            switch ByteClass.of(UInt8(value)) {
            case .word: return .word
            case .digit: return .digit
            case .joiner: return .joiner
            case .comma: return .comma
            case .separator, .space: return .separator
            }
        }
        switch value {
        case 0x3040...0x309F, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xF900...0xFAFF, 0x20000...0x2FFFF: return .ideograph
        case 0x2019: return .joiner
        default: break
        }
        // Scalars assigned after the tables' Unicode version separate, as unassigned ones do there:
        // a toolchain with newer Unicode data must not change the terms of text already indexed,
        // and the reference scorer's Python sees them as unassigned too.
        guard let age = scalar.properties.age, age <= TextFoldingTables.unicodeVersion else { return .separator }
        switch scalar.properties.generalCategory {
        case .decimalNumber: return .digit
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .nonspacingMark, .spacingMark, .enclosingMark, .letterNumber, .otherNumber, .connectorPunctuation:
            return .word
        default: return .separator
        }
    }

    private func kind(at i: Int) -> Kind {
        i < bytes.count ? StandardTokenizer.kind(StandardTokenizer.decode(bytes, at: i).0) : .separator
    }

    mutating func run(_ body: (String) -> Void) {
        var start = -1
        var isASCII = true
        var previous = Kind.separator
        var i = 0
        while i < bytes.count {
            let (scalar, length) = StandardTokenizer.decode(bytes, at: i)
            let kind = StandardTokenizer.kind(scalar)
            switch kind {
            case .word, .digit:
                if start < 0 {
                    start = i
                    isASCII = true
                }
                if length > 1 { isASCII = false }
            case .joiner, .comma:
                let next = self.kind(at: i + length)
                let joins = kind == .joiner
                    ? (previous == .word || previous == .digit) && (next == .word || next == .digit)
                    : previous == .digit && next == .digit
                if joins {
                    if length > 1 { isASCII = false }
                } else if start >= 0 {
                    emit(start..<i, isASCII: isASCII, body)
                    start = -1
                }
            case .ideograph:
                if start >= 0 { emit(start..<i, isASCII: isASCII, body) }
                emit(i..<(i + length), isASCII: false, body)
                start = -1
            case .separator:
                if start >= 0 {
                    emit(start..<i, isASCII: isASCII, body)
                    start = -1
                }
            }
            previous = kind
            i += length
        }
        if start >= 0 { emit(start..<bytes.count, isASCII: isASCII, body) }
    }

    private mutating func emit(_ range: Range<Int>, isASCII: Bool, _ body: (String) -> Void) {
        if isASCII {
            // ASCII folding keeps the length, so an overlong token is known before any work.
            guard range.count <= Analyzer.maxTermBytes else { return }
            lowered.removeAll(keepingCapacity: true)
            var lettersOnly = true
            for i in range {
                let byte = bytes[i]
                let isUpper = byte &- UInt8(ascii: "A") < 26
                let letter = isUpper ? byte | 0x20 : byte
                lettersOnly = lettersOnly && letter &- UInt8(ascii: "a") < 26
                lowered.append(letter)
            }
            if stems && lettersOnly { PorterStemmer.stem(&lowered) }
            body(String(decoding: lowered, as: UTF8.self))
            return
        }
        scalars.removeAll(keepingCapacity: true)
        var i = range.lowerBound
        while i < range.upperBound {
            let (scalar, length) = StandardTokenizer.decode(bytes, at: i)
            scalars.append(scalar)
            i += length
        }
        let folded = TextFolding.shared.fold(scalars, lowered: &lowercased, decomposed: &decomposed)
        let size = folded.utf8.count
        guard size > 0 && size <= Analyzer.maxTermBytes else { return }
        if stems && folded.utf8.allSatisfy({ $0 &- UInt8(ascii: "a") < 26 }) {
            var letters = Array(folded.utf8)
            PorterStemmer.stem(&letters)
            body(String(decoding: letters, as: UTF8.self))
        } else {
            body(folded)
        }
    }
}

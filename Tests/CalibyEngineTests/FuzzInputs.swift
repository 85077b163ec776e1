import Foundation
@testable import CalibyEngine

/// What a well-formed input holds, so an unmutated one can be checked value for value.
struct FuzzRecords: Equatable {
    var dimensions: Int?
    /// Bit patterns: -0.0 must come back as -0.0.
    var bits: [UInt32] = []
    var ids: [UInt64?] = []
    var labels: [[UInt32]] = []
    var documents: [Document] = []
    var count: Int { ids.count }
}

/// One input for the reader: the bytes of a file, how to read it and, when the bytes are exactly
/// as generated, what must be read from them.
struct FuzzCase {
    enum Kind { case vectors(VectorFormat), ivecs }

    var kind: Kind
    var bytes: [UInt8]
    var options: VectorReaderOptions
    var bufferCapacity = InputBuffer.defaultCapacity
    var maxRecords = 1000
    var expected: FuzzRecords?
    var expectedRows: [[Int32]]?
    var summary: String

    var fileExtension: String {
        switch kind {
        case .vectors(let format): return format.rawValue
        case .ivecs: return "ivecs"
        }
    }
}

/// Random and adversarial inputs in every format: well-formed files (some left intact), the same
/// with bytes flipped, inserted, cut or repeated, pure noise, and extremes (very long lines, deep
/// JSON nesting, record counts far out of range, NaN and infinity bit patterns).
struct FuzzInputs {
    fileprivate var rng: SeededGenerator

    init(seed: UInt64) { rng = SeededGenerator(seed: seed) }

    fileprivate mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }
    fileprivate mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &rng) < p }
    fileprivate mutating func pick<T>(_ items: [T]) -> T { items[int(0...items.count - 1)] }

    mutating func next() -> FuzzCase {
        var c: FuzzCase
        switch int(0...19) {
        case 0: c = noise()
        case 1: c = extreme()
        default:
            c = chance(0.25) ? withDocuments() : wellFormed()
            // A third stay intact: they pin down what is read, not only that nothing breaks.
            let mutations = chance(0.33) ? 0 : int(1...4)
            for _ in 0..<mutations { mutate(&c) }
        }
        c.bufferCapacity = chance(0.5) ? InputBuffer.defaultCapacity : int(1...64)
        c.maxRecords = pick([1, 2, 3, 1000])
        return c
    }

    // MARK: Well-formed inputs

    private mutating func value() -> Float {
        switch int(0...7) {
        case 0: return Float(int(-1000...1000))
        case 1: return pick([0, -0.0, .leastNonzeroMagnitude, .leastNormalMagnitude, .greatestFiniteMagnitude,
                             -.greatestFiniteMagnitude, 16_777_218, 0.1, 1e-30, 3e38])
        default: return Float.random(in: -1000...1000, using: &rng)
        }
    }

    private mutating func wellFormed() -> FuzzCase {
        let formats: [FuzzCase.Kind] = [.vectors(.fvecs), .vectors(.bvecs), .vectors(.csv), .vectors(.tsv), .vectors(.jsonl), .ivecs]
        let kind = pick(formats)
        let dimensions = chance(0.1) ? int(1...300) : int(1...6)
        let rows = int(0...8)
        switch kind {
        case .ivecs: return ivecs(rows: rows)
        case .vectors(let format):
            switch format {
            case .fvecs, .bvecs: return texmex(format, dimensions: dimensions, rows: rows)
            case .csv, .tsv: return delimited(format, dimensions: dimensions, rows: rows)
            case .jsonl: return jsonLines(dimensions: dimensions, rows: rows)
            }
        }
    }

    private func int32(_ value: Int32) -> [UInt8] { withUnsafeBytes(of: value.littleEndian, Array.init) }

    private mutating func texmex(_ format: VectorFormat, dimensions: Int, rows: Int) -> FuzzCase {
        var bytes: [UInt8] = []
        var expected = FuzzRecords(dimensions: rows > 0 ? dimensions : nil)
        for _ in 0..<rows {
            bytes += int32(Int32(dimensions))
            for _ in 0..<dimensions {
                let v = format == .bvecs ? Float(int(0...255)) : value()
                bytes += format == .bvecs ? [UInt8(v)] : int32(Int32(bitPattern: v.bitPattern))
                expected.bits.append(v.bitPattern)
            }
            expected.ids.append(nil)
            expected.labels.append([])
        }
        let options = VectorReaderOptions(format: format, dimensions: chance(0.3) ? dimensions : nil)
        return FuzzCase(kind: .vectors(format), bytes: bytes, options: options, expected: expected,
                        summary: "\(format) \(rows)x\(dimensions)")
    }

    private mutating func ivecs(rows: Int) -> FuzzCase {
        var bytes: [UInt8] = []
        var expected: [[Int32]] = []
        for _ in 0..<rows {
            let row = (0..<int(0...5)).map { _ in Int32.random(in: .min ... .max, using: &rng) }
            bytes += int32(Int32(row.count)) + row.flatMap(int32)
            expected.append(row)
        }
        return FuzzCase(kind: .ivecs, bytes: bytes, options: VectorReaderOptions(format: .fvecs), expectedRows: expected,
                        summary: "ivecs \(rows) rows")
    }

    /// How a number may be written in text: Swift's shortest form reads back exactly.
    private mutating func numberText(_ v: Float) -> String {
        let text = "\(v)"
        return chance(0.1) ? "\"\(text)\"" : chance(0.1) ? " \(text) " : text
    }

    private mutating func delimited(_ format: VectorFormat, dimensions: Int, rows: Int) -> FuzzCase {
        let separator = format == .csv ? "," : "\t"
        let hasID = chance(0.4), hasLabels = chance(0.4)
        let fields = dimensions + (hasID ? 1 : 0) + (hasLabels ? 1 : 0)
        var columns = (1...fields).shuffled(using: &rng)
        let idColumn = hasID ? columns.removeLast() : nil
        let labelsColumn = hasLabels ? columns.removeLast() : nil
        let newline = chance(0.2) ? "\r\n" : "\n"
        var text = chance(0.1) ? "\u{FEFF}" : ""
        if chance(0.1) { text += "  " + newline }
        let header = chance(0.5)
        if header {
            // A quoted name may hold a comma, even in TSV; a tab is a control character either way.
            let names = ["x", "id", "größe", "名前", "\"a,b\"", "Labels", "dim_0", " v "]
            text += (0..<fields).map { _ in pick(names) }.joined(separator: separator) + newline
        }
        var expected = FuzzRecords(dimensions: rows > 0 ? dimensions : nil)
        for _ in 0..<rows {
            var line: [String] = []
            var id: UInt64?
            var labels: [UInt32] = []
            for column in 1...fields {
                if column == idColumn {
                    let value = UInt64.random(in: 0 ... .max, using: &rng)
                    id = value
                    line.append("\(value)")
                } else if column == labelsColumn {
                    labels = (0..<int(0...3)).map { _ in UInt32.random(in: 0 ... .max, using: &rng) }
                    line.append(labels.map(String.init).joined(separator: pick([";", "|", " ; "])))
                } else {
                    let v = value()
                    expected.bits.append(v.bitPattern)
                    line.append(numberText(v))
                }
            }
            text += line.joined(separator: separator) + newline
            if chance(0.1) { text += newline }
            expected.ids.append(id)
            expected.labels.append(labels)
        }
        let rule: HeaderLine = header ? pick([.auto, .present]) : pick([.auto, .absent])
        let options = VectorReaderOptions(format: format, dimensions: chance(0.3) ? dimensions : nil,
                                          idColumn: idColumn, labelsColumn: labelsColumn, header: rule)
        return FuzzCase(kind: .vectors(format), bytes: Array(text.utf8), options: options, expected: expected,
                        summary: "\(format) \(rows)x\(dimensions) header \(header) \(rule) id \(idColumn as Any) labels \(labelsColumn as Any)")
    }

    private mutating func jsonLines(dimensions: Int, rows: Int) -> FuzzCase {
        var text = ""
        var expected = FuzzRecords(dimensions: rows > 0 ? dimensions : nil)
        for _ in 0..<rows {
            var vector: [String] = []
            for _ in 0..<dimensions {
                let v = value()
                expected.bits.append(v.bitPattern)
                vector.append("\(v)")
            }
            let id: UInt64? = chance(0.5) ? UInt64.random(in: 0 ... .max, using: &rng) : nil
            let labels = (0..<int(0...3)).map { _ in UInt32.random(in: 0 ... .max, using: &rng) }
            let comma: String = pick([",", ", ", " ,"])
            let vectorText: String = vector.joined(separator: comma)
            let labelsText: String = labels.map { String($0) }.joined(separator: ",")
            let idText: String = id.map { String($0) } ?? "null"
            var members: [String] = ["\"vector\": [\(vectorText)]", "\"labels\": [\(labelsText)]", "\"id\": \(idText)"]
            if chance(0.3) { members.append("\"note\": {\"a\": [1, \"]}\\\"\", {\"b\": null}], \"c\": true}") }
            members.shuffle(using: &rng)
            text += "{" + members.joined(separator: ", ") + "}\n"
            expected.ids.append(id)
            expected.labels.append(labels)
        }
        let options = VectorReaderOptions(format: .jsonl, dimensions: chance(0.3) ? dimensions : nil)
        return FuzzCase(kind: .vectors(.jsonl), bytes: Array(text.utf8), options: options, expected: expected,
                        summary: "jsonl \(rows)x\(dimensions)")
    }

    // MARK: Damage

    private static let tokens: [[UInt8]] = {
        let bytes: [[UInt8]] = [[0], [0xFF], [0xC3], [0xE2, 0x82], [0xC0, 0x80], [0x01], [0x85]]
        let texts: [String] = ["\"", ",", "\t", "\n", "\r", ";", "|", " ", "nan", "inf", "-", "1e999", "0x1p3", "{", "}",
                               "[", "]", ":", "\\", "\u{FEFF}", "\u{2028}", "\u{664}", "x", "\"vector\"", "null", "1,,2",
                               "\"\"", "-0"]
        return bytes + texts.map { Array($0.utf8) }
    }()

    private static let adversarialWords: [UInt32] = [
        0, 0xFFFF_FFFF, 0x8000_0000, 0x7FFF_FFFF, 65536, 65537, 1 << 20, 2,
        0x7FC0_0000, 0x7F80_0000, 0xFF80_0000, 0x7F80_0001, 0x0000_0001,
    ]

    private mutating func mutate(_ c: inout FuzzCase) {
        c.expected = nil
        c.expectedRows = nil
        var bytes = c.bytes
        let at = int(0...bytes.count)
        switch int(0...5) {
        case 0 where !bytes.isEmpty: bytes[min(at, bytes.count - 1)] = UInt8(int(0...255))
        case 1: bytes.insert(contentsOf: pick(Self.tokens), at: at)
        case 2: bytes.removeSubrange(at..<min(bytes.count, at + int(1...8)))
        case 3: bytes.removeSubrange(at...)
        case 4: bytes.insert(contentsOf: bytes[at..<min(bytes.count, at + int(1...40))], at: at)
        default:
            let word = int32(Int32(bitPattern: pick(Self.adversarialWords)))
            let offset = min(bytes.count, chance(0.5) ? 0 : at & ~3)
            bytes.replaceSubrange(offset..<min(bytes.count, offset + 4), with: word)
        }
        c.bytes = bytes
        c.summary += " mutated"
    }

    private mutating func noise() -> FuzzCase {
        var c = wellFormed()
        c.bytes = (0..<int(0...600)).map { _ in UInt8(int(0...255)) }
        c.expected = nil
        c.expectedRows = nil
        c.summary = "noise as \(c.fileExtension)"
        return c
    }

    private mutating func extreme() -> FuzzCase {
        let depth = int(1...200_000)
        switch int(0...6) {
        case 0:
            let text = "{\"meta\": " + String(repeating: "[", count: depth) + String(repeating: "]", count: chance(0.5) ? depth : depth / 2)
                + ", \"vector\": [1, 2]}\n"
            return raw(.jsonl, text, "jsonl nested \(depth)")
        case 1:
            return raw(.jsonl, "{\"vector\": " + String(repeating: "[", count: depth) + "\n", "jsonl open vector \(depth)")
        case 2:
            let count = pick([65536, 65537, 100_000])
            let line = (0..<count).map { _ in "1" }.joined(separator: ",")
            return raw(.jsonl, "{\"vector\": [\(line)]}\n", "jsonl \(count) components")
        case 3:
            let count = pick([65536, 65537, 100_000])
            let format: VectorFormat = pick([.csv, .tsv])
            let line = (0..<count).map { _ in "0.5" }.joined(separator: format == .csv ? "," : "\t")
            return raw(format, line + "\n", "\(format) \(count) fields")
        case 4:
            let length = int(1...3_000_000)
            return raw(pick([.csv, .jsonl]), String(repeating: pick(["\"", "x", " ", "9"]), count: length), "line of \(length)")
        case 5:
            let dimensions = pick([65536, 65537, 1 << 24, -1, Int(Int32.min)])
            var bytes = int32(Int32(dimensions))
            if dimensions > 0 && chance(0.5) { bytes += [UInt8](repeating: 0, count: min(dimensions, 65536) * 4) }
            return FuzzCase(kind: .vectors(.fvecs), bytes: bytes, options: VectorReaderOptions(format: .fvecs),
                            summary: "fvecs dimension \(dimensions)")
        default:
            let bits = pick([UInt32(0x7FC0_0000), 0x7F80_0000, 0xFF80_0000, 0xFFFF_FFFF])
            let bytes = int32(2) + int32(0) + int32(Int32(bitPattern: bits))
            return FuzzCase(kind: .vectors(.fvecs), bytes: bytes, options: VectorReaderOptions(format: .fvecs),
                            summary: "fvecs value \(String(bits, radix: 16))")
        }
    }

    private mutating func raw(_ format: VectorFormat, _ text: String, _ summary: String) -> FuzzCase {
        FuzzCase(kind: .vectors(format), bytes: Array(text.utf8), options: VectorReaderOptions(format: format), summary: summary)
    }
}

// MARK: Documents

extension FuzzInputs {
    static let documentSchema = Schema(fields: [
        Field(name: "t", type: .text), Field(name: "s", type: .string, required: true), Field(name: "f", type: .float),
        Field(name: "i", type: .int), Field(name: "b", type: .bool), Field(name: "ss", type: .stringArray),
        Field(name: "ii", type: .intArray),
    ])

    private static let words = ["", "a", "plain words", " spaced ", "comma, inside", "say \"hi\"", "back\\slash", "tab\there",
                                "two\nlines", "blank\n\nline", "größe", "名前", "😀", "\u{1}ctl", "\u{2028}", "[1, 2]", "null",
                                "\u{FEFF}bom", "{\"vector\": [1]}"]

    /// JSON's spelling of `text`, escaping more or less than it must, non-ASCII sometimes as \u
    /// escapes (surrogate pairs beyond the BMP).
    private mutating func jsonString(_ text: String) -> String {
        var out = "\""
        let escapeAll = chance(0.3)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += pick(["\\n", "\\u000a", "\\u000A"])
            case "\t": out += "\\t"
            case "/": out += pick(["/", "\\/"])
            default:
                if scalar.value < 0x20 || (escapeAll && scalar.value > 0x7E) {
                    out += String(scalar).utf16.map { "\\u" + String(repeating: "0", count: 4 - String($0, radix: 16).count) + String($0, radix: 16) }.joined()
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    private mutating func fieldValue(_ type: FieldType, csv: Bool) -> FieldValue? {
        if chance(0.15) { return nil }
        switch type {
        case .int: return .int(pick([0, -1, 42, .max, .min, Int64.random(in: .min ... .max, using: &rng)]))
        case .float: return .float(pick([0, -0.0, 0.1, 1e-5, -2.5e300, 123456.789, Double.random(in: -1e6...1e6, using: &rng)]))
        case .bool: return .bool(chance(0.5))
        // An empty CSV cell is null, so CSV never writes an empty string.
        case .string, .text: return .string(pick(csv ? Self.words.filter { !$0.isEmpty } : Self.words))
        case .intArray: return .intArray((0..<int(0...3)).map { _ in Int64.random(in: .min ... .max, using: &rng) })
        case .stringArray: return .stringArray((0..<int(0...3)).map { _ in pick(Self.words) })
        }
    }

    private mutating func json(_ value: FieldValue) -> String {
        switch value {
        case .int(let x): return "\(x)"
        case .float(let x): return "\(x)"
        case .bool(let x): return "\(x)"
        case .string(let s): return jsonString(s)
        case .intArray(let a): return "[" + a.map { "\($0)" }.joined(separator: pick([",", ", "])) + "]"
        case .stringArray(let a):
            var items: [String] = []
            for s in a { items.append(jsonString(s)) }
            return "[" + items.joined(separator: ",") + "]"
        }
    }

    /// A CSV/TSV cell, quoted when it must be (or by chance), doubling its quotes.
    private mutating func cell(_ text: String, separator: String) -> String {
        let must = text.contains(separator) || text.contains("\"") || text.contains("\n") || text.hasPrefix(" ") || text.hasSuffix(" ")
        return must || chance(0.2) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }

    private mutating func csvText(_ value: FieldValue?) -> String {
        switch value {
        case nil: return ""
        case .bool(let x)?: return pick(x ? ["true", "True", "TRUE", "1"] : ["false", "False", "0"])
        case .string(let s)?: return s
        case let value?: return json(value)
        }
    }

    mutating func withDocuments() -> FuzzCase {
        let schema = Self.documentSchema
        let format: VectorFormat = pick([.jsonl, .csv, .tsv])
        let csv = format != .jsonl
        let separator = format == .tsv ? "\t" : ","
        let dimensions = int(1...4)
        var expected = FuzzRecords(dimensions: nil)
        let order = Array(schema.fields.indices).shuffled(using: &rng)
        var text = csv ? (["vector"] + order.map { schema.fields[$0].name }).joined(separator: separator) + "\n" : ""
        for _ in 0..<int(0...6) {
            let vector = (0..<dimensions).map { _ in Float(int(-1000...1000)) / 8 }
            var document = Document(fieldCount: schema.fields.count)
            for position in order { document[position] = fieldValue(schema.fields[position].type, csv: csv) }
            if document[1] == nil { document[1] = .string("required") }
            var members: [String] = []
            if csv {
                let vectorText = chance(0.5) ? "[" + vector.map { "\($0)" }.joined(separator: ", ") + "]" : vector.map { "\($0)" }.joined(separator: " ")
                members.append(cell(vectorText, separator: separator))
                for position in order { members.append(cell(csvText(document[position]), separator: separator)) }
                text += members.joined(separator: separator) + "\n"
            } else {
                members.append("\"vector\": [" + vector.map { "\($0)" }.joined(separator: ", ") + "]")
                for position in order {
                    guard let value = document[position] else {
                        if chance(0.5) { members.append("\"\(schema.fields[position].name)\": null") }
                        continue
                    }
                    members.append("\"\(schema.fields[position].name)\": " + json(value))
                }
                members.shuffle(using: &rng)
                text += "{" + members.joined(separator: pick([",", ", "])) + "}\n"
            }
            expected.dimensions = dimensions
            expected.bits += vector.map(\.bitPattern)
            expected.ids.append(nil)
            expected.labels.append([])
            expected.documents.append(document)
        }
        let options = VectorReaderOptions(format: format, schema: schema, ignoreUnknown: chance(0.2))
        return FuzzCase(kind: .vectors(format), bytes: Array(text.utf8), options: options, expected: expected,
                        summary: "\(format) with fields, \(expected.count) records")
    }
}

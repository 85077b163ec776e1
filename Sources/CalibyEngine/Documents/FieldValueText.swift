import FoundationEssentials

extension FieldValue {
    /// A value written as text for a field of `type`, as a command-line argument or a CSV cell
    /// holds it: integers and finite numbers in decimal, true/false (or 1/0), strings as they are,
    /// arrays as a JSON array (`["a","b"]`, `[1,2]`). Errors name the type and the text.
    package init(text: String, type: FieldType) throws {
        func refuse() -> CalibyError { .invalidArgument("expected \(type.rawValue), got '\(FieldValue.shown(text))'") }
        switch type {
        case .int:
            guard let n = Int64(FieldValue.trimmed(text)) else { throw refuse() }
            self = .int(n)
        case .float:
            let trimmed = FieldValue.trimmed(text)
            // Double() also reads "nan", "inf" and hex, which no field may hold.
            guard trimmed.allSatisfy({ $0.isASCII && ($0.isNumber || "+-.eE".contains($0)) }), let x = Double(trimmed), x.isFinite else {
                throw refuse()
            }
            self = .float(x)
        case .bool:
            switch FieldValue.trimmed(text).lowercased() {
            case "true", "1": self = .bool(true)
            case "false", "0": self = .bool(false)
            default: throw refuse()
            }
        case .string, .text:
            self = .string(text)
        case .intArray:
            guard let a = try? JSONDecoder().decode([Int64].self, from: Data(text.utf8)) else { throw refuse() }
            self = .intArray(a)
        case .stringArray:
            guard let a = try? JSONDecoder().decode([String].self, from: Data(text.utf8)) else { throw refuse() }
            self = .stringArray(a)
        }
    }

    private static func trimmed(_ text: String) -> String {
        String(text.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }

    /// A value in a message: at most 40 characters.
    static func shown(_ text: String) -> String { text.count > 40 ? String(text.prefix(40)) + "…" : text }

    /// The value as text in the form `init(text:type:)` reads (arrays as JSON).
    package var text: String {
        switch self {
        case .int(let n): return String(n)
        case .float(let x): return "\(x)"
        case .bool(let b): return b ? "true" : "false"
        case .string(let s): return s
        case .intArray(let a): return "[" + a.map(String.init).joined(separator: ",") + "]"
        case .stringArray(let a): return "[" + a.map(FieldValue.jsonString).joined(separator: ",") + "]"
        }
    }

    /// The value as JSON: numbers, true/false, strings and arrays.
    package var json: String {
        switch self {
        case .string(let s): return FieldValue.jsonString(s)
        default: return text
        }
    }

    /// A JSON string literal of `s`, control characters escaped.
    package static func jsonString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

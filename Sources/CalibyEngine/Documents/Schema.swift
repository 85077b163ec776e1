import FoundationEssentials
import Glibc

/// The typed fields an index's documents carry, fixed at create (fields can be added later, never
/// changed or removed, so a stored document never disagrees with its schema). Stored in the catalog.

/// The type of a field's values; the raw value is how `caliby create --field` and schema files
/// spell it.
public enum FieldType: String, Codable, Sendable, CaseIterable {
    /// 64-bit signed integer.
    case int
    /// 64-bit IEEE float.
    case float
    /// true or false.
    case bool
    /// A short string: a key, a category, a name (at most `Schema.maxStringBytes`).
    case string
    /// A long string: the document's text (at most `Schema.maxTextBytes`).
    case text
    /// Up to `Schema.maxArrayElements` integers; a filter's `CONTAINS` tests membership.
    case intArray = "int[]"
    /// Up to `Schema.maxArrayElements` short strings.
    case stringArray = "string[]"

    package var isArray: Bool { self == .intArray || self == .stringArray }

    /// The type of one element of an array, or the type itself.
    package var elementType: FieldType {
        switch self {
        case .intArray: return .int
        case .stringArray: return .string
        default: return self
        }
    }
}

/// One field of a schema: its name, type, and whether it is required and indexed.
public struct Field: Codable, Sendable, Equatable {
    /// Letters, digits and `_`, not a word of the filter language.
    public var name: String
    public var type: FieldType
    /// Every document must carry a value (written `name:type!`).
    public var required: Bool
    /// Kept in an index: a secondary index (a B+tree of the field's values, which filters use to
    /// find the matching documents without reading every one), or for `text` the full-text index.
    public var indexed: Bool

    /// `indexed` left out: a text field is full-text indexed, other types have no index.
    public init(name: String, type: FieldType, required: Bool = false, indexed: Bool? = nil) {
        self.name = name
        self.type = type
        self.required = required
        self.indexed = indexed ?? (type == .text)
    }

    /// `name:type`, `name:type!` (required). The types are `FieldType`'s raw values. A `text` field
    /// is full-text indexed unless written `name:text:noindex`.
    public init(parsing spec: String) throws {
        guard let colon = spec.firstIndex(of: ":") else {
            throw CalibyError.invalidArgument("field '\(spec)': expected name:type, e.g. title:text or price:float")
        }
        let name = String(spec[..<colon])
        var typeText = String(spec[spec.index(after: colon)...])
        let noIndex = typeText.hasSuffix(":noindex")
        if noIndex { typeText.removeLast(":noindex".count) }
        let required = typeText.hasSuffix("!")
        if required { typeText.removeLast() }
        guard let type = FieldType(rawValue: typeText) else {
            let known = FieldType.allCases.map(\.rawValue).joined(separator: ", ")
            throw CalibyError.invalidArgument("field '\(spec)': unknown type '\(typeText)' (types: \(known))")
        }
        if noIndex && type != .text {
            throw CalibyError.invalidArgument("field '\(spec)': only text fields are indexed by default, so only they take ':noindex'")
        }
        try Schema.validateName(name)
        self.init(name: name, type: type, required: required, indexed: type == .text && !noIndex)
    }

    /// `required` and `indexed` may be left out of a schema file (false; for `text`, true, as in
    /// `init(parsing:)`).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        type = try c.decode(FieldType.self, forKey: .type)
        required = try c.decodeIfPresent(Bool.self, forKey: .required) ?? false
        indexed = try c.decodeIfPresent(Bool.self, forKey: .indexed) ?? (type == .text)
    }

    /// The spelling `init(parsing:)` reads.
    public var spec: String { "\(name):\(type.rawValue)\(required ? "!" : "")\(type == .text && !indexed ? ":noindex" : "")" }

    /// Whether the field has a B+tree of its values (arrays index each element).
    var hasTree: Bool { indexed && type != .text }

    /// Whether the field is in the full-text index.
    var isFullText: Bool { indexed && type == .text }
}

/// An index's fields, in order; empty for an index of vectors alone.
public struct Schema: Codable, Sendable, Equatable {
    public var fields: [Field]

    /// Fields are checked when the index is created (names, count, reserved words).
    public init(fields: [Field] = []) { self.fields = fields }

    package var isEmpty: Bool { fields.isEmpty }

    /// A schema file: `{"fields": [{"name": "title", "type": "text"}, {"name": "price", "type": "float",
    /// "required": true, "indexed": true}]}`, or just the array. `source` names the file in errors.
    package init(json: [UInt8], source: String) throws {
        let data = Data(json)
        do {
            if let fields = try? JSONDecoder().decode([Field].self, from: data) {
                self.init(fields: fields)
            } else {
                self = try JSONDecoder().decode(Schema.self, from: data)
            }
        } catch {
            throw CalibyError.badInput(location: source, message: "not a schema: expected {\"fields\": [{\"name\": ..., \"type\": ...}, ...]}")
        }
        try validate()
    }

    /// A schema file (see `init(json:source:)`).
    package init(jsonFile path: String) throws {
        guard FileSystem.exists(path) else { throw CalibyError.noSuchFile(path) }
        try self.init(json: PosixFile(path: path, flags: O_RDONLY).readAll(), source: path)
    }

    /// Position 255 of a stored record is an HNSW index's labels (DocumentCodec).
    package static let maxFields = 255
    package static let maxNameBytes = 64
    /// Limits on one value, checked at insert: a `string` is a key, a `text` a passage.
    package static let maxStringBytes = 4096
    package static let maxTextBytes = 1 << 20
    package static let maxArrayElements = 4096
    /// One document's stored size, all fields together.
    package static let maxDocumentBytes = 16 << 20
    /// Keys that a record's input already uses, or that results print beside the fields.
    package static let reservedNames: Set<String> = ["id", "vector", "labels", "distance", "rank", "query", "score"]

    package func position(of name: String) -> Int? { fields.firstIndex { $0.name == name } }

    /// Positions of the fields in the full-text index, in order.
    var fullTextPositions: [Int] { fields.indices.filter { fields[$0].isFullText } }

    package func field(named name: String) -> Field? { position(of: name).map { fields[$0] } }

    /// Names are identifiers, so a `--where` expression and a CSV header can name them unquoted.
    package static func validateName(_ name: String) throws {
        func problem(_ reason: String) -> CalibyError { .invalidArgument("invalid field name '\(name)': \(reason)") }
        guard let first = name.unicodeScalars.first else { throw problem("empty") }
        if name.utf8.count > maxNameBytes { throw problem("longer than \(maxNameBytes) bytes") }
        let isLetter = { (s: Unicode.Scalar) in (s >= "a" && s <= "z") || (s >= "A" && s <= "Z") || s == "_" }
        guard isLetter(first) else { throw problem("must start with a letter or '_'") }
        for s in name.unicodeScalars where !(isLetter(s) || (s >= "0" && s <= "9")) {
            throw problem("only letters, digits and '_' are allowed")
        }
        if reservedNames.contains(name.lowercased()) || FilterKeyword.isReserved(name) {
            throw problem("reserved")
        }
    }

    /// Refuses a schema a catalog or a create may not hold: bad or repeated names, too many fields.
    package func validate() throws {
        if fields.count > Schema.maxFields { throw CalibyError.invalidArgument("at most \(Schema.maxFields) fields, got \(fields.count)") }
        var seen = Set<String>()
        for field in fields {
            try Schema.validateName(field.name)
            guard seen.insert(field.name).inserted else { throw CalibyError.invalidArgument("field '\(field.name)' is named twice") }
        }
    }
}

/// Words of the filter language, which field names may not be (so `a AND b` never means a field).
package enum FilterKeyword {
    static let words = Set(FilterWord.allCases.map(\.rawValue))
    package static func isReserved(_ name: String) -> Bool { words.contains(name.lowercased()) }
}

/// One stored value. `text` fields hold `.string`.
public enum FieldValue: Sendable, Equatable, Hashable {
    /// An `int` field's value.
    case int(Int64)
    /// A `float` field's value (finite).
    case float(Double)
    /// A `bool` field's value.
    case bool(Bool)
    /// A `string` or `text` field's value.
    case string(String)
    /// An `int[]` field's value.
    case intArray([Int64])
    /// A `string[]` field's value.
    case stringArray([String])

    /// Whether this value may be stored in a field of `type`.
    package func fits(_ type: FieldType) -> Bool {
        switch (self, type) {
        case (.int, .int), (.float, .float), (.bool, .bool), (.string, .string), (.string, .text),
             (.intArray, .intArray), (.stringArray, .stringArray): return true
        default: return false
        }
    }

    /// Why this value cannot be stored in `field`, or nil: wrong type, a string over its limit, an
    /// array too long. One rule for every way a value comes in (insert, update, the library).
    package func problem(storingIn field: Field) -> String? {
        guard fits(field.type) else { return "expected \(field.type.rawValue), got \(kindName)" }
        let limit = field.type == .text ? Schema.maxTextBytes : Schema.maxStringBytes
        switch self {
        case .string(let s) where s.utf8.count > limit:
            return "\(s.utf8.count) bytes, more than the \(limit) a \(field.type.rawValue) may hold"
        case .float(let x) where !x.isFinite:
            return "\(x) is not finite"
        case .intArray(let a) where a.count > Schema.maxArrayElements:
            return "\(a.count) elements, more than \(Schema.maxArrayElements)"
        case .stringArray(let a):
            if a.count > Schema.maxArrayElements { return "\(a.count) elements, more than \(Schema.maxArrayElements)" }
            if let long = a.first(where: { $0.utf8.count > Schema.maxStringBytes }) {
                return "an element of \(long.utf8.count) bytes, more than the \(Schema.maxStringBytes) a string may hold"
            }
            return nil
        default:
            return nil
        }
    }

    /// How messages name the kind of a value.
    package var kindName: String {
        switch self {
        case .int: return "int"
        case .float: return "float"
        case .bool: return "bool"
        case .string: return "string"
        case .intArray: return "int[]"
        case .stringArray: return "string[]"
        }
    }
}

/// A document's values by schema position; nil is a field the document does not carry (null).
package struct Document: Sendable, Equatable {
    package var values: [FieldValue?]

    package init(values: [FieldValue?]) { self.values = values }

    /// A document with no values for a schema of `fieldCount` fields.
    package init(fieldCount: Int) { values = Array(repeating: nil, count: fieldCount) }

    package subscript(position: Int) -> FieldValue? {
        get { position < values.count ? values[position] : nil }
        set {
            if position >= values.count { values += Array(repeating: nil, count: position + 1 - values.count) }
            values[position] = newValue
        }
    }

    /// The first problem storing this document under `schema`: a value that does not fit its field,
    /// a required field missing. Named by field, for a message that adds the input location.
    package func problem(under schema: Schema) -> (field: String, message: String)? {
        if values.count > schema.fields.count { return ("?", "\(values.count) values for \(schema.fields.count) fields") }
        for (i, field) in schema.fields.enumerated() {
            guard let value = self[i] else {
                if field.required { return (field.name, "required field missing") }
                continue
            }
            if let problem = value.problem(storingIn: field) { return (field.name, problem) }
        }
        return nil
    }
}

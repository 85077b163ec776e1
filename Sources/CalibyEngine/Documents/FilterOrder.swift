/// The order filters compare values in, shared by evaluation and by the ranges a secondary index is
/// searched with, so both agree on every value.
enum FilterOrder {
    /// -1, 0 or 1 as `a` is below, equal to or above `b`; nil for kinds that do not compare (a
    /// document that does not fit its schema, a NaN — neither can be stored, but a filter must not
    /// trap on one). Ints and floats compare exactly, strings by UTF-8 bytes (= Unicode scalar
    /// order, and plain byte order for an index), false below true.
    static func compare(_ a: FieldValue, _ b: FieldValue) -> Int? {
        switch (a, b) {
        case (.int(let x), .int(let y)): return x < y ? -1 : (x > y ? 1 : 0)
        case (.float(let x), .float(let y)):
            if x.isNaN || y.isNaN { return nil }
            return x < y ? -1 : (x > y ? 1 : 0)
        case (.int(let x), .float(let y)): return compare(x, y)
        case (.float(let x), .int(let y)): return compare(y, x).map { -$0 }
        case (.string(let x), .string(let y)): return compare(x, y)
        case (.bool(let x), .bool(let y)): return x == y ? 0 : (x ? 1 : -1)
        default: return nil
        }
    }

    /// An Int64 against a Double without converting either (Double(x) rounds above 2^53, so
    /// 9007199254740993 would equal 9007199254740992.0).
    static func compare(_ x: Int64, _ y: Double) -> Int? {
        if y.isNaN { return nil }
        // 2^63 is exact as a Double; every Double in [-2^63, 2^63) has a floor that fits Int64.
        if y >= 9_223_372_036_854_775_808.0 { return -1 }
        if y < -9_223_372_036_854_775_808.0 { return 1 }
        let floor = y.rounded(.down)
        let whole = Int64(floor)
        if x != whole { return x < whole ? -1 : 1 }
        return y > floor ? -1 : 0
    }

    static func compare(_ x: String, _ y: String) -> Int {
        // String's own == and < follow canonical equivalence, which a byte-ordered index cannot.
        var a = x.utf8.makeIterator()
        var b = y.utf8.makeIterator()
        while true {
            switch (a.next(), b.next()) {
            case (nil, nil): return 0
            case (nil, _): return -1
            case (_, nil): return 1
            case (let p?, let q?) where p != q: return p < q ? -1 : 1
            default: continue
            }
        }
    }
}

/// A string hashed and compared by its UTF-8 bytes, as `FilterOrder` compares strings.
struct FilterBytes: Hashable, Sendable {
    let string: String

    static func == (a: FilterBytes, b: FilterBytes) -> Bool { a.string.utf8.elementsEqual(b.string.utf8) }

    func hash(into hasher: inout Hasher) {
        var copy = string
        copy.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}

/// The values of an `IN (...)` list, converted once to the field's own kind so a document's value
/// is one hash lookup. A literal no value of the field can equal (2.5 for an int field, an int a
/// Double cannot hold exactly for a float field) is left out.
enum FilterValueSet: Sendable {
    case ints(Set<Int64>)
    case floats(Set<Double>)
    case strings(Set<FilterBytes>)
    case bools(Set<Bool>)

    /// `literals` were type-checked against `type` (a scalar type) by the parser.
    init(_ literals: [FieldValue], for type: FieldType) {
        switch type {
        case .int, .intArray:
            self = .ints(Set(literals.compactMap { literal in
                switch literal {
                case .int(let x): return x
                case .float(let x): return Int64(exactly: x)
                default: return nil
                }
            }))
        case .float:
            self = .floats(Set(literals.compactMap { literal in
                switch literal {
                case .int(let x): return Double(exactly: x)
                case .float(let x): return x
                default: return nil
                }
            }))
        case .bool:
            self = .bools(Set(literals.compactMap { if case .bool(let x) = $0 { return x } else { return nil } }))
        case .string, .text, .stringArray:
            self = .strings(Set(literals.compactMap { if case .string(let x) = $0 { return FilterBytes(string: x) } else { return nil } }))
        }
    }

    /// Whether `value` is in the set; nil when its kind does not fit the field's.
    func contains(_ value: FieldValue) -> Bool? {
        switch (self, value) {
        case (.ints(let set), .int(let x)): return set.contains(x)
        case (.floats(let set), .float(let x)): return set.contains(x)
        case (.strings(let set), .string(let x)): return set.contains(FilterBytes(string: x))
        case (.bools(let set), .bool(let x)): return set.contains(x)
        default: return nil
        }
    }

    /// The values in `FilterOrder`, for the ranges of a secondary index.
    var sortedValues: [FieldValue] {
        switch self {
        case .ints(let set): return set.sorted().map { .int($0) }
        case .floats(let set): return set.sorted().map { .float($0) }
        case .strings(let set): return set.map(\.string).sorted { FilterOrder.compare($0, $1) < 0 }.map { .string($0) }
        case .bools(let set): return set.sorted { !$0 && $1 }.map { .bool($0) }
        }
    }
}

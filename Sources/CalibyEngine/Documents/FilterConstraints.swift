/// An interval of one field's values (of an array field's elements). A nil bound is unbounded, and
/// its inclusive flag is false. Bounds always have the field's own kind (int for int and int[],
/// float, string for string, text and string[], bool), whatever the literal's: a literal of the
/// other numeric kind is rounded outward, so `year > 2019.5` is `year >= 2020` and, for a float
/// field, an int the Double cannot hold becomes the nearest Double on the side that keeps every
/// match.
struct ValueRange: Equatable {
    var lower: FieldValue?
    var lowerInclusive: Bool
    var upper: FieldValue?
    var upperInclusive: Bool

    static let everything = ValueRange(lower: nil, lowerInclusive: false, upper: nil, upperInclusive: false)

    static func point(_ value: FieldValue) -> ValueRange {
        ValueRange(lower: value, lowerInclusive: true, upper: value, upperInclusive: true)
    }
}

/// One field confined to a union of ranges, sorted and disjoint; no ranges means no document
/// matches (`x = 1 AND x = 2`).
struct FieldConstraint: Equatable {
    let field: Int
    let ranges: [ValueRange]
}

/// What yields a constraint: =, <, <=, >, >=, IN, BETWEEN, IS NOT NULL (every value), CONTAINS, a
/// bare bool field; AND intersects the ranges of a scalar field (for an array field it keeps one
/// side's, since two CONTAINS may be met by different elements); OR unites them when every branch
/// confines the same field. !=, NOT IN, NOT BETWEEN, IS NULL and anything under NOT yield none: an
/// index scan would visit nearly everything anyway.
extension FilterCondition {
    func fieldRanges(_ types: [FieldType]) -> [Int: [ValueRange]] {
        switch self {
        case .all(let conditions):
            var ranges: [Int: [ValueRange]] = [:]
            for condition in conditions {
                for (field, more) in condition.fieldRanges(types) {
                    if let known = ranges[field] {
                        if !types[field].isArray { ranges[field] = ValueRange.intersection(known, more) }
                    } else {
                        ranges[field] = more
                    }
                }
            }
            return ranges
        case .any(let conditions):
            let branches = conditions.map { $0.fieldRanges(types) }
            var ranges: [Int: [ValueRange]] = [:]
            for (field, first) in branches[0] {
                let others = branches.dropFirst().compactMap { $0[field] }
                if others.count == branches.count - 1 { ranges[field] = ValueRange.union(first + others.joined()) }
            }
            return ranges
        case .not(.isNull(let field)):
            return [field: [.everything]]
        case .compare(let field, let comparison, let literal):
            let kind = types[field]
            let ranges: [ValueRange]
            switch comparison {
            case .equal: ranges = ValueRange.between(literal, literal, kind)
            case .less: ranges = ValueRange.make(.unbounded, .upper(literal, inclusive: false, kind))
            case .lessOrEqual: ranges = ValueRange.make(.unbounded, .upper(literal, inclusive: true, kind))
            case .greater: ranges = ValueRange.make(.lower(literal, inclusive: false, kind), .unbounded)
            case .greaterOrEqual: ranges = ValueRange.make(.lower(literal, inclusive: true, kind), .unbounded)
            case .notEqual: return [:]
            }
            return [field: ranges]
        case .member(let field, let set):
            return [field: set.sortedValues.map(ValueRange.point)]
        case .between(let field, let low, let high):
            return [field: ValueRange.between(low, high, types[field])]
        case .contains(let field, let literal):
            return [field: ValueRange.between(literal, literal, types[field])]
        case .not, .isNull, .label:
            return [:]
        }
    }
}

/// One end of a range, before it is known whether the range is empty.
private enum Bound {
    case unbounded
    case at(FieldValue, inclusive: Bool)
    /// No value of the field lies on the wanted side (`x > 1e30` for an int field).
    case beyond

    private static let twoTo63 = 9_223_372_036_854_775_808.0

    /// The least bound on `type`'s values equivalent to `value > literal` (or >=).
    static func lower(_ literal: FieldValue, inclusive: Bool, _ type: FieldType) -> Bound {
        switch (type.elementType, literal) {
        case (.int, .float(let x)):
            let up = x.rounded(.up)
            if up >= twoTo63 { return .beyond }
            if up < -twoTo63 { return .unbounded }
            return .at(.int(Int64(up)), inclusive: up == x ? inclusive : true)
        case (.float, .int(let x)):
            // Double(x) is the nearest Double: any Double above x is at least it when it rounded up,
            // above it when it rounded down.
            let near = Double(x)
            let order = FilterOrder.compare(x, near) ?? 0
            return .at(.float(near), inclusive: order == 0 ? inclusive : order < 0)
        default:
            return .at(literal, inclusive: inclusive)
        }
    }

    /// The greatest bound equivalent to `value < literal` (or <=).
    static func upper(_ literal: FieldValue, inclusive: Bool, _ type: FieldType) -> Bound {
        switch (type.elementType, literal) {
        case (.int, .float(let x)):
            let down = x.rounded(.down)
            if down < -twoTo63 { return .beyond }
            if down >= twoTo63 { return .unbounded }
            return .at(.int(Int64(down)), inclusive: down == x ? inclusive : true)
        case (.float, .int(let x)):
            let near = Double(x)
            let order = FilterOrder.compare(x, near) ?? 0
            return .at(.float(near), inclusive: order == 0 ? inclusive : order > 0)
        default:
            return .at(literal, inclusive: inclusive)
        }
    }
}

extension ValueRange {
    fileprivate static func make(_ lower: Bound, _ upper: Bound) -> [ValueRange] {
        var range = ValueRange.everything
        switch lower {
        case .beyond: return []
        case .unbounded: break
        case .at(let value, let inclusive): (range.lower, range.lowerInclusive) = (value, inclusive)
        }
        switch upper {
        case .beyond: return []
        case .unbounded: break
        case .at(let value, let inclusive): (range.upper, range.upperInclusive) = (value, inclusive)
        }
        return range.isEmpty ? [] : [range]
    }

    /// `low <= value <= high` (and `value = x` as `x <= value <= x`).
    static func between(_ low: FieldValue, _ high: FieldValue, _ type: FieldType) -> [ValueRange] {
        make(.lower(low, inclusive: true, type), .upper(high, inclusive: true, type))
    }

    /// Bounds of one range share a kind, so they always compare.
    private static func order(_ a: FieldValue, _ b: FieldValue) -> Int { FilterOrder.compare(a, b) ?? 0 }

    var isEmpty: Bool {
        guard let lower, let upper else { return false }
        let order = ValueRange.order(lower, upper)
        return order > 0 || (order == 0 && !(lowerInclusive && upperInclusive))
    }

    /// Whether this range starts before `other` does.
    private func startsBefore(_ other: ValueRange) -> Bool {
        guard let lower else { return other.lower != nil }
        guard let otherLower = other.lower else { return false }
        let order = ValueRange.order(lower, otherLower)
        return order < 0 || (order == 0 && lowerInclusive && !other.lowerInclusive)
    }

    /// Whether this range ends before `other` does.
    private func endsBefore(_ other: ValueRange) -> Bool {
        guard let upper else { return false }
        guard let otherUpper = other.upper else { return true }
        let order = ValueRange.order(upper, otherUpper)
        return order < 0 || (order == 0 && !upperInclusive && other.upperInclusive)
    }

    /// Whether `next`, starting no earlier, overlaps or touches this range.
    private func joins(_ next: ValueRange) -> Bool {
        guard let upper, let nextLower = next.lower else { return true }
        let order = ValueRange.order(nextLower, upper)
        return order < 0 || (order == 0 && (upperInclusive || next.lowerInclusive))
    }

    /// Sorted, disjoint ranges covering the same values as `ranges`.
    static func union(_ ranges: [ValueRange]) -> [ValueRange] {
        var merged: [ValueRange] = []
        for range in ranges.sorted(by: { $0.startsBefore($1) }) {
            if let last = merged.last, last.joins(range) {
                if last.endsBefore(range) {
                    merged[merged.count - 1].upper = range.upper
                    merged[merged.count - 1].upperInclusive = range.upperInclusive
                }
            } else {
                merged.append(range)
            }
        }
        return merged
    }

    /// The values in both of two sorted, disjoint lists, in one pass (an IN list may be long).
    static func intersection(_ a: [ValueRange], _ b: [ValueRange]) -> [ValueRange] {
        var result: [ValueRange] = []
        var i = 0
        var j = 0
        while i < a.count && j < b.count {
            var range = a[i].startsBefore(b[j]) ? b[j] : a[i]
            let end = a[i].endsBefore(b[j]) ? a[i] : b[j]
            (range.upper, range.upperInclusive) = (end.upper, end.upperInclusive)
            if !range.isEmpty { result.append(range) }
            if a[i].endsBefore(b[j]) { i += 1 } else { j += 1 }
        }
        return result
    }
}

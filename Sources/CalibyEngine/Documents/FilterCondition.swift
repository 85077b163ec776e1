/// A parsed, type-checked filter: field positions instead of names, literals checked against their
/// fields, IN lists as hash sets, so evaluating a document parses nothing.
indirect enum FilterCondition: Sendable {
    enum Comparison: Sendable {
        case equal, notEqual, less, lessOrEqual, greater, greaterOrEqual

        func holds(_ order: Int) -> Bool {
            switch self {
            case .equal: return order == 0
            case .notEqual: return order != 0
            case .less: return order < 0
            case .lessOrEqual: return order <= 0
            case .greater: return order > 0
            case .greaterOrEqual: return order >= 0
            }
        }
    }

    case all([FilterCondition])
    case any([FilterCondition])
    case not(FilterCondition)
    /// The literal is an int or float for an int or float field (compared exactly), else the
    /// field's own kind.
    case compare(field: Int, Comparison, FieldValue)
    case member(field: Int, FilterValueSet)
    /// Both ends inclusive.
    case between(field: Int, FieldValue, FieldValue)
    case isNull(field: Int)
    /// An element of an array field equals the literal.
    case contains(field: Int, FieldValue)
    /// `labels CONTAINS n`: labels are not a field, the caller checks them (`Filter.requiredLabels`),
    /// so here it holds. Where it is written is kept for the error when it is not a top-level
    /// conjunct.
    case label(UInt32, FilterPosition)

    /// SQL's three-valued logic: nil is unknown, what a comparison with a missing value gives, so
    /// `NOT (price < 10)` does not match a document without a price either.
    func truth(_ document: Document) -> Bool? {
        switch self {
        case .all(let conditions):
            var unknown = false
            for condition in conditions {
                switch condition.truth(document) {
                case false?: return false
                case nil: unknown = true
                case true?: break
                }
            }
            return unknown ? nil : true
        case .any(let conditions):
            var unknown = false
            for condition in conditions {
                switch condition.truth(document) {
                case true?: return true
                case nil: unknown = true
                case false?: break
                }
            }
            return unknown ? nil : false
        case .not(let condition):
            return condition.truth(document).map { !$0 }
        case .compare(let field, let comparison, let literal):
            guard let value = document[field], let order = FilterOrder.compare(value, literal) else { return nil }
            return comparison.holds(order)
        case .member(let field, let set):
            return document[field].flatMap { set.contains($0) }
        case .between(let field, let low, let high):
            guard let value = document[field], let above = FilterOrder.compare(value, low),
                  let below = FilterOrder.compare(value, high) else { return nil }
            return above >= 0 && below <= 0
        case .isNull(let field):
            return document[field] == nil
        case .contains(let field, let literal):
            switch document[field] {
            case .intArray(let elements)?: return elements.contains { FilterOrder.compare(.int($0), literal) == 0 }
            case .stringArray(let elements)?: return elements.contains { FilterOrder.compare(.string($0), literal) == 0 }
            default: return nil
            }
        case .label:
            return true
        }
    }

    /// Each field the condition reads, once per mention.
    func collectFields(into fields: inout [Int]) {
        switch self {
        case .all(let conditions), .any(let conditions):
            for condition in conditions { condition.collectFields(into: &fields) }
        case .not(let condition):
            condition.collectFields(into: &fields)
        case .compare(let field, _, _), .member(let field, _), .between(let field, _, _), .isNull(let field),
             .contains(let field, _):
            fields.append(field)
        case .label:
            break
        }
    }

    /// The first `labels CONTAINS` left in the condition.
    var firstLabel: FilterPosition? {
        switch self {
        case .all(let conditions), .any(let conditions):
            return conditions.lazy.compactMap(\.firstLabel).first
        case .not(let condition):
            return condition.firstLabel
        case .label(_, let position):
            return position
        case .compare, .member, .between, .isNull, .contains:
            return nil
        }
    }

    /// The conjuncts of a top-level AND, nested ANDs flattened (`a AND (b AND c)`).
    var conjuncts: [FilterCondition] {
        if case .all(let conditions) = self { return conditions.flatMap(\.conjuncts) }
        return [self]
    }
}

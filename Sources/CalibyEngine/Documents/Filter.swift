/// A `--where` filter, parsed and type-checked against an index's schema once, then evaluated per
/// document. The language is described at the top of FilterParser.swift.
package struct Filter: Sendable {
    /// Longer is not a filter anyone types; the bound keeps hostile input cheap.
    package static let maxTextBytes = 64 * 1024

    package let text: String
    /// Schema positions of the fields the filter reads, ascending, so a store decodes only those.
    package let fieldPositions: [Int]
    /// The labels top-level `labels CONTAINS n` conjuncts require, ascending without repeats; empty
    /// when none. `matches` does not check them: labels live beside the document, not in it.
    package let requiredLabels: [UInt32]
    private let condition: FilterCondition
    /// The schema's field types, which `constraints()` rounds bounds to.
    private let types: [FieldType]

    /// Parses and type-checks `text` against `schema`; throws `CalibyError.badFilter`.
    package init(parsing text: String, schema: Schema) throws {
        guard text.utf8.count <= Filter.maxTextBytes else {
            throw CalibyError.badFilter(line: 1, column: 1,
                                        message: "longer than \(Filter.maxTextBytes) bytes (\(text.utf8.count))")
        }
        let parsed = try FilterParser.parse(try FilterLexer.tokens(text), schema: schema)
        var labels: [UInt32] = []
        var rest: [FilterCondition] = []
        for conjunct in parsed.conjuncts {
            if case .label(let label, _) = conjunct { labels.append(label) } else { rest.append(conjunct) }
        }
        let condition: FilterCondition = rest.count == 1 ? rest[0] : .all(rest)
        if let misplaced = condition.firstLabel {
            throw misplaced.error("'labels CONTAINS' may only be ANDed with the rest of the filter, not used under OR or NOT")
        }
        var fields: [Int] = []
        condition.collectFields(into: &fields)
        self.text = text
        self.condition = condition
        types = schema.fields.map(\.type)
        fieldPositions = Array(Set(fields)).sorted()
        requiredLabels = Array(Set(labels)).sorted()
    }

    /// Whether the filter is true for `document` (its labels aside, see `requiredLabels`). SQL
    /// semantics: a comparison with a value the document does not carry is unknown, which does not
    /// match, and neither does its NOT.
    package func matches(_ document: Document) -> Bool {
        condition.truth(document) == true
    }

    /// The top-level conjuncts that confine one field to a union of ranges, one constraint per
    /// field, ascending by field: a document the filter matches has a value (an element, for an
    /// array field) in those ranges. See FilterConstraints.swift for what yields a constraint.
    func constraints() -> [FieldConstraint] {
        condition.fieldRanges(types).map { FieldConstraint(field: $0.key, ranges: $0.value) }.sorted { $0.field < $1.field }
    }

    /// The field whose constraint says everything the filter says, when there is one: the filter
    /// is one condition that yields ranges (=, <, <=, >, >=, IN, BETWEEN, a bare bool, CONTAINS)
    /// or an OR of such on that field. Then a document matches exactly when its value (an element,
    /// for CONTAINS) lies in the ranges, and a field index's entries need no document re-read.
    var exactlyConstrainedField: Int? { condition.exactlyConstrainedField(types) }
}

extension FilterCondition {
    fileprivate func exactlyConstrainedField(_ types: [FieldType]) -> Int? {
        switch self {
        case .compare(let field, let comparison, _):
            return comparison == .notEqual || types[field].isArray ? nil : field
        case .member(let field, _), .between(let field, _, _):
            return types[field].isArray ? nil : field
        case .contains(let field, _):
            return field
        case .any(let conditions):
            let fields = Set(conditions.map { $0.exactlyConstrainedField(types) })
            return fields.count == 1 ? fields.first! : nil
        case .all(let conditions):
            return conditions.count == 1 ? conditions[0].exactlyConstrainedField(types) : nil
        case .not, .isNull, .label:
            return nil
        }
    }
}

/// The filter language (`--where`), the reference caliby(1) copies:
///
///     category = 'audio' AND price < 20 AND year >= 2020 AND tags CONTAINS 'wireless'
///
/// Conditions
///     field = value, field != value (also <>), field < value, <=, >, >=
///     field IN (value, ...)            field NOT IN (value, ...)
///     field BETWEEN low AND high       field NOT BETWEEN low AND high     (both ends inclusive)
///     field IS NULL                    field IS NOT NULL
///     array CONTAINS value             an element of an int[] or string[] field equals value
///     flag                             a bool field alone means flag = TRUE
///     labels CONTAINS n                the vector carries label n (0 to 4294967295); only as the
///                                      whole filter or ANDed with the rest, never under OR or NOT
/// Combined with NOT, AND, OR (binding in that order, NOT tightest) and parentheses, at most 64
/// levels of parentheses and NOT deep. A filter is at most 64 KiB.
///
/// Values
///     integers -12, floats 1.5 2e3 -0.5, strings 'it''s' or "say ""hi""" (a doubled quote stands
///     for itself), TRUE and FALSE.
///
/// Names and words: field names are case-sensitive (letters, digits, '_'); the keywords AND OR NOT
/// IN BETWEEN CONTAINS IS NULL TRUE FALSE are not.
///
/// Types: int and float fields compare numerically with integers and floats, exactly (an int field
/// never equals 2.5; 9007199254740993 is above 9007199254740992.0). string and text fields compare
/// with strings by Unicode code point (UTF-8 byte) order, case-sensitively. bool fields compare with
/// TRUE and FALSE by = and != (and IN). Arrays are tested with CONTAINS. A value of the wrong type, a
/// field that does not exist, an operator the field's type has no meaning for, is an error, never a
/// filter that matches nothing.
///
/// Missing values (SQL's NULL): a condition on a field a document does not carry is unknown, NOT of
/// unknown is unknown, and a document matches only when the whole filter is true. So neither
/// `price < 10` nor `NOT (price < 10)` matches a document without a price; `price IS NULL` does.
struct FilterParser {
    static let maxDepth = 64

    private let tokens: [FilterToken]
    private let schema: Schema
    private var index = 0
    private var depth = 0

    /// Parses `tokens`, which end in `.end`, into a type-checked condition; throws `CalibyError.badFilter`.
    static func parse(_ tokens: [FilterToken], schema: Schema) throws -> FilterCondition {
        var parser = FilterParser(tokens: tokens, schema: schema)
        if case .end = parser.current.kind { throw parser.error("the filter is empty", at: parser.current) }
        let condition = try parser.parseOr()
        switch parser.current.kind {
        case .end:
            return condition
        case .symbol(.close):
            throw parser.error("')' has no '(' to close", at: parser.current)
        default:
            throw parser.error("unexpected \(parser.current.described) after a complete condition (missing AND or OR?)",
                               at: parser.current)
        }
    }

    private init(tokens: [FilterToken], schema: Schema) {
        self.tokens = tokens
        self.schema = schema
    }

    // MARK: Tokens

    /// The lexer ends every list with `.end`, and nothing advances past it.
    private var current: FilterToken { tokens[index] }
    private var previous: FilterToken? { index > 0 ? tokens[index - 1] : nil }

    private mutating func advance() {
        if index < tokens.count - 1 { index += 1 }
    }

    private mutating func accept(_ word: FilterWord) -> Bool {
        guard case .word(let w) = current.kind, w == word else { return false }
        advance()
        return true
    }

    private mutating func accept(_ symbol: FilterSymbol) -> Bool {
        guard case .symbol(let s) = current.kind, s == symbol else { return false }
        advance()
        return true
    }

    private func error(_ message: String, at token: FilterToken) -> CalibyError { token.position.error(message) }

    /// "expected a value after '<'", naming what came instead unless the filter just ended.
    private func expected(_ what: String) -> CalibyError {
        var message = "expected \(what)"
        if let previous { message += " after \(previous.described)" }
        if case .end = current.kind {} else { message += ", got \(current.described)" }
        return error(message, at: current)
    }

    /// Counts a level of parentheses or NOT, so hostile input cannot exhaust the stack here or in
    /// the recursive evaluation.
    private mutating func enter(_ token: FilterToken) throws {
        depth += 1
        if depth > FilterParser.maxDepth {
            throw error("nested deeper than \(FilterParser.maxDepth) levels of parentheses and NOT", at: token)
        }
    }

    // MARK: Expressions

    private mutating func parseOr() throws -> FilterCondition {
        var terms = [try parseAnd()]
        while accept(.or) { terms.append(try parseAnd()) }
        return terms.count == 1 ? terms[0] : .any(terms)
    }

    private mutating func parseAnd() throws -> FilterCondition {
        var terms = [try parseUnary()]
        while accept(.and) { terms.append(try parseUnary()) }
        return terms.count == 1 ? terms[0] : .all(terms)
    }

    private mutating func parseUnary() throws -> FilterCondition {
        let token = current
        guard accept(.not) else { return try parsePrimary() }
        try enter(token)
        defer { depth -= 1 }
        return .not(try parseUnary())
    }

    private mutating func parsePrimary() throws -> FilterCondition {
        let token = current
        switch token.kind {
        case .symbol(.open):
            advance()
            try enter(token)
            defer { depth -= 1 }
            let inner = try parseOr()
            if accept(.close) { return inner }
            if case .end = current.kind { throw error("'(' is never closed", at: token) }
            throw error("expected ')' to close the '(' at \(token.position.line):\(token.position.column), got \(current.described)",
                        at: current)
        case .identifier:
            advance()
            return try parsePredicate(token)
        case .int, .float, .string, .word(.true), .word(.false):
            throw error("expected a field name before the value \(token.described) (write the field first: price < 10)",
                        at: token)
        default:
            throw expected("a condition")
        }
    }

    // MARK: Conditions

    private mutating func parsePredicate(_ name: FilterToken) throws -> FilterCondition {
        if name.text.lowercased() == "labels" { return try parseLabel(name) }
        let (position, field) = try resolve(name)
        let operation = current
        if case .symbol(let symbol) = operation.kind, let comparison = FilterParser.comparison(symbol) {
            advance()
            try requireOrdered(field, at: operation, allowingEquality: comparison == .equal || comparison == .notEqual)
            return .compare(field: position, comparison, try parseValue(for: field))
        }
        switch operation.kind {
        case .word(.in):
            advance()
            return try parseList(position, field, at: operation)
        case .word(.between):
            advance()
            return try parseBetween(position, field, at: operation)
        case .word(.not):
            advance()
            let negated = current
            if accept(.in) { return .not(try parseList(position, field, at: negated)) }
            if accept(.between) { return .not(try parseBetween(position, field, at: negated)) }
            throw expected("IN or BETWEEN")
        case .word(.is):
            advance()
            let negated = accept(.not)
            guard accept(.null) else { throw expected(negated ? "NULL" : "NULL or NOT NULL") }
            return negated ? .not(.isNull(field: position)) : .isNull(field: position)
        case .word(.contains):
            guard field.type.isArray else {
                throw error("field '\(field.name)' is \(field.type.rawValue), not an array; use = to compare it",
                            at: operation)
            }
            advance()
            return .contains(field: position, try parseValue(for: field))
        case .end, .word(.and), .word(.or), .symbol(.close):
            // The field stands alone: a test of a bool field.
            guard field.type == .bool else {
                throw error("expected an operator after \(name.described): only a bool field is a condition on its own",
                            at: operation)
            }
            return .compare(field: position, .equal, .bool(true))
        default:
            throw expected("an operator (= != < <= > >= IN BETWEEN CONTAINS IS)")
        }
    }

    private static func comparison(_ symbol: FilterSymbol) -> FilterCondition.Comparison? {
        switch symbol {
        case .equal: return .equal
        case .notEqual: return .notEqual
        case .less: return .less
        case .lessOrEqual: return .lessOrEqual
        case .greater: return .greater
        case .greaterOrEqual: return .greaterOrEqual
        case .open, .close, .comma: return nil
        }
    }

    /// Arrays are compared element by element with CONTAINS, and bools have no order.
    private func requireOrdered(_ field: Field, at operation: FilterToken, allowingEquality: Bool) throws {
        if field.type.isArray {
            throw error("field '\(field.name)' is \(field.type.rawValue); use CONTAINS to test its elements", at: operation)
        }
        if field.type == .bool && !allowingEquality {
            throw error("field '\(field.name)' is bool; it compares only with = and !=", at: operation)
        }
    }

    private mutating func parseList(_ position: Int, _ field: Field, at operation: FilterToken) throws -> FilterCondition {
        try requireOrdered(field, at: operation, allowingEquality: true)
        let open = current
        guard accept(.open) else { throw expected("'(' and a list of values") }
        if case .symbol(.close) = current.kind { throw error("the IN list is empty", at: current) }
        var values: [FieldValue] = []
        repeat {
            values.append(try parseValue(for: field))
            if accept(.close) { return .member(field: position, FilterValueSet(values, for: field.type)) }
        } while accept(.comma)
        if case .end = current.kind { throw error("'(' is never closed", at: open) }
        throw expected("',' or ')' in the IN list")
    }

    private mutating func parseBetween(_ position: Int, _ field: Field, at operation: FilterToken) throws -> FilterCondition {
        try requireOrdered(field, at: operation, allowingEquality: false)
        let low = try parseValue(for: field)
        guard accept(.and) else { throw expected("AND") }
        return .between(field: position, low, try parseValue(for: field))
    }

    /// A literal that `field` (its elements, for an array) can be compared with.
    private mutating func parseValue(for field: Field) throws -> FieldValue {
        let token = current
        let value: FieldValue
        let kind: String
        switch token.kind {
        case .int(let x): (value, kind) = (.int(x), "a number")
        case .float(let x): (value, kind) = (.float(x), "a number")
        case .string(let x): (value, kind) = (.string(x), "a string")
        case .word(.true): (value, kind) = (.bool(true), "a bool")
        case .word(.false): (value, kind) = (.bool(false), "a bool")
        case .word(.null):
            throw error("NULL is not a value; test for a missing value with IS NULL or IS NOT NULL", at: token)
        default:
            throw expected("a value")
        }
        let fits: Bool
        switch (field.type.elementType, value) {
        case (.int, .int), (.int, .float), (.float, .int), (.float, .float), (.string, .string), (.text, .string),
             (.bool, .bool):
            fits = true
        default:
            fits = false
        }
        guard fits else {
            throw error("field '\(field.name)' is \(field.type.rawValue); \(token.described) is \(kind)", at: token)
        }
        advance()
        return value
    }

    /// `labels CONTAINS n`, the one thing a filter may say about labels.
    private mutating func parseLabel(_ name: FilterToken) throws -> FilterCondition {
        guard accept(.contains) else {
            throw error("labels is not a field; the only test of labels is 'labels CONTAINS <label>'", at: current)
        }
        let token = current
        switch token.kind {
        case .int(let x):
            guard let label = UInt32(exactly: x) else {
                throw error("a label is an integer from 0 to \(UInt32.max), got \(token.described)", at: token)
            }
            advance()
            return .label(label, name.position)
        case .float, .string, .word(.true), .word(.false):
            throw error("a label is an integer from 0 to \(UInt32.max), got \(token.described)", at: token)
        default:
            throw expected("a label (an integer from 0 to \(UInt32.max))")
        }
    }

    // MARK: Fields

    private func resolve(_ name: FilterToken) throws -> (Int, Field) {
        if let position = schema.position(of: name.text) { return (position, schema.fields[position]) }
        let names = schema.fields.map(\.name)
        let hint: String
        if let close = NameSuggestion.closest(to: name.text, among: names, maximumDistance: 2).first {
            hint = "; did you mean '\(close)'?"
        } else if names.isEmpty {
            hint = " (the index has no fields)"
        } else {
            hint = " (fields: \(names.joined(separator: ", ")))"
        }
        throw error("unknown field \(name.described)\(hint)", at: name)
    }
}

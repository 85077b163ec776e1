/// Where a token starts in a filter's text: line and column, both 1-based, the column counting
/// Unicode scalars (what a terminal shows under a caret far more often than bytes do).
struct FilterPosition: Equatable, Sendable {
    var line: Int
    var column: Int

    /// The error every filter mistake is reported as, pointing here.
    func error(_ message: String) -> CalibyError { .badFilter(line: line, column: column, message: message) }
}

/// The words of the filter language (`FilterKeyword` is the public list field names must avoid).
enum FilterWord: String, CaseIterable {
    case and, or, not, `in`, between, contains, `is`, null, `true`, `false`

    /// Messages spell keywords the way the manual does.
    var spelling: String { rawValue.uppercased() }
}

enum FilterSymbol: String {
    case equal = "=", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
    case open = "(", close = ")", comma = ","
}

struct FilterToken {
    enum Kind {
        case identifier(String)
        case word(FilterWord)
        case int(Int64)
        case float(Double)
        case string(String)
        case symbol(FilterSymbol)
        case end
    }

    var kind: Kind
    /// The token as written, for messages ("expected a value after '<'").
    var text: String
    var position: FilterPosition

    /// How a message names this token: keywords as the manual spells them, strings re-quoted the SQL
    /// way, anything else quoted as typed.
    var described: String {
        switch kind {
        case .word(let word): return word.spelling
        case .int, .float: return text
        case .string(let value): return FilterToken.quoted(value)
        case .end: return "the end of the filter"
        case .identifier, .symbol: return "'\(text)'"
        }
    }

    static func quoted(_ string: String) -> String {
        "'" + string.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "''") + "'"
    }
}

/// Splits a filter into tokens, all at once (the text is at most `Filter.maxTextBytes`). Every
/// malformed token is an error at its own position, so the parser only ever sees well-formed ones.
struct FilterLexer {
    private let scalars: [Unicode.Scalar]
    private var index = 0
    private var position = FilterPosition(line: 1, column: 1)

    static func tokens(_ text: String) throws -> [FilterToken] {
        var lexer = FilterLexer(scalars: Array(text.unicodeScalars))
        var tokens: [FilterToken] = []
        while true {
            let token = try lexer.next()
            tokens.append(token)
            if case .end = token.kind { return tokens }
        }
    }

    private init(scalars: [Unicode.Scalar]) { self.scalars = scalars }

    private func peek(_ offset: Int = 0) -> Unicode.Scalar? {
        index + offset < scalars.count ? scalars[index + offset] : nil
    }

    private mutating func advance() {
        if scalars[index] == "\n" {
            position.line += 1
            position.column = 1
        } else {
            position.column += 1
        }
        index += 1
    }

    private static func isDigit(_ s: Unicode.Scalar?) -> Bool { s.map { $0 >= "0" && $0 <= "9" } ?? false }

    /// ASCII only, as `Schema.validateName` allows for field names.
    private static func isIdentifierStart(_ s: Unicode.Scalar?) -> Bool {
        guard let s else { return false }
        return (s >= "a" && s <= "z") || (s >= "A" && s <= "Z") || s == "_"
    }

    private static func isIdentifierPart(_ s: Unicode.Scalar?) -> Bool { isIdentifierStart(s) || isDigit(s) }

    private func text(from start: Int) -> String {
        var text = ""
        text.unicodeScalars.append(contentsOf: scalars[start..<index])
        return text
    }

    private mutating func next() throws -> FilterToken {
        while let s = peek(), s == " " || s == "\t" || s == "\n" || s == "\r" { advance() }
        let start = index
        let startPosition = position
        func token(_ kind: FilterToken.Kind) -> FilterToken {
            FilterToken(kind: kind, text: text(from: start), position: startPosition)
        }
        guard let s = peek() else { return token(.end) }
        if FilterLexer.isIdentifierStart(s) {
            while FilterLexer.isIdentifierPart(peek()) { advance() }
            let name = text(from: start)
            return token(FilterWord(rawValue: name.lowercased()).map { .word($0) } ?? .identifier(name))
        }
        if FilterLexer.isDigit(s) || (s == "-" && FilterLexer.isDigit(peek(1))) {
            return try number(start: start, at: startPosition)
        }
        if s == "'" || s == "\"" {
            return try string(quote: s, start: start, at: startPosition)
        }
        advance()
        if let second = peek(), let symbol = FilterLexer.pairs[String(s) + String(second)] {
            advance()
            return token(.symbol(symbol))
        }
        switch (s, peek()) {
        case ("=", "="?):
            throw startPosition.error("'==' is not an operator; use '='")
        case ("!", _):
            throw startPosition.error("unexpected '!'; use NOT, or '!=' for 'not equal'")
        default:
            if let symbol = FilterSymbol(rawValue: String(s)) { return token(.symbol(symbol)) }
            throw startPosition.error("unexpected character \(FilterLexer.shown(s))")
        }
    }

    /// The two-character operators; `<>` is SQL's spelling of `!=`.
    private static let pairs: [String: FilterSymbol] = ["!=": .notEqual, "<>": .notEqual, "<=": .lessOrEqual, ">=": .greaterOrEqual]

    /// A character as a message shows it: quoted when printable, else as U+XXXX (a control
    /// character or a stray space would be invisible between quotes).
    private static func shown(_ s: Unicode.Scalar) -> String {
        guard s.properties.isWhitespace || s.properties.generalCategory == .control || s.properties.generalCategory == .format else {
            return "'\(s)'"
        }
        let hex = String(s.value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }

    /// `-12`, `1.5`, `2e3`, `-0.5e-3`: an optional minus, digits, an optional fraction (digits on
    /// both sides of the point), an optional exponent. Without a fraction or exponent it is an int.
    private mutating func number(start: Int, at startPosition: FilterPosition) throws -> FilterToken {
        if peek() == "-" { advance() }
        var isInteger = true
        while FilterLexer.isDigit(peek()) { advance() }
        if peek() == ".", FilterLexer.isDigit(peek(1)) {
            isInteger = false
            advance()
            while FilterLexer.isDigit(peek()) { advance() }
        }
        if peek() == "e" || peek() == "E" {
            let signed = peek(1) == "+" || peek(1) == "-"
            if FilterLexer.isDigit(peek(signed ? 2 : 1)) {
                isInteger = false
                advance()
                if signed { advance() }
                while FilterLexer.isDigit(peek()) { advance() }
            }
        }
        // `12abc`, `1.`, `1e`, `1.2.3`: one error for the whole run rather than a confusing second
        // token.
        if FilterLexer.isIdentifierPart(peek()) || peek() == "." {
            while FilterLexer.isIdentifierPart(peek()) || peek() == "." { advance() }
            throw startPosition.error("malformed number '\(text(from: start))'")
        }
        let spelled = text(from: start)
        let kind: FilterToken.Kind
        if isInteger {
            guard let value = Int64(spelled) else {
                throw startPosition.error("integer \(spelled) is out of the 64-bit range")
            }
            kind = .int(value)
        } else {
            guard let value = Double(spelled), value.isFinite else {
                throw startPosition.error("number \(spelled) is out of range")
            }
            kind = .float(value)
        }
        return FilterToken(kind: kind, text: spelled, position: startPosition)
    }

    /// Single or double quotes (shell users reach for either); the quote doubled stands for itself.
    private mutating func string(quote: Unicode.Scalar, start: Int, at startPosition: FilterPosition) throws -> FilterToken {
        advance()
        var value = ""
        while true {
            guard let s = peek() else {
                throw startPosition.error("unterminated string: the \(quote) here is never closed")
            }
            advance()
            if s == quote {
                guard peek() == quote else { break }
                advance()
            }
            value.unicodeScalars.append(s)
        }
        return FilterToken(kind: .string(value), text: text(from: start), position: startPosition)
    }
}

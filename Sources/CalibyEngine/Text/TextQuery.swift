/// A parsed full-text query (`--text`): whitespace-separated clauses, each a word or a `"quoted
/// phrase"`, optionally marked `+` (must match) or `-` (must not match). Words and phrases go
/// through the index's analyzer, so a query term is spelled exactly like an indexed one.
///
/// A `"` opens a phrase only where a clause starts (after whitespace, the start of the query, an
/// operator, or a closing `"`); inside a word it is an ordinary character (`5"` or `foo"bar`), like
/// `+` and `-`, and the analyzer decides what it is worth.
package struct TextQuery: Equatable, Sendable {
    /// How a clause takes part in the result: SHOULD clauses add score (at least one must match
    /// when there is no MUST clause), MUST clauses must all match, MUST NOT ones exclude.
    package enum Occur: Equatable, Sendable { case should, must, mustNot }

    /// One clause: a single term, or (more than one term) a phrase of consecutive terms.
    package struct Clause: Equatable, Sendable {
        package var occur: Occur
        package var terms: [String]

        package init(occur: Occur, terms: [String]) {
            self.occur = occur
            self.terms = terms
        }
    }

    /// The clauses in query order; a repeated clause stays repeated (it counts twice in the score).
    package var clauses: [Clause]

    /// Parses `text`, analyzing each word and phrase with `analyzer`. A word the analyzer splits
    /// (`e-mail`, `fcntl(2)`) becomes a phrase; a word or phrase with no terms (punctuation) is
    /// dropped. Throws `CalibyError.badTextQuery` for an unterminated `"`, a `+`/`-` with nothing
    /// after it, a query with no terms, and a query of MUST NOT clauses only.
    package init(parsing text: String, analyzer: Analyzer) throws {
        let scalars = Array(text.unicodeScalars)
        func isSpace(_ i: Int) -> Bool { scalars[i].properties.isWhitespace }
        func string(_ range: Range<Int>) -> String {
            var text = ""
            text.unicodeScalars.append(contentsOf: scalars[range])
            return text
        }
        func error(at index: Int, _ message: String) -> CalibyError {
            .badTextQuery(column: index + 1, message: message)
        }

        var clauses: [Clause] = []
        var i = 0
        var afterSpace = true
        while i < scalars.count {
            if isSpace(i) {
                i += 1
                afterSpace = true
                continue
            }
            var occur = Occur.should
            // `+`/`-` are operators only where a clause starts after whitespace; right after a
            // closing quote they belong to the word that follows.
            if afterSpace && (scalars[i] == "+" || scalars[i] == "-") {
                occur = scalars[i] == "+" ? .must : .mustNot
                guard i + 1 < scalars.count, !isSpace(i + 1) else {
                    throw error(at: i, "'\(scalars[i])' must be followed by a word or a quoted phrase")
                }
                i += 1
            }
            afterSpace = false
            let terms: [String]
            if scalars[i] == "\"" {
                let open = i
                guard let close = scalars[(open + 1)...].firstIndex(of: "\"") else {
                    throw error(at: open, "unterminated phrase: a '\"' without its closing '\"'")
                }
                terms = analyzer.terms(string((open + 1)..<close))
                i = close + 1
            } else {
                let start = i
                while i < scalars.count && !isSpace(i) { i += 1 }
                terms = analyzer.terms(string(start..<i))
            }
            if !terms.isEmpty { clauses.append(Clause(occur: occur, terms: terms)) }
        }
        guard !clauses.isEmpty else {
            throw error(at: 0, "the query has no terms to search for (only spaces or punctuation)")
        }
        guard clauses.contains(where: { $0.occur != .mustNot }) else {
            throw error(at: 0, "the query only excludes terms ('-'); add a term to search for")
        }
        self.clauses = clauses
    }
}

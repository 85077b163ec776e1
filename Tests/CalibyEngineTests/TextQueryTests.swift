import XCTest
@testable import CalibyEngine

/// `--text` query syntax (text-spec.md, "Query syntax").
final class TextQueryTests: XCTestCase {
    private func clauses(_ text: String, _ analyzer: Analyzer = .standard) throws -> [TextQuery.Clause] {
        try TextQuery(parsing: text, analyzer: analyzer).clauses
    }

    private func should(_ terms: String...) -> TextQuery.Clause { .init(occur: .should, terms: terms) }
    private func must(_ terms: String...) -> TextQuery.Clause { .init(occur: .must, terms: terms) }
    private func mustNot(_ terms: String...) -> TextQuery.Clause { .init(occur: .mustNot, terms: terms) }

    /// The message a user reads, or nil when `text` parses.
    private func failure(_ text: String) -> String? {
        do {
            _ = try TextQuery(parsing: text, analyzer: .standard)
            return nil
        } catch let error as CalibyError {
            XCTAssertEqual(error.category, .usage)
            return error.description
        } catch {
            return "not a CalibyError: \(error)"
        }
    }

    func testWordsAreShouldClausesThroughTheAnalyzer() throws {
        XCTAssertEqual(try clauses("fcntl  Lock"), [should("fcntl"), should("lock")])
        XCTAssertEqual(try clauses("Café"), [should("cafe")])
        XCTAssertEqual(try clauses("running dogs", .english), [should("run"), should("dog")])
        XCTAssertEqual(try clauses("lock lock"), [should("lock"), should("lock")], "a repeated term counts twice")
    }

    func testAWordTheAnalyzerSplitsIsAPhrase() throws {
        XCTAssertEqual(try clauses("e-mail"), [should("e", "mail")])
        XCTAssertEqual(try clauses("fcntl(2)"), [should("fcntl", "2")])
        XCTAssertEqual(try clauses("日本"), [should("日", "本")])
        XCTAssertEqual(try clauses("lock --- ()"), [should("lock")], "punctuation-only words are dropped")
    }

    func testPhrases() throws {
        XCTAssertEqual(try clauses("\"file Lock\" x"), [should("file", "lock"), should("x")])
        XCTAssertEqual(try clauses("\"Lock\""), [should("lock")], "a one-term phrase is a term")
        XCTAssertEqual(try clauses("\"...\" x"), [should("x")])
        XCTAssertEqual(try clauses("\"a b\"c"), [should("a", "b"), should("c")])
        XCTAssertEqual(try clauses("5\" screws"), [should("5"), should("screws")], "a quote inside a word opens nothing")
    }

    func testMustAndMustNot() throws {
        XCTAssertEqual(try clauses("+lock -file \"x\" +\"a b\" -\"c d\""),
                       [must("lock"), mustNot("file"), should("x"), must("a", "b"), mustNot("c", "d")])
        XCTAssertEqual(try clauses("dry-run a+b"), [should("dry", "run"), should("a", "b")], "inside a word they are characters")
        XCTAssertEqual(try clauses("\"a b\"-c"), [should("a", "b"), should("c")], "not after a closing quote either")
        XCTAssertEqual(try clauses("+-lock"), [must("lock")])
    }

    func testErrorsNameTheColumn() {
        XCTAssertEqual(failure("fcntl lock \"file"), "text query: column 12: unterminated phrase: a '\"' without its closing '\"'")
        XCTAssertEqual(failure("lock + file"), "text query: column 6: '+' must be followed by a word or a quoted phrase")
        XCTAssertEqual(failure("lock -"), "text query: column 6: '-' must be followed by a word or a quoted phrase")
        XCTAssertEqual(failure("   ... --- "), "text query: column 1: the query has no terms to search for (only spaces or punctuation)")
        XCTAssertEqual(failure(""), "text query: column 1: the query has no terms to search for (only spaces or punctuation)")
        XCTAssertEqual(failure("-lock -\"a b\""), "text query: column 1: the query only excludes terms ('-'); add a term to search for")
        XCTAssertEqual(failure("日本 \"x"), "text query: column 4: unterminated phrase: a '\"' without its closing '\"'",
                       "columns count characters, not bytes")
        XCTAssertNil(failure("-lock file"))
    }
}

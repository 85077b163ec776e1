import Foundation
import XCTest
@testable import CalibyEngine

/// The `--where` language as a user meets it: what matches, what each mistake says and where, and
/// the ranges a secondary index would be searched with.
final class FilterTests: XCTestCase {
    /// Positions: category 0, price 1, year 2, tags 3, sizes 4, inStock 5, title 6, big 7.
    let schema = Schema(fields: [
        Field(name: "category", type: .string), Field(name: "price", type: .float),
        Field(name: "year", type: .int), Field(name: "tags", type: .stringArray),
        Field(name: "sizes", type: .intArray), Field(name: "inStock", type: .bool),
        Field(name: "title", type: .text), Field(name: "big", type: .int),
    ])

    func document(_ values: [String: FieldValue]) -> Document {
        var document = Document(fieldCount: schema.fields.count)
        for (name, value) in values { document[schema.position(of: name)!] = value }
        return document
    }

    func matches(_ text: String, _ values: [String: FieldValue], file: StaticString = #filePath, line: UInt = #line) -> Bool {
        do {
            return try Filter(parsing: text, schema: schema).matches(document(values))
        } catch {
            XCTFail("\(text): \(error)", file: file, line: line)
            return false
        }
    }

    /// The error `text` gives, as the CLI would print it after "--where: ".
    func failure(_ text: String) -> String? {
        do {
            _ = try Filter(parsing: text, schema: schema)
            return nil
        } catch let error as CalibyError {
            guard case .badFilter(let line, let column, let message) = error else { return "not badFilter: \(error)" }
            XCTAssertEqual(error.category, .usage)
            return "\(line):\(column): \(message)"
        } catch {
            return "not a CalibyError: \(error)"
        }
    }

    let gadget: [String: FieldValue] = [
        "category": .string("audio"), "price": .float(19.5), "year": .int(2021),
        "tags": .stringArray(["wireless", "bluetooth"]), "sizes": .intArray([1, 3]), "inStock": .bool(true),
        "title": .string("Headphones"),
    ]

    func testTheIssuesExample() throws {
        let text = "category = 'audio' AND price < 20 AND year >= 2020 AND tags CONTAINS 'wireless'"
        let filter = try Filter(parsing: text, schema: schema)
        XCTAssertEqual(filter.text, text)
        XCTAssertEqual(filter.fieldPositions, [0, 1, 2, 3])
        XCTAssertEqual(filter.requiredLabels, [])
        XCTAssertTrue(filter.matches(document(gadget)))
        var cheaper = gadget
        cheaper["price"] = .float(20)
        XCTAssertFalse(filter.matches(document(cheaper)))
    }

    func testComparisonsOnEveryScalarType() {
        let cases: [(String, Bool)] = [
            ("year = 2021", true), ("year != 2021", false), ("year <> 2020", true), ("year < 2022", true),
            ("year <= 2021", true), ("year > 2021", false), ("year >= 2021", true), ("year = 2021.0", true),
            ("year < 2021.5", true), ("year > 2020.9", true), ("year = 2021.5", false), ("year > 2e3", true),
            ("price = 19.5", true), ("price < 20", true), ("price > 19", true), ("price >= 19.5", true),
            ("price <= -0.5", false), ("price != 19.5", false),
            ("category = 'audio'", true), ("category = \"audio\"", true), ("category < 'b'", true),
            ("category > 'audio'", false), ("category != 'Audio'", true), ("title >= 'Head'", true),
            ("title = 'headphones'", false),
            ("inStock = TRUE", true), ("inStock = false", false), ("inStock != FALSE", true), ("inStock", true),
            ("NOT inStock", false), ("inStock IN (FALSE)", false),
        ]
        for (text, expected) in cases { XCTAssertEqual(matches(text, gadget), expected, text) }
    }

    func testInBetweenAndTheirNegations() {
        let cases: [(String, Bool)] = [
            ("year IN (2019, 2021)", true), ("year IN (2021.0)", true), ("year IN (2021.5, 7)", false),
            ("year NOT IN (2019, 2020)", true), ("category IN ('video', 'audio')", true),
            ("category not in ('audio')", false), ("price IN (19.5)", true), ("price IN (19, 20)", false),
            ("year BETWEEN 2021 AND 2022", true), ("year BETWEEN 2019 AND 2021", true),
            ("year BETWEEN 2022 AND 2019", false), ("year NOT BETWEEN 2022 AND 2030", true),
            ("price BETWEEN 19.5 AND 19.5", true), ("category BETWEEN 'a' AND 'b'", true),
            ("year BETWEEN 2020 AND 2022 AND price < 20", true),
        ]
        for (text, expected) in cases { XCTAssertEqual(matches(text, gadget), expected, text) }
    }

    func testContainsTestsArrayElements() {
        let cases: [(String, Bool)] = [
            ("tags CONTAINS 'wireless'", true), ("tags CONTAINS 'Wireless'", false), ("sizes CONTAINS 3", true),
            ("sizes CONTAINS 3.0", true), ("sizes CONTAINS 2", false), ("NOT tags CONTAINS 'usb'", true),
            ("tags CONTAINS 'usb' OR sizes CONTAINS 1", true), ("tags IS NOT NULL", true),
        ]
        for (text, expected) in cases { XCTAssertEqual(matches(text, gadget), expected, text) }
        XCTAssertFalse(matches("tags CONTAINS 'a'", ["tags": .stringArray([])]))
        XCTAssertFalse(matches("NOT tags CONTAINS 'a'", [:]), "a missing array contains nothing and lacks nothing")
    }

    func testMissingValuesAreUnknownAsInSQL() {
        let none: [String: FieldValue] = [:]
        for text in ["price < 10", "NOT (price < 10)", "price != 3", "price NOT IN (1)", "price NOT BETWEEN 1 AND 2",
                     "NOT inStock", "inStock", "price < 10 OR year = 3", "NOT (price < 10 AND year = 3)"] {
            XCTAssertFalse(matches(text, none), text)
        }
        for text in ["price IS NULL", "price is null AND tags IS NULL", "NOT price IS NOT NULL",
                     "price < 10 OR year IS NULL", "NOT (price < 10 AND year IS NOT NULL)"] {
            XCTAssertTrue(matches(text, none), text)
        }
        // unknown AND false is false, so its NOT is true; unknown OR true is true.
        XCTAssertTrue(matches("NOT (price < 10 AND year = 3)", ["year": .int(4)]))
        XCTAssertTrue(matches("price < 10 OR year = 4", ["year": .int(4)]))
        XCTAssertFalse(matches("price IS NOT NULL", none))
    }

    func testPrecedenceIsNotThenAndThenOr() {
        let doc: [String: FieldValue] = ["year": .int(1), "price": .float(1)]
        XCTAssertTrue(matches("year = 1 OR year = 2 AND price = 2", doc), "AND binds tighter than OR")
        XCTAssertFalse(matches("(year = 1 OR year = 2) AND price = 2", doc))
        XCTAssertFalse(matches("NOT year = 1 AND price = 1", doc), "NOT binds tighter than AND")
        XCTAssertTrue(matches("NOT (year = 2 AND price = 1)", doc))
        XCTAssertTrue(matches("NOT NOT year = 1", doc))
        XCTAssertTrue(matches("((year = 1))", doc))
        XCTAssertTrue(matches("year = 2 or NOT price = 2 and year = 1", doc), "keywords in any case")
    }

    func testIntegersAndFloatsCompareExactly() {
        let doc: [String: FieldValue] = ["big": .int(9_007_199_254_740_993), "price": .float(9_007_199_254_740_992)]
        XCTAssertTrue(matches("big > 9007199254740992.0", doc))
        XCTAssertFalse(matches("big = 9007199254740992.0", doc))
        XCTAssertFalse(matches("big IN (9007199254740992.0)", doc))
        XCTAssertTrue(matches("big = 9007199254740993", doc))
        XCTAssertTrue(matches("price < 9007199254740993", doc))
        XCTAssertFalse(matches("price = 9007199254740993", doc))
        XCTAssertFalse(matches("price IN (9007199254740993)", doc))
        XCTAssertTrue(matches("price IN (9007199254740992)", doc))
        XCTAssertTrue(matches("big < 1e300 AND big > -1e300", doc))
        XCTAssertTrue(matches("big = 9223372036854775807", ["big": .int(.max)]))
        XCTAssertTrue(matches("big < 9223372036854775808.0", ["big": .int(.max)]), "2^63 is above Int64.max")
        XCTAssertTrue(matches("big = -9223372036854775808.0", ["big": .int(.min)]))
    }

    func testStringsCompareByCodePointNotByCanonicalEquivalence() {
        let decomposed = "e\u{301}"
        XCTAssertFalse(matches("category = '\u{E9}'", ["category": .string(decomposed)]))
        XCTAssertFalse(matches("category IN ('\u{E9}')", ["category": .string(decomposed)]))
        XCTAssertTrue(matches("category > 'z'", ["category": .string("\u{E9}")]))
        XCTAssertTrue(matches("category < 'a'", ["category": .string("Z")]))
        XCTAssertTrue(matches("category = 'it''s' OR category = \"say \"\"hi\"\"\"", ["category": .string("say \"hi\"")]))
        XCTAssertTrue(matches("category = 'it''s'", ["category": .string("it's")]))
    }

    func testAValueOfTheWrongKindInADocumentDoesNotMatch() {
        XCTAssertFalse(matches("year = 3", ["year": .string("3")]))
        XCTAssertFalse(matches("year IN (3)", ["year": .float(3)]))
        XCTAssertFalse(matches("NOT year = 3", ["year": .string("3")]))
        XCTAssertFalse(matches("tags CONTAINS 'a'", ["tags": .string("a")]))
    }

    func testSyntaxErrorsSayWhatWasExpectedAndWhere() {
        let cases: [(String, String)] = [
            ("price <", "1:8: expected a value after '<'"),
            ("", "1:1: the filter is empty"),
            ("price < AND year = 1", "1:9: expected a value after '<', got AND"),
            ("price < 10 year", "1:12: unexpected 'year' after a complete condition (missing AND or OR?)"),
            ("(price < 10", "1:1: '(' is never closed"),
            ("(price < 10 year = 2)", "1:13: expected ')' to close the '(' at 1:1, got 'year'"),
            ("price < 10)", "1:11: ')' has no '(' to close"),
            ("category = 'audio", "1:12: unterminated string: the ' here is never closed"),
            ("category = \"audio", "1:12: unterminated string: the \" here is never closed"),
            ("price < 10 AND", "1:15: expected a condition after AND"),
            ("year = 1 AND AND", "1:14: expected a condition after AND, got AND"),
            ("OR", "1:1: expected a condition, got OR"),
            ("NOT", "1:4: expected a condition after NOT"),
            ("( )", "1:3: expected a condition after '(', got ')'"),
            ("price == 3", "1:7: '==' is not an operator; use '='"),
            ("price ! 3", "1:7: unexpected '!'; use NOT, or '!=' for 'not equal'"),
            ("price < 10 # x", "1:12: unexpected character '#'"),
            ("price < 10 \u{7}", "1:12: unexpected character U+0007"),
            ("price < 10 \u{A0}", "1:12: unexpected character U+00A0"),
            ("price < 10 \u{E9}", "1:12: unexpected character '\u{E9}'"),
            ("price < 12abc", "1:9: malformed number '12abc'"),
            ("price < 1.", "1:9: malformed number '1.'"),
            ("year = 99999999999999999999", "1:8: integer 99999999999999999999 is out of the 64-bit range"),
            ("price < 1e999", "1:9: number 1e999 is out of range"),
            ("year IN 1, 2", "1:9: expected '(' and a list of values after IN, got 1"),
            ("year IN ()", "1:10: the IN list is empty"),
            ("year IN (1, 2", "1:9: '(' is never closed"),
            ("year IN (1 2)", "1:12: expected ',' or ')' in the IN list after 1, got 2"),
            ("year IN (1,)", "1:12: expected a value after ',', got ')'"),
            ("year BETWEEN 1 OR 2", "1:16: expected AND after 1, got OR"),
            ("year BETWEEN 1 AND", "1:19: expected a value after AND"),
            ("year IS 3", "1:9: expected NULL or NOT NULL after IS, got 3"),
            ("year IS NOT", "1:12: expected NULL after NOT"),
            ("year NOT 3", "1:10: expected IN or BETWEEN after NOT, got 3"),
            ("year 2020", "1:6: expected an operator (= != < <= > >= IN BETWEEN CONTAINS IS) after 'year', got 2020"),
            ("year", "1:5: expected an operator after 'year': only a bool field is a condition on its own"),
            ("(year) OR inStock", "1:6: expected an operator after 'year': only a bool field is a condition on its own"),
            ("2020 < year", "1:1: expected a field name before the value 2020 (write the field first: price < 10)"),
            ("year = NULL", "1:8: NULL is not a value; test for a missing value with IS NULL or IS NOT NULL"),
            ("price < 10\nAND year >", "2:11: expected a value after '>'"),
            ("category = '\u{E9}\u{E9}' AND price <", "1:28: expected a value after '<'"),
        ]
        for (text, expected) in cases { XCTAssertEqual(failure(text), expected, text) }
        XCTAssertEqual(CalibyError.badFilter(line: 1, column: 17, message: "expected a value after '<'").description,
                       "filter 1:17: expected a value after '<'")
    }

    func testUnknownFieldsSuggestACloseName() {
        XCTAssertEqual(failure("year = 1 AND pirce < 3"), "1:14: unknown field 'pirce'; did you mean 'price'?")
        XCTAssertEqual(failure("Price < 3"), "1:1: unknown field 'Price'; did you mean 'price'?")
        XCTAssertEqual(failure("instock"), "1:1: unknown field 'instock'; did you mean 'inStock'?")
        XCTAssertEqual(failure("colour = 'red'"),
                       "1:1: unknown field 'colour' (fields: category, price, year, tags, sizes, inStock, title, big)")
        XCTAssertThrowsError(try Filter(parsing: "x = 1", schema: Schema())) {
            XCTAssertEqual("\($0)", "filter 1:1: unknown field 'x' (the index has no fields)")
        }
    }

    func testTypeMismatchesNameTheFieldItsTypeAndTheValue() {
        let cases: [(String, String)] = [
            ("price = 'cheap'", "1:9: field 'price' is float; 'cheap' is a string"),
            ("category = 12", "1:12: field 'category' is string; 12 is a number"),
            ("inStock = 1", "1:11: field 'inStock' is bool; 1 is a number"),
            ("year < TRUE", "1:8: field 'year' is int; TRUE is a bool"),
            ("year IN (1, 'a')", "1:13: field 'year' is int; 'a' is a string"),
            ("title BETWEEN 'a' AND 3", "1:23: field 'title' is text; 3 is a number"),
            ("inStock < TRUE", "1:9: field 'inStock' is bool; it compares only with = and !="),
            ("inStock BETWEEN FALSE AND TRUE", "1:9: field 'inStock' is bool; it compares only with = and !="),
            ("tags = 'x'", "1:6: field 'tags' is string[]; use CONTAINS to test its elements"),
            ("tags IN ('x')", "1:6: field 'tags' is string[]; use CONTAINS to test its elements"),
            ("sizes NOT BETWEEN 1 AND 2", "1:11: field 'sizes' is int[]; use CONTAINS to test its elements"),
            ("price CONTAINS 3", "1:7: field 'price' is float, not an array; use = to compare it"),
            ("tags CONTAINS 3", "1:15: field 'tags' is string[]; 3 is a number"),
            ("sizes CONTAINS 'x'", "1:16: field 'sizes' is int[]; 'x' is a string"),
        ]
        for (text, expected) in cases { XCTAssertEqual(failure(text), expected, text) }
    }

    func testLabelsAreRequiredOnlyAsTopLevelConjuncts() throws {
        let filter = try Filter(parsing: "labels CONTAINS 7 AND price < 3 AND (labels CONTAINS 2 AND LABELS contains 7)",
                                schema: schema)
        XCTAssertEqual(filter.requiredLabels, [2, 7])
        XCTAssertEqual(filter.fieldPositions, [1])
        XCTAssertTrue(filter.matches(document(["price": .float(1)])))
        let only = try Filter(parsing: "labels CONTAINS 4294967295", schema: schema)
        XCTAssertEqual(only.requiredLabels, [4_294_967_295])
        XCTAssertEqual(only.fieldPositions, [])
        XCTAssertTrue(only.matches(document([:])))
        let misplaced = "1:14: 'labels CONTAINS' may only be ANDed with the rest of the filter, not used under OR or NOT"
        XCTAssertEqual(failure("price < 3 OR labels CONTAINS 3"), misplaced)
        XCTAssertEqual(failure("price < 3 AND NOT labels CONTAINS 3"), misplaced.replacingOccurrences(of: "1:14", with: "1:19"))
        XCTAssertEqual(failure("labels = 3"), "1:8: labels is not a field; the only test of labels is 'labels CONTAINS <label>'")
        XCTAssertEqual(failure("labels CONTAINS -1"), "1:17: a label is an integer from 0 to 4294967295, got -1")
        XCTAssertEqual(failure("labels CONTAINS 'a'"), "1:17: a label is an integer from 0 to 4294967295, got 'a'")
        XCTAssertEqual(failure("labels CONTAINS"), "1:16: expected a label (an integer from 0 to 4294967295) after CONTAINS")
    }

    func testLimitsOnHostileInput() {
        let deep = String(repeating: "(", count: 64) + "year = 1" + String(repeating: ")", count: 64)
        XCTAssertTrue(matches(deep, ["year": .int(1)]))
        XCTAssertEqual(failure("(" + deep + ")"), "1:65: nested deeper than 64 levels of parentheses and NOT")
        XCTAssertEqual(failure(String(repeating: "NOT ", count: 65) + "inStock"),
                       "1:257: nested deeper than 64 levels of parentheses and NOT")
        XCTAssertTrue(matches(String(repeating: "NOT ", count: 64) + "inStock", ["inStock": .bool(true)]))
        let long = "year IN (" + Array(repeating: "1", count: 40_000).joined(separator: ",") + ")"
        XCTAssertEqual(failure(long), "1:1: longer than 65536 bytes (80009)")
        let wide = "year IN (" + (0..<10_000).map(String.init).joined(separator: ",") + ")"
        XCTAssertTrue(matches(wide, ["year": .int(9_999)]))
    }

    func constraints(_ text: String) throws -> [FieldConstraint] { try Filter(parsing: text, schema: schema).constraints() }

    func range(_ lower: FieldValue?, _ lowerInclusive: Bool, _ upper: FieldValue?, _ upperInclusive: Bool) -> ValueRange {
        ValueRange(lower: lower, lowerInclusive: lowerInclusive, upper: upper, upperInclusive: upperInclusive)
    }

    func testConstraintsForASecondaryIndex() throws {
        XCTAssertEqual(try constraints("year >= 2020 AND category IN ('b', 'a', 'b') AND (price = 1 OR big = 2)"), [
            FieldConstraint(field: 0, ranges: [.point(.string("a")), .point(.string("b"))]),
            FieldConstraint(field: 2, ranges: [range(.int(2020), true, nil, false)]),
        ])
        XCTAssertEqual(try constraints("year > 2019.5 AND year < 2025"), [FieldConstraint(field: 2, ranges: [range(.int(2020), true, .int(2025), false)])])
        XCTAssertEqual(try constraints("price < 10 OR price > 100 OR price BETWEEN 5 AND 20"), [
            FieldConstraint(field: 1, ranges: [range(nil, false, .float(20), true), range(.float(100), false, nil, false)]),
        ])
        XCTAssertEqual(try constraints("(year = 1 AND price = 2) OR (year = 3 AND category = 'x')"),
                       [FieldConstraint(field: 2, ranges: [.point(.int(1)), .point(.int(3))])])
        XCTAssertEqual(try constraints("tags CONTAINS 'a' AND tags CONTAINS 'b'"),
                       [FieldConstraint(field: 3, ranges: [.point(.string("a"))])],
                       "two elements may meet the two CONTAINS: no intersection")
        XCTAssertEqual(try constraints("sizes CONTAINS 2.0 AND labels CONTAINS 4"), [FieldConstraint(field: 4, ranges: [.point(.int(2))])])
        XCTAssertEqual(try constraints("year = 1 AND year = 2"), [FieldConstraint(field: 2, ranges: [])])
        XCTAssertEqual(try constraints("year = 2.5"), [FieldConstraint(field: 2, ranges: [])])
        XCTAssertEqual(try constraints("year > 1e30"), [FieldConstraint(field: 2, ranges: [])])
        XCTAssertEqual(try constraints("year < 1e30 AND title IS NOT NULL"),
                       [FieldConstraint(field: 2, ranges: [.everything]), FieldConstraint(field: 6, ranges: [.everything])])
        XCTAssertEqual(try constraints("inStock"), [FieldConstraint(field: 5, ranges: [.point(.bool(true))])])
        XCTAssertEqual(try constraints("price > 9007199254740993"),
                       [FieldConstraint(field: 1, ranges: [range(.float(9_007_199_254_740_992), false, nil, false)])])
        XCTAssertEqual(try constraints("year != 3 AND NOT (price < 2) AND category IS NULL AND year NOT IN (1)"), [])
        XCTAssertEqual(try constraints("year = 1 OR price = 2"), [])
    }

    /// Random filters over random documents: whatever matches lies in the constraints' ranges.
    func testConstraintsAreASupersetOfTheMatches() throws {
        var rng = SeededGenerator(seed: 11)
        let literals: [FieldType: [String]] = [
            .int: ["-1", "0", "1", "2", "1.5", "2.0", "3"], .float: ["-0.5", "0", "1", "1.5", "2", "2.5"],
            .string: ["'a'", "'b'", "'c'", "''"], .bool: ["TRUE", "FALSE"],
        ]
        func value(_ type: FieldType) -> String { literals[type.elementType == .text ? .string : type.elementType]!.randomElement(using: &rng)! }
        func predicate() -> String {
            let field = schema.fields.filter { $0.name != "title" && $0.name != "big" }.randomElement(using: &rng)!
            if field.type.isArray { return "\(field.name) CONTAINS \(value(field.type))" }
            if field.type == .bool {
                return ["inStock", "inStock = TRUE", "inStock != FALSE", "inStock IN (TRUE, FALSE)"].randomElement(using: &rng)!
            }
            switch Int.random(in: 0..<6, using: &rng) {
            case 0: return "\(field.name) \(["=", "!=", "<", "<=", ">", ">="].randomElement(using: &rng)!) \(value(field.type))"
            case 1: return "\(field.name) IN (\(value(field.type)), \(value(field.type)))"
            case 2: return "\(field.name) BETWEEN \(value(field.type)) AND \(value(field.type))"
            case 3: return "\(field.name) IS \(Bool.random(using: &rng) ? "NOT " : "")NULL"
            default: return "\(field.name) = \(value(field.type))"
            }
        }
        func expression(_ depth: Int) -> String {
            guard depth > 0, Int.random(in: 0..<3, using: &rng) > 0 else { return predicate() }
            let joiner = [" AND ", " OR ", " AND "].randomElement(using: &rng)!
            let text = "(\(expression(depth - 1))\(joiner)\(expression(depth - 1)))"
            return Int.random(in: 0..<5, using: &rng) == 0 ? "NOT " + text : text
        }
        func randomValue(_ type: FieldType) -> FieldValue? {
            guard Int.random(in: 0..<5, using: &rng) > 0 else { return nil }
            switch type {
            case .int: return .int(Int64.random(in: -1...3, using: &rng))
            case .float: return .float([-0.5, 0, 1, 1.5, 2, 2.5, 3].randomElement(using: &rng)!)
            case .bool: return .bool(.random(using: &rng))
            case .string, .text: return .string(["a", "b", "c", "", "bb"].randomElement(using: &rng)!)
            case .intArray: return .intArray((0..<Int.random(in: 0...3, using: &rng)).map { _ in .random(in: -1...3, using: &rng) })
            case .stringArray: return .stringArray((0..<Int.random(in: 0...3, using: &rng)).map { _ in ["a", "b", "c"].randomElement(using: &rng)! })
            }
        }
        var matched = 0
        for _ in 0..<400 {
            let text = expression(3)
            let filter = try Filter(parsing: text, schema: schema)
            let constraints = filter.constraints()
            for _ in 0..<40 {
                let doc = Document(values: schema.fields.map { randomValue($0.type) })
                guard filter.matches(doc) else { continue }
                matched += 1
                for constraint in constraints {
                    let elements: [FieldValue]
                    switch doc[constraint.field] {
                    case .intArray(let a)?: elements = a.map { .int($0) }
                    case .stringArray(let a)?: elements = a.map { .string($0) }
                    case let scalar?: elements = [scalar]
                    case nil: elements = []
                    }
                    let inside = elements.contains { element in constraint.ranges.contains { $0.holds(element) } }
                    XCTAssertTrue(inside, "\(text): \(doc) outside \(constraint)")
                }
            }
        }
        XCTAssertGreaterThan(matched, 1000, "the generator must produce filters that match")
    }

    /// Random bytes and random token soups: a filter or a badFilter, never a trap, and fast.
    func testHostileInputNeverTraps() {
        var rng = SeededGenerator(seed: 7)
        let vocabulary = ["(", ")", "(", ",", "=", "!=", "<>", "<", "<=", ">", ">=", "!", "==", "AND", "or", "NOT", "IN",
                          "BETWEEN", "CONTAINS", "IS", "NULL", "TRUE", "false", "year", "price", "tags", "sizes", "inStock",
                          "category", "labels", "nope", "'a'", "'it''s", "\"x\"", "1", "-2", "2.5", "1e3", "-0.5e-2",
                          "99999999999999999999", "4294967296", "1e999", "\n", "é", "\u{0}", "'"]
        // Valid filters with words dropped, repeated or replaced: the near misses a user types.
        let valid = ["category = 'audio' AND price < 20 AND year >= 2020 AND tags CONTAINS 'wireless'",
                     "( year IN ( 1 , 2.5 ) OR NOT price BETWEEN -1 AND 2e3 ) AND labels CONTAINS 3",
                     "inStock AND title IS NOT NULL OR sizes CONTAINS 4 AND category NOT IN ( 'a' , \"b\" )"]
            .map { $0.split(separator: " ").map(String.init) }
        var parsed = 0
        for round in 0..<6000 {
            let text: String
            switch round % 3 {
            case 0:
                let bytes = (0..<Int.random(in: 0..<40, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                text = String(decoding: bytes, as: UTF8.self)
            case 1:
                text = (0..<Int.random(in: 1..<14, using: &rng)).map { _ in vocabulary.randomElement(using: &rng)! }
                    .joined(separator: round % 2 == 0 ? "" : " ")
            default:
                var words = valid.randomElement(using: &rng)!
                for _ in 0..<Int.random(in: 0...2, using: &rng) {
                    let at = Int.random(in: 0..<words.count, using: &rng)
                    switch Int.random(in: 0..<3, using: &rng) {
                    case 0: words.remove(at: at)
                    case 1: words.insert(words[at], at: at)
                    default: words[at] = vocabulary.randomElement(using: &rng)!
                    }
                    if words.isEmpty { break }
                }
                text = words.joined(separator: " ")
            }
            do {
                let filter = try Filter(parsing: text, schema: schema)
                _ = filter.matches(document(gadget))
                _ = filter.matches(Document(values: [.int(1), .float(.nan), .string("y"), .int(1)]))
                _ = filter.constraints()
                parsed += 1
            } catch let error as CalibyError {
                guard case .badFilter(let line, let column, _) = error else { return XCTFail("\(text): \(error)") }
                XCTAssertTrue(line >= 1 && column >= 1 && column <= text.unicodeScalars.count + 1, "\(text): \(error)")
            } catch {
                XCTFail("\(text): \(error)")
            }
        }
        XCTAssertGreaterThan(parsed, 300, "some inputs must parse, or the evaluation is not exercised")
    }

    /// Which filters a field index answers alone (no document re-read): one field's ranges, nothing else.
    func testExactlyConstrainedFieldIsTheFilterWhenItIsOneFieldsRanges() throws {
        let cases: [(String, String?)] = [
            ("category = 'a'", "category"), ("year BETWEEN 1 AND 3", "year"), ("price < 2 OR price >= 9", "price"),
            ("inStock", "inStock"), ("tags CONTAINS 'x'", "tags"), ("category IN ('a', 'b')", "category"),
            ("(year > 1)", "year"),
            ("category != 'a'", nil), ("year > 1 AND year < 5", nil), ("NOT (year = 1)", nil), ("year IS NULL", nil),
            ("year = 1 OR price = 2", nil), ("sizes CONTAINS 3 OR year = 1", nil), ("category = 'a' AND labels CONTAINS 3", "category"),
        ]
        for (text, field) in cases {
            let filter = try Filter(parsing: text, schema: schema)
            XCTAssertEqual(filter.exactlyConstrainedField, field.flatMap(schema.position(of:)), text)
        }
    }
}

extension ValueRange {
    /// Whether `value` lies in the range.
    func holds(_ value: FieldValue) -> Bool {
        if let lower, let order = FilterOrder.compare(value, lower), order < 0 || (order == 0 && !lowerInclusive) { return false }
        if let upper, let order = FilterOrder.compare(value, upper), order > 0 || (order == 0 && !upperInclusive) { return false }
        return true
    }

}

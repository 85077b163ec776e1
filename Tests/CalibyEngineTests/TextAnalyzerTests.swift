import XCTest
@testable import CalibyEngine

/// text-spec.md's analyzers: the examples it gives, and the folding a user of accented or non-Latin
/// text relies on (a query typed without accents finds the accented word, and the other way round).
final class TextAnalyzerTests: XCTestCase {
    private func standard(_ text: String) -> [String] { Analyzer.standard.terms(text) }

    func testSegmentationExamplesOfTheSpec() {
        let examples: [(String, [String])] = [
            ("don't", ["don't"]), ("e.g.", ["e.g"]), ("file.txt", ["file.txt"]), ("3.14", ["3.14"]),
            ("1,000", ["1,000"]), ("a,b", ["a", "b"]), ("max_elements", ["max_elements"]),
            ("fcntl(2)", ["fcntl", "2"]), ("--dry-run", ["dry", "run"]), ("日本語", ["日", "本", "語"]),
            ("x...y", ["x", "y"]), ("'quoted'", ["quoted"]),
        ]
        for (text, terms) in examples { XCTAssertEqual(standard(text), terms, text) }
    }

    func testJoinersNeedWordCharactersOnBothSides() {
        XCTAssertEqual(standard("it's 1,5 a,1 1,a x.1 end. .start"), ["it's", "1,5", "a", "1", "1", "a", "x.1", "end", "start"])
        XCTAssertEqual(standard("don’t"), ["don't"], "a typographic apostrophe joins and becomes '")
        XCTAssertEqual(standard("a'.b"), ["a", "b"], "a joiner next to a joiner joins nothing")
        XCTAssertEqual(standard("١,٢٣٤"), ["١,٢٣٤"], "the comma joins any decimal digits, not only ASCII ones")
        XCTAssertEqual(standard("日.本"), ["日", "本"], "ideographs are not word characters for joiners")
    }

    func testFoldingExamplesOfTheSpec() {
        XCTAssertEqual(standard("Café NAÏVE Ångström Straße"), ["cafe", "naive", "angstrom", "straße"])
        XCTAssertEqual(standard("HTTP_Proxy"), ["http_proxy"])
    }

    func testDecomposedAndPrecomposedInputGiveTheSameTerm() {
        XCTAssertEqual(standard("Cafe\u{301}"), ["cafe"])
        XCTAssertEqual(standard("A\u{30A}ngstro\u{308}m"), standard("Ångström"))
        XCTAssertEqual(standard("Vie\u{323}\u{302}t"), standard("Việt"), "marks in either order")
        XCTAssertEqual(standard("a \u{301} b"), ["a", "b"], "a token of marks only folds to nothing and is dropped")
    }

    func testGreekCyrillicAndVietnamese() {
        XCTAssertEqual(standard("Ελληνικά ΆΝΘΡΩΠΟΣ ΣΑΣ Ῥόδος"), ["ελληνικα", "ανθρωπος", "σας", "ροδος"],
                       "tonos and breathings go; a capital sigma at the end of a word lowers to ς")
        XCTAssertEqual(standard("Ёлка йод"), ["елка", "иод"])
        XCTAssertEqual(standard("Tiếng Việt Đường"), ["tieng", "viet", "đuong"], "đ is a letter of its own, not d with a mark")
        XCTAssertEqual(standard("İstanbul"), ["istanbul"])
    }

    func testHanAndHiraganaAreOneTermPerCharacterKatakanaIsAWord() {
        XCTAssertEqual(standard("東京タワーへ行きました"), ["東", "京", "タワー", "へ", "行", "き", "ま", "し", "た"])
        XCTAssertEqual(standard("abc日本def"), ["abc", "日", "本", "def"])
        XCTAssertEqual(standard("がガ"), ["か", "カ"], "the voicing mark is a nonspacing mark too")
        XCTAssertEqual(standard("\u{20B9F}x"), ["\u{20B9F}", "x"], "ideographs outside the BMP")
    }

    func testScalarsNewerThanTheFoldingTablesSeparate() {
        // U+13460 is a letter since Unicode 16; the tables (and the reference scorer's Python) are
        // Unicode 14, and an index must not change its terms when the toolchain's data does.
        XCTAssertEqual(TextFoldingTables.unicodeVersion.major, 14)
        XCTAssertEqual(standard("a\u{13460}b"), ["a", "b"])
        XCTAssertEqual(standard("a\u{10D00}b"), ["a\u{10D00}b"], "a Unicode 11 letter stays inside the word")
    }

    func testPositionsCountKeptTermsOnly() {
        var seen: [String] = []
        Analyzer.standard.forEachTerm(in: "The cat, the HAT!  ") { seen.append($0) }
        XCTAssertEqual(seen, ["the", "cat", "the", "hat"], "no stop words, every term in order")
        let long = String(repeating: "x", count: 101)
        XCTAssertEqual(standard("a \(long) b"), ["a", "b"], "an overlong token takes no position")
    }

    func testTheHundredByteLimitAppliesToTheFoldedForm() {
        let hundred = String(repeating: "a", count: Analyzer.maxTermBytes)
        XCTAssertEqual(standard(hundred.uppercased()), [hundred])
        XCTAssertEqual(standard(hundred + "a"), [])
        // 51 × é is 102 bytes as typed but 51 after folding; 51 × ß stays 102.
        XCTAssertEqual(standard(String(repeating: "é", count: 51)), [String(repeating: "e", count: 51)])
        XCTAssertEqual(standard(String(repeating: "ß", count: 51)), [])
        XCTAssertEqual(Analyzer.whitespace.terms(String(repeating: "é", count: 51) + " ok"), ["ok"])
    }

    func testWhitespaceAnalyzerKeepsEverything() {
        XCTAssertEqual(Analyzer.whitespace.terms("  Foo-Bar\tCafé\u{A0}x_1,2\u{3000}(2)\n"), ["Foo-Bar", "Café", "x_1,2", "(2)"])
        XCTAssertEqual(Analyzer.whitespace.terms(""), [])
    }

    func testEnglishStemsPlainASCIIWordsOnly() {
        let english = Analyzer.english
        XCTAssertEqual(english.terms("Running connections caresses ponies"), ["run", "connect", "caress", "poni"])
        XCTAssertEqual(english.terms("日本 don't file.txt max_elements 3.14"), ["日", "本", "don't", "file.txt", "max_elements", "3.14"])
        // The spec stems the folded term: naïve folds to the a–z word naive, which stems to naiv.
        XCTAssertEqual(english.terms("naïve"), ["naiv"])
        XCTAssertEqual(english.terms("straße"), ["straße"])
    }

    func testAnalyzerNamesAreStable() {
        XCTAssertEqual(Analyzer.allCases.map(\.rawValue), ["standard", "english", "whitespace"])
    }
}

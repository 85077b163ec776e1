import Foundation
import XCTest
@testable import CalibyEngine

/// The stemmer against pairs from Martin Porter's own test vocabulary (voc.txt → output.txt at
/// tartarus.org: every 40th pair, in Fixtures/porter-vocabulary-sample.txt), plus the paper's
/// examples. These are what SQLite FTS5's `porter` tokenizer produces too.
final class PorterStemmerTests: XCTestCase {
    private func stem(_ word: String) -> String {
        var bytes = Array(word.utf8)
        PorterStemmer.stem(&bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    func testOfficialVocabularySample() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/porter-vocabulary-sample.txt")
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
        XCTAssertGreaterThanOrEqual(lines.count, 500)
        var failures: [String] = []
        for line in lines {
            let pair = line.split(separator: " ")
            let got = stem(String(pair[0]))
            if got != pair[1] { failures.append("\(pair[0]) → \(got), expected \(pair[1])") }
        }
        XCTAssertEqual(failures, [])
    }

    func testExamplesOfThePaper() {
        let pairs = [
            ("caresses", "caress"), ("ponies", "poni"), ("ties", "ti"), ("cats", "cat"), ("feed", "feed"),
            ("agreed", "agre"), ("plastered", "plaster"), ("bled", "bled"), ("motoring", "motor"), ("sing", "sing"),
            ("conflated", "conflat"), ("troubled", "troubl"), ("sized", "size"), ("hopping", "hop"), ("tanned", "tan"),
            ("falling", "fall"), ("hissing", "hiss"), ("fizzed", "fizz"), ("failing", "fail"), ("filing", "file"),
            ("happy", "happi"), ("sky", "sky"), ("relational", "relat"), ("conditional", "condit"),
            ("rational", "ration"), ("valenci", "valenc"), ("digitizer", "digit"), ("conformabli", "conform"),
            ("radicalli", "radic"), ("differentli", "differ"), ("vileli", "vile"), ("analogousli", "analog"),
            ("vietnamization", "vietnam"), ("predication", "predic"), ("operator", "oper"), ("feudalism", "feudal"),
            ("decisiveness", "decis"), ("hopefulness", "hope"), ("callousness", "callous"), ("formaliti", "formal"),
            ("sensitiviti", "sensit"), ("sensibiliti", "sensibl"), ("triplicate", "triplic"), ("formative", "form"),
            ("formalize", "formal"), ("electriciti", "electr"), ("electrical", "electr"), ("hopeful", "hope"),
            ("goodness", "good"), ("revival", "reviv"), ("allowance", "allow"), ("inference", "infer"),
            ("airliner", "airlin"), ("gyroscopic", "gyroscop"), ("adjustable", "adjust"), ("defensible", "defens"),
            ("irritant", "irrit"), ("replacement", "replac"), ("adjustment", "adjust"), ("dependent", "depend"),
            ("adoption", "adopt"), ("homologou", "homolog"), ("communism", "commun"), ("activate", "activ"),
            ("angulariti", "angular"), ("homologous", "homolog"), ("effective", "effect"), ("bowdlerize", "bowdler"),
            ("probate", "probat"), ("rate", "rate"), ("cease", "ceas"), ("controll", "control"), ("roll", "roll"),
            ("generalizations", "gener"), ("oscillators", "oscil"), ("connections", "connect"), ("running", "run"),
            ("as", "as"), ("is", "is"), ("a", "a"),
        ]
        for (word, expected) in pairs { XCTAssertEqual(stem(word), expected, word) }
    }
}

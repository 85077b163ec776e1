/// The original Porter stemmer (M. F. Porter, 1980, "An algorithm for suffix stripping"), as the
/// reference implementation at tartarus.org has it — including its two departures from the paper
/// (`-bli` → `-ble` in place of `-abli` → `-able`, and the extra `-logi` → `-log`), which SQLite
/// FTS5's `porter` tokenizer shares. Matching that implementation rule for rule is the point: the
/// benchmark's reference scorer stems with it, so any "improvement" would break score agreement.
///
/// It works on lowercase ASCII letters only; `Analyzer.english` never hands it anything else.
enum PorterStemmer {
    /// Stems `word` in place. Words of one or two letters are left alone, as the reference does.
    static func stem(_ word: inout [UInt8]) {
        guard word.count > 2 else { return }
        var state = State()
        swap(&state.b, &word)
        state.k = state.b.count - 1
        state.run()
        state.b.removeSubrange((state.k + 1)...)
        swap(&state.b, &word)
    }

    /// The reference's variables: `b[0...k]` is the word so far, `j` the end of the stem that the
    /// last successful `ends` left before its suffix.
    private struct State {
        var b: [UInt8] = []
        var k = 0
        var j = 0

        mutating func run() {
            step1ab()
            if k > 0 {
                step1c()
                step2()
                step3()
                step4()
                step5()
            }
        }

        /// `y` is a consonant at the start of a word or after a vowel, a vowel after a consonant.
        func isConsonant(_ i: Int) -> Bool {
            switch b[i] {
            case UInt8(ascii: "a"), UInt8(ascii: "e"), UInt8(ascii: "i"), UInt8(ascii: "o"), UInt8(ascii: "u"): return false
            case UInt8(ascii: "y"): return i == 0 ? true : !isConsonant(i - 1)
            default: return true
            }
        }

        /// The measure m of `b[0...j]`: the number of vowel-run/consonant-run pairs after an
        /// optional leading consonant run.
        func measure() -> Int {
            var n = 0
            var i = 0
            while i <= j && isConsonant(i) { i += 1 }
            while i <= j {
                while i <= j && !isConsonant(i) { i += 1 }
                guard i <= j else { return n }
                n += 1
                while i <= j && isConsonant(i) { i += 1 }
            }
            return n
        }

        func vowelInStem() -> Bool {
            guard j >= 0 else { return false }
            return (0...j).contains { !isConsonant($0) }
        }

        func doubleConsonant(_ i: Int) -> Bool {
            i >= 1 && b[i] == b[i - 1] && isConsonant(i)
        }

        /// consonant–vowel–consonant ending at `i`, the last consonant not w, x or y: where a
        /// removed `-e` is restored (`hop(e)`) or kept (`hope`).
        func cvc(_ i: Int) -> Bool {
            guard i >= 2, isConsonant(i), !isConsonant(i - 1), isConsonant(i - 2) else { return false }
            let c = b[i]
            return c != UInt8(ascii: "w") && c != UInt8(ascii: "x") && c != UInt8(ascii: "y")
        }

        /// Whether `b[0...k]` ends with `suffix`; on success `j` marks the stem before it.
        mutating func ends(_ suffix: StaticString) -> Bool {
            let length = suffix.utf8CodeUnitCount
            guard length <= k + 1 else { return false }
            let start = k - length + 1
            let matches = suffix.withUTF8Buffer { s in
                (0..<length).allSatisfy { b[start + $0] == s[$0] }
            }
            if matches { j = k - length }
            return matches
        }

        /// Replaces what follows `j` with `replacement`.
        mutating func setTo(_ replacement: StaticString) {
            b.removeSubrange((j + 1)...)
            replacement.withUTF8Buffer { b.append(contentsOf: $0) }
            k = b.count - 1
        }

        mutating func replaceIfMeasured(_ replacement: StaticString) {
            if measure() > 0 { setTo(replacement) }
        }

        /// Plurals and -ed/-ing: caresses → caress, ponies → poni, meetings → meet, hopping → hop,
        /// filing → file.
        mutating func step1ab() {
            if b[k] == UInt8(ascii: "s") {
                if ends("sses") {
                    k -= 2
                } else if ends("ies") {
                    setTo("i")
                } else if b[k - 1] != UInt8(ascii: "s") {
                    k -= 1
                }
            }
            if ends("eed") {
                if measure() > 0 { k -= 1 }
            } else if (ends("ed") || ends("ing")) && vowelInStem() {
                k = j
                if ends("at") {
                    setTo("ate")
                } else if ends("bl") {
                    setTo("ble")
                } else if ends("iz") {
                    setTo("ize")
                } else if doubleConsonant(k) {
                    let c = b[k]
                    if c != UInt8(ascii: "l") && c != UInt8(ascii: "s") && c != UInt8(ascii: "z") { k -= 1 }
                } else if measure() == 1 && cvc(k) {
                    setTo("e")
                }
            }
        }

        /// A final y after a vowel somewhere in the stem becomes i: happy → happi.
        mutating func step1c() {
            if ends("y") && vowelInStem() { b[k] = UInt8(ascii: "i") }
        }

        /// Whether the word ends with `suffix`, replaced by `replacement` when m > 0. Chained with
        /// `||`, the first suffix present decides, as in the reference.
        mutating func rule(_ suffix: StaticString, _ replacement: StaticString) -> Bool {
            guard ends(suffix) else { return false }
            replaceIfMeasured(replacement)
            return true
        }

        /// Double suffixes to single ones: relational → relate, digitizer → digitize.
        mutating func step2() {
            switch b[k - 1] {
            case UInt8(ascii: "a"): _ = rule("ational", "ate") || rule("tional", "tion")
            case UInt8(ascii: "c"): _ = rule("enci", "ence") || rule("anci", "ance")
            case UInt8(ascii: "e"): _ = rule("izer", "ize")
            case UInt8(ascii: "l"): _ = rule("bli", "ble") || rule("alli", "al") || rule("entli", "ent") || rule("eli", "e") || rule("ousli", "ous")
            case UInt8(ascii: "o"): _ = rule("ization", "ize") || rule("ation", "ate") || rule("ator", "ate")
            case UInt8(ascii: "s"): _ = rule("alism", "al") || rule("iveness", "ive") || rule("fulness", "ful") || rule("ousness", "ous")
            case UInt8(ascii: "t"): _ = rule("aliti", "al") || rule("iviti", "ive") || rule("biliti", "ble")
            case UInt8(ascii: "g"): _ = rule("logi", "log")
            default: break
            }
        }

        /// -ic-, -full, -ness and the like: electrical → electric, hopeful → hope.
        mutating func step3() {
            switch b[k] {
            case UInt8(ascii: "e"): _ = rule("icate", "ic") || rule("ative", "") || rule("alize", "al")
            case UInt8(ascii: "i"): _ = rule("iciti", "ic")
            case UInt8(ascii: "l"): _ = rule("ical", "ic") || rule("ful", "")
            case UInt8(ascii: "s"): _ = rule("ness", "")
            default: break
            }
        }

        /// Removes -ant, -ence and the like where m > 1: revival → reviv, adjustment → adjust. The
        /// first suffix present decides, even when its m is too small for a shorter one to apply.
        mutating func step4() {
            let matched: Bool
            switch b[k - 1] {
            case UInt8(ascii: "a"): matched = ends("al")
            case UInt8(ascii: "c"): matched = ends("ance") || ends("ence")
            case UInt8(ascii: "e"): matched = ends("er")
            case UInt8(ascii: "i"): matched = ends("ic")
            case UInt8(ascii: "l"): matched = ends("able") || ends("ible")
            case UInt8(ascii: "n"): matched = ends("ant") || ends("ement") || ends("ment") || ends("ent")
            case UInt8(ascii: "o"):
                // -ion only after s or t: adoption → adopt, but not union.
                matched = (ends("ion") && j >= 0 && (b[j] == UInt8(ascii: "s") || b[j] == UInt8(ascii: "t"))) || ends("ou")
            case UInt8(ascii: "s"): matched = ends("ism")
            case UInt8(ascii: "t"): matched = ends("ate") || ends("iti")
            case UInt8(ascii: "u"): matched = ends("ous")
            case UInt8(ascii: "v"): matched = ends("ive")
            case UInt8(ascii: "z"): matched = ends("ize")
            default: matched = false
            }
            if matched && measure() > 1 { k = j }
        }

        /// A final -e where m > 1 (or m = 1 and not *o), and -ll → -l where m > 1.
        mutating func step5() {
            j = k
            if b[k] == UInt8(ascii: "e") {
                let m = measure()
                if m > 1 || (m == 1 && !cvc(k - 1)) { k -= 1 }
            }
            if b[k] == UInt8(ascii: "l") && doubleConsonant(k) && measure() > 1 { k -= 1 }
        }
    }
}

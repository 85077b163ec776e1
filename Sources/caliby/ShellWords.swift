import CalibyEngine

/// Splits a line into words the way a POSIX shell splits a simple command, without expansions:
/// blanks separate words; inside single quotes everything is literal; inside double quotes a
/// backslash escapes only `"`, `\`, `$` and `` ` ``; elsewhere a backslash escapes any character;
/// a `#` that starts a word comments out the rest of the line. The REPL reads its lines with it, so
/// a line means what it would mean after `caliby` in a shell; completion uses it to unquote the words
/// a shell or readline hands over.
enum ShellWords {
    /// The words of a complete line; an open quote or a trailing backslash is a usage error.
    static func split(_ line: String) throws -> [String] {
        let scan = scan(line)
        if let open = scan.open {
            throw CalibyError.invalidArgument(open == "\\" ? "the line ends with a backslash that escapes nothing"
                                                           : "unterminated \(open) quote")
        }
        return scan.words
    }

    /// The words of a line that is still being typed: an open quote is closed at the end.
    static func splitPartial(_ line: String) -> [String] {
        scan(line).words
    }

    /// Whether a line being typed ends inside a quote (its last word is still open).
    static func endsInQuote(_ line: String) -> Bool {
        let open = scan(line).open
        return open == "'" || open == "\""
    }

    private static func scan(_ line: String) -> (words: [String], open: Character?) {
        var words: [String] = []
        var word = ""
        var inWord = false  // distinguishes the empty word '' from no word
        var quote: Character?
        var escaping = false
        for c in line {
            if escaping {
                // In double quotes a backslash before anything else stays a backslash.
                if quote == "\"" && !"\"\\$`".contains(c) { word.append("\\") }
                word.append(c)
                escaping = false
            } else if quote == "'" {
                if c == "'" { quote = nil } else { word.append(c) }
            } else if quote == "\"" {
                if c == "\"" { quote = nil } else if c == "\\" { escaping = true } else { word.append(c) }
            } else if c == " " || c == "\t" || c.isNewline {
                if inWord { words.append(word) }
                word = ""
                inWord = false
            } else if c == "#" && !inWord {
                break
            } else {
                inWord = true
                if c == "'" || c == "\"" { quote = c } else if c == "\\" { escaping = true } else { word.append(c) }
            }
        }
        if inWord { words.append(word) }
        return (words, escaping ? "\\" : quote)
    }
}

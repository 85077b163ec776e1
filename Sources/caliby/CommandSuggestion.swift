import ArgumentParser

/// The error for a word where a command name belongs, on the command line (`caliby frobnicate`,
/// `caliby help frobnicate`) and in the REPL. argument-parser would report the word as an unexpected
/// argument, or the next option as unknown, which hides the typo; git's wording names it instead and
/// offers the command it is closest to.
enum CommandSuggestion {
    /// Edits (insertion, deletion, substitution, transposition of neighbours) a typo may be away from
    /// the command it meant; git's threshold.
    static let maximumDistance = 2

    /// Throws when `word` is not one of `commands`. The error is a usage error (exit 64).
    static func require(_ word: String, among commands: [String]) throws {
        guard !commands.contains(word) else { return }
        var message = "'\(word)' is not a caliby command"
        let near = closest(to: word, among: commands)
        if !near.isEmpty { message += ". Did you mean " + near.map { "'\($0)'" }.joined(separator: " or ") + "?" }
        throw ValidationError(message)
    }

    /// The commands nearest to `word` within `maximumDistance`, all of them when several tie.
    static func closest(to word: String, among commands: [String]) -> [String] {
        // The lengths alone bound the distance from below, which spares a long word the full table.
        let scored = commands.filter { abs($0.count - word.count) <= maximumDistance }
            .map { ($0, distance(word, $0)) }.filter { $0.1 <= maximumDistance }
        guard let best = scored.map(\.1).min() else { return [] }
        return scored.filter { $0.1 == best }.map(\.0)
    }

    /// Optimal-string-alignment (restricted Damerau–Levenshtein) distance: a swap of two neighbouring
    /// characters, the commonest typo, counts as one edit, not two.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a.lowercased()), b = Array(b.lowercased())
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[a.count][b.count]
    }
}

extension CalibyCommand {
    /// Names the command line takes as its first word: the subcommands and argument-parser's `help`.
    static var commandNames: [String] { configuration.subcommands.map { $0._commandName } + ["help"] }

    /// Checks the words before parsing, so that a mistyped command is named as such. Only words that
    /// can be a command are looked at: the first, and the topic after `help`; options are left to
    /// argument-parser.
    static func requireKnownCommand(_ arguments: [String]) throws {
        guard let first = arguments.first, !first.hasPrefix("-") else { return }
        try CommandSuggestion.require(first, among: commandNames)
        if first == "help", let topic = arguments.dropFirst().first, !topic.hasPrefix("-") {
            try CommandSuggestion.require(topic, among: commandNames)
        }
    }
}

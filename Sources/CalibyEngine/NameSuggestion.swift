/// "Did you mean": the names nearest a mistyped one, for every message that offers one (commands,
/// fields in a filter, fields in an input file), so they all judge nearness alike.
package enum NameSuggestion {
    /// The names within `maximumDistance` edits of `word`, all of those at the least distance.
    package static func closest(to word: String, among names: [String], maximumDistance: Int) -> [String] {
        // The lengths alone bound the distance from below, which spares a long word the full table.
        let scored = names.filter { abs($0.unicodeScalars.count - word.unicodeScalars.count) <= maximumDistance }
            .map { ($0, distance(word, $0)) }.filter { $0.1 <= maximumDistance }
        guard let best = scored.map(\.1).min() else { return [] }
        return scored.filter { $0.1 == best }.map(\.0)
    }

    /// Optimal-string-alignment (restricted Damerau–Levenshtein) distance over Unicode scalars,
    /// ignoring case: a swap of two neighbouring characters, the commonest typo, counts as one edit.
    package static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a.lowercased().unicodeScalars), b = Array(b.lowercased().unicodeScalars)
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

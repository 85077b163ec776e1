import Glibc

/// BM25 ranking of a parsed query (the formula, matching rules and order are README's "Full-text
/// search"): each clause's postings are gathered from every segment, dead ones skipped, then all
/// clauses are walked together by node, in one pass, scoring as they go.
extension TextIndex {
    static let k1 = 1.2
    static let b = 0.75

    /// A document of a query's result.
    struct Scored {
        var node: Int
        var score: Double
    }

    /// The best `k` documents for `query` among `allowed` (all, when nil), best first; documents
    /// tied with the k-th are all included, so the caller can break ties by id.
    func search(_ query: TextQuery, k: Int, allowed: NodeSet?) throws -> [Scored] {
        let (segments, documents, tokens) = (root.segments, root.documents, root.tokens)
        guard documents > 0, k > 0 else { return [] }
        let tombstones = root.tombstones == 0 ? [:] : try self.tombstones()
        let capacity = store.layout.nodeCapacity
        let n = Double(documents)
        var cache: [String: PostingList] = [:]
        func postings(_ term: String, positions: Bool) throws -> PostingList {
            let key = positions ? "\u{1}" + term : term
            if let known = cache[key] { return known }
            var list = PostingList()
            let bytes = Array(term.utf8)
            for info in segments {
                let reader = try reader(info)
                guard let entry = try reader.lookup(bytes) else { continue }
                let sequence = UInt32(info.sequence)
                let part = try reader.postings(entry, positions: positions, nodeCapacity: capacity) { node in
                    guard !tombstones.isEmpty, let dead = tombstones[UInt32(node)] else { return true }
                    return sequence > dead
                }
                list = PostingList.merged(list, part)
            }
            cache[key] = list
            return list
        }
        func idf(_ df: Int) -> Double { log(1 + (n - Double(df) + 0.5) / (Double(df) + 0.5)) }

        var clauses: [ClauseMatches] = []
        for clause in query.clauses {
            if clause.terms.count == 1 {
                let list = try postings(clause.terms[0], positions: false)
                clauses.append(ClauseMatches(occur: clause.occur, idf: idf(list.count), nodes: list.nodes, frequencies: list.frequencies,
                                             lengths: list.lengths))
            } else {
                let lists = try clause.terms.map { try postings($0, positions: true) }
                clauses.append(ClauseMatches(phrase: lists, occur: clause.occur, idf: lists.reduce(0) { $0 + idf($1.count) }))
            }
        }
        return TextIndex.rank(clauses, k: k, allowed: allowed, averageLength: Double(tokens) / n)
    }

    /// Walks the clauses' sorted node lists together and keeps the best k (with ties at the k-th).
    static func rank(_ clauses: [ClauseMatches], k: Int, allowed: NodeSet?, averageLength: Double) -> [Scored] {
        let required = clauses.filter { $0.occur == .must }.count
        let scoring = clauses.indices.filter { clauses[$0].occur != .mustNot }
        let excluded = clauses.filter { $0.occur == .mustNot }
        var cursor = [Int](repeating: 0, count: clauses.count)
        var excludedCursor = [Int](repeating: 0, count: excluded.count)
        let lengthWeight = k1 * b / averageLength, constant = k1 * (1 - b)
        var best = TopScores(k: k)
        var candidates: [Scored] = []
        while true {
            var node = Int32.max
            for c in scoring where cursor[c] < clauses[c].nodes.count { node = min(node, clauses[c].nodes[cursor[c]]) }
            if node == Int32.max { break }
            var score = 0.0, matchedRequired = 0, matchedAny = false
            for c in scoring where cursor[c] < clauses[c].nodes.count && clauses[c].nodes[cursor[c]] == node {
                let clause = clauses[c], i = cursor[c]
                let tf = Double(clause.frequencies[i])
                score += clause.idf * tf * (k1 + 1) / (tf + constant + lengthWeight * Double(clause.lengths[i]))
                if clause.occur == .must { matchedRequired += 1 }
                matchedAny = true
                cursor[c] += 1
            }
            guard required == 0 ? matchedAny : matchedRequired == required else { continue }
            var isExcluded = false
            for (e, list) in excluded.enumerated() {
                while excludedCursor[e] < list.nodes.count && list.nodes[excludedCursor[e]] < node { excludedCursor[e] += 1 }
                if excludedCursor[e] < list.nodes.count && list.nodes[excludedCursor[e]] == node { isExcluded = true }
            }
            if isExcluded { continue }
            if let allowed, !allowed.contains(Int(node)) { continue }
            if best.offer(score) { candidates.append(Scored(node: Int(node), score: score)) }
        }
        let threshold = best.threshold
        return candidates.filter { $0.score >= threshold }.sorted { $0.score != $1.score ? $0.score > $1.score : $0.node < $1.node }
    }
}

/// One clause's matching documents, ascending by node, with what BM25 needs of each.
struct ClauseMatches {
    var occur: TextQuery.Occur
    var idf: Double
    var nodes: [Int32]
    var frequencies: [Int32]
    var lengths: [Int32]

    init(occur: TextQuery.Occur, idf: Double, nodes: [Int32], frequencies: [Int32], lengths: [Int32]) {
        self.occur = occur
        self.idf = idf
        self.nodes = nodes
        self.frequencies = frequencies
        self.lengths = lengths
    }

    /// The documents where the terms of `lists` occur consecutively, with how often.
    init(phrase lists: [PostingList], occur: TextQuery.Occur, idf: Double) {
        self.init(occur: occur, idf: idf, nodes: [], frequencies: [], lengths: [])
        guard let first = lists.first else { return }
        var cursors = [Int](repeating: 0, count: lists.count)
        outer: for i in 0..<first.count {
            let node = first.nodes[i]
            for t in 1..<lists.count {
                let list = lists[t]
                while cursors[t] < list.count && list.nodes[cursors[t]] < node { cursors[t] += 1 }
                if cursors[t] == list.count { break outer }
                if list.nodes[cursors[t]] != node { continue outer }
            }
            var count = 0
            for start in first.positions(of: i) {
                var matches = true
                for t in 1..<lists.count where !lists[t].positions(of: cursors[t]).contains(start + Int32(t)) {
                    matches = false
                    break
                }
                if matches { count += 1 }
            }
            if count > 0 {
                nodes.append(node)
                frequencies.append(Int32(count))
                lengths.append(first.lengths[i])
            }
        }
    }
}

/// The k best scores seen so far (a min-heap), to tell whether a new score can still make the cut.
struct TopScores {
    private var heap: [Double] = []
    private let k: Int

    init(k: Int) {
        self.k = k
        heap.reserveCapacity(k)
    }

    /// The lowest score that is still in the top k (ties included).
    var threshold: Double { heap.count < k ? -.infinity : heap[0] }

    /// Records `score`; false when it is below the current top k (it can never be in the result).
    mutating func offer(_ score: Double) -> Bool {
        if heap.count < k {
            heap.append(score)
            var i = heap.count - 1
            while i > 0 {
                let parent = (i - 1) / 2
                if heap[parent] <= heap[i] { break }
                heap.swapAt(parent, i)
                i = parent
            }
            return true
        }
        if score < heap[0] { return false }
        heap[0] = score
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var smallest = i
            if l < k && heap[l] < heap[smallest] { smallest = l }
            if r < k && heap[r] < heap[smallest] { smallest = r }
            if smallest == i { break }
            heap.swapAt(i, smallest)
            i = smallest
        }
        return true
    }
}

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
        try flushBeforeReading()
        let (segments, documents, tokens) = (root.segments, root.documents, root.tokens)
        guard documents > 0, k > 0 else { return [] }
        let tombstones = root.tombstones == 0 ? [:] : try self.tombstones()
        let capacity = store.layout.nodeCapacity
        let n = Double(documents)
        let averageLength = Double(tokens) / n
        func weight(_ idf: Double) -> BM25Weight { BM25Weight(idf: idf, averageLength: averageLength) }
        func idf(_ df: Int) -> Double { log(1 + (n - Double(df) + 0.5) / (Double(df) + 0.5)) }
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
                    guard let dead = tombstones[UInt32(node)] else { return true }
                    return sequence > dead
                }
                list = PostingList.merged(list, part)
            }
            cache[key] = list
            return list
        }
        // Without tombstones every posting is live, so the dictionaries' counts are the term's df
        // and a term's postings decode straight into BM25 shares.
        func shares(_ term: String) throws -> ClauseMatches {
            let bytes = Array(term.utf8)
            let found = try segments.compactMap { info -> (SegmentReader, TermEntry)? in
                let reader = try reader(info)
                return try reader.lookup(bytes).map { (reader, $0) }
            }
            let w = weight(idf(found.reduce(0) { $0 + $1.1.df }))
            var matches = ClauseMatches(occur: .should, nodes: [], shares: [])
            for (reader, entry) in found {
                let part = try reader.decodeShares(entry, weight: w, nodeCapacity: capacity)
                matches = matches.nodes.isEmpty ? part : ClauseMatches.merged(matches, part)
            }
            return matches
        }

        var clauses: [ClauseMatches] = []
        for clause in query.clauses {
            var matches: ClauseMatches
            if clause.terms.count == 1 && tombstones.isEmpty {
                matches = try shares(clause.terms[0])
            } else if clause.terms.count == 1 {
                let list = try postings(clause.terms[0], positions: false)
                matches = ClauseMatches(list, weight: weight(idf(list.count)))
            } else {
                let lists = try clause.terms.map { try postings($0, positions: true) }
                matches = ClauseMatches(phrase: lists, weight: weight(lists.reduce(0) { $0 + idf($1.count) }))
            }
            matches.occur = clause.occur
            clauses.append(matches)
        }
        return TextIndex.rank(clauses, k: k, allowed: allowed)
    }

    /// Walks the clauses' sorted node lists together and keeps the best k (with ties at the k-th).
    static func rank(_ clauses: [ClauseMatches], k: Int, allowed: NodeSet?) -> [Scored] {
        let required = clauses.filter { $0.occur == .must }.count
        let scoring = clauses.filter { $0.occur != .mustNot }
        let excluded = clauses.filter { $0.occur == .mustNot }
        var best = TopScores(k: k)
        var candidates: [Scored] = []
        var excludedCursor = [Int](repeating: 0, count: excluded.count)
        func consider(_ node: Int32, _ score: Double) {
            for (e, list) in excluded.enumerated() {
                var i = excludedCursor[e]
                while i < list.nodes.count && list.nodes[i] < node { i += 1 }
                excludedCursor[e] = i
                if i < list.nodes.count && list.nodes[i] == node { return }
            }
            if let allowed, !allowed.contains(Int(node)) { return }
            if best.offer(score) { candidates.append(Scored(node: Int(node), score: score)) }
        }
        if scoring.count == 1 && required <= 1 {
            // One list: no merge, and most documents fall below the k-th score at the first compare.
            let list = scoring[0]
            for i in list.nodes.indices where list.shares[i] >= best.threshold { consider(list.nodes[i], list.shares[i]) }
        } else {
            let merge = PostingMerge(scoring.map(\.nodes), scoring.map(\.shares), bests: scoring.map(\.best), required: scoring.map { $0.occur == .must })
            merge.run(required: required, threshold: { best.threshold }, consider)
        }
        let threshold = best.threshold
        return candidates.filter { $0.score >= threshold }.sorted { $0.score != $1.score ? $0.score > $1.score : $0.node < $1.node }
    }
}

/// BM25's per-document factor for one clause: idf · tf · (k1 + 1) / (tf + k1 · (1 − b + b · |D| / avgdl)).
struct BM25Weight {
    let scale: Double
    let constant: Double
    let lengthWeight: Double

    init(idf: Double, averageLength: Double) {
        scale = idf * (TextIndex.k1 + 1)
        constant = TextIndex.k1 * (1 - TextIndex.b)
        lengthWeight = TextIndex.k1 * TextIndex.b / averageLength
    }

    @inline(__always) func share(frequency: Int32, length: Int32) -> Double {
        let tf = Double(frequency)
        return scale * tf / (tf + constant + lengthWeight * Double(length))
    }
}

/// One clause's matching documents, ascending by node, each with its share of the score.
struct ClauseMatches {
    var occur: TextQuery.Occur
    var nodes: [Int32]
    var shares: [Double]
    /// The largest share (0 for none), which MaxScore bounds documents with.
    var best: Double { bestShare ?? shares.max() ?? 0 }
    /// Set when the decoder kept the maximum as it went.
    var bestShare: Double?

    init(occur: TextQuery.Occur, nodes: [Int32], shares: [Double]) {
        self.occur = occur
        self.nodes = nodes
        self.shares = shares
    }

    init(_ list: PostingList, weight: BM25Weight) {
        self.init(occur: .should, nodes: list.nodes, shares: list.frequencies.indices.map {
            weight.share(frequency: list.frequencies[$0], length: list.lengths[$0])
        })
    }

    /// The documents where the terms of `lists` occur consecutively, scored by how often.
    init(phrase lists: [PostingList], weight: BM25Weight) {
        self.init(occur: .should, nodes: [], shares: [])
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
            var count: Int32 = 0
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
                shares.append(weight.share(frequency: count, length: first.lengths[i]))
            }
        }
    }

    /// Two clauses' documents as one list, ascending (segments hold distinct live nodes).
    static func merged(_ a: ClauseMatches, _ b: ClauseMatches) -> ClauseMatches {
        var out = ClauseMatches(occur: a.occur, nodes: [], shares: [])
        out.nodes.reserveCapacity(a.nodes.count + b.nodes.count)
        out.shares.reserveCapacity(a.nodes.count + b.nodes.count)
        var i = 0, j = 0
        while i < a.nodes.count || j < b.nodes.count {
            if j == b.nodes.count || (i < a.nodes.count && a.nodes[i] < b.nodes[j]) {
                out.nodes.append(a.nodes[i]); out.shares.append(a.shares[i]); i += 1
            } else {
                out.nodes.append(b.nodes[j]); out.shares.append(b.shares[j]); j += 1
            }
        }
        out.bestShare = max(a.best, b.best)
        return out
    }
}

/// The k best scores seen so far (a min-heap), to tell whether a new score can still make the cut.
struct TopScores {
    private var heap: [Double] = []
    private let k: Int
    /// The lowest score that is still in the top k (ties included); -∞ until there are k.
    private(set) var threshold = -Double.infinity

    init(k: Int) {
        self.k = k
        heap.reserveCapacity(k)
    }

    /// Records `score`; false when it is below the current top k (it can never be in the result).
    @inline(__always) mutating func offer(_ score: Double) -> Bool {
        if score < threshold { return false }
        insert(score)
        return true
    }

    private mutating func insert(_ score: Double) {
        defer { if heap.count == k { threshold = heap[0] } }
        if heap.count < k {
            heap.append(score)
            var i = heap.count - 1
            while i > 0 {
                let parent = (i - 1) / 2
                if heap[parent] <= heap[i] { break }
                heap.swapAt(parent, i)
                i = parent
            }
            return
        }
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
    }
}

/// The document-at-a-time walk over several clauses' postings: each document's shares summed in
/// node order. The lists are copied into one allocation so the loop reads plain memory (this is
/// the query's hot loop); `nodes[c]` ascends, `shares[c]` has the same length.
private final class PostingMerge {
    private let count: Int
    private let nodes: UnsafeMutablePointer<Int32>
    private let shares: UnsafeMutablePointer<Double>
    /// Clause c's postings are [starts[c], starts[c + 1]) of the two buffers.
    private let starts: [Int]
    private let isRequired: [Bool]
    /// Each clause's largest share: what it can add to any document at most.
    private let bests: [Double]

    init(_ nodeLists: [[Int32]], _ shareLists: [[Double]], bests: [Double], required: [Bool]) {
        count = nodeLists.count
        let total = nodeLists.reduce(0) { $0 + $1.count }
        let nodes = UnsafeMutablePointer<Int32>.allocate(capacity: max(total, 1))
        let shares = UnsafeMutablePointer<Double>.allocate(capacity: max(total, 1))
        var starts = [0]
        for (list, share) in zip(nodeLists, shareLists) {
            let at = starts.last!
            list.withUnsafeBufferPointer { _ = UnsafeMutableBufferPointer(start: nodes + at, count: list.count).initialize(from: $0) }
            share.withUnsafeBufferPointer { _ = UnsafeMutableBufferPointer(start: shares + at, count: share.count).initialize(from: $0) }
            starts.append(at + list.count)
        }
        self.nodes = nodes
        self.shares = shares
        self.starts = starts
        isRequired = required
        self.bests = bests
    }

    deinit {
        nodes.deallocate()
        shares.deallocate()
    }

    /// Every document with its summed shares, for `consider`; with no required clause, documents
    /// that cannot reach `threshold()` may be skipped (MaxScore, Turtle and Flood 1995: a list
    /// whose best share, with all weaker lists', stays below the k-th score cannot bring a new
    /// document into the top k, so it is only probed for the documents the others bring).
    func run(required: Int, threshold: () -> Double, _ consider: (Int32, Double) -> Void) {
        // Per-clause state in two small allocations (plain loads in the loop below): cursor, end,
        // clause by rank and required flag; bound and share of the document at hand.
        let ints = UnsafeMutablePointer<Int>.allocate(capacity: 4 * count)
        let doubles = UnsafeMutablePointer<Double>.allocate(capacity: 2 * count)
        defer {
            ints.deallocate()
            doubles.deallocate()
        }
        let cursor = ints, ends = ints + count, order = ints + 2 * count, isRequired = ints + 3 * count
        let bound = doubles, parts = doubles + count
        // Clauses by their best share, weakest first, and the running sums of those shares.
        let ranked = (0..<count).sorted { bests[$0] < bests[$1] }
        var sum = 0.0
        for c in 0..<count {
            cursor[c] = starts[c]
            ends[c] = starts[c + 1]
            order[c] = ranked[c]
            isRequired[c] = self.isRequired[c] ? 1 : 0
            sum += bests[ranked[c]]
            bound[c] = sum
            parts[c] = 0
        }
        var firstEssential = 0
        // A document's shares are added in clause order, whatever order they were found in, so
        // equal documents get bit-equal scores and ties break by id as documented. Bounds are
        // compared with a little slack, so rounding in a partial sum never drops a document that
        // ties the k-th.
        let slack = 1 - 1e-12
        while true {
            if required == 0 {
                let limit = threshold()
                while firstEssential < count && bound[firstEssential] < limit * slack { firstEssential += 1 }
                if firstEssential == count { return }
            }
            var node = Int32.max
            for i in firstEssential..<count {
                let c = order[i]
                if cursor[c] < ends[c] { node = min(node, nodes[cursor[c]]) }
            }
            if node == Int32.max { return }
            var partial = 0.0, matchedRequired = 0
            for i in firstEssential..<count {
                let c = order[i]
                parts[c] = 0
                if cursor[c] < ends[c] && nodes[cursor[c]] == node {
                    parts[c] = shares[cursor[c]]
                    partial += parts[c]
                    matchedRequired += isRequired[c]
                    cursor[c] += 1
                }
            }
            var reachable = true
            if firstEssential > 0 {
                let limit = threshold() * slack
                for i in 0..<firstEssential { parts[order[i]] = 0 }
                for i in stride(from: firstEssential - 1, through: 0, by: -1) {
                    if partial + bound[i] < limit {
                        reachable = false
                        break
                    }
                    let c = order[i]
                    cursor[c] = seek(node, from: cursor[c], to: ends[c])
                    if cursor[c] < ends[c] && nodes[cursor[c]] == node {
                        parts[c] = shares[cursor[c]]
                        partial += parts[c]
                    }
                }
            }
            if reachable && matchedRequired == required {
                var score = 0.0
                for c in 0..<count { score += parts[c] }
                consider(node, score)
            }
        }
    }

    /// The first position in [from, end) whose node is at least `node` (galloping, then binary search).
    private func seek(_ node: Int32, from: Int, to end: Int) -> Int {
        var low = from, step = 1
        var high = from
        while high < end && nodes[high] < node {
            low = high + 1
            high = from + step
            step *= 2
        }
        high = min(high, end)
        while low < high {
            let mid = (low + high) / 2
            if nodes[mid] < node { low = mid + 1 } else { high = mid }
        }
        return low
    }
}

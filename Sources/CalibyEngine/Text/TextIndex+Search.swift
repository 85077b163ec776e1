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
        let scoring = clauses.filter { $0.occur != .mustNot }
        let excluded = clauses.filter { $0.occur == .mustNot }
        // Each posting's share of the score, computed list by list (a loop the compiler vectorizes),
        // so the merge below only adds.
        let lengthWeight = k1 * b / averageLength, constant = k1 * (1 - b)
        let shares = scoring.map { clause in
            zip(clause.frequencies, clause.lengths).map { tf, length in
                clause.idf * Double(tf) * (k1 + 1) / (Double(tf) + constant + lengthWeight * Double(length))
            }
        }
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
            // One list: no merge.
            for (i, node) in scoring[0].nodes.enumerated() { consider(node, shares[0][i]) }
        } else {
            let merge = PostingMerge(scoring.map(\.nodes), shares, required: scoring.map { $0.occur == .must })
            merge.run(required: required, threshold: { best.threshold }, consider)
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

    init(_ nodeLists: [[Int32]], _ shareLists: [[Double]], required: [Bool]) {
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
        var cursor = Array(starts.dropLast())
        let ends = Array(starts.dropFirst())
        // Clauses by their best share, weakest first, and the running sums of those shares.
        let order = (0..<count).sorted { best($0) < best($1) }
        var bound = [Double](), sum = 0.0
        for c in order { sum += best(c); bound.append(sum) }
        var firstEssential = 0
        cursor.withUnsafeMutableBufferPointer { cursor in
            while true {
                if required == 0 {
                    let limit = threshold()
                    while firstEssential < count && bound[firstEssential] < limit { firstEssential += 1 }
                    if firstEssential == count { return }
                }
                var node = Int32.max
                for i in firstEssential..<count {
                    let c = order[i]
                    if cursor[c] < ends[c] { node = min(node, nodes[cursor[c]]) }
                }
                if node == Int32.max { return }
                var score = 0.0, matchedRequired = 0
                for i in firstEssential..<count {
                    let c = order[i]
                    if cursor[c] < ends[c] && nodes[cursor[c]] == node {
                        score += shares[cursor[c]]
                        if isRequired[c] { matchedRequired += 1 }
                        cursor[c] += 1
                    }
                }
                var reachable = true
                if firstEssential > 0 {
                    let limit = threshold()
                    for i in stride(from: firstEssential - 1, through: 0, by: -1) {
                        if score + bound[i] < limit {
                            reachable = false
                            break
                        }
                        let c = order[i]
                        cursor[c] = seek(node, from: cursor[c], to: ends[c])
                        if cursor[c] < ends[c] && nodes[cursor[c]] == node { score += shares[cursor[c]] }
                    }
                }
                if reachable && matchedRequired == required { consider(node, score) }
            }
        }
    }

    private func best(_ c: Int) -> Double {
        var best = 0.0
        for i in starts[c]..<starts[c + 1] { best = max(best, shares[i]) }
        return best
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

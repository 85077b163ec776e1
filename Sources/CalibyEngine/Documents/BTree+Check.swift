/// The walks over a whole tree: the structure check, every entry, and freeing every page.
extension BTree {
    /// At most this many problems are listed; a page of garbage would otherwise produce thousands.
    static let maxProblems = 100

    /// Structure check for `caliby check`: every page's magic and header, key order within and
    /// across pages, separators bounding their subtrees, all leaves at one depth (a child is one
    /// level below its parent), the leaf chain in tree order, child pages below `pageLimit` (the
    /// file's capacity) and each used once, the root's pair count. Returns problems, one line
    /// each; damage is reported, never thrown (a page that cannot be read is reported and its
    /// subtree skipped). Other errors (I/O) are thrown.
    func check(pageLimit: Int) throws -> [String] {
        var problems: [String] = []
        let limit = min(pageLimit, space.capacityPages)
        guard root >= 0 && root < limit else {
            return ["B-tree root page \(root) is outside the file's \(limit) pages"]
        }
        /// A page to visit, with the level its parent implies and the pairs its separators allow:
        /// at least `low`, below `high` (nil: unbounded).
        struct Visit {
            var page: Int
            var level: Int?
            var low: Pair?
            var high: Pair?
        }
        var stack = [Visit(page: root, level: nil)]
        var seen: Set<Int> = [root]
        var leaves: [(page: Int, next: Int)] = []
        var lastPair: (pair: Pair, page: Int)? = nil
        var pairsFound = 0
        var storedPairs: Int? = nil
        // Depth first, children pushed last-first, so leaves are met in key order.
        while let visit = stack.popLast() {
            let page = visit.page
            do {
                try space.read(page) { p in
                    let h = try header(p, page: page, level: visit.level, pageLimit: limit)
                    func report(_ detail: String) { problems.append("B-tree page \(page): \(detail)") }
                    if page == root {
                        storedPairs = h.pairs
                    } else if h.pairs != 0 {
                        report("header field pairs = \(h.pairs) outside the root")
                    }
                    // Entry 0 of an inner page bounds nothing (see the layout).
                    let first = h.level == 0 ? 0 : 1
                    // One line per kind of disorder in a page: a shifted or garbage page would
                    // otherwise give a line per entry.
                    var unordered: [Int] = [], belowLow: [Int] = [], notBelowHigh: [Int] = []
                    for i in first..<max(first, h.count) {
                        let pair = pair(p, i, level: h.level)
                        if i > first && pair <= self.pair(p, i - 1, level: h.level) { unordered.append(i) }
                        if let low = visit.low, pair < low { belowLow.append(i) }
                        if let high = visit.high, pair >= high { notBelowHigh.append(i) }
                    }
                    for (entries, what) in [(unordered, "not above the entry before"), (belowLow, "below the separator that leads here"),
                                            (notBelowHigh, "not below the next separator in the parent")] {
                        guard let i = entries.first else { continue }
                        let pair = pair(p, i, level: h.level)
                        report("entry \(i) (key \(pair.key), node \(pair.node)) is \(what)"
                               + (entries.count > 1 ? ", and \(entries.count - 1) more entries" : ""))
                    }
                    if h.level == 0 {
                        leaves.append((page, h.next))
                        pairsFound += h.count
                        if h.count == 0 && page != root { report("an empty leaf that is not the root") }
                        if h.count > 0 {
                            let firstPair = pair(p, 0, level: 0)
                            if let lastPair, firstPair <= lastPair.pair {
                                report("its first pair is not above the last of the leaf before it, page \(lastPair.page)")
                            }
                            lastPair = (pair(p, h.count - 1, level: 0), page)
                        }
                        return
                    }
                    for i in (0..<h.count).reversed() {
                        let child = rawChild(p, i)
                        guard child < limit else {
                            report("child \(i) is page \(child), beyond the file's \(limit) pages")
                            continue
                        }
                        guard seen.insert(child).inserted else {
                            report("child \(i) is page \(child), which another entry already references")
                            continue
                        }
                        stack.append(Visit(page: child, level: h.level - 1, low: i == 0 ? visit.low : pair(p, i, level: h.level),
                                           high: i + 1 < h.count ? pair(p, i + 1, level: h.level) : visit.high))
                    }
                }
            } catch CalibyError.corrupt(_, let detail) {
                problems.append(detail.hasPrefix("B-tree page") ? detail : "B-tree page \(page): \(detail)")
            }
        }
        for (i, leaf) in leaves.enumerated() {
            let expected = i + 1 < leaves.count ? leaves[i + 1].page : -1
            if leaf.next != expected {
                problems.append("B-tree page \(leaf.page): the next leaf is \(leaf.next), the tree's next leaf is \(expected)")
            }
        }
        if let storedPairs, storedPairs != pairsFound {
            problems.append("B-tree page \(root): header field pairs = \(storedPairs), but the leaves hold \(pairsFound)")
        }
        if problems.count > BTree.maxProblems {
            let more = problems.count - BTree.maxProblems
            problems.removeLast(more)
            problems.append("… and \(more) more B-tree problems")
        }
        return problems
    }

    /// Every pair, ascending (for check's comparison against the documents).
    func allEntries() throws -> [(IndexKey, UInt32)] {
        var out: [(IndexKey, UInt32)] = []
        try scan(from: .min, inclusive: true, to: .max, inclusive: true) { key, node in
            out.append((key, node))
            return true
        }
        return out
    }

    /// Frees every page of the tree, root included (dropping an index on a field). The tree is
    /// walked and checked first, so damage frees nothing (and never a page twice).
    func destroy() throws {
        var pages: [Int] = []
        var seen: Set<Int> = [root]
        var stack: [(page: Int, level: Int?)] = [(root, nil)]
        while let (page, level) = stack.popLast() {
            pages.append(page)
            try space.read(page) { p in
                let h = try header(p, page: page, level: level)
                for i in 0..<(h.level == 0 ? 0 : h.count) {
                    let child = try child(p, i, of: page)
                    guard seen.insert(child).inserted else { throw damage(page, "child page \(child) is referenced twice") }
                    stack.append((child, h.level - 1))
                }
            }
        }
        for page in pages.reversed() { try allocator.freePage(page) }
    }
}

/// One term's postings, decoded: documents ascending by node, each with its term frequency and
/// length, and (when asked for) its positions.
struct PostingList {
    var nodes: [Int32] = []
    var frequencies: [Int32] = []
    var lengths: [Int32] = []
    /// Positions of posting i: `positions[positionStarts[i] ..< positionStarts[i + 1]]` (empty when
    /// positions were not decoded).
    var positionStarts: [Int32] = []
    var positions: [Int32] = []

    var count: Int { nodes.count }
    var hasPositions: Bool { !positionStarts.isEmpty }

    func positions(of i: Int) -> ArraySlice<Int32> { positions[Int(positionStarts[i])..<Int(positionStarts[i + 1])] }

    /// Two lists of distinct nodes as one, ascending (a node is live in one segment at most).
    static func merged(_ a: PostingList, _ b: PostingList) -> PostingList {
        if a.count == 0 { return b }
        if b.count == 0 { return a }
        var out = PostingList()
        let withPositions = a.hasPositions && b.hasPositions
        out.nodes.reserveCapacity(a.count + b.count)
        out.frequencies.reserveCapacity(a.count + b.count)
        out.lengths.reserveCapacity(a.count + b.count)
        if withPositions { out.positionStarts = [0] }
        var i = 0, j = 0
        func take(_ list: PostingList, _ k: Int) {
            out.nodes.append(list.nodes[k])
            out.frequencies.append(list.frequencies[k])
            out.lengths.append(list.lengths[k])
            if withPositions {
                out.positions += list.positions(of: k)
                out.positionStarts.append(Int32(out.positions.count))
            }
        }
        while i < a.count || j < b.count {
            if j == b.count || (i < a.count && a.nodes[i] < b.nodes[j]) {
                take(a, i); i += 1
            } else {
                take(b, j); j += 1
            }
        }
        return out
    }
}

extension SegmentReader {
    /// The postings of `entry` whose nodes `isLive` accepts, checked as they are decoded: nodes
    /// ascend and stay below `nodeCapacity`, frequencies fit the length, positions ascend below it.
    func postings(_ entry: TermEntry, positions withPositions: Bool, nodeCapacity: Int, isLive: (Int) -> Bool) throws -> PostingList {
        let bytes = try read(entry.offset, entry.docsBytes + (withPositions ? entry.positionsBytes : 0))
        var list = PostingList()
        list.nodes.reserveCapacity(entry.df)
        list.frequencies.reserveCapacity(entry.df)
        list.lengths.reserveCapacity(entry.df)
        try bytes.withUnsafeBytes { b in
            let fail = { self.damage("postings at byte \(entry.offset) are damaged") }
            var docs = StreamReader(b, from: 0, to: entry.docsBytes)
            var positions = StreamReader(b, from: entry.docsBytes)
            var node = -1
            if withPositions { list.positionStarts = [0] }
            for i in 0..<entry.df {
                let gapValue = try docs.varint(fail), tf = try docs.varint(fail), length = try docs.varint(fail)
                node = i == 0 ? gapValue : node + gapValue
                guard (i == 0 || gapValue > 0), node < nodeCapacity, tf >= 1, tf <= length, length <= Int(Int32.max) else { throw fail() }
                let live = isLive(node)
                if live {
                    list.nodes.append(Int32(node))
                    list.frequencies.append(Int32(tf))
                    list.lengths.append(Int32(length))
                }
                if withPositions {
                    var position = -1
                    for k in 0..<tf {
                        let delta = try positions.varint(fail)
                        position = k == 0 ? delta : position + delta
                        // Positions count the gaps between fields, so they may exceed the length a little.
                        guard (k == 0 || delta > 0), position < length + Schema.maxFields else { throw fail() }
                        if live { list.positions.append(Int32(position)) }
                    }
                    if live { list.positionStarts.append(Int32(list.positions.count)) }
                }
            }
            guard docs.atEnd, !withPositions || positions.atEnd else { throw fail() }
        }
        return list
    }
}

extension SegmentReader {
    /// The docs part of `entry` decoded straight into nodes and BM25 shares, with the largest
    /// share (the query's hot loop: no positions, no tombstones to consult). Checked as
    /// `postings` checks.
    func decodeShares(_ entry: TermEntry, weight: BM25Weight, nodeCapacity: Int) throws -> ClauseMatches {
        let bytes = try read(entry.offset, entry.docsBytes)
        // A long list repeats a few (tf, length) pairs many times: look the short ones up
        // instead of dividing for each posting.
        let tableLengths = entry.df >= 4096 ? 128 : 0, tableFrequencies = 3
        let table = (0..<tableFrequencies * tableLengths).map {
            weight.share(frequency: Int32($0 / tableLengths + 1), length: Int32($0 % tableLengths))
        }
        var best = 0.0, ok = true
        var shares: [Double] = []
        let nodes = bytes.withUnsafeBytes { b in
            [Int32](unsafeUninitializedCapacity: entry.df) { nodeBuffer, nodeCount in
                shares = [Double](unsafeUninitializedCapacity: entry.df) { shareBuffer, shareCount in
                    var offset = 0
                    let end = b.count
                    func slow() -> Int? {
                        guard offset < end else { return nil }
                        var value = 0, shift = 0
                        while offset < end && shift <= 56 {
                            let byte = b[offset]
                            offset += 1
                            value |= Int(byte & 0x7F) << shift
                            if byte < 0x80 { return value >= 0 ? value : nil }
                            shift += 7
                        }
                        return nil
                    }
                    var node = -1
                    for i in 0..<entry.df {
                        var gap: Int, tf: Int, length: Int
                        // Gap, frequency and length of one byte each: the common case, read at once.
                        if offset + 3 <= end, (b[offset] | b[offset + 1] | b[offset + 2]) < 0x80 {
                            (gap, tf, length) = (Int(b[offset]), Int(b[offset + 1]), Int(b[offset + 2]))
                            offset += 3
                        } else {
                            guard let g = slow(), let t = slow(), let l = slow() else { ok = false; return }
                            (gap, tf, length) = (g, t, l)
                        }
                        node = i == 0 ? gap : node + gap
                        guard i == 0 || gap > 0, node < nodeCapacity, tf >= 1, tf <= length, length <= Int(Int32.max) else { ok = false; return }
                        let share = tf <= tableFrequencies && length < tableLengths ? table[(tf - 1) * tableLengths + length]
                            : weight.share(frequency: Int32(tf), length: Int32(length))
                        nodeBuffer[i] = Int32(node)
                        shareBuffer[i] = share
                        best = max(best, share)
                        nodeCount = i + 1
                        shareCount = i + 1
                    }
                    if offset != end { ok = false }
                }
            }
        }
        guard ok, nodes.count == entry.df else { throw damage("postings at byte \(entry.offset) are damaged") }
        var matches = ClauseMatches(occur: .should, nodes: nodes, shares: shares)
        matches.bestShare = best
        return matches
    }
}

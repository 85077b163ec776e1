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

/// Merging segments (policy in TextIndexLayout.swift): the inputs' live postings become one
/// segment whose sequence is the largest input's, so a tombstone that spared a posting in an input
/// (its sequence was lower) still spares it in the output.
extension TextIndex {
    func mergeAsNeeded() throws {
        if root.tombstones > max(1024, root.documents / 4) && root.segments.count > 0 {
            try merge(root.segments)
            return
        }
        while true {
            var byLevel: [Int: [SegmentInfo]] = [:]
            for s in root.segments { byLevel[s.level, default: []].append(s) }
            if let (_, group) = byLevel.filter({ $0.value.count >= TextLayout.mergeFactor }).min(by: { $0.key < $1.key }) {
                try merge(group)
            } else if root.segments.count >= TextRoot.maxSegments {
                try merge(root.segments)
            } else {
                return
            }
        }
    }

    /// Replaces `inputs` by one segment of their live postings (none, when nothing in them lives).
    func merge(_ inputs: [SegmentInfo]) throws {
        let tombstones = try tombstones()
        let readers = try inputs.map(reader)
        let capacity = store.layout.nodeCapacity
        // Each input's terms in order, merged by term.
        var cursors = try readers.map { try TermCursor($0) }
        var writer = SegmentWriter(space: space, allocate: { try self.newPage() })
        var dictionary = DictionaryBuilder()
        var postings = 0
        while let term = cursors.compactMap(\.term).min(by: { $0.lexicographicallyPrecedes($1) }) {
            var list = PostingList()
            for i in cursors.indices where cursors[i].term == term {
                let sequence = UInt32(readers[i].info.sequence)
                let part = try readers[i].postings(cursors[i].entry!, positions: true, nodeCapacity: capacity) { node in
                    guard let dead = tombstones[UInt32(node)] else { return true }
                    return sequence > dead
                }
                list = PostingList.merged(list, part)
                try cursors[i].advance()
            }
            guard list.count > 0 else { continue }
            let (docs, positions) = TextIndex.encode(list)
            dictionary.add(term, TermEntry(df: list.count, offset: writer.length, docsBytes: docs.count, positionsBytes: positions.count))
            try writer.append(docs)
            try writer.append(positions)
            postings += list.count
        }
        var segments = root.segments.filter { s in !inputs.contains { $0.sequence == s.sequence } }
        if dictionary.termCount > 0 {
            let sequence = inputs.map(\.sequence).max()!
            segments.append(try finishSegment(&writer, dictionary, sequence: sequence, postings: postings))
            segments.sort { $0.sequence < $1.sequence }
        }
        for input in inputs {
            try free(input, reader: try reader(input))
            forgetReader(input.sequence)
        }
        root.segments = segments
        rootChanged = true
        // A tombstone matters only to segments that may still hold a dead posting of its node: those
        // this merge did not rewrite, written no later than the tombstone.
        let untouched = segments.filter { s in !inputs.contains { $0.sequence == s.sequence } }.map(\.sequence)
        let kept = tombstones.filter { _, dead in untouched.contains { $0 <= Int(dead) } }
        if kept.count != tombstones.count || kept.count != root.tombstones { try rewriteTombstones(kept) }
    }

    /// Gives a segment's data and map pages back to the store.
    private func free(_ segment: SegmentInfo, reader: SegmentReader) throws {
        for page in reader.dataPages { try store.freePage(page) }
        var map = segment.mapPage
        while map != 0 {
            let next = try space.read(map) { Int($0.load(fromByteOffset: 8, as: UInt64.self)) }
            try store.freePage(map)
            map = next
        }
    }

    /// A posting list in the segment format: the docs part and the positions part.
    static func encode(_ list: PostingList) -> (docs: [UInt8], positions: [UInt8]) {
        var docs: [UInt8] = [], positions: [UInt8] = []
        var previous: Int32 = -1
        for i in 0..<list.count {
            Varint.append(Int(previous < 0 ? list.nodes[i] : list.nodes[i] - previous), to: &docs)
            Varint.append(Int(list.frequencies[i]), to: &docs)
            Varint.append(Int(list.lengths[i]), to: &docs)
            previous = list.nodes[i]
            var last: Int32 = 0
            for position in list.positions(of: i) {
                Varint.append(Int(position - last), to: &positions)
                last = position
            }
        }
        return (docs, positions)
    }
}

/// Walks a segment's dictionary in term order, a block at a time.
struct TermCursor {
    private let reader: SegmentReader
    private var block = 0
    private var entries: [([UInt8], TermEntry)] = []
    private var index = 0

    init(_ reader: SegmentReader) throws {
        self.reader = reader
        try load()
    }

    var term: [UInt8]? { index < entries.count ? entries[index].0 : nil }
    var entry: TermEntry? { index < entries.count ? entries[index].1 : nil }

    mutating func advance() throws {
        index += 1
        if index == entries.count {
            block += 1
            try load()
        }
    }

    private mutating func load() throws {
        entries.removeAll(keepingCapacity: true)
        index = 0
        guard block < reader.blockCount else { return }
        var loaded: [([UInt8], TermEntry)] = []
        try reader.forEachTerm(inBlock: block) { loaded.append(($0, $1)); return true }
        entries = loaded
    }
}

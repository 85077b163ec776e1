import Glibc

/// Where a term's postings are in a segment's stream, and how many documents they list.
struct TermEntry: Equatable {
    var df: Int
    var offset: Int
    var docsBytes: Int
    var positionsBytes: Int
}

/// One segment, opened for reading: its data pages and block index are read once and kept (a
/// segment never changes, so the copy is good until the segment is merged away). Thread-safe after
/// `init`: readers share it.
final class SegmentReader {
    let info: SegmentInfo
    let space: PageSpace
    /// The pages holding the stream, in order.
    let dataPages: [Int]
    private let firstTerms: [[UInt8]]
    /// Stream offset of each dictionary block, then the block index's offset (the last block's end).
    private let blockStarts: [Int]
    /// Stream offset of the postings of each block's first term.
    private let blockPostings: [Int]
    let dictionaryOffset: Int

    /// `validPages`: where the document file's allocated pages are, so a damaged map page cannot send
    /// a read into the directory or past the end.
    init(info: SegmentInfo, space: PageSpace, validPages: Range<Int>) throws {
        self.info = info
        self.space = space
        let path = space.path
        func damage(_ detail: String) -> CalibyError { .corrupt(path: path, detail: "text segment \(info.sequence): \(detail)") }
        let needed = (info.byteLength + TextLayout.usable - 1) / TextLayout.usable
        var pages: [Int] = []
        var map = info.mapPage
        var seen = 0
        while map != 0 {
            guard validPages.contains(map), seen <= needed / TextLayout.mapEntries + 1 else {
                throw damage("map page \(map) is outside the file or the map is longer than the segment")
            }
            seen += 1
            let next = try space.read(map) { p -> Int in
                guard p.load(as: UInt16.self) == TextLayout.mapKind else { return -1 }
                let count = Int(p.load(fromByteOffset: 2, as: UInt16.self))
                guard count <= TextLayout.mapEntries else { return -1 }
                for i in 0..<count { pages.append(Int(p.load(fromByteOffset: TextLayout.listHeaderBytes + i * 4, as: UInt32.self))) }
                return Int(p.load(fromByteOffset: 8, as: UInt64.self))
            }
            guard next >= 0 else { throw damage("page \(map) is not a map page") }
            map = next
        }
        guard pages.count == needed else { throw damage("its map lists \(pages.count) pages for \(info.byteLength) bytes") }
        if let bad = pages.first(where: { !validPages.contains($0) }) { throw damage("its map lists page \(bad), outside the file") }
        dataPages = pages

        // The footer, then the block index it points to.
        let footer = try SegmentReader.read(pages, space, info.byteLength - TextLayout.footerBytes, TextLayout.footerBytes)
        let (dictionary, index, blocks, magic) = footer.withUnsafeBytes { b in
            (Int(truncatingIfNeeded: b.load(as: UInt64.self)), Int(truncatingIfNeeded: b.load(fromByteOffset: 8, as: UInt64.self)),
             Int(truncatingIfNeeded: b.load(fromByteOffset: 16, as: UInt64.self)), b.load(fromByteOffset: 24, as: UInt64.self))
        }
        let indexEnd = info.byteLength - TextLayout.footerBytes
        guard magic == TextLayout.footerMagic, dictionary >= 0, dictionary <= index, index <= indexEnd,
              blocks >= 0, blocks <= info.termCount, (blocks == 0) == (info.termCount == 0) else {
            throw damage("its footer is damaged (dictionary \(dictionary), block index \(index), \(blocks) blocks)")
        }
        dictionaryOffset = dictionary
        var firstTerms: [[UInt8]] = [], blockStarts: [Int] = [], blockPostings: [Int] = []
        let indexBytes = try SegmentReader.read(pages, space, index, indexEnd - index)
        try indexBytes.withUnsafeBytes { b in
            var r = StreamReader(b)
            let fail = { damage("its block index is damaged") }
            for _ in 0..<blocks {
                let length = try r.varint(fail)
                guard length <= Analyzer.maxTermBytes * 4 else { throw fail() }
                firstTerms.append(Array(try r.bytes(length, fail)))
                let start = try r.varint(fail), postings = try r.varint(fail)
                let previousStart = blockStarts.last ?? dictionary - 1, previousPostings = blockPostings.last ?? 0
                guard (dictionary...index).contains(start), start > previousStart, postings <= dictionary, postings >= previousPostings else {
                    throw fail()
                }
                blockStarts.append(start)
                blockPostings.append(postings)
            }
            guard r.atEnd else { throw fail() }
        }
        blockStarts.append(index)
        self.firstTerms = firstTerms
        self.blockStarts = blockStarts
        self.blockPostings = blockPostings
    }

    func damage(_ detail: String) -> CalibyError { .corrupt(path: space.path, detail: "text segment \(info.sequence): \(detail)") }

    /// `count` stream bytes from `offset`.
    func read(_ offset: Int, _ count: Int) throws -> [UInt8] {
        guard offset >= 0, count >= 0, offset + count <= info.byteLength else {
            throw damage("bytes \(offset)..<\(offset + count) lie past its end \(info.byteLength)")
        }
        return try SegmentReader.read(dataPages, space, offset, count)
    }

    private static func read(_ pages: [Int], _ space: PageSpace, _ offset: Int, _ count: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let at = offset + done
            let page = pages[at / TextLayout.usable], within = at % TextLayout.usable
            let n = min(count - done, TextLayout.usable - within)
            try out.withUnsafeMutableBytes { o in
                try space.read(page) { p in _ = memcpy(o.baseAddress! + done, p + within, n) }
            }
            done += n
        }
        return out
    }

    /// The dictionary entry of `term`, nil when the segment does not have it.
    func lookup(_ term: [UInt8]) throws -> TermEntry? {
        // The last block whose first term is ≤ term.
        var low = 0, high = firstTerms.count
        while low < high {
            let mid = (low + high) / 2
            if firstTerms[mid].lexicographicallyPrecedes(term) || firstTerms[mid] == term { low = mid + 1 } else { high = mid }
        }
        guard low > 0 else { return nil }
        var found: TermEntry?
        try forEachTerm(inBlock: low - 1) { candidate, entry in
            if candidate == term { found = entry; return false }
            return !term.lexicographicallyPrecedes(candidate)
        }
        return found
    }

    /// Calls `body` with each term of block `block` and its entry, in order, while it returns true.
    func forEachTerm(inBlock block: Int, _ body: ([UInt8], TermEntry) throws -> Bool) throws {
        let bytes = try read(blockStarts[block], blockStarts[block + 1] - blockStarts[block])
        let limit = block + 1 < blockPostings.count ? blockPostings[block + 1] : dictionaryOffset
        try bytes.withUnsafeBytes { b in
            var r = StreamReader(b)
            let fail = { self.damage("dictionary block \(block) is damaged") }
            var term: [UInt8] = []
            var offset = blockPostings[block]
            var first = true
            while !r.atEnd {
                let shared = try r.varint(fail), suffix = try r.varint(fail)
                guard shared <= term.count, (shared == 0 || !first), suffix <= Analyzer.maxTermBytes * 4 else { throw fail() }
                term.removeLast(term.count - shared)
                term += try r.bytes(suffix, fail)
                if first && term != firstTerms[block] { throw fail() }
                first = false
                let entry = TermEntry(df: try r.varint(fail), offset: offset, docsBytes: try r.varint(fail), positionsBytes: try r.varint(fail))
                guard entry.df > 0, entry.docsBytes >= 3 * entry.df, entry.positionsBytes >= entry.df,
                      entry.docsBytes + entry.positionsBytes <= limit - offset else { throw fail() }
                offset += entry.docsBytes + entry.positionsBytes
                guard try body(term, entry) else { return }
            }
        }
    }

    var blockCount: Int { firstTerms.count }

    /// Every term in order (merges and `check`).
    func forEachTerm(_ body: ([UInt8], TermEntry) throws -> Void) throws {
        for block in 0..<blockCount { try forEachTerm(inBlock: block) { try body($0, $1); return true } }
    }
}

/// Writes a segment's stream into pages the allocator gives, in order, and then its map.
struct SegmentWriter {
    private let space: PageSpace
    private let allocate: () throws -> Int
    private(set) var pages: [Int] = []
    private var buffer: [UInt8] = []
    private(set) var length = 0

    init(space: PageSpace, allocate: @escaping () throws -> Int) {
        self.space = space
        self.allocate = allocate
        buffer.reserveCapacity(TextLayout.usable)
    }

    mutating func append(_ bytes: [UInt8]) throws {
        var from = 0
        while from < bytes.count {
            let n = min(bytes.count - from, TextLayout.usable - buffer.count)
            buffer += bytes[from..<from + n]
            from += n
            if buffer.count == TextLayout.usable { try writeBuffer() }
        }
        length += bytes.count
    }

    private mutating func writeBuffer() throws {
        let page = try allocate()
        let buffer = self.buffer
        try SegmentWriter.format(space, page) { p in buffer.withUnsafeBytes { _ = memcpy(p, $0.baseAddress!, $0.count) } }
        pages.append(page)
        self.buffer.removeAll(keepingCapacity: true)
    }

    /// Writes the last partial page and the map; returns the first map page.
    mutating func finish() throws -> Int {
        if !buffer.isEmpty { try writeBuffer() }
        return try ListPage.writeChain(pages, kind: TextLayout.mapKind, entryBytes: 4, space: space, allocate: allocate) { p, offset, page in
            p.storeBytes(of: UInt32(page), toByteOffset: offset, as: UInt32.self)
        }
    }

    /// A page the allocator gave, written whole: `create` past the file's end, `write` inside it
    /// (see `PageAllocating`).
    static func format(_ space: PageSpace, _ page: Int, _ body: (UnsafeMutableRawPointer) -> Void) throws {
        let fill = { (p: UnsafeMutableRawPointer) in
            memset(p, 0, TextLayout.usable)
            body(p)
        }
        if page < space.pagesInFile { try space.write(page, fill) } else { try space.create(page, fill) }
    }
}

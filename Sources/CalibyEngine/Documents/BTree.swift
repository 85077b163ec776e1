import Glibc

/// Where a tree gets and returns pages (the document store's free list).
///
/// A page from the free list still has its committed image on disk. `PageSpace.create` would
/// journal it as a never-written hole, and a rollback would then zero it (a checksum failure), so
/// the tree starts a page with `create` only past the file's end and overwrites one inside it with
/// `write`, which journals the original first (`BTree.format`). Other users of the free list need
/// the same rule.
protocol PageAllocating: AnyObject {
    /// A page no one uses, for the caller to format.
    func allocatePage() throws -> Int
    func freePage(_ page: Int) throws
}

/// A secondary index: a B+tree of (key, node) pairs in pages of a `PageSpace`, so it shares the
/// buffer pool, the rollback journal and the page checksums with everything else in its file.
///
/// Page layout (the first `usableBytes` of a page; the pool owns the trailer). The header is five
/// 8-byte fields, read through `HeaderFields` so each is checked before use:
///
///     0   magic   "CLBTREE1"
///     8   level   0 for a leaf; a page's children are one level below it, so every leaf is at the
///                 same depth and a descent takes exactly `level` steps (at most `maxLevel`)
///     16  count   entries in use (a leaf may be under-full, an inner page has at least one)
///     24  next    leaves: the next leaf in key order, -1 after the last; inner pages: -1
///     32  pairs   the root: pairs in the whole tree (so `count` reads one page); other pages: 0
///     40  entries, ascending by (key, node), fixed size, so a page is binary-searched in place:
///         leaf   key (IndexKey, 24 bytes) · node (UInt32)              28 bytes, 144 per 4 KiB page
///         inner  key · node · child page (UInt32)                       32 bytes, 126 per 4 KiB page
///
/// Bytes past `count` entries are unspecified. In an inner page, entry i ≥ 1 is the separator of
/// child i: every pair in child i is at least it, every pair in child i−1 below it. Entry 0's pair
/// is not a bound (pairs below entry 1 go to child 0), so removing child 0 needs no separator fix.
/// Separators are whole pairs, not keys: thousands of nodes sharing one key split across pages
/// like any other run.
///
/// The root page never moves, so the caller stores its number once: a full root moves its entries to
/// two new pages and becomes their parent; a root left with one child takes in the child's entries.
///
/// Deletes: a leaf that becomes empty is freed and leaves its parent (an inner page left without
/// children goes too), and the leaf before it takes over its next pointer. Pages are not merged
/// otherwise, so a tree that shrank may keep under-full pages; every search stays O(height) and a
/// scan reads each under-full leaf once. `check` holds the structure to these rules.
///
/// Concurrency: one writer, inside a transaction, with no reader beside it; readers use shared
/// latches and run together. No method holds two latches: entries are copied out of a page before
/// a callback runs or another page is touched.
///
/// Every value read from a page is checked before use; damage throws `CalibyError.corrupt` naming
/// the file and the page, never traps or loops. An operation that throws midway (damage, I/O) may
/// leave the tree half-changed: the transaction is then rolled back, as for everything else.
final class BTree {
    let space: PageSpace
    let allocator: PageAllocating
    let root: Int

    static let magic: UInt64 = 0x3145_4552_5442_4C43  // "CLBTREE1"
    static let fieldNames = ["magic", "level", "count", "next", "pairs"]
    static let headerBytes = 40
    static let leafEntryBytes = IndexKey.byteCount + 4
    static let innerEntryBytes = IndexKey.byteCount + 8
    /// Far above any height a real tree reaches (126-way pages: 5 levels hold billions of pairs);
    /// it bounds a descent over a damaged page.
    static let maxLevel = 32
    private static let levelField = 1, countField = 2, nextField = 3, pairsField = 4

    let leafCapacity: Int
    let innerCapacity: Int

    /// An entry's identity and order: by key, then node.
    struct Pair: Comparable {
        var key: IndexKey
        var node: UInt32
        static let min = Pair(key: .min, node: 0)
        static func < (a: Pair, b: Pair) -> Bool { a.key != b.key ? a.key < b.key : a.node < b.node }
    }

    struct Entry {
        var pair: Pair
        /// Inner pages only.
        var child: UInt32 = 0
    }

    struct Header {
        var level: Int
        var count: Int
        var next: Int
        var pairs: Int
    }

    /// Formats an empty tree (one leaf) and returns its root page.
    static func create(space: PageSpace, allocator: PageAllocating) throws -> Int {
        let tree = BTree(space: space, allocator: allocator, root: -1)
        let page = try tree.newPage()
        try tree.format(page, Header(level: 0, count: 0, next: -1, pairs: 0), [])
        return page
    }

    init(space: PageSpace, allocator: PageAllocating, root: Int) {
        self.space = space
        self.allocator = allocator
        self.root = root
        leafCapacity = (space.usableBytes - BTree.headerBytes) / BTree.leafEntryBytes
        innerCapacity = (space.usableBytes - BTree.headerBytes) / BTree.innerEntryBytes
    }

    // MARK: Reading pages

    func damage(_ page: Int, _ detail: String) -> CalibyError {
        .corrupt(path: space.path, detail: "B-tree page \(page): \(detail)")
    }

    /// Reads and checks a page's header. `level` is what the parent implies (nil for the root);
    /// `pageLimit` bounds the next pointer.
    func header(_ p: UnsafeRawPointer, page: Int, level expected: Int?, pageLimit: Int? = nil) throws -> Header {
        let f = HeaderFields(page: p, path: space.path, names: BTree.fieldNames)
        do {
            try f.expect(0, equals: BTree.magic, from: "the B-tree magic")
            let level = try f.count(BTree.levelField, atMost: BTree.maxLevel, "the height limit")
            if let expected, level != expected {
                throw f.damage("header field level = \(level), but its parent is at level \(expected + 1)")
            }
            let capacity = level == 0 ? leafCapacity : innerCapacity
            let count = try f.count(BTree.countField, atMost: capacity, "the page's capacity")
            let next = try f.node(BTree.nextField, below: pageLimit ?? space.capacityPages, "the file's page count")
            if level > 0 {
                try f.require(count > 0, BTree.countField, BTree.levelField, "an inner page has children")
                try f.require(next == -1, BTree.nextField, BTree.levelField, "only leaves are chained")
            }
            let pairs = try f.count(BTree.pairsField, atMost: space.capacityPages * leafCapacity, "what the file can hold")
            return Header(level: level, count: count, next: next, pairs: pairs)
        } catch CalibyError.corrupt(_, let detail) {
            throw damage(page, detail)
        }
    }

    @inline(__always) static func offset(_ index: Int, level: Int) -> Int {
        headerBytes + index * (level == 0 ? leafEntryBytes : innerEntryBytes)
    }

    @inline(__always) func pair(_ p: UnsafeRawPointer, _ index: Int, level: Int) -> Pair {
        let entry = p + BTree.offset(index, level: level)
        return Pair(key: IndexKey(loadingFrom: entry),
                    node: entry.loadUnaligned(fromByteOffset: IndexKey.byteCount, as: UInt32.self))
    }

    /// Child `index`'s page, unchecked (for `check`, which reports a bad one and goes on).
    @inline(__always) func rawChild(_ p: UnsafeRawPointer, _ index: Int) -> Int {
        Int(p.loadUnaligned(fromByteOffset: BTree.offset(index, level: 1) + IndexKey.byteCount + 4, as: UInt32.self))
    }

    /// Child `index`'s page, checked against the file before anything indexes by it.
    func child(_ p: UnsafeRawPointer, _ index: Int, of page: Int) throws -> Int {
        let child = rawChild(p, index)
        guard child < space.capacityPages else {
            throw damage(page, "child \(index) is page \(child), beyond the file's \(space.capacityPages) pages")
        }
        return child
    }

    func entries(_ p: UnsafeRawPointer, count: Int, level: Int) -> [Entry] {
        (0..<count).map { Entry(pair: pair(p, $0, level: level), child: level == 0 ? 0 : UInt32(rawChild(p, $0))) }
    }

    /// A split point in the pair order: a pair lies after it when above `target`, or at least
    /// `target` when not `strict`. Every range end is one (see `lowerBound`, `upperBound`).
    struct Bound {
        var target: Pair
        var strict: Bool
        @inline(__always) func precedes(_ pair: Pair) -> Bool { strict ? pair <= target : pair < target }
    }

    static func lowerBound(_ key: IndexKey, inclusive: Bool) -> Bound {
        inclusive ? Bound(target: Pair(key: key, node: 0), strict: false) : Bound(target: Pair(key: key, node: .max), strict: true)
    }

    static func upperBound(_ key: IndexKey, inclusive: Bool) -> Bound {
        inclusive ? Bound(target: Pair(key: key, node: .max), strict: true) : Bound(target: Pair(key: key, node: 0), strict: false)
    }

    /// The first index in `start..<count` whose pair lies after `bound` (binary search).
    func firstAfter(_ bound: Bound, in p: UnsafeRawPointer, from start: Int, count: Int, level: Int) -> Int {
        var low = start, high = count
        while low < high {
            let mid = (low + high) / 2
            if bound.precedes(pair(p, mid, level: level)) { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// Where a bound falls: the inner pages from the root down with the child taken and their
    /// entry counts, and the leaf with the bound's position in it.
    struct Location {
        var path: [(page: Int, index: Int, count: Int)] = []
        var leaf = 0
        var position = 0
        var leafCount = 0
        /// The leaf's pair at `position` is the bound's target.
        var found = false
    }

    func locate(_ bound: Bound) throws -> Location {
        var location = Location()
        var page = root
        var level: Int? = nil
        // Terminates: each step's level is one below the last and checked, from at most maxLevel.
        while true {
            let step: (page: Int, level: Int)? = try space.read(page) { p in
                let h = try header(p, page: page, level: level)
                if h.level == 0 {
                    location.leaf = page
                    location.leafCount = h.count
                    location.position = firstAfter(bound, in: p, from: 0, count: h.count, level: 0)
                    location.found = location.position < h.count && pair(p, location.position, level: 0) == bound.target
                    return nil
                }
                // The child whose separator is the last at or below the target; child 0 when none is.
                let index = max(0, firstAfter(Bound(target: bound.target, strict: true), in: p, from: 1,
                                              count: h.count, level: h.level) - 1)
                location.path.append((page, index, h.count))
                return (try child(p, index, of: page), h.level - 1)
            }
            guard let step else { return location }
            (page, level) = step
        }
    }

    /// Total pairs, from the root's header.
    var count: Int {
        get throws { try space.read(root) { try header($0, page: root, level: nil).pairs } }
    }

    // MARK: Reading entries

    /// Ascending pairs with lower <= key <= upper (inclusive flags); `body` returns false to stop.
    /// A leaf's entries are copied out before `body` sees them, so `body` may read other pages.
    func scan(from lower: IndexKey, inclusive lowerInclusive: Bool, to upper: IndexKey, inclusive upperInclusive: Bool,
              _ body: (IndexKey, UInt32) throws -> Bool) throws {
        let end = BTree.upperBound(upper, inclusive: upperInclusive)
        let start = try locate(BTree.lowerBound(lower, inclusive: lowerInclusive))
        var page = start.leaf, position = start.position
        var previous: Pair? = nil
        var batch: [Pair] = []
        batch.reserveCapacity(leafCapacity)
        // Ends: only the root may be an empty leaf, so every other leaf adds a pair, and a chain
        // that loops comes back to a pair not above the last one, which is damage.
        while page >= 0 {
            batch.removeAll(keepingCapacity: true)
            let next = try space.read(page) { p in
                let h = try header(p, page: page, level: 0)
                guard h.count > 0 || page == root else { throw damage(page, "an empty leaf in the leaf chain") }
                for i in min(position, h.count)..<h.count { batch.append(pair(p, i, level: 0)) }
                return h.next
            }
            for pair in batch {
                if let previous, pair <= previous {
                    throw damage(page, "the leaf chain goes back in key order (a loop, or leaves out of order)")
                }
                previous = pair
                if !end.precedes(pair) { return }
                if try !body(pair.key, pair.node) { return }
            }
            page = next
            position = 0
        }
    }

    /// A quick estimate of the pairs in the range: each end's rank in the tree from the positions
    /// taken at every level of its descent (a fraction of the total), so it reads O(height) pages
    /// per end, not the leaves between. Exact when both ends fall in one leaf. Under-full pages
    /// skew it (a page's children are assumed equally full), within a small factor after random
    /// inserts and deletes.
    func estimateCount(from lower: IndexKey, inclusive lowerInclusive: Bool, to upper: IndexKey,
                       inclusive upperInclusive: Bool) throws -> Int {
        let first = try locate(BTree.lowerBound(lower, inclusive: lowerInclusive))
        let last = try locate(BTree.upperBound(upper, inclusive: upperInclusive))
        if first.leaf == last.leaf { return max(0, last.position - first.position) }
        func rank(_ location: Location) -> Double {
            var share = 1.0, rank = 0.0
            for step in location.path {
                share /= Double(step.count)
                rank += Double(step.index) * share
            }
            return rank + share * Double(location.position) / Double(max(1, location.leafCount))
        }
        return max(0, Int(((rank(last) - rank(first)) * Double(try count)).rounded()))
    }

    // MARK: Writing pages

    static func setField(_ field: Int, _ value: Int, in p: UnsafeMutableRawPointer) {
        p.storeBytes(of: UInt64(bitPattern: Int64(value)), toByteOffset: field * 8, as: UInt64.self)
    }

    static func store(_ h: Header, into p: UnsafeMutableRawPointer) {
        p.storeBytes(of: magic, as: UInt64.self)
        setField(levelField, h.level, in: p)
        setField(countField, h.count, in: p)
        setField(nextField, h.next, in: p)
        setField(pairsField, h.pairs, in: p)
    }

    static func store(_ entry: Entry, at index: Int, level: Int, into p: UnsafeMutableRawPointer) {
        let at = p + offset(index, level: level)
        entry.pair.key.store(to: at)
        at.storeBytes(of: entry.pair.node, toByteOffset: IndexKey.byteCount, as: UInt32.self)
        if level > 0 { at.storeBytes(of: entry.child, toByteOffset: IndexKey.byteCount + 4, as: UInt32.self) }
    }

    /// Writes a whole page: header, then `entries` from index 0.
    static func fill(_ p: UnsafeMutableRawPointer, _ h: Header, _ entries: ArraySlice<Entry>) {
        store(h, into: p)
        for (i, entry) in entries.enumerated() { store(entry, at: i, level: h.level, into: p) }
    }

    /// A page from the allocator, checked: the allocator reads its free list from the file.
    func newPage() throws -> Int {
        let page = try allocator.allocatePage()
        // Child and next pointers are UInt32.
        guard page >= 0, page < min(space.capacityPages, Int(UInt32.max)), page != root else {
            throw CalibyError.corrupt(path: space.path, detail: "the page allocator gave page \(page) to a B-tree "
                                      + "(root \(root), \(space.capacityPages) pages)")
        }
        return page
    }

    /// Writes a whole page the allocator just gave (see `PageAllocating` for create vs write).
    func format(_ page: Int, _ h: Header, _ entries: ArraySlice<Entry>) throws {
        let body = { (p: UnsafeMutableRawPointer) in
            memset(p, 0, self.space.usableBytes)
            BTree.fill(p, h, entries)
        }
        if page < space.pagesInFile { try space.write(page, body) } else { try space.create(page, body) }
    }

    func addToPairs(_ delta: Int) throws {
        try space.write(root) { p in
            BTree.setField(BTree.pairsField, try header(p, page: root, level: nil).pairs + delta, in: p)
        }
    }

    // MARK: Changes

    /// Inserting a present pair is a no-op.
    func insert(_ key: IndexKey, node: UInt32) throws {
        let pair = Pair(key: key, node: node)
        let location = try locate(Bound(target: pair, strict: false))
        if location.found { return }
        var split = try place(Entry(pair: pair), at: location.position, in: location.leaf, level: 0)
        // Each split hands its new page's separator to the parent, from the leaf's parent upwards.
        for (level, step) in zip(1..., location.path.reversed()) {
            guard let (separator, page) = split else { break }
            split = try place(Entry(pair: separator, child: UInt32(page)), at: step.index + 1, in: step.page, level: level)
        }
        try addToPairs(1)
    }

    /// Puts `entry` at `index` of `page`. A full page keeps its lower half and moves the upper half
    /// to a new page, whose first pair and number are returned for the parent (nil when no parent
    /// changes: it fitted, or the page was the root and grew a level).
    private func place(_ entry: Entry, at index: Int, in page: Int, level: Int) throws -> (Pair, Int)? {
        let fitted = try space.write(page) { p in
            let h = try header(p, page: page, level: level)
            guard h.count < (level == 0 ? leafCapacity : innerCapacity) else { return false }
            let at = p + BTree.offset(index, level: level), size = BTree.offset(1, level: level) - BTree.headerBytes
            memmove(at + size, at, (h.count - index) * size)  // index <= count < capacity: stays in the page
            BTree.store(entry, at: index, level: level, into: p)
            BTree.setField(BTree.countField, h.count + 1, in: p)
            return true
        }
        if fitted { return nil }
        var (h, all) = try space.read(page) { p in
            let h = try header(p, page: page, level: level)
            return (h, entries(p, count: h.count, level: level))
        }
        all.insert(entry, at: index)
        // An entry appended at the end leaves the page full and starts the new one: ascending
        // inserts (ids, timestamps) then fill pages instead of leaving each half empty.
        let half = index == h.count ? h.count : all.count / 2
        if page == root {
            guard level < BTree.maxLevel else {
                throw CalibyError.capacity(index: space.path, detail: "a B-tree is \(BTree.maxLevel) levels high")
            }
            let left = try newPage(), right = try newPage()
            try format(left, Header(level: level, count: half, next: level == 0 ? right : -1, pairs: 0), all[..<half])
            try format(right, Header(level: level, count: all.count - half, next: -1, pairs: 0), all[half...])
            let children = [Entry(pair: .min, child: UInt32(left)), Entry(pair: all[half].pair, child: UInt32(right))]
            try space.write(root) { BTree.fill($0, Header(level: level + 1, count: 2, next: -1, pairs: h.pairs), children[...]) }
            return nil
        }
        let right = try newPage()
        try format(right, Header(level: level, count: all.count - half, next: h.next, pairs: 0), all[half...])
        h.count = half
        if level == 0 { h.next = right }
        try space.write(page) { BTree.fill($0, h, all[..<half]) }
        return (all[half].pair, right)
    }

    /// Returns whether the pair was there.
    @discardableResult func remove(_ key: IndexKey, node: UInt32) throws -> Bool {
        let location = try locate(Bound(target: Pair(key: key, node: node), strict: false))
        guard location.found else { return false }
        let left = try removeEntry(location.position, from: location.leaf, level: 0)
        if left == 0 && location.leaf != root { try dropEmptyLeaf(location) }
        try addToPairs(-1)
        return true
    }

    /// Removes entry `index` (below the count: the single writer's `locate` just read the page) and
    /// returns how many are left.
    private func removeEntry(_ index: Int, from page: Int, level: Int) throws -> Int {
        try space.write(page) { p in
            let h = try header(p, page: page, level: level)
            let at = p + BTree.offset(index, level: level), size = BTree.offset(1, level: level) - BTree.headerBytes
            memmove(at, at + size, (h.count - index - 1) * size)
            BTree.setField(BTree.countField, h.count - 1, in: p)
            return h.count - 1
        }
    }

    /// Frees an empty non-root leaf: the leaf before it takes its next pointer, its parent loses
    /// the entry (a parent left with none is freed in turn), and a root left with one child
    /// absorbs it.
    private func dropEmptyLeaf(_ location: Location) throws {
        let height = location.path.count
        let next = try space.read(location.leaf) { try header($0, page: location.leaf, level: 0).next }
        // The leaf before it descends from the deepest inner page where the path did not take the
        // first child: that child's left sibling, then the last child at every level down.
        if let k = location.path.lastIndex(where: { $0.index > 0 }) {
            var page = try space.read(location.path[k].page) { try child($0, location.path[k].index - 1, of: location.path[k].page) }
            for level in stride(from: height - k - 1, to: 0, by: -1) {
                let parent = page
                page = try space.read(parent) { p in try child(p, try header(p, page: parent, level: level).count - 1, of: parent) }
            }
            let before = page
            try space.write(before) { p in
                _ = try header(p, page: before, level: 0)
                BTree.setField(BTree.nextField, next, in: p)
            }
        }
        try allocator.freePage(location.leaf)
        for (k, step) in location.path.enumerated().reversed() {
            // The root keeps at least one child: it has two or more whenever it is an inner page
            // (`absorbOnlyChild` runs after every removal), and only one is freed here.
            if try removeEntry(step.index, from: step.page, level: height - k) > 0 || step.page == root { break }
            try allocator.freePage(step.page)
        }
        try absorbOnlyChild()
    }

    /// A root with one child is a level for nothing: the child's contents move into the root page
    /// (whose number never changes) and the child is freed.
    private func absorbOnlyChild() throws {
        while true {
            let only: (page: Int, level: Int, pairs: Int)? = try space.read(root) { p in
                let h = try header(p, page: root, level: nil)
                return h.level > 0 && h.count == 1 ? (try child(p, 0, of: root), h.level - 1, h.pairs) : nil
            }
            guard let only else { return }
            let image = try space.read(only.page) { p in
                _ = try header(p, page: only.page, level: only.level)
                return [UInt8](UnsafeRawBufferPointer(start: p, count: space.usableBytes))
            }
            try space.write(root) { p in
                image.withUnsafeBytes { p.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
                BTree.setField(BTree.pairsField, only.pairs, in: p)
            }
            try allocator.freePage(only.page)
        }
    }
}

/// The persistent map from a user's 64-bit id to an internal node number: an open-addressing hash
/// table with linear probing in a fixed region of the index file, sized at create to twice the
/// capacity (load ≤ 0.5), so opening an index never rebuilds it and a lookup reads about one page.
///
/// Slot (16 bytes): UInt64 id, UInt32 node + 1 (0 = empty, `tombstone` = removed), 4 bytes unused.
/// A removed entry becomes a tombstone rather than empty, because an empty slot ends every probe
/// that reaches it and would hide the entries after it. Lookups step over tombstones.
///
/// Concurrent inserts of one id agree because every thread probes the same sequence and claims a
/// slot under its page's exclusive latch: the second finds the first's entry. That argument needs
/// the end of the probe (the first empty slot) to be the same for both, which holds because slots
/// never become empty while inserts run (only `compactIfNeeded`, with the index to itself, empties
/// them). Hence an insert reuses a tombstone only on the page where its probe ends, seen under the
/// same latch as the empty slot that proves the id absent from the rest of the sequence: a rival
/// insert of the same id must end its probe at that same empty slot, so it sees the claim.
struct IDMap {
    static let slotBytes = 16
    private static let tombstone = UInt32.max
    let space: PageSpace
    let firstPage: Int
    let slotCount: Int
    let slotsPerPage: Int
    /// Node numbers are below this (the capacity): a larger one read from a slot is damage.
    let nodeLimit: Int

    init(space: PageSpace, firstPage: Int, slotCount: Int, nodeLimit: Int) {
        self.space = space
        self.firstPage = firstPage
        self.slotCount = slotCount
        self.nodeLimit = nodeLimit
        slotsPerPage = space.usableBytes / IDMap.slotBytes
    }

    static func slotCount(capacity: Int) -> Int {
        var slots = 64
        while slots < 2 * capacity { slots *= 2 }
        return slots
    }

    static func pages(slotCount: Int, usableBytes: Int) -> Int {
        let perPage = usableBytes / slotBytes
        return (slotCount + perPage - 1) / perPage
    }

    @inline(__always) private func home(_ id: UInt64) -> Int {
        Int(truncatingIfNeeded: (id &* 0x9E37_79B9_7F4A_7C15) >> UInt64(64 - slotCount.trailingZeroBitCount))
    }

    @inline(__always) private static func storedNode(_ base: UnsafeRawPointer, _ slot: Int) -> UInt32 {
        base.load(fromByteOffset: slot * slotBytes + 8, as: UInt32.self)
    }

    @inline(__always) private static func storedID(_ base: UnsafeRawPointer, _ slot: Int) -> UInt64 {
        base.load(fromByteOffset: slot * slotBytes, as: UInt64.self)
    }

    @inline(__always) private static func store(_ base: UnsafeMutableRawPointer, _ slot: Int, id: UInt64, node: UInt32) {
        base.storeBytes(of: id, toByteOffset: slot * slotBytes, as: UInt64.self)
        base.storeBytes(of: node, toByteOffset: slot * slotBytes + 8, as: UInt32.self)
    }

    /// Walks the probe sequence page by page, one latch per page; `visit` sees the page and the
    /// slots of the sequence on it, in order, and returns a result to stop.
    private func probe<R>(_ id: UInt64, exclusive: Bool,
                          _ visit: (UnsafeMutableRawPointer, Range<Int>) -> R?) throws -> R {
        var slot = home(id)
        var scanned = 0
        while scanned < slotCount {
            let page = firstPage + slot / slotsPerPage
            let start = slot % slotsPerPage
            let end = min(slotsPerPage, start + (slotCount - slot))
            let found: R? = try withoutActuallyEscaping(visit) { visit in
                exclusive ? try space.write(page) { visit($0, start..<end) }
                          : try space.read(page) { visit(UnsafeMutableRawPointer(mutating: $0), start..<end) }
            }
            if let found { return found }
            scanned += end - start
            slot = (slot + (end - start)) & (slotCount - 1)
        }
        throw CalibyError.corrupt(path: space.path, detail: "id map has no free slot")
    }

    /// The node `id` maps to, checked against the capacity: callers turn it into a page number.
    func lookup(_ id: UInt64) throws -> Int? {
        let found = try probe(id, exclusive: false) { base, slots -> Int?? in
            for i in slots {
                let node = IDMap.storedNode(base, i)
                if node == 0 { return .some(nil) }
                if node != IDMap.tombstone && IDMap.storedID(base, i) == id { return .some(Int(node - 1)) }
            }
            return nil
        }
        if let found, found >= nodeLimit {
            throw CalibyError.corrupt(path: space.path, detail: "id map sends id \(id) to node \(found), beyond the capacity \(nodeLimit)")
        }
        return found
    }

    /// Adds `id → node`; if `id` is present already, changes nothing and returns its node (which a
    /// caller compares with its own, never uses as a page).
    func insert(_ id: UInt64, node: Int) throws -> Int? {
        try probe(id, exclusive: true) { base, slots -> Int?? in
            var reusable: Int?
            for i in slots {
                let stored = IDMap.storedNode(base, i)
                if stored == 0 {
                    IDMap.store(base, reusable ?? i, id: id, node: UInt32(node + 1))
                    return .some(nil)
                }
                if stored == IDMap.tombstone {
                    if reusable == nil { reusable = i }
                } else if IDMap.storedID(base, i) == id {
                    return .some(Int(stored - 1))
                }
            }
            return nil
        }
    }

    /// Points `id` at `new` if it maps to `old`; false (and no change) otherwise.
    func repoint(_ id: UInt64, from old: Int, to new: Int) throws -> Bool {
        try changeEntry(id, ifNode: old, to: UInt32(new + 1))
    }

    /// Removes `id` if it maps to `node`; false (and no change) otherwise.
    func remove(_ id: UInt64, node: Int) throws -> Bool {
        try changeEntry(id, ifNode: node, to: IDMap.tombstone)
    }

    private func changeEntry(_ id: UInt64, ifNode node: Int, to value: UInt32) throws -> Bool {
        try probe(id, exclusive: true) { base, slots -> Bool? in
            for i in slots {
                let stored = IDMap.storedNode(base, i)
                if stored == 0 { return false }
                if stored != IDMap.tombstone && IDMap.storedID(base, i) == id {
                    guard stored == UInt32(node + 1) else { return false }
                    base.storeBytes(of: value, toByteOffset: i * IDMap.slotBytes + 8, as: UInt32.self)
                    return true
                }
            }
            return nil
        }
    }

    private var pageCount: Int { IDMap.pages(slotCount: slotCount, usableBytes: space.usableBytes) }

    private func slots(onPage p: Int) -> Range<Int> { 0..<min(slotsPerPage, slotCount - p * slotsPerPage) }

    /// Every entry on the pages `readable` accepts, for the integrity check (which reports the
    /// others' damage itself).
    func forEach(readable: (Int) -> Bool = { _ in true }, _ body: (UInt64, Int) -> Void) throws {
        for p in 0..<pageCount where readable(firstPage + p) {
            try space.read(firstPage + p) { base in
                for i in slots(onPage: p) {
                    let node = IDMap.storedNode(base, i)
                    if node != 0 && node != IDMap.tombstone { body(IDMap.storedID(base, i), Int(node - 1)) }
                }
            }
        }
    }

    /// Rebuilds the table once tombstones fill a quarter of it. With live entries at most half the
    /// slots, a quarter then stays empty until the next removal, so probes stay short and always
    /// end. Moves entries: the caller must have the index to itself (no concurrent lookup or insert).
    /// Returns whether it rebuilt.
    @discardableResult
    func compactIfNeeded() throws -> Bool {
        var tombstones = 0
        var entries: [(UInt64, Int)] = []
        for p in 0..<pageCount {
            try space.read(firstPage + p) { base in
                for i in slots(onPage: p) {
                    let node = IDMap.storedNode(base, i)
                    if node == IDMap.tombstone {
                        tombstones += 1
                    } else if node != 0 {
                        entries.append((IDMap.storedID(base, i), Int(node - 1)))
                    }
                }
            }
        }
        guard tombstones > slotCount / 4 else { return false }
        for p in 0..<pageCount {
            let bytes = slots(onPage: p).count * IDMap.slotBytes
            try space.write(firstPage + p) { _ = $0.initializeMemory(as: UInt8.self, repeating: 0, count: bytes) }
        }
        for (id, node) in entries { _ = try insert(id, node: node) }
        return true
    }
}

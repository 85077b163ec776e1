/// The persistent map from a user's 64-bit id to an internal node number: an open-addressing hash
/// table with linear probing in a fixed region of the index file, sized at create to twice the
/// capacity (load ≤ 0.5), so opening an index never rebuilds it and a lookup reads about one page.
///
/// Slot (16 bytes): UInt64 id, UInt32 node + 1 (0 = empty), 4 bytes unused. Entries are never
/// removed: a deleted point keeps its slot (the node carries the deleted mark).
///
/// Concurrent inserts of one id agree because every thread probes the same sequence and claims a
/// slot under its page's exclusive latch: the second finds the first's entry.
struct LabelMap {
    static let slotBytes = 16
    let space: PageSpace
    let firstPage: Int
    let slotCount: Int
    let slotsPerPage: Int

    init(space: PageSpace, firstPage: Int, slotCount: Int) {
        self.space = space
        self.firstPage = firstPage
        self.slotCount = slotCount
        slotsPerPage = space.usableBytes / LabelMap.slotBytes
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

    /// Walks the probe sequence page by page; `visit` sees (page pointer, slot index in page) and
    /// returns a result to stop.
    private func probe<R>(_ id: UInt64, exclusive: Bool,
                          _ visit: (UnsafeMutableRawPointer, Int) -> R?) throws -> R {
        var slot = home(id)
        var scanned = 0
        while scanned < slotCount {
            let page = firstPage + slot / slotsPerPage
            let start = slot % slotsPerPage
            let end = min(slotsPerPage, start + (slotCount - slot))
            let found: R? = try withoutActuallyEscaping(visit) { visit in
                let body: (UnsafeMutableRawPointer) -> R? = { base in
                    for i in start..<end { if let result = visit(base, i) { return result } }
                    return nil
                }
                return exclusive ? try space.write(page, body)
                                 : try space.read(page) { body(UnsafeMutableRawPointer(mutating: $0)) }
            }
            if let found { return found }
            scanned += end - start
            slot = (slot + (end - start)) & (slotCount - 1)
        }
        throw CalibyError.corrupt(path: space.path, detail: "id map has no free slot")
    }

    func lookup(_ id: UInt64) throws -> Int? {
        try probe(id, exclusive: false) { base, i -> Int?? in
            let node = base.load(fromByteOffset: i * 16 + 8, as: UInt32.self)
            if node == 0 { return .some(nil) }
            if base.load(fromByteOffset: i * 16, as: UInt64.self) == id { return .some(Int(node - 1)) }
            return nil
        }
    }

    /// Adds `id → node`; if `id` is present already, changes nothing and returns its node.
    func insert(_ id: UInt64, node: Int) throws -> Int? {
        try probe(id, exclusive: true) { base, i -> Int?? in
            let stored = base.load(fromByteOffset: i * 16 + 8, as: UInt32.self)
            if stored == 0 {
                base.storeBytes(of: id, toByteOffset: i * 16, as: UInt64.self)
                base.storeBytes(of: UInt32(node + 1), toByteOffset: i * 16 + 8, as: UInt32.self)
                return .some(nil)
            }
            if base.load(fromByteOffset: i * 16, as: UInt64.self) == id { return .some(Int(stored - 1)) }
            return nil
        }
    }

    /// Every entry, for the integrity check.
    func forEach(_ body: (UInt64, Int) -> Void) throws {
        let pages = LabelMap.pages(slotCount: slotCount, usableBytes: space.usableBytes)
        for p in 0..<pages {
            try space.read(firstPage + p) { base in
                for i in 0..<min(slotsPerPage, slotCount - p * slotsPerPage) {
                    let node = base.load(fromByteOffset: i * 16 + 8, as: UInt32.self)
                    if node != 0 { body(base.load(fromByteOffset: i * 16, as: UInt64.self), Int(node - 1)) }
                }
            }
        }
    }
}

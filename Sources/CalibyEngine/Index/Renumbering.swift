/// A new numbering of a graph's nodes for `reorder` (IndexReorder.swift): `order[new] = old`, and
/// `self[old] = new`. Both graph types keep a node's record at the place its number says, so
/// numbering nodes in the order a search meets them stores together what a search reads together.
struct Renumbering {
    let order: [UInt32]
    private let newNumber: [UInt32]

    /// Memory a numbering takes: both arrays, and the walk's marks while it is made.
    static let bytesPerNode = 2 * MemoryLayout<UInt32>.stride + MemoryLayout<Bool>.stride

    init(order: [UInt32]) {
        self.order = order
        var newNumber = [UInt32](repeating: 0, count: order.count)
        for (new, old) in order.enumerated() { newNumber[Int(old)] = UInt32(new) }
        self.newNumber = newNumber
    }

    var count: Int { order.count }

    subscript(old: Int) -> Int { Int(newNumber[old]) }

    /// Nodes `0..<count` breadth-first over their links from each of `starts` in turn, then from
    /// each node no walk reached, lowest first; nodes `walked` refuses (free slots) go last, in
    /// their order, and are never walked through. A walk takes a node's links in the order they are
    /// stored, so the nodes one expansion places get consecutive numbers.
    ///
    /// - Parameter links: copies a node's links into the buffer (room for `maxLinks`) and returns
    ///   their count; each link is checked against `count` before use (`beyond` names the damage).
    static func breadthFirst(count: Int, starts: [Int], maxLinks: Int, walked: (Int) throws -> Bool,
                             links: (Int, UnsafeMutablePointer<UInt32>) throws -> Int,
                             beyond: (_ node: Int, _ link: Int) -> CalibyError) throws -> Renumbering {
        var order: [UInt32] = []
        order.reserveCapacity(count)
        var placed = [Bool](repeating: false, count: count)
        var last: [UInt32] = []
        for node in 0..<count where try !walked(node) {
            placed[node] = true
            last.append(UInt32(node))
        }
        let buffer = UnsafeMutablePointer<UInt32>.allocate(capacity: maxLinks)
        defer { buffer.deallocate() }
        var next = 0
        func walk(from start: Int) throws {
            guard !placed[start] else { return }
            placed[start] = true
            order.append(UInt32(start))
            while next < order.count {
                let node = Int(order[next])
                next += 1
                for i in 0..<(try links(node, buffer)) {
                    let link = Int(buffer[i])
                    guard link < count else { throw beyond(node, link) }
                    if !placed[link] {
                        placed[link] = true
                        order.append(buffer[i])
                    }
                }
            }
        }
        for start in starts where start >= 0 && start < count { try walk(from: start) }
        for node in 0..<count { try walk(from: node) }
        return Renumbering(order: order + last)
    }
}

/// The pages of a region written in ascending order, each assembled outside any latch (a copy
/// reads the old file under latches, and no thread holds two: HNSWIndex) and put into the target
/// when the next one starts: created where the target has never written it, written over where it
/// was formatted.
struct PageAssembler {
    let target: PageSpace
    let formatted: Bool
    let buffer: UnsafeMutableRawPointer
    private var current = -1

    init(target: PageSpace, formatted: Bool) {
        self.target = target
        self.formatted = formatted
        buffer = UnsafeMutableRawPointer.allocate(byteCount: target.usableBytes, alignment: 64)
    }

    /// The assembled bytes of `page`, zeroed when it starts.
    mutating func page(_ page: Int) throws -> UnsafeMutableRawPointer {
        if page != current {
            precondition(page > current, "page \(page) after page \(current): a region is written in order")
            try finish()
            current = page
            buffer.initializeMemory(as: UInt8.self, repeating: 0, count: target.usableBytes)
        }
        return buffer
    }

    /// Puts the page being assembled into the target.
    mutating func finish() throws {
        guard current >= 0 else { return }
        let (buffer, bytes) = (self.buffer, target.usableBytes)
        if formatted {
            try target.write(current) { $0.copyMemory(from: buffer, byteCount: bytes) }
        } else {
            try target.create(current) { $0.copyMemory(from: buffer, byteCount: bytes) }
        }
        current = -1
    }

    func deallocate() { buffer.deallocate() }
}

/// The node records of an index file, kept the same way by both layouts: node `n` of 0..<capacity
/// is the record at slot `n`, `perPage` records of `recordBytes` to a page (never split across
/// pages) from `firstPage` on, allocated in order. A node number is thus its own address: turning it
/// into (page, offset) is a multiply and a shift (`ExactDivider`), and no table is read.
struct RecordRegion {
    let firstPage: Int
    let recordBytes: Int
    let perPage: Int
    let capacity: Int
    private let divider: ExactDivider

    init(firstPage: Int, recordBytes: Int, usableBytes: Int, capacity: Int) {
        self.firstPage = firstPage
        self.recordBytes = recordBytes
        self.capacity = capacity
        perPage = usableBytes / recordBytes
        divider = ExactDivider(perPage)
    }

    /// One past the region's last page: the end of the file at full capacity.
    var endPage: Int { pages(holding: capacity).upperBound }

    /// Where node `node`'s record is.
    @inline(__always) func locate(_ node: Int) -> (page: Int, offset: Int) {
        let q = divider.quotient(node)
        return (firstPage + q, (node - q * perPage) * recordBytes)
    }

    /// The pages holding nodes 0..<count: once `count` nodes are allocated, the rest are holes.
    func pages(holding count: Int) -> Range<Int> { firstPage..<firstPage + (count + perPage - 1) / perPage }

    /// Whether `node` is the first record of its page, which allocating it must create.
    func startsPage(_ node: Int) -> Bool { node % perPage == 0 }

    /// A link read from a page that names no possible node: damage, refused before the link
    /// becomes a page number.
    func corruptLink(_ node: Int, _ link: Int, path: String) -> CalibyError {
        .corrupt(path: path, detail: "node \(node) links to \(link), beyond the capacity \(capacity)")
    }
}

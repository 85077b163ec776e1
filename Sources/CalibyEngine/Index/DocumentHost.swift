/// What the document layer needs of an index beyond `GraphIndex`: ids and nodes both ways,
/// liveness, labels, and search restricted to a set of nodes. Both index types conform.
protocol DocumentHost: FilteredSearching {
    /// Where automatic ids continue (one past the largest id so far).
    var nextAutoID: UInt64 { get }
    var allocatedNodes: Int { get }
    func node(of id: UInt64) throws -> Int?
    func userID(of node: Int) throws -> UInt64
    /// Whether the node holds a vector that searches may return (allocated, not deleted).
    func isLive(_ node: Int) throws -> Bool
    /// Whether the node carries every one of `labels` (indexes without labels carry none).
    func carries(_ node: Int, labels: [UInt32]) throws -> Bool
}

extension DocumentHost {
    /// Whether `id` names a live vector.
    func isLive(id: UInt64) throws -> Bool {
        guard let node = try node(of: id) else { return false }
        return try isLive(node)
    }

    func forEachLiveNode(_ body: (Int) throws -> Void) throws {
        for node in 0..<allocatedNodes where try isLive(node) { try body(node) }
    }
}

/// Secondary indexes: one B+tree of (value, node) pairs per indexed field, in pages of the
/// document file, kept current by every put and remove in the same transaction. Array fields index
/// each distinct element, so `tags CONTAINS 'x'` is a point lookup.
extension DocumentStore: PageAllocating {
    /// Whether a change must read the old document first: to take it out of a tree or the text index.
    var hasIndexedFields: Bool { schema.fields.contains { $0.indexed } }

    var indexedMask: FieldMask { FieldMask(schema.fields.indices.filter { schema.fields[$0].indexed }) }

    /// The tree of an indexed field, opened on first use.
    func tree(_ position: Int) throws -> BTree {
        if let tree = mutex.withLock({ trees[position] }) { return tree }
        let root = mutex.withLock { header.roots[position] }
        guard root != 0 else { throw damage("field '\(schema.fields[position].name)' has no index root") }
        let tree = BTree(space: space, allocator: self, root: root)
        mutex.withLock { trees[position] = tree }
        return tree
    }

    /// Makes an empty tree for a field (at create, or before `createIndex` fills it).
    func createTree(_ position: Int) throws {
        let root = try BTree.create(space: space, allocator: self)
        mutex.withLock {
            header.roots[position] = root
        }
    }

    /// `caliby index`: builds a field's tree from every stored document.
    func createIndex(onField position: Int) throws {
        try requireWritable("index")
        try createTree(position)
        setIndexed(position)
        let tree = try tree(position)
        let mask = FieldMask([position])
        try forEachNode { node in
            guard let value = try document(of: node, wanted: mask)?[position] else { return }
            for key in keys(of: value) { try tree.insert(key, node: UInt32(node)) }
        }
        try writeHeader()
    }

    /// The keys a value files under: itself, or each distinct element of an array.
    func keys(of value: FieldValue) -> [IndexKey] {
        switch value {
        case .intArray(let a): return Set(a).map { IndexKey(.int($0)) }
        case .stringArray(let a): return Set(a).map { IndexKey(.string($0)) }
        default: return [IndexKey(value)]
        }
    }

    /// Moves `node`'s entries from what `old` had to what `new` has, touching only what changed.
    func updateFieldIndexes(node: Int, old: Document?, new: Document?) throws {
        for (position, field) in schema.fields.enumerated() where field.hasTree {
            let before = Set(old?[position].map(keys) ?? []), after = Set(new?[position].map(keys) ?? [])
            guard before != after else { continue }
            let tree = try tree(position)
            for key in before.subtracting(after) { try tree.remove(key, node: UInt32(node)) }
            for key in after.subtracting(before) { try tree.insert(key, node: UInt32(node)) }
        }
    }

    /// The nodes a filter can only match among, from the index of its most selective constrained
    /// field (by the trees' estimates); nil when no constrained field is indexed. A superset, so
    /// the caller evaluates the filter on each, unless `exact`: the filter is that field's ranges
    /// alone and every key scanned was whole (no long string cut short).
    func candidates(for filter: Filter) throws -> (nodes: NodeSet, exact: Bool)? {
        var best: (count: Int, position: Int, ranges: [KeyRange])?
        for constraint in filter.constraints() where schema.fields[constraint.field].hasTree {
            let type = schema.fields[constraint.field].type.elementType
            let ranges = constraint.ranges.map { KeyRange($0, type: type) }
            let tree = try tree(constraint.field)
            let estimate = try ranges.reduce(0) { $0 + (try tree.estimateCount(from: $1.lower, inclusive: $1.lowerInclusive,
                                                                                 to: $1.upper, inclusive: $1.upperInclusive)) }
            if best == nil || estimate < best!.count { best = (estimate, constraint.field, ranges) }
        }
        guard let best else { return nil }
        let tree = try tree(best.position)
        let nodes = NodeSet(capacity: layout.nodeCapacity)
        var exact = filter.exactlyConstrainedField == best.position && best.ranges.allSatisfy(\.isExact)
        for range in best.ranges where !range.isEmpty {
            try tree.scan(from: range.lower, inclusive: range.lowerInclusive, to: range.upper, inclusive: range.upperInclusive) { key, node in
                guard Int(node) < layout.nodeCapacity else { throw damage("field index of '\(schema.fields[best.position].name)' names node \(node)") }
                if !key.isExact { exact = false }
                nodes.insert(Int(node))
                return true
            }
        }
        return (nodes, exact)
    }
}

/// A filter's value range as tree keys of the field's own type. Bounds of another numeric type
/// are rounded outwards (an int field's `< 2.5` scans up to 2 inclusive), and a bound that did not
/// fit a key whole (a long string) becomes inclusive, so the scan returns a superset.
struct KeyRange {
    var lower = IndexKey.min, lowerInclusive = true
    var upper = IndexKey.max, upperInclusive = true
    /// Whether both bounds are the filter's own values as whole keys (so the range holds exactly
    /// the matching keys, not a superset).
    var isExact = true

    init(_ range: ValueRange, type: FieldType) {
        if let value = range.lower {
            if let (key, exact) = KeyRange.key(value, type: type, roundingUp: true) {
                lower = key
                lowerInclusive = range.lowerInclusive || !exact
                isExact = isExact && exact
            } else {
                isExact = false
            }
        }
        if let value = range.upper {
            if let (key, exact) = KeyRange.key(value, type: type, roundingUp: false) {
                upper = key
                upperInclusive = range.upperInclusive || !exact
                isExact = isExact && exact
            } else {
                isExact = false
            }
        }
    }

    var isEmpty: Bool { lower > upper || (lower == upper && !(lowerInclusive && upperInclusive)) }

    /// The key of `value` in a tree of `type`, and whether it is that value exactly; nil when the
    /// bound cannot restrict such keys (it is then left unbounded).
    private static func key(_ value: FieldValue, type: FieldType, roundingUp: Bool) -> (IndexKey, Bool)? {
        switch (value, type) {
        case (.float(let x), .int):
            let rounded = roundingUp ? x.rounded(.up) : x.rounded(.down)
            guard rounded >= -9.223372036854775808e18 && rounded < 9.223372036854775808e18 else { return nil }
            return (IndexKey(.int(Int64(rounded))), rounded == x)
        case (.int(let n), .float):
            let x = Double(n)
            if Int64(exactly: x) == n { return (IndexKey(.float(x)), true) }
            return (IndexKey(.float(roundingUp ? x.nextDown : x.nextUp)), false)
        default:
            let key = IndexKey(value)
            return (key, key.isExact)
        }
    }
}

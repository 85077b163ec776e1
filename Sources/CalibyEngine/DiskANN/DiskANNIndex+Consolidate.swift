import Glibc

/// Delete marks; consolidation (FreshDiskANN's Algorithm 4) splices the marked points out and
/// frees their slots.
extension DiskANNIndex {
    package func delete(ids: [UInt64]) throws -> Int {
        guard writable else { throw CalibyError.readOnly("delete") }
        // A prune drops deleted candidates, and consolidation needs the links to the deleted
        // points to splice them out: the lists inserts left past R are pruned while all are live.
        try shrinkOverfullLists()
        var deleted = 0
        for node in try existingNodes(of: ids) where try markDeleted(node) { deleted += 1 }
        try consolidateIfDue(threads: max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        try writeHeader()
        return deleted
    }

    /// The automatic consolidation, after anything that marks nodes deleted: `delete`, and
    /// `insert --replace` (whose old vectors are marked deleted too).
    func consolidateIfDue(threads: Int) throws {
        let (used, marked) = headerMutex.withLock { (header.usedCount, header.deletedCount) }
        if Double(marked) > DiskANNIndex.autoConsolidateFraction * Double(used) { _ = try consolidate(threads: threads) }
    }

    /// A start point about to be freed, and the vector its replacement should be nearest to.
    private struct DoomedStart {
        /// nil for the medoid.
        let label: UInt32?
        let vector: [Float]
    }

    /// FreshDiskANN's delete consolidation (Algorithm 4): every live node with deleted out-neighbours
    /// takes their live out-neighbours instead and re-prunes; start points that were deleted move to
    /// the nearest live point (carrying the label); then the deleted slots and their ids are freed
    /// for reuse. Returns the number of slots freed.
    package func consolidate(threads: Int) throws -> Int {
        guard writable else { throw CalibyError.readOnly("consolidate") }
        try shrinkOverfullLists()
        let (nodeCount, medoid, deletedCount) = headerMutex.withLock { (header.nodeCount, header.medoid, header.deletedCount) }
        guard deletedCount > 0 else { return 0 }
        var deleted = [Bool](repeating: false, count: nodeCount)
        var live: [Int] = [], gone: [Int] = []
        for node in 0..<nodeCount {
            switch try state(of: node) {
            case .live: live.append(node)
            case .deleted:
                deleted[node] = true
                gone.append(node)
            case .free: break
            }
        }
        // Each freed slot takes one off the header's count, which must not go negative.
        guard gone.count == deletedCount else {
            throw CalibyError.corrupt(path: space.path, detail: "\(gone.count) nodes are marked deleted, but header field deletedCount = \(deletedCount)")
        }
        let doomed = try doomedStarts(medoid: medoid, deleted: deleted)
        var best = [UInt64](repeating: .max, count: doomed.count)
        let bestMutex = Mutex()
        try forEachInParallel(live.count, options: InsertOptions(threads: threads)) { i in
            let node = live[i]
            try scratch.with { s in
                let labels = try copyVector(of: node, into: s.pivot)
                try repairLinks(of: node, labels: labels, deleted: deleted, scratch: s)
                for (t, target) in doomed.enumerated() where target.label.map(labels.contains) ?? true {
                    let d = target.vector.withUnsafeBufferPointer { Distance.squaredL2(s.pivot, $0.baseAddress!, dimensions) }
                    let key = RankedNode.key(d, UInt32(node))
                    bestMutex.withLock { best[t] = min(best[t], key) }
                }
            }
        }
        headerMutex.withLock {
            for (target, key) in zip(doomed, best) {
                let node = key == .max ? -1 : RankedNode.node(key)
                switch (target.label, node >= 0) {
                case (nil, _): header.medoid = node
                case (let label?, true): starts.setStart(label, node)
                case (let label?, false): starts.clearStart(label)
                }
            }
        }
        // Freed highest first, so the free list hands out the lowest slots first.
        for node in gone.reversed() { try free(node) }
        try idMap.compactIfNeeded()
        try writeHeader()
        return gone.count
    }

    private func doomedStarts(medoid: Int, deleted: [Bool]) throws -> [DoomedStart] {
        var doomed: [(UInt32?, Int)] = medoid >= 0 && deleted[medoid] ? [(nil, medoid)] : []
        headerMutex.withLock {
            for entry in starts.entries where entry.start >= 0 && entry.start < deleted.count && deleted[entry.start] {
                doomed.append((entry.label, entry.start))
            }
        }
        return try doomed.map { label, node in
            var vector = [Float](repeating: 0, count: dimensions)
            _ = try vector.withUnsafeMutableBufferPointer { try copyVector(of: node, into: $0.baseAddress!) }
            return DoomedStart(label: label, vector: vector)
        }
    }

    /// Algorithm 4's step for one node (its vector in `scratch.pivot`). Written without checking the
    /// list first: in this phase only this node's worker writes its links, and nobody writes the
    /// deleted nodes' links it reads.
    private func repairLinks(of node: Int, labels: [UInt32], deleted: [Bool], scratch s: DiskANNScratch) throws {
        let (n, _) = try readLinks(of: node, into: s.links)
        for i in 0..<n where Int(s.links[i]) >= deleted.count { throw corruptLink(node, Int(s.links[i])) }
        guard (0..<n).contains(where: { deleted[Int(s.links[$0])] }) else { return }
        s.visited.clear()
        _ = s.visited.insert(node)
        var candidates: [Int] = []
        for i in 0..<n {
            let neighbour = Int(s.links[i])
            if !deleted[neighbour] {
                if s.visited.insert(neighbour) { candidates.append(neighbour) }
                continue
            }
            let (m, _) = try readLinks(of: neighbour, into: s.otherLinks)
            for j in 0..<m {
                let next = Int(s.otherLinks[j])
                guard next < deleted.count else { throw corruptLink(neighbour, next) }
                if !deleted[next] && s.visited.insert(next) { candidates.append(next) }
            }
        }
        let pivot = UnsafePointer(s.pivot)
        let keys = try candidates.map { RankedNode.key(try distance(pivot, toNode: $0), UInt32($0)) }.sorted()
        let chosen = try robustPrune(keys, pivotLabels: labels, alpha: alpha, scratch: s)
        try withRecordForWriting(node) { $0.setLinks(chosen) }
    }

    /// Puts a deleted slot on the free list and drops its id, unless the id has moved to a new node.
    func free(_ node: Int) throws {
        _ = try idMap.remove(try userID(of: node), node: node)
        let next = headerMutex.withLock { header.freeHead }
        let bytes = layout.records.recordBytes
        try withRecordForWriting(node) { r in
            r.clear(bytes: bytes)
            r.nextFree = next
        }
        headerMutex.withLock {
            header.freeHead = node
            header.freeCount += 1
            header.deletedCount -= 1
        }
    }
}

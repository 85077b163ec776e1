/// Reusing deleted slots: hnswlib's `allow_replace_deleted` / `addPoint(replace_deleted)`, always
/// on, but only once the index has no never-used slot left. Until then a deleted id keeps its node
/// (so `insert --replace` of it revives the node in place, as before), and an index that never
/// fills behaves exactly as it did.
///
/// Nothing new is stored: a deleted node is recognized by its record's deleted flag, as hnswlib
/// rebuilds its `deleted_elements` set by scanning at load. The scan runs only for an insert that
/// does not fit in the fresh slots, so files of every version open and reuse alike.
///
/// A reused node keeps its level and upper slots (its level was drawn at random once; the upper
/// slots are its own). It gets the new id and vector under one latch, so a concurrent search never
/// sees a new vector beside the old id. Then, as hnswlib's updatePoint: each of its old
/// out-neighbours that links back drops it and re-selects among its own links and the old node's
/// (so the hole it leaves stays bridged), and the node is linked afresh, like a new insert.
extension HNSWIndex {
    /// Before an insert changes anything: when its new ids outnumber the fresh slots, sets aside
    /// enough deleted nodes (lowest first) and removes their old ids from the id map, so that no
    /// thread of the insert can reach them through an id; or refuses the insert when too few exist.
    /// Runs before the insert's threads start, with the index to itself.
    func claimDeletedSlots(for ids: [UInt64], replace: Bool) throws {
        let (fresh, deleted) = entryMutex.withLock { (layout.capacity - header.nodeCount, header.deletedCount) }
        guard ids.count > fresh else { return }
        let batch = Set(ids)
        // Ids already present are updates (with --replace) or refused as duplicates (without), and
        // take no slot either way; only --replace needs the lookups to count them.
        let newIDs = replace ? try batch.filter { try node(of: $0) == nil }.count : ids.count
        guard newIDs > fresh else { return }
        let needed = newIDs - fresh
        var claimed: [(node: Int, id: UInt64)] = []
        if deleted > 0 {
            for node in 0..<allocatedNodes {
                if claimed.count == needed { break }
                guard try isDeleted(node) else { continue }
                // A node whose old id this batch brings back is left alone: `--replace` revives it.
                let id = try userID(of: node)
                if !batch.contains(id) { claimed.append((node, id)) }
            }
        }
        guard claimed.count == needed else {
            throw CalibyError.noRoom(index: info.name, needed: newIDs, free: fresh + claimed.count, capacity: layout.capacity)
        }
        for (node, id) in claimed {
            guard try !idMap.remove(id, node: node) else { continue }
            throw CalibyError.corrupt(path: space.path, detail: "deleted node \(node) holds id \(id), which the id map does not send to it")
        }
        // Each removal leaves a tombstone; this insert's threads have not started, so the map may move.
        try idMap.compactIfNeeded()
        entryMutex.withLock { claimedSlots = claimed.reversed().map(\.node) }
    }

    /// Gives deleted node `node` (claimed, its old id unmapped) the id `id` and vector `q`.
    func reuse(_ node: Int, id: UInt64, vector q: UnsafePointer<Float>, quantizer: ScalarQuantizer?, scratch: SearchScratch) throws {
        if let clash = try idMap.insert(id, node: node), clash != node {
            throw CalibyError.duplicateID(index: info.name, id: id)
        }
        let (page, offset) = layout.records.locate(node)
        let level = try space.read(page) { p -> Int in
            let word = p.load(fromByteOffset: offset + HNSWLayout.levelOffset, as: UInt32.self)
            guard word & HNSWLayout.deletedBit != 0, word & ~(HNSWLayout.deletedBit | 0xFF) == 0, Int(word & 0xFF) <= HNSWLayout.maxLevel else {
                throw CalibyError.corrupt(path: space.path, detail: "node \(node): level word \(word) is not a level and a set deleted flag")
            }
            return Int(word & 0xFF)
        }
        var oldLinks: [[Int]] = []
        for level in 0...level {
            let (listPage, listOffset) = try linkList(of: node, level: level)
            let links = try space.read(listPage) { readList($0, listOffset, level == 0 ? layout.maxLinks0 : M) }
            if let bad = links.first(where: { $0 >= layout.capacity }) { throw corruptLink(node, bad) }
            oldLinks.append(links)
        }
        try space.write(page) { p in
            p.storeBytes(of: id, toByteOffset: offset + HNSWLayout.idOffset, as: UInt64.self)
            p.storeBytes(of: UInt32(level), toByteOffset: offset + HNSWLayout.levelOffset, as: UInt32.self)
            storeVector(q, intoRecord: p + offset, quantizer: quantizer)
        }
        // After the latch is dropped (the lock order, see HNSWIndex).
        try entryMutex.withLock {
            guard header.deletedCount > 0 else {
                throw CalibyError.corrupt(path: space.path, detail: "node \(node) is marked deleted, but header field deletedCount = 0")
            }
            header.deletedCount -= 1
        }
        for (level, links) in oldLinks.enumerated() {
            for neighbour in links where neighbour != node {
                try detach(node, from: neighbour, level: level, replacements: links, scratch: scratch)
            }
        }
        try link(node, level: level, query: q, quantizer: quantizer, scratch: scratch, reused: true)
    }

    /// Takes `node` out of `neighbour`'s list at `level`, re-selecting that list among its other
    /// links and `replacements` (the node's old links) as seen from `neighbour`.
    private func detach(_ node: Int, from neighbour: Int, level: Int, replacements: [Int], scratch: SearchScratch) throws {
        let limit = level == 0 ? layout.maxLinks0 : M
        var pivotLoaded = false
        while true {
            let (page, offset) = try linkList(of: neighbour, level: level)
            let links = try space.read(page) { readList($0, offset, limit) }
            if let bad = links.first(where: { $0 >= layout.capacity }) { throw corruptLink(neighbour, bad) }
            guard links.contains(node) else { return }
            var candidates = links.filter { $0 != node }
            let kept = Set(candidates)
            candidates += replacements.filter { $0 != node && $0 != neighbour && !kept.contains($0) }
            if !pivotLoaded {
                try copyVector(of: neighbour, into: scratch.pivot)
                pivotLoaded = true
            }
            let pivot = UnsafePointer(scratch.pivot)
            let keyed = try measured(candidates, from: pivot, scratch: scratch).sorted()
            let updated = try selectNeighbours(keyed, limit: limit, scratch: scratch)
            if try replaceList(page, offset, limit, expected: links, with: updated) { return }
        }
    }
}

import Atomics
import Glibc

/// Building the graph: RobustPrune and linking (Vamana, with Filtered-DiskANN's labels), then the
/// insert paths: the two-pass bulk build and FreshDiskANN's point-by-point insert.
extension DiskANNIndex {
    /// A node's links: RobustPrune (Vamana's Algorithm 2) run twice over one walk of the candidates,
    /// `sorted` closest to the pivot first, without the pivot or repeats.
    ///
    /// The walk is made first with α = 1, then again with α over the candidates not yet kept, as
    /// DiskANN's library prunes: the strict round keeps the diverse, far-reaching edges before the
    /// looser one fills the list with near ones. On 20k real 384-d embeddings that raised recall@10
    /// at L 10 / 20 / 50 from 0.964 / 0.986 / 0.996 to 0.967 / 0.989 / 0.997 for 5 % more build
    /// time (BENCHMARKS.md, "DiskANN build").
    ///
    /// - The general list is plain RobustPrune: a candidate c is dropped when a kept node k is closer
    ///   to it than the pivot is, by the factor α. It makes the graph navigable for unfiltered search.
    /// - The labelled list is Filtered-DiskANN's FilteredRobustPrune over the candidates sharing a
    ///   label with the pivot: k must also carry every label c shares with the pivot. It makes each
    ///   label's points navigable for filtered search.
    ///
    /// Each list may take half the degree, and what one leaves unused goes to the other: without the
    /// split, the many nearer points of other labels would fill all R slots first (in high dimension
    /// RobustPrune keeps about R), and a label's points would lose the edges between them. Deleted
    /// candidates are dropped: they must gain no edges.
    func robustPrune(_ sorted: [UInt64], pivotLabels: [UInt32], alpha: Float, scratch s: DiskANNScratch) throws -> [UInt32] {
        var nodes: [UInt32] = []
        var general: [Int] = [], labelled: [Int] = []
        let dims = dimensions
        let candidates = sorted.prefix(DiskANNIndex.maxPruneCandidates)
        // The slot each candidate was kept in by an earlier round (its vector and labels are there).
        var slotOf = [Int](repeating: -1, count: candidates.count)
        for roundAlpha in alpha > 1 ? [1, alpha] : [alpha] {
            for (i, key) in candidates.enumerated() {
                if general.count == R && (pivotLabels.isEmpty || labelled.count == R) { break }
                let known = slotOf[i] >= 0
                let slot = known ? slotOf[i] : nodes.count
                let sharesLabel: Bool
                if known {
                    sharesLabel = (0..<s.keptLabelCounts[slot]).contains { pivotLabels.contains(s.keptLabels(slot)[$0]) }
                } else {
                    // Labels first: once the general list is full, a candidate sharing no label with
                    // the pivot cannot be kept, and its vector is not worth copying.
                    let (labelCount, shares, wanted) = try peekRecord(RankedNode.node(key)) { r -> (Int, Bool, Bool) in
                        let n = r.labelCount
                        for i in 0..<n { s.keptLabels(slot)[i] = r.label(i) }
                        let shares = (0..<n).contains { pivotLabels.contains(s.keptLabels(slot)[$0]) }
                        let wanted = r.state == .live && (general.count < R || (shares && labelled.count < R))
                        if wanted { s.keptVector(slot).update(from: r.vector, count: dims) }
                        return (n, shares, wanted)
                    }
                    guard wanted else { continue }
                    s.keptLabelCounts[slot] = labelCount
                    sharesLabel = shares
                }
                let toPivot = RankedNode.distance(key)
                let keepGeneral = general.count < R && !(known && general.contains(slot))
                    && !isCovered(slot, toPivot: toPivot, by: general, pivotLabels: nil, alpha: roundAlpha, scratch: s)
                let keepLabelled = sharesLabel && labelled.count < R && !(known && labelled.contains(slot))
                    && !isCovered(slot, toPivot: toPivot, by: labelled, pivotLabels: pivotLabels, alpha: roundAlpha, scratch: s)
                guard keepGeneral || keepLabelled else { continue }
                if !known {
                    nodes.append(UInt32(RankedNode.node(key)))
                    slotOf[i] = slot
                }
                if keepGeneral { general.append(slot) }
                if keepLabelled { labelled.append(slot) }
            }
        }
        let labelledShare = max(R / 2, R - general.count)
        var chosen: [Int] = []
        for slot in labelled.prefix(labelledShare) + general + labelled.dropFirst(labelledShare)
            where chosen.count < R && !chosen.contains(slot) {
            chosen.append(slot)
        }
        return chosen.map { nodes[$0] }
    }

    /// Whether a kept slot stands in for candidate `slot`: closer to it than the pivot is, by the
    /// factor α, and, with `pivotLabels`, carrying every label the candidate shares with the pivot.
    @inline(__always)
    private func isCovered(_ slot: Int, toPivot: Float, by kept: [Int], pivotLabels: [UInt32]?, alpha: Float,
                           scratch s: DiskANNScratch) -> Bool {
        // α widens only positive distances: an inner product's negative ones would otherwise make
        // pruning stricter than α = 1.
        func covers(_ between: Float) -> Bool { (between > 0 ? alpha * between : between) <= toPivot }
        guard let pivotLabels else { return s.anyKept(kept, near: slot, metric: metric, covers: covers) }
        return s.anyKept(kept.lazy.filter { self.carriesSharedLabels($0, of: slot, pivotLabels: pivotLabels, scratch: s) },
                         near: slot, metric: metric, covers: covers)
    }

    /// Whether slot `k` carries every label slot `c` shares with the pivot.
    @inline(__always)
    private func carriesSharedLabels(_ k: Int, of c: Int, pivotLabels: [UInt32], scratch s: DiskANNScratch) -> Bool {
        let cLabels = s.keptLabels(c), kLabels = s.keptLabels(k), kCount = s.keptLabelCounts[k]
        for i in 0..<s.keptLabelCounts[c] where pivotLabels.contains(cLabels[i]) {
            if !(0..<kCount).contains(where: { kLabels[$0] == cLabels[i] }) { return false }
        }
        return true
    }

    /// Sorted by distance, each node once, without `node` itself.
    private func uniqueSorted(_ keys: [UInt64], excluding node: Int) -> [UInt64] {
        var out: [UInt64] = []
        out.reserveCapacity(keys.count)
        for key in keys.sorted() where key != out.last && RankedNode.node(key) != node { out.append(key) }
        return out
    }

    /// Vamana's step for one point, also FreshDiskANN's insert: candidates from the searches, then
    /// its links by RobustPrune and a back-link from each of them.
    ///
    /// Once the index has codes, the searches are steered by them, as FreshDiskANN inserts into an
    /// index on disk: a search then reads the records it expands (about L), not every neighbour of
    /// them (thousands), and the candidates still carry exact distances, read from the expanded
    /// records. Through a pool a tenth of the index nearly every one of those neighbours was a page
    /// miss (BENCHMARKS.md, "DiskANN loads larger than the pool"). The list is half as long again
    /// as the exact search's, for the codes' error: on 100k × 128 with 32-byte codes, recall@10 at
    /// search L 20 was 0.981 with L, 0.987 with 1.5 L and 0.988 with exact distances. Whatever the
    /// pool's size the build is the same, and so is the graph it makes.
    private func link(_ node: Int, vector q: UnsafePointer<Float>, labels: [UInt32], alpha: Float,
                      scratch s: DiskANNScratch) throws {
        let (medoid, labelStarts, codebook) = headerMutex.withLock {
            (header.medoid, labels.compactMap { starts.start(of: $0) }, self.codebook)
        }
        let candidates = { (entryPoints: [Int], filter: [UInt32]?) throws -> [UInt64] in
            if let codebook {
                try self.compressedSearch(q, from: entryPoints, filter: filter, L: self.buildL + self.buildL / 2, width: 1, k: 0, collect: true,
                                          codebook: codebook, scratch: s)
            } else {
                try self.greedySearch(q, from: entryPoints, filter: filter, L: self.buildL, width: 1, k: 0, collect: true,
                                      scratch: s)
            }
            return s.expanded
        }
        var pool: [UInt64] = []
        if medoid >= 0 { pool += try candidates([medoid], nil) }
        if !labelStarts.isEmpty { pool += try candidates(labelStarts, labels) }
        let chosen = try relink(node, pivot: q, pivotLabels: labels, adding: pool, alpha: alpha, scratch: s)
        for neighbour in chosen { try addBackLink(from: Int(neighbour), to: node, vector: q, alpha: alpha, scratch: s) }
    }

    /// Sets the node's links to RobustPrune(its current links ∪ `candidates`), again if back-links
    /// from concurrent inserts changed its page in between.
    private func relink(_ node: Int, pivot: UnsafePointer<Float>, pivotLabels: [UInt32], adding candidates: [UInt64],
                        alpha: Float, scratch s: DiskANNScratch) throws -> [UInt32] {
        while true {
            let current = try links(of: node)
            var keys = candidates
            for link in current { keys.append(RankedNode.key(try distance(pivot, toNode: Int(link)), link)) }
            let chosen = try robustPrune(uniqueSorted(keys, excluding: node), pivotLabels: pivotLabels, alpha: alpha, scratch: s)
            if try replaceLinks(of: node, expected: current, with: chosen) { return chosen }
        }
    }

    /// Adds `node` to `neighbour`'s links. While the record has room (R plus its spare links) the
    /// link is appended, and a list that passes R is noted for `shrinkOverfullLists`; a list with no
    /// room left is re-pruned to R as seen from `neighbour`. With spare room a full list is pruned
    /// once per ~0.3·R back-links instead of once each, as DiskANN's slack does.
    private func addBackLink(from neighbour: Int, to node: Int, vector q: UnsafePointer<Float>, alpha: Float,
                             scratch s: DiskANNScratch) throws {
        // The neighbour's vector and labels are needed only to re-prune a full list (as in
        // HNSWIndex.connect); most back-links just append.
        var neighbourLabels: [UInt32]?
        while true {
            let current = try links(of: neighbour)
            if current.contains(UInt32(node)) { return }
            var updated = current
            if current.count < layout.linkCapacity {
                updated.append(UInt32(node))
            } else {
                if neighbourLabels == nil { neighbourLabels = try copyVector(of: neighbour, into: s.pivot) }
                let added = RankedNode.key(Distance.between(s.pivot, q, dimensions, metric: metric), UInt32(node))
                updated = try pruned(current, around: neighbour, labels: neighbourLabels!, adding: added, alpha: alpha, scratch: s)
            }
            if try replaceLinks(of: neighbour, expected: current, with: updated) {
                if updated.count == R + 1 {
                    overfullMutex.withLock {
                        if overfullNodes == nil { overfullNodes = NodeSet(capacity: layout.capacity, chargedTo: space.pool) }
                        overfullNodes!.insert(neighbour)
                    }
                }
                return
            }
        }
    }

    /// RobustPrune of `links` (and `added`, a key already measured) as seen from `node`, whose
    /// vector the caller put in `s.pivot` and whose labels are `labels`.
    private func pruned(_ links: [UInt32], around node: Int, labels: [UInt32], adding added: UInt64?, alpha: Float,
                        scratch s: DiskANNScratch) throws -> [UInt32] {
        let pivot = UnsafePointer(s.pivot)
        var keys = try links.map { RankedNode.key(try distance(pivot, toNode: Int($0)), $0) }
        if let added { keys.append(added) }
        return try robustPrune(uniqueSorted(keys, excluding: node), pivotLabels: labels, alpha: alpha, scratch: s)
    }

    /// Prunes back to R every list that back-links took into its spare room, in parallel: before the
    /// transaction commits (`writePendingChanges`) and before whatever reads or copies the whole
    /// graph (check, consolidate, resize), so that no committed list holds more than R (what
    /// `check` holds the graph to, and what the format-2 reader expects).
    ///
    /// Once per transaction, not once per insert, as DiskANN prunes once at the end of its build: a
    /// load goes in batches (16 MiB of vectors each), and each batch's own prune at its end re-pruned
    /// lists only a few links past R, a fifth of a 300k × 128 load's time.
    func shrinkOverfullLists() throws {
        let (noted, threads) = overfullMutex.withLock { () -> (NodeSet?, Int) in
            defer { overfullNodes = nil }
            return (overfullNodes, shrinkThreads)
        }
        // Shared out by the set's words: a list of the nodes would be up to 8 bytes each, outside
        // the buffer's budget, where the set is a bit each, charged to it.
        guard let noted else { return }
        try forEachInParallel(noted.wordCount, options: InsertOptions(threads: threads)) { w in
            try noted.forEach(inWord: w) { node in
                try scratch.with { s in
                    let labels = try copyVector(of: node, into: s.pivot)
                    while true {
                        let current = try links(of: node)
                        guard current.count > R else { return }
                        let kept = try pruned(current, around: node, labels: labels, adding: nil, alpha: alpha, scratch: s)
                        if try replaceLinks(of: node, expected: current, with: kept) { return }
                    }
                }
            }
        }
    }

    // MARK: Insert

    package func insert(_ batch: VectorBatch, options: InsertOptions) throws -> InsertSummary {
        try requireInsertable(batch)
        var summary = InsertSummary()
        guard batch.count > 0 else { return summary }
        let labels = try checkedLabels(batch)
        var next = headerMutex.withLock { header.nextAutoID }
        let ids = try batch.assignIDs(next: &next, index: info.name)
        summary.firstID = ids.first
        summary.lastID = ids.last
        // Replacing in input order means the last vector of a repeated id wins.
        let records = options.replace ? lastOccurrences(ids) : Array(ids.indices)
        try ensureRoom(for: records.count, options: options)
        headerMutex.withLock {
            if next != header.nextAutoID {
                header.nextAutoID = next
            }
        }
        let vectors = preparedVectors(batch)
        space.preload(beforeInserting: records.count, into: count)
        overfullMutex.withLock { shrinkThreads = options.threads }
        // Replacing marks old records deleted: as in `delete`, earlier lists are pruned first.
        if options.replace { try shrinkOverfullLists() }
        let outcome = Result { () throws -> Int in
            let inserted = try vectors.withUnsafeBufferPointer { v in
                let batch = PreparedBatch(records: records, ids: ids, labels: labels, vectors: v.baseAddress!, dimensions: dimensions)
                if headerMutex.withLock({ header.usedCount == 0 }) { return try bulkLoad(batch, options: options) }
                return try insertEach(batch, options: options)
            }
            try trainCodebookIfDue(threads: options.threads)
            if options.replace { try consolidateIfDue(threads: options.threads) }
            // A temporary index (no journal) has no commit to leave the prune to.
            if space.journal == nil { try shrinkOverfullLists() }
            return inserted
        }
        try writeHeader()
        summary.inserted = try outcome.get()
        summary.replaced = ids.count - summary.inserted
        return summary
    }

    /// The records of a batch to insert, in the form the insert paths share.
    private struct PreparedBatch {
        let records: [Int]
        let ids: [UInt64]
        let labels: [[UInt32]]
        let vectors: UnsafePointer<Float>
        let dimensions: Int
        func vector(_ record: Int) -> UnsafePointer<Float> { vectors + record * dimensions }
    }

    /// Each record's labels ascending without repeats, after checking they fit: at most
    /// `maxLabelsPerNode` per vector and `maxLabels` distinct in the index.
    private func checkedLabels(_ batch: VectorBatch) throws -> [[UInt32]] {
        var distinct = Set<UInt32>()
        let labels = try (0..<batch.count).map { i -> [UInt32] in
            let unique = i < batch.labels.count ? Array(Set(batch.labels[i])).sorted() : []
            guard unique.count <= DiskANNLayout.maxLabelsPerNode else {
                throw CalibyError.badInput(location: "record \(batch.firstRecordNumber + i)",
                                           message: "has \(unique.count) labels; a vector carries at most \(DiskANNLayout.maxLabelsPerNode)")
            }
            distinct.formUnion(unique)
            return unique
        }
        let (needed, available) = headerMutex.withLock { starts.roomNeeded(for: distinct) }
        guard needed <= available else {
            throw CalibyError.capacity(index: info.name, detail: "the input brings \(needed) new labels, but an index holds at most "
                + "\(DiskANNLayout.maxLabels) distinct labels and there is room for \(available) more")
        }
        return labels
    }

    private func lastOccurrences(_ ids: [UInt64]) -> [Int] {
        var seen = Set<UInt64>()
        return ids.indices.reversed().filter { seen.insert(ids[$0]).inserted }.reversed()
    }

    /// Fails before changing anything when the records cannot fit, consolidating first when the
    /// deleted slots would make the room.
    private func ensureRoom(for needed: Int, options: InsertOptions) throws {
        let (free, deleted) = headerMutex.withLock { (layout.capacity - header.usedCount, header.deletedCount) }
        if needed > free && needed <= free + deleted {
            _ = try consolidate(threads: options.threads)
            return
        }
        guard needed <= free else {
            throw CalibyError.noRoom(index: info.name, needed: needed, free: free, capacity: layout.capacity,
                                     note: options.replace ? "a replaced vector takes a new slot until its old one is consolidated" : nil)
        }
    }

    /// The vectors as stored: normalized for cosine.
    private func preparedVectors(_ batch: VectorBatch) -> [Float] {
        guard metric == .cosine else { return batch.vectors }
        var vectors = batch.vectors
        vectors.withUnsafeMutableBufferPointer { v in
            for offset in stride(from: 0, to: v.count, by: dimensions) { Distance.normalize(v.baseAddress! + offset, dimensions) }
        }
        return vectors
    }

    /// Vamana's build for a batch into an empty index: every record written, the start points
    /// chosen, then two linking passes over a random order: the first with α = 1 over the order's
    /// first quarter (`skeletonShare`: a sparse graph that connects the regions of the data), the
    /// second with the configured α over every point (adds the longer edges that shorten searches).
    /// Returns the number inserted.
    ///
    /// DiskANN's library makes only the second pass; but on 3,000 clustered 16-d points (R 32)
    /// exact recall@10 at L 100 then fell from 0.997 to 0.971: some clusters were reached only the
    /// long way round (DiskANNTests.testCodesCutPagesReadWithASmallPool), and a first pass at half
    /// L was no better. A first pass over a quarter of the points gave 0.996 there (an eighth,
    /// 0.988), and by the codes 0.94–0.97 against 0.98, within the spread of 30 such data sets,
    /// whose mean it leaves unchanged; on 100k × 128 it gave the recall of the full first pass in
    /// 0.90× the build time (BENCHMARKS.md, "DiskANN builds below diskannpy's time").
    private func bulkLoad(_ batch: PreparedBatch, options: InsertOptions) throws -> Int {
        let count = batch.records.count
        let nodes = try allocate(count)
        var quiet = options
        quiet.progress = nil
        let codebook = headerMutex.withLock { self.codebook }
        try forEachInParallel(count, options: quiet) { i in
            let record = batch.records[i]
            try writeRecord(nodes[i], id: batch.ids[record], labels: batch.labels[record], vector: batch.vector(record),
                            codebook: codebook)
            if try idMap.insert(batch.ids[record], node: nodes[i]) != nil {
                throw CalibyError.duplicateID(index: info.name, id: batch.ids[record])
            }
        }
        chooseStarts(batch, nodes: nodes)
        // A fixed pseudo-random order, so a one-thread build is reproducible.
        let order = (0..<count).sorted { SplitMix.mix(UInt64($0)) < SplitMix.mix(UInt64($1)) }
        let skeleton = (count + DiskANNIndex.skeletonShare - 1) / DiskANNIndex.skeletonShare
        for (pass, (passAlpha, linked)) in [(Float(1), skeleton), (alpha, count)].enumerated() {
            var passOptions = options
            if let progress = options.progress {
                let before = pass == 0 ? 0 : skeleton
                passOptions.progress = { progress((before + $0) * count / (skeleton + count)) }
            }
            try forEachInParallel(linked, options: passOptions) { i in
                let record = batch.records[order[i]]
                try scratch.with { s in
                    try link(nodes[order[i]], vector: batch.vector(record), labels: batch.labels[record], alpha: passAlpha, scratch: s)
                }
            }
        }
        return count
    }

    /// Vamana starts from the medoid; the point nearest the centroid stands in for it (an exact
    /// medoid costs a quadratic pass). Each label's start is found the same way among its points.
    private func chooseStarts(_ batch: PreparedBatch, nodes: [Int]) {
        var carriers: [UInt32: [Int]] = [:]
        for (i, record) in batch.records.enumerated() {
            for label in batch.labels[record] { carriers[label, default: []].append(i) }
        }
        let nearest = { (members: [Int]) -> Int in
            nodes[members[self.nearestToCentroid(members.map { batch.vector(batch.records[$0]) })]]
        }
        let medoid = nearest(Array(batch.records.indices))
        let labelStarts = carriers.mapValues(nearest)
        headerMutex.withLock {
            header.medoid = medoid
            for (label, node) in labelStarts { starts.setStart(label, node) }
        }
    }

    /// Position in `vectors` of the one nearest (in L2, whatever the metric: this is about where
    /// the points lie) to their mean.
    private func nearestToCentroid(_ vectors: [UnsafePointer<Float>]) -> Int {
        var sum = [Double](repeating: 0, count: dimensions)
        for v in vectors { for d in 0..<dimensions { sum[d] += Double(v[d]) } }
        let centroid = sum.map { Float($0 / Double(vectors.count)) }
        return centroid.withUnsafeBufferPointer { c in
            var nearest = 0, nearestDistance = Float.infinity
            for (i, v) in vectors.enumerated() {
                let d = Distance.squaredL2(v, c.baseAddress!, dimensions)
                if d < nearestDistance { (nearest, nearestDistance) = (i, d) }
            }
            return nearest
        }
    }

    /// FreshDiskANN's inserts, one point at a time on every thread. Returns the number of new ids.
    private func insertEach(_ batch: PreparedBatch, options: InsertOptions) throws -> Int {
        let added = ManagedAtomic<Int>(0)
        try forEachInParallel(batch.records.count, options: options) { i in
            let record = batch.records[i]
            let new = try scratch.with { s in
                try insertOne(id: batch.ids[record], labels: batch.labels[record], vector: batch.vector(record),
                              replace: options.replace, scratch: s)
            }
            if new { added.wrappingIncrement(ordering: .relaxed) }
        }
        return added.load(ordering: .relaxed)
    }

    /// Inserts one point. An id whose old vector is deleted counts as new; with `replace` a live one
    /// is marked deleted and its id moves to the new node (an update is a delete plus an insert, as in
    /// FreshDiskANN). Returns whether the id was new.
    private func insertOne(id: UInt64, labels: [UInt32], vector: UnsafePointer<Float>, replace: Bool,
                           scratch s: DiskANNScratch) throws -> Bool {
        let existing = try node(of: id)
        let replacing = try existing.map { try state(of: $0) == .live } ?? false
        if replacing && !replace { throw CalibyError.duplicateID(index: info.name, id: id) }
        let node = try allocate(1)[0]
        try writeRecord(node, id: id, labels: labels, vector: vector, codebook: headerMutex.withLock { codebook })
        if let existing {
            guard try idMap.repoint(id, from: existing, to: node) else { throw CalibyError.duplicateID(index: info.name, id: id) }
            if replacing { _ = try markDeleted(existing) }
        } else if try idMap.insert(id, node: node) != nil {
            throw CalibyError.duplicateID(index: info.name, id: id)
        }
        headerMutex.withLock {
            for label in labels where starts.start(of: label) == nil {
                starts.setStart(label, node)
            }
        }
        try link(node, vector: vector, labels: labels, alpha: alpha, scratch: s)
        return !replacing
    }
}

extension DiskANNIndex: PendingChanges {
    func writePendingChanges() throws { try shrinkOverfullLists() }
}

/// The order an insert takes a batch's vectors in through a pool smaller than the index: near
/// vectors one after another.
///
/// A graph insert walks the part of the graph around its vector. In input order (random, for most
/// loads) consecutive inserts walk unrelated parts, so through a pool a twelfth of the index half
/// of a build's page accesses missed. Taken cell by cell — each vector to the nearest of a few
/// dozen of the batch's own vectors — consecutive inserts walk the same part, which stays in the
/// pool: a quarter missed, and the build took half the time (BENCHMARKS.md, "Inserts in locality
/// order"). Node numbers follow the order too, so graph neighbours land in nearby pages.
///
/// Only there: the graph comes out a little worse (recall@10 at ef 32 on 300k × 128, 0.9406 →
/// 0.9385 with one thread), which an index the pool holds would pay for 16 % off its build time.
/// The cells are each batch's own, not the whole input's, so every batch adds to every part of the
/// graph: ordering the whole input cell by cell lost 0.994 → 0.986–0.989 at ef 80 on 1M × 128.
enum InsertOrder {
    /// Vectors per cell: enough consecutive inserts in one part of the graph to repay bringing its
    /// pages in.
    static let cellSize = 512
    /// At most this many cells, so a batch's cells are each a sizeable run.
    static let maxCells = 64

    /// `records` (positions in the batch: `ids[r]`, and the vector at `vectors + r * dimensions`)
    /// in the order to insert them from `threads` threads; as given when they are fewer than two
    /// cells. Stable within a cell, and every occurrence of an id goes to its first one's cell, so
    /// repeated ids (`--replace`) keep their input order and the last one still wins.
    static func of(_ records: [Int], vectors: UnsafePointer<Float>, dimensions: Int, ids: [UInt64], metric: Metric,
                   threads: Int) throws -> [Int] {
        let count = records.count
        let cells = min(maxCells, count / cellSize)
        guard cells >= 2 else { return records }
        let pivots = UnsafeMutablePointer<Float>.allocate(capacity: cells * dimensions)
        defer { pivots.deallocate() }
        for c in 0..<cells {
            // Drawn, not evenly spaced: an input that cycles through its groups (a vector of each
            // kind in turn) would put every evenly spaced pivot in one group.
            let drawn = records[Int(SplitMix.mix(UInt64(c)) % UInt64(count))]
            (pivots + c * dimensions).initialize(from: vectors + drawn * dimensions, count: dimensions)
            // Cosine: the nearest pivot by angle is the one of largest dot product once pivots are unit.
            if metric == .cosine { Distance.normalize(pivots + c * dimensions, dimensions) }
        }
        var cell = [Int](repeating: 0, count: count)
        let chunk = 1024
        try cell.withUnsafeMutableBufferPointer { cell in
            try parallelFor((count + chunk - 1) / chunk, threads: threads) { _, part in
                for i in part * chunk..<min(count, (part + 1) * chunk) {
                    cell[i] = nearest(vectors + records[i] * dimensions, pivots: pivots, cells: cells, dimensions: dimensions,
                                      metric: metric)
                }
            }
        }
        var firstCell: [UInt64: Int] = [:]
        firstCell.reserveCapacity(count)
        for i in 0..<count {
            let id = ids[records[i]]
            if let c = firstCell[id] { cell[i] = c } else { firstCell[id] = cell[i] }
        }
        // A counting sort by cell: stable, so input order within a cell.
        var cellStarts = [Int](repeating: 0, count: cells + 1)
        for c in cell { cellStarts[c + 1] += 1 }
        for c in 0..<cells { cellStarts[c + 1] += cellStarts[c] }
        var next = cellStarts
        var order = [Int](repeating: 0, count: count)
        for i in 0..<count {
            order[next[cell[i]]] = records[i]
            next[cell[i]] += 1
        }
        return interleaved(order, cellStarts: cellStarts, parts: threads)
    }

    /// `order` cut into `parts` runs of whole cells of about equal length (`cellStarts`: where each
    /// cell begins, then the end), taken one from each in turn. Inserts run side by side each take
    /// the next item, so they are then in different cells: side by side in one cell, two near
    /// vectors miss each other as neighbours (recall@10 at ef 96 on 300k × 128 fell 0.9977 → 0.9968
    /// with two threads, 0.9975 with one). Cells stay whole so that a repeated id's occurrences
    /// keep their order.
    static func interleaved(_ order: [Int], cellStarts: [Int], parts: Int) -> [Int] {
        guard parts > 1 else { return order }
        var cuts = [0]
        for part in 1..<parts {
            let target = part * order.count / parts
            cuts.append(cellStarts.min { abs($0 - target) < abs($1 - target) }!)
        }
        cuts.append(order.count)
        var result: [Int] = []
        result.reserveCapacity(order.count)
        for k in 0... {
            let taken = result.count
            for part in 0..<parts where cuts[part] + k < cuts[part + 1] { result.append(order[cuts[part] + k]) }
            if result.count == taken { break }
        }
        return result
    }

    private static func nearest(_ v: UnsafePointer<Float>, pivots: UnsafePointer<Float>, cells: Int, dimensions: Int,
                                metric: Metric) -> Int {
        var best = 0, bestDistance = Float.infinity
        for c in 0..<cells {
            let p = pivots + c * dimensions
            let d = metric == .cosine ? -Distance.dot(v, p, dimensions) : Distance.squaredL2(v, p, dimensions)
            if d < bestDistance { (best, bestDistance) = (c, d) }
        }
        return best
    }
}

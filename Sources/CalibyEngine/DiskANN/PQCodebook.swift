import CDistance

/// Product quantization (Jégou, Douze & Schmid, TPAMI 2011), as DiskANN uses it to steer its
/// search: the dimensions are cut into `subspaces` consecutive runs, each run of a vector is replaced
/// by the nearest of 256 centroids trained by k-means for that run, so a vector becomes one byte per
/// subspace. A query's distance to every centroid goes into a table once; the distance to a coded
/// vector is then one lookup per subspace.
///
/// Storage (in memory and in the file's codebook region, see DiskANNLayout): `256 · dimensions`
/// floats; subspace j (dimensions `start(j)..<start(j + 1)`, width w) owns floats
/// `256 · start(j) ..< 256 · start(j + 1)`, where coordinate t of centroid c is at `t · 256 + c`.
/// Transposed so that distances to all 256 centroids are SIMD over centroids (the `pq_table`
/// kernels of Sources/CDistance).
final class PQCodebook {
    static let centroids = 256
    /// k-means rounds: the assignment changes little after about ten on SIFT-like data, and every
    /// coded distance is only a guide that the exact distance of an expanded node corrects.
    static let trainingRounds = 12

    let dimensions: Int
    let subspaces: Int
    /// `256 · dimensions` floats, laid out as described above; owned.
    let coordinates: UnsafeMutablePointer<Float>

    var floatCount: Int { PQCodebook.centroids * dimensions }

    /// Subspace j starts at dimension `j · dimensions / subspaces`, so widths differ by at most one.
    @inline(__always) func start(_ j: Int) -> Int { j * dimensions / subspaces }

    /// An all-zero codebook, to be filled by `load` or `train`.
    init(dimensions: Int, subspaces: Int) {
        precondition((1...dimensions).contains(subspaces))
        self.dimensions = dimensions
        self.subspaces = subspaces
        coordinates = .allocate(capacity: PQCodebook.centroids * dimensions)
        coordinates.initialize(repeating: 0, count: PQCodebook.centroids * dimensions)
    }

    deinit { coordinates.deallocate() }

    /// Squared L2 (or, with `dot`, minus the inner product) from the run of `x` that subspace `j`
    /// covers (`x` points at the whole vector) to each of its 256 centroids.
    func centroidDistances(_ x: UnsafePointer<Float>, subspace j: Int, dot: Bool, into out: UnsafeMutablePointer<Float>) {
        let first = start(j)
        cdistance_active().pointee.pq_table(coordinates + PQCodebook.centroids * first, x + first,
                                            start(j + 1) - first, dot ? 1 : 0, out)
    }

    /// The nearest centroid of each subspace (in L2, whatever the metric, as the centroids were trained).
    func encode(_ x: UnsafePointer<Float>, into code: UnsafeMutablePointer<UInt8>) {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: PQCodebook.centroids) { d in
            for j in 0..<subspaces {
                centroidDistances(x, subspace: j, dot: false, into: d.baseAddress!)
                code[j] = UInt8(PQCodebook.argmin(d.baseAddress!))
            }
        }
    }

    @inline(__always)
    static func argmin(_ d: UnsafePointer<Float>) -> Int {
        var best = 0
        for c in 1..<centroids where d[c] < d[best] { best = c }
        return best
    }

    /// The query's table: `subspaces × 256` entries whose sum along a code is the metric's distance
    /// to the coded vector (for ip and cosine, `1 − Σ dot`: the 1 is folded into subspace 0).
    func fillTable(_ query: UnsafePointer<Float>, metric: Metric, into table: UnsafeMutablePointer<Float>) {
        let dot = metric != .l2
        for j in 0..<subspaces {
            centroidDistances(query, subspace: j, dot: dot, into: table + j * PQCodebook.centroids)
        }
        if dot { for c in 0..<PQCodebook.centroids { table[c] += 1 } }
    }

    /// The distance a query's table gives a code.
    @inline(__always)
    static func distance(_ code: UnsafeRawPointer, table: UnsafePointer<Float>, subspaces m: Int) -> Float {
        var a0: Float = 0, a1: Float = 0, a2: Float = 0, a3: Float = 0
        var j = 0
        while j + 4 <= m {
            a0 += table[j * 256 + Int(code.load(fromByteOffset: j, as: UInt8.self))]
            a1 += table[(j + 1) * 256 + Int(code.load(fromByteOffset: j + 1, as: UInt8.self))]
            a2 += table[(j + 2) * 256 + Int(code.load(fromByteOffset: j + 2, as: UInt8.self))]
            a3 += table[(j + 3) * 256 + Int(code.load(fromByteOffset: j + 3, as: UInt8.self))]
            j += 4
        }
        while j < m {
            a0 += table[j * 256 + Int(code.load(fromByteOffset: j, as: UInt8.self))]
            j += 1
        }
        return (a0 + a1) + (a2 + a3)
    }

    /// k-means for every subspace over `count` vectors (row-major at `sample`, count ≥ 256), the
    /// subspaces shared among `threads` workers. Deterministic: seeds and reseeds come from a fixed
    /// hash of the round and centroid, and each subspace is computed by one worker alone.
    func train(sample: UnsafePointer<Float>, count n: Int, threads: Int) throws {
        precondition(n >= PQCodebook.centroids)
        // Seeds: distinct sample rows picked by a fixed hash.
        let seeds = (0..<n).sorted { SplitMix.mix(UInt64($0)) < SplitMix.mix(UInt64($1)) }.prefix(PQCodebook.centroids)
        try parallelFor(subspaces, threads: threads) { _, j in trainSubspace(j, sample: sample, count: n, seeds: Array(seeds)) }
    }

    private func trainSubspace(_ j: Int, sample: UnsafePointer<Float>, count n: Int, seeds: [Int]) {
        let k = PQCodebook.centroids, first = start(j), width = start(j + 1) - first
        let centroid = coordinates + k * first
        for c in 0..<k { for t in 0..<width { centroid[t * k + c] = sample[seeds[c] * dimensions + first + t] } }
        var sums = [Double](repeating: 0, count: k * width)
        var counts = [Int](repeating: 0, count: k)
        withUnsafeTemporaryAllocation(of: Float.self, capacity: k) { distances in
            let d = distances.baseAddress!
            for round in 0..<PQCodebook.trainingRounds {
                for i in 0..<sums.count { sums[i] = 0 }
                for c in 0..<k { counts[c] = 0 }
                for i in 0..<n {
                    let row = sample + i * dimensions
                    centroidDistances(row, subspace: j, dot: false, into: d)
                    let c = PQCodebook.argmin(d)
                    counts[c] += 1
                    for t in 0..<width { sums[t * k + c] += Double(row[first + t]) }
                }
                for c in 0..<k {
                    if counts[c] > 0 {
                        for t in 0..<width { centroid[t * k + c] = Float(sums[t * k + c] / Double(counts[c])) }
                    } else {
                        // An empty cluster restarts at a sample row, so no centroid is wasted.
                        let row = Int(SplitMix.mix(UInt64(round * k + c) &+ 0x5851_F42D) % UInt64(n))
                        for t in 0..<width { centroid[t * k + c] = sample[row * dimensions + first + t] }
                    }
                }
            }
        }
    }
}

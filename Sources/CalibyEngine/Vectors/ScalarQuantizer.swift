import CDistance

/// Int8 codes of an index's vectors, which its searches walk the graph by (a quarter of float32's
/// bytes per hop, where a memory-bound search pays) before re-ranking their candidates by the
/// full vectors. One scale for every component and one offset per dimension: a vector x is
/// coded as c = round((x − offset) / scale), clamped to ±127, so that x ≈ offset + scale · c.
/// One shared scale keeps every distance a single kernel call over the codes (a scale per
/// dimension would weight each term).
///
/// The query is rounded too, to int16 in the same units (or, for inner products, in steps of its
/// own), so that a hop's distance is integer multiply-adds over bytes: at 384 dimensions, float
/// arithmetic on widened codes cost nearly as much as on float32 vectors (+8 % QPS, against +45 %
/// in integers; BENCHMARKS.md).
struct ScalarQuantizer: Equatable {
    let scale: Float
    let offsets: [Float]

    var dimensions: Int { offsets.count }

    /// Vectors enough for a quantizer's training: an index's quantizer learned from fewer is
    /// learned again as the index grows (HNSWIndex+Quantizer.swift).
    static let sampleSize = 2000
    /// The vectors of `count` the training looks at: all of them below 2 × sampleSize, else every
    /// (count / sampleSize)-th.
    static func trainingSample(count: Int) -> StrideTo<Int> { stride(from: 0, to: count, by: max(1, count / sampleSize)) }
    /// The share of sampled components that fit in ±127 codes; the rest, beyond, are clamped.
    /// A few outlying components would otherwise coarsen the scale for every other one.
    static let coveredShare = 0.9999

    init(scale: Float, offsets: [Float]) {
        self.scale = scale
        self.offsets = offsets
    }

    /// Learns offsets (the middle of each component's range) and the scale from `count` vectors
    /// of `dimensions`, as the index stores them (normalized for cosine).
    init(training vectors: UnsafePointer<Float>, count: Int, dimensions: Int) {
        precondition(count > 0, "a quantizer learns from at least one vector")
        let sample = (0..<count).map { vectors + $0 * dimensions }
        var low = [Float](repeating: .infinity, count: dimensions), high = [Float](repeating: -.infinity, count: dimensions)
        for v in sample {
            for j in 0..<dimensions {
                low[j] = min(low[j], v[j])
                high[j] = max(high[j], v[j])
            }
        }
        let offsets = (0..<dimensions).map { low[$0] / 2 + high[$0] / 2 }
        var deviations: [Float] = []
        deviations.reserveCapacity(sample.count * dimensions)
        for v in sample {
            for j in 0..<dimensions { deviations.append(abs(v[j] - offsets[j])) }
        }
        deviations.sort()
        let covered = deviations[min(deviations.count - 1, Int(Double(deviations.count) * ScalarQuantizer.coveredShare))]
        // Identical vectors leave nothing to scale: any positive scale codes them all as 0.
        self.init(scale: covered > 0 ? covered / 127 : 1, offsets: offsets)
    }

    /// Writes the codes of `vector` (`dimensions` signed bytes) at `codes`.
    func encode(_ vector: UnsafePointer<Float>, into codes: UnsafeMutableRawPointer) {
        let inverse = 1 / scale
        for j in 0..<offsets.count {
            let code = ((vector[j] - offsets[j]) * inverse).rounded()
            codes.storeBytes(of: Int8(max(-127, min(127, code))), toByteOffset: j, as: Int8.self)
        }
    }

    /// The query moved into code units for `metric`, written to `buffer` (`dimensions` int16s),
    /// rounded like the codes so that a distance is integer arithmetic (cdistance_i8_fn).
    func prepare(_ query: UnsafePointer<Float>, metric: Metric, into buffer: UnsafeMutablePointer<Int16>) -> CodeQuery {
        let kernels = cdistance_active().pointee
        let limit = Float(CDISTANCE_I8_QUERY_LIMIT)
        switch metric {
        case .l2:
            // ‖q − x‖² ≈ scale² · ‖(q − offset)/scale − c‖²; a query far outside the data is clamped,
            // which keeps it far from everything.
            let inverse = 1 / scale
            for j in 0..<offsets.count { buffer[j] = Int16(max(-limit, min(limit, ((query[j] - offsets[j]) * inverse).rounded()))) }
            return CodeQuery(query: UnsafePointer(buffer), dimensions: offsets.count, kernel: kernels.l2_i8!, constant: 0, factor: scale * scale)
        case .ip, .cosine:
            // 1 − ⟨q, x⟩ ≈ 1 − ⟨q, offset⟩ − scale · ⟨q, c⟩, with q in steps of its own largest
            // component / limit (its magnitude is the user's, not the data's).
            var dot: Float = 0, largest: Float = 0
            for j in 0..<offsets.count {
                dot += query[j] * offsets[j]
                largest = max(largest, abs(query[j]))
            }
            let step = largest > 0 ? largest / limit : 1
            for j in 0..<offsets.count { buffer[j] = Int16((query[j] / step).rounded()) }
            return CodeQuery(query: UnsafePointer(buffer), dimensions: offsets.count, kernel: kernels.dot_i8!, constant: 1 - dot,
                             factor: -scale * step)
        }
    }

    /// The floats the index file keeps (HNSWLayout's quantizer region): the scale, then the offsets.
    var floats: [Float] { [scale] + offsets }

    /// Reads what `floats` wrote, refusing values no training produces.
    init(floats: [Float], path: String) throws {
        guard let scale = floats.first, scale.isFinite, scale > 0 else {
            throw CalibyError.corrupt(path: path, detail: "the int8 quantizer's scale \(floats.first ?? 0) is not a positive number")
        }
        guard let bad = floats.dropFirst().firstIndex(where: { !$0.isFinite }) else {
            self.init(scale: scale, offsets: Array(floats.dropFirst()))
            return
        }
        throw CalibyError.corrupt(path: path, detail: "the int8 quantizer's offset \(bad - 1) is \(floats[bad]), not a number")
    }
}

/// A query against int8 codes: an estimate of the metric's distance from `query`'s original to
/// the coded vector, in the same units as the exact distance: constant + factor · kernel(q, c).
struct CodeQuery {
    let query: UnsafePointer<Int16>
    let dimensions: Int
    /// l2: the i8 squared distance; ip and cosine: the i8 dot product.
    let kernel: cdistance_i8_fn
    /// ip and cosine: 1 − ⟨q, offset⟩; l2: 0.
    let constant: Float
    /// l2: scale²; ip and cosine: −scale · the query's step.
    let factor: Float

    @inline(__always)
    func distance(_ codes: UnsafeRawPointer) -> Float {
        constant + factor * kernel(query, codes.assumingMemoryBound(to: Int8.self), dimensions)
    }
}

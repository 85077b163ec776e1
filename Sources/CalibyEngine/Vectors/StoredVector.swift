import CDistance

/// The bytes of one stored vector in an index's precision: the only place that knows how a
/// component is laid out in a page. Queries and every vector handed in or out stay float32; only
/// the copy in the page may be float16.
struct StoredVector {
    let precision: VectorPrecision
    let dimensions: Int
    /// The active kernels for this precision, fetched once so that a distance is one indirect
    /// call. The stored operand's pointer type is erased to raw: `l2` and `dot` are the float32
    /// or the float16 kernels as `precision` says, and are only ever handed this layout's bytes.
    private let l2: RawKernel, dot: RawKernel
    private typealias RawKernel = @convention(c) (UnsafePointer<Float>?, UnsafeRawPointer?, Int) -> Float

    init(precision: VectorPrecision, dimensions: Int) {
        self.precision = precision
        self.dimensions = dimensions
        let kernels = cdistance_active().pointee
        switch precision {
        case .float32:
            l2 = unsafeBitCast(kernels.l2_f32!, to: RawKernel.self)
            dot = unsafeBitCast(kernels.dot_f32!, to: RawKernel.self)
        case .float16:
            l2 = unsafeBitCast(kernels.l2_f16!, to: RawKernel.self)
            dot = unsafeBitCast(kernels.dot_f16!, to: RawKernel.self)
        }
    }

    var byteCount: Int { dimensions * precision.bytesPerComponent }

    /// The largest magnitude a float16 component holds; anything beyond would become infinite.
    static let float16Limit = Float(Float16.greatestFiniteMagnitude)

    /// The metric's distance from a float32 `query` to the vector stored at `stored`.
    @inline(__always)
    func distance(_ query: UnsafePointer<Float>, _ stored: UnsafeRawPointer, metric: Metric) -> Float {
        switch metric {
        case .l2: return l2(query, stored, dimensions)
        case .ip, .cosine: return 1 - dot(query, stored, dimensions)
        }
    }

    func encode(_ vector: UnsafePointer<Float>, into stored: UnsafeMutableRawPointer) {
        switch precision {
        case .float32: stored.copyMemory(from: vector, byteCount: byteCount)
        case .float16: cdistance_active().pointee.to_f16(vector, stored.assumingMemoryBound(to: UInt16.self), dimensions)
        }
    }

    func decode(_ stored: UnsafeRawPointer, into vector: UnsafeMutablePointer<Float>) {
        switch precision {
        case .float32: UnsafeMutableRawPointer(vector).copyMemory(from: stored, byteCount: byteCount)
        case .float16: cdistance_active().pointee.from_f16(stored.assumingMemoryBound(to: UInt16.self), vector, dimensions)
        }
    }

    /// Rounds `vector` in place to exactly what `encode` will keep, so that an insert links the
    /// node by the distances later searches will see.
    func round(_ vector: UnsafeMutablePointer<Float>) {
        guard precision == .float16 else { return }
        withUnsafeTemporaryAllocation(of: UInt16.self, capacity: dimensions) { halves in
            let kernels = cdistance_active().pointee
            kernels.to_f16(vector, halves.baseAddress, dimensions)
            kernels.from_f16(halves.baseAddress, vector, dimensions)
        }
    }

    func isFinite(_ stored: UnsafeRawPointer) -> Bool {
        switch precision {
        case .float32:
            return UnsafeBufferPointer(start: stored.assumingMemoryBound(to: Float.self), count: dimensions).allSatisfy(\.isFinite)
        case .float16:
            return (0..<dimensions).allSatisfy { stored.loadUnaligned(fromByteOffset: 2 * $0, as: Float16.self).isFinite }
        }
    }

    /// The first component of `batch` this precision cannot hold, as an error naming its record.
    func checkRange(_ batch: VectorBatch, index: String) throws {
        guard precision == .float16 else { return }
        let limit = StoredVector.float16Limit
        guard let at = batch.vectors.firstIndex(where: { abs($0) > limit }) else { return }
        throw CalibyError.badInput(location: "record \(batch.firstRecordNumber + at / dimensions)",
                                   message: "value \(batch.vectors[at]) is beyond ±65504, the range of float16 index '\(index)'")
    }
}

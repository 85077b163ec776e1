/// The bytes of one stored vector in an index's precision: the only place that knows how a
/// component is laid out in a page. Queries and every vector handed in or out stay float32; only
/// the copy in the page may be float16.
struct StoredVector {
    let precision: VectorPrecision
    let dimensions: Int

    init(precision: VectorPrecision, dimensions: Int) {
        self.precision = precision
        self.dimensions = dimensions
    }

    var byteCount: Int { dimensions * precision.bytesPerComponent }

    /// The largest magnitude a float16 component holds; anything beyond would become infinite.
    static let float16Limit = Float(Float16.greatestFiniteMagnitude)

    /// The metric's distance from a float32 `query` to the vector stored at `stored`.
    @inline(__always)
    func distance(_ query: UnsafePointer<Float>, _ stored: UnsafeRawPointer, metric: Metric) -> Float {
        switch precision {
        case .float32: return Distance.between(query, stored, dimensions, metric: metric, as: Float32Lanes.self)
        case .float16: return Distance.between(query, stored, dimensions, metric: metric, as: Float16Lanes.self)
        }
    }

    func encode(_ vector: UnsafePointer<Float>, into stored: UnsafeMutableRawPointer) {
        switch precision {
        case .float32: stored.copyMemory(from: vector, byteCount: byteCount)
        case .float16:
            for i in 0..<dimensions { stored.storeBytes(of: Float16(vector[i]), toByteOffset: 2 * i, as: Float16.self) }
        }
    }

    func decode(_ stored: UnsafeRawPointer, into vector: UnsafeMutablePointer<Float>) {
        switch precision {
        case .float32: UnsafeMutableRawPointer(vector).copyMemory(from: stored, byteCount: byteCount)
        case .float16:
            let out = UnsafeMutableRawPointer(vector)
            var i = 0
            while i + 8 <= dimensions {
                out.storeBytes(of: Float16Lanes.eight(stored, at: i), toByteOffset: 4 * i, as: SIMD8<Float>.self)
                i += 8
            }
            while i < dimensions {
                vector[i] = Float16Lanes.one(stored, at: i)
                i += 1
            }
        }
    }

    /// Rounds `vector` in place to exactly what `encode` will keep, so that an insert links the
    /// node by the distances later searches will see.
    func round(_ vector: UnsafeMutablePointer<Float>) {
        guard precision == .float16 else { return }
        for i in 0..<dimensions { vector[i] = Float(Float16(vector[i])) }
    }

    func isFinite(_ stored: UnsafeRawPointer) -> Bool {
        switch precision {
        case .float32:
            return UnsafeBufferPointer(start: stored.assumingMemoryBound(to: Float.self), count: dimensions).allSatisfy(\.isFinite)
        case .float16:
            return (0..<dimensions).allSatisfy { Float16Lanes.one(stored, at: $0).isFinite }
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

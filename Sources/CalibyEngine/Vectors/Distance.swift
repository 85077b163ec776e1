import CDistance

/// Distance kernels: the hot path of every search and build. The arithmetic is C
/// (Sources/CDistance) in the instruction set chosen once per process; see `Kernels`.
package enum Distance {
    @inline(__always)
    package static func squaredL2(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Float {
        cdistance_active().pointee.l2_f32(a, b, count)
    }

    @inline(__always)
    package static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Float {
        cdistance_active().pointee.dot_f32(a, b, count)
    }

    /// The metric's distance, smaller is closer. Cosine vectors are normalized before they get here.
    @inline(__always)
    package static func between(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int, metric: Metric) -> Float {
        switch metric {
        case .l2: return squaredL2(a, b, count)
        case .ip, .cosine: return 1 - dot(a, b, count)
        }
    }

    /// Scales `vector` to unit length in place (cosine); a zero vector stays zero.
    package static func normalize(_ vector: UnsafeMutablePointer<Float>, _ count: Int) {
        let norm = dot(vector, vector, count).squareRoot()
        guard norm > 0 else { return }
        let scale = 1 / norm
        for i in 0..<count { vector[i] *= scale }
    }
}

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

    /// `between` from `a` to four vectors at once, into `out[0..<4]`: `a` is loaded once for the
    /// four (cdistance_f32_four_fn).
    @inline(__always)
    package static func between(_ a: UnsafePointer<Float>, four b0: UnsafePointer<Float>, _ b1: UnsafePointer<Float>,
                                _ b2: UnsafePointer<Float>, _ b3: UnsafePointer<Float>, _ count: Int, metric: Metric,
                                into out: UnsafeMutablePointer<Float>) {
        switch metric {
        case .l2: cdistance_active().pointee.l2_f32_four(a, b0, b1, b2, b3, count, out)
        case .ip, .cosine:
            cdistance_active().pointee.dot_f32_four(a, b0, b1, b2, b3, count, out)
            for i in 0..<4 { out[i] = 1 - out[i] }
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

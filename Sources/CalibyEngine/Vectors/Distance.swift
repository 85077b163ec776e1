/// Distance kernels: the hot path of every search and build.
///
/// Explicit `SIMD8<Float>` over unaligned pointer loads, two accumulators to hide add latency, and
/// no fused multiply-add (with a target CPU that has FMA it measured slower here; without one it is a
/// library call per lane). The package builds these with `-target-cpu haswell` so they become AVX2,
/// and the float16 loads F16C's `vcvtph2ps`.
package enum Distance {
    @inline(__always)
    package static func squaredL2(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Float {
        squaredL2(a, UnsafeRawPointer(b), count, as: Float32Lanes.self)
    }

    @inline(__always)
    package static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Float {
        dot(a, UnsafeRawPointer(b), count, as: Float32Lanes.self)
    }

    /// The one L2 kernel; `B` says how the second operand's components are stored. Specialized and
    /// inlined per caller, so each storage type gets its own straight-line loop.
    @inline(__always)
    static func squaredL2<B: StoredLanes>(_ a: UnsafePointer<Float>, _ b: UnsafeRawPointer, _ count: Int, as _: B.Type) -> Float {
        var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>()
        let ra = UnsafeRawPointer(a)
        var i = 0
        while i + 16 <= count {
            let d0 = ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) - B.eight(b, at: i)
            let d1 = ra.loadUnaligned(fromByteOffset: i * 4 + 32, as: SIMD8<Float>.self) - B.eight(b, at: i + 8)
            acc0 += d0 * d0
            acc1 += d1 * d1
            i += 16
        }
        if i + 8 <= count {
            let d0 = ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) - B.eight(b, at: i)
            acc0 += d0 * d0
            i += 8
        }
        var sum = (acc0 + acc1).sum()
        while i < count {
            let d = a[i] - B.one(b, at: i)
            sum += d * d
            i += 1
        }
        return sum
    }

    @inline(__always)
    static func dot<B: StoredLanes>(_ a: UnsafePointer<Float>, _ b: UnsafeRawPointer, _ count: Int, as _: B.Type) -> Float {
        var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>()
        let ra = UnsafeRawPointer(a)
        var i = 0
        while i + 16 <= count {
            acc0 += ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) * B.eight(b, at: i)
            acc1 += ra.loadUnaligned(fromByteOffset: i * 4 + 32, as: SIMD8<Float>.self) * B.eight(b, at: i + 8)
            i += 16
        }
        if i + 8 <= count {
            acc0 += ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) * B.eight(b, at: i)
            i += 8
        }
        var sum = (acc0 + acc1).sum()
        while i < count {
            sum += a[i] * B.one(b, at: i)
            i += 1
        }
        return sum
    }

    /// The metric's distance, smaller is closer. Cosine vectors are normalized before they get here.
    @inline(__always)
    package static func between(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int, metric: Metric) -> Float {
        between(a, UnsafeRawPointer(b), count, metric: metric, as: Float32Lanes.self)
    }

    /// The metric's distance to a second operand stored as `B` says (StoredVector's float16 copies:
    /// `vcvtph2ps` widens 8 halves per load, F16C being part of the haswell target).
    @inline(__always)
    static func between<B: StoredLanes>(_ a: UnsafePointer<Float>, _ b: UnsafeRawPointer, _ count: Int, metric: Metric,
                                        as lanes: B.Type) -> Float {
        switch metric {
        case .l2: return squaredL2(a, b, count, as: lanes)
        case .ip, .cosine: return 1 - dot(a, b, count, as: lanes)
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

/// How a stored vector's components are read as float32: component `i` onward, eight at a time or
/// one. Unaligned loads: a record's vector starts wherever the layout puts it.
protocol StoredLanes {
    static func eight(_ base: UnsafeRawPointer, at i: Int) -> SIMD8<Float>
    static func one(_ base: UnsafeRawPointer, at i: Int) -> Float
}

enum Float32Lanes: StoredLanes {
    @inline(__always) static func eight(_ base: UnsafeRawPointer, at i: Int) -> SIMD8<Float> {
        base.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
    }
    @inline(__always) static func one(_ base: UnsafeRawPointer, at i: Int) -> Float {
        base.loadUnaligned(fromByteOffset: i * 4, as: Float.self)
    }
}

enum Float16Lanes: StoredLanes {
    @inline(__always) static func eight(_ base: UnsafeRawPointer, at i: Int) -> SIMD8<Float> {
        SIMD8<Float>(base.loadUnaligned(fromByteOffset: i * 2, as: SIMD8<Float16>.self))
    }
    @inline(__always) static func one(_ base: UnsafeRawPointer, at i: Int) -> Float {
        Float(base.loadUnaligned(fromByteOffset: i * 2, as: Float16.self))
    }
}

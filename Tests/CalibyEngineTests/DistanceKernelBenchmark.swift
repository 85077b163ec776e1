import CDistance
import Foundation
import XCTest
@testable import CalibyEngine

/// Nanoseconds per distance call, cache-resident (64 stored vectors), best of seven runs: each
/// kernel set this CPU runs, called directly, and the engine's own path (`StoredVector.distance`,
/// which the base commit's Swift kernels also had, so the same loop measures them there); for
/// float32 also one vector to four at once (`l2-four`, per distance).
/// Skipped unless CALIBY_KERNEL_BENCH is set:
///
///     CALIBY_KERNEL_BENCH=1 swift test -c release -Xswiftc -enable-testing --disable-swift-testing \
///         --skip-build --filter DistanceKernelBenchmark
final class DistanceKernelBenchmark: XCTestCase {
    private static let vectors = 64, calls = 400_000

    private func bestNanoseconds(_ body: (Int) -> Float) -> Double {
        var best = Double.infinity, sink: Float = 0
        for _ in 0..<7 {
            let start = DispatchTime.now().uptimeNanoseconds
            for i in 0..<Self.calls { sink += body(i % Self.vectors) }
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / Double(Self.calls))
        }
        XCTAssertFalse(sink.isNaN)
        return best
    }

    func testNanosecondsPerCall() throws {
        guard ProcessInfo.processInfo.environment["CALIBY_KERNEL_BENCH"] != nil else {
            throw XCTSkip("set CALIBY_KERNEL_BENCH=1 to run this benchmark")
        }
        let mask = cdistance_supported()
        let sets = [CDISTANCE_PORTABLE, CDISTANCE_AVX2, CDISTANCE_AVX512]
            .filter { mask & (1 << $0.rawValue) != 0 }.map { cdistance_implementation($0)!.pointee }
        var rng = SeededGenerator(seed: 7)
        for dims in [128, 384, 768] {
            let query = (0..<dims).map { _ in Float.random(in: -1..<1, using: &rng) }
            let base = (0..<dims * Self.vectors).map { _ in Float.random(in: -1..<1, using: &rng) }
            for precision in VectorPrecision.allCases {
                let stored = StoredVector(precision: precision, dimensions: dims)
                let bytes = UnsafeMutableRawPointer.allocate(byteCount: stored.byteCount * Self.vectors, alignment: 64)
                defer { bytes.deallocate() }
                base.withUnsafeBufferPointer { b in
                    for v in 0..<Self.vectors { stored.encode(b.baseAddress! + v * dims, into: bytes + v * stored.byteCount) }
                }
                query.withUnsafeBufferPointer { q in
                    let q = q.baseAddress!, size = stored.byteCount
                    for metric in [Metric.l2, .ip] {
                        let ns = bestNanoseconds { stored.distance(q, bytes + $0 * size, metric: metric) }
                        print(String(format: "kernels engine %@ %d %@ %.2f ns", precision.rawValue, dims, metric.rawValue, ns))
                    }
                    for k in sets {
                        let name = String(cString: k.name)
                        let timings: [(String, Double)]
                        switch precision {
                        case .float32:
                            let l2 = k.l2_f32!, dot = k.dot_f32!, l2Four = k.l2_f32_four!
                            let f = bytes.assumingMemoryBound(to: Float.self)
                            let four = UnsafeMutablePointer<Float>.allocate(capacity: 4)
                            defer { four.deallocate() }
                            // One to four, per distance: the first of four neighbouring vectors.
                            func stored(_ i: Int) -> UnsafePointer<Float> { UnsafePointer(f + i % Self.vectors * dims) }
                            timings = [("l2", bestNanoseconds { l2(q, f + $0 * dims, dims) }),
                                       ("ip", bestNanoseconds { dot(q, f + $0 * dims, dims) }),
                                       ("l2-four", bestNanoseconds { i in
                                           l2Four(q, stored(i), stored(i + 1), stored(i + 2), stored(i + 3), dims, four)
                                           return four[0]
                                       } / 4)]
                        case .float16:
                            let l2 = k.l2_f16!, dot = k.dot_f16!
                            let h = bytes.assumingMemoryBound(to: UInt16.self)
                            timings = [("l2", bestNanoseconds { l2(q, h + $0 * dims, dims) }),
                                       ("ip", bestNanoseconds { dot(q, h + $0 * dims, dims) })]
                        }
                        for (metric, ns) in timings {
                            print(String(format: "kernels %@ %@ %d %@ %.2f ns", name, precision.rawValue, dims, metric, ns))
                        }
                    }
                }
            }
        }
    }
}

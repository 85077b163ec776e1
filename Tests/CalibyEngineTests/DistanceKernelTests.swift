import CDistance
import XCTest
@testable import CalibyEngine

/// Every kernel set this CPU can run, called directly (not only the one the process chose), against
/// a double-precision reference; and the choice among them.
final class DistanceKernelTests: XCTestCase {
    private var runnable: [cdistance_kernels] {
        let mask = cdistance_supported()
        return [CDISTANCE_PORTABLE, CDISTANCE_AVX2, CDISTANCE_AVX512]
            .filter { mask & (1 << $0.rawValue) != 0 }
            .map { cdistance_implementation($0)!.pointee }
    }

    private var generator = SeededGenerator(seed: 13)

    private func randomVector(_ count: Int) -> [Float] {
        (0..<count).map { _ in Float.random(in: -2..<2, using: &generator) }
    }

    /// |got − reference| within a bound relative to Σ|term|: float32 sums of a few hundred terms
    /// lose a few ulps of that, while one missed or doubled component costs about 1/count of it.
    private func assertClose(_ got: Float, _ terms: [Double], _ what: @autoclosure () -> String) {
        let reference = terms.reduce(0, +), magnitude = terms.reduce(0) { $0 + abs($1) }
        XCTAssertLessThanOrEqual(abs(Double(got) - reference), 4e-6 * magnitude + 1e-30, what())
    }

    func testEveryRunnableSetAgreesWithTheReference() {
        XCTAssertTrue(runnable.count >= 1)
        for count in 1...300 {
            let a = randomVector(count), b = randomVector(count)
            let halves = b.map { Float16($0) }
            let widened = halves.map { Double(Float($0)) }
            let l2 = zip(a, b).map { (Double($0) - Double($1)) * (Double($0) - Double($1)) }
            let dot = zip(a, b).map { Double($0) * Double($1) }
            let l2Half = zip(a, widened).map { (Double($0) - $1) * (Double($0) - $1) }
            let dotHalf = zip(a, widened).map { Double($0) * $1 }
            // Codes span the whole int8 range (−128 included), the query the int16 range the
            // kernels are specified for.
            let codes = (0..<count).map { _ in Int8.random(in: .min ... .max, using: &generator) }
            let limit = Int16(CDISTANCE_I8_QUERY_LIMIT)
            let query = (0..<count).map { _ in Int16.random(in: -limit ... limit, using: &generator) }
            for k in runnable {
                let name = String(cString: k.name)
                a.withUnsafeBufferPointer { a in
                    b.withUnsafeBufferPointer { b in
                        assertClose(k.l2_f32(a.baseAddress, b.baseAddress, count), l2, "\(name) l2 f32 at \(count)")
                        assertClose(k.dot_f32(a.baseAddress, b.baseAddress, count), dot, "\(name) dot f32 at \(count)")
                    }
                    halves.withUnsafeBytes { h in
                        let h = h.baseAddress!.assumingMemoryBound(to: UInt16.self)
                        assertClose(k.l2_f16(a.baseAddress, h, count), l2Half, "\(name) l2 f16 at \(count)")
                        assertClose(k.dot_f16(a.baseAddress, h, count), dotHalf, "\(name) dot f16 at \(count)")
                    }
                }
                assertInt8Kernels(k, query, codes)
            }
        }
    }

    /// From one vector to four at once (DiskANN's prune), each of the four against the reference.
    func testOneToFourAgreesWithTheReferenceInEverySet() {
        for count in 1...300 {
            let a = randomVector(count), bs = (0..<4).map { _ in randomVector(count) }
            let l2: [[Double]] = bs.map { b in
                zip(a, b).map { x, y -> Double in (Double(x) - Double(y)) * (Double(x) - Double(y)) }
            }
            let dot: [[Double]] = bs.map { b in zip(a, b).map { x, y -> Double in Double(x) * Double(y) } }
            for k in runnable {
                let name = String(cString: k.name)
                var out = [Float](repeating: .nan, count: 4)
                let pointers = bs.map { _ in UnsafeMutablePointer<Float>.allocate(capacity: count) }
                defer { pointers.forEach { $0.deallocate() } }
                for (p, b) in zip(pointers, bs) { p.initialize(from: b, count: count) }
                a.withUnsafeBufferPointer { a in
                    k.l2_f32_four(a.baseAddress, pointers[0], pointers[1], pointers[2], pointers[3], count, &out)
                    for i in 0..<4 { assertClose(out[i], l2[i], "\(name) l2 f32 one to four, vector \(i) at \(count)") }
                    k.dot_f32_four(a.baseAddress, pointers[0], pointers[1], pointers[2], pointers[3], count, &out)
                    for i in 0..<4 { assertClose(out[i], dot[i], "\(name) dot f32 one to four, vector \(i) at \(count)") }
                }
            }
        }
    }

    /// Both int8 kernels of set `k` against the exact integer sums.
    private func assertInt8Kernels(_ k: cdistance_kernels, _ query: [Int16], _ codes: [Int8]) {
        let name = String(cString: k.name), count = query.count
        let l2 = zip(query, codes).map { (Double($0) - Double($1)) * (Double($0) - Double($1)) }
        let dot = zip(query, codes).map { Double($0) * Double($1) }
        query.withUnsafeBufferPointer { q in
            codes.withUnsafeBufferPointer { c in
                assertClose(k.l2_i8(q.baseAddress, c.baseAddress, count), l2, "\(name) l2 i8 at \(count)")
                assertClose(k.dot_i8(q.baseAddress, c.baseAddress, count), dot, "\(name) dot i8 at \(count)")
            }
        }
    }

    /// The int8 kernels at the extremes their int32 lanes must hold (the query at ±limit against
    /// codes of the other sign, −128 included), across the 2048-component blocks they sum in.
    func testInt8KernelsDoNotOverflowAtTheirLimits() {
        let limit = Int16(CDISTANCE_I8_QUERY_LIMIT)
        for count in [31, 2047, 2048, 2049, 6200, 65_536] {
            let query = (0..<count).map { $0 % 2 == 0 ? limit : -limit }
            let codes = (0..<count).map { $0 % 2 == 0 ? Int8.min : Int8.max }
            for k in runnable { assertInt8Kernels(k, query, codes) }
        }
    }

    /// The widening of halves, exactly, for every finite bit pattern: subnormals and ±65504
    /// included (the portable set converts without F16C). Compared as values: a sum starting at +0
    /// turns −0 into +0.
    func testEveryFiniteHalfWidensExactly() {
        var one: Float = 1
        for k in runnable {
            for bits in UInt16.min...UInt16.max where Float16(bitPattern: bits).isFinite {
                var stored = bits
                let got = k.dot_f16(&one, &stored, 1), expected = Float(Float16(bitPattern: bits))
                XCTAssertEqual(got, expected, "\(String(cString: k.name)) widens \(bits)")
                if got != expected { break }
            }
        }
    }

    /// Narrowing rounds as Swift's `Float16(_:)` does (to nearest, ties to even, overflow to
    /// infinity): at every half, at the midpoints between neighbours and just either side of them,
    /// and at random floats; widening back (`from_f16`) as the distance kernels widen. Lengths that
    /// are not a multiple of any vector width exercise the tails.
    func testConversionsToAndFromHalvesRoundLikeSwift() {
        var floats: [Float] = []
        for bits in UInt16(0)..<0x7c00 {
            let h = Float(Float16(bitPattern: bits)), next = Float(Float16(bitPattern: bits + 1))
            let middle = (h + next) / 2
            floats += [h, -h, middle, -middle, middle.nextUp, middle.nextDown]
        }
        floats += (0..<10_001).map { _ in Float.random(in: -70_000..<70_000, using: &generator) }
        floats += [65519, 65520, 1e9, .infinity, -.infinity, Float.leastNonzeroMagnitude, 1e-8, -3e-8]
        let expected = floats.map { Float16($0).bitPattern }
        for k in runnable {
            let name = String(cString: k.name)
            var halves = [UInt16](repeating: 0, count: floats.count)
            k.to_f16(floats, &halves, floats.count)
            let wrong = (0..<floats.count).first { halves[$0] != expected[$0] }
            XCTAssertNil(wrong.map { "\(floats[$0]) became \(halves[$0]), not \(expected[$0])" }, "\(name) to_f16")
            var widened = [Float](repeating: .nan, count: floats.count)
            k.from_f16(halves, &widened, floats.count)
            XCTAssertEqual(widened, halves.map { Float(Float16(bitPattern: $0)) }, "\(name) from_f16")
        }
    }

    func testProductQuantizationTablesAgreeWithTheReference() {
        for width in [1, 3, 8, 17] {
            let centroids = randomVector(256 * width), sub = randomVector(width)
            for k in runnable {
                for dot in [false, true] {
                    var out = [Float](repeating: .nan, count: 256)
                    k.pq_table(centroids, sub, width, dot ? 1 : 0, &out)
                    for c in 0..<256 {
                        let terms = (0..<width).map { t -> Double in
                            let x = Double(centroids[t * 256 + c]), y = Double(sub[t])
                            return dot ? -x * y : (x - y) * (x - y)
                        }
                        assertClose(out[c], terms, "\(String(cString: k.name)) pq width \(width) dot \(dot) centroid \(c)")
                    }
                }
            }
        }
    }

    private func choose(_ request: String?, _ sets: [cdistance_isa]) -> (String, String?) {
        let mask = sets.reduce(UInt32(0)) { $0 | 1 << $1.rawValue }
        var refused: UnsafePointer<CChar>?
        let isa = request.map { cdistance_choose($0, mask, &refused) } ?? cdistance_choose(nil, mask, &refused)
        return (String(cString: cdistance_implementation(isa)!.pointee.name), refused.map { String(cString: $0) })
    }

    func testTheChoiceIsTheBestSupportedSetUnlessARunnableOneIsNamed() {
        let all = [CDISTANCE_PORTABLE, CDISTANCE_AVX2, CDISTANCE_AVX512], noAVX512 = [CDISTANCE_PORTABLE, CDISTANCE_AVX2]
        XCTAssertEqual(choose(nil, all).0, "avx512")
        XCTAssertEqual(choose("", noAVX512).0, "avx2")
        XCTAssertEqual(choose(nil, [CDISTANCE_PORTABLE]).0, "portable")
        XCTAssertTrue(choose("avx2", all) == ("avx2", nil))
        XCTAssertTrue(choose("portable", all) == ("portable", nil))
        XCTAssertTrue(choose("avx512", noAVX512) == ("avx2", "this CPU cannot run them"))
        XCTAssertTrue(choose("avx2", [CDISTANCE_PORTABLE]) == ("portable", "this CPU cannot run them"))
        XCTAssertTrue(choose("AVX2", all) == ("avx512", "not one of portable, avx2, avx512"))
    }

    /// The process's choice is what the selection gives for its own environment and CPU.
    func testTheActiveSetFollowsTheEnvironment() {
        let request = getenv("CALIBY_KERNELS").map { String(cString: $0) }
        var refused: UnsafePointer<CChar>?
        let isa = cdistance_choose(request, cdistance_supported(), &refused)
        let active = Kernels.active
        XCTAssertEqual(active.name, String(cString: cdistance_implementation(isa)!.pointee.name))
        XCTAssertEqual(active.refusal != nil, refused != nil)
        XCTAssertTrue(active.supported.contains(active.name))
        XCTAssertEqual(active.supported.first, "portable")
    }
}

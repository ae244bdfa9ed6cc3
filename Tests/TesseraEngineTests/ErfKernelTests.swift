import CTesseraKernels
import Foundation
import Testing
import TesseraEngine

/// tsk_unary_f32's erf and exact GELU, each variant forced, against Foundation's double
/// `erf` / `erfc`. The bounds are in units in the last place of the float result (for
/// results too small to be normal floats, of the smallest normal's spacing).
@Suite("CPU kernels: erf and GELU")
struct ErfKernelTests {
    static let variants: [(tsk_variant, String)] = [
        (TSK_VARIANT_GENERIC, "generic"), (TSK_VARIANT_AVX2, "avx2"), (TSK_VARIANT_AVX512, "avx512"),
    ]

    /// gelu(x) = x Phi(x), through erfc so the double reference does not cancel for x < 0.
    static func gelu(_ x: Double) -> Double { 0.5 * x * Foundation.erfc(-x / 2.0.squareRoot()) }

    static func ulps(_ actual: Float, _ expected: Double) -> Double {
        if actual.isNaN || expected.isNaN { return actual.isNaN == expected.isNaN ? 0 : .infinity }
        if expected.isInfinite { return Double(actual) == expected ? 0 : .infinity }
        let spacing = max(Double(Float(expected).magnitude.ulp), Double(Float.leastNormalMagnitude.ulp))
        return abs(Double(actual) - expected) / spacing
    }

    /// Region boundaries of the vector code (0.75 for erf, 0.75 sqrt 2 for GELU), where erf
    /// rounds to 1, where erfc underflows, denormals, and the specials.
    static let specials: [Float] = [
        0, -0.0, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .leastNormalMagnitude, 1e-20, -1e-20, 1e-7,
        0.7499999, 0.75, 0.7500001, -0.75, 1.0606601, 1.0606602, -1.0606601, -1.0606602, 1, -1, 2, -2,
        3.9, 3.95, -3.95, 5, -5, 9.3, -9.3, 10.06, -10.06, 12, 16, -16, 20, -20, 1e10, -1e10,
        .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .infinity, -.infinity, .nan,
    ]

    /// The specials, then a sweep over [-12, 12] (dense in the GELU tail), then random values.
    static let sweep: [Float] = specials
        + stride(from: Float(-12), through: 12, by: 0.0173).map { $0 }
        + stride(from: Float(-10), through: -5, by: 0.00731).map { $0 }
        + randomFloats(2000, seed: 11, in: -6...6)

    /// Runs `op` over `values` in calls of `size` elements, so every value also lands in a
    /// vector tail for sizes that are not a multiple of the vector width.
    static func run(_ variant: tsk_variant, _ op: tsk_unary_op, _ values: [Float], size: Int) -> [Float]? {
        var y = [Float](repeating: .nan, count: values.count)
        var start = 0
        while start < values.count {
            let n = min(size, values.count - start)
            let ok = values.withUnsafeBufferPointer { x in
                y.withUnsafeMutableBufferPointer { tsk_unary_f32(variant, op, n, x.baseAddress! + start, $0.baseAddress! + start) }
            }
            if ok == 0 { return nil }
            start += n
        }
        return y
    }

    static func supported(_ name: String) -> Bool {
        let avx2 = CPU.features.contains("avx2") && CPU.features.contains("fma")
        switch name {
        case "generic": return true
        case "avx2": return avx2
        default: return avx2 && CPU.features.contains("avx512f")
        }
    }

    @Test("erf is within 3 ulp of the double reference, odd sizes included", arguments: [1, 7, 17, 1000])
    func erf(size: Int) {
        for (variant, name) in Self.variants {
            guard let y = Self.run(variant, TSK_UNARY_ERF, Self.sweep, size: size) else {
                #expect(!Self.supported(name), "\(name) refused although the CPU runs it")
                continue
            }
            for (x, value) in zip(Self.sweep, y) {
                let error = Self.ulps(value, Foundation.erf(Double(x)))
                #expect(error <= 3, "\(name) size \(size): erf(\(x)) = \(value), expected \(Foundation.erf(Double(x))), \(error) ulp")
            }
        }
    }

    @Test("erf keeps the sign of zero and maps ±inf to ±1 and NaN to NaN")
    func erfSpecials() {
        let x: [Float] = [0, -0.0, .infinity, -.infinity, .nan]
        for (variant, name) in Self.variants {
            guard let y = Self.run(variant, TSK_UNARY_ERF, x, size: x.count) else { continue }
            #expect(y[0] == 0 && y[0].sign == .plus, "\(name)")
            #expect(y[1] == 0 && y[1].sign == .minus, "\(name)")
            #expect(y[2] == 1 && y[3] == -1 && y[4].isNaN, "\(name): \(y)")
        }
    }

    @Test("exact GELU matches the double reference; the vector form to 7 ulp", arguments: [1, 7, 17, 1000])
    func gelu(size: Int) {
        for (variant, name) in Self.variants {
            guard let y = Self.run(variant, TSK_UNARY_GELU_ERF, Self.sweep, size: size) else {
                #expect(!Self.supported(name), "\(name) refused although the CPU runs it")
                continue
            }
            for (x, value) in zip(Self.sweep, y) {
                let expected = Self.gelu(Double(x))
                let error = Self.ulps(value, expected)
                // The C library path rounds x / sqrt 2 to float before erfc, which costs
                // about x^2 ulp in the tail; the vector path splits x^2 exactly.
                let bound = name == "generic" && x.isFinite ? 3 + 2 * Double(x) * Double(x) : 7
                #expect(error <= bound, "\(name) size \(size): gelu(\(x)) = \(value), expected \(expected), \(error) ulp")
            }
        }
    }

    @Test("GELU from -10 to -5 is a tiny negative number with good relative accuracy")
    func geluTail() {
        let x = stride(from: Float(-10), through: -5, by: 0.25).map { $0 }
        for (variant, name) in Self.variants {
            guard let y = Self.run(variant, TSK_UNARY_GELU_ERF, x, size: x.count) else { continue }
            for (input, value) in zip(x, y) {
                let expected = Self.gelu(Double(input))
                #expect(value < 0 && value.isNormal, "\(name): gelu(\(input)) = \(value)")
                let relative = abs(Double(value) - expected) / abs(expected)
                #expect(relative < (name == "generic" ? 2e-5 : 1e-6), "\(name): gelu(\(input)) = \(value), expected \(expected)")
            }
        }
        // gelu(-10) = -10 Phi(-10) = -7.6198530241605e-23 (erfc(10 / sqrt 2) / 2 = 7.6198530241605e-24).
        if let y = Self.run(TSK_VARIANT_AVX2, TSK_UNARY_GELU_ERF, [-10], size: 1) {
            #expect(abs(Double(y[0]) + 7.6198530241605e-23) < 1e-6 * 7.6198530241605e-23, "gelu(-10) = \(y[0])")
        }
    }

    @Test("GELU of the specials: ±0, +inf, NaN, and -inf as -inf * 0 = NaN")
    func geluSpecials() {
        let x: [Float] = [0, -0.0, .infinity, -.infinity, .nan, 100, -100]
        for (variant, name) in Self.variants {
            guard let y = Self.run(variant, TSK_UNARY_GELU_ERF, x, size: x.count) else { continue }
            #expect(y[0] == 0 && y[1] == 0 && y[2] == .infinity && y[3].isNaN && y[4].isNaN, "\(name): \(y)")
            #expect(y[5] == 100 && y[6] == 0, "\(name): \(y)")
        }
    }

    @Test("the AVX-512 variant gives the AVX2 variant's bits for every unary op, tails included (NaN as NaN)",
          arguments: [1, 7, 17, 31, 1000])
    func avx512MatchesAVX2(size: Int) {
        guard Self.supported("avx512") else {
            #expect(Self.run(TSK_VARIANT_AVX512, TSK_UNARY_ERF, [1], size: 1) == nil, "avx512 ran on a CPU without it")
            return
        }
        let values = Self.sweep + randomFloats(3000, seed: 12, in: -100...100)
        for op in [TSK_UNARY_RELU, TSK_UNARY_SIGMOID, TSK_UNARY_TANH, TSK_UNARY_ERF, TSK_UNARY_GELU_ERF, TSK_UNARY_GELU_TANH] {
            guard let wide = Self.run(TSK_VARIANT_AVX512, op, values, size: size),
                  let narrow = Self.run(TSK_VARIANT_AVX2, op, values, size: size) else {
                Issue.record("op \(op.rawValue): a supported variant refused the call")
                continue
            }
            // NaN results only have to be NaN: which NaN operand an instruction propagates (and
            // so the sign of a NaN) depends on the compiler's operand order.
            let differing = zip(values, zip(wide, narrow)).first { _, pair in
                pair.0.isNaN || pair.1.isNaN ? pair.0.isNaN != pair.1.isNaN : pair.0.bitPattern != pair.1.bitPattern
            }
            #expect(differing == nil, "op \(op.rawValue) size \(size): x = \(differing.map { "\($0.0)" } ?? ""), avx512 \(differing.map { "\($0.1.0)" } ?? ""), avx2 \(differing.map { "\($0.1.1)" } ?? "")")
        }
    }
}

import CTesseraKernels
import Testing
import TesseraEngine

/// Each kernel variant is forced explicitly and checked against a double-precision
/// reference, so every path the CPU supports is tested.
@Suite("CPU kernels")
struct KernelTests {
    static let variants: [(tsk_variant, String)] = [(TSK_VARIANT_GENERIC, "generic"), (TSK_VARIANT_AVX2, "avx2")]

    @Test("sdot matches a double-precision reference for odd sizes", arguments: [0, 1, 7, 8, 17, 1000])
    func sdot(count: Int) {
        var generator = SplitMix(seed: UInt64(count) + 1)
        let a = (0..<count).map { _ in Float.random(in: -1...1, using: &generator) }
        let b = (0..<count).map { _ in Float.random(in: -1...1, using: &generator) }
        let reference = zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        for (variant, name) in Self.variants {
            var result: Float = .nan
            let supported = tsk_sdot(variant, a, b, count, &result)
            if name == "avx2" && !CPU.features.contains("avx2") {
                #expect(supported == 0)
                continue
            }
            #expect(supported == 1)
            #expect(abs(Double(result) - reference) <= 1e-5 * Double(max(count, 1)), "\(name) gave \(result), expected \(reference)")
        }
    }

    @Test("the automatic choice names a variant the CPU supports")
    func automatic() {
        let name = CPU.kernelVariant
        #expect(name == (CPU.features.contains("avx2") && CPU.features.contains("fma") ? "avx2+fma" : "generic"))
    }
}

/// A small deterministic generator so the inputs are the same on every run.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

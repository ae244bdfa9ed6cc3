import CTesseraKernels
import Testing
@testable import TesseraEngine

/// Where with every operand either the output's shape or one element (the attention NaN
/// guard `Where(IsNaN(s), 0, s)`) takes a C fast path; other broadcasts keep the general one.
/// Both are checked against a NumPy-style reference written here.
@Suite("Ops: Where and IsNaN fast paths")
struct WhereFastPathTests {
    /// condition ? x : y over the NumPy broadcast of the three shapes, one element at a time.
    static func reference<T>(_ condition: [Bool], _ cShape: [Int], _ x: [T], _ xShape: [Int], _ y: [T], _ yShape: [Int],
                             out: [Int]) -> [T] {
        func offset(_ index: [Int], _ shape: [Int]) -> Int {
            let padded = [Int](repeating: 1, count: out.count - shape.count) + shape
            var offset = 0
            for axis in out.indices { offset = offset * padded[axis] + (padded[axis] == 1 ? 0 : index[axis]) }
            return offset
        }
        let count = out.reduce(1, *)
        return (0..<count).map { flat in
            var index = [Int](repeating: 0, count: out.count), rest = flat
            for axis in out.indices.reversed() {
                index[axis] = rest % out[axis]
                rest /= out[axis]
            }
            return condition[offset(index, cShape)] ? x[offset(index, xShape)] : y[offset(index, yShape)]
        }
    }

    static func flags(_ count: Int, seed: UInt64) -> [Bool] {
        var generator = SplitMix(seed: seed)
        return (0..<count).map { _ in Bool.random(using: &generator) }
    }

    /// (condition, X, Y) shapes: the fast path's patterns first, then general broadcasts.
    static let shapes: [([Int], [Int], [Int])] = [
        ([2, 3, 5], [2, 3, 5], [2, 3, 5]), ([2, 3, 5], [], [2, 3, 5]), ([2, 3, 5], [2, 3, 5], [1]),
        ([2, 3, 5], [1, 1], [1]), ([1], [2, 3, 5], [2, 3, 5]), ([], [2, 3, 5], []), ([1, 12, 7, 7], [], [1, 12, 7, 7]),
        ([2, 1, 5], [1, 3, 1], [2, 3, 5]), ([5], [2, 3, 5], []), ([2, 3, 1], [], [2, 3, 5]),
    ]

    @Test("FP32 Where matches the reference for same-shape, scalar and general broadcasts", arguments: Self.shapes)
    func float(shapes: ([Int], [Int], [Int])) throws {
        let (cShape, xShape, yShape) = shapes
        let out = Shapes.broadcast(Shapes.broadcast(xShape, yShape)!, cShape)!
        let condition = Self.flags(cShape.reduce(1, *), seed: 1)
        let x = randomFloats(xShape.reduce(1, *), seed: 2), y = randomFloats(yShape.reduce(1, *), seed: 3)
        let result = try runOp("Where", [bools(cShape, condition), floats(xShape, x), floats(yShape, y)])
        #expect(result.shape == out)
        #expect(result.floats == Self.reference(condition, cShape, x, xShape, y, yShape, out: out))
    }

    @Test("INT64, INT32 and BOOL Where match the reference (8-, 4- and 1-byte elements)", arguments: Self.shapes)
    func integers(shapes: ([Int], [Int], [Int])) throws {
        let (cShape, xShape, yShape) = shapes
        let out = Shapes.broadcast(Shapes.broadcast(xShape, yShape)!, cShape)!
        let condition = Self.flags(cShape.reduce(1, *), seed: 4)
        let (xCount, yCount) = (xShape.reduce(1, *), yShape.reduce(1, *))
        let x64 = (0..<xCount).map { Int64($0) << 33 | 5 }, y64 = (0..<yCount).map { -Int64($0) - 1 }
        let longs = try runOp("Where", [bools(cShape, condition), int64s(xShape, x64), int64s(yShape, y64)], output: .int64)
        #expect(longs.int64Values == Self.reference(condition, cShape, x64, xShape, y64, yShape, out: out))
        let x32 = (0..<xCount).map { Int32($0) + 100 }, y32 = (0..<yCount).map { -Int32($0) - 1 }
        let ints = try runOp("Where", [bools(cShape, condition), int32s(xShape, x32), int32s(yShape, y32)], output: .int32)
        #expect(ints.int32Values == Self.reference(condition, cShape, x32, xShape, y32, yShape, out: out))
        let xb = Self.flags(xCount, seed: 5), yb = Self.flags(yCount, seed: 6)
        let flags = try runOp("Where", [bools(cShape, condition), bools(xShape, xb), bools(yShape, yb)], output: .bool)
        #expect(flags.boolValues == Self.reference(condition, cShape, xb, xShape, yb, yShape, out: out))
    }

    @Test("the attention guard Where(IsNaN(s), 0, s) zeroes exactly the NaNs and keeps payloads", arguments: [1, 7, 17, 1000])
    func nanGuard(count: Int) throws {
        let payload = Float(bitPattern: 0x7FC0_1234)
        let s = randomFloats(count, seed: UInt64(count)).enumerated().map { index, value -> Float in
            switch index % 7 {
            case 1: .nan
            case 3: .infinity
            case 5: -.infinity
            case 6: -0.0
            default: value
            }
        }
        let isNaN = try runOp("IsNaN", [floats([count], s)], output: .bool)
        #expect(isNaN.boolValues == s.map(\.isNaN))
        let guarded = try runOp("Where", [isNaN, floats([], [0]), floats([count], s)])
        #expect(guarded.floats.map(\.bitPattern) == s.map { $0.isNaN ? 0 : $0.bitPattern })
        // The other way round, the payload is copied bit for bit.
        let kept = try runOp("Where", [isNaN, floats([count], s.map { $0.isNaN ? payload : $0 }), floats([], [1])])
        #expect(kept.floats.map(\.bitPattern) == s.map { $0.isNaN ? payload.bitPattern : Float(1).bitPattern })
    }

    @Test("each variant of tsk_where and tsk_isnan_f32 matches the reference for every step pattern",
          arguments: [1, 7, 17, 1000])
    func variants(count: Int) {
        let condition = Self.flags(count, seed: UInt64(count) + 9).map { UInt8($0 ? 1 : 0) }
        let x = randomFloats(count, seed: 7), y = randomFloats(count, seed: 8)
        let xn = x.enumerated().map { $0.offset % 3 == 0 ? Float.nan : $0.element }
        for variant in [TSK_VARIANT_GENERIC, TSK_VARIANT_AVX2] {
            var nan = [UInt8](repeating: 9, count: count)
            guard tsk_isnan_f32(variant, count, xn, &nan) == 1 else {
                #expect(variant == TSK_VARIANT_AVX2 && !CPU.features.contains("avx2"))
                continue
            }
            #expect(nan == xn.map { $0.isNaN ? 1 : 0 }, "variant \(variant.rawValue)")
            for (cStep, xStep, yStep) in [(1, 1, 1), (1, 0, 1), (1, 1, 0), (1, 0, 0), (0, 1, 1), (0, 0, 1)] {
                var out = [Float](repeating: .nan, count: count)
                #expect(tsk_where(variant, 4, count, condition, cStep, x, xStep, y, yStep, &out) == 1)
                let expected = (0..<count).map { condition[$0 * cStep] != 0 ? x[$0 * xStep] : y[$0 * yStep] }
                #expect(out == expected, "variant \(variant.rawValue) steps \(cStep) \(xStep) \(yStep)")
            }
            var bytes = [UInt8](repeating: 0, count: count)
            #expect(tsk_where(variant, 1, count, condition, 1, condition, 1, condition, 1, &bytes) == 0, "1-byte elements are refused")
        }
    }
}

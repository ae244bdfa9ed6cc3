import Foundation
import NIOCore
import Testing
import TesseraEngine
@testable import TesseraServer

/// The response writer's output read back by Foundation's JSONSerialization: floating-point
/// values bit for bit, integers exactly, strings character for character.
@Suite("JSON writer")
struct JSONWriterTests {
    static func parse(_ write: (inout JSONWriter) -> Void) throws -> Any {
        var writer = JSONWriter(capacity: 16)
        write(&writer)
        return try JSONSerialization.jsonObject(with: Data(writer.buffer.readableBytesView), options: .fragmentsAllowed)
    }

    static func edgeFloats() -> [Float] {
        var values: [Float] = [0, -0.0, 1, -1, 0.1, 5.1, 1e-7, 16_777_216, 16_777_218, .leastNonzeroMagnitude, .leastNormalMagnitude,
                               .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .ulpOfOne, 1 / 3, 100, 1e10, 123_456.79]
        var generator = SystemRandomNumberGenerator()
        while values.count < 3000 {
            let value = Float(bitPattern: generator.next())
            if value.isFinite { values.append(value) }
        }
        return values
    }

    @Test("every Float reads back bit for bit, through Double as JSON readers do")
    func floats() throws {
        let values = Self.edgeFloats()
        let parsed = try Self.parse { writer in
            writer.raw("[")
            for (index, value) in values.enumerated() {
                if index > 0 { writer.raw(",") }
                writer.number(value)
            }
            writer.raw("]")
        }
        let numbers = try #require(parsed as? [NSNumber])
        #expect(numbers.count == values.count)
        for (number, value) in zip(numbers, values) {
            #expect(Float(number.doubleValue).bitPattern == value.bitPattern, "\(value) read back as \(number)")
        }
    }

    /// Read back with JSONDecoder: on Linux, JSONSerialization rounds some doubles to a
    /// neighbour a few units in the last place away, which would hide the writer's own errors.
    @Test("every Double reads back bit for bit")
    func doubles() throws {
        var values: [Double] = [0, -0.0, 0.1, 1e300, .leastNonzeroMagnitude, .greatestFiniteMagnitude, 9_007_199_254_740_994,
                                2.2250738585072014e-308]
        var generator = SystemRandomNumberGenerator()
        while values.count < 3000 {
            let value = Double(bitPattern: generator.next())
            if value.isFinite { values.append(value) }
        }
        var writer = JSONWriter(capacity: 16)
        writer.raw("[")
        for (index, value) in values.enumerated() {
            if index > 0 { writer.raw(",") }
            writer.number(value)
        }
        writer.raw("]")
        let decoded = try JSONDecoder().decode([Double].self, from: Data(writer.buffer.readableBytesView))
        #expect(decoded.count == values.count)
        for (got, value) in zip(decoded, values) {
            #expect(got.bitPattern == value.bitPattern, "\(value) read back as \(got)")
        }
    }

    @Test("NaN and the infinities are the strings Python's json reads back")
    func nonFinite() throws {
        #expect(try Self.parse { $0.number(Float.nan) } as? String == "NaN")
        #expect(try Self.parse { $0.number(Float.infinity) } as? String == "Infinity")
        #expect(try Self.parse { $0.number(-Double.infinity) } as? String == "-Infinity")
    }

    @Test("integers are written exactly at every type's edges")
    func integers() throws {
        var writer = JSONWriter(capacity: 4)
        for value in [Int64.min, -1, 0, 7, Int64.max] {
            writer.integer(value)
            writer.raw(" ")
        }
        writer.integer(UInt64.max)
        writer.raw(" ")
        writer.integer(Int8.min)
        #expect(String(buffer: writer.buffer) == "-9223372036854775808 -1 0 7 9223372036854775807 18446744073709551615 -128")
    }

    @Test("strings are escaped so they read back unchanged")
    func strings() throws {
        let samples = ["", "plain", "quote \" and backslash \\", "a/b", "tab\tnew\nline\rreturn", "\u{0}\u{1}\u{1F}\u{7F}",
                       "\u{8}\u{C}", "héllo 日本語 😀", "\u{2028}\u{2029}"]
        for text in samples {
            #expect(try Self.parse { $0.string(text) } as? String == text, "\(text.debugDescription)")
        }
    }

    @Test("the whole response: the protocol's fields, id only when given, FP16 and BF16 exact")
    func response() throws {
        let half: [Float16] = [0.1, -65504, 6e-8]
        let halfTensor = try Tensor(dtype: .fp16, shape: [3], storage: half.withUnsafeBytes { TensorStorage(copying: $0) })
        let brain: [UInt16] = [0x3F80, 0xC2F7, 0x0001]
        let brainTensor = try Tensor(dtype: .bf16, shape: [1, 3], storage: brain.withUnsafeBytes { TensorStorage(copying: $0) })
        let (headers, body) = try InferenceResponse.encode(model: "m\"odel", version: 3, id: nil,
                                                           outputs: [("h", halfTensor), ("b", brainTensor)], binary: [])
        #expect(headers[.contentType] == "application/json")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any])
        #expect(json["model_name"] as? String == "m\"odel")
        #expect(json["model_version"] as? String == "3")
        #expect(json.keys.contains("id") == false)
        let outputs = try #require(json["outputs"] as? [[String: Any]])
        #expect(outputs.map { $0["datatype"] as? String } == ["FP16", "BF16"])
        #expect(outputs[1]["shape"] as? [Int] == [1, 3])
        let halves = try #require(outputs[0]["data"] as? [NSNumber]).map { Float16(Float($0.doubleValue)) }
        #expect(halves.map(\.bitPattern) == half.map(\.bitPattern))
        let brains = try #require(outputs[1]["data"] as? [NSNumber]).map { BFloat16.bits(Float($0.doubleValue)) }
        #expect(brains == brain)

        let (_, withID) = try InferenceResponse.encode(model: "m", version: 1, id: "r\n1", outputs: [("h", halfTensor)], binary: [])
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(withID.readableBytesView)) as? [String: Any])
        #expect(parsed["id"] as? String == "r\n1")
    }
}

import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Testing
import TesseraEngine
@testable import TesseraServer

/// Every Open Inference Protocol datatype through the request decoder and the response
/// encoder, as JSON and as binary tensor data, with values chosen at each type's edges.
@Suite("Inference codec")
struct InferenceCodecTests {
    /// Datatype, JSON values (as the client writes them), and the little-endian bytes they must
    /// become. Never written after initialization, so sharing it across tests is safe.
    nonisolated(unsafe) static let cases: [(String, [Any], [UInt8])] = [
        ("BOOL", [true, false, true], [1, 0, 1]),
        ("UINT8", [0, 255], [0, 255]),
        ("INT8", [-128, 127], [0x80, 0x7F]),
        ("UINT16", [65535, 1], [0xFF, 0xFF, 1, 0]),
        ("INT16", [-32768, 2], [0x00, 0x80, 2, 0]),
        ("UINT32", [4_294_967_295], [0xFF, 0xFF, 0xFF, 0xFF]),
        ("INT32", [-2], [0xFE, 0xFF, 0xFF, 0xFF]),
        ("UINT64", [UInt64.max], [UInt8](repeating: 0xFF, count: 8)),
        ("INT64", [Int64.min, 9_007_199_254_740_993], [0, 0, 0, 0, 0, 0, 0, 0x80, 1, 0, 0, 0, 0, 0, 0x20, 0]),
        ("FP16", [1.5, -2], [0x00, 0x3E, 0x00, 0xC0]),
        ("BF16", [1.5, -2], [0xC0, 0x3F, 0x00, 0xC0]),
        ("FP32", [0.1, -3], [0xCD, 0xCC, 0xCC, 0x3D, 0x00, 0x00, 0x40, 0xC0]),
        ("FP64", [0.5], [0, 0, 0, 0, 0, 0, 0xE0, 0x3F]),
    ]

    static func decode(_ object: [String: Any], binary: [UInt8] = []) throws -> (InferenceRequest, [String: InferenceCodec.Payload]) {
        let json = try JSONSerialization.data(withJSONObject: object)
        var buffer = ByteBuffer(bytes: json)
        buffer.writeBytes(binary)
        return try InferenceCodec.decodeRequest(buffer, headerLength: binary.isEmpty ? nil : json.count)
    }

    static func bytes(_ payload: InferenceCodec.Payload?) -> [UInt8]? {
        guard case .tensor(let tensor)? = payload else { return nil }
        return Array(tensor.storage.bytes)
    }

    @Test("JSON data of every datatype decodes to the exact element bytes, nested or flat", arguments: 0..<cases.count)
    func jsonDecoding(_ index: Int) throws {
        let (datatype, values, expected) = Self.cases[index]
        let (_, flat) = try Self.decode(["inputs": [["name": "x", "shape": [values.count], "datatype": datatype, "data": values]]])
        #expect(Self.bytes(flat["x"]) == expected, "\(datatype)")
        let nested = values.map { [$0] }
        let (_, rows) = try Self.decode(["inputs": [["name": "x", "shape": [values.count, 1], "datatype": datatype, "data": nested]]])
        #expect(Self.bytes(rows["x"]) == expected, "\(datatype) nested")
    }

    @Test("binary data of every datatype is taken as is, and a wrong size is refused", arguments: 0..<cases.count)
    func binaryDecoding(_ index: Int) throws {
        let (datatype, values, expected) = Self.cases[index]
        let input: [String: Any] = ["name": "x", "shape": [values.count], "datatype": datatype,
                                    "parameters": ["binary_data_size": expected.count]]
        let (_, payloads) = try Self.decode(["inputs": [input]], binary: expected)
        #expect(Self.bytes(payloads["x"]) == expected)
        #expect(throws: APIError.self) { _ = try Self.decode(["inputs": [input]], binary: expected + [0]) }
    }

    @Test("outputs of every datatype encode as JSON numbers (booleans for BOOL) and as raw bytes", arguments: 0..<cases.count)
    func encoding(_ index: Int) throws {
        let (datatype, values, expected) = Self.cases[index]
        let dtype = try #require(DType(name: datatype))
        let tensor = try Tensor(dtype: dtype, shape: [values.count], storage: expected.withUnsafeBytes { TensorStorage(copying: $0) })
        let (_, json) = try InferenceResponse.encode(model: "m", version: 1, id: "r", outputs: [("y", tensor)], binary: [])
        let body = try #require(try JSONSerialization.jsonObject(with: Data(json.readableBytesView)) as? [String: Any])
        let output = try #require((body["outputs"] as? [[String: Any]])?.first)
        #expect(output["datatype"] as? String == datatype)
        let data = try #require(output["data"] as? [Any])
        #expect(data.count == values.count)
        if datatype == "BOOL" {
            #expect(data as? [Bool] == values as? [Bool])
        } else if datatype.hasPrefix("FP") || datatype == "BF16" {
            for (got, want) in zip(data, values) {
                #expect(abs((got as! NSNumber).doubleValue - (want as! NSNumber).doubleValue) < 1e-6)
            }
        } else {
            // Integers must survive exactly, including 64-bit ones beyond 2^53.
            let text = String(buffer: json)
            for value in values { #expect(text.contains("\(value)"), "\(datatype) \(value)") }
        }

        let (headers, raw) = try InferenceResponse.encode(model: "m", version: 1, id: nil, outputs: [("y", tensor)], binary: ["y"])
        let length = try #require(headers[.inferenceHeaderContentLength].flatMap { Int($0) })
        #expect(Array(raw.readableBytesView.dropFirst(length)) == expected)
    }

    @Test("BYTES elements decode from JSON strings and from length-prefixed binary")
    func bytes() throws {
        let (_, json) = try Self.decode(["inputs": [["name": "t", "shape": [2], "datatype": "BYTES", "data": ["héllo", ""]]]])
        guard case .strings(let strings, let shape)? = json["t"] else { Issue.record("not strings"); return }
        #expect(strings == [Data("héllo".utf8), Data()])
        #expect(shape == [2])
        let binary: [UInt8] = [2, 0, 0, 0] + Array("ok".utf8) + [0, 0, 0, 0]
        let input: [String: Any] = ["name": "t", "shape": [2], "datatype": "BYTES", "parameters": ["binary_data_size": binary.count]]
        let (_, raw) = try Self.decode(["inputs": [input]], binary: binary)
        guard case .strings(let decoded, _)? = raw["t"] else { Issue.record("not strings"); return }
        #expect(decoded == [Data("ok".utf8), Data()])
        // A length prefix that runs past the data.
        #expect(throws: APIError.self) { _ = try Self.decode(["inputs": [input]], binary: [9, 0, 0, 0, 1, 2, 3, 4]) }
    }
}


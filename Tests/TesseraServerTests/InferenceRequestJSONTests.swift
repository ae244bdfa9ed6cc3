import Foundation
import NIOCore
import Testing
import TesseraEngine
@testable import TesseraServer

/// Inference request bodies through the hand-written reader: field order, unknown fields,
/// escapes, parameters of any JSON value, and the 400s for bodies it must refuse.
@Suite("Inference request JSON")
struct InferenceRequestJSONTests {
    static func decode(_ text: String) throws -> (InferenceRequest, [String: InferenceCodec.Payload]) {
        try InferenceCodec.decodeRequest(ByteBuffer(string: text), headerLength: nil)
    }

    static func floats(_ payload: InferenceCodec.Payload?) -> [Float]? {
        guard case .tensor(let tensor)? = payload, tensor.dtype == .fp32 else { return nil }
        return Array(tensor.storage.bytes.bindMemory(to: Float.self))
    }

    /// The message of the 400 `text` gets, or nil if it is accepted.
    static func refusal(_ text: String) -> String? {
        do {
            _ = try decode(text)
            return nil
        } catch let error as APIError {
            #expect(error.status == .badRequest, "\(error.message)")
            return error.message
        } catch {
            Issue.record("not an APIError: \(error)")
            return "\(error)"
        }
    }

    @Test("fields in any order, unknown fields at any level, and whitespace everywhere read the same")
    func layout() throws {
        let documents = [
            #"{"inputs":[{"name":"x","shape":[2,2],"datatype":"FP32","data":[[1,2.5],[-3e0,4]]}]}"#,
            #"{"inputs":[{"data":[[1,2.5],[-3e0,4]],"datatype":"FP32","shape":[2,2],"name":"x"}]}"#,
            #"{"inputs":[{"data":[1,2.5,-3e0,4],"name":"x","extra":{"deep":[1,{"a":null}]},"datatype":"FP32","shape":[2,2]}]}"#,
            #" { "unknown" : [ true , false , null ] , "inputs" : [ { "name" : "x" , "shape" : [ 2 , 2 ] , "datatype" : "FP32" , "data" : [ 1 , 2.5 , -3E+0 , 4 ] } ] } "#,
            "{\n\t\"inputs\": [{\"\\u006eame\": \"x\", \"shape\": [2.0, 2], \"datatype\": \"FP\\u00332\", \"data\": [1, 25e-1, -3, 4.0]}]\r\n}",
        ]
        for text in documents {
            let (request, payloads) = try Self.decode(text)
            #expect(request.inputs.map(\.name) == ["x"], "\(text)")
            #expect(request.inputs.first?.shape == [2, 2], "\(text)")
            #expect(Self.floats(payloads["x"]) == [1, 2.5, -3, 4], "\(text)")
        }
    }

    @Test("the request's fields match what Foundation reads from the same body")
    func againstFoundation() throws {
        let object: [String: Any] = [
            "id": "req-\u{1F600}-\"quoted\"\n",
            "parameters": ["binary_data_output": false, "priority": 3, "ratio": 0.25, "tag": "a/b", "nested": ["k": [1, "two", NSNull()]]],
            "inputs": [["name": "x", "shape": [3], "datatype": "INT64", "data": [Int64.min, 0, Int64.max],
                        "parameters": ["note": "ü"]]],
            "outputs": [["name": "y", "parameters": ["binary_data": true]], ["name": "z"]],
        ]
        let json = try JSONSerialization.data(withJSONObject: object)
        let (request, payloads) = try Self.decode(String(decoding: json, as: UTF8.self))
        #expect(request.id == object["id"] as? String)
        let parameters = try #require(request.parameters)
        #expect(parameters["binary_data_output"] == .bool(false))
        #expect(parameters["priority"] == .int(3))
        #expect(parameters["ratio"] == .double(0.25))
        #expect(parameters["tag"] == .string("a/b"))
        #expect(parameters["nested"] == .object(["k": .array([.int(1), .string("two"), .null])]))
        #expect(request.inputs[0].parameters?["note"] == .string("ü"))
        #expect(request.outputs?.map(\.name) == ["y", "z"])
        #expect(request.outputs?.map(\.wantsBinary) == [true, nil])
        guard case .tensor(let tensor)? = payloads["x"] else { Issue.record("no tensor"); return }
        #expect(Array(tensor.storage.bytes.bindMemory(to: Int64.self)) == [Int64.min, 0, Int64.max])
    }

    @Test("BYTES strings keep every escape and character")
    func strings() throws {
        let text = #"{"inputs":[{"name":"t","shape":[4],"datatype":"BYTES","data":["a\"b\\c\/d","\u00e9\u65e5","\ud83d\ude00😀","\b\f\n\r\t\u0000"]}]}"#
        let (_, payloads) = try Self.decode(text)
        guard case .strings(let strings, _)? = payloads["t"] else { Issue.record("not strings"); return }
        #expect(strings == ["a\"b\\c/d", "é日", "😀😀", "\u{8}\u{C}\n\r\t\u{0}"].map { Data($0.utf8) })
    }

    @Test("data nests to any depth within the limit, but not unevenly")
    func nesting() throws {
        let deep = String(repeating: "[", count: 20) + "7" + String(repeating: "]", count: 20)
        let (_, payloads) = try Self.decode(#"{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":\#(deep)}]}"#)
        #expect(Self.floats(payloads["x"]) == [7])
        let mixed = Self.refusal(#"{"inputs":[{"name":"x","shape":[2],"datatype":"FP32","data":[1,[2]]}]}"#)
        #expect(mixed?.contains("mixes values and arrays") == true, "\(mixed ?? "accepted")")
        let hostile = String(repeating: "[", count: 50_000)
        let message = Self.refusal(#"{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":\#(hostile)"#)
        #expect(message?.contains("deeper than") == true, "\(message ?? "accepted")")
    }

    /// Bodies that must be refused, and a fragment of the message that tells the client why.
    static let refused: [(String, String)] = [
        ("", "empty"),
        ("[]", "JSON object with 'inputs'"),
        (#"{"inputs": [ {"name": "#, "not valid JSON"),
        (#"{"inputs": []} x"#, "end of the body after the JSON document at byte 15"),
        (#"{"id": "r"}"#, "no 'inputs'"),
        (#"{"inputs": {}}"#, "'inputs' must be an array"),
        (#"{"inputs": [{"shape": [1], "datatype": "FP32", "data": [1]}]}"#, "input 0 has no 'name'"),
        (#"{"inputs": [{"name": "x", "datatype": "FP32", "data": [1]}]}"#, "input 'x' has no 'shape'"),
        (#"{"inputs": [{"name": "x", "shape": [1.5], "datatype": "FP32", "data": [1]}]}"#, "array of integers; found 1.5 at byte"),
        (#"{"inputs": [{"name": 7, "shape": [1], "datatype": "FP32", "data": [1]}]}"#, "must be a string; found a number at byte 21"),
        (#"{"inputs": [{"name": "x", "name": "y", "shape": [1], "datatype": "FP32", "data": [1]}]}"#, "'name' twice"),
        (#"{"inputs": [], "inputs": []}"#, "'inputs' twice"),
        (#"{"parameters": {"a": 1, "a": 2}, "inputs": []}"#, "'a' twice"),
        (#"{"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": ["a"]}]}"#, "input 'x': 'data' must be a (nested) array of FP32 values; found a string at byte"),
        (#"{"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": null}]}"#, "found null"),
        (#"{"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": [1e39]}]}"#, "1e39 (at byte"),
        (#"{"inputs": [{"name": "x", "shape": [1], "datatype": "FP16", "data": [70000]}]}"#, "cannot be stored as FP16"),
        (#"{"inputs": [{"name": "x", "shape": [1], "datatype": "INT8", "data": [128]}]}"#, "cannot be stored as INT8"),
        (#"{"inputs": [{"name": "x", "shape": [1], "datatype": "UINT8", "data": [-1]}]}"#, "cannot be stored as UINT8"),
        (#"{"inputs": [{"name": "x", "shape": [1], "datatype": "INT32", "data": [1.5]}]}"#, "without fractions"),
        (#"{"inputs": [{"name": "x", "shape": [1], "datatype": "INT64", "data": [9223372036854775808]}]}"#, "9223372036854775808"),
        (#"{"inputs": [{"name": "x", "shape": [1], "datatype": "UINT64", "data": [123456789012345678901234567890]}]}"#, "cannot be stored as UINT64"),
        (#"{"inputs": [{"name": "x", "shape": [1], "datatype": "BOOL", "data": [1]}]}"#, "array of BOOL values; found a number"),
        (#"{"inputs": [{"name": "x", "shape": [1], "datatype": "BYTES", "data": [1]}]}"#, "array of BYTES values; found a number"),
        (#"{"inputs": [{"data": [1], "name": "x", "shape": [1], "datatype": "FLOAT"}]}"#, "datatype 'FLOAT'"),
        (#"{"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": [1,]}]}"#, "expected a value at byte 71"),
        ("{\"inputs\": [{\"name\": \"x\u{1}\"}]}", "raw control character"),
    ]

    @Test("bodies it must refuse get a 400 saying what and where", arguments: 0..<refused.count)
    func refusals(_ index: Int) {
        let (text, fragment) = Self.refused[index]
        let message = Self.refusal(text)
        #expect(message?.contains(fragment) == true, "\(text): \(message ?? "accepted")")
    }
}

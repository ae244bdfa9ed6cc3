import Foundation
import TesseraTestSupport

/// A small BERT in the Hugging Face folder layout, written by the test: config.json and a
/// model.safetensors with deterministic weights, with knobs to break one thing at a time.
/// Every weight is a multiple of 1/64 below 2 in magnitude, so F16 and BF16 hold it exactly.
struct HFBertFixture {
    var config: [String: Any] = [
        "architectures": ["BertModel"], "model_type": "bert", "hidden_size": 4, "num_hidden_layers": 2,
        "num_attention_heads": 2, "intermediate_size": 8, "vocab_size": 10, "max_position_embeddings": 8,
        "type_vocab_size": 2, "hidden_act": "gelu", "layer_norm_eps": 1e-12, "position_embedding_type": "absolute",
    ]
    /// Written instead of `config` when set.
    var configText: String?
    /// "" (BertModel) or "bert." (the task models).
    var prefix = ""
    /// F32, F16, BF16 or F64, for every tensor.
    var dtype = "F32"
    /// BertModel names of tensors to leave out.
    var omit: Set<String> = []
    /// BertModel names whose shape is replaced.
    var shapes: [String: [Int]] = [:]
    /// A 1-byte tensor first, so every other tensor starts at an odd offset.
    var misaligned = false
    /// Written instead of the safetensors file when set.
    var weightsBytes: [UInt8]?

    var hidden: Int { config["hidden_size"] as? Int ?? 4 }
    var inner: Int { config["intermediate_size"] as? Int ?? 8 }

    /// Every tensor of the encoder (BertModel names) with its shape, plus the pooler, which
    /// the plugin must leave alone.
    var tensors: [(name: String, shape: [Int])] {
        let h = hidden, i = inner
        var list: [(String, [Int])] = [
            ("embeddings.word_embeddings.weight", [config["vocab_size"] as? Int ?? 10, h]),
            ("embeddings.position_embeddings.weight", [config["max_position_embeddings"] as? Int ?? 8, h]),
            ("embeddings.token_type_embeddings.weight", [config["type_vocab_size"] as? Int ?? 2, h]),
            ("embeddings.LayerNorm.weight", [h]), ("embeddings.LayerNorm.bias", [h]),
        ]
        for layer in 0..<(config["num_hidden_layers"] as? Int ?? 2) {
            let p = "encoder.layer.\(layer)."
            for linear in ["attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"] {
                list += [(p + linear + ".weight", [h, h]), (p + linear + ".bias", [h])]
            }
            list += [(p + "attention.output.LayerNorm.weight", [h]), (p + "attention.output.LayerNorm.bias", [h])]
            list += [(p + "intermediate.dense.weight", [i, h]), (p + "intermediate.dense.bias", [i])]
            list += [(p + "output.dense.weight", [h, i]), (p + "output.dense.bias", [h])]
            list += [(p + "output.LayerNorm.weight", [h]), (p + "output.LayerNorm.bias", [h])]
        }
        list += [("pooler.dense.weight", [h, h]), ("pooler.dense.bias", [h])]
        return list
    }

    /// Deterministic values: multiples of 1/64, around 1 for LayerNorm scales.
    static func values(_ name: String, count: Int) -> [Float] {
        let seed = name.utf8.reduce(0) { ($0 &* 31 &+ Int($1)) % 1009 }
        return (0..<count).map { index in
            let step = Float((seed + index * 7) % 17 - 8) / 64
            return name.hasSuffix("LayerNorm.weight") ? 1 + step : step * 4
        }
    }

    /// Writes the folder and returns it.
    @discardableResult
    func write(to folder: URL) throws -> URL {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let configData = try configText.map { Data($0.utf8) }
            ?? JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys])
        try configData.write(to: folder.appendingPathComponent("config.json"))
        var entries: [(name: String, dtype: String, shape: [Int], bytes: [UInt8])] = []
        if misaligned { entries.append(("a.misalignment", "U8", [1], [0])) }
        for (name, shape) in tensors where !omit.contains(name) {
            let values = Self.values(name, count: shape.reduce(1, *))
            entries.append((prefix + name, dtype, shapes[name] ?? shape, Self.encode(values, dtype)))
        }
        try Data(weightsBytes ?? Self.safetensors(entries)).write(to: folder.appendingPathComponent("model.safetensors"))
        return folder
    }

    static func encode(_ values: [Float], _ dtype: String) -> [UInt8] {
        var bytes: [UInt8] = []
        func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
        for value in values {
            switch dtype {
            case "F16": append(halfBits(value))
            case "BF16": append(UInt16(value.bitPattern >> 16))
            case "F64": append(Double(value).bitPattern)
            default: append(value.bitPattern)
            }
        }
        return bytes
    }

    /// IEEE binary16 bits of a float that binary16 holds exactly (zero or normal).
    static func halfBits(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        let sign = UInt16((bits >> 16) & 0x8000)
        if value == 0 { return sign }
        let exponent = UInt16(Int((bits >> 23) & 0xFF) - 127 + 15)
        return sign | (exponent << 10) | UInt16((bits >> 13) & 0x3FF)
    }

    /// A safetensors file: little-endian header length, JSON header padded with spaces to a
    /// multiple of 8, then the tensors back to back, as the reference implementation lays it out.
    static func safetensors(_ entries: [(name: String, dtype: String, shape: [Int], bytes: [UInt8])]) -> [UInt8] {
        var header = "{\"__metadata__\":{\"format\":\"pt\"}"
        var offset = 0
        for entry in entries {
            let shape = entry.shape.map(String.init).joined(separator: ",")
            header += ",\"\(entry.name)\":{\"dtype\":\"\(entry.dtype)\",\"shape\":[\(shape)],"
                + "\"data_offsets\":[\(offset),\(offset + entry.bytes.count)]}"
            offset += entry.bytes.count
        }
        header += "}"
        while header.utf8.count % 8 != 0 { header += " " }
        var file: [UInt8] = []
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { file += $0 }
        file += header.utf8
        for entry in entries { file += entry.bytes }
        return file
    }
}

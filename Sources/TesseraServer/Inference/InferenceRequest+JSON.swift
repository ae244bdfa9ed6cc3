import TesseraEngine

/// Reads an inference request's JSON in one pass over the body's bytes.
///
/// Unknown fields are skipped (after checking that they are valid JSON). A field this
/// endpoint reads that appears twice in one object is refused rather than resolved either
/// way, so no two readers of the same body can disagree about what it asked for.
extension InferenceRequest {
    init(json bytes: UnsafeRawBufferPointer) throws {
        var reader = JSONReader(bytes)
        reader.skipWhitespace()
        guard reader.position < bytes.count else {
            throw InferenceError.badRequest("the request body is empty; send a JSON object with 'inputs'")
        }
        guard try reader.peek() == .object else { throw reader.mismatch("the body must be a JSON object with 'inputs'") }
        try reader.enter()
        var id: String?, parameters: [String: ParameterValue]?, inputs: [Input]?, outputs: [RequestedOutput]?
        var seen = Fields()
        var first = true
        while try reader.nextMember(&first) {
            let key = try Self.key(&reader, among: Self.requestKeys, seen: &seen, in: "the request")
            switch key {
            case 0: id = try Self.optionalString(&reader, "'id'")
            case 1: parameters = try Self.parameters(&reader, "the request's 'parameters'")
            case 2:
                guard try reader.peek() == .array else { throw reader.mismatch("'inputs' must be an array of input objects") }
                try reader.enter()
                var list: [Input] = []
                var more = true
                while try reader.nextElement(&more) { list.append(try Self.input(&reader, index: list.count)) }
                inputs = list
            case 3:
                guard try reader.peek() != .null else { _ = try reader.readLiteral(); break }
                guard try reader.peek() == .array else { throw reader.mismatch("'outputs' must be an array of objects with a 'name'") }
                try reader.enter()
                var list: [RequestedOutput] = []
                var more = true
                while try reader.nextElement(&more) { list.append(try Self.output(&reader, index: list.count)) }
                outputs = list
            default: try reader.skipValue()
            }
        }
        try reader.finish()
        guard let inputs else { throw InferenceError.badRequest("the request body is not the JSON this endpoint expects: it has no 'inputs'") }
        self.init(id: id, parameters: parameters, inputs: inputs, outputs: outputs)
    }

    private static func input(_ reader: inout JSONReader, index: Int) throws -> Input {
        guard try reader.peek() == .object else { throw reader.mismatch("input \(index) must be an object") }
        try reader.enter()
        let depth = reader.depth
        var name: String?, shape: [Int]?, datatype: String?, parameters: [String: ParameterValue]?, values: DecodedValues?
        /// Where `data` starts when it came before the name or datatype it is read with.
        var deferred: Int?
        var seen = Fields()
        var first = true
        while try reader.nextMember(&first) {
            switch try key(&reader, among: inputKeys, seen: &seen, in: "input \(index)") {
            case 0: name = try string(&reader, "the name of input \(index)")
            case 1: shape = try integers(&reader, "the shape of input \(index)")
            case 2: datatype = try string(&reader, "the datatype of input \(index)")
            case 3: parameters = try self.parameters(&reader, "the parameters of input \(index)")
            case 4:
                if let name, let datatype {
                    values = try data(&reader, name: name, datatype: datatype, shape: shape)
                } else {
                    reader.skipWhitespace()
                    deferred = reader.position
                    try reader.skipValue()
                }
            default: try reader.skipValue()
            }
        }
        guard let name else { throw InferenceError.badRequest("the request body is not the JSON this endpoint expects: input \(index) has no 'name'") }
        guard let shape else { throw InferenceError.badRequest("the request body is not the JSON this endpoint expects: input '\(name)' has no 'shape'") }
        guard let datatype else { throw InferenceError.badRequest("the request body is not the JSON this endpoint expects: input '\(name)' has no 'datatype'") }
        if let deferred {
            var data = JSONReader(reader.bytes, at: deferred, depth: depth)
            values = try self.data(&data, name: name, datatype: datatype, shape: shape)
        }
        return Input(name: name, shape: shape, datatype: datatype, parameters: parameters, values: values)
    }

    private static func data(_ reader: inout JSONReader, name: String, datatype: String, shape: [Int]?) throws -> DecodedValues {
        guard let type = InferenceDatatype(datatype) else {
            throw InferenceError.badRequest("input '\(name)' has datatype '\(datatype)'; the protocol's datatypes are "
                + InferenceDatatype.names.joined(separator: ", "))
        }
        let expected = shape.flatMap { shape in shape.allSatisfy { $0 >= 0 } ? Tensor.elementCount(of: shape) : nil }
        return try DecodedValues.read(&reader, as: type, input: name, expected: expected)
    }

    private static func output(_ reader: inout JSONReader, index: Int) throws -> RequestedOutput {
        guard try reader.peek() == .object else { throw reader.mismatch("output \(index) must be an object with a 'name'") }
        try reader.enter()
        var name: String?, parameters: [String: ParameterValue]?
        var seen = Fields()
        var first = true
        while try reader.nextMember(&first) {
            switch try key(&reader, among: outputKeys, seen: &seen, in: "output \(index)") {
            case 0: name = try string(&reader, "the name of output \(index)")
            case 1: parameters = try self.parameters(&reader, "the parameters of output \(index)")
            default: try reader.skipValue()
            }
        }
        guard let name else { throw InferenceError.badRequest("the request body is not the JSON this endpoint expects: output \(index) has no 'name'") }
        return RequestedOutput(name: name, parameters: parameters)
    }

    // MARK: - Fields

    // What a value is ("the name of input 0") is only put into words when it is wrong: these
    // helpers run for every field of every request.

    private static let requestKeys = keys("id", "parameters", "inputs", "outputs")
    private static let inputKeys = keys("name", "shape", "datatype", "parameters", "data")
    private static let outputKeys = keys("name", "parameters")

    private static func keys(_ names: String...) -> [[UInt8]] { names.map { Array($0.utf8) } }

    /// The known fields one object has named so far.
    private struct Fields {
        var bits: UInt32 = 0
    }

    /// Reads a key; a known one given twice in the same object is refused.
    private static func key(_ reader: inout JSONReader, among names: [[UInt8]], seen: inout Fields,
                            in object: @autoclosure () -> String) throws -> Int? {
        let start = reader.position
        guard let index = try reader.readKey(among: names) else { return nil }
        guard seen.bits & (1 << index) == 0 else {
            throw InferenceError.badRequest("the request body gives '\(String(decoding: names[index], as: UTF8.self))' twice in \(object()) "
                + "(again at byte \(start)); give each field once")
        }
        seen.bits |= 1 << index
        return index
    }

    private static func string(_ reader: inout JSONReader, _ what: @autoclosure () -> String) throws -> String {
        guard try reader.peek() == .string else { throw reader.mismatch("\(what()) must be a string") }
        return try reader.readString()
    }

    private static func optionalString(_ reader: inout JSONReader, _ what: @autoclosure () -> String) throws -> String? {
        if try reader.peek() == .null {
            _ = try reader.readLiteral()
            return nil
        }
        return try string(&reader, what())
    }

    private static func parameters(_ reader: inout JSONReader, _ what: @autoclosure () -> String) throws -> [String: ParameterValue]? {
        if try reader.peek() == .null {
            _ = try reader.readLiteral()
            return nil
        }
        return try reader.readObject(what())
    }

    private static func integers(_ reader: inout JSONReader, _ what: @autoclosure () -> String) throws -> [Int] {
        guard try reader.peek() == .array else { throw reader.mismatch("\(what()) must be an array of integers") }
        try reader.enter()
        var values: [Int] = []
        var first = true
        while try reader.nextElement(&first) {
            guard try reader.peek() == .number else { throw reader.mismatch("\(what()) must be an array of integers") }
            let number = try reader.readNumber()
            guard let value = reader.integer(number, as: Int.self) else {
                throw InferenceError.badRequest("the request body is not the JSON this endpoint expects: \(what()) must be an array of integers; "
                    + "found \(reader.text(number)) at byte \(number.range.lowerBound)")
            }
            values.append(value)
        }
        return values
    }
}

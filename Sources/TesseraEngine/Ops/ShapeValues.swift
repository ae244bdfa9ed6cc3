/// Helpers for ops that read small integer tensors (shapes, axes, indices) and for ops that
/// move elements of any type by bytes.

extension Tensor {
    /// The elements as Ints, for INT64 and INT32 tensors; nil for other types.
    var intValues: [Int]? {
        switch dtype {
        case .int64: (0..<elementCount).map { Int(storage.bytes.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self)) }
        case .int32: (0..<elementCount).map { Int(storage.bytes.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self)) }
        default: nil
        }
    }
}

extension KernelInput {
    /// The elements as Ints; the input must be INT64 or INT32 (checked by `outputTypes`).
    var intValues: [Int] {
        let count = type.elementCount
        switch type.dtype {
        case .int32: return (0..<count).map { Int(data.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self)) }
        default: return (0..<count).map { Int(data.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self)) }
        }
    }
}

enum PlanValues {
    /// The contents of input `index` as Ints: it must be known when the plan is made
    /// (a constant, or computed only from input shapes and constants) and INT64 or INT32.
    static func ints(_ values: [Tensor?], _ index: Int, _ role: String) throws(EngineError) -> [Int] {
        guard index < values.count, let tensor = values[index] else {
            throw EngineError(.invalidGraph, "the \(role) input must be known when the plan is made: an initializer, a Constant, or a value computed only from input shapes and constants")
        }
        guard let ints = tensor.intValues else {
            throw EngineError(.invalidGraph, "the \(role) input must be INT64 or INT32, not \(tensor.dtype)")
        }
        return ints
    }

    /// Like `ints`, for a 1-D (or scalar) input.
    static func vector(_ values: [Tensor?], _ index: Int, _ role: String) throws(EngineError) -> [Int] {
        let ints = try ints(values, index, role)
        if let tensor = values[index], tensor.shape.count > 1 {
            throw EngineError(.invalidGraph, "the \(role) input must be 1-D, not \(tensor.shape)")
        }
        return ints
    }

    /// A scalar (or one-element) input's value as a Double, for INT64, INT32 or FP32.
    static func scalar(_ values: [Tensor?], _ index: Int, _ role: String) throws(EngineError) -> Double {
        guard index < values.count, let tensor = values[index] else {
            throw EngineError(.invalidGraph, "the \(role) input must be known when the plan is made: an initializer, a Constant, or a value computed only from input shapes and constants")
        }
        guard tensor.elementCount == 1 else {
            throw EngineError(.invalidGraph, "the \(role) input must be a scalar, not \(tensor.shape)")
        }
        let bytes = tensor.storage.bytes
        switch tensor.dtype {
        case .int64: return Double(bytes.loadUnaligned(as: Int64.self))
        case .int32: return Double(bytes.loadUnaligned(as: Int32.self))
        case .fp32: return Double(bytes.loadUnaligned(as: Float.self))
        default: throw EngineError(.invalidGraph, "the \(role) input must be FP32, INT64 or INT32, not \(tensor.dtype)")
        }
    }
}

extension Shapes {
    /// Normalizes and checks a list of axes for `rank`; duplicates are refused.
    static func normalizedAxes(_ axes: [Int], rank: Int) throws(EngineError) -> [Int] {
        var result: [Int] = []
        for axis in axes {
            let resolved = try normalizedAxis(axis, rank: rank)
            guard !result.contains(resolved) else {
                throw EngineError(.invalidGraph, "axes \(axes) name axis \(resolved) twice")
            }
            result.append(resolved)
        }
        return result
    }

    /// Row-major element strides of `shape`.
    static func strides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var step = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[axis] = step
            step *= shape[axis]
        }
        return strides
    }

    /// Strides of an operand of shape `operand` broadcast NumPy-style to `out`: 0 on the
    /// dimensions it repeats.
    static func broadcastStrides(_ operand: [Int], to out: [Int]) -> [Int] {
        let padded = [Int](repeating: 1, count: out.count - operand.count) + operand
        let own = strides(padded)
        return (0..<out.count).map { padded[$0] == 1 ? 0 : own[$0] }
    }

    /// Walks every element of `shape` in row-major order, calling `body(flatOut, offsets)`
    /// with each operand's element offset given its strides (one array per operand).
    static func forEachOffset(_ shape: [Int], strides: [[Int]], _ body: (Int, [Int]) -> Void) {
        let count = product(shape)
        guard count > 0 else { return }
        let rank = shape.count
        var index = [Int](repeating: 0, count: rank)
        var offsets = [Int](repeating: 0, count: strides.count)
        for flat in 0..<count {
            body(flat, offsets)
            var axis = rank - 1
            while axis >= 0 {
                index[axis] += 1
                for k in offsets.indices { offsets[k] += strides[k][axis] }
                if index[axis] < shape[axis] { break }
                for k in offsets.indices { offsets[k] -= strides[k][axis] * shape[axis] }
                index[axis] = 0
                axis -= 1
            }
        }
    }
}

/// Copies `size` bytes (one element) between byte offsets; sizes 1, 2, 4 and 8 take one
/// load and store.
@inline(__always)
func copyElement(_ size: Int, from source: UnsafeRawPointer, _ sourceIndex: Int, to destination: UnsafeMutableRawPointer, _ destinationIndex: Int) {
    switch size {
    case 8: destination.storeBytes(of: source.loadUnaligned(fromByteOffset: sourceIndex * 8, as: UInt64.self), toByteOffset: destinationIndex * 8, as: UInt64.self)
    case 4: destination.storeBytes(of: source.loadUnaligned(fromByteOffset: sourceIndex * 4, as: UInt32.self), toByteOffset: destinationIndex * 4, as: UInt32.self)
    case 2: destination.storeBytes(of: source.loadUnaligned(fromByteOffset: sourceIndex * 2, as: UInt16.self), toByteOffset: destinationIndex * 2, as: UInt16.self)
    case 1: destination.storeBytes(of: source.load(fromByteOffset: sourceIndex, as: UInt8.self), toByteOffset: destinationIndex, as: UInt8.self)
    default: (destination + destinationIndex * size).copyMemory(from: source + sourceIndex * size, byteCount: size)
    }
}

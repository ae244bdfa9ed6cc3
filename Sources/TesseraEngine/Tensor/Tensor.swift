/// A dense, row-major tensor: an element type, a shape and shared storage.
public struct Tensor: Sendable {
    public let dtype: DType
    public let shape: [Int]
    public let storage: TensorStorage

    /// Wraps `storage`, checking that its size matches the shape.
    public init(dtype: DType, shape: [Int], storage: TensorStorage) throws(EngineError) {
        guard let count = Tensor.elementCount(of: shape) else {
            throw EngineError(.invalidTensor, "shape \(shape) has a negative or overflowing dimension")
        }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow, bytes == storage.byteCount else {
            throw EngineError(.invalidTensor,
                "shape \(shape) of \(dtype) needs \(count) × \(dtype.byteSize) bytes but the data holds \(storage.byteCount)")
        }
        self.dtype = dtype
        self.shape = shape
        self.storage = storage
    }

    /// A float tensor holding `values`.
    public init(shape: [Int], floats values: [Float]) throws(EngineError) {
        let storage = values.withUnsafeBytes { TensorStorage(copying: $0) }
        try self.init(dtype: .fp32, shape: shape, storage: storage)
    }

    public var elementCount: Int { shape.reduce(1, *) }

    /// The elements as floats; only for `.fp32` tensors.
    public var floats: [Float] {
        precondition(dtype == .fp32, "floats read from a \(dtype) tensor")
        return Array(storage.bytes.bindMemory(to: Float.self))
    }

    /// Product of `shape`, or nil when a dimension is negative or the product overflows.
    public static func elementCount(of shape: [Int]) -> Int? {
        var count = 1
        for dim in shape {
            guard dim >= 0 else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: dim)
            if overflow { return nil }
            count = product
        }
        return count
    }
}

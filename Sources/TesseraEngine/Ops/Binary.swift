import CTesseraKernels

/// Add, Sub, Mul and Div with NumPy (multidirectional) broadcasting, on FP32 or INT64.
///
/// Deviation from ONNX: only FP32 and INT64 are supported. INT64 division truncates toward
/// zero (as C and onnxruntime do) and a zero divisor is an error rather than undefined.
struct BinaryKernel: Kernel {
    enum Operation: String {
        case add = "Add", sub = "Sub", mul = "Mul", div = "Div"

        var kernelOp: tsk_binary_op {
            switch self {
            case .add: TSK_BINARY_ADD
            case .sub: TSK_BINARY_SUB
            case .mul: TSK_BINARY_MUL
            case .div: TSK_BINARY_DIV
            }
        }
    }

    let operation: Operation

    init(_ context: KernelContext, _ operation: Operation) throws(EngineError) {
        try context.expectArity(inputs: 2...2)
        self.operation = operation
    }

    func outputTypes(_ inputs: [ValueType]) throws(EngineError) -> [ValueType] {
        let (a, b) = (inputs[0], inputs[1])
        try a.expect([.fp32, .int64], "input A")
        guard a.dtype == b.dtype else {
            throw EngineError(.invalidGraph, "inputs must have one element type, but A is \(a.dtype) and B is \(b.dtype)")
        }
        guard let shape = Shapes.broadcast(a.shape, b.shape) else {
            throw EngineError(.invalidGraph, "shapes \(a.shape) and \(b.shape) cannot be broadcast together")
        }
        return [ValueType(dtype: a.dtype, shape: shape)]
    }

    func run(_ inputs: [KernelInput], _ outputs: [KernelOutput]) throws(EngineError) {
        let out = outputs[0]
        let loop = BroadcastLoop(a: inputs[0].shape, b: inputs[1].shape, out: out.shape)
        switch out.type.dtype {
        case .fp32:
            let a = inputs[0].floats, b = inputs[1].floats, y = out.floats
            let op = operation.kernelOp
            let runs = loop.runCount
            // Broadcasts make many short runs (a row of bias, a row of an attention mask),
            // each too short for tsk_binary_f32 to split: split the runs themselves. Every
            // element is computed alone, so any split gives the same bits.
            let tasks = runs > 1 ? min(runs, Self.tasks(elements: out.type.elementCount)) : 1
            parallelFor(tasks: tasks) { task in
                loop.forEachRun(in: task * runs / tasks..<(task + 1) * runs / tasks) { n, ia, stepA, ib, stepB, io in
                    _ = tsk_binary_f32(TSK_VARIANT_AUTO, op, n, a + ia, stepA, b + ib, stepB, y + io)
                }
            }
        default:
            try runInt64(loop, inputs[0].int64s, inputs[1].int64s, out.int64s)
        }
    }

    /// How many tasks to split a broadcast of `elements` outputs into: none below two
    /// tasks' worth (2^16 elements each, the threshold tsk_binary_f32 uses), else up to 4 per
    /// pool thread.
    static func tasks(elements: Int) -> Int {
        let minimum = 1 << 16
        guard elements >= 2 * minimum else { return 1 }
        let threads = tsk_pool_threads()
        return threads <= 1 ? 1 : min(elements / minimum, threads * 4)
    }

    private func runInt64(_ loop: BroadcastLoop, _ a: UnsafePointer<Int64>, _ b: UnsafePointer<Int64>,
                          _ y: UnsafeMutablePointer<Int64>) throws(EngineError) {
        let operation = operation
        var divisionByZero = false
        // Wrapping arithmetic: ONNX leaves integer overflow undefined, and a trap would take
        // the daemon down.
        loop.forEachRun { n, ia, stepA, ib, stepB, io in
            for i in 0..<n {
                let x = a[ia + i * stepA], z = b[ib + i * stepB]
                switch operation {
                case .add: y[io + i] = x &+ z
                case .sub: y[io + i] = x &- z
                case .mul: y[io + i] = x &* z
                case .div:
                    if z == 0 {
                        divisionByZero = true
                        y[io + i] = 0
                    } else {
                        y[io + i] = x.dividedReportingOverflow(by: z).partialValue
                    }
                }
            }
        }
        if divisionByZero { throw EngineError(.invalidTensor, "integer division by zero") }
    }
}

/// Walks a broadcast binary operation as runs along the innermost dimension: each run is n
/// elements of the output with each operand either walked (step 1) or repeated (step 0), so
/// the per-element work happens in one C loop.
struct BroadcastLoop {
    /// Collapsed dimensions, outermost first: size and each operand's element stride.
    private var sizes: [Int] = []
    private var stridesA: [Int] = []
    private var stridesB: [Int] = []

    init(a: [Int], b: [Int], out: [Int]) {
        let rank = out.count
        let aDims = [Int](repeating: 1, count: rank - a.count) + a
        let bDims = [Int](repeating: 1, count: rank - b.count) + b
        var strideA = 1, strideB = 1
        // From the innermost dimension out, merging neighbours where each operand is either
        // walked in both or repeated in both: such dimensions act as one longer dimension.
        var merged: [(size: Int, a: Int, b: Int)] = []
        for axis in stride(from: rank - 1, through: 0, by: -1) {
            let size = out[axis]
            if size == 1 { continue }
            let sa = aDims[axis] == 1 ? 0 : strideA
            let sb = bDims[axis] == 1 ? 0 : strideB
            if let last = merged.last, (last.a == 0) == (sa == 0), (last.b == 0) == (sb == 0) {
                merged[merged.count - 1].size *= size
            } else {
                merged.append((size, sa, sb))
            }
            strideA *= aDims[axis]
            strideB *= bDims[axis]
        }
        if merged.isEmpty { merged.append((1, 0, 0)) }
        for dim in merged.reversed() {
            sizes.append(dim.size)
            stridesA.append(dim.a)
            stridesB.append(dim.b)
        }
    }

    /// How many innermost runs forEachRun makes.
    var runCount: Int { sizes.last == 0 ? 0 : Shapes.product(sizes.dropLast()) }

    /// Calls `body(n, offsetA, stepA, offsetB, stepB, offsetOut)` for every innermost run.
    func forEachRun(_ body: (Int, Int, Int, Int, Int, Int) -> Void) {
        forEachRun(in: 0..<runCount, body)
    }

    /// forEachRun for the runs in `runs` only (a subrange of `0..<runCount`), in order.
    func forEachRun(in runs: Range<Int>, _ body: (Int, Int, Int, Int, Int, Int) -> Void) {
        let inner = sizes.count - 1
        let n = sizes[inner]
        let stepA = stridesA[inner] == 0 ? 0 : 1
        let stepB = stridesB[inner] == 0 ? 0 : 1
        if runs.isEmpty || n == 0 { return }
        // The odometer's start: run `runs.lowerBound` decomposed over the outer dimensions.
        var index = [Int](repeating: 0, count: inner)
        var offsetA = 0, offsetB = 0, rest = runs.lowerBound
        for axis in stride(from: inner - 1, through: 0, by: -1) {
            index[axis] = rest % sizes[axis]
            rest /= sizes[axis]
            offsetA += index[axis] * stridesA[axis]
            offsetB += index[axis] * stridesB[axis]
        }
        for run in runs {
            body(n, offsetA, stepA, offsetB, stepB, run * n)
            // Odometer over the outer dimensions, innermost of them first.
            var axis = inner - 1
            while axis >= 0 {
                index[axis] += 1
                offsetA += stridesA[axis]
                offsetB += stridesB[axis]
                if index[axis] < sizes[axis] { break }
                offsetA -= stridesA[axis] * sizes[axis]
                offsetB -= stridesB[axis] * sizes[axis]
                index[axis] = 0
                axis -= 1
            }
        }
    }
}

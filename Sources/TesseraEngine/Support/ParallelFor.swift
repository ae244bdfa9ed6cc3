import CTesseraKernels

/// Runs `body(task)` for every task in `0..<tasks` over the kernels' worker pool
/// (`tsk_parallel_for`), for Swift loops that split like the C kernels do. `body` runs on the
/// calling thread and on pool threads concurrently, so it must only write memory no other task
/// writes; it may be non-escaping: the call returns after every task has.
func parallelFor(tasks: Int, _ body: (Int) -> Void) {
    if tasks <= 1 {
        if tasks == 1 { body(0) }
        return
    }
    withoutActuallyEscaping(body) { body in
        let box = TaskBody(body)
        tsk_parallel_for(tasks, { context, task in
            Unmanaged<TaskBody>.fromOpaque(context!).takeUnretainedValue().body(task)
        }, Unmanaged.passUnretained(box).toOpaque())
        withExtendedLifetime(box) {}
    }
}

/// The closure parallelFor hands to C through its context pointer.
private final class TaskBody {
    let body: (Int) -> Void
    init(_ body: @escaping (Int) -> Void) { self.body = body }
}

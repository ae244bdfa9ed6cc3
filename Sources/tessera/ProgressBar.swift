import Foundation

/// A one-line progress display on standard error, drawn only when it is a terminal (so
/// scripts and logs get clean output), at most ten times a second.
final class ProgressBar: @unchecked Sendable {
    private let label: String
    private let enabled = isatty(STDERR_FILENO) == 1
    private let lock = NSLock()
    private var lastDraw = Date.distantPast
    private var drawn = false

    init(_ label: String) {
        self.label = label
    }

    /// Draws `done` of `total` bytes.
    func update(_ done: Int64, _ total: Int64) {
        guard enabled else { return }
        lock.withLock {
            let now = Date()
            guard done >= total || now.timeIntervalSince(lastDraw) > 0.1 else { return }
            lastDraw = now
            let fraction = total > 0 ? Double(done) / Double(total) : 1
            let width = 30
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            FileHandle.standardError.write(Data("\r\(label) \(bar) \(Int(fraction * 100))% \(formatBytes(done)) / \(formatBytes(total))".utf8))
            drawn = true
        }
    }

    /// Ends the line, if anything was drawn.
    func finish() {
        lock.withLock { if drawn { FileHandle.standardError.write(Data("\n".utf8)) } }
    }
}

public import Foundation

/// Paths and helpers the test targets share: the repository's folders, temporary folders,
/// building C plugins with the system compiler, and running the built executables.
public enum TestSupport {
    /// The repository root (this file is Tests/TesseraTestSupport/TestSupport.swift).
    public static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static var sdkInclude: String { root.appendingPathComponent("sdk/include").path }

    /// Where SwiftPM put the executables and bundled plugins: beside the test binary.
    public static var productsDirectory: URL {
        #if os(Linux)
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            return URL(fileURLWithPath: exe).deletingLastPathComponent()
        }
        #endif
        return Bundle.main.bundleURL.deletingLastPathComponent()
    }

    /// A new empty folder under the system's temporary folder.
    public static func temporaryDirectory(_ label: String = "tessera-test") throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The result of running a program.
    public struct Output: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    /// Runs `executable` with `arguments` and waits for it.
    @discardableResult
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                           directory: URL? = nil) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let directory { process.currentDirectoryURL = directory }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read before waiting so a full pipe cannot block the child.
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
    }

    public struct CompileError: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    /// Builds a plugin from C sources with `cc -shared -fPIC`, the way a third party would,
    /// and returns the library's path.
    public static func buildPlugin(_ sources: [String], defines: [String] = [], name: String = "plugin",
                                   warningsAsErrors: Bool = true) throws -> String {
        let folder = try temporaryDirectory("tessera-plugin")
        let output = folder.appendingPathComponent("lib\(name).so").path
        var arguments = ["-std=c11", "-Wall", "-Wextra", "-pedantic", "-O1", "-shared", "-fPIC", "-fvisibility=hidden",
                         "-I", sdkInclude, "-o", output]
        if warningsAsErrors { arguments.append("-Werror") }
        arguments += defines + sources
        let result = try run("/usr/bin/env", ["cc"] + arguments)
        guard result.status == 0 else {
            throw CompileError(description: "cc \(arguments.joined(separator: " ")) failed:\n\(result.stderr)")
        }
        return output
    }

    /// Builds the example plugin in `sdk/examples/<folder>` (every .c file in it).
    public static func buildExample(_ folder: String) throws -> String {
        let directory = root.appendingPathComponent("sdk/examples/\(folder)")
        let sources = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".c") }.sorted().map { directory.appendingPathComponent($0).path }
        return try buildPlugin(sources, name: folder)
    }

    /// Builds Tests/Fixtures/plugins/<file> with extra -D flags.
    public static func buildFixture(_ file: String, defines: [String] = [], name: String? = nil) throws -> String {
        try buildPlugin([root.appendingPathComponent("Tests/Fixtures/plugins/\(file)").path], defines: defines,
                        name: name ?? URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent)
    }

    /// A path to a bundled plugin built by SwiftPM.
    public static func bundledPlugin(_ name: String) -> String {
        productsDirectory.appendingPathComponent("libtessera-\(name).so").path
    }

    /// A free TCP port on the loopback interface.
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw CompileError(description: "cannot bind a loopback socket") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

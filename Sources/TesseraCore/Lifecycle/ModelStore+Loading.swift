public import Foundation
public import TesseraEngine

extension ModelStore {
    /// Loads a registered version into a graph with the format plugin it was registered with.
    ///
    /// A file artifact is read in place from the store (read-only); a folder artifact (a
    /// Hugging Face folder, an ONNX model with external data) is first checked out once into
    /// `checkouts/<digest>` beside the objects, because format plugins expect real file names.
    public func loadGraph(_ version: ModelVersion, host: PluginHost) throws -> Graph {
        guard let format = host.formats.first(where: { $0.name == version.format }) else {
            let loaded = host.formats.map(\.name).joined(separator: ", ")
            throw PluginError(.notFound, "\(version.model):\(version.number) is in format '\(version.format)' but no "
                + "format plugin of that name is loaded (loaded: \(loaded.isEmpty ? "none" : loaded)); enable it in tessera.toml")
        }
        let path = try localPath(of: version)
        return try format.load(path.path)
    }

    /// A path where the version's artifact can be read as an ordinary file or folder.
    public func localPath(of version: ModelVersion) throws -> URL {
        let artifact = artifact(of: version)
        guard artifact.kind == .directory else { return try fileURL(of: version) }
        let checkouts = root.appendingPathComponent("checkouts", isDirectory: true)
        let target = checkouts.appendingPathComponent(version.artifactDigest, isDirectory: true)
        if FileManager.default.fileExists(atPath: target.path) { return target }
        try FileManager.default.createDirectory(at: checkouts, withIntermediateDirectories: true)
        // Export beside the target and rename, so a crash mid-export never leaves a partial
        // checkout under the final name.
        let staging = checkouts.appendingPathComponent(".\(version.artifactDigest).\(getpid()).\(UInt32.random(in: 0...UInt32.max))")
        do {
            try export(version, to: staging)
            if rename(staging.path, target.path) != 0 {
                // Another process checked it out first: use theirs.
                try? FileManager.default.removeItem(at: staging)
                guard FileManager.default.fileExists(atPath: target.path) else {
                    throw StoreError(.ioFailed, "cannot move the checkout of \(version.model):\(version.number) into \(target.path): \(String(cString: strerror(errno)))")
                }
            }
        } catch {
            try? FileManager.default.removeItem(at: staging)
            throw error
        }
        return target
    }
}

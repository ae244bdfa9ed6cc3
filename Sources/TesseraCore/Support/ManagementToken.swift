public import Foundation

/// The bearer token that guards the management API. Taken from `TESSERA_MANAGEMENT_TOKEN`
/// when set; otherwise read from `<store>/management-token`, which is created on first use
/// with 32 random bytes and mode 0600 so only the daemon's user can read it.
public enum ManagementToken {
    public static let fileName = "management-token"

    public static func load(storeDirectory: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        if let token = environment["TESSERA_MANAGEMENT_TOKEN"], !token.isEmpty { return token }
        let path = URL(fileURLWithPath: storeDirectory).appendingPathComponent(fileName).path
        if let existing = try? String(contentsOfFile: path, encoding: .utf8) {
            let token = existing.trimmingCharacters(in: .whitespacesAndNewlines)
            if !token.isEmpty { return token }
        }
        var generator = SystemRandomNumberGenerator()
        let token = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: .min ... .max, using: &generator)) }.joined()
        let created = FileManager.default.createFile(atPath: path, contents: Data((token + "\n").utf8),
                                                     attributes: [.posixPermissions: 0o600])
        guard created else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path,
                NSLocalizedDescriptionKey: "cannot write the management token to \(path); check that the store folder is writable"])
        }
        return token
    }

    /// The token a client should send: the environment's, or the store's file; nil if neither.
    public static func read(storeDirectory: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let token = environment["TESSERA_MANAGEMENT_TOKEN"], !token.isEmpty { return token }
        let path = URL(fileURLWithPath: storeDirectory).appendingPathComponent(fileName).path
        return (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

import ArgumentParser
import Foundation
import TesseraCore

/// Which model store a command works on, and who it acts as; shared by every store command.
struct StoreOptions: ParsableArguments {
    @Option(help: "The model store folder (the daemon's [store] path). Default: $TESSERA_STORE or ./.tessera.")
    var store: String?

    @Option(help: "Who is acting, for the audit log. Default: cli:$USER. (Through --url the daemon records \"api\".)")
    var actor: String?

    @Option(help: "Act through the daemon at this URL (e.g. http://127.0.0.1:8080) instead of on the store folder.")
    var url: String?

    @Option(help: "Management token for --url. Default: $TESSERA_MANAGEMENT_TOKEN or <store>/management-token.")
    var token: String?

    var storePath: String {
        store ?? ProcessInfo.processInfo.environment["TESSERA_STORE"] ?? ".tessera"
    }

    var actorName: String {
        actor ?? "cli:\(ProcessInfo.processInfo.environment["USER"] ?? "unknown")"
    }

    /// A client for the daemon at `url`, with the token from --token, the environment or the
    /// store's management-token file.
    func client(url: String) throws -> DaemonClient {
        guard let base = URL(string: url.hasSuffix("/") ? url : url + "/"), base.scheme == "http" || base.scheme == "https",
              base.host != nil else {
            throw ValidationError("--url '\(url)' is not an http(s) URL such as http://127.0.0.1:8080")
        }
        return DaemonClient(baseURL: base, token: token ?? ManagementToken.read(storeDirectory: storePath))
    }

    /// Opens the store, creating it when `create` is set; otherwise a missing store is an error
    /// that says how to make one.
    func open(create: Bool = false) throws -> ModelStore {
        let url = URL(fileURLWithPath: storePath)
        if !create, !FileManager.default.fileExists(atPath: url.appendingPathComponent(ModelStore.registryFileName).path) {
            throw ValidationError("no model store at \(url.path): register a model first (`tessera register NAME FILE`), or point --store at the daemon's store")
        }
        return try ModelStore(root: url)
    }
}

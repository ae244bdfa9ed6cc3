import ArgumentParser
import Foundation
import TesseraCore

/// How to reach the daemon; shared by every command that talks to it.
struct ConnectionOptions: ParsableArguments {
    @Option(help: "The daemon's URL. Default: $TESSERA_URL or http://127.0.0.1:8080.")
    var url: String?

    @Option(help: "Management token. Default: $TESSERA_MANAGEMENT_TOKEN or <store>/management-token.")
    var token: String?

    @Option(help: "The daemon's store folder, where its management-token file is. Default: ./.tessera.")
    var store: String = ".tessera"

    func client() throws -> DaemonClient {
        let text = url ?? ProcessInfo.processInfo.environment["TESSERA_URL"] ?? "http://127.0.0.1:8080"
        guard let base = URL(string: text), base.scheme == "http" || base.scheme == "https", base.host != nil else {
            throw ValidationError("--url '\(text)' is not an http(s) URL such as http://127.0.0.1:8080")
        }
        return DaemonClient(baseURL: base, token: token ?? ManagementToken.read(storeDirectory: store))
    }
}

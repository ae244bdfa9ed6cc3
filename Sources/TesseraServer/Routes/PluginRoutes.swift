import Hummingbird
import TesseraCore

/// Sends any Encodable value as the JSON body.
struct JSONBody<Value: Encodable & Sendable>: ResponseEncodable {
    let value: Value
    func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
}

/// Management API: `GET /v1/plugins` lists every configured plugin with its state and, for
/// failed ones, the reason.
struct PluginRoutes {
    let state: ServerState

    struct Listing: ResponseEncodable { let plugins: [PluginInfo] }

    func register(on group: RouterGroup<some RequestContext>) {
        group.get("plugins") { _, _ in Listing(plugins: state.plugins.infos) }
        group.get("plugins/:name") { _, context in
            let name = try context.parameters.require("name")
            guard let info = state.plugins.infos.first(where: { $0.name == name }) else {
                throw APIError(.notFound, "no plugin named '\(name)'; GET /v1/plugins lists them")
            }
            return JSONBody(value: info)
        }
    }
}

/// Where a plugin is in its life. The host moves it forward only:
/// loaded → initialized → active → stopped; `failed` can be reached from any of them.
public enum PluginState: String, Sendable, Codable {
    /// The library is open and its descriptor passed every check.
    case loaded
    /// `create` succeeded; the instance exists.
    case initialized
    /// `activate` succeeded; capabilities may be called.
    case active
    /// `deactivate` and `destroy` ran at shutdown.
    case stopped
    /// Refused or broken; `PluginInfo.reason` says why. The daemon goes on without it.
    case failed
    /// Listed in the configuration with `enabled = false`.
    case disabled
}

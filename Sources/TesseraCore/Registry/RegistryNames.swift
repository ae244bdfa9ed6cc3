/// The naming rules for everything the registry stores by name.
///
/// Model names end up in URLs (`/v2/models/{name}`), file names and shell commands, so they are
/// short ASCII tokens: `[A-Za-z0-9][A-Za-z0-9._-]{0,63}`, never containing `..`, and never one of
/// ``reservedModelNames``. Names are unique case-insensitively (`BERT` and `bert` are the same
/// model) so they cannot collide on case-insensitive file systems or confuse people.
///
/// Every check throws a ``RegistryError`` (`.invalidName` or `.invalidArgument`) whose message
/// quotes the value, says exactly what is wrong, and says what is allowed.
public enum RegistryNames {
    public static let maxModelNameLength = 64
    public static let maxAliasLength = 64
    public static let maxTagKeyLength = 64
    public static let maxTagValueLength = 1024
    public static let maxActorLength = 128
    public static let maxDescriptionLength = 4096
    public static let maxNotesLength = 16384

    /// Words a model may not be called because they collide with routes or path segments of the
    /// serving and management APIs (`/v2/models/stats`, `/v2/repository/index`, `/v1/models/…`,
    /// `/metrics`, …), or read like an API version. Compared case-insensitively.
    public static let reservedModelNames: Set<String> = [
        "v1", "v2", "v3", "api", "health", "live", "ready", "repository", "index", "models", "model",
        "versions", "version", "stats", "metrics", "infer", "load", "unload", "aliases", "tags",
        "deploy", "deployments", "canary", "shadow", "rollback", "audit", "events", "plugins",
        "config", "store", "latest",
    ]

    /// Alias names with a meaning of their own: `latest` always means the newest version.
    public static let reservedAliases: Set<String> = ["latest"]

    /// The kinds of step that may produce a version besides a plain `register`:
    /// `optimize:<plugin>`, `convert:<plugin>`, `train:<plugin>`, `distill:<plugin>`.
    public static let producerKinds: [String] = ["optimize", "convert", "train", "distill"]

    public static func validateModelName(_ name: String) throws {
        try validateToken(name, what: "model name", maxLength: maxModelNameLength, code: .invalidName)
        if reservedModelNames.contains(name.lowercased()) {
            throw RegistryError(.invalidName, """
                the model name "\(name)" is reserved (it collides with a route of the serving or management API); \
                choose another name, such as "\(name)-model"
                """)
        }
    }

    public static func validateAlias(_ alias: String) throws {
        try validateToken(alias, what: "alias", maxLength: maxAliasLength, code: .invalidName)
        if reservedAliases.contains(alias.lowercased()) {
            throw RegistryError(.invalidName, """
                the alias "\(alias)" is reserved: "latest" always means the newest version and cannot be set; \
                choose another alias name
                """)
        }
        if alias.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) }) {
            throw RegistryError(.invalidName, """
                the alias "\(alias)" is all digits, which would read as a version number; \
                give aliases a name with a letter in it, and refer to versions by number as <model>:<number>
                """)
        }
    }

    public static func validateTagKey(_ key: String) throws {
        try validateToken(key, what: "tag key", maxLength: maxTagKeyLength, code: .invalidName, extra: ":")
    }

    public static func validateTagValue(_ value: String, key: String) throws {
        guard value.utf8.count <= maxTagValueLength else {
            throw RegistryError(.invalidArgument, """
                the value of tag "\(key)" is \(value.utf8.count) bytes long; the limit is \(maxTagValueLength) bytes
                """)
        }
        if let bad = value.unicodeScalars.first(where: isControl) {
            throw RegistryError(.invalidArgument, """
                the value of tag "\(key)" contains the control character \(describe(bad)); \
                tag values are single-line text
                """)
        }
    }

    /// Who made a change: a user name, a token's name, or a service ("tesserad").
    public static func validateActor(_ actor: String) throws {
        guard !actor.isEmpty else {
            throw RegistryError(.invalidName, "the actor is empty; every change must say who made it (a user or service name)")
        }
        guard actor.count <= maxActorLength else {
            throw RegistryError(.invalidName, "the actor is \(actor.count) characters long; the limit is \(maxActorLength)")
        }
        if let bad = actor.unicodeScalars.first(where: isControl) {
            throw RegistryError(.invalidName, "the actor \"\(actor)\" contains the control character \(describe(bad)); use plain text")
        }
    }

    /// Artifact formats and model tasks: `safetensors`, `onnx`, `hf-bert`, `text-embedding`.
    public static func validateFormat(_ format: String) throws {
        try validateToken(format, what: "format", maxLength: 64, code: .invalidArgument, extra: "+")
    }

    public static func validateTask(_ task: String) throws {
        try validateToken(task, what: "task", maxLength: 64, code: .invalidArgument)
    }

    /// `register`, or `<kind>:<plugin>` with a kind from ``producerKinds``.
    public static func validateProducer(_ producer: String) throws {
        if producer == "register" { return }
        let parts = producer.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let allowed = "\"register\" or one of \(producerKinds.map { "\"\($0):<plugin>\"" }.joined(separator: ", "))"
        guard parts.count == 2, producerKinds.contains(String(parts[0])) else {
            throw RegistryError(.invalidArgument, "producer \"\(producer)\" is not recognised; use \(allowed)")
        }
        do {
            try validateToken(String(parts[1]), what: "plugin name", maxLength: 64, code: .invalidArgument)
        } catch let error as RegistryError {
            throw RegistryError(.invalidArgument, "producer \"\(producer)\": \(error.message)")
        }
    }

    public static func validateDescription(_ text: String, what: String, limit: Int) throws {
        guard text.utf8.count <= limit else {
            throw RegistryError(.invalidArgument, "the \(what) is \(text.utf8.count) bytes long; the limit is \(limit) bytes")
        }
        if text.unicodeScalars.contains("\0") {
            throw RegistryError(.invalidArgument, "the \(what) contains a NUL character; remove it")
        }
    }

    // MARK: - The shared token rule

    /// `[A-Za-z0-9][A-Za-z0-9._-]{0,max-1}` plus `extra` characters, and never `..`.
    static func validateToken(_ value: String, what: String, maxLength: Int, code: RegistryError.Code,
                              extra: String = "") throws {
        let extraScalars = Array(extra.unicodeScalars)
        let allowedText = "letters, digits, '.', '_', '-'\(extraScalars.map { ", '\($0)'" }.joined())"
        let rule = "use 1–\(maxLength) ASCII \(allowedText), starting with a letter or digit"
        guard let first = value.unicodeScalars.first else {
            throw RegistryError(code, "the \(what) is empty; \(rule)")
        }
        let length = value.unicodeScalars.count
        guard length <= maxLength else {
            throw RegistryError(code, "the \(what) \"\(value.prefix(20))…\" is \(length) characters long; the limit is \(maxLength)")
        }
        guard isAlphanumeric(first) else {
            throw RegistryError(code, "the \(what) \"\(printable(value))\" starts with \(describe(first)); \(rule)")
        }
        for scalar in value.unicodeScalars where !(isAlphanumeric(scalar) || "._-".unicodeScalars.contains(scalar)
                                                    || extraScalars.contains(scalar)) {
            let why = scalar == "/" || scalar == "\\" ? " (path separators are not allowed)" : ""
            throw RegistryError(code, "the \(what) \"\(printable(value))\" contains \(describe(scalar))\(why); \(rule)")
        }
        if value.contains("..") {
            throw RegistryError(code, "the \(what) \"\(value)\" contains \"..\" (it could be read as a parent path); \(rule)")
        }
    }

    static func isAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
    }

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || scalar.value == 0x7f
    }

    /// A character as a person can read it in an error message.
    static func describe(_ scalar: Unicode.Scalar) -> String {
        switch scalar {
        case " ": return "a space"
        case _ where isControl(scalar) || scalar.value >= 0x80:
            return "U+" + String(scalar.value, radix: 16, uppercase: true).leftPadded(to: 4)
                + (scalar.value >= 0x80 && !isControl(scalar) ? " '\(scalar)' (only ASCII is allowed)" : "")
        default: return "'\(scalar)'"
        }
    }

    /// The value with control characters escaped, so the message stays on one line.
    static func printable(_ value: String) -> String {
        String(String.UnicodeScalarView(value.unicodeScalars.flatMap { scalar -> [Unicode.Scalar] in
            isControl(scalar) ? Array("\\u{\(String(scalar.value, radix: 16))}".unicodeScalars) : [scalar]
        }))
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

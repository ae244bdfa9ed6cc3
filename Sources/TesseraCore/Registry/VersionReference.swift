/// How people and scripts name a version:
///
/// - `name` — the version the `production` alias points at, or the newest version if there is
///   no `production` alias;
/// - `name:3` — version 3;
/// - `name@staging` — whatever the `staging` alias points at; `name@latest` is the newest.
public enum VersionReference: Sendable, Hashable, CustomStringConvertible {
    case model(String)
    case number(model: String, version: Int)
    case alias(model: String, alias: String)
    case latest(model: String)

    /// The alias `name` alone resolves through, when it is set.
    public static let defaultAlias = "production"

    /// Parses `name`, `name:3`, `name@alias` or `name@latest`.
    public init(parsing text: String) throws {
        let syntax = "write <model>, <model>:<version number> or <model>@<alias>, e.g. bert, bert:3, bert@production"
        let colon = text.firstIndex(of: ":")
        let at = text.firstIndex(of: "@")
        if colon != nil && at != nil {
            throw RegistryError(.invalidReference, "version reference \"\(text)\" has both ':' and '@'; \(syntax)")
        }
        let separator = colon ?? at
        let name = separator.map { String(text[..<$0]) } ?? text
        do {
            try RegistryNames.validateModelName(name)
        } catch let error as RegistryError {
            throw RegistryError(.invalidReference, "version reference \"\(text)\": \(error.message)")
        }
        guard let separator else {
            self = .model(name)
            return
        }
        let rest = String(text[text.index(after: separator)...])
        if separator == colon {
            guard !rest.isEmpty else {
                throw RegistryError(.invalidReference, "version reference \"\(text)\" has no version number after ':'; \(syntax)")
            }
            guard rest.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) }), let number = Int(rest),
                  number <= Int(Int32.max) else {
                throw RegistryError(.invalidReference, """
                    version reference "\(text)": "\(rest)" is not a version number; \
                    versions are numbered 1, 2, 3, … (use '@' for an alias: \(name)@\(rest))
                    """)
            }
            guard number >= 1 else {
                throw RegistryError(.invalidReference, "version reference \"\(text)\": version numbers start at 1")
            }
            self = .number(model: name, version: number)
        } else {
            guard !rest.isEmpty else {
                throw RegistryError(.invalidReference, "version reference \"\(text)\" has no alias after '@'; \(syntax)")
            }
            if rest.lowercased() == "latest" {
                self = .latest(model: name)
                return
            }
            do {
                try RegistryNames.validateAlias(rest)
            } catch let error as RegistryError {
                throw RegistryError(.invalidReference, "version reference \"\(text)\": \(error.message)")
            }
            self = .alias(model: name, alias: rest)
        }
    }

    /// The model the reference is about.
    public var model: String {
        switch self {
        case .model(let model), .number(let model, _), .alias(let model, _), .latest(let model): model
        }
    }

    public var description: String {
        switch self {
        case .model(let model): model
        case .number(let model, let version): "\(model):\(version)"
        case .alias(let model, let alias): "\(model)@\(alias)"
        case .latest(let model): "\(model)@latest"
        }
    }
}

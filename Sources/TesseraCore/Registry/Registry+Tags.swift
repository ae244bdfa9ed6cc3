extension Registry {
    /// Sets tag `key` to `value` on a model, or on one of its versions when `version` is given.
    /// Replacing a value is audited with the old and new value; setting the same value is a no-op.
    public func setTag(model: String, version: Int? = nil, key: String, value: String, actor: String) throws {
        try RegistryNames.validateTagKey(key)
        try RegistryNames.validateTagValue(value, key: key)
        try mutate(actor: actor) { mutation in
            let target = try Self.tagTarget(mutation.db, model: model, version: version)
            try Self.applyTag(mutation, target: target, key: key, value: value)
        }
    }

    /// Removes tag `key` from a model or one of its versions; `.notFound` if it is not set.
    public func removeTag(model: String, version: Int? = nil, key: String, actor: String) throws {
        try mutate(actor: actor) { mutation in
            let db = mutation.db
            let target = try Self.tagTarget(db, model: model, version: version)
            guard let old = try Self.tagValue(db, target, key) else {
                let keys = try Self.tags(db, target).keys.sorted()
                let known = keys.isEmpty ? "it has no tags" : "its tags are \(keys.joined(separator: ", "))"
                throw RegistryError(.notFound, "\(target.description) has no tag \"\(key)\"; \(known)")
            }
            try db.run("DELETE FROM \(target.table) WHERE \(target.ownerColumn) = ? AND key = ?",
                       [.integer(target.ownerID), .text(key)])
            try mutation.audit(.tagRemove, model: target.model.name, version: target.number,
                               before: ["key": .string(key), "value": .string(old)])
        }
    }

    /// The tags of a model, or of one of its versions when `version` is given.
    public func tags(model: String, version: Int? = nil) throws -> [String: String] {
        try read { db in try Self.tags(db, try Self.tagTarget(db, model: model, version: version)) }
    }

    // MARK: - Shared with the other registry files

    /// What a tag hangs on.
    enum TagTarget {
        case model(ModelRow)
        case version(ModelRow, number: Int, id: Int64)

        var model: ModelRow {
            switch self {
            case .model(let model), .version(let model, _, _): model
            }
        }

        var number: Int? {
            if case .version(_, let number, _) = self { number } else { nil }
        }

        var table: String {
            if case .model = self { "model_tags" } else { "version_tags" }
        }

        var ownerColumn: String {
            if case .model = self { "model_id" } else { "version_id" }
        }

        var ownerID: Int64 {
            switch self {
            case .model(let model): model.id
            case .version(_, _, let id): id
            }
        }

        var description: String {
            switch self {
            case .model(let model): "model \"\(model.name)\""
            case .version(let model, let number, _): "version \(model.name):\(number)"
            }
        }
    }

    static func tagTarget(_ db: SQLiteDatabase, model: String, version: Int?) throws -> TagTarget {
        let row = try requireModel(db, model)
        guard let version else { return .model(row) }
        guard let id = try findVersionID(db, row.id, version) else { throw try versionNotFound(db, row, version) }
        return .version(row, number: version, id: id)
    }

    static func tagValue(_ db: SQLiteDatabase, _ target: TagTarget, _ key: String) throws -> String? {
        try db.queryFirst("SELECT value FROM \(target.table) WHERE \(target.ownerColumn) = ? AND key = ?",
                          [.integer(target.ownerID), .text(key)]) { $0.text(0) }
    }

    static func tags(_ db: SQLiteDatabase, _ target: TagTarget) throws -> [String: String] {
        let pairs = try db.query("SELECT key, value FROM \(target.table) WHERE \(target.ownerColumn) = ?",
                                 [.integer(target.ownerID)]) { ($0.text(0), $0.text(1)) }
        return Dictionary(pairs, uniquingKeysWith: { _, last in last })
    }

    /// Sets a tag inside a mutation and audits it (nothing happens if the value is unchanged).
    static func applyTag(_ mutation: Mutation, target: TagTarget, key: String, value: String) throws {
        let old = try tagValue(mutation.db, target, key)
        guard old != value else { return }
        try mutation.db.run("""
            INSERT INTO \(target.table) (\(target.ownerColumn), key, value) VALUES (?, ?, ?)
            ON CONFLICT (\(target.ownerColumn), key) DO UPDATE SET value = excluded.value
            """, [.integer(target.ownerID), .text(key), .text(value)])
        try mutation.audit(.tagSet, model: target.model.name, version: target.number,
                           before: old.map { ["key": .string(key), "value": .string($0)] },
                           after: ["key": .string(key), "value": .string(value)])
    }
}

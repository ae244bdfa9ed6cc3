extension Registry {
    /// Points `alias` (`production`, `staging`, any valid name) at an existing version of the
    /// model. Moving an alias is audited as `alias.move` with the version before and after;
    /// pointing it where it already points is a no-op.
    ///
    /// - Returns: the version the alias pointed at before, if any.
    @discardableResult
    public func setAlias(model: String, alias: String, version: Int, actor: String) throws -> Int? {
        try RegistryNames.validateAlias(alias)
        return try mutate(actor: actor) { mutation in
            let row = try Self.requireModel(mutation.db, model)
            return try Self.applyAlias(mutation, model: row, alias: alias, version: version)
        }
    }

    /// Removes an alias; `.notFound` if the model has no such alias.
    public func removeAlias(model: String, alias: String, actor: String) throws {
        try mutate(actor: actor) { mutation in
            let db = mutation.db
            let row = try Self.requireModel(db, model)
            guard let old = try Self.aliasTarget(db, row.id, alias) else {
                let names = try Self.aliases(db, row.id).keys.sorted()
                let known = names.isEmpty ? "it has no aliases" : "it has \(Self.listing(names, noun: "alias"))"
                throw RegistryError(.notFound, "model \"\(row.name)\" has no alias \"\(alias)\"; \(known)")
            }
            try db.run("DELETE FROM aliases WHERE model_id = ? AND name = ?", [.integer(row.id), .text(alias)])
            try mutation.audit(.aliasRemove, model: row.name, version: old,
                               before: ["alias": .string(alias), "version": JSONValue(old)])
        }
    }

    /// A model's aliases: alias name → version number.
    public func aliases(of model: String) throws -> [String: Int] {
        try read { db in try Self.aliases(db, try Self.requireModel(db, model).id) }
    }

    // MARK: - Shared with the other registry files

    static func aliasTarget(_ db: SQLiteDatabase, _ modelID: Int64, _ alias: String) throws -> Int? {
        try db.queryFirst("SELECT version FROM aliases WHERE model_id = ? AND name = ?",
                          [.integer(modelID), .text(alias)]) { $0.int(0) }
    }

    static func aliases(_ db: SQLiteDatabase, _ modelID: Int64) throws -> [String: Int] {
        let pairs = try db.query("SELECT name, version FROM aliases WHERE model_id = ?", [.integer(modelID)]) {
            ($0.text(0), $0.int(1))
        }
        return Dictionary(pairs, uniquingKeysWith: { _, last in last })
    }

    /// Sets or moves an alias inside a mutation and audits it. Returns the previous target.
    @discardableResult
    static func applyAlias(_ mutation: Mutation, model: ModelRow, alias: String, version: Int) throws -> Int? {
        let db = mutation.db
        guard try findVersionID(db, model.id, version) != nil else {
            throw try versionNotFound(db, model, version, context: "version")
                .adding("; an alias may only point at a registered version")
        }
        let old = try aliasTarget(db, model.id, alias)
        guard old != version else { return old }
        try db.run("""
            INSERT INTO aliases (model_id, name, version, updated_at, updated_by) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (model_id, name) DO UPDATE SET
                version = excluded.version, updated_at = excluded.updated_at, updated_by = excluded.updated_by
            """, [.integer(model.id), .text(alias), .int(version), .text(mutation.at), .text(mutation.actor)])
        try mutation.audit(old == nil ? .aliasSet : .aliasMove, model: model.name, version: version,
                           before: old.map { ["alias": .string(alias), "version": JSONValue($0)] },
                           after: ["alias": .string(alias), "version": JSONValue(version)])
        return old
    }
}

extension RegistryError {
    /// The same error with more said at the end of its message.
    func adding(_ text: String) -> RegistryError {
        RegistryError(code, message + text)
    }
}

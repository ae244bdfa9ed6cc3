extension Registry {
    /// Registers a new immutable version: creates the model if needed, assigns the next number,
    /// adds the tags and aliases, and writes the audit rows — all in one transaction, so two
    /// registrations racing (in any number of processes) get distinct, gap-free numbers.
    ///
    /// Call it only once the artifact is durable in the store: this commit is what makes the
    /// version exist.
    @discardableResult
    public func registerVersion(_ new: NewVersion, actor: String) throws -> ModelVersion {
        try RegistryNames.validateModelName(new.model)
        let digest = try Self.validatedDigest(new.artifactDigest)
        guard NewVersion.artifactKinds.contains(new.artifactKind) else {
            throw RegistryError(.invalidArgument, """
                artifact kind "\(new.artifactKind)" is not known; use "file" or "directory"
                """)
        }
        try RegistryNames.validateFormat(new.format)
        guard new.sizeBytes >= 0 else {
            throw RegistryError(.invalidArgument, "size \(new.sizeBytes) is negative; give the artifact's size in bytes")
        }
        try RegistryNames.validateProducer(new.producer)
        let signature = try Self.validatedJSON(new.signatureJSON, what: "signature")
        let parameters = try Self.validatedJSON(new.parametersJSON, what: "parameters")
        let metrics = try Self.validatedJSON(new.metricsJSON, what: "metrics", objectOnly: true)
        if let notes = new.notes {
            try RegistryNames.validateDescription(notes, what: "notes", limit: RegistryNames.maxNotesLength)
        }
        if let sourcePath = new.sourcePath {
            try RegistryNames.validateDescription(sourcePath, what: "source path", limit: 4096)
        }
        if let parent = new.parent, parent < 1 {
            throw RegistryError(.invalidArgument, "parent version \(parent) is not a version number; versions start at 1")
        }
        for (key, value) in new.tags {
            try RegistryNames.validateTagKey(key)
            try RegistryNames.validateTagValue(value, key: key)
        }
        for alias in new.aliases { try RegistryNames.validateAlias(alias) }

        return try mutate(actor: actor) { mutation in
            let db = mutation.db
            let model = try Self.findModel(db, new.model)
                ?? ModelRow(id: try Self.insertModel(mutation, name: new.model, description: "", task: nil), name: new.model)
            let number = try db.queryFirst("SELECT coalesce(max(number), 0) + 1 FROM versions WHERE model_id = ?",
                                           [.integer(model.id)]) { $0.int(0) } ?? 1
            if let parent = new.parent, try Self.findVersionID(db, model.id, parent) == nil {
                throw try Self.versionNotFound(db, model, parent, context: "parent version")
            }
            try db.run("""
                INSERT INTO versions (model_id, number, artifact_digest, artifact_kind, format, size_bytes,
                    signature_json, source_path, parent_number, producer, parameters_json, metrics_json, notes,
                    created_at, created_by)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [.integer(model.id), .int(number), .text(digest), .text(new.artifactKind), .text(new.format),
                      .integer(new.sizeBytes), .text(signature?.jsonText), .text(new.sourcePath), .int(new.parent),
                      .text(new.producer), .text(parameters?.jsonText), .text(metrics?.jsonText), .text(new.notes),
                      .text(mutation.at), .text(mutation.actor)])
            let versionID = db.lastInsertRowID
            try mutation.audit(.versionRegister, model: model.name, version: number, after: [
                "digest": .string(digest), "kind": .string(new.artifactKind), "format": .string(new.format),
                "size": .integer(new.sizeBytes), "producer": .string(new.producer), "parent": JSONValue(new.parent),
                "parameters": parameters ?? .null, "metrics": metrics ?? .null,
            ])
            for (key, value) in new.tags.sorted(by: { $0.key < $1.key }) {
                try Self.applyTag(mutation, target: .version(model, number: number, id: versionID), key: key, value: value)
            }
            for alias in new.aliases {
                try Self.applyAlias(mutation, model: model, alias: alias, version: number)
            }
            return try Self.loadVersions(db, model: model, number: number)[0]
        }
    }

    /// Merges `metricsJSON` (a JSON object) into a version's recorded metrics — RFC 7396 merge:
    /// new keys are added, existing keys replaced, keys set to null removed. The one change a
    /// registered version allows; audited with the metrics before and after.
    @discardableResult
    public func recordMetrics(model: String, version: Int, metricsJSON: String, actor: String) throws -> ModelVersion {
        guard let patch = try Self.validatedJSON(metricsJSON, what: "metrics", objectOnly: true) else {
            throw RegistryError(.invalidArgument, "no metrics given; pass a JSON object such as {\"validation_accuracy\": 0.91}")
        }
        return try mutate(actor: actor) { mutation in
            let db = mutation.db
            let row = try Self.requireModel(db, model)
            guard let id = try Self.findVersionID(db, row.id, version) else {
                throw try Self.versionNotFound(db, row, version)
            }
            let before = try db.queryFirst("SELECT metrics_json FROM versions WHERE id = ?", [.integer(id)]) {
                $0.optionalText(0)
            } ?? nil
            try db.run("UPDATE versions SET metrics_json = json_patch(coalesce(metrics_json, '{}'), ?) WHERE id = ?",
                       [.text(patch.jsonText), .integer(id)])
            let updated = try Self.loadVersions(db, model: row, number: version)[0]
            try mutation.audit(.metricsRecord, model: row.name, version: version,
                               before: try before.map(JSONValue.init(parsing:)), after: updated.metrics)
            return updated
        }
    }

    /// Every version of a model, oldest first.
    public func versions(of model: String) throws -> [ModelVersion] {
        try read { db in try Self.loadVersions(db, model: try Self.requireModel(db, model), number: nil) }
    }

    /// One version, or nil if the model or the version does not exist.
    public func version(_ model: String, _ number: Int) throws -> ModelVersion? {
        try read { db in
            guard let row = try Self.findModel(db, model) else { return nil }
            return try Self.loadVersions(db, model: row, number: number).first
        }
    }

    /// The version a reference names. `name` alone is the `production` alias when set, else the
    /// newest version. Unknown models, versions and aliases fail with `.notFound` and a message
    /// listing what exists.
    public func resolve(_ reference: VersionReference) throws -> ModelVersion {
        try read { db in
            let model = try Self.requireModel(db, reference.model)
            let number: Int
            switch reference {
            case .model:
                if let production = try Self.aliasTarget(db, model.id, VersionReference.defaultAlias) {
                    number = production
                } else {
                    number = try Self.latestNumber(db, model)
                }
            case .latest:
                number = try Self.latestNumber(db, model)
            case .number(_, let version):
                number = version
            case .alias(_, let alias):
                guard let target = try Self.aliasTarget(db, model.id, alias) else {
                    let aliases = try db.query("SELECT name FROM aliases WHERE model_id = ? ORDER BY name",
                                               [.integer(model.id)]) { $0.text(0) }
                    let known = aliases.isEmpty ? "it has no aliases yet" : "it has \(Self.listing(aliases, noun: "alias"))"
                    throw RegistryError(.notFound, """
                        model "\(model.name)" has no alias "\(alias)"; \(known) (set one with setAlias, \
                        or use \(model.name)@latest)
                        """)
                }
                number = target
            }
            guard let version = try Self.loadVersions(db, model: model, number: number).first else {
                throw try Self.versionNotFound(db, model, number)
            }
            return version
        }
    }

    /// Parses and resolves a reference in one step (`bert`, `bert:3`, `bert@staging`).
    public func resolve(_ reference: String) throws -> ModelVersion {
        try resolve(try VersionReference(parsing: reference))
    }

    /// Every artifact digest any version refers to: what the artifact store's garbage
    /// collection must keep.
    public func referencedDigests() throws -> Set<String> {
        try read { db in Set(try db.query("SELECT DISTINCT artifact_digest FROM versions") { $0.text(0) }) }
    }

    // MARK: - Shared with the other registry files

    static func findVersionID(_ db: SQLiteDatabase, _ modelID: Int64, _ number: Int) throws -> Int64? {
        try db.queryFirst("SELECT id FROM versions WHERE model_id = ? AND number = ?",
                          [.integer(modelID), .int(number)]) { $0.int64(0) }
    }

    /// The not-found error for a missing version, listing the versions there are.
    static func versionNotFound(_ db: SQLiteDatabase, _ model: ModelRow, _ number: Int,
                                context: String = "version") throws -> RegistryError {
        let numbers = try db.query("SELECT number FROM versions WHERE model_id = ? ORDER BY number",
                                   [.integer(model.id)]) { $0.int(0) }
        let known = numbers.isEmpty ? "it has no versions yet" : "its versions are \(ranges(numbers))"
        return RegistryError(.notFound, "model \"\(model.name)\" has no \(context) \(number); \(known)")
    }

    static func latestNumber(_ db: SQLiteDatabase, _ model: ModelRow) throws -> Int {
        guard let number = try db.queryFirst("SELECT max(number) FROM versions WHERE model_id = ?",
                                             [.integer(model.id)], { $0.optionalInt(0) }) ?? nil else {
            throw RegistryError(.notFound, "model \"\(model.name)\" has no versions yet; register one first")
        }
        return number
    }

    /// Versions of `model` with their tags and aliases: one by number, or all of them.
    static func loadVersions(_ db: SQLiteDatabase, model: ModelRow, number: Int?) throws -> [ModelVersion] {
        let filter = number == nil ? "" : "AND v.number = ?"
        var bindings: [SQLiteValue] = [.integer(model.id)]
        if let number { bindings.append(.int(number)) }
        var tags: [Int: [String: String]] = [:]
        for (version, key, value) in try db.query("""
            SELECT v.number, t.key, t.value FROM version_tags t JOIN versions v ON v.id = t.version_id
            WHERE v.model_id = ? \(filter)
            """, bindings, { ($0.int(0), $0.text(1), $0.text(2)) }) {
            tags[version, default: [:]][key] = value
        }
        var aliases: [Int: [String]] = [:]
        for (version, name) in try db.query("""
            SELECT a.version, a.name FROM aliases a JOIN versions v ON v.model_id = a.model_id AND v.number = a.version
            WHERE v.model_id = ? \(filter) ORDER BY a.name
            """, bindings, { ($0.int(0), $0.text(1)) }) {
            aliases[version, default: []].append(name)
        }
        return try db.query("""
            SELECT v.number, v.artifact_digest, v.artifact_kind, v.format, v.size_bytes, v.signature_json,
                   v.source_path, v.parent_number, v.producer, v.parameters_json, v.metrics_json, v.notes,
                   v.created_at, v.created_by
            FROM versions v WHERE v.model_id = ? \(filter) ORDER BY v.number
            """, bindings) { row in
            let number = row.int(0)
            return ModelVersion(
                model: model.name, number: number, artifactDigest: row.text(1), artifactKind: row.text(2),
                format: row.text(3), sizeBytes: row.int64(4), signature: try row.optionalText(5).map(JSONValue.init(parsing:)),
                sourcePath: row.optionalText(6), parent: row.optionalInt(7), producer: row.text(8),
                parameters: try row.optionalText(9).map(JSONValue.init(parsing:)),
                metrics: try row.optionalText(10).map(JSONValue.init(parsing:)), notes: row.optionalText(11),
                createdAt: row.text(12), createdBy: row.text(13), tags: tags[number] ?? [:], aliases: aliases[number] ?? [])
        }
    }

    /// 64 hex digits, returned lowercase.
    static func validatedDigest(_ digest: String) throws -> String {
        let lower = digest.lowercased()
        guard lower.utf8.count == 64, lower.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) || ("a"..."f").contains($0) }) else {
            throw RegistryError(.invalidArgument, """
                artifact digest "\(RegistryNames.printable(String(digest.prefix(80))))" is not a sha256; \
                give the 64 hexadecimal digits of the artifact's sha256
                """)
        }
        return lower
    }

    /// Parses optional JSON text; with `objectOnly`, it must be a JSON object.
    static func validatedJSON(_ text: String?, what: String, objectOnly: Bool = false) throws -> JSONValue? {
        guard let text else { return nil }
        let value: JSONValue
        do {
            value = try JSONValue(parsing: text)
        } catch {
            throw RegistryError(.invalidArgument, "the \(what) JSON is not valid (\(text.prefix(60))); pass well-formed JSON text")
        }
        if objectOnly && !value.isObject {
            throw RegistryError(.invalidArgument, """
                the \(what) must be a JSON object such as {"validation_accuracy": 0.91}, not \(value.jsonText.prefix(60))
                """)
        }
        return value
    }
}

extension Registry {
    /// Creates an empty model. Registering a version creates its model too; this is for
    /// recording a description and task up front.
    @discardableResult
    public func createModel(name: String, description: String = "", task: String? = nil, actor: String) throws -> Model {
        try RegistryNames.validateModelName(name)
        try RegistryNames.validateDescription(description, what: "description", limit: RegistryNames.maxDescriptionLength)
        if let task { try RegistryNames.validateTask(task) }
        return try mutate(actor: actor) { mutation in
            if let existing = try Self.findModel(mutation.db, name) {
                throw RegistryError(.conflict, """
                    model "\(existing.name)" already exists; register a new version of it instead, \
                    or choose another name
                    """)
            }
            let id = try Self.insertModel(mutation, name: name, description: description, task: task)
            return try Self.loadModels(mutation.db, id: id)[0]
        }
    }

    /// The model called `name` (case-insensitive), or nil.
    public func model(_ name: String) throws -> Model? {
        try read { db in
            guard let row = try Self.findModel(db, name) else { return nil }
            return try Self.loadModels(db, id: row.id).first
        }
    }

    /// Every model, sorted by name, with its version count and latest version.
    public func models() throws -> [Model] {
        try read { db in try Self.loadModels(db, id: nil) }
    }

    // MARK: - Shared with the other registry files

    /// A model's row id and canonical name.
    struct ModelRow {
        let id: Int64
        let name: String
    }

    static func findModel(_ db: SQLiteDatabase, _ name: String) throws -> ModelRow? {
        try db.queryFirst("SELECT id, name FROM models WHERE name = ?", [.text(name)]) {
            ModelRow(id: $0.int64(0), name: $0.text(1))
        }
    }

    /// The model called `name`, or a not-found error that lists the models there are.
    static func requireModel(_ db: SQLiteDatabase, _ name: String) throws -> ModelRow {
        if let row = try findModel(db, name) { return row }
        let names = try db.query("SELECT name FROM models ORDER BY name") { $0.text(0) }
        if names.isEmpty {
            throw RegistryError(.notFound, "there is no model \"\(name)\": the registry has no models yet; register a version first")
        }
        throw RegistryError(.notFound, "there is no model \"\(name)\"; the registry has \(listing(names, noun: "model"))")
    }

    /// Inserts a model and its audit row.
    static func insertModel(_ mutation: Mutation, name: String, description: String, task: String?) throws -> Int64 {
        try mutation.db.run("""
            INSERT INTO models (name, description, task, created_at, created_by) VALUES (?, ?, ?, ?, ?)
            """, [.text(name), .text(description), .text(task), .text(mutation.at), .text(mutation.actor)])
        let id = mutation.db.lastInsertRowID
        try mutation.audit(.modelCreate, model: name, after: ["description": .string(description), "task": JSONValue(task)])
        return id
    }

    /// Models with their counts, tags and aliases: one model by id, or all of them.
    static func loadModels(_ db: SQLiteDatabase, id: Int64?) throws -> [Model] {
        let filter = id == nil ? "" : "WHERE m.id = ?"
        let bindings: [SQLiteValue] = id.map { [.integer($0)] } ?? []
        var tags: [Int64: [String: String]] = [:]
        for (model, key, value) in try db.query("""
            SELECT t.model_id, t.key, t.value FROM model_tags t JOIN models m ON m.id = t.model_id \(filter)
            """, bindings, { ($0.int64(0), $0.text(1), $0.text(2)) }) {
            tags[model, default: [:]][key] = value
        }
        var aliases: [Int64: [String: Int]] = [:]
        for (model, name, version) in try db.query("""
            SELECT a.model_id, a.name, a.version FROM aliases a JOIN models m ON m.id = a.model_id \(filter)
            """, bindings, { ($0.int64(0), $0.text(1), $0.int(2)) }) {
            aliases[model, default: [:]][name] = version
        }
        return try db.query("""
            SELECT m.id, m.name, m.description, m.task, m.created_at, m.created_by,
                   (SELECT count(*) FROM versions v WHERE v.model_id = m.id),
                   (SELECT max(number) FROM versions v WHERE v.model_id = m.id)
            FROM models m \(filter) ORDER BY m.name
            """, bindings) { row in
            Model(name: row.text(1), description: row.text(2), task: row.optionalText(3), createdAt: row.text(4),
                  createdBy: row.text(5), versionCount: row.int(6), latestVersion: row.optionalInt(7),
                  tags: tags[row.int64(0)] ?? [:], aliases: aliases[row.int64(0)] ?? [:])
        }
    }

    /// "2 models: a, b" — capped, so a message stays readable with thousands of rows.
    static func listing(_ items: [String], noun: String, limit: Int = 20) -> String {
        let plural = items.count == 1 ? noun : noun + "s"
        var text = "\(items.count) \(plural): " + items.prefix(limit).joined(separator: ", ")
        if items.count > limit { text += ", … and \(items.count - limit) more" }
        return text
    }

    /// Version numbers as ranges: "1–3, 5".
    static func ranges(_ numbers: [Int]) -> String {
        var parts: [String] = []
        var index = 0
        let sorted = numbers.sorted()
        while index < sorted.count {
            var end = index
            while end + 1 < sorted.count && sorted[end + 1] == sorted[end] + 1 { end += 1 }
            parts.append(end == index ? "\(sorted[index])" : end == index + 1
                         ? "\(sorted[index]), \(sorted[end])" : "\(sorted[index])–\(sorted[end])")
            index = end + 1
        }
        return parts.joined(separator: ", ")
    }
}

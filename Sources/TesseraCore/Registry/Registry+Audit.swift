extension Registry {
    /// Audit events, newest first: every change to the registry, with who made it, when, and the
    /// state before and after. The log is append-only — triggers in the database refuse UPDATE
    /// and DELETE of its rows.
    ///
    /// - Parameters:
    ///   - model: only events about this model (case-insensitive); nil for all.
    ///   - limit: at most this many events.
    ///   - before: only events older than this event id, to page back through the log.
    public func audit(model: String? = nil, limit: Int = 100, before: Int64? = nil) throws -> [AuditEvent] {
        guard limit >= 0 else {
            throw RegistryError(.invalidArgument, "audit limit \(limit) is negative; ask for 0 or more events")
        }
        var conditions: [String] = []
        var bindings: [SQLiteValue] = []
        if let model {
            conditions.append("model = ?")
            bindings.append(.text(model))
        }
        if let before {
            conditions.append("id < ?")
            bindings.append(.integer(before))
        }
        bindings.append(.int(limit))
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        return try read { db in
            try db.query("""
                SELECT id, at, actor, action, model, version, before_json, after_json
                FROM audit_events \(filter) ORDER BY id DESC LIMIT ?
                """, bindings) { row in
                AuditEvent(id: row.int64(0), at: row.text(1), actor: row.text(2),
                           action: AuditEvent.Action(rawValue: row.text(3)), model: row.optionalText(4),
                           version: row.optionalInt(5), before: try row.optionalText(6).map(JSONValue.init(parsing:)),
                           after: try row.optionalText(7).map(JSONValue.init(parsing:)))
            }
        }
    }
}

extension Registry {
    /// Makes `version` the model's primary. The replaced primary is pushed onto the model's
    /// history, which ``rollback(model:to:actor:)`` pops. Deploying the canary's (or shadow's)
    /// version promotes it: that canary (or shadow) is cleared. Deploying the current primary
    /// again is a no-op.
    @discardableResult
    public func deploy(model: String, version: Int, actor: String) throws -> Deployment {
        try mutate(actor: actor) { mutation in
            let db = mutation.db
            let row = try Self.requireModel(db, model)
            try Self.requireVersion(db, row, version, purpose: "deploy it")
            guard let current = try Self.deploymentState(db, row) else {
                try db.run("""
                    INSERT INTO deployments (model_id, primary_version, updated_at, updated_by) VALUES (?, ?, ?, ?)
                    """, [.integer(row.id), .int(version), .text(mutation.at), .text(mutation.actor)])
                try mutation.audit(.deploy, model: row.name, version: version,
                                   after: try Self.deploymentState(db, row)?.snapshot)
                return try Self.loadDeployment(db, row)!
            }
            guard current.primary != version else { return try Self.loadDeployment(db, row)! }
            try db.run("""
                INSERT INTO deployment_history (model_id, version, replaced_at, replaced_by) VALUES (?, ?, ?, ?)
                """, [.integer(row.id), .int(current.primary), .text(mutation.at), .text(mutation.actor)])
            let next = try Self.setPrimary(mutation, row, from: current, to: version)
            try mutation.audit(.deploy, model: row.name, version: version, before: current.snapshot, after: next.snapshot)
            return try Self.loadDeployment(db, row)!
        }
    }

    /// Restores an earlier primary. With `to` nil it is exactly the previous primary (the top of
    /// the history, which is removed, so rolling back again goes one further back). With `to`,
    /// the version must be in the history; it and every later entry are removed.
    ///
    /// - Returns: the primary before and after.
    @discardableResult
    public func rollback(model: String, to target: Int? = nil, actor: String) throws -> (from: Int, to: Int) {
        try mutate(actor: actor) { mutation in
            let db = mutation.db
            let row = try Self.requireModel(db, model)
            let current = try Self.requireDeployment(db, row)
            let history = try Self.history(db, row)
            let entry: (id: Int64, version: Int)
            if let target {
                guard target != current.primary else {
                    throw RegistryError(.conflict, "version \(target) is already the primary of \"\(row.name)\"; nothing to roll back")
                }
                guard let found = history.first(where: { $0.version == target }) else {
                    let earlier = history.isEmpty ? "it has had no other primary"
                        : "its previous primaries are \(history.map { String($0.version) }.joined(separator: ", "))"
                    throw RegistryError(.conflict, """
                        version \(target) was never a primary of "\(row.name)", so it cannot be rolled back to; \
                        \(earlier) — use deploy to make another version primary
                        """)
                }
                entry = found
            } else {
                guard let top = history.first else {
                    throw RegistryError(.conflict, """
                        "\(row.name)" has no previous primary to roll back to (version \(current.primary) is its \
                        first); use deploy to make another version primary
                        """)
                }
                entry = top
            }
            try db.run("DELETE FROM deployment_history WHERE model_id = ? AND id >= ?",
                       [.integer(row.id), .integer(entry.id)])
            let next = try Self.setPrimary(mutation, row, from: current, to: entry.version)
            try mutation.audit(.rollback, model: row.name, version: entry.version, before: current.snapshot,
                               after: next.snapshot)
            return (from: current.primary, to: entry.version)
        }
    }

    /// The model's deployment, or nil if nothing was ever deployed.
    public func deployment(of model: String) throws -> Deployment? {
        try read { db in try Self.loadDeployment(db, try Self.requireModel(db, model)) }
    }

    /// Sends `weight` percent (0–100) of the model's traffic to `version`, a version other than
    /// the primary. Setting it again changes the weight or state (stepping a canary up).
    @discardableResult
    public func setCanary(model: String, version: Int, weight: Int, state: CanaryState = .running,
                          plan: CanaryPlan? = nil, actor: String) throws -> Deployment {
        let plan = try plan?.validated()
        guard (0...100).contains(weight) else {
            throw RegistryError(.invalidArgument, "canary weight \(weight) is out of range; give a percentage from 0 to 100")
        }
        guard CanaryState.all.contains(state) else {
            throw RegistryError(.invalidArgument, """
                canary state "\(state)" is not known; use one of \(CanaryState.all.map(\.rawValue).joined(separator: ", "))
                """)
        }
        return try changeSecondary(model: model, version: version, role: "canary", action: .canarySet, actor: actor) { next, at in
            // A new version, weight or state starts a new analysis window; the plan is kept
            // unless a new one is given.
            if next.canaryVersion != version || next.canaryWeight != weight || next.canaryState != state.rawValue {
                next.canaryStepAt = at
            }
            if next.canaryVersion != version { next.canaryPlan = nil }
            next.canaryVersion = version
            next.canaryWeight = weight
            next.canaryState = state.rawValue
            if let plan { next.canaryPlan = plan.json }
        }
    }

    /// Stops the canary (all traffic to the primary). A no-op when there is none.
    @discardableResult
    public func clearCanary(model: String, actor: String) throws -> Deployment? {
        try clearSecondary(model: model, action: .canaryClear, actor: actor) { $0.clearCanary() }
    }

    /// Mirrors `fraction` (0–1) of the model's requests to `version`; its responses are discarded.
    @discardableResult
    public func setShadow(model: String, version: Int, fraction: Double = 1, actor: String) throws -> Deployment {
        guard fraction.isFinite, (0...1).contains(fraction) else {
            throw RegistryError(.invalidArgument, "shadow fraction \(fraction) is out of range; give a fraction from 0 to 1")
        }
        return try changeSecondary(model: model, version: version, role: "shadow", action: .shadowSet, actor: actor) { next, _ in
            next.shadowVersion = version
            next.shadowFraction = fraction
        }
    }

    /// Stops mirroring. A no-op when there is no shadow.
    @discardableResult
    public func clearShadow(model: String, actor: String) throws -> Deployment? {
        try clearSecondary(model: model, action: .shadowClear, actor: actor) { $0.clearShadow() }
    }

    // MARK: - Internals

    /// The deployments row, as the audit log records it.
    struct DeploymentState: Equatable {
        var primary: Int
        var canaryVersion: Int?
        var canaryWeight: Int?
        var canaryState: String?
        var shadowVersion: Int?
        var shadowFraction: Double?
        /// JSON of a CanaryPlan.
        var canaryPlan: String?
        var canaryStepAt: String?

        mutating func clearCanary() {
            canaryVersion = nil
            canaryWeight = nil
            canaryState = nil
            canaryPlan = nil
            canaryStepAt = nil
        }

        mutating func clearShadow() {
            shadowVersion = nil
            shadowFraction = nil
        }

        var snapshot: JSONValue {
            [
                "primary": JSONValue(primary),
                "canary": canaryVersion.map { ["version": JSONValue($0), "weight": JSONValue(canaryWeight),
                                               "state": JSONValue(canaryState)] } ?? .null,
                "shadow": shadowVersion.map { ["version": JSONValue($0),
                                               "fraction": shadowFraction.map(JSONValue.number) ?? .null] } ?? .null,
            ]
        }
    }

    private func changeSecondary(model: String, version: Int, role: String, action: AuditEvent.Action, actor: String,
                                 _ change: (inout DeploymentState, String) -> Void) throws -> Deployment {
        try mutate(actor: actor) { mutation in
            let db = mutation.db
            let row = try Self.requireModel(db, model)
            let current = try Self.requireDeployment(db, row)
            try Self.requireVersion(db, row, version, purpose: "make it the \(role)")
            guard version != current.primary else {
                throw RegistryError(.conflict, """
                    version \(version) is the primary of "\(row.name)"; a \(role) must be a different version
                    """)
            }
            var next = current
            change(&next, mutation.at)
            if next != current {
                try Self.write(mutation, row, next)
                try mutation.audit(action, model: row.name, version: version, before: current.snapshot, after: next.snapshot)
            }
            return try Self.loadDeployment(db, row)!
        }
    }

    private func clearSecondary(model: String, action: AuditEvent.Action, actor: String,
                                _ change: (inout DeploymentState) -> Void) throws -> Deployment? {
        try mutate(actor: actor) { mutation in
            let db = mutation.db
            let row = try Self.requireModel(db, model)
            guard let current = try Self.deploymentState(db, row) else { return nil }
            var next = current
            change(&next)
            if next != current {
                try Self.write(mutation, row, next)
                try mutation.audit(action, model: row.name, before: current.snapshot, after: next.snapshot)
            }
            return try Self.loadDeployment(db, row)
        }
    }

    /// Replaces the primary; a canary or shadow of that same version is promoted away.
    private static func setPrimary(_ mutation: Mutation, _ row: ModelRow, from current: DeploymentState,
                                   to version: Int) throws -> DeploymentState {
        var next = current
        next.primary = version
        if next.canaryVersion == version { next.clearCanary() }
        if next.shadowVersion == version { next.clearShadow() }
        try write(mutation, row, next)
        return next
    }

    /// Stores a model's deployment state, stamped with the mutation's time and actor.
    private static func write(_ mutation: Mutation, _ row: ModelRow, _ state: DeploymentState) throws {
        try mutation.db.run("""
            UPDATE deployments SET primary_version = ?, canary_version = ?, canary_weight = ?, canary_state = ?,
                shadow_version = ?, shadow_fraction = ?, canary_plan = ?, canary_step_at = ?, updated_at = ?, updated_by = ?
            WHERE model_id = ?
            """, [.int(state.primary), .int(state.canaryVersion), .int(state.canaryWeight), .text(state.canaryState),
                  .int(state.shadowVersion), state.shadowFraction.map { .real($0) } ?? .null, .text(state.canaryPlan),
                  .text(state.canaryStepAt), .text(mutation.at), .text(mutation.actor), .integer(row.id)])
    }

    private static func requireVersion(_ db: SQLiteDatabase, _ row: ModelRow, _ version: Int, purpose: String) throws {
        guard try findVersionID(db, row.id, version) != nil else {
            throw try versionNotFound(db, row, version).adding("; register it before you \(purpose)")
        }
    }

    static func deploymentState(_ db: SQLiteDatabase, _ row: ModelRow) throws -> DeploymentState? {
        try db.queryFirst("""
            SELECT primary_version, canary_version, canary_weight, canary_state, shadow_version, shadow_fraction,
                   canary_plan, canary_step_at
            FROM deployments WHERE model_id = ?
            """, [.integer(row.id)]) {
            DeploymentState(primary: $0.int(0), canaryVersion: $0.optionalInt(1), canaryWeight: $0.optionalInt(2),
                            canaryState: $0.optionalText(3), shadowVersion: $0.optionalInt(4),
                            shadowFraction: $0.optionalDouble(5), canaryPlan: $0.optionalText(6), canaryStepAt: $0.optionalText(7))
        }
    }

    private static func requireDeployment(_ db: SQLiteDatabase, _ row: ModelRow) throws -> DeploymentState {
        guard let state = try deploymentState(db, row) else {
            throw RegistryError(.notFound, "model \"\(row.name)\" has no deployment yet; deploy a version first")
        }
        return state
    }

    /// The history of replaced primaries, most recent first.
    private static func history(_ db: SQLiteDatabase, _ row: ModelRow) throws -> [(id: Int64, version: Int)] {
        try db.query("SELECT id, version FROM deployment_history WHERE model_id = ? ORDER BY id DESC",
                     [.integer(row.id)]) { (id: $0.int64(0), version: $0.int(1)) }
    }

    static func loadDeployment(_ db: SQLiteDatabase, _ row: ModelRow) throws -> Deployment? {
        let history = try history(db, row).map(\.version)
        return try db.queryFirst("""
            SELECT primary_version, canary_version, canary_weight, canary_state, shadow_version, shadow_fraction,
                   updated_at, updated_by, canary_plan, canary_step_at
            FROM deployments WHERE model_id = ?
            """, [.integer(row.id)]) { result in
            let canary = result.optionalInt(1).map {
                Deployment.Canary(version: $0, weight: result.int(2), state: CanaryState(rawValue: result.text(3)),
                                  plan: CanaryPlan(json: result.optionalText(8)), stepStartedAt: result.optionalText(9))
            }
            let shadow = result.optionalInt(4).map { Deployment.Shadow(version: $0, fraction: result.double(5)) }
            return Deployment(model: row.name, primary: result.int(0), canary: canary, shadow: shadow,
                              previousPrimaries: history, updatedAt: result.text(6), updatedBy: result.text(7))
        }
    }
}

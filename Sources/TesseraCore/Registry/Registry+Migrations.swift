/// A numbered schema change. Migration *n* takes a database from `user_version` n-1 to n.
struct Migration: Sendable {
    let version: Int
    let summary: String
    let sql: String
}

extension Registry {
    /// Marks the file as a Tessera registry (`PRAGMA application_id`, "TSRG"), so the registry
    /// refuses to migrate some other application's SQLite database.
    static let applicationID: Int32 = 0x5453_5247

    /// Every schema change, in order. Append only: a shipped migration is never edited, because
    /// databases in the field were built by it. Migrations that rebuild tables must follow
    /// SQLite's 12-step ALTER procedure (foreign_keys is ON and cannot change in a transaction).
    static let migrations: [Migration] = [
        Migration(version: 1, summary: "models, immutable versions, append-only audit log", sql: """
            PRAGMA application_id = \(applicationID);

            CREATE TABLE models (
                id          INTEGER PRIMARY KEY,
                name        TEXT NOT NULL UNIQUE COLLATE NOCASE,
                description TEXT NOT NULL DEFAULT '',
                task        TEXT,
                created_at  TEXT NOT NULL,
                created_by  TEXT NOT NULL
            ) STRICT;

            CREATE TABLE versions (
                id              INTEGER PRIMARY KEY,
                model_id        INTEGER NOT NULL REFERENCES models (id),
                number          INTEGER NOT NULL CHECK (number >= 1),
                artifact_digest TEXT NOT NULL
                    CHECK (length(artifact_digest) = 64 AND artifact_digest NOT GLOB '*[^0-9a-f]*'),
                artifact_kind   TEXT NOT NULL CHECK (artifact_kind IN ('file', 'directory')),
                format          TEXT NOT NULL,
                size_bytes      INTEGER NOT NULL CHECK (size_bytes >= 0),
                signature_json  TEXT CHECK (signature_json IS NULL OR json_valid(signature_json)),
                source_path     TEXT,
                parent_number   INTEGER CHECK (parent_number IS NULL OR parent_number < number),
                producer        TEXT NOT NULL,
                parameters_json TEXT CHECK (parameters_json IS NULL OR json_valid(parameters_json)),
                metrics_json    TEXT CHECK (metrics_json IS NULL OR json_valid(metrics_json)),
                notes           TEXT,
                created_at      TEXT NOT NULL,
                created_by      TEXT NOT NULL,
                UNIQUE (model_id, number),
                FOREIGN KEY (model_id, parent_number) REFERENCES versions (model_id, number)
            ) STRICT;
            CREATE INDEX versions_digest ON versions (artifact_digest);

            -- A registered version never changes; only its recorded metrics may grow.
            CREATE TRIGGER versions_are_immutable
            BEFORE UPDATE OF id, model_id, number, artifact_digest, artifact_kind, format, size_bytes,
                signature_json, source_path, parent_number, producer, parameters_json, notes,
                created_at, created_by ON versions
            BEGIN
                SELECT RAISE(ABORT, 'model versions are immutable; register a new version instead');
            END;
            CREATE TRIGGER versions_are_never_deleted BEFORE DELETE ON versions
            BEGIN
                SELECT RAISE(ABORT, 'model versions are never deleted');
            END;

            -- AUTOINCREMENT: event ids only grow, even past a deleted maximum.
            CREATE TABLE audit_events (
                id          INTEGER PRIMARY KEY AUTOINCREMENT,
                at          TEXT NOT NULL,
                actor       TEXT NOT NULL,
                action      TEXT NOT NULL,
                model       TEXT COLLATE NOCASE,
                version     INTEGER,
                before_json TEXT CHECK (before_json IS NULL OR json_valid(before_json)),
                after_json  TEXT CHECK (after_json IS NULL OR json_valid(after_json))
            ) STRICT;
            CREATE INDEX audit_events_by_model ON audit_events (model, id);
            CREATE TRIGGER audit_events_are_append_only_update BEFORE UPDATE ON audit_events
            BEGIN
                SELECT RAISE(ABORT, 'the audit log is append-only');
            END;
            CREATE TRIGGER audit_events_are_append_only_delete BEFORE DELETE ON audit_events
            BEGIN
                SELECT RAISE(ABORT, 'the audit log is append-only');
            END;
            """),
        Migration(version: 2, summary: "tags on models and versions, aliases", sql: """
            CREATE TABLE model_tags (
                model_id INTEGER NOT NULL REFERENCES models (id),
                key      TEXT NOT NULL,
                value    TEXT NOT NULL,
                PRIMARY KEY (model_id, key)
            ) STRICT, WITHOUT ROWID;

            CREATE TABLE version_tags (
                version_id INTEGER NOT NULL REFERENCES versions (id),
                key        TEXT NOT NULL,
                value      TEXT NOT NULL,
                PRIMARY KEY (version_id, key)
            ) STRICT, WITHOUT ROWID;

            -- The composite key makes the database itself refuse an alias to another model's version.
            CREATE TABLE aliases (
                model_id   INTEGER NOT NULL REFERENCES models (id),
                name       TEXT NOT NULL COLLATE NOCASE,
                version    INTEGER NOT NULL,
                updated_at TEXT NOT NULL,
                updated_by TEXT NOT NULL,
                PRIMARY KEY (model_id, name),
                FOREIGN KEY (model_id, version) REFERENCES versions (model_id, number)
            ) STRICT;
            """),
        Migration(version: 3, summary: "deployments (primary, canary, shadow) and the history of primaries", sql: """
            CREATE TABLE deployments (
                model_id        INTEGER PRIMARY KEY REFERENCES models (id),
                primary_version INTEGER NOT NULL,
                canary_version  INTEGER,
                canary_weight   INTEGER CHECK (canary_weight BETWEEN 0 AND 100),
                canary_state    TEXT,
                shadow_version  INTEGER,
                shadow_fraction REAL CHECK (shadow_fraction BETWEEN 0.0 AND 1.0),
                updated_at      TEXT NOT NULL,
                updated_by      TEXT NOT NULL,
                CHECK ((canary_version IS NULL) = (canary_weight IS NULL)
                       AND (canary_version IS NULL) = (canary_state IS NULL)),
                CHECK ((shadow_version IS NULL) = (shadow_fraction IS NULL)),
                FOREIGN KEY (model_id, primary_version) REFERENCES versions (model_id, number),
                FOREIGN KEY (model_id, canary_version) REFERENCES versions (model_id, number),
                FOREIGN KEY (model_id, shadow_version) REFERENCES versions (model_id, number)
            ) STRICT;

            -- A stack per model: deploy pushes the replaced primary, rollback pops.
            CREATE TABLE deployment_history (
                id          INTEGER PRIMARY KEY AUTOINCREMENT,
                model_id    INTEGER NOT NULL REFERENCES models (id),
                version     INTEGER NOT NULL,
                replaced_at TEXT NOT NULL,
                replaced_by TEXT NOT NULL,
                FOREIGN KEY (model_id, version) REFERENCES versions (model_id, number)
            ) STRICT;
            CREATE INDEX deployment_history_by_model ON deployment_history (model_id, id);
            """),
        Migration(version: 4, summary: "a canary's plan (weight steps, analysis window) and when its step began", sql: """
            -- JSON {"steps": [10, 25, 50, 100], "window_seconds": 60}; NULL for a canary stepped by hand.
            ALTER TABLE deployments ADD COLUMN canary_plan TEXT;
            -- When the canary's current weight or state was set: its analysis window starts there.
            ALTER TABLE deployments ADD COLUMN canary_step_at TEXT;
            """),
    ]

    /// Brings the schema up to `target`, one transaction per migration. Safe when several
    /// processes open the same file at once: each step re-reads `user_version` under the write
    /// lock and skips what another process already applied.
    func migrate(upTo target: Int) throws {
        precondition((0...Self.schemaVersion).contains(target), "no migration \(target)")
        let filePath = path.path
        let identity = try read { db in
            (userVersion: try db.userVersion(),
             application: try db.queryFirst("PRAGMA application_id") { Int32(truncatingIfNeeded: $0.int64(0)) } ?? 0,
             tables: try db.queryFirst("SELECT count(*) FROM sqlite_schema") { $0.int(0) } ?? 0)
        }
        let current = identity.userVersion
        try checkIdentity(userVersion: current, application: identity.application, tables: identity.tables)
        guard current < target else { return }
        for migration in Self.migrations[current..<target] {
            try withConnection { db in
                try db.transaction {
                    let found = try db.userVersion()
                    guard found == migration.version - 1 else {
                        guard found >= migration.version else {
                            throw RegistryError(.database, """
                                the registry at \(filePath) changed schema version to \(found) while migrating; \
                                open it again
                                """)
                        }
                        return
                    }
                    do {
                        try db.exec(migration.sql)
                        try db.exec("PRAGMA user_version = \(migration.version)")
                    } catch let error as SQLiteError {
                        throw RegistryError(.database, """
                            migrating the registry at \(filePath) to schema \(migration.version) \
                            (\(migration.summary)) failed: \(error); the database is unchanged — \
                            restore free disk space or permissions and open it again
                            """)
                    }
                }
            }
        }
    }

    /// Refuses databases that are newer than this build or belong to another application.
    private func checkIdentity(userVersion: Int, application: Int32, tables: Int) throws {
        let filePath = path.path
        if userVersion > Self.schemaVersion {
            throw RegistryError(.schemaTooNew, """
                the registry at \(filePath) has schema version \(userVersion), but this build of Tessera \
                (\(TesseraCore.version)) only knows schema versions up to \(Self.schemaVersion); \
                upgrade Tessera to open it — downgrading is not supported, and this build will not modify it
                """)
        }
        if application != Self.applicationID && (application != 0 || userVersion != 0 || tables > 0) {
            throw RegistryError(.notARegistry, """
                \(filePath) is a SQLite database, but not a Tessera registry (application_id \(application), \
                schema version \(userVersion)); point the store at an empty folder or at an existing Tessera store
                """)
        }
    }
}

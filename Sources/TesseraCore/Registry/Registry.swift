public import Foundation
import CSQLite
import Synchronization

/// The model registry: models, their immutable versions, tags, aliases, deployments and the
/// audit log, in one SQLite file.
///
/// Every mutation is one `BEGIN IMMEDIATE` transaction that also appends its audit rows, so a
/// change and its record commit together or not at all. Several `Registry` instances — in one
/// process or in several — may share a file: SQLite's locks serialize writers, and each writer
/// waits up to the busy timeout for the others.
///
/// Thread-safe: the one connection is used under a lock.
public final class Registry: Sendable {
    /// The database file.
    public let path: URL
    private let connection: Mutex<SQLiteDatabase>
    private let now: @Sendable () -> Date

    /// The schema version this build writes (the number of migrations).
    public static var schemaVersion: Int { migrations.count }

    /// Opens the registry at `path`, creating it (and its folder) if needed and migrating an
    /// older schema to the current one.
    ///
    /// - Parameter busyTimeout: how long a change waits for another writer (another process
    ///   registering, say) before failing with `.busy`.
    public convenience init(path: URL, busyTimeout: Duration = .seconds(10)) throws {
        try self.init(path: path, busyTimeout: busyTimeout, schemaVersion: Self.schemaVersion)
    }

    /// Opens the registry and migrates it only up to `schemaVersion`; tests use this to build
    /// databases at every earlier schema.
    init(path: URL, busyTimeout: Duration = .seconds(10), schemaVersion: Int,
         now: @escaping @Sendable () -> Date = { Date() }) throws {
        self.path = path
        self.now = now
        let filePath = path.path
        do {
            try FileManager.default.createDirectory(at: path.deletingLastPathComponent(),
                                                    withIntermediateDirectories: true)
        } catch {
            throw RegistryError(.database, """
                cannot create the folder for the registry at \(filePath): \(error.localizedDescription); \
                check the store path and its permissions
                """)
        }
        let database: SQLiteDatabase
        do {
            database = try SQLiteDatabase(path: filePath, busyTimeout: busyTimeout)
            try Self.configure(database)
        } catch let error as SQLiteError {
            throw Self.translate(error, path: filePath, busyTimeout: busyTimeout)
        }
        connection = Mutex(database)
        try migrate(upTo: schemaVersion)
    }

    /// The connection settings every registry connection runs with.
    private static func configure(_ database: SQLiteDatabase) throws {
        // Before anything else touches the file: a foreign file fails here with SQLITE_NOTADB.
        try database.exec("PRAGMA foreign_keys = ON")
        guard try database.queryFirst("PRAGMA foreign_keys", [], { $0.int(0) }) == 1 else {
            throw SQLiteError(code: SQLITE_ERROR, extendedCode: SQLITE_ERROR,
                              message: "this SQLite library was built without foreign key support", sql: nil)
        }
        // WAL: readers never block the writer and vice versa, and a crash mid-write leaves the
        // database as of the last commit.
        // Switching a new file to WAL takes an exclusive lock; another process opening the same
        // new file at the same moment makes it BUSY, so it is retried like a transaction.
        var mode: String?
        try database.retryingWhileBusy {
            mode = try database.queryFirst("PRAGMA journal_mode = WAL") { $0.text(0) }
        }
        guard mode?.lowercased() == "wal" else {
            throw SQLiteError(code: SQLITE_ERROR, extendedCode: SQLITE_ERROR, message: """
                the database could not switch to WAL mode (it is in "\(mode ?? "?")" mode); \
                WAL needs a local file system with shared-memory support
                """, sql: nil)
        }
        // FULL, not NORMAL: the registry row is the commit point of a registration (the artifact
        // is already fsync'ed in the store), so a commit that returned must survive power loss —
        // NORMAL in WAL mode may lose the last commits, leaving a stored artifact that the next
        // `store gc` deletes although the caller was told it was registered.
        try database.exec("PRAGMA synchronous = FULL")
    }

    // MARK: - Running work on the connection

    /// What a mutation works with: the connection inside its transaction, one timestamp for all
    /// its rows, and who is making the change.
    struct Mutation {
        let db: SQLiteDatabase
        let at: String
        let actor: String

        /// Appends an audit row in the mutation's transaction.
        func audit(_ action: AuditEvent.Action, model: String?, version: Int? = nil,
                   before: JSONValue? = nil, after: JSONValue? = nil) throws {
            try db.run("""
                INSERT INTO audit_events (at, actor, action, model, version, before_json, after_json)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """, [.text(at), .text(actor), .text(action.rawValue), .text(model), .int(version),
                      .text(before.map(\.jsonText)), .text(after.map(\.jsonText))])
        }
    }

    /// Runs `body` as one write transaction on behalf of `actor`.
    func mutate<T: Sendable>(actor: String, _ body: (Mutation) throws -> T) throws -> T {
        try RegistryNames.validateActor(actor)
        let at = Self.timestamp(now())
        return try withConnection { db in
            try db.transaction { try body(Mutation(db: db, at: at, actor: actor)) }
        }
    }

    /// Runs `body` in a read transaction, so it sees one consistent snapshot.
    func read<T: Sendable>(_ body: (SQLiteDatabase) throws -> T) throws -> T {
        try withConnection { db in try db.read { try body(db) } }
    }

    /// Runs `body` with the connection under the lock, turning SQLite errors into registry errors.
    func withConnection<T: Sendable>(_ body: (SQLiteDatabase) throws -> T) throws -> T {
        let filePath = path.path
        return try connection.withLock { database in
            do {
                return try body(database)
            } catch let error as SQLiteError {
                throw Self.translate(error, path: filePath, busyTimeout: database.busyTimeout)
            }
        }
    }

    static func translate(_ error: SQLiteError, path: String, busyTimeout: Duration) -> RegistryError {
        switch error.code {
        case SQLITE_BUSY, SQLITE_LOCKED:
            return RegistryError(.busy, """
                the registry at \(path) stayed locked by another writer for more than \(busyTimeout); \
                try again, and if it persists look for a stuck process holding the database (sqlite: \(error.message))
                """)
        case SQLITE_NOTADB:
            return RegistryError(.notARegistry, """
                \(path) is not a SQLite database, so it cannot be a Tessera registry; \
                point the store at an empty folder or at an existing Tessera store
                """)
        case SQLITE_CONSTRAINT:
            return RegistryError(.conflict, "the registry refused the change: \(error.message)")
        case SQLITE_READONLY, SQLITE_CANTOPEN, SQLITE_PERM:
            return RegistryError(.database, """
                cannot write the registry at \(path): \(error.message); \
                check that the file and its folder exist and are writable by this user
                """)
        default:
            return RegistryError(.database, """
                the registry database at \(path) failed: \(error); \
                check free disk space and the file's permissions, and run `PRAGMA integrity_check` if it persists
                """)
        }
    }

    // MARK: - Time

    /// ISO-8601 UTC with milliseconds (`2025-01-02T03:04:05.678Z`): sorts as text, reads as time.
    static func timestamp(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        var seconds = time_t(milliseconds.quotientAndRemainder(dividingBy: 1000).quotient)
        var fraction = Int(milliseconds % 1000)
        if fraction < 0 {
            fraction += 1000
            seconds -= 1
        }
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))"
            + "T\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(fraction), 3))Z"
    }
}

import CSQLite
import Foundation

/// A failed SQLite call: the result codes and sqlite's own message, plus the statement that
/// failed when there was one.
struct SQLiteError: Error, CustomStringConvertible, Sendable {
    /// The primary result code (`SQLITE_BUSY`, `SQLITE_CONSTRAINT`, …).
    let code: Int32
    /// The extended result code (`SQLITE_CONSTRAINT_FOREIGNKEY`, …).
    let extendedCode: Int32
    /// What sqlite said (`sqlite3_errmsg`).
    let message: String
    let sql: String?

    var isBusy: Bool { code == SQLITE_BUSY || code == SQLITE_LOCKED }
    var isConstraint: Bool { code == SQLITE_CONSTRAINT }

    var description: String {
        var text = "\(message) (sqlite error \(extendedCode))"
        if let sql { text += " in `\(sql.split(whereSeparator: \.isNewline).joined(separator: " "))`" }
        return text
    }
}

/// A value bound to a statement parameter.
enum SQLiteValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)

    static func int(_ value: Int) -> SQLiteValue { .integer(Int64(value)) }
    static func int(_ value: Int?) -> SQLiteValue { value.map { .integer(Int64($0)) } ?? .null }
    static func text(_ value: String?) -> SQLiteValue { value.map { .text($0) } ?? .null }
}

/// One row of a result, valid only inside the closure it is passed to.
struct SQLiteRow {
    fileprivate let statement: OpaquePointer

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(statement, column) == SQLITE_NULL }
    func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(statement, column) }
    func int(_ column: Int32) -> Int { Int(sqlite3_column_int64(statement, column)) }
    func double(_ column: Int32) -> Double { sqlite3_column_double(statement, column) }
    func optionalInt(_ column: Int32) -> Int? { isNull(column) ? nil : int(column) }
    func optionalDouble(_ column: Int32) -> Double? { isNull(column) ? nil : double(column) }

    /// The column as UTF-8 text; "" for NULL.
    func text(_ column: Int32) -> String {
        guard let bytes = sqlite3_column_text(statement, column) else { return "" }
        let count = Int(sqlite3_column_bytes(statement, column))
        return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    }

    func optionalText(_ column: Int32) -> String? { isNull(column) ? nil : text(column) }
}

/// A prepared statement. Finalized when released; it keeps its database open until then.
final class SQLiteStatement {
    let sql: String
    private let handle: OpaquePointer
    private let database: SQLiteDatabase

    fileprivate init(database: SQLiteDatabase, sql: String) throws {
        var statement: OpaquePointer?
        let rc = sqlite3_prepare_v2(database.handle, sql, -1, &statement, nil)
        guard rc == SQLITE_OK, let statement else {
            throw database.error(rc, sql: sql)
        }
        self.sql = sql
        self.handle = statement
        self.database = database
    }

    deinit { sqlite3_finalize(handle) }

    /// Resets the statement and binds `values` to its parameters, in order.
    func bind(_ values: [SQLiteValue]) throws {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        let expected = Int(sqlite3_bind_parameter_count(handle))
        guard expected == values.count else {
            throw SQLiteError(code: SQLITE_MISUSE, extendedCode: SQLITE_MISUSE,
                              message: "statement takes \(expected) parameters but \(values.count) were bound",
                              sql: sql)
        }
        // SQLITE_TRANSIENT: sqlite copies the bytes, so Swift's temporary buffer may go away.
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let rc: Int32 = switch value {
            case .null: sqlite3_bind_null(handle, index)
            case .integer(let number): sqlite3_bind_int64(handle, index, number)
            case .real(let number): sqlite3_bind_double(handle, index, number)
            case .text(let string):
                string.utf8CString.withUnsafeBufferPointer { buffer in
                    sqlite3_bind_text(handle, index, buffer.baseAddress, Int32(buffer.count - 1), transient)
                }
            }
            guard rc == SQLITE_OK else { throw database.error(rc, sql: sql) }
        }
    }

    /// Steps once: true when a row is ready, false when the statement is done.
    func step() throws -> Bool {
        switch sqlite3_step(handle) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        case let rc:
            let error = database.error(rc, sql: sql)
            sqlite3_reset(handle)
            throw error
        }
    }

    /// Steps once and maps the row, if there is one.
    func first<T>(_ body: (SQLiteRow) throws -> T) throws -> T? {
        defer { sqlite3_reset(handle) }
        guard try step() else { return nil }
        return try body(SQLiteRow(statement: handle))
    }

    /// Steps to the end, handing each row to `body`.
    func rows<T>(_ body: (SQLiteRow) throws -> T) throws -> [T] {
        var results: [T] = []
        while try step() {
            results.append(try body(SQLiteRow(statement: handle)))
        }
        sqlite3_reset(handle)
        return results
    }
}

/// One SQLite connection: open with flags, execute, prepare, and run transactions.
///
/// Not thread-safe by itself: statements and transactions are sequences of calls, so the owner
/// (``Registry``) serializes all use behind a lock.
final class SQLiteDatabase {
    let path: String
    let handle: OpaquePointer
    /// How long a writer waits for another connection's write transaction before giving up.
    let busyTimeout: Duration

    /// Opens (and by default creates) the database at `path`.
    init(path: String,
         flags: Int32 = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
         busyTimeout: Duration = .seconds(10)) throws {
        var connection: OpaquePointer?
        let rc = sqlite3_open_v2(path, &connection, flags, nil)
        guard rc == SQLITE_OK, let connection else {
            let message = connection.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            sqlite3_close_v2(connection)
            throw SQLiteError(code: rc & 0xff, extendedCode: rc, message: message, sql: nil)
        }
        sqlite3_extended_result_codes(connection, 1)
        let (seconds, attoseconds) = busyTimeout.components
        sqlite3_busy_timeout(connection, Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000))
        self.path = path
        self.handle = connection
        self.busyTimeout = busyTimeout
    }

    deinit { sqlite3_close_v2(handle) }

    /// The error for a failed call, with sqlite's message for this connection.
    func error(_ rc: Int32, sql: String?) -> SQLiteError {
        SQLiteError(code: rc & 0xff, extendedCode: sqlite3_extended_errcode(handle),
                    message: String(cString: sqlite3_errmsg(handle)), sql: sql)
    }

    /// Runs one or more statements that take no parameters (schema changes, pragmas).
    func exec(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &message)
        guard rc == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(message)
            throw SQLiteError(code: rc & 0xff, extendedCode: sqlite3_extended_errcode(handle), message: text, sql: sql)
        }
    }

    func prepare(_ sql: String) throws -> SQLiteStatement {
        try SQLiteStatement(database: self, sql: sql)
    }

    /// Runs a statement that returns no rows we need.
    func run(_ sql: String, _ values: [SQLiteValue] = []) throws {
        let statement = try prepare(sql)
        try statement.bind(values)
        while try statement.step() {}
    }

    /// Runs a query and maps every row.
    func query<T>(_ sql: String, _ values: [SQLiteValue] = [], _ row: (SQLiteRow) throws -> T) throws -> [T] {
        let statement = try prepare(sql)
        try statement.bind(values)
        return try statement.rows(row)
    }

    /// Runs a query and maps its first row, if any.
    func queryFirst<T>(_ sql: String, _ values: [SQLiteValue] = [],
                       _ row: (SQLiteRow) throws -> T) throws -> T? {
        let statement = try prepare(sql)
        try statement.bind(values)
        return try statement.first(row)
    }

    /// Rows changed by the last INSERT, UPDATE or DELETE.
    var changes: Int { Int(sqlite3_changes(handle)) }

    var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// `PRAGMA user_version`: the schema version the migrations maintain.
    func userVersion() throws -> Int {
        try queryFirst("PRAGMA user_version") { $0.int(0) } ?? 0
    }

    /// Runs `body` in a write transaction (`BEGIN IMMEDIATE`), committing if it returns and
    /// rolling back if it throws.
    ///
    /// IMMEDIATE takes the write lock up front, so two writers queue at BEGIN instead of both
    /// reading and then one failing to upgrade (a deferred transaction's SQLITE_BUSY cannot be
    /// waited out). The busy handler waits up to ``busyTimeout``; the loop below also retries the
    /// few BUSY results sqlite returns without calling the handler (e.g. while another connection
    /// recovers the WAL), until the same deadline.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        try retryingWhileBusy { try exec("BEGIN IMMEDIATE") }
        do {
            let result = try body()
            try retryingWhileBusy { try exec("COMMIT") }
            return result
        } catch {
            if isInTransaction { _ = sqlite3_exec(handle, "ROLLBACK", nil, nil, nil) }
            throw error
        }
    }

    /// Runs `body` in a read transaction, so several queries see one snapshot.
    func read<T>(_ body: () throws -> T) throws -> T {
        try retryingWhileBusy { try exec("BEGIN DEFERRED") }
        defer { if isInTransaction { _ = sqlite3_exec(handle, "COMMIT", nil, nil, nil) } }
        return try body()
    }

    /// Repeats `attempt` while it fails with SQLITE_BUSY, backing off, until ``busyTimeout``.
    func retryingWhileBusy(_ attempt: () throws -> Void) throws {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: busyTimeout)
        var pause = Duration.milliseconds(1)
        while true {
            do {
                return try attempt()
            } catch let error as SQLiteError where error.isBusy && clock.now < deadline {
                Thread.sleep(forTimeInterval: pause / .seconds(1))
                pause = min(pause * 2, .milliseconds(50))
            }
        }
    }
}

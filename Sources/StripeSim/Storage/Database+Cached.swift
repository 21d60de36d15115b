import Foundation
import GRDB
import GRDBSQLite

// Every query the store runs has a shape fixed by the code (filters add a bounded number of variants), so each
// is parsed once per connection and kept in GRDB's statement cache, not re-prepared on every request.

extension Database {
    /// Runs a cached statement that returns no rows (an `INSERT`, `UPDATE`, `BEGIN`, `COMMIT`…) with `values`
    /// bound by position straight into SQLite.
    ///
    /// Every write the store makes goes through here (resources, events, deliveries, idempotency records, jobs),
    /// and so do the transactions around them. GRDB's `execute(arguments:)` builds `StatementArguments`
    /// through generic sequence code and binds each value in a nested closure, which cost as much as SQLite's own
    /// insert (about 55,000 instructions for a customer's ten values); this binds with one call per value.
    /// It skips GRDB's per-statement bookkeeping (transaction observers, of which the simulator registers none),
    /// so it is for statements inside write transactions (`Store`'s writes) and for `GroupCommit`'s
    /// `BEGIN`/`COMMIT`/savepoints. Every parameter is bound on every run (the count is checked), so earlier
    /// bindings need no clearing first; they are cleared after the step, with the reset that ends it.
    func run(sql: String, _ values: [DatabaseValue] = []) throws {
        let handle = try boundStatement(sql, values)
        defer { finish(handle) }
        let code = sqlite3_step(handle)
        guard code == SQLITE_DONE else { throw failure(code, sql) }
    }

    /// The first column of the first row of a cached query with `values` bound as `run` binds them (`nil` when
    /// there is no row, or the value is NULL). The one-row reads every retrieve that misses the `RenderedCache`
    /// makes (`Store.rendered`, `Store.find`): GRDB's `fetchOne` spends twice SQLite's own lookup on arguments,
    /// a cursor and a row adapter.
    func text(sql: String, _ values: [DatabaseValue]) throws -> String? {
        let handle = try boundStatement(sql, values)
        defer { finish(handle) }
        switch sqlite3_step(handle) {
        case SQLITE_ROW: return firstColumn(handle)
        case SQLITE_DONE: return nil
        case let code: throw failure(code, sql)
        }
    }

    /// The first column of every row of a cached query, as `text` reads one (a NULL is left out): the page of
    /// stored bodies a list sends (`Store.renderedPage`), where GRDB's `fetchAll` cost as much as the query.
    func texts(sql: String, _ values: [DatabaseValue]) throws -> [String] {
        let handle = try boundStatement(sql, values)
        defer { finish(handle) }
        var texts: [String] = []
        while true {
            switch sqlite3_step(handle) {
            case SQLITE_ROW: if let text = firstColumn(handle) { texts.append(text) }
            case SQLITE_DONE: return texts
            case let code: throw failure(code, sql)
            }
        }
    }

    private func firstColumn(_ handle: SQLiteStatement) -> String? {
        guard let bytes = sqlite3_column_text(handle, 0) else { return nil }
        let count = Int(sqlite3_column_bytes(handle, 0))
        return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    }

    /// The cached statement of `sql`, reset, with every parameter bound from `values` (the count is checked).
    private func boundStatement(_ sql: String, _ values: [DatabaseValue]) throws -> SQLiteStatement {
        let handle = try cachedStatement(sql: sql).sqliteStatement
        sqlite3_reset(handle)
        guard sqlite3_bind_parameter_count(handle) == CInt(values.count) else {
            throw DatabaseError(
                resultCode: .SQLITE_MISUSE,
                message: "wrong number of statement arguments: \(values.count)",
                sql: sql
            )
        }
        var index: CInt = 1
        for value in values {
            let code: CInt
            switch value.storage {
            case .null: code = sqlite3_bind_null(handle, index)
            case .int64(let n): code = sqlite3_bind_int64(handle, index, n)
            case .double(let d): code = sqlite3_bind_double(handle, index, d)
            case .string(let s):
                var s = s
                code = s.withUTF8 { bytes in
                    sqlite3_bind_text(handle, index, bytes.baseAddress, CInt(bytes.count), sqliteTransient)
                }
            case .blob(let data):
                code = data.withUnsafeBytes { bytes in
                    sqlite3_bind_blob(handle, index, bytes.baseAddress, CInt(bytes.count), sqliteTransient)
                }
            }
            guard code == SQLITE_OK else {
                finish(handle)
                throw failure(code, sql)
            }
            index += 1
        }
        return handle
    }

    /// Ends a run: the reset releases what the step held, and the bindings go with it.
    private func finish(_ handle: SQLiteStatement) {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    private func failure(_ code: CInt, _ sql: String) -> DatabaseError {
        DatabaseError(resultCode: ResultCode(rawValue: code), message: lastErrorMessage, sql: sql)
    }
}

/// SQLite copies the bound bytes (`SQLITE_TRANSIENT`), which C headers define as a cast Swift cannot import.
private let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

extension DatabaseValueConvertible {
    static func fetchOne(cached db: Database, sql: String, arguments: StatementArguments = []) throws -> Self? {
        try fetchOne(db.cachedStatement(sql: sql), arguments: arguments)
    }

    static func fetchAll(cached db: Database, sql: String, arguments: StatementArguments = []) throws -> [Self] {
        try fetchAll(db.cachedStatement(sql: sql), arguments: arguments)
    }
}

extension Row {
    static func fetchOne(cached db: Database, sql: String, arguments: StatementArguments = []) throws -> Row? {
        try fetchOne(db.cachedStatement(sql: sql), arguments: arguments)
    }

    static func fetchAll(cached db: Database, sql: String, arguments: StatementArguments = []) throws -> [Row] {
        try fetchAll(db.cachedStatement(sql: sql), arguments: arguments)
    }
}

extension StatementArguments {
    /// Positional arguments from values already converted. GRDB's initializer for a sequence of one concrete type
    /// maps it with a key path (`map(\.databaseValue)`), whose application per value cost about as much as the
    /// SQLite insert it fed; this one goes through the existential initializer instead.
    init(values: [DatabaseValue]) {
        self.init(values.lazy.map { $0 as (any DatabaseValueConvertible)? })
    }
}

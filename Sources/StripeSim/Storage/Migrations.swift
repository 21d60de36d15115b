import Foundation
import GRDB

/// The schema, append-only: a merged migration is never edited; a change is a new named migration.
///
/// Every resource table has the same spine — `seq` (insertion order: pagination cursors and "newest first"),
/// `id` (the Stripe id), `account` (isolation: every query filters on it), `created`, `body` (the domain value as
/// JSON) — plus a column for each field the API filters on, indexed in the same migration.
enum Migrations {
    /// A resource table: the common spine plus `extra` columns, and its (account, seq) index.
    static func resourceTable(_ db: Database, _ name: String, extra: (TableDefinition) -> Void = { _ in }) throws {
        try db.create(table: name) { t in
            t.column("seq", .integer).primaryKey(autoincrement: true)
            t.column("id", .text).notNull().unique()
            t.column("account", .text).notNull()
            t.column("created", .integer).notNull()
            t.column("body", .text).notNull()
            extra(t)
        }
        try db.create(index: "\(name)_account_seq", on: name, columns: ["account", "seq"])
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1: customers, v2 accounts, events, test clocks, idempotency keys") { db in
            try resourceTable(db, "customer") { t in
                t.column("email", .text)
                t.column("testClock", .text)
                t.column("customerAccount", .text)
                t.column("deleted", .integer).notNull().defaults(to: 0)
            }
            try db.create(index: "customer_account_email", on: "customer", columns: ["account", "email"])
            try resourceTable(db, "v2Account") { t in
                t.column("closed", .integer).notNull().defaults(to: 0)
            }
            try resourceTable(db, "event") { t in
                t.column("type", .text).notNull()
            }
            try db.create(index: "event_account_type", on: "event", columns: ["account", "type"])
            try resourceTable(db, "testClock") { t in
                t.column("status", .text).notNull()
                t.column("deleted", .integer).notNull().defaults(to: 0)
            }
            try db.create(table: "idempotencyKey") { t in
                t.column("account", .text).notNull()
                t.column("key", .text).notNull()
                t.column("fingerprint", .text).notNull()
                t.column("status", .integer).notNull()
                t.column("body", .text).notNull()
                t.column("requestID", .text).notNull()
                t.column("created", .integer).notNull()
                t.primaryKey(["account", "key"])
            }
        }
        m.registerMigration("v2: webhook endpoints and deliveries") { db in
            try resourceTable(db, "webhookEndpoint") { t in
                t.column("status", .text).notNull()
                // The `--forward-to` target (account "forward"): matched for every account's events.
                t.column("forward", .integer).notNull().defaults(to: 0)
                t.column("deleted", .integer).notNull().defaults(to: 0)
            }
            // The durable delivery queue: one row per (event, endpoint) delivery, attempts in `body`.
            try resourceTable(db, "webhookDelivery") { t in
                t.column("event", .text).notNull()
                t.column("endpoint", .text).notNull()
                // Deliveries of one lane (an endpoint, or its manual redeliveries) go out in `eventSeq` order.
                t.column("lane", .text).notNull()
                t.column("eventSeq", .integer).notNull()
                t.column("status", .text).notNull()  // pending, succeeded, failed
                t.column("attemptCount", .integer).notNull().defaults(to: 0)
                t.column("nextAttemptAt", .integer)  // Unix ms, wall time; 0 = now; NULL = never
            }
            try db.create(
                index: "webhookDelivery_event",
                on: "webhookDelivery",
                columns: ["account", "event", "endpoint"]
            )
            try db.create(
                index: "webhookDelivery_lane",
                on: "webhookDelivery",
                columns: ["status", "lane", "eventSeq"]
            )
            // `GET /v1/events?delivery_success=`: endpoints not yet delivered to, as a column.
            try db.alter(table: "event") { t in
                t.add(column: "pendingWebhooks", .integer).notNull().defaults(to: 0)
            }
        }
        m.registerMigration("v3: scheduled jobs") { db in
            try db.create(table: "job") { t in
                t.column("seq", .integer).primaryKey(autoincrement: true)
                t.column("account", .text).notNull()
                t.column("kind", .text).notNull()
                t.column("target", .text).notNull()
                // Milliseconds: on the server clock, or on the test clock's frozen time when `testClock` is set.
                t.column("dueAt", .integer).notNull()
                t.column("testClock", .text)
                t.column("payload", .text).notNull()
            }
            try db.create(index: "job_due", on: "job", columns: ["testClock", "dueAt"])
            try db.create(index: "job_target", on: "job", columns: ["account", "target"])
        }
        m.registerMigration("v4: financial connections") { db in
            try resourceTable(db, "fcSession") { t in
                t.column("clientSecret", .text).notNull()
                t.column("status", .text).notNull()
            }
            try resourceTable(db, "fcAccount") { t in
                t.column("session", .text).notNull()
                t.column("customer", .text)
                t.column("customerAccount", .text)
                t.column("connectAccount", .text)
                t.column("status", .text).notNull()
            }
            try db.create(index: "fcAccount_holder", on: "fcAccount", columns: ["account", "customer"])
            try resourceTable(db, "fcOwnership") { t in t.column("fcAccount", .text).notNull() }
            try resourceTable(db, "fcTransaction") { t in
                t.column("fcAccount", .text).notNull()
                t.column("transactedAt", .integer).notNull()
                t.column("refreshIndex", .integer).notNull()
            }
            try db.create(
                index: "fcTransaction_account",
                on: "fcTransaction",
                columns: ["account", "fcAccount", "seq"]
            )
        }
        m.registerMigration("v5: ach direct debit") { db in
            try resourceTable(db, "paymentMethod") { t in
                t.column("customer", .text)
                t.column("customerAccount", .text)
            }
            try resourceTable(db, "mandate") { t in t.column("paymentMethod", .text).notNull() }
            try resourceTable(db, "charge") { t in
                t.column("customer", .text)
                t.column("paymentIntent", .text)
            }
            try resourceTable(db, "paymentIntent") { t in
                t.column("customer", .text)
                t.column("customerAccount", .text)
                t.column("status", .text).notNull()
            }
            try resourceTable(db, "setupIntent") { t in
                t.column("customer", .text)
                t.column("customerAccount", .text)
                t.column("paymentMethod", .text)
            }
        }
        m.registerMigration("v6: customers keep their rendered API body") { db in
            // Filled on every write (`StoredResource.keepsRendered`); rows from before stay NULL and are rendered
            // when read.
            try db.alter(table: "customer") { t in t.add(column: "rendered", .text) }
        }
        m.registerMigration("v7: resource tables without AUTOINCREMENT") { db in
            try dropAutoincrement(db)
        }
        return m
    }

    /// Takes AUTOINCREMENT off every resource table (all but `job`): `seq` stays the rowid, and SQLite gives a new
    /// row the largest `seq` plus one instead of reading and rewriting the table's row in `sqlite_sequence` on
    /// every insert (two B-tree writes more per create and its event, and with `--db` one more page in every
    /// commit). `seq` still only grows: these rows are deleted only by an account reset, which takes all of an
    /// account's rows (a `seq` reused after it names nothing that still exists). `job` keeps AUTOINCREMENT: its rows
    /// are deleted as they run, and it is off the create path.
    ///
    /// AUTOINCREMENT changes nothing in a table's pages, only how SQLite picks a new rowid, so this edits the
    /// tables' stored `CREATE TABLE` text in place (SQLite's procedure for schema changes that leave the stored
    /// content valid: `writable_schema`, then a new `schema_version` so every connection reloads the schema), drops
    /// their rows of `sqlite_sequence`, and copies nothing: instant on a database of any size, where rebuilding the
    /// tables took a third of a fresh in-memory start.
    static func dropAutoincrement(_ db: Database) throws {
        let tables = try Row.fetchAll(
            db,
            sql: """
                SELECT name, sql FROM sqlite_master
                WHERE type = 'table' AND sql LIKE '%AUTOINCREMENT%' AND name != 'job' ORDER BY name
                """
        )
        if tables.isEmpty { return }
        let column = "\"seq\" INTEGER PRIMARY KEY AUTOINCREMENT"
        let version = try Int.fetchOne(db, sql: "PRAGMA schema_version") ?? 0
        try db.execute(sql: "PRAGMA writable_schema = ON")
        do {
            for table in tables {
                let name: String = table["name"]
                let create: String = table["sql"]
                let parts = create.components(separatedBy: column)
                guard create.hasPrefix("CREATE TABLE \(name.quotedDatabaseIdentifier) ("), parts.count == 2 else {
                    throw DatabaseError(message: "v7: unexpected definition of table \(name): \(create)")
                }
                try db.execute(
                    sql: "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?",
                    arguments: [parts.joined(separator: "\"seq\" INTEGER PRIMARY KEY"), name]
                )
                try db.execute(sql: "DELETE FROM sqlite_sequence WHERE name = ?", arguments: [name])
            }
            try db.execute(sql: "PRAGMA schema_version = \(version + 1)")
        } catch {
            try? db.execute(sql: "PRAGMA writable_schema = OFF")
            throw error
        }
        try db.execute(sql: "PRAGMA writable_schema = OFF")
        db.clearSchemaCache()
    }
}

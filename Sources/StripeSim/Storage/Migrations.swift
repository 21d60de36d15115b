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
        return m
    }
}

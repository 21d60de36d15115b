import CSQLiteConfig
import Foundation
import GRDB
import GRDBSQLite
import NIOHTTP1
import Synchronization
import Testing

@testable import StripeSim

@Suite struct PersistenceTests {
    /// SQLite's memory statistics are off once a database opened (unless this test process happened to open a
    /// plain GRDB database first, which initialises SQLite before the option can be set), and setting the option
    /// again is refused harmlessly.
    @Test func sqliteMemoryStatisticsAreOff() throws {
        _ = try AppDatabase(path: nil)
        if AppDatabase.sqliteConfigured {
            #expect(sqlite3_memory_used() == 0)
        }
        #expect(stripe_sim_sqlite_memstatus_off() == SQLITE_MISUSE)
    }

    /// The scheduler's reads (and the other reads outside a request) leave the in-memory connection's prepared
    /// statements valid: GRDB's read-only wrapping (`PRAGMA query_only`) would expire them all, and each would be
    /// prepared again on its next use.
    @Test func backgroundReadsKeepPreparedStatements() async throws {
        let database = try AppDatabase(path: nil)
        let sql = "SELECT COUNT(*) FROM customer WHERE account = ?"
        let reprepares: @Sendable (Database) throws -> Int32 = { db in
            let statement = try db.cachedStatement(sql: sql)
            _ = try Int.fetchOne(statement, arguments: ["acct_x"])
            return sqlite3_stmt_status(statement.sqliteStatement, SQLITE_STMTSTATUS_REPREPARE, 0)
        }
        #expect(try await database.writer.unsafeRead(reprepares) == 0)
        _ = try await database.dueJobs(nowMillis: 0)
        _ = try await database.nextDueMillis()
        _ = try await database.webhookLaneHeads()
        #expect(try await database.writer.unsafeRead(reprepares) == 0)
        // What GRDB's `read` does to it:
        try await database.writer.read { _ in }
        #expect(try await database.writer.unsafeRead(reprepares) == 1)
    }

    @Test func stateSurvivesReopeningTheDatabaseFile() async throws {
        let dir = try temporaryDirectory()
        let path = dir.appendingPathComponent("state.sqlite").path
        let created = Collected()
        try await TestApp(ids: .random, databasePath: path).run { c in
            let r = try await c.post("/v1/customers", "email=kept%40example.com&metadata[k]=v")
            #expect(r.status == 200)
            created.append(r.id)
        }
        let id = created.values.first ?? ""
        let reopened = try TestApp(ids: .random, databasePath: path)
        try await reopened.run { c in
            let r = try await c.get("/v1/customers/\(id)")
            #expect(r["email"] == "kept@example.com")
            #expect(try await c.get("/v1/events")["data.0.type"] == "customer.created")
        }
        try? FileManager.default.removeItem(at: dir)
    }

    /// Events skip looking for webhook endpoints while none was ever stored (`StoreHints`); a database reopened
    /// with an endpoint in it must not: its events still queue deliveries.
    @Test func endpointsOfAReopenedDatabaseStillReceiveEvents() async throws {
        let dir = try temporaryDirectory()
        let path = dir.appendingPathComponent("endpoints.sqlite").path
        try await TestApp(ids: .random, databasePath: path).run { c in
            let first = try await c.post("/v1/customers", "email=before%40example.com")
            #expect(first.status == 200)
            #expect(try await c.get("/v1/events")["data.0.pending_webhooks"] == 0)
            let endpoint = try await c.post(
                "/v1/webhook_endpoints",
                "url=http%3A%2F%2F127.0.0.1%3A9%2Fhook&enabled_events[]=customer.created"
            )
            #expect(endpoint.status == 200)
        }
        try await TestApp(ids: .random, databasePath: path).run { c in
            let r = try await c.post("/v1/customers", "email=after%40example.com")
            #expect(r.status == 200)
            let events = try await c.get("/v1/events?type=customer.created")
            #expect(events["data.0.data.object.email"] == "after@example.com")
            #expect(events["data.0.pending_webhooks"] == 1)
        }
        try? FileManager.default.removeItem(at: dir)
    }

    /// In memory is SQLite's memdb VFS (a flat commit rate as the store grows), one database per server: two
    /// in one process share nothing.
    @Test func eachInMemoryDatabaseIsItsOwnMemdb() async throws {
        let first = try AppDatabase(path: nil)
        let second = try AppDatabase(path: nil)
        let files = try await [first, second].asyncMap { database in
            try await database.writer.read { db in
                try String.fetchOne(db, sql: "SELECT file FROM pragma_database_list WHERE name = 'main'") ?? ""
            }
        }
        #expect(files.allSatisfy { $0.hasPrefix("/stripe-sim-") } && files[0] != files[1])
        #expect(!FileManager.default.fileExists(atPath: files[0]))
        try await first.writer.write { db in try db.execute(sql: "CREATE TABLE only_here (a)") }
        let elsewhere = try await second.writer.read { db in try db.tableExists("only_here") }
        #expect(!elsewhere)
    }

    /// A customer keeps its API body beside its state (`rendered`, migration v6); every write refreshes it, and a
    /// row written before the column existed (NULL) is rendered from its state instead.
    @Test func storedAPIBodiesStayCurrentAndOldRowsStillRetrieve() async throws {
        let dir = try temporaryDirectory()
        let path = dir.appendingPathComponent("rendered.sqlite").path
        let answers = Collected()
        try await TestApp(ids: .random, databasePath: path).run { c in
            let clock = try await c.post("/v1/test_helpers/test_clocks", "frozen_time=1700000000").id
            let id = try await c.post("/v1/customers", "name=Before&test_clock=\(clock)").id
            let updated = try await c.post("/v1/customers/\(id)", "name=After&metadata[k]=v")
            let fetched = try await c.get("/v1/customers/\(id)")
            #expect(fetched.text == updated.text)
            #expect(fetched["name"] == "After" && fetched["metadata.k"] == "v")
            answers.append(id)
            answers.append(fetched.text)
            answers.append(clock)
        }
        let id = answers.values[0]
        let clock = answers.values[2]
        // As a database from before v6 would hold it.
        let database = try AppDatabase(path: path)
        try await database.writer.write { db in try db.execute(sql: "UPDATE customer SET rendered = NULL") }
        try await TestApp(ids: .random, databasePath: path).run { c in
            let fetched = try await c.get("/v1/customers/\(id)")
            #expect(fetched.status == 200)
            #expect(fetched.text == answers.values[1])
            let list = try await c.get("/v1/customers?test_clock=\(clock)")
            #expect(list["data.0"] == JSONValue.parse(answers.values[1]))
            #expect(list.text == list.json.serialized())
            let expanded = try await c.get("/v1/customers/\(id)?expand[]=test_clock")
            #expect(expanded["test_clock.object"] == "test_helpers.test_clock")
            let deleted = try await c.delete("/v1/customers/\(id)")
            #expect(try await c.get("/v1/customers/\(id)").text == deleted.text)
            #expect(try await c.get("/v1/customers/cus_missing").error["code"] == "resource_missing")
        }
        try? FileManager.default.removeItem(at: dir)
    }
}

extension PersistenceTests {
    /// Migration v7 rebuilds the resource tables without AUTOINCREMENT: every row keeps its `seq`, every index is
    /// made again, and what is created afterwards still lists first.
    @Test func v7KeepsEveryRowItsSeqAndTheIndexes() async throws {
        let dir = try temporaryDirectory()
        let path = dir.appendingPathComponent("v6.sqlite").path
        let account = APIKeyAuth.accountID(forKeySuffix: "alice")  // `TestApp`'s key, sk_test_alice
        let ids = ["cus_old1", "cus_old2", "cus_old3"]
        let old = try DatabaseQueue(path: path)
        try Migrations.migrator.migrate(old, upTo: "v6: customers keep their rendered API body")
        let before = try await old.write { db in
            for (i, id) in ids.enumerated() {
                var customer = Customer(id: id, created: 1_700_000_000 + i, invoicePrefix: "OLD\(i)")
                customer.email = "o@x.io"
                try db.execute(
                    sql: "INSERT INTO customer (id, account, created, body, email) VALUES (?, ?, ?, ?, ?)",
                    arguments: [id, account, customer.created, customer.jsonBody.serialized(pretty: false), "o@x.io"]
                )
            }
            // A gap, as an account reset leaves: AUTOINCREMENT would go on from 4.
            try db.execute(
                sql: "INSERT INTO event (id, account, created, body, type) VALUES ('evt_a', 'x', 1, '{}', 't')"
            )
            try db.execute(sql: "DELETE FROM event")
            return try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY name")
        }
        try old.close()

        try Migrations.migrator.migrate(DatabaseQueue(path: path))
        let check = try DatabaseQueue(path: path)
        try await check.read { db in
            let tables = try String.fetchAll(db, sql: "SELECT sql FROM sqlite_master WHERE type = 'table'")
            #expect(tables.filter { $0.contains("AUTOINCREMENT") }.count == 1)  // `job`
            #expect(try String.fetchAll(db, sql: "SELECT name FROM sqlite_sequence") == [])
            #expect(
                try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY name")
                    == before
            )
            let rows = try Row.fetchAll(db, sql: "SELECT seq, id, email FROM customer ORDER BY seq")
            #expect(rows.map { $0["seq"] as Int } == [1, 2, 3])
            #expect(rows.map { $0["id"] as String } == ids)
            #expect(rows.allSatisfy { $0["email"] == "o@x.io" })
            #expect(try String.fetchOne(db, sql: "PRAGMA integrity_check") == "ok")
        }
        try check.close()

        try await TestApp(ids: .random, databasePath: path).run { c in
            let new = try await c.post("/v1/customers", "email=n%40x.io").id
            let list = try await c.get("/v1/customers")
            #expect(list["data"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == [new] + ids.reversed())
            #expect(try await c.get("/v1/customers/cus_old2")["invoice_prefix"] == "OLD1")
            let search = try await c.get("/v1/customers/search?query=email%3A%27o%40x.io%27")
            #expect(search["data"]?.arrayValue?.count == 3)
            let event = try await c.get("/v1/events")["data.0"]
            #expect(event?["data"]?["object"]?["id"]?.stringValue == new)
        }
        try await TestApp(ids: .random, databasePath: path).run { c in
            // Seq of new rows: past the last one, never reusing a live row's.
            let next = try await c.post("/v1/customers", "name=later").id
            #expect(try await c.get("/v1/customers?limit=1")["data.0.id"]?.stringValue == next)
        }
        // The inserts since went without `sqlite_sequence`: SQLite took the edited schema.
        let reopened = try DatabaseQueue(path: path)
        #expect(
            try await reopened.read { db in try String.fetchAll(db, sql: "SELECT name FROM sqlite_sequence") } == []
        )
        #expect(try await reopened.read { db in try Int.fetchOne(db, sql: "SELECT MAX(seq) FROM customer") } == 5)
        try reopened.close()
        try? FileManager.default.removeItem(at: dir)
    }
}

extension PersistenceTests {
    /// A `--db` file holding three customers named `prefix`0…2 (their ids in that order), reopened by a new app
    /// whose `OneQueryReaders` have opened nothing yet.
    private func reopenedStore(
        of prefix: String
    ) async throws
        -> (dir: URL, ids: Collected, app: TestApp, readers: OneQueryReaders)
    {
        let dir = try temporaryDirectory()
        let path = dir.appendingPathComponent("readers.sqlite").path
        let ids = Collected()
        try await TestApp(ids: .random, databasePath: path).run { c in
            for n in 0..<3 { ids.append(try await c.post("/v1/customers", "name=\(prefix)\(n)").id) }
        }
        let app = try TestApp(ids: .random, databasePath: path)
        return (dir, ids, app, try #require(app.deps.database.oneQueryReaders))
    }

    /// With `--db`, a retrieve that misses the cache reads on a `OneQueryReaders` connection, opened on demand.
    @Test func uncachedRetrievesReadOnTheOneQueryReaders() async throws {
        let (dir, ids, app, readers) = try await reopenedStore(of: "R")
        #expect(readers.openedCount == 0)
        try await app.run { c in
            for (n, id) in ids.values.enumerated() {
                let r = try await c.get("/v1/customers/\(id)")
                #expect(r.status == 200 && r["name"]?.stringValue == "R\(n)")
            }
            #expect(try await c.get("/v1/customers/cus_missing").error["code"] == "resource_missing")
        }
        // One at a time: one connection served every read.
        #expect(readers.openedCount == 1)
        try? FileManager.default.removeItem(at: dir)
    }

    /// With `--db`, a page of customers is one query too (its cursor a query of its own before it): it reads on
    /// the `OneQueryReaders`, while an expanded page, which reads other rows as well, keeps its read transaction.
    @Test func customerListsReadOnTheOneQueryReadersUnlessExpanded() async throws {
        let (dir, ids, app, readers) = try await reopenedStore(of: "L")
        @Sendable func names(_ page: JSONValue) -> [String] {
            page["data"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
        }
        try await app.run { c in
            let expanded = try await c.get("/v1/customers?limit=2&expand[]=data.test_clock")
            #expect(expanded.status == 200 && names(expanded.json) == ["L2", "L1"])
            #expect(readers.openedCount == 0)

            let first = try await c.get("/v1/customers?limit=2")
            #expect(names(first.json) == ["L2", "L1"] && first["has_more"] == true)
            #expect(readers.openedCount == 1)
            let last = try await c.get("/v1/customers?limit=2&starting_after=\(ids.values[1])")
            #expect(names(last.json) == ["L0"] && last["has_more"] == false)
            let missing = try await c.get("/v1/customers?starting_after=cus_missing")
            #expect(missing.status == 400 && missing.error["param"] == "starting_after")
        }
        #expect(readers.openedCount == 1)
        try? FileManager.default.removeItem(at: dir)
    }

    /// Busy or unopenable, the readers answer `nil`, and the caller reads on GRDB's pool instead.
    @Test func oneQueryReadersStepAsideWhenFullOrUnopenable() throws {
        let dir = try temporaryDirectory()
        let path = dir.appendingPathComponent("full.sqlite").path
        let pool = try DatabasePool(path: path)
        try pool.write { db in try db.execute(sql: "CREATE TABLE t (v); INSERT INTO t VALUES ('x')") }
        let readers = OneQueryReaders(path: path, configuration: Configuration(), capacity: 1)
        let nested = try readers.read { db in
            let inner = try readers.read { try String.fetchOne($0, sql: "SELECT v FROM t") }
            return (try String.fetchOne(db, sql: "SELECT v FROM t"), inner)
        }
        #expect(nested?.0 == "x")
        #expect(nested?.1 == nil, "the only connection was in use")
        #expect(try readers.read { try String.fetchOne($0, sql: "SELECT v FROM t") } == "x")
        #expect(readers.openedCount == 1)
        #expect {
            try readers.read { db in try db.execute(sql: "INSERT INTO t VALUES ('y')") }
        } throws: { error in
            (error as? DatabaseError)?.resultCode == .SQLITE_READONLY
        }

        let missing = OneQueryReaders(
            path: dir.appendingPathComponent("none/x.sqlite").path,
            configuration: Configuration(),
            capacity: 2
        )
        #expect(try missing.read { _ in 1 } == nil)
        #expect(missing.openedCount == 0)
        try pool.close()
        try? FileManager.default.removeItem(at: dir)
    }
}

/// The real binary on a socket: restart and `kill -9` survival.
@Suite(.serialized, .timeLimit(.minutes(3))) struct LiveServerTests {
    @Test func gracefulRestartKeepsState() async throws {
        let dir = try temporaryDirectory()
        let db = dir.appendingPathComponent("s.sqlite").path
        let first = try await LiveServer(arguments: ["--db", db])
        let created = try await first.request(.POST, "/v1/customers", body: "name=Restart")
        #expect(created.status == 200)
        first.stop()
        let second = try await LiveServer(arguments: ["--db", db])
        defer { second.stop() }
        let fetched = try await second.request(.GET, "/v1/customers/\(created.json["id"]?.stringValue ?? "")")
        #expect(fetched.status == 200)
        #expect(fetched.json["name"] == "Restart")
    }

    /// A GET's body is not read (the pipeline does not collect it): the server discards it, on a real socket,
    /// and the kept-alive connection goes on serving the requests after it.
    @Test func aGETsBodyIsDiscardedAndTheConnectionKeepsServing() async throws {
        let server = try await LiveServer(arguments: [])
        defer { server.stop() }
        let created = try await server.request(.POST, "/v1/customers", body: "name=Before")
        let id = created.json["id"]?.stringValue ?? ""
        let huge = "description=" + String(repeating: "x", count: 3 << 20)
        for n in 0..<3 {
            let fetched = try await server.request(.GET, "/v1/customers/\(id)", body: huge)
            #expect(
                fetched.status == 200 && fetched.json["name"]?.stringValue == (n == 0 ? "Before" : "After \(n - 1)")
            )
            let next = try await server.request(.POST, "/v1/customers/\(id)", body: "name=After+\(n)")
            #expect(next.status == 200 && next.json["name"]?.stringValue == "After \(n)")
        }
    }

    @Test func sigkillLosesNothingAcknowledged() async throws {
        let dir = try temporaryDirectory()
        let db = dir.appendingPathComponent("k.sqlite").path
        let server = try await LiveServer(arguments: ["--db", db])
        let acknowledged = Collected()
        // Four writers stream creates; the server is killed while they are in flight.
        let writers = Task {
            await withTaskGroup(of: Void.self) { group in
                for w in 0..<4 {
                    group.addTask {
                        for i in 0..<100_000 {
                            guard !Task.isCancelled,
                                let r = try? await server.request(.POST, "/v1/customers", body: "name=w\(w)-\(i)"),
                                r.status == 200, let id = r.json["id"]?.stringValue
                            else { return }
                            acknowledged.append(id)
                        }
                    }
                }
            }
        }
        // Kill once a good number of writes were acknowledged (and more are in flight), however slow the machine.
        let deadline = ContinuousClock.now + .seconds(30)
        while acknowledged.values.count < 50 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        server.kill()
        await writers.value
        let ids = acknowledged.values
        #expect(ids.count > 20, "too few writes acknowledged before the kill: \(ids.count)")

        let restarted = try await LiveServer(arguments: ["--db", db])
        defer { restarted.stop() }
        var missing: [String] = []
        for id in ids where try await restarted.request(.GET, "/v1/customers/\(id)").status != 200 {
            missing.append(id)
        }
        #expect(missing.isEmpty, "acknowledged but lost after kill -9: \(missing.prefix(5))")
        let events = try await restarted.request(.GET, "/v1/events?type=customer.created&limit=1")
        #expect(events.status == 200)
        try? FileManager.default.removeItem(at: dir)
    }

    @Test func seededServersRepeatTheirIDs() async throws {
        var firstIDs: [String] = []
        for run in 0..<2 {
            let server = try await LiveServer(arguments: ["--seed", "42"])
            let a = try await server.request(.POST, "/v1/customers", body: "name=A")
            let b = try await server.request(.POST, "/v1/customers", body: "name=B")
            let ids = [a.json["id"]?.stringValue ?? "", b.json["id"]?.stringValue ?? ""]
            if run == 0 { firstIDs = ids } else { #expect(ids == firstIDs) }
            #expect(abs((a.json["created"]?.intValue ?? 0) - 1_767_225_600) < 60)
            server.stop()
        }
        #expect(firstIDs[0].hasPrefix("cus_") && firstIDs[0] != firstIDs[1])
    }
}

/// Strings gathered from concurrent tasks.
final class Collected: Sendable {
    private let storage = Mutex<[String]>([])
    func append(_ s: String) { storage.withLock { $0.append(s) } }
    var values: [String] { storage.withLock { $0 } }
}

extension Array {
    fileprivate func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for element in self { out.append(try await transform(element)) }
        return out
    }
}

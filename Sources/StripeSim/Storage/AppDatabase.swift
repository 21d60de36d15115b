import CSQLiteConfig
import Foundation
import GRDB

/// The one storage interface. Each use case is one transaction: a state change, its events and its idempotency
/// record commit together or not at all, so a crash never loses (or half-applies) an acknowledged request.
///
/// In memory by default (`DatabaseQueue()`, the real SQLite engine, so nothing can drift from the on-disk
/// behaviour); `--db FILE` opens a `DatabasePool` in WAL mode.
package struct AppDatabase: Sendable {
    /// Internal (not private) so the storage extensions beside this file (`AppDatabase+Webhooks.swift`) can
    /// run their cross-account queries.
    let writer: any DatabaseWriter
    /// The one in-memory connection (nil with `--db`): reads on it need no transaction (see `read`).
    private let memoryQueue: DatabaseQueue?
    /// API writes, committed in groups (see `GroupCommit`).
    let groupCommit: GroupCommit
    /// Read-only connections for one-query reads with `--db` (nil in memory; see `OneQueryReaders`).
    let oneQueryReaders: OneQueryReaders?
    /// Hot stored API bodies (see `RenderedCache`), fed by committed writes.
    let renderedCache = RenderedCache()
    /// What the hot paths may skip (see `StoreHints`).
    let hints: StoreHints

    /// Opens (and migrates) a database.
    /// - Parameter path: a file path for durable state, or `nil` for in-memory.
    package init(path: String?) throws {
        _ = Self.sqliteConfigured
        var config = Configuration()
        config.busyMode = .timeout(5)
        config.prepareDatabase { db in
            // WAL + NORMAL: a committed transaction survives the process being killed at any instant
            // (it is in the WAL before `write` returns); only an OS crash could lose the last commits.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        if let path {
            let url = URL(fileURLWithPath: path)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(),
                withIntermediateDirectories: true
            )
            writer = try DatabasePool(path: path, configuration: config)
            memoryQueue = nil
            oneQueryReaders = OneQueryReaders(
                path: path,
                configuration: config,
                capacity: ProcessInfo.processInfo.activeProcessorCount + 1
            )
        } else {
            let queue = try Self.openInMemory(config)
            writer = queue
            memoryQueue = queue
            oneQueryReaders = nil
        }
        groupCommit = GroupCommit(writer: writer)
        try Migrations.migrator.migrate(writer)
        let endpoints = try writer.read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM webhookEndpoint)") ?? true
        }
        hints = StoreHints(webhookEndpointsMayExist: endpoints)
    }

    /// SQLite's process-wide options, set once before the first database opens (see `CSQLiteConfig`): memory
    /// statistics off, which took a mutex on each of a create's ~160 SQLite allocations and frees (4% of it).
    static let sqliteConfigured: Bool = stripe_sim_sqlite_memstatus_off() == 0

    /// SQLite's `memdb` VFS: a database that lives in this process's memory and goes with it. Unlike
    /// `:memory:` (whose pager special-cases in-memory pages and rescans its page cache on every commit, so the
    /// write rate fell by half from 0 to 150,000 customers), it commits at a flat rate as the store grows. Each
    /// database has its own name, so tests (many databases in one process) never share one. Should SQLite not
    /// take URI file names, `:memory:` serves instead.
    private static func openInMemory(_ config: Configuration) throws -> DatabaseQueue {
        let name = "/stripe-sim-\(UUID().uuidString)"
        if let queue = try? DatabaseQueue(path: "file:\(name)?vfs=memdb", configuration: config),
            let file = try? queue.read({ db in
                try String.fetchOne(db, sql: "SELECT file FROM pragma_database_list WHERE name = 'main'")
            }), file == name
        {
            return queue
        }
        return try DatabaseQueue(configuration: config)
    }

    /// Runs `body` in one write transaction and returns once it has committed.
    ///
    /// Concurrent writes are committed in groups (`GroupCommit`): each runs alone in its own savepoint, in
    /// arrival order, and none is answered before the transaction holding it has committed. Runs on the calling
    /// task when no other write is running (a simulator transaction takes microseconds: WAL with
    /// `synchronous=NORMAL` does not fsync each commit).
    package func write<T: Sendable>(
        _ context: StoreContext,
        _ body: @escaping @Sendable (Store) throws -> T
    )
        async throws -> (T, Set<Signal>)
    {
        let cache = renderedCache
        let hints = self.hints
        let (value, signals, _) = try await mapErrors {
            try await groupCommit.write(
                { db in
                    let store = Store(db, context, hints: hints)
                    let value = try body(store)
                    return (value, store.signals, store.renderedWrites)
                },
                afterCommit: { cache.apply($0.2) }
            )
        }
        return (value, signals)
    }

    /// Runs `body` against a consistent snapshot; no writes.
    ///
    /// In memory, the one connection runs one block at a time (writes included), so a read is consistent without
    /// a transaction, and skips the four statements that would wrap it. With `--db`, reads run beside the writer
    /// in WAL mode and take a read transaction (their snapshot).
    /// `oneQuery`: `body` reads what it answers with one query, which SQLite runs on one snapshot anyway: a
    /// retrieve by id (`Store.rendered`), or a page of a list (`Store.renderedPage`; a cursor is looked up by a
    /// query of its own first, but a row's `seq` never changes, so the page is the one a transaction would have
    /// read at the page query's snapshot). Either one's fallback for a row from before v6 reads that row again and
    /// at worst sees a newer version of it. With `--db` such a read skips the read transaction too (a third more
    /// retrieves per second) and runs on one of the `OneQueryReaders` when one is free.
    package func read<T: Sendable>(
        _ context: StoreContext,
        oneQuery: Bool = false,
        _ body: @escaping @Sendable (Store) throws -> T
    )
        async throws -> T
    {
        let hints = self.hints
        let run: (Database) throws -> T = { db in try body(Store(db, context, hints: hints)) }
        return try mapErrorsSync {
            if let queue = memoryQueue { return try queue.unsafeRead(run) }
            if oneQuery { return try oneQueryReaders?.read(run) ?? writer.unsafeRead(run) }
            return try writer.read(run)
        }
    }

    /// `body` on a consistent snapshot, for reads outside a request's `Store` (the scheduler's, the webhook
    /// dispatcher's, the hosted flow's). In memory as `read`: on the one connection, without GRDB's read-only
    /// wrapping, whose `PRAGMA query_only` on and off expire every statement the connection has prepared (each
    /// scheduler tick made the next requests prepare all theirs again); with `--db`, on GRDB's readers.
    func readDatabase<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        if let queue = memoryQueue { return try await queue.unsafeRead(body) }
        return try await writer.read(body)
    }

    private func mapErrorsSync<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DatabaseError {
            throw Self.storageFailure(error)
        }
    }

    /// A storage fault as the API reports it: a Stripe `api_error`, never a raw `DatabaseError`.
    private static func storageFailure(_ error: DatabaseError) -> StripeError {
        StripeError(
            status: 500,
            type: "api_error",
            message: "The simulator's storage failed: \(error.message ?? "\(error)")"
        )
    }

    /// Test clocks left `advancing` (every account): resumed at start.
    package func advancingClocks() async throws -> [ClockRef] {
        try await readDatabase { db in
            try Row.fetchAll(db, sql: "SELECT account, id FROM testClock WHERE status = 'advancing' AND deleted = 0")
                .map { ClockRef(account: $0["account"], id: $0["id"]) }
        }
    }

    /// Storage faults never reach routes as `DatabaseError`: they become Stripe `api_error`s.
    func mapErrors<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as DatabaseError {
            throw Self.storageFailure(error)
        }
    }
}

/// What a transaction knows about the request it serves.
package struct StoreContext: Sendable {
    package var account: String
    package var now: Int
    package var ids: IDGenerator
    package var requestID: String?
    package var idempotencyKey: String?
    package var apiVersion: String
    /// Milliseconds precision of `now`, for wall-clock job due times.
    package var nowMillis: Int
    /// Delay before an ACH debit off any test clock settles (`--ach-settlement-delay`).
    package var achSettlementDelayMillis = 2000
    /// The bank fixtures (institutions and their accounts) this server simulates.
    package var bank = BankFixtures()
    /// Set while a test clock's due job runs: `now` is then that clock's simulated time.
    package var runningClock: String?

    package init(
        account: String,
        now: Int,
        ids: IDGenerator,
        requestID: String? = nil,
        idempotencyKey: String? = nil,
        apiVersion: String = StripeVersion.current,
        nowMillis: Int? = nil
    ) {
        self.account = account
        self.now = now
        self.nowMillis = nowMillis ?? now * 1000
        self.ids = ids
        self.requestID = requestID
        self.idempotencyKey = idempotencyKey
        self.apiVersion = apiVersion
    }
}

/// Work a committed transaction hands to background services.
package enum Signal: Hashable, Sendable {
    /// New time-driven work was scheduled.
    case jobsScheduled
    /// A test clock (account, id) started advancing.
    case clockAdvancing(account: String, id: String)
    /// Webhook deliveries were queued or became sendable (redeliver, endpoint re-enabled): wake the dispatcher.
    case webhooksQueued
}

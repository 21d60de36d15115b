import GRDB
import Synchronization

/// Group commit: write transactions that arrive while another is running wait, then run together in one SQLite
/// transaction, each inside its own savepoint, and are answered once that transaction has committed.
///
/// A request's answer never goes out before its changes are durable (the commit returns first), so "a killed
/// process loses nothing acknowledged" holds as with one transaction per request; what is shared is the cost of
/// `BEGIN`/`COMMIT` and, with `--db`, of writing the WAL frames of pages the batch touched together (a
/// customer table page, its indexes, the event table…) once instead of once per request.
///
/// - A unit that throws rolls back to its savepoint only: the others in the batch commit.
/// - If the batch itself fails (a storage error, which may have ended SQLite's transaction), it is rolled back
///   whole and every unit runs again alone, in its own transaction, so one failure answers only its request.
/// - Units run in arrival order, one at a time, on one task: to each unit the batch looks exactly like a series
///   of transactions.
final class GroupCommit: Sendable {
    /// One write transaction waiting for its turn.
    private struct Unit: Sendable {
        /// Runs the unit's work on `db` (inside a savepoint when `isolated`), keeping its outcome.
        let perform: @Sendable (Database, _ isolated: Bool) throws -> Void
        /// Answers the request: the kept outcome, or `error` when the transaction it ran in did not commit.
        let finish: @Sendable (_ error: (any Error)?) -> Void
    }

    private struct State {
        var pending: [Unit] = []
        var draining = false
        var transactions = 0
    }

    private let writer: any DatabaseWriter
    private let state = Mutex(State())

    init(writer: any DatabaseWriter) { self.writer = writer }

    /// Units waiting for their batch (for tests).
    var pendingCount: Int { state.withLock { $0.pending.count } }
    /// Write transactions begun so far (for tests).
    var transactions: Int { state.withLock { $0.transactions } }

    /// For tests: writes submitted from now on queue without running, until `release()` runs them as one batch.
    /// Returns false (and holds nothing) while writes are running.
    func hold() -> Bool {
        state.withLock { state in
            if state.draining { return false }
            state.draining = true
            return true
        }
    }

    /// Ends `hold()`: what queued runs now, as under load.
    func release() { Task { self.drainAll() } }

    /// Runs `work` in a write transaction (shared with the writes that queued beside it) and returns its
    /// result once that transaction has committed. `afterCommit` sees the result first, right after the commit,
    /// in commit order across all writes (before any later transaction begins).
    func write<T: Sendable>(
        _ work: @escaping @Sendable (Database) throws -> T,
        afterCommit: @escaping @Sendable (T) -> Void = { _ in }
    ) async throws -> T {
        // No write running: this one runs now, on this task, without suspending (a suspension and its resumption
        // are a hand-off to the executor, often a wake-up of another thread). Writes arriving meanwhile queue.
        let runNow = state.withLock { state in
            if state.draining { return false }
            state.draining = true
            return true
        }
        if runNow {
            defer { handOffQueued() }
            let value = try transaction(work)
            afterCommit(value)
            return value
        }
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let outcome = Outcome<T>()
            let unit = Unit(
                perform: { db, isolated in
                    if isolated {
                        outcome.result = Result { try Self.inSavepoint(db) { try work(db) } }
                        // A storage error may have ended the whole transaction: the batch must not go on.
                        if case .failure(let error) = outcome.result, error is DatabaseError { throw error }
                    } else {
                        outcome.result = Result { try work(db) }
                        if case .failure(let error) = outcome.result { throw error }
                    }
                },
                finish: { error in
                    if let error {
                        continuation.resume(throwing: error)
                    } else {
                        if case .success(let value) = outcome.result { afterCommit(value) }
                        continuation.resume(with: outcome.result ?? .failure(CancellationError()))
                    }
                }
            )
            let startDrainer = state.withLock { state in
                state.pending.append(unit)
                if state.draining { return false }
                state.draining = true
                return true
            }
            if startDrainer { drain() }
        }
    }

    /// Called by a request that queued its unit and found no drainer running (the writer was released between
    /// its check and its queueing), on its own task: it runs the batch holding its own unit, then hands whatever
    /// queued meanwhile on.
    private func drain() {
        run(nextBatch())
        handOffQueued()
    }

    /// After a write that ran on its request's task: whatever queued meanwhile goes to a task of its own (the
    /// writer stays taken, so commit order holds), so the request is answered without waiting for later batches.
    private func handOffQueued() {
        let more = state.withLock { state in
            if state.pending.isEmpty { state.draining = false }
            return !state.pending.isEmpty
        }
        if more { Task { self.drainAll() } }
    }

    /// One write transaction on this thread, counted (GRDB's synchronous `writeWithoutTransaction`: in an `async`
    /// function the name would pick its asynchronous overload, which hops to the writer's queue).
    ///
    /// `BEGIN` and `COMMIT` run as cached statements: GRDB's `write` parses both anew for every transaction
    /// (through its statement authorizer), about 30,000 instructions a write. A transaction that throws, or
    /// whose commit fails, is rolled back, unless SQLite already ended it.
    private func transaction<T>(_ work: (Database) throws -> T) throws -> T {
        state.withLock { $0.transactions += 1 }
        return try writer.writeWithoutTransaction { db in
            try db.run(sql: "BEGIN IMMEDIATE TRANSACTION")
            do {
                let value = try work(db)
                try db.run(sql: "COMMIT TRANSACTION")
                return value
            } catch {
                if db.isInsideTransaction { try? db.run(sql: "ROLLBACK TRANSACTION") }
                throw error
            }
        }
    }

    /// `work` inside a savepoint, which it rolls back to when `work` throws (cached statements, as `transaction`).
    private static func inSavepoint<T>(_ db: Database, _ work: () throws -> T) throws -> T {
        try db.run(sql: "SAVEPOINT unit")
        do {
            let value = try work()
            try db.run(sql: "RELEASE SAVEPOINT unit")
            return value
        } catch {
            if db.isInsideTransaction {
                try db.run(sql: "ROLLBACK TO SAVEPOINT unit")
                try db.run(sql: "RELEASE SAVEPOINT unit")
            }
            throw error
        }
    }

    /// Runs batches until none is waiting.
    private func drainAll() {
        while true {
            let batch = nextBatch()
            if batch.isEmpty { return }
            run(batch)
        }
    }

    /// The units waiting (in arrival order); when there are none, marks the drainer stopped.
    private func nextBatch() -> [Unit] {
        state.withLock { state in
            if state.pending.isEmpty {
                state.draining = false
                return []
            }
            defer { state.pending.removeAll(keepingCapacity: true) }
            return state.pending
        }
    }

    private func run(_ batch: [Unit]) {
        if batch.isEmpty { return }
        if batch.count == 1 {
            runAlone(batch[0])
            return
        }
        do {
            try transaction { db in
                for unit in batch { try unit.perform(db, true) }
            }
            for unit in batch { unit.finish(nil) }
        } catch {
            // Rolled back whole: each unit again in its own transaction.
            for unit in batch { runAlone(unit) }
        }
    }

    private func runAlone(_ unit: Unit) {
        do {
            try transaction { db in try unit.perform(db, false) }
            unit.finish(nil)
        } catch {
            unit.finish(error)
        }
    }
}

/// The result of one unit, written by the draining task and read when it answers (after the batch).
private final class Outcome<T: Sendable>: @unchecked Sendable {
    var result: Result<T, any Error>?
}

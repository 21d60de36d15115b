import Foundation
import GRDB

/// Time-driven work: "complete this refresh", "settle this debit in 4 business days". A job is due at a time on
/// the server clock, or — for objects of a customer on a test clock — at a time on that clock, in which case it
/// runs only when the clock is advanced past it (with "now" set to its due time).
package struct Job: Sendable, Equatable {
    package var seq: Int
    package var account: String
    package var kind: String
    package var target: String
    package var dueAtMillis: Int
    package var testClock: String?
    package var payload: JSONValue
}

extension Store {
    /// Schedules `kind` for `target`. `testClock` binds the job to a test clock; `dueAtMillis` is then on that clock.
    package func schedule(
        _ kind: String,
        target: String,
        dueAtMillis: Int,
        testClock: String? = nil,
        payload: JSONValue = [:]
    ) throws {
        try database.run(
            sql: "INSERT INTO job (account, kind, target, dueAt, testClock, payload) VALUES (?, ?, ?, ?, ?, ?)",
            [
                account.databaseValue, kind.databaseValue, target.databaseValue, dueAtMillis.databaseValue,
                testClock.databaseValue, payload.serialized(pretty: false).databaseValue,
            ]
        )
        signals.insert(.jobsScheduled)
    }

    /// Removes pending jobs of `kinds` for `target` (e.g. a canceled payment's settlement).
    package func cancelJobs(target: String, kinds: [String]) throws {
        guard !kinds.isEmpty else { return }
        try database.run(
            sql:
                "DELETE FROM job WHERE account = ? AND target = ? AND kind IN (\(kinds.map { _ in "?" }.joined(separator: ",")))",
            ([account, target] + kinds).map(\.databaseValue)
        )
    }

    /// Pending jobs for `target`.
    package func jobs(target: String) throws -> [Job] {
        try Row.fetchAll(
            cached: db,
            sql: "SELECT * FROM job WHERE account = ? AND target = ? ORDER BY dueAt, seq",
            arguments: [account, target]
        )
        .map(Job.init(row:))
    }

    /// Deletes a job once it ran (in the same transaction as its effects).
    package func finish(_ job: Job) throws {
        try database.run(sql: "DELETE FROM job WHERE seq = ?", [job.seq.databaseValue])
    }
}

extension Job {
    init(row: Row) {
        seq = row["seq"]
        account = row["account"]
        kind = row["kind"]
        target = row["target"]
        dueAtMillis = row["dueAt"]
        testClock = row["testClock"]
        payload = JSONValue.parse(row["payload"] as String) ?? [:]
    }
}

extension AppDatabase {
    /// Wall-clock jobs due at `nowMillis` (every account), oldest first.
    package func dueJobs(nowMillis: Int, limit: Int = 500) async throws -> [Job] {
        try await readDatabase { db in
            try Row.fetchAll(
                cached: db,
                sql: "SELECT * FROM job WHERE testClock IS NULL AND dueAt <= ? ORDER BY dueAt, seq LIMIT ?",
                arguments: [nowMillis, limit]
            ).map(Job.init(row:))
        }
    }

    /// The next wall-clock due time, if any.
    package func nextDueMillis() async throws -> Int? {
        try await readDatabase { db in
            try Int.fetchOne(cached: db, sql: "SELECT MIN(dueAt) FROM job WHERE testClock IS NULL")
        }
    }

    /// The earliest job of a test clock due by `untilMillis`.
    package func nextClockJob(_ clock: ClockRef, untilMillis: Int) async throws -> Job? {
        try await readDatabase { db in
            try Row.fetchOne(
                cached: db,
                sql: "SELECT * FROM job WHERE account = ? AND testClock = ? AND dueAt <= ? ORDER BY dueAt, seq LIMIT 1",
                arguments: [clock.account, clock.id, untilMillis]
            ).map(Job.init(row:))
        }
    }
}

import Foundation
import GRDB
import Testing

@testable import StripeSim

/// `GroupCommit`: writes queued behind a running one share its next transaction, each in its own savepoint.
@Suite struct GroupCommitTests {
    struct Refused: Error, Equatable { var n: Int }

    /// A table holding one row, `(0, 'first')`.
    private func scratch() throws -> DatabaseQueue {
        let queue = try DatabaseQueue()
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE t (n INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE)")
            try db.execute(sql: "INSERT INTO t (n, v) VALUES (0, 'first')")
        }
        return queue
    }

    /// Queues `count` writes while the writer is held (as they would queue behind a running one), then lets
    /// them run as one batch; returns each write's outcome.
    private func queueAndRelease(
        _ commit: GroupCommit,
        count: Int,
        _ unit: @escaping @Sendable (Int, Database) throws -> Int
    ) async throws -> [Int: Result<Int, any Error>] {
        #expect(commit.hold())
        let results = Task {
            await withTaskGroup(of: (Int, Result<Int, any Error>).self) { group in
                for n in 1...count {
                    group.addTask {
                        do {
                            return (n, .success(try await commit.write { db in try unit(n, db) }))
                        } catch {
                            return (n, .failure(error))
                        }
                    }
                }
                var all: [Int: Result<Int, any Error>] = [:]
                for await (n, result) in group { all[n] = result }
                return all
            }
        }
        let deadline = ContinuousClock.now + .seconds(30)
        while commit.pendingCount < count && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(1))
        }
        #expect(commit.pendingCount == count)
        #expect(commit.transactions == 0)
        commit.release()
        return await results.value
    }

    @Test func aLoneWriteThatThrowsLeavesNothingAndTheNextOneCommits() async throws {
        let queue = try scratch()
        let commit = GroupCommit(writer: queue)
        await #expect(throws: Refused(n: 1)) {
            try await commit.write { db -> Int in
                try db.execute(sql: "INSERT INTO t (n, v) VALUES (1, 'one')")
                throw Refused(n: 1)
            }
        }
        let value = try await commit.write { db in
            try db.execute(sql: "INSERT INTO t (n, v) VALUES (2, 'two')")
            return db.isInsideTransaction
        }
        #expect(value)
        let stored = try await queue.read { db in try Int.fetchAll(db, sql: "SELECT n FROM t ORDER BY n") }
        #expect(stored == [0, 2])
        #expect(queue.inDatabase { db in db.isInsideTransaction } == false)
    }

    /// `Database.run`, the hot writes' statement runner: binds every kind of value, reports SQLite's errors as
    /// `DatabaseError`s naming the statement, refuses a wrong number of values, and leaves its cached statement
    /// usable after a failure.
    @Test func runAndTextBindEveryKindOfValueAndReportSQLiteErrors() throws {
        let queue = try DatabaseQueue()
        let insert = "INSERT INTO k (i, d, s, b, z) VALUES (?, ?, ?, ?, ?)"
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE k (i INTEGER, d REAL, s TEXT UNIQUE, b BLOB, z)")
            let text = "é \"quoted\" \u{1F600}"
            try db.run(
                sql: insert,
                [42.databaseValue, 1.5.databaseValue, text.databaseValue, Data([0, 1, 255]).databaseValue, .null]
            )
            let row = try #require(try Row.fetchOne(db, sql: "SELECT * FROM k"))
            #expect(row["i"] as Int == 42)
            #expect(row["d"] as Double == 1.5)
            #expect(row["s"] as String == text)
            #expect(row["b"] as Data == Data([0, 1, 255]))
            #expect((row["z"] as DatabaseValue).isNull)

            let duplicate = [
                7.databaseValue, DatabaseValue.null, text.databaseValue, DatabaseValue.null, DatabaseValue.null,
            ]
            #expect {
                try db.run(sql: insert, duplicate)
            } throws: { error in
                let error = error as? DatabaseError
                return error?.resultCode == .SQLITE_CONSTRAINT && error?.sql == insert
            }
            #expect {
                try db.run(sql: insert, [1.databaseValue])
            } throws: { error in
                (error as? DatabaseError)?.resultCode == .SQLITE_MISUSE
            }
            try db.run(sql: insert, [8.databaseValue, .null, "other".databaseValue, .null, .null])
            #expect(try Int.fetchAll(db, sql: "SELECT i FROM k ORDER BY i") == [8, 42])

            // `text`: the first column of the first row, bound the same way; nil for no row or NULL.
            let query = "SELECT s FROM k WHERE i = ? AND d IS ?"
            #expect(try db.text(sql: query, [42.databaseValue, 1.5.databaseValue]) == text)
            #expect(try db.text(sql: query, [42.databaseValue, DatabaseValue.null]) == nil)
            #expect(try db.text(sql: "SELECT z FROM k WHERE i = ?", [8.databaseValue]) == nil)
            #expect(try db.text(sql: "SELECT '' FROM k WHERE i = ?", [8.databaseValue]) == "")
            #expect(try db.text(sql: "SELECT i FROM k WHERE s = ?", ["other".databaseValue]) == "8")
            #expect {
                try db.text(sql: query, [1.databaseValue])
            } throws: { error in
                (error as? DatabaseError)?.resultCode == .SQLITE_MISUSE
            }
            #expect {
                try db.text(sql: "SELECT abs(?)", [Int64.min.databaseValue])
            } throws: { error in
                (error as? DatabaseError)?.sql == "SELECT abs(?)"
            }
            // After an error the statement is reusable.
            #expect(try db.text(sql: query, [42.databaseValue, 1.5.databaseValue]) == text)
        }
    }

    @Test func queuedWritesShareOneTransactionAndAFailureRollsBackOnlyItsOwnWork() async throws {
        let queue = try scratch()
        let commit = GroupCommit(writer: queue)
        let results = try await queueAndRelease(commit, count: 20) { n, db in
            try db.execute(sql: "INSERT INTO t (n, v) VALUES (?, ?)", arguments: [n, "v\(n)"])
            if n == 7 { throw Refused(n: n) }  // after its insert: the savepoint must undo it
            return n * 10
        }
        // The 20 queued writes in one transaction.
        #expect(commit.transactions == 1)
        for n in 1...20 where n != 7 { #expect((try? results[n]?.get()) == n * 10) }
        #expect(throws: Refused(n: 7)) { try results[7]?.get() }
        let stored = try await queue.read { db in try Int.fetchAll(db, sql: "SELECT n FROM t ORDER BY n") }
        #expect(stored == [0] + (1...20).filter { $0 != 7 })
    }

    @Test func aStorageErrorInABatchRerunsEveryWriteAloneSoOnlyItsOwnFails() async throws {
        let queue = try scratch()
        let commit = GroupCommit(writer: queue)
        let results = try await queueAndRelease(commit, count: 10) { n, db in
            // 4 collides with row 0's UNIQUE value: a DatabaseError.
            try db.execute(sql: "INSERT INTO t (n, v) VALUES (?, ?)", arguments: [n, n == 4 ? "first" : "v\(n)"])
            return n
        }
        #expect(results[4].map { if case .failure(let e) = $0 { e is DatabaseError } else { false } } == true)
        for n in 1...10 where n != 4 { #expect((try? results[n]?.get()) == n) }
        let stored = try await queue.read { db in try Int.fetchAll(db, sql: "SELECT n FROM t ORDER BY n") }
        #expect(stored == [0] + (1...10).filter { $0 != 4 })
        // The failed batch, then each of the ten alone.
        #expect(commit.transactions == 11)
    }

    @Test func manyConcurrentWritersAllCommitInArrivalOrderPerWriter() async throws {
        let queue = try scratch()
        let commit = GroupCommit(writer: queue)
        await withTaskGroup(of: Void.self) { group in
            for w in 0..<8 {
                group.addTask {
                    for i in 0..<50 {
                        _ = try? await commit.write { db in
                            try db.execute(sql: "INSERT INTO t (v) VALUES (?)", arguments: ["w\(w)-\(i)"])
                            return i
                        }
                    }
                }
            }
        }
        let rows = try await queue.read { db in try String.fetchAll(db, sql: "SELECT v FROM t ORDER BY n") }
        #expect(rows.count == 401)  // with row 0
        for w in 0..<8 {
            // Each writer's writes committed in the order it made them.
            #expect(rows.filter { $0.hasPrefix("w\(w)-") } == (0..<50).map { "w\(w)-\($0)" })
        }
    }
}

import Foundation
import GRDB
import Testing

@testable import StripeSim

/// `GroupCommit`: writes queued behind a running one share its next transaction, each in its own savepoint.
/// Serialized: each test holds one cooperative thread inside its first write while the others queue.
@Suite(.serialized) struct GroupCommitTests {
    struct Refused: Error, Equatable { var n: Int }

    private func scratch() throws -> DatabaseQueue {
        let queue = try DatabaseQueue()
        try queue.write { db in try db.execute(sql: "CREATE TABLE t (n INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE)") }
        return queue
    }

    /// Holds the first write open until `count` more are queued behind it, so they form one batch.
    private func queueBehindFirst(
        _ commit: GroupCommit, count: Int, _ unit: @escaping @Sendable (Int, Database) throws -> Int
    ) async throws -> [Int: Result<Int, any Error>] {
        let release = DispatchSemaphore(value: 0)
        let first = Task {
            try await commit.write { db in
                _ = release.wait(timeout: .now() + 10)
                try db.execute(sql: "INSERT INTO t (n, v) VALUES (0, 'first')")
                return 0
            }
        }
        while commit.transactions == 0 { try await Task.sleep(for: .milliseconds(1)) }
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
        let deadline = ContinuousClock.now + .seconds(10)
        while commit.pendingCount < count && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(1)) }
        #expect(commit.pendingCount == count)
        release.signal()
        #expect(try await first.value == 0)
        return await results.value
    }

    @Test func queuedWritesShareOneTransactionAndAFailureRollsBackOnlyItsOwnWork() async throws {
        let queue = try scratch()
        let commit = GroupCommit(writer: queue)
        let results = try await queueBehindFirst(commit, count: 20) { n, db in
            try db.execute(sql: "INSERT INTO t (n, v) VALUES (?, ?)", arguments: [n, "v\(n)"])
            if n == 7 { throw Refused(n: n) }  // after its insert: the savepoint must undo it
            return n * 10
        }
        // The first write, then the 20 queued ones together.
        #expect(commit.transactions == 2)
        for n in 1...20 where n != 7 { #expect((try? results[n]?.get()) == n * 10) }
        #expect(throws: Refused(n: 7)) { try results[7]?.get() }
        let stored = try await queue.read { db in try Int.fetchAll(db, sql: "SELECT n FROM t ORDER BY n") }
        #expect(stored == [0] + (1...20).filter { $0 != 7 })
    }

    @Test func aStorageErrorInABatchRerunsEveryWriteAloneSoOnlyItsOwnFails() async throws {
        let queue = try scratch()
        let commit = GroupCommit(writer: queue)
        let results = try await queueBehindFirst(commit, count: 10) { n, db in
            // 4 collides with the first write's UNIQUE value: a DatabaseError.
            try db.execute(sql: "INSERT INTO t (n, v) VALUES (?, ?)", arguments: [n, n == 4 ? "first" : "v\(n)"])
            return n
        }
        #expect(results[4].map { if case .failure(let e) = $0 { e is DatabaseError } else { false } } == true)
        for n in 1...10 where n != 4 { #expect((try? results[n]?.get()) == n) }
        let stored = try await queue.read { db in try Int.fetchAll(db, sql: "SELECT n FROM t ORDER BY n") }
        #expect(stored == [0] + (1...10).filter { $0 != 4 })
        // First write, the failed batch, then each of the ten alone.
        #expect(commit.transactions == 12)
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
        #expect(rows.count == 400)
        for w in 0..<8 {
            // Each writer's writes committed in the order it made them.
            #expect(rows.filter { $0.hasPrefix("w\(w)-") } == (0..<50).map { "w\(w)-\($0)" })
        }
    }
}

import Foundation
import GRDB

extension AppDatabase {
    /// Deletes every row of `account` in every table that has an `account` column (objects, events, webhook
    /// endpoints and deliveries, scheduled jobs, idempotency keys, and whatever later migrations add), in one
    /// transaction. Other accounts and the `--forward-to` target are untouched. Returns the rows deleted per table
    /// (every table it looked at, zeros included).
    ///
    /// The dashboard's "reset this account" action. Runs in the group commit, so the `RenderedCache` forgets
    /// the account in commit order with every other write.
    @discardableResult
    package func resetAccount(_ account: String) async throws -> [String: Int] {
        let cache = renderedCache
        return try await mapErrors {
            try await groupCommit.write(
                { db in
                    let tables = try String.fetchAll(
                        db,
                        sql: """
                            SELECT name FROM sqlite_master
                            WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'grdb_%'
                            ORDER BY name
                            """
                    )
                    var deleted: [String: Int] = [:]
                    for table in tables where try db.columns(in: table).contains(where: { $0.name == "account" }) {
                        try db.execute(
                            sql: "DELETE FROM \(table.quotedDatabaseIdentifier) WHERE account = ?",
                            arguments: [account]
                        )
                        deleted[table] = db.changesCount
                    }
                    return deleted
                },
                afterCommit: { _ in cache.forget(account: account) }
            )
        }
    }
}

import Foundation
import GRDB
import Synchronization

/// A stored Stripe resource: a domain value kept as JSON in `body`, with the columns the API filters on.
package protocol StoredResource: Codable, Sendable {
    /// The table (see `Migrations`).
    static var table: String { get }
    /// The word in "No such <objectName>: 'id'".
    static var objectName: String { get }
    var id: String { get }
    var created: Int { get }
    /// Filterable columns and their values.
    var columns: [String: IndexValue] { get }
    /// Whether the table keeps the API body beside `body` (column `rendered`): a retrieve then answers with
    /// the stored text, no decoding or rendering (`Store.rendered`).
    static var keepsRendered: Bool { get }
    /// The API body's text (what a retrieve answers), when `keepsRendered`.
    func apiBodyText() -> String
}

extension StoredResource {
    package var columns: [String: IndexValue] { [:] }
    package static var keepsRendered: Bool { false }
    package func apiBodyText() -> String { JSONValue.null.serialized() }
}

/// A stored resource whose `body` is written and read as a `JSONValue` directly, skipping `Codable` (the
/// hot paths: every write stores an event).
package protocol JSONBodyRepresentable {
    var jsonBody: JSONValue { get }
    /// `jsonBody` serialised compactly (a type may write it without building `jsonBody`).
    var jsonBodyText: String { get }
    init(jsonBody: JSONValue) throws
}

extension JSONBodyRepresentable {
    package var jsonBodyText: String { jsonBody.serialized(pretty: false) }
}

/// A column value.
package enum IndexValue: Sendable, Equatable {
    case text(String?)
    case int(Int?)

    var databaseValue: DatabaseValue {
        switch self {
        case .text(let s): s?.databaseValue ?? .null
        case .int(let i): i?.databaseValue ?? .null
        }
    }
}

/// A list filter, by column.
package enum Filter: Sendable {
    case equals(String, IndexValue)
    case isNull(String)
    case isNotNull(String)
    case range(String, RangeFilter)
    case oneOf(String, [String])
    /// SQL `LIKE` (`%` wildcard); `negated` for `NOT LIKE`.
    case like(String, String, negated: Bool = false)
}

/// `created[gte]=…` and friends (or an exact `created=…`).
package struct RangeFilter: Sendable, Equatable {
    package var gt: Int?
    package var gte: Int?
    package var lt: Int?
    package var lte: Int?

    package init(gt: Int? = nil, gte: Int? = nil, lt: Int? = nil, lte: Int? = nil) {
        self.gt = gt
        self.gte = gte
        self.lt = lt
        self.lte = lte
    }

    /// From a validated `.range` parameter.
    package init?(_ value: ParamValue?) {
        switch value {
        case .int(let exact): self.init(gte: exact, lte: exact)
        case .hash(let h):
            let p = Params(h)
            self.init(gt: p.int("gt"), gte: p.int("gte"), lt: p.int("lt"), lte: p.int("lte"))
        default: return nil
        }
    }

    package func contains(_ v: Int) -> Bool {
        if let gt, !(v > gt) { return false }
        if let gte, !(v >= gte) { return false }
        if let lt, !(v < lt) { return false }
        if let lte, !(v <= lte) { return false }
        return true
    }
}

/// Cursor pagination input (`limit`, `starting_after`, `ending_before`).
package struct PageRequest: Sendable {
    package var limit: Int
    package var startingAfter: String?
    package var endingBefore: String?

    package init(limit: Int = 10, startingAfter: String? = nil, endingBefore: String? = nil) {
        self.limit = limit
        self.startingAfter = startingAfter
        self.endingBefore = endingBefore
    }
}

package struct Page<T: Sendable>: Sendable {
    package var items: [T]
    package var hasMore: Bool
}

/// A stored response for an `Idempotency-Key`.
package struct IdempotencyRecord: Sendable {
    package var fingerprint: String
    package var status: Int
    package var body: String
    package var requestID: String
}

/// The operations a transaction offers. Lives only inside one `AppDatabase.write`/`read`; every query is
/// scoped to the request's account, so different API keys can never see each other's objects.
package final class Store {
    /// Internal (not private) so the storage extensions beside this file (`Store+Webhooks.swift`) can run SQL.
    let db: Database
    package let context: StoreContext
    package var signals: Set<Signal> = []
    /// Stored API bodies this transaction wrote, in order: the group commit hands them to the `RenderedCache`
    /// once the transaction has committed.
    private(set) var renderedWrites: [(RenderedCache.Key, String)] = []
    /// When set, events are stamped with this time instead of `now`: the simulated time of a test clock whose
    /// customer's objects the request is changing.
    package var eventTime: Int?
    /// The test clock the request's events belong to (their webhook retries follow that clock).
    package var eventClock: String?
    /// The raw connection, for the storage layer's own extensions only.
    var database: Database { db }

    /// What the database knows about itself across transactions (see `StoreHints`).
    let hints: StoreHints

    init(_ db: Database, _ context: StoreContext, hints: StoreHints) {
        self.db = db
        self.context = context
        self.hints = hints
    }

    package var account: String { context.account }
    package var now: Int { context.now }
    package var ids: IDGenerator { context.ids }

    private static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }()

    private func encode<T: Encodable>(_ v: T) throws -> String {
        if let fast = v as? any JSONBodyRepresentable { return fast.jsonBodyText }
        return String(decoding: try Self.encoder.encode(v), as: UTF8.self)
    }

    private func decode<T: Decodable>(_ t: T.Type, _ body: String) throws -> T {
        if let fast = t as? any JSONBodyRepresentable.Type {
            guard let json = JSONValue.parse(body), let value = try fast.init(jsonBody: json) as? T else {
                throw StripeError(status: 500, type: "api_error", message: "A stored \(T.self) could not be read back.")
            }
            return value
        }
        return try JSONDecoder().decode(t, from: Data(body.utf8))
    }

    // MARK: Resources

    /// Inserts a resource. For a resource that `keepsRendered`, also stores its API body (`apiBodyText`) and
    /// returns that text, so the response can reuse it. `body`: the stored body when the caller has it serialised
    /// already (it must be what encoding `value` would give, up to whitespace and key order).
    @discardableResult
    package func insert<T: StoredResource>(_ value: T, body: String? = nil) throws -> String? {
        if T.self == WebhookEndpoint.self { hints.webhookEndpointsMayExist = true }
        let (names, values, text) = try writtenColumns(value, body: body)
        try db.run(
            sql: WriteStatements.sql(for: T.self, names).insert,
            [value.id.databaseValue, account.databaseValue, value.created.databaseValue] + values
        )
        return text
    }

    /// Updates a resource (and its `rendered` API body, as `insert`).
    @discardableResult
    package func update<T: StoredResource>(_ value: T) throws -> String? {
        let (names, values, text) = try writtenColumns(value, body: nil)
        try db.run(
            sql: WriteStatements.sql(for: T.self, names).update,
            values + [value.id.databaseValue, account.databaseValue]
        )
        return text
    }

    /// What a write stores besides the spine: `body`, `rendered` (when the resource `keepsRendered`) and the
    /// filter columns, with the rendered text.
    private func writtenColumns<T: StoredResource>(
        _ value: T,
        body: String?
    ) throws
        -> (names: [String], values: [DatabaseValue], rendered: String?)
    {
        var names = ["body"]
        var values: [DatabaseValue] = [(try body ?? encode(value)).databaseValue]
        let text = T.keepsRendered ? value.apiBodyText() : nil
        if let text {
            names.append("rendered")
            values.append(text.databaseValue)
            renderedWrites.append((RenderedCache.Key(table: T.table, account: account, id: value.id), text))
        }
        for (name, column) in value.columns.sorted(by: { $0.key < $1.key }) {
            names.append(name)
            values.append(column.databaseValue)
        }
        return (names, values, text)
    }

    /// The stored API body of a resource that `keepsRendered`, as a retrieve answers it; `nil` if there is no
    /// such object.
    package func rendered<T: StoredResource>(_ type: T.Type, _ id: String) throws -> String? {
        guard let text = try column("IFNULL(rendered, '')", of: T.self, id) else { return nil }
        if !text.isEmpty { return text }
        return try find(T.self, id)?.apiBodyText()  // written before the column existed
    }

    package func find<T: StoredResource>(_ type: T.Type, _ id: String) throws -> T? {
        try column("body", of: T.self, id).map { try decode(T.self, $0) }
    }

    /// One text column (or expression) of the account's row `id`.
    private func column<T: StoredResource>(_ expression: String, of type: T.Type, _ id: String) throws -> String? {
        try db.text(
            sql: "SELECT \(expression) FROM \(T.table) WHERE id = ? AND account = ?",
            [id.databaseValue, account.databaseValue]
        )
    }

    /// The resource, or Stripe's 404 `resource_missing` naming `param`.
    package func get<T: StoredResource>(_ type: T.Type, _ id: String, param: String = "id") throws -> T {
        guard let v = try find(type, id) else { throw StripeError.resourceMissing(T.objectName, id, param: param) }
        return v
    }

    private func whereClause(_ filters: [Filter]) -> (String, [DatabaseValue]) {
        var sql = "account = ?"
        var args: [DatabaseValue] = [account.databaseValue]
        for f in filters {
            switch f {
            case .equals(let c, let v):
                if v.databaseValue.isNull {
                    sql += " AND \(c) IS NULL"
                } else {
                    sql += " AND \(c) = ?"
                    args.append(v.databaseValue)
                }
            case .isNull(let c): sql += " AND \(c) IS NULL"
            case .isNotNull(let c): sql += " AND \(c) IS NOT NULL"
            case .oneOf(let c, let values):
                sql += " AND \(c) IN (\(values.map { _ in "?" }.joined(separator: ", ")))"
                args += values.map(\.databaseValue)
            case .like(let c, let pattern, let negated):
                sql += " AND \(c) \(negated ? "NOT LIKE" : "LIKE") ? ESCAPE '\\'"
                args.append(pattern.databaseValue)
            case .range(let c, let r):
                for case let (op, bound?) in [(">", r.gt), (">=", r.gte), ("<", r.lt), ("<=", r.lte)] {
                    sql += " AND \(c) \(op) ?"
                    args.append(bound.databaseValue)
                }
            }
        }
        return (sql, args)
    }

    /// A page, newest first. Cursors name objects of the same type (404 `resource_missing` otherwise).
    package func list<T: StoredResource>(
        _ type: T.Type,
        where filters: [Filter] = [],
        page: PageRequest
    ) throws
        -> Page<T>
    {
        let rows = try pageRows(T.self, column: "body", where: filters, page: page)
        return Page(items: try rows.items.map { try decode(T.self, $0) }, hasMore: rows.hasMore)
    }

    /// A page of stored API bodies (a resource that `keepsRendered`), as `list` orders and cuts it.
    package func renderedPage<T: StoredResource>(
        _ type: T.Type,
        where filters: [Filter] = [],
        page: PageRequest
    )
        throws -> Page<String>
    {
        // `id` stands in for a body written before the column existed (rendered from its state below).
        let rows = try pageRows(T.self, column: "IFNULL(rendered, id)", where: filters, page: page)
        let items = try rows.items.map { text in
            text.hasPrefix("{") ? text : try get(T.self, text).apiBodyText()
        }
        return Page(items: items, hasMore: rows.hasMore)
    }

    /// One column of a page's rows, newest first (`limit` + 1 fetched to know `has_more`).
    private func pageRows<T: StoredResource>(
        _ type: T.Type,
        column: String,
        where filters: [Filter],
        page: PageRequest
    ) throws -> Page<String> {
        var (sql, args) = whereClause(filters)
        var ascending = false
        if let after = page.startingAfter {
            sql += " AND seq < ?"
            args.append(try cursorSeq(T.self, after, param: "starting_after").databaseValue)
        } else if let before = page.endingBefore {
            sql += " AND seq > ?"
            args.append(try cursorSeq(T.self, before, param: "ending_before").databaseValue)
            ascending = true
        }
        let order = ascending ? "ASC" : "DESC"
        let texts = try db.texts(
            sql: "SELECT \(column) FROM \(T.table) WHERE \(sql) ORDER BY seq \(order) LIMIT ?",
            args + [(page.limit + 1).databaseValue]
        )
        var items = Array(texts.prefix(page.limit))
        if ascending { items.reverse() }
        return Page(items: items, hasMore: texts.count > page.limit)
    }

    /// Every match, newest first (search scans this).
    package func all<T: StoredResource>(_ type: T.Type, where filters: [Filter] = []) throws -> [T] {
        let (sql, args) = whereClause(filters)
        return try db.texts(sql: "SELECT body FROM \(T.table) WHERE \(sql) ORDER BY seq DESC", args)
            .map { try decode(T.self, $0) }
    }

    package func count<T: StoredResource>(_ type: T.Type, where filters: [Filter] = []) throws -> Int {
        let (sql, args) = whereClause(filters)
        return try Int.fetchOne(
            cached: db,
            sql: "SELECT COUNT(*) FROM \(T.table) WHERE \(sql)",
            arguments: StatementArguments(values: args)
        ) ?? 0
    }

    private func cursorSeq<T: StoredResource>(_ type: T.Type, _ id: String, param: String) throws -> Int {
        guard
            let seq = try Int.fetchOne(
                cached: db,
                sql: "SELECT seq FROM \(T.table) WHERE id = ? AND account = ?",
                arguments: [id, account]
            )
        else { throw StripeError.resourceMissing(T.objectName, id, param: param) }
        return seq
    }

    // MARK: Idempotency

    package func idempotencyRecord(key: String, notBefore: Int) throws -> IdempotencyRecord? {
        guard
            let row = try Row.fetchOne(
                cached: db,
                sql:
                    "SELECT fingerprint, status, body, requestID, created FROM idempotencyKey WHERE account = ? AND key = ?",
                arguments: [account, key]
            )
        else { return nil }
        if (row["created"] as Int) < notBefore { return nil }
        return IdempotencyRecord(
            fingerprint: row["fingerprint"],
            status: row["status"],
            body: row["body"],
            requestID: row["requestID"]
        )
    }

    package func saveIdempotencyRecord(key: String, _ record: IdempotencyRecord) throws {
        try db.run(
            sql: """
                INSERT OR REPLACE INTO idempotencyKey (account, key, fingerprint, status, body, requestID, created)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """,
            [
                account.databaseValue, key.databaseValue, record.fingerprint.databaseValue,
                record.status.databaseValue, record.body.databaseValue, record.requestID.databaseValue,
                now.databaseValue,
            ]
        )
    }
}

/// The `INSERT` and `UPDATE` text of each resource type, built once: a type's written columns (`body`,
/// `rendered`, its filter columns) are the same on every write, and building the statement text anew (joins and
/// interpolations) cost a tenth of an insert.
private enum WriteStatements {
    struct Entry {
        var names: [String]
        var insert: String
        var update: String
    }

    private static let entries = Mutex<[ObjectIdentifier: Entry]>([:])

    static func sql<T: StoredResource>(for type: T.Type, _ names: [String]) -> Entry {
        let key = ObjectIdentifier(type)
        if let entry = entries.withLock({ $0[key] }), entry.names == names { return entry }
        let columns = names.joined(separator: ", ")
        let marks = Array(repeating: "?", count: names.count + 3).joined(separator: ", ")
        let sets = names.map { "\($0) = ?" }.joined(separator: ", ")
        let entry = Entry(
            names: names,
            insert: "INSERT INTO \(T.table) (id, account, created, \(columns)) VALUES (\(marks))",
            update: "UPDATE \(T.table) SET \(sets) WHERE id = ? AND account = ?"
        )
        entries.withLock { $0[key] = entry }
        return entry
    }
}

/// Facts about a database that hold across its transactions, kept in memory so the hot paths can skip a query.
/// Each is conservative: it may claim more than is stored (a rolled-back write leaves it set), never less.
final class StoreHints: Sendable {
    private let endpoints: Atomic<Bool>

    init(webhookEndpointsMayExist: Bool) { endpoints = Atomic(webhookEndpointsMayExist) }

    /// False while no webhook endpoint (nor the `--forward-to` target) has ever been stored: every event then
    /// skips looking for endpoints to queue deliveries for (a query of about 20,000 instructions per event).
    /// Set by `Store.insert` before it stores one.
    var webhookEndpointsMayExist: Bool {
        get { endpoints.load(ordering: .acquiring) }
        set { endpoints.store(newValue, ordering: .releasing) }
    }
}

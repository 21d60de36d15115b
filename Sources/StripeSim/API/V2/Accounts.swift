import Foundation

/// `/v2/core/accounts` (JSON bodies, v2 errors and lists, `include`).
///
/// | Method | Path | Notes |
/// |---|---|---|
/// | POST | /v2/core/accounts | create; `configuration.customer` makes it usable as `customer_account` |
/// | GET | /v2/core/accounts/:id | `include[]` |
/// | POST | /v2/core/accounts/:id | update (`metadata` values `null` remove keys) |
/// | GET | /v2/core/accounts | `applied_configurations[]`, `closed`, `limit`, `page` |
/// | POST | /v2/core/accounts/:id/close | `applied_configurations[]` must list every configuration |
struct V2AccountsController {
    static let includeSchema: ParamSchema = ["include": .array(.oneOf(V2Account.includable))]

    func addRoutes(to api: APIRoutes) {
        api.post("/v2/core/accounts", V2Account.schema(update: false), family: .v2, create)
        api.get("/v2/core/accounts/:id", Self.includeSchema, family: .v2, retrieve)
        api.post(
            "/v2/core/accounts/:id/close",
            ["applied_configurations": .array(.oneOf("customer", "merchant", "recipient"))],
            family: .v2,
            close
        )
        api.post("/v2/core/accounts/:id", V2Account.schema(update: true), family: .v2, update)
        api.get(
            "/v2/core/accounts",
            [
                "applied_configurations": .array(.oneOf("customer", "merchant", "recipient")), "closed": .boolean,
                "limit": .integer(min: 1, max: 100), "page": .string(max: 5000),
            ],
            family: .v2,
            list
        )
    }

    private func include(_ p: Params) -> Set<String> { Set(p.strings("include") ?? []) }

    private func url(_ id: String) -> String { "/v2/core/accounts/\(id)" }

    @Sendable func create(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        var account = V2Account(id: store.ids.make("acct", length: 16), created: store.now)
        try account.apply(
            req.params,
            isCreate: true,
            invoicePrefix: store.ids.token(8).uppercased(),
            personID: store.ids.make("person"),
            now: store.now
        )
        if let clock = account.testClock {
            _ = try store.get(TestClock.self, clock, param: "configuration.customer.test_clock")
        }
        try store.insert(account)
        try store.emitThin(
            "v2.core.account.created",
            relatedID: account.id,
            relatedType: "v2.core.account",
            relatedURL: url(account.id)
        )
        return account.render(include: include(req.params))
    }

    @Sendable func retrieve(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        try store.get(V2Account.self, req.path()).render(include: include(req.params))
    }

    @Sendable func update(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        var account = try store.get(V2Account.self, req.path())
        if account.closed {
            throw StripeError.invalidRequest(
                "The account \(account.id) is closed and cannot be updated.",
                code: "account_closed"
            )
        }
        let before = account
        try account.apply(
            req.params,
            isCreate: false,
            invoicePrefix: store.ids.token(8).uppercased(),
            personID: store.ids.make("person"),
            now: store.now
        )
        if account != before {
            try store.update(account)
            try store.emitThin(
                "v2.core.account.updated",
                relatedID: account.id,
                relatedType: "v2.core.account",
                relatedURL: url(account.id)
            )
            if account.customer != before.customer {
                try store.emitThin(
                    "v2.core.account[configuration.customer].updated",
                    relatedID: account.id,
                    relatedType: "v2.core.account",
                    relatedURL: url(account.id)
                )
            }
        }
        return account.render(include: include(req.params))
    }

    @Sendable func close(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        var account = try store.get(V2Account.self, req.path())
        let given = Set(req.params.strings("applied_configurations") ?? [])
        if given != Set(account.appliedConfigurations) {
            throw StripeError(
                status: 400,
                code: "configs_must_match_to_close",
                message:
                    "To close an account, applied_configurations must list every configuration applied to it: \(account.appliedConfigurations.joined(separator: ", "))."
            )
        }
        if !account.closed {
            account.closed = true
            try store.update(account)
            try store.emitThin(
                "v2.core.account.closed",
                relatedID: account.id,
                relatedType: "v2.core.account",
                relatedURL: url(account.id)
            )
        }
        return account.render(include: [])
    }

    @Sendable func list(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        let p = req.params
        let limit = p.int("limit") ?? 10
        let offset =
            try p.string("page").map { t throws(StripeError) in try Pagination.offset(fromToken: t, param: "page") }
            ?? 0
        let wanted = Set(p.strings("applied_configurations") ?? [])
        let accounts = try store.all(V2Account.self, where: [.equals("closed", .int(p.bool("closed") == true ? 1 : 0))])
            .filter { wanted.isSubset(of: Set($0.appliedConfigurations)) }
        let slice = accounts.dropFirst(offset).prefix(limit)
        var query = "limit=\(limit)"
        for c in wanted.sorted() { query += "&applied_configurations[]=\(c)" }
        if let closed = p.bool("closed") { query += "&closed=\(closed)" }
        let next =
            offset + slice.count < accounts.count
            ? JSONValue.string("/v2/core/accounts?\(query)&page=\(Pagination.token(offset: offset + slice.count))")
            : .null
        let previous =
            offset > 0
            ? JSONValue.string("/v2/core/accounts?\(query)&page=\(Pagination.token(offset: max(0, offset - limit)))")
            : .null
        return [
            "data": .array(slice.map { $0.render(include: []) }), "next_page_url": next, "previous_page_url": previous,
        ]
    }
}

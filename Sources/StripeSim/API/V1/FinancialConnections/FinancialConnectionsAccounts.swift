import Foundation

/// `/v1/financial_connections/accounts` and `/v1/financial_connections/transactions`.
///
/// | Method | Path | Notes |
/// |---|---|---|
/// | GET | /v1/financial_connections/accounts | `session` or `account_holder[customer/customer_account/account]` |
/// | GET | /v1/financial_connections/accounts/:id | |
/// | POST | /v1/financial_connections/accounts/:id/disconnect | |
/// | POST | /v1/financial_connections/accounts/:id/refresh | `features[]`: balance, ownership, transactions (async) |
/// | POST | /v1/financial_connections/accounts/:id/subscribe | `features[]`: transactions |
/// | POST | /v1/financial_connections/accounts/:id/unsubscribe | `features[]`: transactions |
/// | GET | /v1/financial_connections/accounts/:id/owners | `ownership` (required) |
/// | GET | /v1/financial_connections/accounts/:id/inferred_balances | daily balances from the transaction history |
/// | GET | /v1/financial_connections/transactions | `account` (required), `transacted_at`, `transaction_refresh[after]` |
/// | GET | /v1/financial_connections/transactions/:id | |
struct FCAccountsController {
    func addRoutes(to api: APIRoutes) {
        api.get(
            "/v1/financial_connections/accounts",
            Pagination.schema.merging([
                "session": .string(max: 5000),
                "account_holder": .hash([
                    "customer": .string(max: 5000), "customer_account": .string(max: 5000),
                    "account": .string(max: 5000),
                ]),
            ]) { a, _ in a },
            list
        )
        api.get("/v1/financial_connections/accounts/:id", [:], retrieve)
        api.post("/v1/financial_connections/accounts/:id/disconnect", [:], disconnect)
        api.post(
            "/v1/financial_connections/accounts/:id/refresh",
            ["features": Param.array(.oneOf("balance", "ownership", "transactions")).isRequired],
            refresh
        )
        api.post(
            "/v1/financial_connections/accounts/:id/subscribe",
            ["features": Param.array(.oneOf("transactions")).isRequired],
            subscribe
        )
        api.post(
            "/v1/financial_connections/accounts/:id/unsubscribe",
            ["features": Param.array(.oneOf("transactions")).isRequired],
            unsubscribe
        )
        api.get(
            "/v1/financial_connections/accounts/:id/owners",
            Pagination.schema.merging(["ownership": Param.string(max: 5000).isRequired]) { a, _ in a },
            owners
        )
        api.get("/v1/financial_connections/accounts/:id/inferred_balances", Pagination.schema, inferredBalances)
        api.get(
            "/v1/financial_connections/transactions",
            Pagination.schema.merging([
                "account": Param.string(max: 5000).isRequired, "transacted_at": .range,
                "transaction_refresh": .hash(["after": Param.string(max: 5000).isRequired]),
            ]) { a, _ in a },
            transactions
        )
        api.get("/v1/financial_connections/transactions/:id", [:], transaction)
    }

    @Sendable func list(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        let p = req.params
        var filters: [Filter] = []
        let holder = p.hash("account_holder")
        let given = [
            p.has("session"), holder?.has("customer") == true, holder?.has("customer_account") == true,
            holder?.has("account") == true,
        ]
        if given.filter({ $0 }).count > 1 {
            throw StripeError.invalidRequest(
                "You may only specify one of these parameters: session, account_holder[customer], account_holder[customer_account], account_holder[account].",
                param: "session"
            )
        }
        if let s = p.string("session") {
            _ = try store.get(FCSession.self, s, param: "session")
            filters.append(.equals("session", .text(s)))
        }
        if let c = holder?.string("customer") { filters.append(.equals("customer", .text(c))) }
        if let a = holder?.string("customer_account") { filters.append(.equals("customerAccount", .text(a))) }
        if let a = holder?.string("account") { filters.append(.equals("connectAccount", .text(a))) }
        let page = try store.list(FCAccount.self, where: filters, page: try Pagination.pageRequest(p))
        return Pagination.list(page, url: "/v1/financial_connections/accounts") { $0.render() }
    }

    @Sendable func retrieve(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        try store.get(FCAccount.self, req.path()).render()
    }

    @Sendable func disconnect(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        var account = try store.get(FCAccount.self, req.path())
        if account.status != .disconnected {
            account.status = .disconnected
            account.statusDetails = [:]
            account.subscriptions = []
            try store.cancelJobs(target: account.id, kinds: [FCEngine.deactivateJob, FCEngine.refreshJob])
            try store.update(account)
            try store.emit("financial_connections.account.disconnected", account.render())
        }
        return account.render()
    }

    @Sendable func refresh(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        var account = try store.get(FCAccount.self, req.path())
        let features = req.params.strings("features") ?? []
        guard !features.isEmpty else {
            throw StripeError.validation("You must provide at least one feature.", param: "features")
        }
        for feature in features {
            try account.requirePermission(FCAccount.permission(for: feature), for: "\(feature) data")
        }
        try account.requireActive()
        for feature in features { try FCEngine.startRefresh(&account, feature: feature, store: store) }
        return account.render()
    }

    @Sendable func subscribe(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        var account = try store.get(FCAccount.self, req.path())
        try account.requirePermission("transactions", for: "transactions")
        try account.requireActive()
        if !account.subscriptions.contains("transactions") {
            account.subscriptions.append("transactions")
            try store.update(account)
        }
        try FCEngine.startRefresh(&account, feature: "transactions", store: store)
        return account.render()
    }

    @Sendable func unsubscribe(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        var account = try store.get(FCAccount.self, req.path())
        account.subscriptions.removeAll { $0 == "transactions" }
        try store.update(account)
        return account.render()
    }

    @Sendable func owners(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        let account = try store.get(FCAccount.self, req.path())
        try account.requirePermission("ownership", for: "ownership data")
        let id = req.params.string("ownership")!
        let ownership = try store.get(FCOwnership.self, id, param: "ownership")
        guard ownership.account == account.id else {
            throw StripeError.resourceMissing("financial_connections.account_ownership", id, param: "ownership")
        }
        let page = try Pagination.pageRequest(req.params)
        var owners = ownership.owners
        if let after = page.startingAfter, let i = owners.firstIndex(where: { $0.id == after }) {
            owners = Array(owners[(i + 1)...])
        }
        if let before = page.endingBefore, let i = owners.firstIndex(where: { $0.id == before }) {
            owners = Array(owners[..<i])
        }
        return Pagination.list(
            owners.prefix(page.limit).map(ownership.renderOwner),
            hasMore: owners.count > page.limit,
            url: "/v1/financial_connections/accounts/\(account.id)/owners"
        )
    }

    /// Daily balances (`as_of` 23:59:59 UTC each day), walked back from the current balance through the
    /// posted transactions. Needs a successful balance and transaction refresh.
    @Sendable func inferredBalances(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        let account = try store.get(FCAccount.self, req.path())
        try account.requirePermission("balances", for: "balances")
        let url = "/v1/financial_connections/accounts/\(account.id)/inferred_balances"
        guard let balance = account.balance, case .object(let current) = balance["current"] ?? .null,
            let (currency, amount) = current.first.map({ ($0.key, $0.value.intValue ?? 0) })
        else { return Pagination.list([], hasMore: false, url: url) }
        let posted = try store.all(FCTransaction.self, where: [.equals("fcAccount", .text(account.id))]).filter {
            $0.status == "posted"
        }
        let today = (store.now / 86_400) * 86_400 + 86_399
        var days: [JSONValue] = []
        var running = amount
        for day in 0..<90 {
            let asOf = today - day * 86_400
            days.append([
                "id": .string("fcainb_\(account.id.dropFirst(4))_\(asOf)"),
                "object": "financial_connections.account_inferred_balance",
                "as_of": .int(asOf), "current": [currency: .int(running)],
            ])
            running -= posted.filter { $0.transactedAt > asOf - 86_400 && $0.transactedAt <= asOf }.reduce(0) {
                $0 + $1.amount
            }
        }
        let page = try Pagination.pageRequest(req.params)
        var slice = days[...]
        if let after = page.startingAfter, let i = days.firstIndex(where: { $0["id"]?.stringValue == after }) {
            slice = days[(i + 1)...]
        }
        return Pagination.list(Array(slice.prefix(page.limit)), hasMore: slice.count > page.limit, url: url)
    }

    @Sendable func transactions(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        let p = req.params
        let account = try store.get(FCAccount.self, p.string("account")!, param: "account")
        try account.requirePermission("transactions", for: "transactions")
        guard !account.transactionRefreshIDs.isEmpty else {
            throw StripeError(
                status: 400,
                code: "financial_connections_no_successful_transaction_refresh",
                message:
                    "The Financial Connections account \(account.id) has no successful transaction refresh yet. Refresh transactions (POST /v1/financial_connections/accounts/\(account.id)/refresh with features[]=transactions) or subscribe, then list again.",
                param: "account"
            )
        }
        var filters: [Filter] = [.equals("fcAccount", .text(account.id))]
        if let range = RangeFilter(p["transacted_at"]) { filters.append(.range("transactedAt", range)) }
        if let after = p.hash("transaction_refresh")?.string("after") {
            guard let index = account.transactionRefreshIDs.firstIndex(of: after) else {
                throw StripeError.resourceMissing("transaction_refresh", after, param: "transaction_refresh[after]")
            }
            filters.append(.range("refreshIndex", RangeFilter(gt: index)))
        }
        let page = try store.list(FCTransaction.self, where: filters, page: try Pagination.pageRequest(p))
        return Pagination.list(page, url: "/v1/financial_connections/transactions") { $0.render() }
    }

    @Sendable func transaction(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        let t = try store.get(FCTransaction.self, req.path())
        let account = try store.get(FCAccount.self, t.account)
        try account.requirePermission("transactions", for: "transactions")
        return t.render()
    }

    static func register(_ e: inout Expansions) {
        for type in ["financial_connections.account", "financial_connections.session"] {
            e.add(
                type,
                "account_holder.customer",
                .reference { store, id in try store.find(Customer.self, id)?.render() }
            )
        }
        e.add(
            "financial_connections.account",
            "ownership",
            .reference { store, id in try store.find(FCOwnership.self, id)?.render() }
        )
    }
}

import Foundation

/// `/v1/financial_connections/sessions`.
///
/// | Method | Path | Notes |
/// |---|---|---|
/// | POST | /v1/financial_connections/sessions | `account_holder`, `permissions[]` (≥ 1), `prefetch[]`, `filters`, `return_url` |
/// | GET | /v1/financial_connections/sessions/:id | secret key, or publishable key + `client_secret` (Stripe.js) |
struct FCSessionsController {
    static let createSchema: ParamSchema = [
        "account_holder": Param.hash(AccountHolder.schema).isRequired,
        "permissions": Param.array(.oneOf(FCSession.permissions)).isRequired,
        "prefetch": .array(.oneOf(FCSession.prefetchable)),
        "filters": .hash([
            "countries": .array(.string(max: 2)), "account_subcategories": .array(.oneOf(FCSession.subcategories)),
            "institution": .string(max: 5000),
        ]),
        "return_url": .string(max: 5000),
    ]

    func addRoutes(to api: APIRoutes) {
        api.post("/v1/financial_connections/sessions", Self.createSchema, create)
        api.get(
            "/v1/financial_connections/sessions/:id",
            ["client_secret": .string(max: 5000)],
            access: .publishable,
            retrieve
        )
    }

    /// Renders a session with its linked accounts.
    static func render(_ session: FCSession, store: Store) throws -> JSONValue {
        session.render(accounts: try session.accountIDs.compactMap { try store.find(FCAccount.self, $0)?.render() })
    }

    @Sendable func create(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        let p = req.params
        let holder = try AccountHolder.from(p.hash("account_holder")!, store: store)
        let permissions = p.strings("permissions") ?? []
        guard !permissions.isEmpty else {
            throw StripeError.validation(
                "You must request at least one permission: balances, ownership, payment_method or transactions.",
                param: "permissions"
            )
        }
        let prefetch = p.strings("prefetch") ?? []
        for (i, feature) in prefetch.enumerated() where !permissions.contains(feature) {
            throw StripeError.invalidRequest(
                "You cannot prefetch \(feature) without requesting the \(feature) permission.",
                param: "prefetch[\(i)]"
            )
        }
        if let url = p.string("return_url"), !Self.isValidReturnURL(url) {
            throw StripeError(status: 400, code: "url_invalid", message: "Not a valid URL", param: "return_url")
        }
        let filters = p.hash("filters")
        let session = FCSession(
            id: store.ids.make("fcsess"),
            created: store.now,
            clientSecret: "fcsess_client_secret_" + store.ids.token(24),
            accountHolder: holder,
            permissions: Array(NSOrderedSet(array: permissions)) as? [String] ?? permissions,
            prefetch: prefetch,
            countries: filters?.strings("countries"),
            accountSubcategories: filters?.strings("account_subcategories"),
            returnURL: p.string("return_url")
        )
        try store.insert(session)
        return try Self.render(session, store: store)
    }

    /// `https://…`, `http://…`, or an app scheme (`myapp://done`) for WebView and mobile integrations.
    static func isValidReturnURL(_ url: String) -> Bool {
        guard let c = URLComponents(string: url), let scheme = c.scheme, !scheme.isEmpty, url.contains("://") else {
            return false
        }
        return scheme.allSatisfy { $0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == "." }
    }

    @Sendable func retrieve(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        let session = try store.get(FCSession.self, req.path())
        try PaymentIntentsController.requireClientSecret(
            req,
            session.clientSecret,
            "financial_connections.session",
            session.id
        )
        return try Self.render(session, store: store)
    }
}

/// Simulator-only: drive and inspect the hosted flow without a browser.
///
/// | Method | Path | Notes |
/// |---|---|---|
/// | POST | /v1/test_helpers/financial_connections/sessions/:id/complete | `institution`, `accounts[]`, `outcome` |
/// | GET | /v1/test_helpers/financial_connections/institutions | the fixture banks and their accounts |
struct FCTestHelpersController {
    func addRoutes(to api: APIRoutes) {
        api.post(
            "/v1/test_helpers/financial_connections/sessions/:id/complete",
            [
                "institution": .string(max: 5000), "accounts": .array(.string(max: 5000)),
                "outcome": .oneOf("success", "cancelled", "failed"),
            ],
            complete
        )
        api.get("/v1/test_helpers/financial_connections/institutions", [:], institutions)
    }

    @Sendable func complete(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        var session = try store.get(FCSession.self, req.path())
        let p = req.params
        _ = try FCEngine.complete(
            &session,
            institutionID: p.string("institution"),
            accountIDs: p.strings("accounts"),
            outcome: FCEngine.Outcome(rawValue: p.string("outcome") ?? "success") ?? .success,
            store: store
        )
        return try FCSessionsController.render(session, store: store)
    }

    @Sendable func institutions(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        let data: [JSONValue] = store.context.bank.institutions.map { i in
            [
                "id": .string(i.id), "object": "financial_connections.institution", "name": .string(i.name),
                "auth": .string(i.auth.rawValue), "status": .string(i.status.rawValue), "featured": .bool(i.featured),
                "oauth": .string(i.oauth.rawValue),
                "accounts": .array(
                    i.accounts.map { a in
                        [
                            "id": .string(a.id), "display_name": .string(a.displayName),
                            "category": .string(a.category.rawValue),
                            "subcategory": .string(a.subcategory.rawValue), "last4": .string(a.last4),
                            "supported_payment_method_types": .strings(a.supportedPaymentMethodTypes.map(\.rawValue)),
                            "behavior": .string(a.behaviorSummary),
                        ]
                    }
                ),
            ]
        }
        return Pagination.list(data, hasMore: false, url: "/v1/test_helpers/financial_connections/institutions")
    }
}

import Foundation

/// `/v1/payment_intents` for ACH Direct Debit (`us_bank_account`).
///
/// | Method | Path | Notes |
/// |---|---|---|
/// | POST | /v1/payment_intents | `confirm=true` confirms at once |
/// | GET | /v1/payment_intents/:id | publishable key + `client_secret` allowed |
/// | POST | /v1/payment_intents/:id | update (not once processing) |
/// | POST | /v1/payment_intents/:id/confirm | mandate, verification, debit |
/// | POST | /v1/payment_intents/:id/cancel | not once processing |
/// | POST | /v1/payment_intents/:id/verify_microdeposits | `amounts[]` or `descriptor_code` |
/// | GET | /v1/payment_intents | `customer`, `customer_account`, `created` |
/// | GET | /v1/payment_intents/search | `amount`, `created`, `currency`, `customer`, `status`, `metadata` |
struct PaymentIntentsController {
    static let usBankAccountOptions: ParamSchema = [
        "financial_connections": .hash([
            "filters": .hash(["account_subcategories": .array(.oneOf("checking", "savings"))]),
            "permissions": .array(.oneOf(FCSession.permissions)),
            "prefetch": .array(.oneOf(FCSession.prefetchable)),
            "return_url": .string(max: 5000),
        ]),
        "mandate_options": .hash(["collection_method": Param.oneOf("paper").isEmptyable]),
        "setup_future_usage": Param.oneOf("none", "off_session", "on_session").isEmptyable,
        "target_date": .string(max: 10),
        "transaction_purpose": Param.oneOf("goods", "other", "services", "unspecified").isEmptyable,
        "verification_method": .oneOf("automatic", "instant", "microdeposits"),
    ]
    static let optionsSchema: ParamSchema = ["us_bank_account": Param.hash(usBankAccountOptions).isEmptyable]

    static let shared: ParamSchema = [
        "customer": .string(max: 5000), "customer_account": .string(max: 5000),
        "description": Param.string(max: 1000).isEmptyable, "metadata": .metadata,
        "payment_method": .string(max: 5000), "payment_method_data": .hash(PaymentMethod.dataSchema),
        "payment_method_options": .hash(optionsSchema), "payment_method_types": .array(.string(max: 5000)),
        "receipt_email": Param.string(max: 5000).isEmptyable,
        "setup_future_usage": Param.oneOf("on_session", "off_session").isEmptyable,
        "shipping": Param.object.isEmptyable, "statement_descriptor": Param.string(max: 22).isEmptyable,
        "statement_descriptor_suffix": Param.string(max: 22).isEmptyable,
        "capture_method": .oneOf("automatic", "automatic_async", "manual"),
        "excluded_payment_method_types": .array(.string(max: 5000)),
    ]

    static let confirmOnly: ParamSchema = [
        "mandate": .string(max: 5000), "mandate_data": Param.hash(Mandate.dataSchema).isEmptyable,
        "off_session": .booleanOr("one_off", "recurring"), "error_on_requires_action": .boolean,
        "return_url": .string(max: 5000), "use_stripe_sdk": .boolean,
    ]

    static let createSchema: ParamSchema = shared.merging(confirmOnly) { a, _ in a }.merging([
        "amount": Param.integer.isRequired, "currency": Param.string(max: 3).isRequired, "confirm": .boolean,
        "automatic_payment_methods": .hash([
            "enabled": Param.boolean.isRequired, "allow_redirects": .oneOf("always", "never"),
        ]),
        "confirmation_method": .oneOf("automatic", "manual"),
    ]) { a, _ in a }

    static let updateSchema: ParamSchema = shared.merging([
        "amount": .integer, "currency": .string(max: 3),
    ]) { a, _ in a }

    static let confirmSchema: ParamSchema = confirmOnly.merging([
        "payment_method": .string(max: 5000), "payment_method_data": .hash(PaymentMethod.dataSchema),
        "payment_method_options": .hash(optionsSchema), "payment_method_types": .array(.string(max: 5000)),
        "receipt_email": Param.string(max: 5000).isEmptyable,
        "setup_future_usage": Param.oneOf("on_session", "off_session").isEmptyable,
        "shipping": Param.object.isEmptyable, "capture_method": .oneOf("automatic", "automatic_async", "manual"),
        "client_secret": .string(max: 5000),
    ]) { a, _ in a }

    static let searchFields: [String: Bool] = [
        "amount": true, "created": true, "currency": false, "customer": false, "status": false,
    ]

    func addRoutes(to api: APIRoutes) {
        api.post("/v1/payment_intents", Self.createSchema, create)
        api.get("/v1/payment_intents/search", Search.schema, search)
        api.get("/v1/payment_intents/:id", ["client_secret": .string(max: 5000)], access: .publishable, retrieve)
        api.post("/v1/payment_intents/:id", Self.updateSchema, update)
        api.post("/v1/payment_intents/:id/confirm", Self.confirmSchema, access: .publishable, confirm)
        api.post(
            "/v1/payment_intents/:id/cancel",
            ["cancellation_reason": .oneOf("duplicate", "fraudulent", "requested_by_customer", "abandoned")],
            cancel
        )
        api.post(
            "/v1/payment_intents/:id/verify_microdeposits",
            ["amounts": .array(.integer), "descriptor_code": .string(max: 6), "client_secret": .string(max: 5000)],
            access: .publishable,
            verifyMicrodeposits
        )
        api.get(
            "/v1/payment_intents",
            Pagination.schema.merging([
                "customer": .string(max: 5000), "customer_account": .string(max: 5000), "created": .range,
            ]) { a, _ in a },
            list
        )
    }

    /// Renders for the request's API version: before 2022-11-15 the charges are embedded.
    static func render(_ pi: PaymentIntent, _ req: APIRequest, _ store: Store) throws -> JSONValue {
        guard StripeVersion.hasEmbeddedCharges(req.apiVersion) else { return pi.render() }
        return pi.render(
            embeddedCharges: try pi.charges.reversed().compactMap { try store.find(Charge.self, $0)?.render() }
        )
    }

    /// Publishable keys must present the intent's client secret.
    static func requireClientSecret(_ req: APIRequest, _ secret: String, _ object: String, _ id: String) throws {
        guard req.credentials.kind == .publishable else { return }
        guard let given = req.params.string("client_secret") else {
            throw StripeError.parameterMissing("client_secret")
        }
        guard given == secret else { throw StripeError.resourceMissing(object, id) }
    }

    /// Applies the PaymentMethod-related parameters shared by create, update and confirm.
    static func applyPaymentMethod(_ pi: inout PaymentIntent, _ p: Params, store: Store) throws {
        if let types = p.strings("payment_method_types"), !types.isEmpty {
            pi.paymentMethodTypes = types
            pi.automaticPaymentMethods = nil
        }
        pi.paymentMethodOptions = ACHEngine.mergedOptions(pi.paymentMethodOptions, p)
        if let pm = try ACHEngine.paymentMethodParam(p, store: store) {
            guard pi.paymentMethodTypes.contains("us_bank_account") else {
                throw StripeError.invalidRequest(
                    "The PaymentMethod provided (us_bank_account) is not allowed for this PaymentIntent. Please attach a PaymentMethod of one of the following types: \(pi.paymentMethodTypes.joined(separator: ", ")). Alternatively, update the allowed payment_method_types for this PaymentIntent to include \"us_bank_account\".",
                    param: "payment_method",
                    code: "payment_intent_incompatible_payment_method"
                )
            }
            pi.paymentMethod = pm.id
            pi.lastPaymentError = nil
            if pi.status == .requiresPaymentMethod || pi.status == .requiresAction { pi.status = .requiresConfirmation }
        }
        if p.isUnset("setup_future_usage") { pi.setupFutureUsage = nil }
        if let s = p.string("setup_future_usage") { pi.setupFutureUsage = s }
        if p.has("receipt_email") { pi.receiptEmail = p.string("receipt_email") }
        if p.has("shipping") { pi.shipping = p.json("shipping").flatMap { $0 == .null ? JSONValue?.none : $0 } }
        if p.string("capture_method") == "manual", pi.paymentMethodTypes.contains("us_bank_account") {
            throw StripeError.invalidRequest(
                "The payment method type `us_bank_account` does not support manual capture. Use capture_method=automatic.",
                param: "capture_method",
                code: "payment_intent_invalid_parameter"
            )
        }
    }

    static func validateAmount(_ amount: Int, currency: String, types: [String]) throws {
        if types.contains("us_bank_account"), currency != "usd" {
            throw StripeError.invalidRequest(
                "The currency provided (\(currency)) is invalid. Payments with us_bank_account support the following currencies: usd.",
                param: "currency",
                code: "payment_intent_invalid_parameter"
            )
        }
        if currency == "usd", amount < ACHEngine.minimumAmount {
            throw StripeError(
                status: 400,
                code: "amount_too_small",
                message: "Amount must be at least $0.50 usd",
                param: "amount"
            )
        }
        if amount > 99_999_999 {
            throw StripeError(
                status: 400,
                code: "amount_too_large",
                message: "Amount must be no more than $999,999.99",
                param: "amount"
            )
        }
        if amount < 1 {
            throw StripeError.validation("This value must be greater than or equal to 1.", param: "amount")
        }
    }

    // MARK: Handlers

    @Sendable func create(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        let p = req.params
        let currency = p.string("currency")!.lowercased()
        if p.has("customer") && p.has("customer_account") {
            throw StripeError.parametersExclusive("customer", "customer_account")
        }
        if (p.has("mandate") || p.has("mandate_data")) && p.bool("confirm") != true {
            throw StripeError.invalidRequest(
                "You can only pass mandate or mandate_data when confirm=true.",
                param: p.has("mandate") ? "mandate" : "mandate_data"
            )
        }
        if p.has("automatic_payment_methods") && p.has("payment_method_types") {
            throw StripeError.parametersExclusive("automatic_payment_methods", "payment_method_types")
        }
        var clock: String?
        if let c = p.string("customer") {
            let customer = try store.get(Customer.self, c, param: "customer")
            if customer.deleted { throw StripeError.resourceMissing("customer", c, param: "customer") }
            clock = customer.testClock
        }
        if let a = p.string("customer_account") {
            clock = try store.get(V2Account.self, a, param: "customer_account").testClock
        }
        let types = p.strings("payment_method_types") ?? ["us_bank_account"]
        try Self.validateAmount(p.int("amount")!, currency: currency, types: types)
        let id = "pi_" + store.ids.token(24)
        var pi = PaymentIntent(
            id: id,
            created: try ACHEngine.now(store, clock: clock),
            clientSecret: "\(id)_secret_\(store.ids.token(25))",
            amount: p.int("amount")!,
            currency: currency,
            customer: p.string("customer"),
            customerAccount: p.string("customer_account"),
            description: p.string("description"),
            metadata: p.metadataUpdate()?.applied(to: [:]) ?? [:],
            paymentMethodTypes: types,
            automaticPaymentMethods: p.hash("automatic_payment_methods").map { a in
                [
                    "enabled": .bool(a.bool("enabled") ?? true),
                    "allow_redirects": .string(a.string("allow_redirects") ?? "always"),
                ]
            } ?? (p.has("payment_method_types") ? nil : ["enabled": true, "allow_redirects": "always"]),
            paymentMethodOptions: PaymentIntent.defaultOptions(),
            status: .requiresPaymentMethod,
            statementDescriptor: p.string("statement_descriptor"),
            testClock: clock
        )
        try ACHEngine.followClock(store, clock)
        try Self.applyPaymentMethod(&pi, p, store: store)
        try store.insert(pi)
        try store.emit("payment_intent.created", pi.render())
        if p.bool("confirm") == true { try ACHEngine.confirm(&pi, params: p, store: store) }
        return try Self.render(pi, req, store)
    }

    @Sendable func retrieve(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        let pi = try store.get(PaymentIntent.self, req.path())
        try Self.requireClientSecret(req, pi.clientSecret, "payment_intent", pi.id)
        return try Self.render(pi, req, store)
    }

    @Sendable func update(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        var pi = try store.get(PaymentIntent.self, req.path())
        guard pi.status.isOpen else {
            throw StripeError(
                status: 400,
                code: "payment_intent_unexpected_state",
                message:
                    "This PaymentIntent's status is \(pi.status.rawValue); it can only be updated while it is requires_payment_method, requires_confirmation or requires_action.",
                extra: ["payment_intent": pi.render()]
            )
        }
        let p = req.params
        if let c = p.string("customer") {
            _ = try store.get(Customer.self, c, param: "customer")
            pi.customer = c
        }
        if let a = p.string("customer_account") {
            _ = try store.get(V2Account.self, a, param: "customer_account")
            pi.customerAccount = a
        }
        if p.has("description") { pi.description = p.string("description") }
        if let m = p.metadataUpdate() { pi.metadata = m.applied(to: pi.metadata) }
        if p.has("statement_descriptor") { pi.statementDescriptor = p.string("statement_descriptor") }
        if let amount = p.int("amount") { pi.amount = amount }
        if let currency = p.string("currency") { pi.currency = currency.lowercased() }
        try Self.applyPaymentMethod(&pi, p, store: store)
        try Self.validateAmount(pi.amount, currency: pi.currency, types: pi.paymentMethodTypes)
        try store.update(pi)
        return try Self.render(pi, req, store)
    }

    @Sendable func confirm(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        var pi = try store.get(PaymentIntent.self, req.path())
        try Self.requireClientSecret(req, pi.clientSecret, "payment_intent", pi.id)
        try ACHEngine.followClock(store, pi.testClock)
        guard pi.status == .requiresPaymentMethod || pi.status == .requiresConfirmation else {
            throw StripeError(
                status: 400,
                code: "payment_intent_unexpected_state",
                message: "You cannot confirm this PaymentIntent because it has a status of \(pi.status.rawValue).",
                extra: ["payment_intent": pi.render()]
            )
        }
        try Self.applyPaymentMethod(&pi, req.params, store: store)
        try ACHEngine.confirm(&pi, params: req.params, store: store)
        return try Self.render(pi, req, store)
    }

    @Sendable func cancel(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        var pi = try store.get(PaymentIntent.self, req.path())
        try ACHEngine.followClock(store, pi.testClock)
        guard pi.status.isOpen else {
            throw StripeError(
                status: 400,
                code: "payment_intent_unexpected_state",
                message:
                    "You cannot cancel this PaymentIntent because it has a status of \(pi.status.rawValue). Only a PaymentIntent with one of the following statuses may be canceled: requires_payment_method, requires_capture, requires_confirmation, requires_action.",
                extra: ["payment_intent": pi.render()]
            )
        }
        pi.status = .canceled
        pi.canceledAt = try ACHEngine.now(store, clock: pi.testClock)
        pi.cancellationReason = req.params.string("cancellation_reason")
        pi.microdeposits = nil
        try store.cancelJobs(target: pi.id, kinds: [ACHEngine.microdepositTimeoutJob])
        try store.update(pi)
        try store.emit("payment_intent.canceled", pi.render())
        return try Self.render(pi, req, store)
    }

    @Sendable func verifyMicrodeposits(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        var pi = try store.get(PaymentIntent.self, req.path())
        try Self.requireClientSecret(req, pi.clientSecret, "payment_intent", pi.id)
        try ACHEngine.followClock(store, pi.testClock)
        try ACHEngine.verifyMicrodeposits(&pi, params: req.params, store: store)
        return try Self.render(pi, req, store)
    }

    @Sendable func list(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        let p = req.params
        var filters: [Filter] = []
        if let c = p.string("customer") { filters.append(.equals("customer", .text(c))) }
        if let a = p.string("customer_account") { filters.append(.equals("customerAccount", .text(a))) }
        if let created = RangeFilter(p["created"]) { filters.append(.range("created", created)) }
        let page = try store.list(PaymentIntent.self, where: filters, page: try Pagination.pageRequest(p))
        return Pagination.list(
            try page.items.map { try Self.render($0, req, store) },
            hasMore: page.hasMore,
            url: "/v1/payment_intents"
        )
    }

    @Sendable func search(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        let query = try SearchQuery.parse(
            req.params.string("query") ?? "",
            fields: Self.searchFields,
            resource: "payment_intents"
        )
        let matches = try store.all(PaymentIntent.self).filter { pi in
            query.matches { clause in
                if let key = clause.metadataKey { return pi.metadata[key] }
                switch clause.field {
                case "amount": return String(pi.amount)
                case "created": return String(pi.created)
                case "currency": return pi.currency
                case "customer": return pi.customer
                case "status": return pi.status.rawValue
                default: return nil
                }
            }
        }
        return try Search.page(matches.map { $0.render() }, req.params, url: "/v1/payment_intents/search")
    }

    static func register(_ e: inout Expansions) {
        e.add("payment_intent", "customer", .reference { store, id in try store.find(Customer.self, id)?.render() })
        e.add(
            "payment_intent",
            "payment_method",
            .reference { store, id in try store.find(PaymentMethod.self, id)?.render() }
        )
        e.add("payment_intent", "latest_charge", .reference { store, id in try store.find(Charge.self, id)?.render() })
        e.add("charge", "customer", .reference { store, id in try store.find(Customer.self, id)?.render() })
        e.add("charge", "payment_intent", .reference { store, id in try store.find(PaymentIntent.self, id)?.render() })
        e.add("charge", "balance_transaction", .reference { _, _ in nil })
        e.add(
            "charge",
            "payment_method_details.us_bank_account.mandate",
            .reference { store, id in try store.find(Mandate.self, id)?.render() }
        )
        e.add("mandate", "payment_method", .reference { store, id in try store.find(PaymentMethod.self, id)?.render() })
        e.add("payment_method", "customer", .reference { store, id in try store.find(Customer.self, id)?.render() })
        e.add("setup_intent", "customer", .reference { store, id in try store.find(Customer.self, id)?.render() })
        e.add(
            "setup_intent",
            "payment_method",
            .reference { store, id in try store.find(PaymentMethod.self, id)?.render() }
        )
        e.add("setup_intent", "mandate", .reference { store, id in try store.find(Mandate.self, id)?.render() })
    }
}

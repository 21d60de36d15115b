import Foundation

/// `/v1/setup_intents`: saving a bank account for later debits.
///
/// | Method | Path | Notes |
/// |---|---|---|
/// | POST | /v1/setup_intents | `confirm=true` confirms at once |
/// | GET | /v1/setup_intents/:id | publishable key + `client_secret` allowed |
/// | POST | /v1/setup_intents/:id | update |
/// | POST | /v1/setup_intents/:id/confirm | |
/// | POST | /v1/setup_intents/:id/cancel | |
/// | POST | /v1/setup_intents/:id/verify_microdeposits | |
/// | GET | /v1/setup_intents | `customer`, `customer_account`, `payment_method`, `created` |
struct SetupIntentsController {
    static let shared: ParamSchema = [
        "customer": .string(max: 5000), "customer_account": .string(max: 5000),
        "description": Param.string(max: 1000).isEmptyable, "metadata": .metadata,
        "payment_method": .string(max: 5000), "payment_method_data": .hash(PaymentMethod.dataSchema),
        "payment_method_options": .hash(PaymentIntentsController.optionsSchema),
        "payment_method_types": .array(.string(max: 5000)), "flow_directions": .array(.oneOf("inbound", "outbound")),
        "attach_to_self": .boolean,
    ]
    static let createSchema: ParamSchema = shared.merging([
        "confirm": .boolean, "usage": .oneOf("off_session", "on_session"),
        "mandate_data": Param.hash(Mandate.dataSchema).isEmptyable, "return_url": .string(max: 5000),
        "use_stripe_sdk": .boolean, "on_behalf_of": .string(max: 5000),
        "automatic_payment_methods": .hash([
            "enabled": Param.boolean.isRequired, "allow_redirects": .oneOf("always", "never"),
        ]),
        "single_use": .hash(["amount": Param.integer.isRequired, "currency": Param.string(max: 3).isRequired]),
    ]) { a, _ in a }
    static let confirmSchema: ParamSchema = [
        "payment_method": .string(max: 5000), "payment_method_data": .hash(PaymentMethod.dataSchema),
        "payment_method_options": .hash(PaymentIntentsController.optionsSchema),
        "mandate_data": Param.hash(Mandate.dataSchema).isEmptyable, "return_url": .string(max: 5000),
        "use_stripe_sdk": .boolean, "client_secret": .string(max: 5000),
    ]

    func addRoutes(to api: APIRoutes) {
        api.post("/v1/setup_intents", Self.createSchema, create)
        api.get("/v1/setup_intents/:id", ["client_secret": .string(max: 5000)], access: .publishable, retrieve)
        api.post("/v1/setup_intents/:id", Self.shared, update)
        api.post("/v1/setup_intents/:id/confirm", Self.confirmSchema, access: .publishable, confirm)
        api.post(
            "/v1/setup_intents/:id/cancel",
            ["cancellation_reason": .oneOf("abandoned", "requested_by_customer", "duplicate")],
            cancel
        )
        api.post(
            "/v1/setup_intents/:id/verify_microdeposits",
            ["amounts": .array(.integer), "descriptor_code": .string(max: 6), "client_secret": .string(max: 5000)],
            access: .publishable,
            verify
        )
        api.get(
            "/v1/setup_intents",
            Pagination.schema.merging([
                "customer": .string(max: 5000), "customer_account": .string(max: 5000),
                "payment_method": .string(max: 5000), "created": .range, "attach_to_self": .boolean,
            ]) { a, _ in a },
            list
        )
    }

    static func applyPaymentMethod(_ si: inout SetupIntent, _ p: Params, store: Store) throws {
        if let types = p.strings("payment_method_types"), !types.isEmpty { si.paymentMethodTypes = types }
        si.paymentMethodOptions = ACHEngine.mergedOptions(si.paymentMethodOptions, p)
        if let pm = try ACHEngine.paymentMethodParam(p, store: store) {
            guard si.paymentMethodTypes.contains("us_bank_account") else {
                throw StripeError.invalidRequest(
                    "The PaymentMethod provided (us_bank_account) is not allowed for this SetupIntent. Update the allowed payment_method_types to include \"us_bank_account\".",
                    param: "payment_method",
                    code: "setup_intent_invalid_parameter"
                )
            }
            si.paymentMethod = pm.id
            si.lastSetupError = nil
            if si.status == .requiresPaymentMethod || si.status == .requiresAction { si.status = .requiresConfirmation }
        }
    }

    private func requireMutable(_ si: SetupIntent, _ action: String) throws {
        guard si.status.isOpen else {
            throw StripeError(
                status: 400,
                code: "setup_intent_unexpected_state",
                message: "You cannot \(action) this SetupIntent because it has a status of \(si.status.rawValue).",
                extra: ["setup_intent": si.render()]
            )
        }
    }

    @Sendable func create(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        let p = req.params
        if p.has("customer") && p.has("customer_account") {
            throw StripeError.parametersExclusive("customer", "customer_account")
        }
        if p.has("mandate_data") && p.bool("confirm") != true {
            throw StripeError.invalidRequest("You can only pass mandate_data when confirm=true.", param: "mandate_data")
        }
        if let c = p.string("customer") {
            let customer = try store.get(Customer.self, c, param: "customer")
            if customer.deleted { throw StripeError.resourceMissing("customer", c, param: "customer") }
        }
        if let a = p.string("customer_account") { _ = try store.get(V2Account.self, a, param: "customer_account") }
        let id = "seti_" + store.ids.token(24)
        var si = SetupIntent(
            id: id,
            created: store.now,
            clientSecret: "\(id)_secret_\(store.ids.token(25))",
            customer: p.string("customer"),
            customerAccount: p.string("customer_account"),
            description: p.string("description"),
            metadata: p.metadataUpdate()?.applied(to: [:]) ?? [:],
            paymentMethodTypes: p.strings("payment_method_types") ?? ["us_bank_account"],
            automaticPaymentMethods: p.has("payment_method_types")
                ? nil : ["enabled": true, "allow_redirects": "always"],
            paymentMethodOptions: PaymentIntent.defaultOptions(),
            usage: p.string("usage") ?? "off_session",
            status: .requiresPaymentMethod,
            flowDirections: p.strings("flow_directions")
        )
        let clock = try SetupEngine.customerClock(si, store: store)
        si.created = try ACHEngine.now(store, clock: clock)
        try ACHEngine.followClock(store, clock)
        try Self.applyPaymentMethod(&si, p, store: store)
        try store.insert(si)
        try store.emit("setup_intent.created", si.render())
        if p.bool("confirm") == true { try SetupEngine.confirm(&si, params: p, store: store) }
        return si.render()
    }

    @Sendable func retrieve(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        let si = try store.get(SetupIntent.self, req.path())
        try PaymentIntentsController.requireClientSecret(req, si.clientSecret, "setup_intent", si.id)
        return si.render()
    }

    @Sendable func update(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        var si = try store.get(SetupIntent.self, req.path())
        try requireMutable(si, "update")
        let p = req.params
        if let c = p.string("customer") {
            _ = try store.get(Customer.self, c, param: "customer")
            si.customer = c
        }
        if let a = p.string("customer_account") {
            _ = try store.get(V2Account.self, a, param: "customer_account")
            si.customerAccount = a
        }
        if p.has("description") { si.description = p.string("description") }
        if let m = p.metadataUpdate() { si.metadata = m.applied(to: si.metadata) }
        try Self.applyPaymentMethod(&si, p, store: store)
        try store.update(si)
        return si.render()
    }

    @Sendable func confirm(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        var si = try store.get(SetupIntent.self, req.path())
        try PaymentIntentsController.requireClientSecret(req, si.clientSecret, "setup_intent", si.id)
        try ACHEngine.followClock(store, try SetupEngine.customerClock(si, store: store))
        guard si.status == .requiresPaymentMethod || si.status == .requiresConfirmation else {
            throw StripeError(
                status: 400,
                code: "setup_intent_unexpected_state",
                message: "You cannot confirm this SetupIntent because it has a status of \(si.status.rawValue).",
                extra: ["setup_intent": si.render()]
            )
        }
        try Self.applyPaymentMethod(&si, req.params, store: store)
        try SetupEngine.confirm(&si, params: req.params, store: store)
        return si.render()
    }

    @Sendable func cancel(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        var si = try store.get(SetupIntent.self, req.path())
        try requireMutable(si, "cancel")
        si.status = .canceled
        si.cancellationReason = req.params.string("cancellation_reason")
        si.microdeposits = nil
        try store.cancelJobs(target: si.id, kinds: [ACHEngine.microdepositTimeoutJob])
        try store.update(si)
        try store.emit("setup_intent.canceled", si.render())
        return si.render()
    }

    @Sendable func verify(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        var si = try store.get(SetupIntent.self, req.path())
        try PaymentIntentsController.requireClientSecret(req, si.clientSecret, "setup_intent", si.id)
        try ACHEngine.followClock(store, try SetupEngine.customerClock(si, store: store))
        try SetupEngine.verifyMicrodeposits(&si, params: req.params, store: store)
        return si.render()
    }

    @Sendable func list(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        let p = req.params
        var filters: [Filter] = []
        if let c = p.string("customer") { filters.append(.equals("customer", .text(c))) }
        if let a = p.string("customer_account") { filters.append(.equals("customerAccount", .text(a))) }
        if let pm = p.string("payment_method") { filters.append(.equals("paymentMethod", .text(pm))) }
        if let created = RangeFilter(p["created"]) { filters.append(.range("created", created)) }
        let page = try store.list(SetupIntent.self, where: filters, page: try Pagination.pageRequest(p))
        return Pagination.list(page, url: "/v1/setup_intents") { $0.render() }
    }
}

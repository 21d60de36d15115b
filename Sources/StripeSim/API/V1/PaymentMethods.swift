import Foundation

/// `/v1/payment_methods` (type `us_bank_account`) and a customer's saved PaymentMethods.
///
/// | Method | Path | Notes |
/// |---|---|---|
/// | POST | /v1/payment_methods | raw routing/account numbers or `financial_connections_account` |
/// | GET | /v1/payment_methods/:id | |
/// | POST | /v1/payment_methods/:id | update (attached PaymentMethods only) |
/// | POST | /v1/payment_methods/:id/attach | `customer` or `customer_account` |
/// | POST | /v1/payment_methods/:id/detach | cannot be attached again afterwards |
/// | GET | /v1/payment_methods | `customer`, `customer_account`, `type` |
/// | GET | /v1/customers/:id/payment_methods(/:pm) | |
struct PaymentMethodsController {
    func addRoutes(to api: APIRoutes) {
        api.post("/v1/payment_methods", PaymentMethod.dataSchema, create)
        api.get("/v1/payment_methods/:id", [:], retrieve)
        api.post(
            "/v1/payment_methods/:id",
            [
                "billing_details": .hash(PaymentMethod.billingSchema), "metadata": .metadata,
                "allow_redisplay": .oneOf("always", "limited", "unspecified"),
                "us_bank_account": .hash([
                    "account_holder_type": .oneOf("individual", "company"),
                    "account_type": .oneOf("checking", "savings"),
                ]),
            ],
            update
        )
        api.post(
            "/v1/payment_methods/:id/attach",
            ["customer": .string(max: 5000), "customer_account": .string(max: 5000)],
            attach
        )
        api.post("/v1/payment_methods/:id/detach", [:], detach)
        let listSchema = Pagination.schema.merging([
            "customer": .string(max: 5000), "customer_account": .string(max: 5000), "type": .string(max: 5000),
            "allow_redisplay": .oneOf("always", "limited", "unspecified"),
        ]) { a, _ in a }
        api.get("/v1/payment_methods", listSchema, list)
        api.get("/v1/customers/:id/payment_methods", listSchema, listForCustomer)
        api.get("/v1/customers/:id/payment_methods/:pm", [:], retrieveForCustomer)
    }

    @Sendable func create(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        try ACHEngine.createPaymentMethod(req.params, store: store).render()
    }

    @Sendable func retrieve(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        try store.get(PaymentMethod.self, req.path()).render()
    }

    @Sendable func update(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        var pm = try store.get(PaymentMethod.self, req.path())
        guard pm.customer != nil || pm.customerAccount != nil else {
            throw StripeError.invalidRequest(
                "You must save this PaymentMethod to a customer before you can update it.",
                code: "payment_method_unexpected_state"
            )
        }
        let before = pm.render()
        let p = req.params
        if let b = p.hash("billing_details") {
            var billing = pm.billingDetails
            for key in ["email", "name", "phone", "tax_id"] where b.has(key) { billing[key] = .optional(b.string(key)) }
            if let a = b.hash("address") { billing["address"] = Customer.addressJSON(a, over: billing["address"]) }
            pm.billingDetails = billing
        }
        if let m = p.metadataUpdate() { pm.metadata = m.applied(to: pm.metadata) }
        if let r = p.string("allow_redisplay") { pm.allowRedisplay = r }
        if let bank = p.hash("us_bank_account") {
            if let t = bank.string("account_holder_type") { pm.accountHolderType = t }
            if let t = bank.string("account_type") { pm.accountType = t }
        }
        try store.update(pm)
        let after = pm.render()
        if after != before { try store.emit("payment_method.updated", after, previous: before) }
        return after
    }

    @Sendable func attach(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        var pm = try store.get(PaymentMethod.self, req.path())
        let p = req.params
        if p.has("customer") && p.has("customer_account") {
            throw StripeError.parametersExclusive("customer", "customer_account")
        }
        if let c = p.string("customer") {
            let customer = try store.get(Customer.self, c, param: "customer")
            if customer.deleted { throw StripeError.resourceMissing("customer", c, param: "customer") }
        } else if let a = p.string("customer_account") {
            _ = try store.get(V2Account.self, a, param: "customer_account")
        } else {
            throw StripeError.parameterMissing("customer")
        }
        try ACHEngine.attach(
            &pm,
            customer: p.string("customer"),
            customerAccount: p.string("customer_account"),
            store: store
        )
        return pm.render()
    }

    @Sendable func detach(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        var pm = try store.get(PaymentMethod.self, req.path())
        guard pm.customer != nil || pm.customerAccount != nil else {
            throw StripeError.invalidRequest(
                "The payment method you provided is not attached to a customer so detachment is impossible.",
                code: "payment_method_unexpected_state"
            )
        }
        pm.customer = nil
        pm.customerAccount = nil
        pm.detached = true
        try store.update(pm)
        let json = pm.render()
        try store.emit("payment_method.detached", json)
        return json
    }

    private func listPage(_ req: APIRequest, _ store: Store, customer: String?, url: String) throws -> JSONValue {
        let p = req.params
        var filters: [Filter] = []
        if let type = p.string("type"), type != "us_bank_account" {
            return Pagination.list([], hasMore: false, url: url)
        }
        if let c = customer ?? p.string("customer") { filters.append(.equals("customer", .text(c))) }
        if let a = p.string("customer_account") { filters.append(.equals("customerAccount", .text(a))) }
        if filters.isEmpty { filters.append(.isNotNull("customer")) }
        let page = try store.list(PaymentMethod.self, where: filters, page: try Pagination.pageRequest(p))
        let items = p.string("allow_redisplay").map { r in page.items.filter { $0.allowRedisplay == r } } ?? page.items
        return Pagination.list(items.map { $0.render() }, hasMore: page.hasMore, url: url)
    }

    @Sendable func list(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        if let c = req.params.string("customer") { _ = try store.get(Customer.self, c, param: "customer") }
        return try listPage(req, store, customer: nil, url: "/v1/payment_methods")
    }

    @Sendable func listForCustomer(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        let customer = try store.get(Customer.self, req.path(), param: "customer")
        return try listPage(req, store, customer: customer.id, url: "/v1/customers/\(customer.id)/payment_methods")
    }

    @Sendable func retrieveForCustomer(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        let customer = try store.get(Customer.self, req.path(), param: "customer")
        let pm = try store.get(PaymentMethod.self, req.path("pm"))
        guard pm.customer == customer.id else { throw StripeError.resourceMissing("payment_method", pm.id) }
        return pm.render()
    }
}

/// `GET /v1/mandates/:id`.
struct MandatesController {
    func addRoutes(to api: APIRoutes) {
        api.get("/v1/mandates/:id", [:]) { req, store in try store.get(Mandate.self, req.path()).render() }
    }
}

/// `/v1/charges`: the ACH charges (`py_`) PaymentIntents create.
///
/// | Method | Path | Notes |
/// |---|---|---|
/// | GET | /v1/charges | `customer`, `payment_intent`, `created` |
/// | GET | /v1/charges/:id | |
/// | POST | /v1/charges/:id | `description`, `metadata`, `receipt_email` |
struct ChargesController {
    func addRoutes(to api: APIRoutes) {
        api.get(
            "/v1/charges",
            Pagination.schema.merging([
                "customer": .string(max: 5000), "payment_intent": .string(max: 5000), "created": .range,
                "transfer_group": .string(max: 5000),
            ]) { a, _ in a },
            list
        )
        api.get("/v1/charges/:id", [:]) { req, store in try store.get(Charge.self, req.path()).render() }
        api.post(
            "/v1/charges/:id",
            [
                "description": Param.string(max: 5000).isEmptyable, "metadata": .metadata,
                "receipt_email": Param.string(max: 5000).isEmptyable, "fraud_details": .object, "shipping": .object,
                "transfer_group": .string(max: 5000),
            ],
            update
        )
    }

    @Sendable func list(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        let p = req.params
        var filters: [Filter] = []
        if let c = p.string("customer") { filters.append(.equals("customer", .text(c))) }
        if let pi = p.string("payment_intent") { filters.append(.equals("paymentIntent", .text(pi))) }
        if let created = RangeFilter(p["created"]) { filters.append(.range("created", created)) }
        let page = try store.list(Charge.self, where: filters, page: try Pagination.pageRequest(p))
        return Pagination.list(page, url: "/v1/charges") { $0.render() }
    }

    @Sendable func update(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        var charge = try store.get(Charge.self, req.path())
        let before = charge.render()
        let p = req.params
        if p.has("description") { charge.description = p.string("description") }
        if p.has("receipt_email") { charge.receiptEmail = p.string("receipt_email") }
        if let m = p.metadataUpdate() { charge.metadata = m.applied(to: charge.metadata) }
        try store.update(charge)
        let after = charge.render()
        if after != before { try store.emit("charge.updated", after, previous: before) }
        return after
    }
}

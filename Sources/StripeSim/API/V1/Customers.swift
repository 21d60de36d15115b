import Foundation

/// `/v1/customers`.
///
/// | Method | Path | Notes |
/// |---|---|---|
/// | POST | /v1/customers | create; `test_clock` attaches the customer to a clock (≤ 3 per clock) |
/// | GET | /v1/customers/:id | a deleted customer retrieves as `{id, object, deleted: true}` |
/// | POST | /v1/customers/:id | update; a deleted customer cannot be updated |
/// | DELETE | /v1/customers/:id | the deleted stub |
/// | GET | /v1/customers | `email`, `created`, `test_clock`; clock customers only with `test_clock` |
/// | GET | /v1/customers/search | Stripe's query language over `email`, `name`, `phone`, `created`, `metadata` |
struct CustomersController {
    static let listSchema: ParamSchema = Pagination.schema.merging([
        "email": .string(max: 512), "created": .range, "test_clock": .string(max: 5000),
    ]) { a, _ in a }

    /// Search fields and whether each is numeric.
    static let searchFields: [String: Bool] = ["created": true, "email": false, "name": false, "phone": false]

    func addRoutes(to api: APIRoutes) {
        api.post("/v1/customers", Customer.createSchema, answering: create)
        api.get("/v1/customers/search", Search.schema, search)
        api.get("/v1/customers/:id", [:], cachedBy: Customer.self, answering: retrieve)
        api.post("/v1/customers/:id", Customer.updateSchema, answering: update)
        api.delete("/v1/customers/:id", [:], delete)
        api.get("/v1/customers", Self.listSchema, oneQuery: true, answering: list)
    }

    // MARK: Handlers

    @Sendable func create(_ req: APIRequest, _ store: Store) throws -> APIAnswer {
        var customer = Customer(
            id: store.ids.make("cus", length: 14),
            created: store.now,
            invoicePrefix: store.ids.token(8).uppercased()
        )
        if let clockID = req.params.string("test_clock") {
            let clock = try store.get(TestClock.self, clockID, param: "test_clock")
            if clock.deleted { throw StripeError.resourceMissing("test_clock", clockID, param: "test_clock") }
            let attached = try store.count(
                Customer.self,
                where: [.equals("testClock", .text(clockID)), .equals("deleted", .int(0))]
            )
            if attached >= TestClock.maxCustomers {
                throw StripeError.invalidRequest(
                    "The test clock \(clockID) already has the maximum number of customers (\(TestClock.maxCustomers)).",
                    param: "test_clock",
                    code: "test_clock_customer_limit_reached"
                )
            }
            customer.testClock = clockID
            customer.created = clock.frozenTime
            store.eventTime = clock.frozenTime
            store.eventClock = clockID
        }
        try customer.apply(req.params)
        let body = try store.insert(customer) ?? customer.apiBodyText()  // (a customer's is always returned)
        try store.emitCreated("customer.created", objectText: body)
        return .rendered(body)
    }

    /// Answers with the stored API body (a deleted customer's is its `deleted: true` stub).
    @Sendable func retrieve(_ req: APIRequest, _ store: Store) throws -> APIAnswer {
        guard let body = try store.rendered(Customer.self, req.path()) else {
            throw StripeError.resourceMissing(Customer.objectName, req.path())
        }
        return .rendered(body)
    }

    @Sendable func update(_ req: APIRequest, _ store: Store) throws -> APIAnswer {
        var customer = try store.get(Customer.self, req.path())
        if customer.deleted { throw StripeError.resourceMissing("customer", customer.id) }
        let before = customer.render()
        try customer.apply(req.params)
        let after = customer.render()
        guard after != before else { return .json(after) }
        let body = try store.update(customer)
        try store.emit("customer.updated", after, previous: before, objectText: body)
        return body.map(APIAnswer.rendered) ?? .json(after)
    }

    @Sendable func delete(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        var customer = try store.get(Customer.self, req.path())
        if customer.deleted { throw StripeError.resourceMissing("customer", customer.id) }
        let last = customer.render()
        customer.deleted = true
        try store.update(customer)
        try store.emit("customer.deleted", last)
        return Customer.deletedStub(customer.id)
    }

    @Sendable func list(_ req: APIRequest, _ store: Store) throws -> APIAnswer {
        let p = req.params
        var filters: [Filter] = [.equals("deleted", .int(0))]
        if let email = p.string("email") { filters.append(.equals("email", .text(email))) }
        if let created = RangeFilter(p["created"]) { filters.append(.range("created", created)) }
        if let clock = p.string("test_clock") {
            filters.append(.equals("testClock", .text(clock)))
        } else {
            filters.append(.isNull("testClock"))
        }
        let page = try store.renderedPage(Customer.self, where: filters, page: try Pagination.pageRequest(p))
        return .rendered(Pagination.renderedList(page, url: "/v1/customers"))
    }

    @Sendable func search(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        let query = try SearchQuery.parse(
            req.params.string("query") ?? "",
            fields: Self.searchFields,
            resource: "customers"
        )
        let matches = try store.all(Customer.self, where: [.equals("deleted", .int(0))]).filter { c in
            query.matches { clause in
                if let key = clause.metadataKey { return c.metadata[key] }
                switch clause.field {
                case "email": return c.email
                case "name": return c.name
                case "phone": return c.phone
                case "created": return String(c.created)
                default: return nil
                }
            }
        }
        return try Search.page(matches.map { $0.render() }, req.params, url: "/v1/customers/search")
    }

    // MARK: Expansion

    static func register(_ e: inout Expansions) {
        e.add("customer", "test_clock", .reference { store, id in try store.find(TestClock.self, id)?.render() })
        e.add("customer", "default_source", .reference { _, _ in nil })
        for field in ["sources", "subscriptions", "tax_ids"] {
            e.add(
                "customer",
                field,
                .computed { _, c in
                    Pagination.list([], hasMore: false, url: "/v1/customers/\(c["id"]?.stringValue ?? "")/\(field)")
                }
            )
        }
        e.add(
            "customer",
            "cash_balance",
            .computed { _, c in
                [
                    "object": "cash_balance", "available": nil, "customer": c["id"] ?? nil, "livemode": false,
                    "settings": ["reconciliation_mode": "automatic", "using_merchant_default": true],
                ]
            }
        )
        e.add("customer", "invoice_credit_balance", .computed { _, _ in [:] })
        e.add(
            "customer",
            "tax",
            .computed { store, c in
                let ip: JSONValue =
                    try store.find(Customer.self, c["id"]?.stringValue ?? "")?.tax?["ip_address"] ?? .null
                return [
                    "automatic_tax": "unrecognized_location", "ip_address": ip, "location": nil, "provider": "stripe",
                ]
            }
        )
    }
}

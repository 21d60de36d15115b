import Foundation

/// `/v1/test_helpers/test_clocks` (Stripe's API).
///
/// | Method | Path | Notes |
/// |---|---|---|
/// | POST | /v1/test_helpers/test_clocks | `frozen_time` (required), `name` |
/// | GET | /v1/test_helpers/test_clocks/:id | |
/// | GET | /v1/test_helpers/test_clocks | |
/// | DELETE | /v1/test_helpers/test_clocks/:id | deletes the clock's customers too |
/// | POST | /v1/test_helpers/test_clocks/:id/advance | `status: advancing`, then `ready` once due work ran |
struct TestClocksController {
    func addRoutes(to api: APIRoutes) {
        api.post(
            "/v1/test_helpers/test_clocks",
            ["frozen_time": .integer(min: 0).isRequired, "name": .string(max: 300)],
            create
        )
        api.get("/v1/test_helpers/test_clocks/:id", [:], retrieve)
        api.get("/v1/test_helpers/test_clocks", Pagination.schema, list)
        api.delete("/v1/test_helpers/test_clocks/:id", [:], delete)
        api.post("/v1/test_helpers/test_clocks/:id/advance", ["frozen_time": .integer(min: 0).isRequired], advance)
    }

    private func live(_ store: Store, _ id: String) throws -> TestClock {
        let clock = try store.get(TestClock.self, id)
        if clock.deleted { throw StripeError.resourceMissing("test_clock", id) }
        return clock
    }

    @Sendable func create(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        let clock = TestClock(
            id: store.ids.make("clock"),
            created: store.now,
            frozenTime: req.params.int("frozen_time")!,
            name: req.params.string("name"),
            deletesAfter: store.now + 30 * 86_400
        )
        try store.insert(clock)
        let json = clock.render()
        try store.emit("test_helpers.test_clock.created", json)
        return json
    }

    @Sendable func retrieve(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        try live(store, req.path()).render()
    }

    @Sendable func list(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        let page = try store.list(
            TestClock.self,
            where: [.equals("deleted", .int(0))],
            page: try Pagination.pageRequest(req.params)
        )
        return Pagination.list(page, url: "/v1/test_helpers/test_clocks") { $0.render() }
    }

    @Sendable func delete(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        var clock = try live(store, req.path())
        for var customer in try store.all(
            Customer.self,
            where: [.equals("testClock", .text(clock.id)), .equals("deleted", .int(0))]
        ) {
            let last = customer.render()
            customer.deleted = true
            try store.update(customer)
            try store.emit("customer.deleted", last)
        }
        let last = clock.render()
        clock.deleted = true
        try store.update(clock)
        try store.emit("test_helpers.test_clock.deleted", last)
        return clock.render()
    }

    @Sendable func advance(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        var clock = try live(store, req.path())
        try clock.beginAdvance(to: req.params.int("frozen_time")!)
        try store.update(clock)
        let json = clock.render()
        try store.emit("test_helpers.test_clock.advancing", json)
        store.signals.insert(.clockAdvancing(account: store.account, id: clock.id))
        return json
    }
}

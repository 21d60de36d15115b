import Foundation
import Testing

@testable import StripeSim

/// `RenderedCache`: hot stored API bodies in memory, never older than the database.
@Suite struct RenderedCacheTests {
    private let key = RenderedCache.Key(table: "customer", account: "acct_a", id: "cus_1")

    @Test func aReadThatRacedAWriteDoesNotPutBackTheOlderBody() {
        let cache = RenderedCache()
        let readAt = cache.generation
        cache.apply([(key, "v2")])  // a write committed while the read was in the database
        cache.fill(key, "v1", readAt: readAt)
        #expect(cache.lookup(key) == "v2")
        let now = cache.generation
        cache.fill(RenderedCache.Key(table: "customer", account: "acct_a", id: "cus_2"), "x", readAt: now)
        #expect(cache.count == 2)
    }

    @Test func forgettingAnAccountDropsOnlyItsBodiesAndStopsRacingReads() {
        let cache = RenderedCache()
        let other = RenderedCache.Key(table: "customer", account: "acct_b", id: "cus_9")
        cache.apply([(key, "a"), (other, "b")])
        let readAt = cache.generation
        cache.forget(account: "acct_a")
        cache.fill(key, "a", readAt: readAt)
        #expect(cache.lookup(key) == nil)
        #expect(cache.lookup(other) == "b")
    }

    @Test func staysWithinItsCapacityAndKeepsWhatIsUsed() {
        func k(_ id: String) -> RenderedCache.Key { RenderedCache.Key(table: "customer", account: "a", id: id) }
        let cache = RenderedCache(capacity: 4)
        cache.apply((0..<10).map { (k("cus_\($0)"), "\($0)") })
        #expect(cache.count <= 4)
        #expect(cache.lookup(k("cus_9")) == "9" && cache.lookup(k("cus_0")) == nil)

        let used = RenderedCache(capacity: 4)
        used.apply([(k("a"), "a"), (k("b"), "b")])  // the young half fills: a and b become the old half
        #expect(used.lookup(k("a")) == "a")  // used: back to the young half
        used.apply([(k("c"), "c")])  // young {a, c} fills: b, unused, is dropped
        #expect(used.lookup(k("b")) == nil)
        #expect(used.lookup(k("a")) == "a" && used.lookup(k("c")) == "c")
        #expect(used.count <= 4)
        used.apply([(k("c"), "c2")])
        #expect(used.lookup(k("c")) == "c2")
    }

    /// Through the API: a retrieve answers from the cache what the database holds after every kind of write,
    /// a rolled-back write never reaches it, and a reset account's bodies are gone.
    @Test func retrievesFollowWritesRollbacksAndResets() async throws {
        let app = try TestApp()
        try await app.run { c in
            let id = try await c.post("/v1/customers", "name=One").id
            #expect(try await c.get("/v1/customers/\(id)")["name"] == "One")
            let updated = try await c.post("/v1/customers/\(id)", "name=Two")
            #expect(try await c.get("/v1/customers/\(id)").text == updated.text)

            // A transaction that wrote the customer, then failed: rolled back, so neither stored nor cached.
            let database = app.deps.database
            let account = APIKeyAuth.accountID(forKeySuffix: "alice")
            let context = app.deps.storeContext(account: account)
            await #expect(throws: StripeError.self) {
                _ = try await database.write(context) { store in
                    var customer = try store.get(Customer.self, id)
                    customer.name = "Rolled back"
                    try store.update(customer)
                    throw StripeError.validation("refused after the write")
                }
            }
            #expect(try await c.get("/v1/customers/\(id)")["name"] == "Two")
            #expect(try await database.read(context) { try $0.get(Customer.self, id).name } == "Two")

            let deleted = try await c.delete("/v1/customers/\(id)")
            #expect(try await c.get("/v1/customers/\(id)").text == deleted.text)

            try await database.resetAccount(account)
            #expect(try await c.get("/v1/customers/\(id)").status == 404)
            #expect(database.renderedCache.lookup(.init(table: "customer", account: account, id: id)) == nil)
        }
    }
}

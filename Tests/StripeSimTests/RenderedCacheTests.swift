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

    @Test func staysWithinItsCapacity() {
        let cache = RenderedCache(capacity: 3)
        cache.apply((0..<10).map { (RenderedCache.Key(table: "customer", account: "a", id: "cus_\($0)"), "\($0)") })
        #expect(cache.count == 3)
        #expect(cache.lookup(RenderedCache.Key(table: "customer", account: "a", id: "cus_9")) == "9")
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

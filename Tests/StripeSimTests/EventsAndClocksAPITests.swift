import Foundation
import HTTPTypes
import Testing

@testable import StripeSim

@Suite struct EventsAPITests {
    /// A snapshot event stores its object's serialisation as it was made for the response (`storedBody`): read
    /// back, it is the same event as one stored by serialising everything.
    @Test func storedBodyWithTheObjectTextReadsBackAsTheSameEvent() throws {
        let object: JSONValue = ["id": "cus_1", "object": "customer", "metadata": ["k": "v"], "email": nil]
        let event = Event(
            id: "evt_1",
            created: 1_700_000_000,
            type: "customer.updated",
            object: object,
            previousAttributes: ["email": "a@b.co"],
            requestID: "req_1",
            idempotencyKey: nil,
            apiVersion: StripeVersion.current,
            pendingWebhooks: 2,
            testClock: nil
        )
        let spliced = try #require(JSONValue.parse(event.storedBody(objectText: object.serialized())))
        #expect(spliced == event.jsonBody)
        #expect(try Event(jsonBody: spliced) == event)
        // Written from its members in order: byte for byte what serialising `jsonBody` gives.
        #expect(event.jsonBodyText == event.jsonBody.serialized(pretty: false))
        var bare = event
        (bare.previousAttributes, bare.requestID, bare.idempotencyKey, bare.testClock) = (nil, nil, "ik", "clock_1")
        #expect(bare.jsonBodyText == bare.jsonBody.serialized(pretty: false))
        #expect(try Event(jsonBody: #require(JSONValue.parse(bare.jsonBodyText))) == bare)
    }

    @Test func everyChangeWritesAnEvent() async throws {
        try await TestApp().run { c in
            var h = HTTPFields()
            h[.idempotencyKey] = "ik-1"
            let cus = try await c.post("/v1/customers", "name=A", headers: h)
            let list = try await c.get("/v1/events")
            #expect(list["object"] == "list")
            #expect(list["url"] == "/v1/events")
            let event = try #require(list["data.0"])
            #expect(event["type"] == "customer.created")
            #expect(event["object"] == "event")
            #expect(event["data"]?["object"]?["id"]?.stringValue == cus.id)
            #expect(event["request"]?["id"]?.stringValue == cus.headers[.requestID])
            #expect(event["request"]?["idempotency_key"] == "ik-1")
            #expect(event["api_version"]?.stringValue == StripeVersion.current)
            #expect(event["pending_webhooks"] == 0)
            // Only *.updated events carry previous_attributes (absent, not null, elsewhere).
            #expect(event["data"]?["previous_attributes"] == nil)
            let one = try await c.get("/v1/events/\(event["id"]!.stringValue!)")
            #expect(one.json == event)
            #expect(try await c.get("/v1/events/evt_nope")["error.code"] == "resource_missing")
        }
    }

    @Test func filtersByTypeWildcardTypesAndCreated() async throws {
        let app = try TestApp()
        try await app.run { c in
            let id = try await c.post("/v1/customers", "name=A").id
            app.clock.advance(by: 60)
            _ = try await c.post("/v1/customers/\(id)", "name=B")
            _ = try await c.post("/v1/test_helpers/test_clocks", "frozen_time=5")
            func types(_ q: String) async throws -> [String] {
                try await c.get("/v1/events?\(q)")["data"]?.arrayValue?.compactMap { $0["type"]?.stringValue } ?? []
            }
            #expect(try await types("type=customer.*") == ["customer.updated", "customer.created"])
            #expect(try await types("type=customer.created") == ["customer.created"])
            #expect(
                try await types("types[]=customer.updated&types[]=test_helpers.test_clock.created") == [
                    "test_helpers.test_clock.created", "customer.updated",
                ]
            )
            #expect(
                try await types("created[gt]=1767225600") == ["test_helpers.test_clock.created", "customer.updated"]
            )
            let both = try await c.get("/v1/events?type=a&types[]=b")
            #expect(both.status == 400)
            let tooMany = try await c.get("/v1/events?" + (0...20).map { "types[]=t\($0)" }.joined(separator: "&"))
            #expect(tooMany.status == 400)
        }
    }

    @Test func v2ThinEventsStayOutOfV1Events() async throws {
        try await TestApp().run { c in
            _ = try await c.postJSON("/v2/core/accounts", #"{"display_name": "x"}"#)
            #expect(try await c.get("/v1/events")["data"] == [])
        }
    }
}

@Suite struct TestClockAPITests {
    @Test func advanceGoesAdvancingThenReady() async throws {
        try await TestApp().run { c in
            let clock = try await c.post("/v1/test_helpers/test_clocks", "frozen_time=1700000000&name=Renewal")
            #expect(clock["status"] == "ready")
            #expect(clock["status_details"] == [:])
            #expect(clock["deletes_after"]?.intValue == 1_767_225_600 + 30 * 86_400)
            let advancing = try await c.post(
                "/v1/test_helpers/test_clocks/\(clock.id)/advance",
                "frozen_time=1700086400"
            )
            #expect(advancing["status"] == "advancing")
            #expect(advancing["status_details.advancing.target_frozen_time"] == 1_700_086_400)
            var current = advancing
            for _ in 0..<200 where current["status"] != "ready" {
                try await Task.sleep(for: .milliseconds(10))
                current = try await c.get("/v1/test_helpers/test_clocks/\(clock.id)")
            }
            #expect(current["status"] == "ready")
            #expect(current["frozen_time"] == 1_700_086_400)
            let types = try await c.get("/v1/events?type=test_helpers.test_clock.*")["data"]?.arrayValue?.compactMap {
                $0["type"]?.stringValue
            }
            #expect(
                types == [
                    "test_helpers.test_clock.ready", "test_helpers.test_clock.advancing",
                    "test_helpers.test_clock.created",
                ]
            )
        }
    }

    @Test(arguments: [
        ("frozen_time=1699999999", "must be after"),
        ("frozen_time=1700000000", "must be after"),
        ("frozen_time=1900000000", "two years"),
        ("", "Missing required param: frozen_time."),
        ("frozen_time=soon", "Invalid integer: soon"),
    ])
    func badAdvances(_ body: String, _ message: String) async throws {
        try await TestApp().run { c in
            let clock = try await c.post("/v1/test_helpers/test_clocks", "frozen_time=1700000000").id
            let r = try await c.post("/v1/test_helpers/test_clocks/\(clock)/advance", body)
            #expect(r.status == 400)
            #expect(r["error.message"]?.stringValue?.contains(message) == true)
        }
    }

    @Test func deleteRemovesTheClockAndItsCustomers() async throws {
        try await TestApp().run { c in
            let clock = try await c.post("/v1/test_helpers/test_clocks", "frozen_time=1700000000").id
            let cus = try await c.post("/v1/customers", "test_clock=\(clock)").id
            let deleted = try await c.delete("/v1/test_helpers/test_clocks/\(clock)")
            #expect(deleted.json == ["id": .string(clock), "object": "test_helpers.test_clock", "deleted": true])
            #expect(try await c.get("/v1/test_helpers/test_clocks/\(clock)").status == 404)
            #expect(try await c.get("/v1/customers/\(cus)")["deleted"] == true)
            #expect(try await c.get("/v1/test_helpers/test_clocks")["data"] == [])
        }
    }
}

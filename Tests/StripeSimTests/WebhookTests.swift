import Crypto
import Foundation
import HTTPTypes
import NIOHTTP1
import Testing

@testable import StripeSim

/// An app whose failed webhook deliveries retry fast.
private func webhookApp(
    retries: String = "200ms,200ms,200ms",
    ids: IDGenerator = .incrementing(),
    databasePath: String? = nil,
    configure: (inout SimulatorConfiguration) -> Void = { _ in }
) throws -> TestApp {
    try TestApp(ids: ids, databasePath: databasePath) { config in
        config.webhookRetrySchedule = RetrySchedule.parse(retries)!
        configure(&config)
    }
}

extension Client {
    func createEndpoint(_ url: String, events: [String] = ["*"], extra: [(String, String)] = []) async throws -> Reply {
        try await post("/v1/webhook_endpoints", form([("url", url)] + events.map { ("enabled_events[]", $0) } + extra))
    }

    func deliveries(_ query: String) async throws -> [JSONValue] {
        try await get("/v1/test_helpers/webhook_deliveries?\(query)")["data"]?.arrayValue ?? []
    }

    /// Waits until the event's deliveries all left `pending` (or `count` of them exist in a final state).
    func settledDeliveries(event: String, count: Int = 1) async throws -> [JSONValue] {
        try await eventually("\(count) settled deliveries of \(event)") {
            let all = try await deliveries("event=\(event)")
            return all.count >= count && all.allSatisfy({ $0["pending"] == false }) ? all : nil
        }
    }

    func event(_ id: String) async throws -> Reply { try await get("/v1/events/\(id)") }

    /// Event ids, oldest first.
    func eventIDs(type: String = "customer.*") async throws -> [String] {
        (try await get("/v1/events?limit=100&type=\(type)")["data"]?.arrayValue ?? []).compactMap {
            $0["id"]?.stringValue
        }
        .reversed()
    }
}

/// The reference algorithm (reference/webhooks.md §1), computed here independently of the simulator's code.
private func referenceV1(_ body: String, secret: String, t: Int) -> String {
    HMAC<SHA256>.authenticationCode(for: Data("\(t).\(body)".utf8), using: SymmetricKey(data: Data(secret.utf8)))
        .map { String(format: "%02x", $0) }.joined()
}

private func wallNow() -> Int { Int(Date().timeIntervalSince1970) }

// MARK: - Endpoint CRUD

@Suite(.timeLimit(.minutes(1))) struct WebhookEndpointAPITests {
    @Test func createRetrieveUpdateListDelete() async throws {
        try await TestApp().run { c in
            let created = try await c.createEndpoint(
                "https://example.com/hooks",
                events: ["customer.created", "customer.updated"],
                extra: [("description", "orders"), ("metadata[team]", "billing"), ("api_version", "2026-06-24.dahlia")]
            )
            #expect(created.status == 200)
            #expect(created.id.hasPrefix("we_"))
            #expect(created["object"] == "webhook_endpoint")
            #expect(created["url"] == "https://example.com/hooks")
            #expect(created["enabled_events"] == ["customer.created", "customer.updated"])
            #expect(created["status"] == "enabled")
            #expect(created["description"] == "orders")
            #expect(created["metadata.team"] == "billing")
            #expect(created["api_version"] == "2026-06-24.dahlia")
            #expect(created["application"] == .null)
            #expect(created["livemode"] == false)
            let secret = try #require(created["secret"]?.stringValue)
            #expect(secret.hasPrefix("whsec_") && secret.count > 20)

            let fetched = try await c.get("/v1/webhook_endpoints/\(created.id)")
            #expect(fetched.status == 200)
            #expect(fetched["secret"] == nil, "the secret is only in the create response")
            var withoutSecret = created.json
            withoutSecret["secret"] = nil
            #expect(fetched.json == withoutSecret)

            let updated = try await c.post(
                "/v1/webhook_endpoints/\(created.id)",
                form([
                    ("url", "http://127.0.0.1:9/other"), ("enabled_events[]", "*"), ("disabled", "true"),
                    ("description", ""), ("metadata[team]", ""), ("metadata[env]", "ci"),
                ])
            )
            #expect(updated.status == 200)
            #expect(updated["url"] == "http://127.0.0.1:9/other")
            #expect(updated["enabled_events"] == ["*"])
            #expect(updated["status"] == "disabled")
            #expect(updated["description"] == .null)
            #expect(updated["metadata"] == ["env": "ci"])
            #expect(updated["secret"] == nil)
            let enabled = try await c.post("/v1/webhook_endpoints/\(created.id)", "disabled=false")
            #expect(enabled["status"] == "enabled")

            let second = try await c.createEndpoint("https://example.com/second")
            let list = try await c.get("/v1/webhook_endpoints")
            #expect(list["object"] == "list")
            #expect(list["url"] == "/v1/webhook_endpoints")
            #expect(list["data"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == [second.id, created.id])
            #expect(list["data"]?.arrayValue?.allSatisfy { $0["secret"] == nil } == true)
            #expect(try await c.get("/v1/webhook_endpoints?limit=1")["has_more"] == true)

            let deleted = try await c.delete("/v1/webhook_endpoints/\(created.id)")
            #expect(deleted.json == ["id": .string(created.id), "object": "webhook_endpoint", "deleted": true])
            #expect(try await c.get("/v1/webhook_endpoints/\(created.id)").status == 404)
            #expect(try await c.delete("/v1/webhook_endpoints/\(created.id)").status == 404)
            #expect(try await c.get("/v1/webhook_endpoints")["data"]?.arrayValue?.count == 1)
            // Another account sees none of them.
            #expect(try await c.with(key: "sk_test_bob").get("/v1/webhook_endpoints/\(second.id)").status == 404)
        }
    }

    @Test(
        arguments: [
            // (body, status, code, param)
            ("enabled_events[]=*", 400, "parameter_missing", "url"),
            ("url=https%3A%2F%2Fexample.com", 400, "parameter_missing", "enabled_events"),
            ("url=not+a+url&enabled_events[]=*", 400, "url_invalid", "url"),
            ("url=ftp%3A%2F%2Fexample.com%2Fx&enabled_events[]=*", 400, "url_invalid", "url"),
            ("url=https%3A%2F%2F&enabled_events[]=*", 400, "url_invalid", "url"),
            ("url=example.com%2Fhooks&enabled_events[]=*", 400, "url_invalid", "url"),
            (
                "url=https%3A%2F%2Fexample.com&enabled_events[]=customer.created&enabled_events[]=customer.exploded",
                400, nil,
                "enabled_events[1]"
            ),
            ("url=https%3A%2F%2Fexample.com&enabled_events=", 400, nil, "enabled_events"),
            ("url=https%3A%2F%2Fexample.com&enabled_events[]=*&color=red", 400, "parameter_unknown", "color"),
            ("url=https%3A%2F%2Fexample.com&enabled_events[]=*&secret=whsec_mine", 400, "parameter_unknown", "secret"),
            ("url=https%3A%2F%2Fexample.com&enabled_events[]=*&api_version=latest", 400, nil, "api_version"),
            ("url=https%3A%2F%2Fexample.com&enabled_events[]=*&connect=maybe", 400, nil, "connect"),
        ] as [(String, Int, String?, String)]
    )
    func rejectsBadCreates(_ body: String, _ status: Int, _ code: String?, _ param: String) async throws {
        try await TestApp().run { c in
            let r = try await c.post("/v1/webhook_endpoints", body)
            #expect(r.status == status)
            #expect(r["error.type"] == "invalid_request_error")
            #expect(r["error.code"]?.stringValue == code)
            #expect(r["error.param"]?.stringValue == param)
            #expect(try await c.get("/v1/webhook_endpoints")["data"] == [])
        }
    }

    @Test func rejectsBadUpdatesAndMissingEndpoints() async throws {
        try await TestApp().run { c in
            let id = try await c.createEndpoint("https://example.com/hooks").id
            let secret = try await c.post("/v1/webhook_endpoints/\(id)", "secret=whsec_mine")
            #expect(secret.status == 400)
            #expect(secret["error.code"] == "parameter_unknown")
            #expect(secret["error.message"] == "Received unknown parameter: secret")
            let url = try await c.post("/v1/webhook_endpoints/\(id)", "url=mailto%3Aa%40b.c")
            #expect(url["error.code"] == "url_invalid")
            #expect(url["error.param"] == "url")
            let events = try await c.post("/v1/webhook_endpoints/\(id)", "enabled_events[0]=*&enabled_events[1]=nope")
            #expect(events["error.param"] == "enabled_events[1]")
            #expect(try await c.post("/v1/webhook_endpoints/\(id)", "connect=true")["error.param"] == "connect")
            #expect(try await c.get("/v1/webhook_endpoints/\(id)")["url"] == "https://example.com/hooks")

            for r in [
                try await c.get("/v1/webhook_endpoints/we_missing"),
                try await c.post("/v1/webhook_endpoints/we_missing", "description=x"),
                try await c.delete("/v1/webhook_endpoints/we_missing"),
            ] {
                #expect(r.status == 404)
                #expect(r["error.code"] == "resource_missing")
                #expect(r["error.param"] == "id")
                #expect(r["error.message"] == "No such webhook_endpoint: 'we_missing'")
            }
        }
    }

    @Test func everyEmittedTypeAndTheModelledStripeTypesAreAccepted() async throws {
        try await TestApp().run { c in
            let names = EventTypes.emitted + ["payment_intent.succeeded", "financial_connections.account.created"]
            let r = try await c.createEndpoint("https://example.com/hooks", events: names)
            #expect(r.status == 200)
            #expect(r["enabled_events"]?.arrayValue?.count == names.count)
        }
    }

    @Test func helpersValidateTheirInput() async throws {
        try await TestApp().run { c in
            #expect(
                try await c.post("/v1/test_helpers/events/evt_missing/redeliver")["error.code"] == "resource_missing"
            )
            _ = try await c.post("/v1/customers", "name=A")
            let event = try #require(try await c.eventIDs().first)
            let none = try await c.post("/v1/test_helpers/events/\(event)/redeliver")
            #expect(none.status == 400)
            #expect(none["error.message"]?.stringValue?.contains("No enabled webhook endpoint") == true)
            let missing = try await c.post("/v1/test_helpers/events/\(event)/redeliver", "webhook_endpoint=we_nope")
            #expect(missing.status == 400)
            #expect(missing["error.param"] == "webhook_endpoint")
            #expect(try await c.get("/v1/test_helpers/webhook_deliveries?status=lost").status == 400)
            #expect(try await c.get("/v1/test_helpers/webhook_deliveries", key: "pk_test_alice").status == 403)
            #expect(try await c.get("/v1/events?delivery_success=perhaps").status == 400)
        }
    }
}

// MARK: - Delivery

@Suite(.timeLimit(.minutes(1))) struct WebhookDeliveryTests {
    @Test func deliversSignedEventsThatVerify() async throws {
        try await WebhookReceiver.run { receiver in
            try await webhookApp().run { c in
                let endpoint = try await c.createEndpoint(receiver.url("all"))
                let secret = try #require(endpoint["secret"]?.stringValue)
                let customer = try await c.post("/v1/customers", "email=hook%40example.com")
                let hit = try #require(try await receiver.waitFor(1, at: "all").first)

                // Headers as Stripe sends them.
                #expect(hit.headers[.contentType] == "application/json; charset=utf-8")
                #expect(hit.headers[.userAgent] == "Stripe/1.0 (+https://stripe.com/docs/webhooks)")
                let items = hit.signature.split(separator: ",").map(String.init)
                #expect(
                    items.count == 3 && items[0].hasPrefix("t=") && items[1].hasPrefix("v1=")
                        && items[2].hasPrefix("v0=")
                )
                #expect(abs(hit.timestamp - wallNow()) < 60, "t is the current Unix time")

                // The reference algorithm over the exact bytes received.
                #expect(items[1] == "v1=" + referenceV1(hit.body, secret: secret, t: hit.timestamp))
                #expect(items[2] != "v0=" + referenceV1(hit.body, secret: secret, t: hit.timestamp))
                try WebhookSignature.verify(header: hit.signature, payload: hit.body, secret: secret, now: wallNow())

                // Receiver-side security: a tampered body or a stale timestamp fails verification.
                let tampered = hit.body.replacingOccurrences(of: "hook@example.com", with: "evil@example.com")
                #expect(tampered != hit.body)
                #expect(throws: WebhookSignature.VerificationError.noMatch) {
                    try WebhookSignature.verify(
                        header: hit.signature,
                        payload: tampered,
                        secret: secret,
                        now: wallNow()
                    )
                }
                #expect(throws: WebhookSignature.VerificationError.timestampOutsideTolerance(hit.timestamp)) {
                    try WebhookSignature.verify(
                        header: hit.signature,
                        payload: hit.body,
                        secret: secret,
                        now: hit.timestamp + 301
                    )
                }
                #expect(throws: WebhookSignature.VerificationError.noMatch) {
                    try WebhookSignature.verify(
                        header: hit.signature,
                        payload: hit.body,
                        secret: "whsec_someone_else",
                        now: wallNow()
                    )
                }

                // The body is the event, as the API renders it (pending_webhooks as of sending).
                #expect(hit.type == "customer.created")
                #expect(hit.json["data"]?["object"]?["id"]?.stringValue == customer.id)
                #expect(hit.json["pending_webhooks"] == 1)
                let settled = try await eventually("pending_webhooks 0") {
                    let e = try await c.event(hit.eventID)
                    return e["pending_webhooks"] == 0 ? e : nil
                }
                var sent = hit.json
                sent["pending_webhooks"] = 0
                #expect(settled.json == sent)

                // Visible attempt.
                let delivery = try #require(try await c.settledDeliveries(event: hit.eventID).first)
                #expect(delivery["id"]?.stringValue?.hasPrefix("whdel_") == true)
                #expect(delivery["object"] == "test_helpers.webhook_delivery")
                #expect(delivery["webhook_endpoint"]?.stringValue == endpoint.id)
                #expect(delivery["url"]?.stringValue == receiver.url("all"))
                #expect(delivery["status"] == "succeeded")
                #expect(delivery["next_attempt_at"] == .null)
                let attempt = try #require(delivery["attempts"]?.arrayValue?.first)
                #expect(attempt["status_code"] == 200)
                #expect(attempt["error"] == .null)
                #expect(attempt["response_body_excerpt"] == "ok")
                #expect((attempt["latency_ms"]?.intValue ?? -1) >= 0)
                #expect(abs((attempt["attempted_at"]?.intValue ?? 0) - hit.timestamp) <= 1)

                // delivery_success on /v1/events.
                #expect(try await c.get("/v1/events?delivery_success=true")["data.0.id"]?.stringValue == hit.eventID)
                #expect(try await c.get("/v1/events?delivery_success=false")["data"] == [])
            }
        }
    }

    @Test func retriesAFailingReceiverOnTheScheduleThenSucceeds() async throws {
        try await WebhookReceiver.run { receiver in
            receiver.fail("flaky", times: 2, status: 500, body: String(repeating: "x", count: 1200))
            // The default schedule (1 s, 2 s, …): each retry is in a new second, so it has a fresh `t`.
            try await TestApp().run { c in
                let secret = try await c.createEndpoint(receiver.url("flaky"), events: ["customer.created"])["secret"]!
                    .stringValue!
                _ = try await c.post("/v1/customers", "name=Retry")
                let event = try #require(try await c.eventIDs().first)

                let first = try await receiver.waitFor(1, at: "flaky")
                #expect(try await c.event(event)["pending_webhooks"] == 1)
                #expect(try await c.get("/v1/events?delivery_success=false")["data.0.id"]?.stringValue == event)
                let pending = try await eventually("the first attempt recorded") {
                    let d = try await c.deliveries("event=\(event)").first
                    return d?["attempts"]?.arrayValue?.isEmpty == false ? d : nil
                }
                #expect(pending["pending"] == true)
                #expect(pending.value(at: "attempts.0.status_code") == 500)
                #expect(pending.value(at: "attempts.0.response_body_excerpt")?.stringValue?.count == 500)
                #expect(pending["next_attempt_at"]?.intValue.map { $0 >= first[0].timestamp + 1 } == true)

                let hits = try await receiver.waitFor(3, at: "flaky")
                #expect(Set(hits.map(\.eventID)) == [event])
                for hit in hits {
                    try WebhookSignature.verify(
                        header: hit.signature,
                        payload: hit.body,
                        secret: secret,
                        now: wallNow()
                    )
                }
                #expect(hits[1].timestamp > hits[0].timestamp && hits[2].timestamp > hits[1].timestamp)
                #expect(Set(hits.map(\.signature)).count == 3, "every attempt is signed afresh")
                #expect(hits[1].at - hits[0].at >= .milliseconds(900))
                #expect(hits[2].at - hits[1].at >= .milliseconds(1900))

                let delivery = try #require(try await c.settledDeliveries(event: event).first)
                #expect(delivery["status"] == "succeeded")
                let attempts = delivery["attempts"]?.arrayValue ?? []
                #expect(attempts.map { $0["status_code"] } == [500, 500, 200])
                #expect(attempts.map { $0["error"] } == ["HTTP 500", "HTTP 500", .null])
                #expect(try await c.event(event)["pending_webhooks"] == 0)
                #expect(try await c.get("/v1/events?delivery_success=false")["data"] == [])
            }
        }
    }

    @Test func givesUpWhenTheScheduleIsSpent() async throws {
        try await WebhookReceiver.run { receiver in
            receiver.down("dead")
            try await webhookApp(retries: "100ms,100ms").run { c in
                _ = try await c.createEndpoint(receiver.url("dead"))
                _ = try await c.post("/v1/customers", "name=Never")
                let event = try #require(try await c.eventIDs().first)
                let delivery = try #require(try await c.settledDeliveries(event: event).first)
                #expect(delivery["status"] == "failed")
                #expect(delivery["next_attempt_at"] == .null)
                #expect(delivery["attempts"]?.arrayValue?.map { $0["status_code"] } == [503, 503, 503])
                #expect(try await c.event(event)["pending_webhooks"] == 1, "never delivered: still pending for Stripe")
                #expect(try await c.get("/v1/events?delivery_success=false")["data.0.id"]?.stringValue == event)
                #expect(receiver.received("dead").count == 3)
            }
        }
    }

    @Test func retriesOfATestClocksEventsFollowTheClock() async throws {
        try await WebhookReceiver.run { receiver in
            receiver.fail("clocked", times: 1)
            // A retry an hour away in wall time…
            try await webhookApp(retries: "1h").run { c in
                _ = try await c.createEndpoint(receiver.url("clocked"), events: ["customer.created"])
                let clock = try await c.post("/v1/test_helpers/test_clocks", "frozen_time=1767618000").id
                let customer = try await c.post("/v1/customers", "test_clock=\(clock)").id
                try await receiver.waitFor(1, at: "clocked")
                let event = try #require(try await c.get("/v1/events?type=customer.created")["data.0"])
                #expect(event["created"] == 1_767_618_000, "a clock customer's event carries clock time")
                #expect(event["data"]?["object"]?["id"]?.stringValue == customer)
                // …is due as soon as the clock moves past it.
                _ = try await c.post("/v1/test_helpers/test_clocks/\(clock)/advance", "frozen_time=1767704400")
                let hits = try await receiver.waitFor(2, at: "clocked", timeout: .seconds(10))
                #expect(hits.map(\.eventID) == [event["id"]!.stringValue!, event["id"]!.stringValue!])
            }
        }
    }

    @Test func refusedConnectionsAndTimeoutsAreFailedAttempts() async throws {
        try await WebhookReceiver.run { receiver in
            // A timeout generous enough that the second (prompt) answer is never late on a loaded machine.
            receiver.hang("slow", .seconds(6))
            try await webhookApp(retries: "100ms") { $0.webhookTimeout = .seconds(2) }.run { c in
                // Port 9 (discard) on loopback: nothing listens, the connection is refused.
                let refused = try await c.createEndpoint("http://127.0.0.1:9/hook").id
                let slow = try await c.createEndpoint(receiver.url("slow")).id
                _ = try await c.post("/v1/customers", "name=Fail")
                let event = try #require(try await c.eventIDs().first)
                let all = try await c.settledDeliveries(event: event, count: 2)
                let byEndpoint = Dictionary(
                    uniqueKeysWithValues: all.map { ($0["webhook_endpoint"]?.stringValue ?? "", $0) }
                )

                let r = try #require(byEndpoint[refused])
                #expect(r["status"] == "failed")
                #expect(r["attempts"]?.arrayValue?.map { $0["error"] } == ["connection refused", "connection refused"])
                #expect(r["attempts"]?.arrayValue?.map { $0["status_code"] } == [.null, .null])

                let s = try #require(byEndpoint[slow])
                #expect(s["status"] == "succeeded")
                let attempts = s["attempts"]?.arrayValue ?? []
                #expect(attempts.count == 2)
                #expect(attempts.first?["error"]?.stringValue?.hasPrefix("timeout") == true)
                #expect(attempts.first?["status_code"] == .null)
                #expect((attempts.first?["latency_ms"]?.intValue ?? 0) >= 350)
                #expect(attempts.last?["status_code"] == 200)
                #expect(try await c.event(event)["pending_webhooks"] == 1, "one of two endpoints got it")
            }
        }
    }

    @Test func eachEndpointGetsItsEventsInOrderAndEndpointsDoNotWaitForEachOther() async throws {
        try await WebhookReceiver.run { receiver in
            receiver.fail("ordered", times: 1)  // the first event is retried; the rest wait behind it
            receiver.hang("slow", .seconds(6))  // the first delivery here hangs
            try await webhookApp(retries: "300ms") { $0.webhookTimeout = .seconds(10) }.run { c in
                _ = try await c.createEndpoint(receiver.url("ordered"))
                _ = try await c.createEndpoint(receiver.url("slow"))
                _ = try await c.createEndpoint(receiver.url("fast"), events: ["customer.updated"])
                for i in 0..<6 {
                    let id = try await c.post("/v1/customers", "name=N\(i)").id
                    _ = try await c.post("/v1/customers/\(id)", "name=M\(i)")
                }
                // Twelve requests answered while the slow endpoint still hangs on its first delivery: the API
                // never waits for deliveries (had it waited, each request would have pushed one more delivery).
                #expect(receiver.received("slow").count <= 1, "API requests waited for webhook deliveries")
                let expected = try await c.eventIDs()
                #expect(expected.count == 12)

                // The fast endpoint has all its events while the slow one still hangs on its first.
                let fast = try await receiver.waitFor(6, at: "fast")
                #expect(fast.map(\.type) == Array(repeating: "customer.updated", count: 6))
                #expect(receiver.received("slow").count == 1, "the slow endpoint is still on its first delivery")

                let ordered = try await receiver.waitFor(13, at: "ordered")
                #expect(ordered.map(\.eventID) == [expected[0]] + expected, "one retry of the first, then in order")
                let slow = try await receiver.waitFor(12, at: "slow")
                #expect(slow.map(\.eventID) == expected)
                #expect(fast.map(\.eventID) == expected.enumerated().filter { $0.offset % 2 == 1 }.map(\.element))
            }
        }
    }

    @Test func onlyMatchingEnabledEndpointsCountInPendingWebhooks() async throws {
        try await WebhookReceiver.run { receiver in
            receiver.down("a")
            receiver.down("b")
            try await webhookApp(retries: "none").run { c in
                let a = try await c.createEndpoint(receiver.url("a"), events: ["customer.created"]).id
                let b = try await c.createEndpoint(receiver.url("b")).id
                _ = try await c.createEndpoint(receiver.url("c"), events: ["customer.updated"])
                let disabled = try await c.createEndpoint(receiver.url("d")).id
                _ = try await c.post("/v1/webhook_endpoints/\(disabled)", "disabled=true")
                _ = try await c.createEndpoint(receiver.url("e"), extra: [("connect", "true")])
                _ = try await c.postJSON("/v2/core/accounts", #"{"display_name": "thin"}"#)
                _ = try await c.post("/v1/customers", "name=Count")
                let event = try #require(try await c.eventIDs().first)
                #expect(try await c.event(event)["pending_webhooks"] == 2)

                let settled = try await c.settledDeliveries(event: event, count: 2)
                #expect(Set(settled.compactMap { $0["webhook_endpoint"]?.stringValue }) == [a, b])
                #expect(try await c.deliveries("").count == 2, "thin v2 events and the others queue nothing")
                #expect(receiver.received().map(\.name).sorted() == ["a", "b"])

                // A redelivery that succeeds counts as the endpoint's delivery.
                receiver.recover("a")
                receiver.recover("b")
                let redelivered = try await c.post(
                    "/v1/test_helpers/events/\(event)/redeliver",
                    "webhook_endpoint=\(a)"
                )
                #expect(redelivered["data"]?.arrayValue?.count == 1)
                #expect(redelivered["data.0.redelivery"] == true)
                #expect(redelivered["data.0.webhook_endpoint"]?.stringValue == a)
                try await eventually("pending_webhooks 1") {
                    try await c.event(event)["pending_webhooks"] == 1 ? true : nil
                }
                _ = try await c.post("/v1/test_helpers/events/\(event)/redeliver")
                try await eventually("pending_webhooks 0") {
                    try await c.event(event)["pending_webhooks"] == 0 ? true : nil
                }
                let all = try await c.settledDeliveries(event: event, count: 5)
                #expect(all.filter { $0["status"] == "succeeded" }.count == 3)
                #expect(try await c.deliveries("event=\(event)&webhook_endpoint=\(a)").count == 3)
                #expect(try await c.deliveries("event=\(event)&status=failed").count == 2)
            }
        }
    }

    @Test func redeliverSendsAgainWithoutCancelingRetries() async throws {
        try await WebhookReceiver.run { receiver in
            receiver.fail("hook", times: 1)
            try await webhookApp(retries: "1500ms").run { c in
                let endpoint = try await c.createEndpoint(receiver.url("hook")).id
                _ = try await c.post("/v1/customers", "name=Again")
                let event = try #require(try await c.eventIDs().first)
                try await receiver.waitFor(1, at: "hook")
                // The original is waiting for its retry; the redelivery goes out now, in its own lane.
                let r = try await c.post("/v1/test_helpers/events/\(event)/redeliver", "webhook_endpoint=\(endpoint)")
                #expect(r.status == 200)
                #expect(r["object"] == "list")
                let hits = try await receiver.waitFor(3, at: "hook")
                #expect(hits.map(\.eventID) == [event, event, event])
                let deliveries = try await c.settledDeliveries(event: event, count: 2)
                #expect(Set(deliveries.map { $0["redelivery"] }) == [true, false])
                #expect(deliveries.allSatisfy { $0["status"] == "succeeded" })
                let original = try #require(deliveries.first { $0["redelivery"] == false })
                #expect(original["attempts"]?.arrayValue?.count == 2)
                #expect(try await c.event(event)["pending_webhooks"] == 0)
            }
        }
    }

    @Test func disablingPausesRetriesAndDeletingStopsThem() async throws {
        try await WebhookReceiver.run { receiver in
            receiver.down("paused")
            receiver.down("deleted")
            try await webhookApp(retries: "300ms,300ms,300ms,300ms,300ms").run { c in
                let paused = try await c.createEndpoint(receiver.url("paused")).id
                let deleted = try await c.createEndpoint(receiver.url("deleted")).id
                _ = try await c.post("/v1/customers", "name=Pause")
                let event = try #require(try await c.eventIDs().first)
                try await receiver.waitFor(1, at: "paused")
                try await receiver.waitFor(1, at: "deleted")
                _ = try await c.post("/v1/webhook_endpoints/\(paused)", "disabled=true")
                _ = try await c.delete("/v1/webhook_endpoints/\(deleted)")
                let stopped = try #require(try await c.deliveries("webhook_endpoint=\(deleted)").first)
                #expect(stopped["status"] == "failed")
                let seen = receiver.received("paused").count
                // While disabled, nothing is sent (well past the next retry time).
                try await Task.sleep(for: .milliseconds(800))
                #expect(receiver.received("paused").count <= seen + 1)
                let waiting = try #require(try await c.deliveries("webhook_endpoint=\(paused)").first)
                #expect(waiting["status"] == "pending")

                receiver.recover("paused")
                _ = try await c.post("/v1/webhook_endpoints/\(paused)", "disabled=false")
                let done = try await eventually("delivery after re-enabling") {
                    let d = try await c.deliveries("webhook_endpoint=\(paused)").first
                    return d?["status"] == "succeeded" ? d : nil
                }
                #expect(done["attempts"]?.arrayValue?.last?["status_code"] == 200)
                #expect(receiver.received("deleted").count <= 2)
                #expect(try await c.event(event)["pending_webhooks"] == 1, "the deleted endpoint never got it")
            }
        }
    }
}

// MARK: - Durability and forwarding

@Suite(.timeLimit(.minutes(1))) struct WebhookDurabilityTests {
    @Test func aRestartDeliversWhatWasLeftPendingAndNothingTwice() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("hooks.sqlite").path
        try await WebhookReceiver.run { receiver in
            receiver.down("hook")
            let setup = Collected()
            // 1. The receiver is down: the first event fails and waits for its retry; the others queue behind it.
            try await webhookApp(retries: "1s", ids: .random, databasePath: path).run { c in
                setup.append(try await c.createEndpoint(receiver.url("hook"))["secret"]!.stringValue!)
                for i in 0..<3 { _ = try await c.post("/v1/customers", "name=R\(i)") }
                try await receiver.waitFor(1, at: "hook")
            }
            let secret = setup.values[0]
            // Failed attempts of the first event before the shutdown (one, or more on a slow machine where the
            // 1 s retry fires before the server stops).
            let failedBefore = receiver.received("hook").count
            #expect(failedBefore >= 1)
            // 2. No server at all: an event written straight to the database queues its delivery too.
            let database = try AppDatabase(path: path)
            let context = StoreContext(
                account: APIKeyAuth.accountID(forKeySuffix: "alice"),
                now: 1_767_225_700,
                ids: .random
            )
            _ = try await database.write(context) { store in
                try store.emit("customer.updated", ["id": "cus_offline", "object": "customer"], automatic: true).id
            }
            // 3. A new server on the same file resumes the queue, in order.
            receiver.recover("hook")
            let expected = Collected()
            try await webhookApp(ids: .random, databasePath: path).run { c in
                for id in try await c.eventIDs() { expected.append(id) }
                #expect(expected.values.count == 4)
                try await eventually("4 deliveries after the restart") {
                    receiver.received("hook").count >= failedBefore + 4 ? true : nil
                }
                for e in expected.values {
                    let d = try #require(try await c.settledDeliveries(event: e).first)
                    #expect(d["status"] == "succeeded")
                    #expect(try await c.event(e)["pending_webhooks"] == 0)
                }
            }
            let hits = receiver.received("hook")
            let firstFailures = Array(repeating: expected.values[0], count: failedBefore)
            #expect(hits.map(\.eventID) == firstFailures + expected.values)
            for hit in hits {
                try WebhookSignature.verify(header: hit.signature, payload: hit.body, secret: secret, now: wallNow())
            }
            // 4. Another restart sends nothing again: the next event is the only new delivery.
            try await webhookApp(ids: .random, databasePath: path).run { c in
                _ = try await c.post("/v1/customers", "name=After")
                try await receiver.waitFor(failedBefore + 5, at: "hook")
                let last = try #require(try await c.eventIDs().last)
                #expect(receiver.received("hook").map(\.eventID) == firstFailures + expected.values + [last])
            }
        }
    }

    @Test func forwardToDeliversEveryAccountsEventsWithTheForwardSecret() async throws {
        try await WebhookReceiver.run { receiver in
            let app = try webhookApp { config in
                config.forwardTo = receiver.url("listen")
                config.forwardSecret = "whsec_forward_test_secret"
                config.forwardEvents = ["customer.*"]
            }
            try await app.run { c in
                let bob = c.with(key: "sk_test_bob")
                _ = try await c.post("/v1/customers", "name=Alice")
                _ = try await c.post("/v1/test_helpers/test_clocks", "frozen_time=1700000000")
                _ = try await bob.post("/v1/customers", "name=Bob")
                let hits = try await receiver.waitFor(2, at: "listen")
                #expect(hits.map(\.type) == ["customer.created", "customer.created"])
                #expect(Set(hits.map(\.eventID)) == Set(try await c.eventIDs() + bob.eventIDs()))
                for hit in hits {
                    #expect(
                        hit.signature.contains(
                            "v1=" + referenceV1(hit.body, secret: "whsec_forward_test_secret", t: hit.timestamp)
                        )
                    )
                    #expect(hit.json["pending_webhooks"] == 0, "forwarding is not an endpoint")
                }
                let aliceEvent = try #require(try await c.eventIDs().first)
                let delivery = try #require(try await c.settledDeliveries(event: aliceEvent).first)
                #expect(delivery["forwarded"] == true)
                #expect(delivery["webhook_endpoint"] == .null)
                #expect(delivery["url"]?.stringValue == receiver.url("listen"))
                // Forwarding shows in no account's endpoint list.
                #expect(try await c.get("/v1/webhook_endpoints")["data"] == [])
                #expect(try await c.get("/v1/webhook_endpoints/\(Forwarding.endpointID)").status == 404)
                // The clock event was filtered out.
                #expect(receiver.received("listen").count == 2)
            }
        }
    }
}

/// The CLI: `serve --forward-to … --forward-secret … --webhook-retry-schedule …` on a real socket.
@Suite(.serialized, .timeLimit(.minutes(1))) struct WebhookCLITests {
    @Test func serveForwardsSignedEvents() async throws {
        try await WebhookReceiver.run { receiver in
            receiver.fail("cli", times: 1)
            let server = try await LiveServer(arguments: [
                "--forward-to", receiver.url("cli"), "--forward-secret", "whsec_cli_secret_1234",
                "--forward-events", "customer.created", "--webhook-retry-schedule", "200ms",
            ])
            defer { server.stop() }
            let created = try await server.request(.POST, "/v1/customers", body: "name=CLI")
            #expect(created.status == 200)
            let hits = try await receiver.waitFor(2, at: "cli")
            #expect(hits.map(\.type) == ["customer.created", "customer.created"])
            try WebhookSignature.verify(
                header: hits[1].signature,
                payload: hits[1].body,
                secret: "whsec_cli_secret_1234",
                now: wallNow()
            )
            #expect(hits[1].json["data"]?["object"]?["id"] == created.json["id"])
        }
    }
}

import AsyncHTTPClient
import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1
import Testing

@testable import StripeSim

/// Runs `body` with a transport straight into a fresh app (no socket): unlike HummingbirdTesting's client, it
/// surfaces a dropped connection as `TransportError.connectionDropped`.
func withTransport(
    _ body: @escaping @Sendable (any StripeTransport, TestApp) async throws -> Void
) async throws {
    let app = try TestApp()
    let built = try await buildApplication(app.config, app.deps)
    try await InProcessServer.run(built, logger: app.deps.logger) { transport in try await body(transport, app) }
}

extension StripeTransport {
    func call(
        _ method: String,
        _ path: String,
        _ body: String? = nil,
        key: String = "sk_test_alice",
        headers: [(name: String, value: String)] = []
    ) async throws(TransportError) -> TransportResponse {
        var h = headers + [("Authorization", "Bearer \(key)")]
        if body != nil {
            h.append(
                ("Content-Type", path.hasPrefix("/v2/") ? "application/json" : "application/x-www-form-urlencoded")
            )
        }
        return try await send(TransportRequest(method: method, path: path, headers: h, body: body))
    }
}

func rule(
    _ trigger: FaultRule.Trigger,
    method: String? = "POST",
    path: String = "/v1/customers",
    parameter: FaultRule.Parameter? = nil,
    account: String = "acct_a",
    id: String = "fr_1"
) throws -> FaultRule {
    let spec = FaultRule.Spec(
        match: FaultRule.Match(method: method, path: try PathPattern(path), parameter: parameter),
        trigger: trigger,
        effect: FaultRule.Effect(latencyMillis: 1),
        accountKey: nil
    )
    return FaultRule(id: id, account: account, created: 0, spec: spec)
}

@Suite struct FaultRuleMatchingTests {
    @Test(arguments: [
        ("/v1/payment_intents/*/confirm", "/v1/payment_intents/pi_1/confirm", true),
        ("/v1/payment_intents/*/confirm", "/v1/payment_intents/pi_1/cancel", false),
        ("/v1/payment_intents/*/confirm", "/v1/payment_intents/confirm", false),
        ("/v1/customers", "/v1/customers", true),
        ("/v1/customers", "/v1/customers/", true),
        ("/v1/customers", "/v1/customers/cus_1", false),
        ("/v1/customers/*", "/v1/customers/cus_1", true),
        ("/v1/**", "/v1/customers/cus_1/sources", true),
        ("/v1/**", "/v1", true),
        ("/v1/**/confirm", "/v1/payment_intents/pi_1/confirm", true),
        ("/v1/**/confirm", "/v1/payment_intents/pi_1/cancel", false),
        ("/**", "/v2/core/accounts", true),
    ])
    func pathPatterns(_ pattern: String, _ path: String, _ matches: Bool) throws {
        #expect(try PathPattern(pattern).matches(path) == matches)
    }

    @Test func badPatternsAreRefused() {
        #expect(throws: StripeError.self) { try PathPattern("v1/customers") }
        #expect(throws: StripeError.self) { try PathPattern("/v1/cus*") }
    }

    /// Which of six matching requests each trigger fires on.
    @Test(arguments: [
        (FaultRule.Trigger.always, [true, true, true, true, true, true]),
        (.nth(3), [false, false, true, false, false, false]),
        (.times(2), [true, true, false, false, false, false]),
        (.every(2), [false, true, false, true, false, true]),
        (.every(1), [true, true, true, true, true, true]),
        (.probability(0, seed: 1), [false, false, false, false, false, false]),
        (.probability(1, seed: 1), [true, true, true, true, true, true]),
        (.probability(0.5, seed: 3), [true, false, false, true, true, false]),
    ])
    func triggersFireExactlyAsSpecified(_ trigger: FaultRule.Trigger, _ pattern: [Bool]) throws {
        let registry = FaultRegistry()
        registry.add(try rule(trigger))
        var fired: [Bool] = []
        for _ in 0..<6 {
            fired.append(
                registry.evaluate(method: "POST", path: "/v1/customers", account: "acct_a", parameters: nil) != nil
            )
        }
        #expect(fired == pattern)
        let counted = try #require(registry.find("fr_1", account: "acct_a"))
        #expect(counted.matched == 6)
        #expect(counted.fired == pattern.filter { $0 }.count)
    }

    @Test func aSeededProbabilityRepeatsAndHoldsItsRate() throws {
        func draws(seed: UInt64) throws -> [Bool] {
            let registry = FaultRegistry()
            registry.add(try rule(.probability(0.3, seed: seed)))
            return (0..<2000).map { _ in
                registry.evaluate(method: "POST", path: "/v1/customers", account: "acct_a", parameters: nil) != nil
            }
        }
        let a = try draws(seed: 42)
        #expect(a == (try draws(seed: 42)))
        #expect(a != (try draws(seed: 43)))
        let rate = Double(a.filter { $0 }.count) / Double(a.count)
        #expect(rate > 0.25 && rate < 0.35)
    }

    @Test func onlyMatchingRequestsCountAndTheOldestFiringRuleWins() throws {
        let registry = FaultRegistry()
        registry.add(try rule(.every(2), id: "fr_old"))
        registry.add(try rule(.always, id: "fr_new"))
        registry.add(try rule(.always, method: "GET", id: "fr_get"))
        registry.add(try rule(.always, account: "acct_b", id: "fr_b"))
        let first = registry.evaluate(method: "POST", path: "/v1/customers", account: "acct_a", parameters: nil)
        let second = registry.evaluate(method: "POST", path: "/v1/customers", account: "acct_a", parameters: nil)
        #expect(first?.id == "fr_new")
        #expect(second?.id == "fr_old")
        #expect(registry.evaluate(method: "POST", path: "/v1/customers/x", account: "acct_a", parameters: nil) == nil)
        #expect(registry.find("fr_new", account: "acct_a")?.matched == 2)
        #expect(registry.find("fr_new", account: "acct_a")?.fired == 2)
        #expect(registry.find("fr_get", account: "acct_a")?.matched == 0)
        #expect(registry.find("fr_b", account: "acct_b")?.matched == 0)
        #expect(registry.find("fr_b", account: "acct_a") == nil)
        #expect(registry.list(account: "acct_a").map(\.id) == ["fr_get", "fr_new", "fr_old"])
        #expect(registry.clear(account: "acct_a").count == 3)
        #expect(!registry.isEmpty)
        #expect(registry.remove("fr_b", account: "acct_b")?.id == "fr_b")
        #expect(registry.isEmpty)
    }

    @Test func parameterMatchesByNameAndValue() throws {
        let registry = FaultRegistry()
        registry.add(try rule(.always, parameter: .init(name: "metadata[tier]", value: "gold"), id: "fr_value"))
        registry.add(try rule(.always, parameter: .init(name: "expand[]", value: nil), id: "fr_any_index"))
        func fired(_ body: String) -> String? {
            registry.evaluate(
                method: "POST",
                path: "/v1/customers",
                account: "acct_a",
                parameters: FaultRegistry.flatten(try! FormDecoding.decode(body))
            )?.id
        }
        #expect(fired("metadata[tier]=gold") == "fr_value")
        #expect(fired("metadata[tier]=silver") == nil)
        #expect(fired("expand[]=a&expand[]=b") == "fr_any_index")
        #expect(fired("expand[0]=a") == "fr_any_index")
        #expect(fired("name=x") == nil)
        #expect(registry.needsParameters(method: "POST", path: "/v1/customers", account: "acct_a"))
        #expect(!registry.needsParameters(method: "GET", path: "/v1/customers", account: "acct_a"))
    }
}

@Suite struct FaultRuleEffectTests {
    @Test func anErrorAnswersWithStripesEnvelopeAndAppliesNothing() async throws {
        try await TestApp().run { c in
            let created = try await c.post(
                "/v1/test_helpers/fault_rules",
                "match[method]=POST&match[path]=/v1/customers&trigger[nth]=1&effect[error][status]=429"
            )
            #expect(created.status == 200, "\(created.text)")
            let limited = try await c.post("/v1/customers", "name=x")
            #expect(limited.status == 429)
            #expect(limited["error.type"] == "invalid_request_error")
            #expect(limited["error.code"] == "rate_limit")
            #expect(limited.headers[.requestID]?.hasPrefix("req_") == true)
            #expect(try await c.get("/v1/customers")["data"] == [])
            #expect(try await c.post("/v1/customers", "name=x").status == 200)

            _ = try await c.post(
                "/v1/test_helpers/fault_rules",
                "match[path]=/v2/core/accounts&effect[error][status]=500&effect[error][message]=boom"
            )
            let v2 = try await c.postJSON("/v2/core/accounts", #"{"display_name": "x"}"#)
            #expect(v2.status == 500)
            #expect(v2.headers[.stripeShouldRetry] == "true")
            #expect(v2["error.type"] == "api_error")
            #expect(v2["error.code"] == "internal_error")
            #expect(v2["error.message"] == "boom")
            #expect(v2["error.doc_url"] == nil)
        }
    }

    @Test func latencyDelaysTheAnswer() async throws {
        try await TestApp().run { c in
            _ = try await c.post(
                "/v1/test_helpers/fault_rules",
                "match[method]=GET&match[path]=/v1/customers&effect[latency_ms]=150"
            )
            let started = ContinuousClock.now
            let r = try await c.get("/v1/customers")
            #expect(r.status == 200)
            #expect(ContinuousClock.now - started >= .milliseconds(150))
        }
    }

    @Test func dropBeforeAppliesNothingAndDropAfterKeepsTheResultForARetry() async throws {
        try await withTransport { t, _ in
            for (moment, email) in [("before", "b%40x.io"), ("after", "a%40x.io")] {
                let r = try await t.call(
                    "POST",
                    "/v1/test_helpers/fault_rules",
                    "match[path]=/v1/customers&match[parameter][name]=email&match[parameter][value]=\(email.replacingOccurrences(of: "%40", with: "@"))&trigger[nth]=1&effect[drop]=\(moment)"
                )
                #expect(r.status == 200, "\(r.body)")
            }
            let key = [("Idempotency-Key", "k1")]
            await #expect(throws: TransportError.self) {
                try await t.call("POST", "/v1/customers", "email=b%40x.io", headers: key)
            }
            #expect(try await t.call("GET", "/v1/customers").json?["data"] == [])
            let fresh = try await t.call("POST", "/v1/customers", "email=b%40x.io", headers: key)
            #expect(fresh.status == 200)
            #expect(fresh.header("Idempotent-Replayed") == nil)

            let key2 = [("Idempotency-Key", "k2")]
            do {
                _ = try await t.call("POST", "/v1/customers", "email=a%40x.io", headers: key2)
                Issue.record("expected a dropped connection")
            } catch {
                guard case TransportError.connectionDropped(let why)? = error as? TransportError else {
                    Issue.record("\(error)")
                    return
                }
                #expect(why.contains("after the request was applied"))
            }
            let replayed = try await t.call("POST", "/v1/customers", "email=a%40x.io", headers: key2)
            #expect(replayed.status == 200)
            #expect(replayed.header("Idempotent-Replayed") == "true")
            let all = try await t.call("GET", "/v1/customers").json?["data"]?.arrayValue ?? []
            #expect(all.count == 2)
            #expect(all.first?["id"] == replayed.json?["id"])
        }
    }

    @Test func aParameterRuleMatchesV2JSONBodies() async throws {
        try await withTransport { t, _ in
            _ = try await t.call(
                "POST",
                "/v1/test_helpers/fault_rules",
                "match[path]=/v2/core/accounts&match[parameter][name]=configuration[customer][applied]&match[parameter][value]=true&effect[error][status]=400&effect[error][code]=nope"
            )
            let plain = try await t.call("POST", "/v2/core/accounts", #"{"display_name": "a"}"#)
            #expect(plain.status == 200)
            let matched = try await t.call(
                "POST",
                "/v2/core/accounts",
                #"{"configuration": {"customer": {"applied": true}}}"#
            )
            #expect(matched.status == 400)
            #expect(matched.json?["error"]?["code"] == "nope")
        }
    }

    @Test(.timeLimit(.minutes(1))) func overHTTPADropClosesTheSocket() async throws {
        let server = try await LiveServer(arguments: [])
        defer { server.stop() }
        let created = try await server.request(
            .POST,
            "/v1/test_helpers/fault_rules",
            body: "match[method]=POST&match[path]=/v1/customers&trigger[times]=1&effect[drop]=after"
        )
        #expect(created.status == 200)
        var req = HTTPClientRequest(url: server.baseURL + "/v1/customers")
        req.method = .POST
        req.headers.add(name: "Authorization", value: "Bearer sk_test_live")
        req.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        req.headers.add(name: "Idempotency-Key", value: "live-1")
        req.body = .bytes(ByteBuffer(string: "name=dropped"))
        await #expect(throws: HTTPClientError.remoteConnectionClosed) {
            _ = try await HTTPClient.shared.execute(req, timeout: .seconds(10))
        }
        // Applied before the drop, and the retry gets the stored answer.
        let transport = HTTPTransport(baseURL: server.baseURL)
        let retry = try await transport.call(
            "POST",
            "/v1/customers",
            "name=dropped",
            key: "sk_test_live",
            headers: [("Idempotency-Key", "live-1")]
        )
        #expect(retry.status == 200)
        #expect(retry.header("Idempotent-Replayed") == "true")
        #expect(try await server.request(.GET, "/v1/customers").json["data"]?.arrayValue?.count == 1)
        // The transport reports a drop as such.
        _ = try await server.request(
            .POST,
            "/v1/test_helpers/fault_rules",
            body: "match[path]=/v1/customers&effect[drop]=before"
        )
        do {
            _ = try await transport.call("GET", "/v1/customers", key: "sk_test_live")
            Issue.record("expected a dropped connection")
        } catch let failure {
            if case TransportError.connectionDropped = failure {} else { Issue.record("\(failure)") }
        }
    }
}

@Suite struct FaultRuleEndpointTests {
    static let ok = "match[path]=/v1/customers&effect[latency_ms]=1"

    /// Bad rules get Stripe's error envelope: status, code and param.
    @Test(
        arguments: [
            ("effect[latency_ms]=1", "parameter_missing", "match"),
            ("match[method]=POST&effect[latency_ms]=1", "parameter_missing", "match[path]"),
            ("match[path]=/v1/customers", "parameter_missing", "effect"),
            ("match[path]=/v1/customers&effect[explode]=1", "parameter_unknown", "effect[explode]"),
            ("match[path]=/v1/customers&effect[latency_ms]=1&colour=red", "parameter_unknown", "colour"),
            ("match[path]=/v1/customers&match[method]=PATCH&effect[latency_ms]=1", nil, "match[method]"),
            ("match[path]=v1/customers&effect[latency_ms]=1", nil, "match[path]"),
            ("match[path]=/v1/cus*&effect[latency_ms]=1", nil, "match[path]"),
            ("match[path]=/v1/customers&trigger[nth]=1&trigger[every]=2&effect[latency_ms]=1", nil, "trigger"),
            ("match[path]=/v1/customers&trigger[nth]=0&effect[latency_ms]=1", nil, "trigger[nth]"),
            ("match[path]=/v1/customers&trigger[seed]=1&effect[latency_ms]=1", nil, "trigger[seed]"),
            ("match[path]=/v1/customers&trigger[probability]=1.5&effect[latency_ms]=1", nil, "trigger[probability]"),
            ("match[path]=/v1/customers&trigger[probability]=often&effect[latency_ms]=1", nil, "trigger[probability]"),
            (
                "match[path]=/v1/customers&trigger[times]=x&effect[latency_ms]=1", "parameter_invalid_integer",
                "trigger[times]"
            ),
            ("match[path]=/v1/customers&effect[error][status]=200", nil, "effect[error][status]"),
            ("match[path]=/v1/customers&effect[error][status]=500&effect[drop]=after", nil, "effect"),
            ("match[path]=/v1/customers&effect[drop]=sideways", nil, "effect[drop]"),
            ("match[path]=/v1/customers&effect[latency_ms]=60001", nil, "effect[latency_ms]"),
            (
                "match[path]=/v1/customers&match[parameter][value]=x&effect[latency_ms]=1", "parameter_missing",
                "match[parameter][name]"
            ),
        ] as [(String, String?, String)]
    )
    func badRulesGetStripeErrors(_ body: String, _ code: String?, _ param: String) async throws {
        try await TestApp().run { c in
            let r = try await c.post("/v1/test_helpers/fault_rules", body)
            #expect(r.status == 400, "\(r.text)")
            #expect(r["error.type"] == "invalid_request_error")
            #expect(r["error.param"]?.stringValue == param, "\(r.text)")
            if let code { #expect(r["error.code"]?.stringValue == code, "\(r.text)") }
            #expect(try await c.get("/v1/test_helpers/fault_rules")["data"] == [])
        }
    }

    @Test func createListRetrieveDeleteAndClear() async throws {
        try await TestApp().run { c in
            let a = try await c.post(
                "/v1/test_helpers/fault_rules",
                "match[method]=*&match[path]=/v1/**&match[parameter][name]=email&trigger[probability]=0.25&trigger[seed]=5&effect[error][status]=402&effect[error][decline_code]=insufficient_funds"
            )
            #expect(a.status == 200, "\(a.text)")
            #expect(a.id.hasPrefix("fr_"))
            #expect(a["object"] == "test_helpers.fault_rule")
            #expect(a["match"] == ["method": "*", "path": "/v1/**", "parameter": ["name": "email", "value": nil]])
            #expect(a["trigger"] == ["type": "probability", "probability": .double(0.25), "seed": 5])
            #expect(
                a["effect.error"] == [
                    "status": 402, "type": "card_error", "code": nil, "param": nil,
                    "decline_code": "insufficient_funds",
                    "message": "A simulated fault rule answered this request.",
                ]
            )
            #expect(a["matched"] == 0 && a["fired"] == 0 && a["livemode"] == false)
            let b = try await c.post("/v1/test_helpers/fault_rules", Self.ok)
            let cRule = try await c.post("/v1/test_helpers/fault_rules", Self.ok)

            let list = try await c.get("/v1/test_helpers/fault_rules?limit=2")
            #expect(list["object"] == "list" && list["url"] == "/v1/test_helpers/fault_rules")
            #expect(list["data"]?.arrayValue?.map { $0["id"]?.stringValue ?? "" } == [cRule.id, b.id])
            #expect(list["has_more"] == true)
            let next = try await c.get("/v1/test_helpers/fault_rules?limit=2&starting_after=\(b.id)")
            #expect(next["data"]?.arrayValue?.map { $0["id"]?.stringValue ?? "" } == [a.id])
            #expect(next["has_more"] == false)
            let before = try await c.get("/v1/test_helpers/fault_rules?ending_before=\(a.id)")
            #expect(before["data"]?.arrayValue?.count == 2)
            #expect(
                try await c.get("/v1/test_helpers/fault_rules?starting_after=fr_nope")["error.param"]
                    == "starting_after"
            )

            #expect(try await c.get("/v1/test_helpers/fault_rules/\(a.id)").id == a.id)
            let deleted = try await c.delete("/v1/test_helpers/fault_rules/\(a.id)")
            #expect(deleted.json == ["id": .string(a.id), "object": "test_helpers.fault_rule", "deleted": true])
            let missing = try await c.delete("/v1/test_helpers/fault_rules/\(a.id)")
            #expect(missing.status == 404)
            #expect(missing["error.code"] == "resource_missing")
            #expect(missing["error.message"] == .string("No such fault_rule: '\(a.id)'"))

            // Per account: another key neither sees nor clears these.
            let bob = c.with(key: "sk_test_bob")
            #expect(try await bob.get("/v1/test_helpers/fault_rules")["data"] == [])
            #expect(try await bob.get("/v1/test_helpers/fault_rules/\(b.id)").status == 404)
            #expect(try await bob.delete("/v1/test_helpers/fault_rules")["data"] == [])

            let cleared = try await c.delete("/v1/test_helpers/fault_rules")
            #expect(cleared["data"]?.arrayValue?.count == 2)
            #expect(cleared["data.0.deleted"] == true)
            #expect(try await c.get("/v1/test_helpers/fault_rules")["data"] == [])
        }
    }

    @Test func publishableKeysAndMissingKeysAreRefused() async throws {
        try await TestApp().run { c in
            let pk = try await c.with(key: "pk_test_alice").post("/v1/test_helpers/fault_rules", Self.ok)
            #expect(pk.status == 403)
            #expect(pk["error.code"] == "secret_key_required")
            #expect(try await c.get("/v1/test_helpers/fault_rules", key: .some(nil)).status == 401)
        }
    }

    @Test func theRuleEndpointsAreNeverFaulted() async throws {
        try await TestApp().run { c in
            let r = try await c.post("/v1/test_helpers/fault_rules", "match[path]=/**&effect[error][status]=503")
            #expect(r.status == 200)
            #expect(try await c.get("/v1/customers").status == 503)
            #expect(try await c.get("/v1/test_helpers/fault_rules").status == 200)
            #expect(try await c.delete("/v1/test_helpers/fault_rules").status == 200)
            #expect(try await c.get("/v1/customers").status == 200)
        }
    }
}

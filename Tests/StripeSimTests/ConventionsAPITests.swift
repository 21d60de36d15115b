import Foundation
import HTTPTypes
import Testing

@testable import StripeSim

/// Auth, errors, request ids, versions, idempotency, bodies: the conventions every endpoint shares.
@Suite struct ConventionsAPITests {
    // MARK: Auth

    @Test(arguments: [
        ("", "You did not provide an API key."),
        ("Bearer sk_test_", "Invalid API Key provided"),
        ("Bearer foo", "Invalid API Key provided: foo"),
        ("Bearer sk_live_abcdefgh1234", "Live mode keys are refused"),
        ("Bearer sk_test_has space", "This key contains at least one space"),
        ("Token sk_test_abc", "You did not provide an API key, though you did set your Authorization header"),
        ("Basic !!!notbase64", "Invalid API Key provided"),
    ])
    func badCredentialsAre401(_ header: String, _ message: String) async throws {
        try await TestApp().run { c in
            var h = HTTPFields()
            if !header.isEmpty { h[.authorization] = header }
            let r = try await c.get("/v1/customers", key: .some(nil), headers: h)
            #expect(r.status == 401)
            #expect(r["error.type"] == "invalid_request_error")
            #expect(r["error.message"]?.stringValue?.contains(message) == true)
            #expect(r.headers[.requestID]?.hasPrefix("req_") == true)
        }
    }

    @Test func maskedKeyNeverEchoedWhole() async throws {
        try await TestApp().run { c in
            let r = try await c.get("/v1/customers", key: "sk_live_supersecretvalue9876")
            #expect(!r.text.contains("supersecretvalue"))
            #expect(r.text.contains("9876"))
        }
    }

    @Test func basicAuthWorksLikeBearer() async throws {
        try await TestApp().run { c in
            let created = try await c.with(key: "sk_test_basic").post("/v1/customers", "email=b%40example.com")
            var h = HTTPFields()
            h[.authorization] = "Basic " + Data("sk_test_basic:".utf8).base64EncodedString()
            let r = try await c.get("/v1/customers/\(created.id)", key: .some(nil), headers: h)
            #expect(r.status == 200)
            #expect(r["email"] == "b@example.com")
        }
    }

    @Test func keysAreIsolatedAccounts() async throws {
        try await TestApp().run { c in
            let alice = c.with(key: "sk_test_alice")
            let bob = c.with(key: "sk_test_bob")
            let created = try await alice.post("/v1/customers", "name=Alice")
            #expect(try await bob.get("/v1/customers/\(created.id)").status == 404)
            #expect(try await bob.get("/v1/customers")["data"] == [])
            #expect(try await bob.get("/v1/events")["data"] == [])
            #expect(try await alice.get("/v1/customers")["data.0.id"]?.stringValue == created.id)
            // A restricted key of the same suffix is the same account.
            #expect(try await c.with(key: "rk_test_alice").get("/v1/customers/\(created.id)").status == 200)
        }
    }

    @Test func publishableKeyOnSecretEndpointIs403() async throws {
        try await TestApp().run { c in
            let r = try await c.with(key: "pk_test_alice").post("/v1/customers", "name=x")
            #expect(r.status == 403)
            #expect(r["error.code"] == "secret_key_required")
            #expect(try await c.with(key: "pk_test_alice").get("/v1/customers").status == 403)
        }
    }

    // MARK: Errors, request ids, versions

    @Test func unknownRouteIsStripe404() async throws {
        try await TestApp().run { c in
            let r = try await c.get("/v1/nope")
            #expect(r.status == 404)
            #expect(
                r["error.message"]
                    == "Unrecognized request URL (GET: /v1/nope). Please see https://stripe.com/docs or we can help at https://support.stripe.com/."
            )
            #expect(r.headers[.requestID]?.hasPrefix("req_") == true)
            let wrongMethod = try await c.send(.put, "/v1/customers")
            #expect(wrongMethod.status == 404)
        }
    }

    @Test func requestIDsAreUniqueAndStripeShaped() async throws {
        try await TestApp(ids: .random).run { c in
            let a = try await c.get("/v1/customers").headers[.requestID] ?? ""
            let b = try await c.get("/v1/customers").headers[.requestID] ?? ""
            #expect(a != b)
            #expect(a.count == 18 && a.hasPrefix("req_"))
        }
    }

    @Test func stripeVersionIsEchoedOrRejected() async throws {
        try await TestApp().run { c in
            var h = HTTPFields()
            h[.stripeVersion] = "2024-06-20"
            #expect(try await c.get("/v1/customers", headers: h).headers[.stripeVersion] == "2024-06-20")
            h[.stripeVersion] = "2026-06-24.preview"
            #expect(try await c.get("/v1/customers", headers: h).headers[.stripeVersion] == "2026-06-24.preview")
            #expect(try await c.get("/v1/customers").headers[.stripeVersion] == StripeVersion.current)
            for bad in ["banana", "2024-13-01", "2024-06-20.", "2024-06-20.Basil!"] {
                h[.stripeVersion] = bad
                let r = try await c.get("/v1/customers", headers: h)
                #expect(r.status == 400)
                #expect(r["error.message"]?.stringValue == "Invalid Stripe API version: \(bad)")
            }
        }
    }

    @Test func hugeBodyIsA413NotACrash() async throws {
        try await TestApp().run { c in
            let body = "description=" + String(repeating: "x", count: 2 << 20)
            let r = try await c.post("/v1/customers", body)
            #expect(r.status == 413)
            #expect(r["error.type"] == "invalid_request_error")
            // The server keeps serving.
            #expect(try await c.get("/v1/customers").status == 200)
        }
    }

    /// A POST's parameters come from its query string and its body together; the body's win a clash.
    @Test func postParametersComeFromTheQueryStringAndTheBody() async throws {
        try await TestApp().run { c in
            let both = try await c.post("/v1/customers?name=Query&metadata[q]=1", "email=b%40x.io&description=Body")
            #expect(both.status == 200)
            #expect(both["name"] == "Query" && both["email"] == "b@x.io" && both["description"] == "Body")
            #expect(both["metadata.q"] == "1")
            let clash = try await c.post("/v1/customers?name=Query", "name=Body")
            #expect(clash["name"] == "Body")
            let queryOnly = try await c.post("/v1/customers?name=Query", "")
            #expect(queryOnly["name"] == "Query")
            let bad = try await c.post("/v1/customers?nope=1", "name=Body")
            #expect(bad.status == 400 && bad["error.code"] == "parameter_unknown" && bad["error.param"] == "nope")
        }
    }

    @Test(arguments: [
        "a=%zz", "metadata[a][b][c][d][e][f][g][h][i][j][k][l][m][n]=1", "expand[1]=x", "name[x]=1",
        "email=notanemail", "balance=1.5", "tax_exempt=maybe", "preferred_locales=en", "shipping[name]=x",
        "invoice_prefix=ab",
    ])
    func badInputIsAStripe400(_ body: String) async throws {
        try await TestApp().run { c in
            let r = try await c.post("/v1/customers", body)
            #expect(r.status == 400)
            #expect(r["error.type"] == "invalid_request_error")
            #expect(r["error.message"]?.stringValue?.isEmpty == false)
        }
    }

    // MARK: Idempotency

    @Test func idempotentReplayIsByteForByte() async throws {
        try await TestApp().run { c in
            var h = HTTPFields()
            h[.idempotencyKey] = "key-1"
            let first = try await c.post("/v1/customers", "name=Jenny&metadata[a]=1", headers: h)
            let again = try await c.post("/v1/customers", "metadata[a]=1&name=Jenny", headers: h)
            #expect(first.status == 200)
            #expect(again.text == first.text)
            #expect(again.headers[.idempotentReplayed] == "true")
            #expect(again.headers[.originalRequest] == first.headers[.requestID])
            #expect(first.headers[.idempotencyKey] == "key-1")
            #expect(try await c.get("/v1/customers")["data"]?.arrayValue?.count == 1)
            #expect(try await c.get("/v1/events?type=customer.created")["data"]?.arrayValue?.count == 1)
        }
    }

    @Test func idempotencyKeyWithOtherParamsIsAnError() async throws {
        try await TestApp().run { c in
            var h = HTTPFields()
            h[.idempotencyKey] = "key-2"
            _ = try await c.post("/v1/customers", "name=A", headers: h)
            let r = try await c.post("/v1/customers", "name=B", headers: h)
            #expect(r.status == 400)
            #expect(r["error.type"] == "idempotency_error")
            #expect(r["error.message"]?.stringValue?.contains("'key-2'") == true)
            // Another endpoint with the same key is a different request too.
            #expect(try await c.post("/v1/test_helpers/test_clocks", "frozen_time=1", headers: h).status == 400)
        }
    }

    @Test func idempotencyIsScopedPerAccount() async throws {
        try await TestApp().run { c in
            var h = HTTPFields()
            h[.idempotencyKey] = "shared"
            let a = try await c.with(key: "sk_test_a").post("/v1/customers", "name=A", headers: h)
            let b = try await c.with(key: "sk_test_b").post("/v1/customers", "name=B", headers: h)
            #expect(b.status == 200)
            #expect(a.id != b.id)
        }
    }

    @Test func validationFailuresAreNotStored() async throws {
        try await TestApp().run { c in
            var h = HTTPFields()
            h[.idempotencyKey] = "key-3"
            let invalid = try await c.post("/v1/customers", "balance=x", headers: h)
            #expect(invalid.status == 400)
            let corrected = try await c.post("/v1/customers", "balance=5", headers: h)
            #expect(corrected.status == 200)
        }
    }

    @Test func errorsAfterExecutionBeganAreReplayed() async throws {
        try await TestApp().run { c in
            var h = HTTPFields()
            h[.idempotencyKey] = "key-4"
            let first = try await c.post("/v1/customers/cus_missing", "name=x", headers: h)
            #expect(first.status == 404)
            let again = try await c.post("/v1/customers/cus_missing", "name=x", headers: h)
            #expect(again.text == first.text)
            #expect(again.headers[.idempotentReplayed] == "true")
        }
    }

    @Test func idempotencyKeyLengthIsChecked() async throws {
        try await TestApp().run { c in
            var h = HTTPFields()
            h[.idempotencyKey] = String(repeating: "k", count: 256)
            let r = try await c.post("/v1/customers", "name=x", headers: h)
            #expect(r.status == 400)
            #expect(r["error.type"] == "idempotency_error")
        }
    }

    @Test func concurrentUseOfAKeyIs409() throws {
        let gate = IdempotencyGate()
        try gate.begin(account: "acct_1", key: "k")
        do {
            try gate.begin(account: "acct_1", key: "k")
            Issue.record("expected 409")
        } catch {
            #expect(error.status == 409)
            #expect(error.code == "idempotency_key_in_use")
        }
        try gate.begin(account: "acct_2", key: "k")
        gate.end(account: "acct_1", key: "k")
        try gate.begin(account: "acct_1", key: "k")
    }

    @Test func idempotencyKeysExpireAfter24Hours() async throws {
        let app = try TestApp()
        try await app.run { c in
            var h = HTTPFields()
            h[.idempotencyKey] = "key-5"
            let first = try await c.post("/v1/customers", "name=A", headers: h)
            app.clock.advance(by: 86_401)
            let later = try await c.post("/v1/customers", "name=A", headers: h)
            #expect(later.headers[.idempotentReplayed] == nil)
            #expect(later.id != first.id)
        }
    }
}

import Foundation
import HTTPTypes
import Testing

@testable import StripeSim

@Suite struct V2AccountsAPITests {
    static let seedBody = #"""
        {"contact_email": "jenny.rosen@example.com", "display_name": "Jenny Rosen",
         "identity": {"country": "us", "individual": {"given_name": "Jenny Rosen"}},
         "configuration": {"customer": {"capabilities": {"automatic_indirect_tax": {"requested": true}}}},
         "include": ["configuration.customer", "identity"]}
        """#

    @Test func createWithIncludeReturnsV2Shape() async throws {
        try await TestApp().run { c in
            let r = try await c.postJSON("/v2/core/accounts", Self.seedBody)
            #expect(r.status == 200, "\(r.text)")
            #expect(r.id.hasPrefix("acct_"))
            #expect(r["object"] == "v2.core.account")
            #expect(r["applied_configurations"] == ["customer"])
            #expect(r["contact_email"] == "jenny.rosen@example.com")
            #expect(r["configuration.customer.applied"] == true)
            #expect(r["configuration.customer.capabilities.automatic_indirect_tax.status"] == "active")
            #expect(r["identity.country"] == "us")
            #expect(r["created"] == "2026-01-01T00:00:00.000Z")
            #expect(r.headers[.stripeVersion] == "2026-06-24.preview")
            // Without include, include-dependent properties are absent.
            let plain = try await c.get("/v2/core/accounts/\(r.id)")
            #expect(plain["configuration"] == nil)
            #expect(plain["identity"] == nil)
            let included = try await c.get("/v2/core/accounts/\(r.id)?include%5B0%5D=configuration.customer")
            #expect(included["configuration.customer.applied"] == true)
        }
    }

    @Test func updateAndMetadataNullRemovesKeys() async throws {
        try await TestApp().run { c in
            let id = try await c.postJSON(
                "/v2/core/accounts",
                #"{"display_name": "A", "metadata": {"a": "1", "b": "2"}}"#
            ).id
            let r = try await c.postJSON("/v2/core/accounts/\(id)", #"{"display_name": "B", "metadata": {"a": null}}"#)
            #expect(r["display_name"] == "B")
            #expect(r["metadata"] == ["b": "2"])
        }
    }

    @Test func listPagesWithURLs() async throws {
        try await TestApp().run { c in
            for i in 0..<3 { _ = try await c.postJSON("/v2/core/accounts", #"{"display_name": "A\#(i)"}"#) }
            let first = try await c.get("/v2/core/accounts?limit=2")
            #expect(first["data"]?.arrayValue?.count == 2)
            #expect(first["data.0.display_name"] == "A2")
            #expect(first["previous_page_url"] == .null)
            let next = try #require(first["next_page_url"]?.stringValue)
            let second = try await c.get(next)
            #expect(second["data"]?.arrayValue?.map { $0["display_name"] } == ["A0"])
            #expect(second["next_page_url"] == .null)
            #expect(second["previous_page_url"]?.stringValue != nil)
        }
    }

    @Test func closeNeedsEveryConfiguration() async throws {
        try await TestApp().run { c in
            let id = try await c.postJSON("/v2/core/accounts", #"{"configuration": {"customer": {}}}"#).id
            let wrong = try await c.postJSON("/v2/core/accounts/\(id)/close", #"{"applied_configurations": []}"#)
            #expect(wrong.status == 400)
            #expect(wrong["error.code"] == "configs_must_match_to_close")
            let closed = try await c.postJSON(
                "/v2/core/accounts/\(id)/close",
                #"{"applied_configurations": ["customer"]}"#
            )
            #expect(closed["closed"] == true)
            #expect(try await c.get("/v2/core/accounts")["data"] == [])
            #expect(try await c.get("/v2/core/accounts?closed=true")["data"]?.arrayValue?.count == 1)
        }
    }

    @Test func v2ErrorsHaveTheV2Shape() async throws {
        try await TestApp().run { c in
            let missing = try await c.get("/v2/core/accounts/acct_nope")
            #expect(missing.status == 404)
            #expect(missing["error.code"] == "not_found")
            #expect(missing["error.message"] == "No such account: 'acct_nope'")
            let notJSON = try await c.postJSON("/v2/core/accounts", "{nope")
            #expect(notJSON.status == 400)
            #expect(notJSON["error.code"]?.stringValue != nil)
            let unknown = try await c.postJSON("/v2/core/accounts", #"{"colour": "red"}"#)
            #expect(unknown.status == 400)
            #expect(unknown["error.message"] == "Received unknown parameter: colour")
            let badEnum = try await c.postJSON("/v2/core/accounts", #"{"dashboard": "huge"}"#)
            #expect(badEnum.status == 400)
            let pk = try await c.with(key: "pk_test_alice").postJSON("/v2/core/accounts", "{}")
            #expect(pk.status == 403)
        }
    }

    /// The pass-through bags (`defaults`, `identity`, `configuration.merchant`/`recipient`) are objects: anything
    /// else is refused, not stored and echoed where Stripe's shape has an object (found by EndpointFuzzTests).
    @Test(arguments: [
        (#"{"configuration": {"merchant": []}}"#, "configuration[merchant]"),
        (#"{"configuration": {"recipient": "x"}}"#, "configuration[recipient]"),
        (#"{"defaults": [1]}"#, "defaults"),
        (#"{"identity": 5}"#, "identity"),
    ])
    func bagsMustBeObjects(_ body: String, _ param: String) async throws {
        try await TestApp().run { c in
            let account = try await c.postJSON("/v2/core/accounts", #"{"display_name": "B"}"#)
            let r = try await c.postJSON("/v2/core/accounts/\(account.id)", body)
            #expect(r.status == 400, "\(r.text)")
            #expect(r["error.message"] == "Invalid object")
            #expect(r["error.param"] == .string(param))
            let created = try await c.postJSON("/v2/core/accounts", body)
            #expect(created.status == 400)
            let ok = try await c.postJSON(
                "/v2/core/accounts/\(account.id)",
                #"{"configuration": {"merchant": {}}, "include": ["configuration.merchant"]}"#
            )
            #expect(ok.status == 200, "\(ok.text)")
            #expect(ok["configuration.merchant.applied"] == true)
        }
    }

    /// `defaults` is validated, merges on update (`null` removes a member) and, when included, always carries
    /// `responsibilities` with a `requirements_collector`, as Stripe renders it.
    @Test func defaultsMergeAndCarryResponsibilities() async throws {
        try await TestApp().run { c in
            let plain = try await c.postJSON("/v2/core/accounts", #"{"display_name": "D", "include": ["defaults"]}"#)
            #expect(plain.status == 200, "\(plain.text)")
            #expect(plain["defaults"] == ["responsibilities": ["requirements_collector": "stripe"]])

            let set = try await c.postJSON(
                "/v2/core/accounts/\(plain.id)",
                #"{"defaults": {"currency": "usd", "locales": ["en-US"], "responsibilities": {"fees_collector": "application", "losses_collector": "application"}}, "include": ["defaults"]}"#
            )
            #expect(set["defaults.currency"] == "usd")
            #expect(
                set["defaults.responsibilities"] == [
                    "fees_collector": "application", "losses_collector": "application",
                    "requirements_collector": "application",
                ]
            )
            let merged = try await c.postJSON(
                "/v2/core/accounts/\(plain.id)",
                #"{"defaults": {"currency": null, "profile": {"doing_business_as": "Dee"}}, "include": ["defaults"]}"#
            )
            #expect(merged["defaults.currency"] == nil)
            #expect(merged["defaults.locales"] == ["en-US"])
            #expect(merged["defaults.profile.doing_business_as"] == "Dee")
            #expect(merged["defaults.responsibilities.losses_collector"] == "application")
            #expect(try await c.get("/v2/core/accounts/\(plain.id)")["defaults"] == nil)

            let half = try await c.postJSON(
                "/v2/core/accounts/\(plain.id)",
                #"{"defaults": {"responsibilities": {"fees_collector": "stripe"}}}"#
            )
            #expect(half.status == 400)
            #expect(half["error.param"] == "defaults[responsibilities][losses_collector]", "\(half.text)")
            let badEnum = try await c.postJSON(
                "/v2/core/accounts/\(plain.id)",
                #"{"defaults": {"responsibilities": {"fees_collector": "me", "losses_collector": "stripe"}}}"#
            )
            #expect(badEnum.status == 400)
        }
    }
}

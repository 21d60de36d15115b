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
}

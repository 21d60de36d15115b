import Foundation
import HTTPTypes
import Testing

@testable import StripeSim

/// Financial Connections: sessions, the headless completion helper, linked accounts and their data.
@Suite(.timeLimit(.minutes(1))) struct FinancialConnectionsTests {
    static let testOAuth = "fcinst_Qn1a6jqpI0Gb84"
    static let bankNonOAuth = "fcinst_Qn1aVTBBJ4ubmQ"
    static let allPermissions =
        "permissions[]=balances&permissions[]=ownership&permissions[]=payment_method&permissions[]=transactions"

    /// The seed's session request for a new customer; returns (customer, session).
    static func seedSession(_ c: Client, extra: String = "") async throws -> (String, Reply) {
        let cus = try await c.post("/v1/customers", "email=jenny%40example.com&name=Jenny+Rosen").id
        let s = try await c.post(
            "/v1/financial_connections/sessions",
            "account_holder[type]=customer&account_holder[customer]=\(cus)&\(allPermissions)\(extra)"
        )
        return (cus, s)
    }

    @Test func seedSessionShape() async throws {
        try await TestApp().run { c in
            let (cus, s) = try await Self.seedSession(c)
            #expect(s.status == 200, "\(s.text)")
            #expect(s.id.hasPrefix("fcsess_"))
            #expect(s["object"] == "financial_connections.session")
            #expect(s["client_secret"]?.stringValue?.hasPrefix("fcsess_client_secret_") == true)
            #expect(s["account_holder"] == ["type": "customer", "customer": .string(cus)])
            #expect(
                s["accounts"] == [
                    "object": "list", "data": [], "has_more": false, "total_count": 0,
                    "url": "/v1/financial_connections/accounts",
                ]
            )
            #expect(s["permissions"] == ["balances", "ownership", "payment_method", "transactions"])
            #expect(s["livemode"] == false)
            #expect(s["return_url"] == nil)
            let pk = c.with(key: "pk_test_alice")
            let secret = s["client_secret"]?.stringValue ?? ""
            #expect(
                try await pk.get("/v1/financial_connections/sessions/\(s.id)?client_secret=\(secret)")["id"]?
                    .stringValue == s.id
            )
            #expect(try await pk.get("/v1/financial_connections/sessions/\(s.id)?client_secret=nope").status == 404)
            #expect(
                try await pk.post("/v1/financial_connections/sessions", "account_holder[type]=customer").status == 403
            )
        }
    }

    @Test func v2CustomerAccountHolder() async throws {
        try await TestApp().run { c in
            let acct = try await c.postJSON(
                "/v2/core/accounts",
                #"{"display_name": "J", "configuration": {"customer": {}}}"#
            ).id
            let s = try await c.post(
                "/v1/financial_connections/sessions",
                "account_holder[type]=customer&account_holder[customer_account]=\(acct)&permissions[]=payment_method&return_url=myapp%3A%2F%2Fdone"
            )
            #expect(s.status == 200, "\(s.text)")
            #expect(s["account_holder.customer_account"]?.stringValue == acct)
            #expect(s["return_url"] == "myapp://done")
            let done = try await c.post(
                "/v1/test_helpers/financial_connections/sessions/\(s.id)/complete",
                "institution=\(Self.testOAuth)"
            )
            let fca = try #require(done["accounts.data.0.id"]?.stringValue)
            let listed = try await c.get(
                "/v1/financial_connections/accounts?account_holder[customer_account]=\(acct)&limit=100"
            )
            #expect(listed["data"]?.arrayValue?.contains { $0["id"]?.stringValue == fca } == true)
        }
    }

    @Test(arguments: [
        (
            "account_holder[type]=customer&account_holder[customer]=cus_nope&permissions[]=balances",
            "account_holder[customer]"
        ),
        ("account_holder[type]=customer&account_holder[customer]=X&permissions[]=", "permissions"),
        ("account_holder[type]=customer&account_holder[customer]=X", "permissions"),
        ("account_holder[type]=customer&account_holder[customer]=X&permissions[]=money", "permissions[0]"),
        ("account_holder[type]=person&account_holder[customer]=X&permissions[]=balances", "account_holder[type]"),
        ("account_holder[type]=customer&permissions[]=balances", "account_holder[customer]"),
        ("permissions[]=balances", "account_holder"),
        (
            "account_holder[type]=customer&account_holder[customer]=X&permissions[]=balances&prefetch[]=ownership",
            "prefetch[0]"
        ),
        (
            "account_holder[type]=customer&account_holder[customer]=X&permissions[]=balances&filters[account_subcategories][]=crypto",
            "filters[account_subcategories][0]"
        ),
        (
            "account_holder[type]=customer&account_holder[customer]=X&permissions[]=balances&return_url=not%20a%20url",
            "return_url"
        ),
    ])
    func badSessions(_ body: String, _ param: String) async throws {
        try await TestApp().run { c in
            let cus = try await c.post("/v1/customers", "name=x").id
            let r = try await c.post(
                "/v1/financial_connections/sessions",
                body.replacingOccurrences(of: "=X", with: "=\(cus)")
            )
            #expect(r.status == 400, "\(r.text)")
            #expect(r["error.param"]?.stringValue == param)
            #expect(r["error.type"] == "invalid_request_error")
        }
    }

    @Test func completeLinksEligibleAccountsOnce() async throws {
        try await TestApp().run { c in
            let (cus, s) = try await Self.seedSession(c)
            let done = try await c.post(
                "/v1/test_helpers/financial_connections/sessions/\(s.id)/complete",
                "institution=\(Self.testOAuth)"
            )
            #expect(done.status == 200, "\(done.text)")
            #expect(done["status"] == "succeeded")
            let accounts = done["accounts.data"]?.arrayValue ?? []
            // payment_method requested: only ACH-capable accounts are eligible (the credit card is not).
            #expect(accounts.count > 3)
            #expect(!accounts.contains { $0["display_name"] == "Credit Card" })
            let success = try #require(accounts.first { $0["display_name"] == "Success" })
            #expect(success["institution_name"] == "Test (OAuth)")
            #expect(success["last4"] == "6789")
            #expect(success["category"] == "cash")
            #expect(success["subcategory"] == "checking")
            #expect(success.value(at: "account_holder.customer")?.stringValue == cus)
            #expect(success["status"] == "active")
            #expect(success["balance"] == .null)
            #expect(success["supported_payment_method_types"] == ["us_bank_account"])
            let again = try await c.post("/v1/test_helpers/financial_connections/sessions/\(s.id)/complete")
            #expect(again.status == 400)
            #expect(
                try await c.get("/v1/events?type=financial_connections.account.created&limit=100")["data"]?.arrayValue?
                    .count == accounts.count
            )
            let bySession = try await c.get("/v1/financial_connections/accounts?session=\(s.id)&limit=100")
            #expect(bySession["data"]?.arrayValue?.count == accounts.count)
            #expect(
                try await c.get("/v1/financial_connections/sessions/\(s.id)")["accounts.data"]?.arrayValue?.count
                    == accounts.count
            )
        }
    }

    @Test func explicitAccountsFiltersAndOutcomes() async throws {
        try await TestApp().run { c in
            let (_, s) = try await Self.seedSession(c, extra: "&filters[account_subcategories][]=savings")
            let wrong = try await c.post(
                "/v1/test_helpers/financial_connections/sessions/\(s.id)/complete",
                "institution=\(Self.testOAuth)&accounts[]=checking-success"
            )
            #expect(wrong.status == 400)
            #expect(wrong["error.param"] == "accounts[0]")
            let unknown = try await c.post(
                "/v1/test_helpers/financial_connections/sessions/\(s.id)/complete",
                "institution=\(Self.testOAuth)&accounts[]=nope"
            )
            #expect(unknown["error.param"] == "accounts[0]")
            let badInst = try await c.post(
                "/v1/test_helpers/financial_connections/sessions/\(s.id)/complete",
                "institution=fcinst_nope"
            )
            #expect(badInst["error.code"] == "resource_missing")
            let ok = try await c.post(
                "/v1/test_helpers/financial_connections/sessions/\(s.id)/complete",
                "institution=\(Self.testOAuth)&accounts[]=savings"
            )
            #expect(ok["accounts.data"]?.arrayValue?.map { $0["display_name"] } == ["Savings"])

            let (_, cancelled) = try await Self.seedSession(c)
            let r = try await c.post(
                "/v1/test_helpers/financial_connections/sessions/\(cancelled.id)/complete",
                "outcome=cancelled"
            )
            #expect(r["status"] == "cancelled")
            #expect(r["accounts.data"] == [])
            let (_, down) = try await Self.seedSession(c)
            let d = try await c.post(
                "/v1/test_helpers/financial_connections/sessions/\(down.id)/complete",
                "institution=fcinst_QH6l5zmRXAepbP"
            )
            #expect(d.status == 400)
            #expect(d["error.code"] == "institution_unavailable")
            #expect(try await c.get("/v1/financial_connections/sessions/\(down.id)")["status"] == "pending")
            let denied = try await c.post(
                "/v1/test_helpers/financial_connections/sessions/\(down.id)/complete",
                "institution=fcinst_SimOAuthDenied"
            )
            #expect(denied["status"] == "cancelled")
            #expect(denied["accounts.data"] == [])
        }
    }

    @Test func refreshBalanceOwnershipTransactions() async throws {
        try await TestApp().run { c in
            let (_, s) = try await Self.seedSession(c)
            let done = try await c.post(
                "/v1/test_helpers/financial_connections/sessions/\(s.id)/complete",
                "institution=\(Self.testOAuth)&accounts[]=checking-success"
            )
            let fca = try #require(done["accounts.data.0.id"]?.stringValue)
            let noTx = try await c.get("/v1/financial_connections/transactions?account=\(fca)")
            #expect(noTx["error.code"] == "financial_connections_no_successful_transaction_refresh")

            let pending = try await c.post(
                "/v1/financial_connections/accounts/\(fca)/refresh",
                "features[]=balance&features[]=ownership&features[]=transactions"
            )
            #expect(pending["balance_refresh.status"] == "pending")
            #expect(pending["balance_refresh.next_refresh_available_at"] == .null)
            let refreshed = try await c.poll(
                "/v1/financial_connections/accounts/\(fca)",
                "transaction_refresh.status",
                "succeeded"
            )
            #expect(
                try await c.get("/v1/financial_connections/accounts/\(fca)")["balance_refresh.status"] == "succeeded"
            )
            let account = try await c.get("/v1/financial_connections/accounts/\(fca)")
            #expect(account["balance.type"] == "cash")
            #expect(account["balance.current.usd"] == 500_000)
            #expect(account["balance.cash.available.usd"] == 480_000)
            let ownership = try #require(account["ownership"]?.stringValue)
            let owners = try await c.get("/v1/financial_connections/accounts/\(fca)/owners?ownership=\(ownership)")
            #expect(owners["data.0.name"] == "Jenny Rosen")
            #expect(owners["data.0.object"] == "financial_connections.account_owner")
            let expanded = try await c.get("/v1/financial_connections/accounts/\(fca)?expand[]=ownership")
            #expect(expanded["ownership.owners.data.0.name"] == "Jenny Rosen")

            let tx = try await c.get("/v1/financial_connections/transactions?account=\(fca)&limit=100")
            let data = tx["data"]?.arrayValue ?? []
            #expect(data.count >= 50)
            let first = try #require(data.first)
            #expect(first["object"] == "financial_connections.transaction")
            #expect(first["account"]?.stringValue == fca)
            #expect(first["transaction_refresh"] == refreshed["transaction_refresh.id"])
            // Page through the whole history: at least 90 days.
            var all = data
            while let last = all.last?["id"]?.stringValue,
                case let page = try await c.get(
                    "/v1/financial_connections/transactions?account=\(fca)&limit=100&starting_after=\(last)"
                ),
                let more = page["data"]?.arrayValue, !more.isEmpty
            {
                all += more
            }
            #expect(Set(all.compactMap { $0["id"]?.stringValue }).count == all.count)
            let oldest = all.compactMap { $0["transacted_at"]?.intValue }.min() ?? 0
            #expect(1_767_225_600 - oldest >= 89 * 86_400)
            let one = try await c.get("/v1/financial_connections/transactions/\(first["id"]!.stringValue!)")
            #expect(one.json == first)
            let ranged = try await c.get(
                "/v1/financial_connections/transactions?account=\(fca)&limit=100&transacted_at[gte]=\(1_767_225_600 - 7 * 86_400)"
            )
            #expect((ranged["data"]?.arrayValue?.count ?? 0) < data.count)
            let after = try await c.get(
                "/v1/financial_connections/transactions?account=\(fca)&transaction_refresh[after]=\(refreshed["transaction_refresh.id"]!.stringValue!)"
            )
            #expect(after["data"] == [])
            let types = try await c.eventTypes(for: fca)
            #expect(types.contains("financial_connections.account.refreshed_balance"))
            #expect(types.contains("financial_connections.account.refreshed_ownership"))
            #expect(types.contains("financial_connections.account.refreshed_transactions"))
            let inferred = try await c.get("/v1/financial_connections/accounts/\(fca)/inferred_balances?limit=3")
            #expect(inferred["data.0.current.usd"] == 500_000)
            #expect(inferred["data"]?.arrayValue?.count == 3)
        }
    }

    @Test func permissionsLimitData() async throws {
        try await TestApp().run { c in
            let cus = try await c.post("/v1/customers", "name=x").id
            let s = try await c.post(
                "/v1/financial_connections/sessions",
                "account_holder[type]=customer&account_holder[customer]=\(cus)&permissions[]=payment_method"
            )
            let done = try await c.post(
                "/v1/test_helpers/financial_connections/sessions/\(s.id)/complete",
                "institution=\(Self.testOAuth)&accounts[]=checking-success"
            )
            let fca = done["accounts.data.0.id"]?.stringValue ?? ""
            for feature in ["balance", "ownership", "transactions"] {
                let r = try await c.post("/v1/financial_connections/accounts/\(fca)/refresh", "features[]=\(feature)")
                #expect(r.status == 400)
                #expect(r["error.code"] == "financial_connections_missing_permission")
            }
            #expect(try await c.get("/v1/financial_connections/transactions?account=\(fca)").status == 400)
            #expect(
                try await c.post("/v1/financial_connections/accounts/\(fca)/subscribe", "features[]=transactions")
                    .status == 400
            )
            #expect(
                try await c.post("/v1/financial_connections/accounts/\(fca)/refresh", "features[]=magic").status == 400
            )
            #expect(try await c.post("/v1/financial_connections/accounts/\(fca)/refresh", "").status == 400)
            #expect(try await c.get("/v1/financial_connections/accounts/fca_nope").status == 404)
        }
    }

    @Test func prefetchAndRefreshFailures() async throws {
        try await TestApp().run { c in
            let (_, s) = try await Self.seedSession(c, extra: "&prefetch[]=balances&prefetch[]=ownership")
            let done = try await c.post(
                "/v1/test_helpers/financial_connections/sessions/\(s.id)/complete",
                "institution=\(Self.bankNonOAuth)&accounts[]=everyday-checking&accounts[]=balance-refresh-fails"
            )
            #expect(done.status == 200, "\(done.text)")
            let accounts = done["accounts.data"]?.arrayValue ?? []
            let good =
                accounts.first { $0["display_name"]?.stringValue?.contains("Refresh") != true }?["id"]?.stringValue
                ?? ""
            let bad =
                accounts.first { $0["display_name"]?.stringValue?.contains("Refresh") == true }?["id"]?.stringValue
                ?? ""
            _ = try await c.poll("/v1/financial_connections/accounts/\(good)", "balance_refresh.status", "succeeded")
            _ = try await c.poll("/v1/financial_connections/accounts/\(good)", "ownership_refresh.status", "succeeded")
            let failed = try await c.poll(
                "/v1/financial_connections/accounts/\(bad)",
                "balance_refresh.status",
                "failed"
            )
            #expect(failed["balance"] == .null)
        }
    }

    @Test func inactiveAndDisconnectedAccounts() async throws {
        let app = try TestApp()
        try await app.run { c in
            let (_, s) = try await Self.seedSession(c)
            let done = try await c.post(
                "/v1/test_helpers/financial_connections/sessions/\(s.id)/complete",
                "institution=fcinst_SimInactiveAcc&accounts[]=inactive-checking"
            )
            let fca = try #require(done["accounts.data.0.id"]?.stringValue)
            app.clock.advance(by: 2)
            _ = try await c.poll("/v1/financial_connections/accounts/\(fca)", "status", "inactive")
            let refused = try await c.post("/v1/financial_connections/accounts/\(fca)/refresh", "features[]=balance")
            #expect(refused["error.code"] == "financial_connections_account_inactive")
            // Relinking the same account reactivates it.
            let again = try await c.post(
                "/v1/financial_connections/sessions",
                "account_holder[type]=customer&account_holder[customer]=\(done["account_holder.customer"]?.stringValue ?? "")&\(Self.allPermissions)"
            )
            let relinked = try await c.post(
                "/v1/test_helpers/financial_connections/sessions/\(again.id)/complete",
                "institution=fcinst_SimInactiveAcc&accounts[]=inactive-checking"
            )
            #expect(relinked["accounts.data.0.id"]?.stringValue == fca)
            #expect(relinked["accounts.data.0.status"] == "active")
            let types = try await c.eventTypes(for: fca)
            #expect(types.contains("financial_connections.account.deactivated"))
            #expect(types.contains("financial_connections.account.reactivated"))

            let disconnected = try await c.post("/v1/financial_connections/accounts/\(fca)/disconnect")
            #expect(disconnected["status"] == "disconnected")
            #expect(disconnected["balance"] == .null)
            #expect(
                try await c.post("/v1/financial_connections/accounts/\(fca)/refresh", "features[]=balance")[
                    "error.code"
                ]
                    == "financial_connections_account_inactive"
            )
            #expect(try await c.eventTypes(for: fca).last == "financial_connections.account.disconnected")
        }
    }

    @Test func linkedAccountPaysByACH() async throws {
        try await TestApp().run { c in
            let (cus, s) = try await Self.seedSession(c)
            let done = try await c.post(
                "/v1/test_helpers/financial_connections/sessions/\(s.id)/complete",
                "institution=\(Self.testOAuth)&accounts[]=checking-success&accounts[]=insufficient-funds"
            )
            let accounts = done["accounts.data"]?.arrayValue ?? []
            let success = accounts.first { $0["display_name"] == "Success" }?["id"]?.stringValue ?? ""
            let nsf = accounts.first { $0["display_name"] != "Success" }?["id"]?.stringValue ?? ""
            func pay(_ fca: String) async throws -> Reply {
                try await c.post(
                    "/v1/payment_intents",
                    "amount=2000&currency=usd&customer=\(cus)&payment_method_types[]=us_bank_account&payment_method_data[type]=us_bank_account&payment_method_data[us_bank_account][financial_connections_account]=\(fca)&payment_method_data[billing_details][name]=Jenny+Rosen&confirm=true&\(ACHTests.mandate)"
                )
            }
            let ok = try await pay(success)
            #expect(ok["status"] == "processing", "\(ok.text)")
            let pm = try await c.get("/v1/payment_methods/\(ok["payment_method"]?.stringValue ?? "")")
            #expect(pm["us_bank_account.financial_connections_account"]?.stringValue == success)
            #expect(pm["us_bank_account.bank_name"] == "STRIPE TEST BANK")
            _ = try await c.poll("/v1/payment_intents/\(ok.id)", "status", "succeeded")
            let bad = try await pay(nsf)
            let failed = try await c.poll("/v1/payment_intents/\(bad.id)", "status", "requires_payment_method")
            #expect(failed["last_payment_error.code"] == "insufficient_funds")
        }
    }

    @Test func institutionsHelperListsFixtures() async throws {
        try await TestApp().run { c in
            let r = try await c.get("/v1/test_helpers/financial_connections/institutions")
            #expect(r["object"] == "list")
            let list = r["data"]?.arrayValue ?? []
            #expect(list.count >= 10)
            let oauth = try #require(list.first { $0["id"]?.stringValue == Self.testOAuth })
            #expect(oauth["auth"] == "oauth")
            #expect(oauth["status"] == "up")
            let nsf = oauth["accounts"]?.arrayValue?.first { $0["id"] == "insufficient-funds" }
            #expect(nsf?["behavior"] == "ach:R01")
            #expect(list.contains { $0["status"] == "down_scheduled" })
        }
    }
}

import Foundation
import HTTPTypes
import Testing

@testable import StripeSim

/// ACH Direct Debit: PaymentMethods, PaymentIntents, SetupIntents, mandates, microdeposits and settlement.
@Suite(.timeLimit(.minutes(1))) struct ACHTests {
    static let mandate =
        "mandate_data[customer_acceptance][type]=online&mandate_data[customer_acceptance][online][ip_address]=127.0.0.1&mandate_data[customer_acceptance][online][user_agent]=curl"

    static func rawPM(_ account: String) -> String {
        "payment_method_data[type]=us_bank_account&payment_method_data[us_bank_account][routing_number]=110000000&payment_method_data[us_bank_account][account_number]=\(account)&payment_method_data[us_bank_account][account_holder_type]=individual&payment_method_data[billing_details][name]=Jenny+Rosen"
    }

    // MARK: PaymentMethods

    @Test func paymentMethodFromRawNumbers() async throws {
        try await TestApp().run { c in
            let pm = try await c.post(
                "/v1/payment_methods",
                "type=us_bank_account&us_bank_account[routing_number]=110000000&us_bank_account[account_number]=000123456789&us_bank_account[account_holder_type]=individual&billing_details[name]=Jenny+Rosen"
            )
            #expect(pm.status == 200, "\(pm.text)")
            #expect(pm.id.hasPrefix("pm_"))
            #expect(pm["us_bank_account.last4"] == "6789")
            #expect(pm["us_bank_account.bank_name"] == "STRIPE TEST BANK")
            #expect(pm["us_bank_account.routing_number"] == "110000000")
            #expect(pm["us_bank_account.account_type"] == "checking")
            #expect(pm["us_bank_account.networks.preferred"] == "ach")
            let again = try await c.post(
                "/v1/payment_methods",
                "type=us_bank_account&us_bank_account[routing_number]=110000000&us_bank_account[account_number]=000123456789&billing_details[name]=J"
            )
            #expect(again["us_bank_account.fingerprint"] == pm["us_bank_account.fingerprint"])
            #expect(!pm.text.contains("000123456789"))
        }
    }

    @Test(arguments: [
        (
            "us_bank_account[routing_number]=110000000&us_bank_account[account_number]=000123456789",
            "billing_details[name]", "parameter_missing"
        ),
        (
            "us_bank_account[routing_number]=123456789&us_bank_account[account_number]=000123456789&billing_details[name]=J",
            "us_bank_account[routing_number]", "routing_number_invalid"
        ),
        (
            "us_bank_account[routing_number]=110000000&us_bank_account[account_number]=12ab&billing_details[name]=J",
            "us_bank_account[account_number]", "account_number_invalid"
        ),
        (
            "us_bank_account[account_number]=000123456789&billing_details[name]=J", "us_bank_account[routing_number]",
            "parameter_missing"
        ),
        (
            "us_bank_account[financial_connections_account]=fca_nope&billing_details[name]=J",
            "us_bank_account[financial_connections_account]", "resource_missing"
        ),
    ])
    func badPaymentMethods(_ body: String, _ param: String, _ code: String) async throws {
        try await TestApp().run { c in
            let r = try await c.post("/v1/payment_methods", "type=us_bank_account&" + body)
            #expect(r.status == 400)
            #expect(r["error.param"]?.stringValue == param)
            #expect(r["error.code"]?.stringValue == code)
        }
    }

    @Test func attachListDetach() async throws {
        try await TestApp().run { c in
            let cus = try await c.post("/v1/customers", "name=J").id
            let pm = try await c.post(
                "/v1/payment_methods",
                "type=us_bank_account&us_bank_account[routing_number]=110000000&us_bank_account[account_number]=000123456789&billing_details[name]=J"
            ).id
            let attached = try await c.post("/v1/payment_methods/\(pm)/attach", "customer=\(cus)")
            #expect(attached["customer"]?.stringValue == cus)
            #expect(try await c.get("/v1/customers/\(cus)/payment_methods")["data.0.id"]?.stringValue == pm)
            #expect(try await c.get("/v1/payment_methods?customer=\(cus)")["data"]?.arrayValue?.count == 1)
            let detached = try await c.post("/v1/payment_methods/\(pm)/detach")
            #expect(detached["customer"] == .null)
            let again = try await c.post("/v1/payment_methods/\(pm)/attach", "customer=\(cus)")
            #expect(again.status == 400)
            #expect(try await c.post("/v1/payment_methods/\(pm)/detach").status == 400)
            #expect(try await c.eventTypes(for: pm) == ["payment_method.attached", "payment_method.detached"])
            #expect(try await c.post("/v1/payment_methods/\(pm)/attach", "").status == 400)
        }
    }

    // MARK: PaymentIntents

    @Test func testTokenPaymentSucceeds() async throws {
        try await TestApp().run { c in
            let cus = try await c.post("/v1/customers", "email=j%40example.com").id
            let pi = try await c.post(
                "/v1/payment_intents",
                "amount=1099&currency=usd&customer=\(cus)&payment_method_types[]=us_bank_account&payment_method=pm_usBankAccount_success&confirm=true&"
                    + Self.mandate
            )
            #expect(pi.status == 200, "\(pi.text)")
            #expect(pi["status"] == "processing")
            #expect(pi["client_secret"]?.stringValue?.hasPrefix(pi.id + "_secret_") == true)
            let charge = try #require(pi["latest_charge"]?.stringValue)
            #expect(charge.hasPrefix("py_"))
            let done = try await c.poll("/v1/payment_intents/\(pi.id)", "status", "succeeded")
            #expect(done["amount_received"] == 1099)
            let ch = try await c.get("/v1/charges/\(charge)")
            #expect(ch["status"] == "succeeded")
            #expect(ch["paid"] == true)
            #expect(ch["payment_method_details.us_bank_account.last4"] == "6789")
            let mandate = try #require(ch["payment_method_details.us_bank_account.mandate"]?.stringValue)
            let m = try await c.get("/v1/mandates/\(mandate)")
            #expect(m["status"] == "active")
            #expect(m["type"] == "single_use")
            #expect(m["customer_acceptance.online.ip_address"] == "127.0.0.1")
            #expect(
                try await c.eventTypes(for: pi.id) == [
                    "payment_intent.created", "payment_intent.processing", "payment_intent.succeeded",
                ]
            )
            #expect(try await c.eventTypes(for: charge) == ["charge.pending", "charge.succeeded"])
            let expanded = try await c.get(
                "/v1/payment_intents/\(pi.id)?expand[]=latest_charge&expand[]=customer&expand[]=payment_method"
            )
            #expect(expanded["latest_charge.object"] == "charge")
            #expect(expanded["customer.id"]?.stringValue == cus)
            #expect(expanded["payment_method.type"] == "us_bank_account")
        }
    }

    @Test(
        arguments: [
            ("000111111113", "account_closed", "bank_account_closed"),
            ("000111111116", "no_account", "bank_account_invalid_details"),
            ("000222222227", "insufficient_funds", nil),
            ("000333333335", "debit_not_authorized", "debit_not_authorized"),
            ("000444444440", "invalid_currency", nil),
        ] as [(String, String, String?)]
    )
    func returnedDebitsFail(_ account: String, _ code: String, _ block: String?) async throws {
        try await TestApp().run { c in
            let cus = try await c.post("/v1/customers", "name=J").id
            let pm = try await c.post(
                "/v1/payment_methods",
                "type=us_bank_account&us_bank_account[routing_number]=110000000&us_bank_account[account_number]=\(account)&billing_details[name]=J"
            ).id
            _ = try await c.post("/v1/payment_methods/\(pm)/attach", "customer=\(cus)")
            // Manually entered: microdeposits first.
            let pi = try await c.post(
                "/v1/payment_intents",
                "amount=2000&currency=usd&customer=\(cus)&payment_method=\(pm)&confirm=true&" + Self.mandate
            )
            #expect(pi["status"] == "requires_action")
            #expect(pi["next_action.type"] == "verify_with_microdeposits")
            #expect(pi["next_action.verify_with_microdeposits.microdeposit_type"] == "descriptor_code")
            let verified = try await c.post(
                "/v1/payment_intents/\(pi.id)/verify_microdeposits",
                "descriptor_code=SM11AA"
            )
            #expect(verified["status"] == "processing")
            let failed = try await c.poll("/v1/payment_intents/\(pi.id)", "status", "requires_payment_method")
            #expect(failed["last_payment_error.code"]?.stringValue == code)
            #expect(failed["last_payment_error.payment_method.id"]?.stringValue == pm)
            #expect(failed["payment_method"] == .null)
            let charge = try await c.get("/v1/charges/\(failed["latest_charge"]?.stringValue ?? "")")
            #expect(charge["status"] == "failed")
            #expect(charge["failure_code"]?.stringValue == code)
            let after = try await c.get("/v1/payment_methods/\(pm)")
            #expect(after["us_bank_account.status_details.blocked.reason"]?.stringValue == block)
            let types = try await c.eventTypes(for: pi.id)
            #expect(types.last == "payment_intent.payment_failed")
            if block != nil {
                // A blocked account cannot be debited again: 402 with a failed charge.
                let retry = try await c.post(
                    "/v1/payment_intents",
                    "amount=2000&currency=usd&customer=\(cus)&payment_method=\(pm)&confirm=true&" + Self.mandate
                )
                #expect(retry.status == 402)
                #expect(retry["error.code"] == "bank_account_unusable")
                #expect(retry["error.payment_intent.status"] == "requires_payment_method")
                let id = retry["error.payment_intent.id"]?.stringValue ?? ""
                #expect(
                    try await c.get("/v1/payment_intents/\(id)")["last_payment_error.code"] == "bank_account_unusable"
                )
                #expect(try await c.eventTypes(for: pm).contains("payment_method.automatically_updated"))
            }
        }
    }

    @Test func disputeAfterSuccessRevokesTheMandate() async throws {
        try await TestApp().run { c in
            let pi = try await c.post(
                "/v1/payment_intents",
                "amount=5000&currency=usd&payment_method=pm_usBankAccount_dispute&confirm=true&" + Self.mandate
            )
            _ = try await c.poll("/v1/payment_intents/\(pi.id)", "status", "succeeded")
            let charge = pi["latest_charge"]?.stringValue ?? ""
            _ = try await c.poll("/v1/charges/\(charge)", "disputed", true)
            let types = try await c.get("/v1/events?type=charge.dispute.*")["data"]?.arrayValue?.compactMap {
                $0["type"]?.stringValue
            }
            #expect(types == ["charge.dispute.closed", "charge.dispute.created"])
            let mandate =
                try await c.get("/v1/charges/\(charge)")["payment_method_details.us_bank_account.mandate"]?.stringValue
                ?? ""
            #expect(try await c.get("/v1/mandates/\(mandate)")["status"] == "inactive")
            #expect(try await c.get("/v1/payment_intents/\(pi.id)")["status"] == "succeeded")
        }
    }

    @Test func processingForeverCannotBeCanceled() async throws {
        let app = try TestApp()
        try await app.run { c in
            let pi = try await c.post(
                "/v1/payment_intents",
                "amount=5000&currency=usd&payment_method=pm_usBankAccount_processing&confirm=true&" + Self.mandate
            )
            #expect(pi["status"] == "processing")
            app.clock.advance(by: 30 * 86_400)
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await c.get("/v1/payment_intents/\(pi.id)")["status"] == "processing")
            let cancel = try await c.post("/v1/payment_intents/\(pi.id)/cancel")
            #expect(cancel.status == 400)
            #expect(cancel["error.code"] == "payment_intent_unexpected_state")
        }
    }

    @Test func settlementFollowsATestClockInBusinessDays() async throws {
        try await TestApp(settlementDelayMillis: 60_000).run { c in
            // 2026-01-05 is a Monday.
            let clock = try await c.post("/v1/test_helpers/test_clocks", "frozen_time=1767618000").id
            let cus = try await c.post("/v1/customers", "test_clock=\(clock)").id
            let pi = try await c.post(
                "/v1/payment_intents",
                "amount=1000&currency=usd&customer=\(cus)&payment_method=pm_usBankAccount_success&confirm=true&"
                    + Self.mandate
            )
            #expect(pi["status"] == "processing")
            #expect(pi["created"] == 1_767_618_000)
            // Every event of a clock customer's payment carries clock time, not wall time.
            let stamps = try await c.get("/v1/events?type=payment_intent.*")["data"]?.arrayValue?.compactMap {
                $0["created"]?.intValue
            }
            #expect(stamps == [1_767_618_000, 1_767_618_000])
            // Three days later (Thursday): still processing.
            _ = try await c.post(
                "/v1/test_helpers/test_clocks/\(clock)/advance",
                "frozen_time=\(1_767_618_000 + 3 * 86_400)"
            )
            _ = try await c.poll("/v1/test_helpers/test_clocks/\(clock)", "status", "ready")
            #expect(try await c.get("/v1/payment_intents/\(pi.id)")["status"] == "processing")
            // Five days later: T+4 business days has passed.
            _ = try await c.post(
                "/v1/test_helpers/test_clocks/\(clock)/advance",
                "frozen_time=\(1_767_618_000 + 5 * 86_400)"
            )
            _ = try await c.poll("/v1/test_helpers/test_clocks/\(clock)", "status", "ready")
            let done = try await c.get("/v1/payment_intents/\(pi.id)")
            #expect(done["status"] == "succeeded")
            let event = try await c.get("/v1/events?type=payment_intent.succeeded")["data.0"]
            #expect(event?["created"]?.intValue == 1_767_618_000 + 4 * 86_400)
            #expect(event?["request"]?["id"] == .null)
        }
    }

    @Test func disputesFollowTheClockFromTheSettlementTime() async throws {
        try await TestApp(settlementDelayMillis: 60_000).run { c in
            let start = 1_767_618_000  // Monday 2026-01-05
            let clock = try await c.post("/v1/test_helpers/test_clocks", "frozen_time=\(start)").id
            let cus = try await c.post("/v1/customers", "test_clock=\(clock)").id
            let pi = try await c.post(
                "/v1/payment_intents",
                "amount=1000&currency=usd&customer=\(cus)&payment_method=pm_usBankAccount_dispute&confirm=true&"
                    + Self.mandate
            )
            _ = try await c.post("/v1/test_helpers/test_clocks/\(clock)/advance", "frozen_time=\(start + 14 * 86_400)")
            _ = try await c.poll("/v1/test_helpers/test_clocks/\(clock)", "status", "ready")
            let succeeded = try await c.get("/v1/events?type=payment_intent.succeeded")["data.0.created"]?.intValue
            let disputed = try await c.get("/v1/events?type=charge.dispute.created")["data.0.created"]?.intValue
            #expect(succeeded == start + 4 * 86_400)  // Friday
            #expect(disputed == start + 7 * 86_400)  // the next business day: Monday
            #expect(try await c.get("/v1/charges/\(pi["latest_charge"]?.stringValue ?? "")")["disputed"] == true)
        }
    }

    @Test func returnsFollowTheClockTwoBusinessDays() async throws {
        try await TestApp(settlementDelayMillis: 60_000).run { c in
            let clock = try await c.post("/v1/test_helpers/test_clocks", "frozen_time=1767618000").id
            let cus = try await c.post("/v1/customers", "test_clock=\(clock)").id
            let pi = try await c.post(
                "/v1/payment_intents",
                "amount=1000&currency=usd&customer=\(cus)&payment_method=pm_usBankAccount_insufficientFunds&confirm=true&"
                    + Self.mandate
            )
            _ = try await c.post(
                "/v1/test_helpers/test_clocks/\(clock)/advance",
                "frozen_time=\(1_767_618_000 + 2 * 86_400 + 60)"
            )
            _ = try await c.poll("/v1/test_helpers/test_clocks/\(clock)", "status", "ready")
            let failed = try await c.get("/v1/payment_intents/\(pi.id)")
            #expect(failed["status"] == "requires_payment_method")
            #expect(failed["last_payment_error.code"] == "insufficient_funds")
        }
    }

    @Test func microdepositPaths() async throws {
        try await TestApp().run { c in
            func start() async throws -> String {
                try await c.post(
                    "/v1/payment_intents",
                    "amount=1000&currency=usd&confirm=true&\(Self.rawPM("000123456789"))&" + Self.mandate
                ).id
            }
            let ok = try await start()
            #expect(
                try await c.post("/v1/payment_intents/\(ok)/verify_microdeposits", "amounts[]=32&amounts[]=45")[
                    "status"
                ] == "processing"
            )

            let exceeded = try await start()
            let r = try await c.post("/v1/payment_intents/\(exceeded)/verify_microdeposits", "descriptor_code=SM33CC")
            #expect(r.status == 400)
            #expect(r["error.code"] == "payment_method_microdeposit_verification_attempts_exceeded")
            #expect(try await c.get("/v1/payment_intents/\(exceeded)")["status"] == "requires_payment_method")

            let timeout = try await start()
            #expect(
                try await c.post("/v1/payment_intents/\(timeout)/verify_microdeposits", "descriptor_code=SM44DD").status
                    == 200
            )
            let timedOut = try await c.poll("/v1/payment_intents/\(timeout)", "status", "requires_payment_method")
            #expect(timedOut["last_payment_error.code"] == "payment_method_microdeposit_verification_timeout")

            let mismatch = try await start()
            for remaining in [2, 1] {
                let m = try await c.post(
                    "/v1/payment_intents/\(mismatch)/verify_microdeposits",
                    "amounts[]=1&amounts[]=2"
                )
                #expect(m.status == 400)
                #expect(m["error.code"] == "payment_method_microdeposit_verification_amounts_mismatch")
                #expect(
                    m["error.message"]?.stringValue?.contains("You have \(remaining) verification attempts remaining.")
                        == true
                )
            }
            #expect(
                try await c.post("/v1/payment_intents/\(mismatch)/verify_microdeposits", "amounts[]=1&amounts[]=2")[
                    "error.code"
                ]
                    == "payment_method_microdeposit_verification_attempts_exceeded"
            )

            let code = try await start()
            let wrong = try await c.post("/v1/payment_intents/\(code)/verify_microdeposits", "descriptor_code=SM99ZZ")
            #expect(wrong["error.code"] == "payment_method_microdeposit_verification_descriptor_code_mismatch")
            #expect(wrong["error.message"]?.stringValue?.contains("9 verification attempts") == true)
            for bad in ["", "amounts[]=32", "amounts[]=32&amounts[]=45&descriptor_code=SM11AA"] {
                #expect(
                    try await c.post("/v1/payment_intents/\(code)/verify_microdeposits", bad)["error.code"]
                        == "payment_method_microdeposit_verification_amounts_invalid"
                )
            }
            let failSend = try await c.post(
                "/v1/payment_intents",
                "amount=1000&currency=usd&confirm=true&\(Self.rawPM("000666666661"))&" + Self.mandate
            )
            #expect(failSend["status"] == "requires_payment_method")
            #expect(failSend["last_payment_error.code"] == "payment_method_microdeposit_failed")
        }
    }

    @Test(arguments: [
        ("amount=1000&currency=eur&payment_method_types[]=us_bank_account", 400, "currency"),
        ("amount=49&currency=usd", 400, "amount"),
        ("currency=usd", 400, "amount"),
        ("amount=1000", 400, "currency"),
        ("amount=1000&currency=usd&capture_method=manual", 400, "capture_method"),
        ("amount=1000&currency=usd&customer=cus_nope", 400, "customer"),
        ("amount=1000&currency=usd&payment_method=pm_nope", 400, "payment_method"),
        ("amount=1000&currency=usd&" + ACHTests.mandate, 400, "mandate_data"),
        ("amount=1000&currency=usd&payment_method=pm_usBankAccount_success&confirm=true", 400, "mandate_data"),
        (
            "amount=1000&currency=usd&payment_method_types[]=card&payment_method=pm_usBankAccount_success", 400,
            "payment_method"
        ),
    ])
    func misusedPaymentIntents(_ body: String, _ status: Int, _ param: String) async throws {
        try await TestApp().run { c in
            let r = try await c.post("/v1/payment_intents", body)
            #expect(r.status == status, "\(r.text)")
            #expect(r["error.param"]?.stringValue == param)
        }
    }

    @Test func stateErrors() async throws {
        try await TestApp().run { c in
            let pi = try await c.post("/v1/payment_intents", "amount=1000&currency=usd")
            #expect(pi["status"] == "requires_payment_method")
            #expect(
                try await c.post("/v1/payment_intents/\(pi.id)/confirm")["error.code"]
                    == "payment_intent_unexpected_state"
            )
            #expect(
                try await c.post("/v1/payment_intents/\(pi.id)/verify_microdeposits", "descriptor_code=SM11AA")[
                    "error.code"
                ]
                    == "payment_intent_unexpected_state"
            )
            let updated = try await c.post(
                "/v1/payment_intents/\(pi.id)",
                "payment_method=pm_usBankAccount_success&metadata[k]=v"
            )
            #expect(updated["status"] == "requires_confirmation")
            let confirmed = try await c.post("/v1/payment_intents/\(pi.id)/confirm", Self.mandate)
            #expect(confirmed["status"] == "processing")
            #expect(
                try await c.post("/v1/payment_intents/\(pi.id)", "description=x")["error.code"]
                    == "payment_intent_unexpected_state"
            )
            let canceled = try await c.post("/v1/payment_intents", "amount=1000&currency=usd")
            let done = try await c.post("/v1/payment_intents/\(canceled.id)/cancel", "cancellation_reason=abandoned")
            #expect(done["status"] == "canceled")
            #expect(done["cancellation_reason"] == "abandoned")
            #expect(
                try await c.post("/v1/payment_intents/\(canceled.id)/cancel")["error.code"]
                    == "payment_intent_unexpected_state"
            )
            #expect(
                try await c.post("/v1/payment_intents/\(canceled.id)/confirm")["error.code"]
                    == "payment_intent_unexpected_state"
            )
            #expect(try await c.get("/v1/payment_intents/pi_nope").status == 404)
        }
    }

    @Test func publishableKeyNeedsTheClientSecret() async throws {
        try await TestApp().run { c in
            let pi = try await c.post("/v1/payment_intents", "amount=1000&currency=usd")
            let secret = pi["client_secret"]?.stringValue ?? ""
            let pk = c.with(key: "pk_test_alice")
            #expect(try await pk.get("/v1/payment_intents/\(pi.id)?client_secret=\(secret)").status == 200)
            #expect(try await pk.get("/v1/payment_intents/\(pi.id)?client_secret=wrong").status == 404)
            #expect(try await pk.get("/v1/payment_intents/\(pi.id)").status == 400)
            #expect(try await pk.post("/v1/payment_intents/\(pi.id)/cancel").status == 403)
        }
    }

    @Test func listSearchAndOldVersionsEmbedCharges() async throws {
        try await TestApp().run { c in
            let cus = try await c.post("/v1/customers", "name=J").id
            let pi = try await c.post(
                "/v1/payment_intents",
                "amount=1234&currency=usd&customer=\(cus)&metadata[order]=42&payment_method=pm_usBankAccount_success&confirm=true&"
                    + Self.mandate
            )
            _ = try await c.post("/v1/payment_intents", "amount=999&currency=usd")
            #expect(try await c.get("/v1/payment_intents?customer=\(cus)")["data"]?.arrayValue?.count == 1)
            #expect(try await c.get("/v1/payment_intents")["data"]?.arrayValue?.count == 2)
            let found = try await c.get(
                "/v1/payment_intents/search?query=" + "metadata['order']:'42' AND amount>1000".addingPercentEncoding(
                    withAllowedCharacters: .alphanumerics
                )!
            )
            #expect(found["data.0.id"]?.stringValue == pi.id)
            var h = HTTPFields()
            h[.stripeVersion] = "2020-08-27"
            let old = try await c.get("/v1/payment_intents/\(pi.id)", headers: h)
            #expect(old["charges.object"] == "list")
            #expect(old["charges.data.0.id"] == pi["latest_charge"])
            #expect(try await c.get("/v1/payment_intents/\(pi.id)")["charges"] == nil)
            #expect(try await c.get("/v1/charges?payment_intent=\(pi.id)")["data"]?.arrayValue?.count == 1)
        }
    }

    // MARK: SetupIntents

    @Test func setupIntentSavesAnAccountForLaterDebits() async throws {
        try await TestApp().run { c in
            let cus = try await c.post("/v1/customers", "name=J").id
            let si = try await c.post(
                "/v1/setup_intents",
                "customer=\(cus)&payment_method_types[]=us_bank_account&confirm=true&\(Self.rawPM("000123456789"))&"
                    + Self.mandate
            )
            #expect(si["status"] == "requires_action", "\(si.text)")
            let done = try await c.post("/v1/setup_intents/\(si.id)/verify_microdeposits", "amounts[]=32&amounts[]=45")
            #expect(done["status"] == "succeeded")
            let pm = try #require(done["payment_method"]?.stringValue)
            #expect(try await c.get("/v1/payment_methods/\(pm)")["customer"]?.stringValue == cus)
            let mandate = try await c.get("/v1/mandates/\(done["mandate"]?.stringValue ?? "")")
            #expect(mandate["type"] == "multi_use")
            #expect(mandate["status"] == "active")
            // Off-session debit with the saved mandate: no new mandate_data needed, already verified.
            let pi = try await c.post(
                "/v1/payment_intents",
                "amount=2500&currency=usd&customer=\(cus)&payment_method=\(pm)&confirm=true&off_session=true"
            )
            #expect(pi["status"] == "processing", "\(pi.text)")
            #expect(
                try await c.eventTypes(for: si.id) == [
                    "setup_intent.created", "setup_intent.requires_action", "setup_intent.succeeded",
                ]
            )
            let canceled = try await c.post("/v1/setup_intents", "customer=\(cus)")
            #expect(try await c.post("/v1/setup_intents/\(canceled.id)/cancel")["status"] == "canceled")
            #expect(
                try await c.post("/v1/setup_intents/\(canceled.id)/confirm")["error.code"]
                    == "setup_intent_unexpected_state"
            )
            #expect(try await c.get("/v1/setup_intents?customer=\(cus)")["data"]?.arrayValue?.count == 2)
        }
    }
}

/// Due work survives a restart: a debit confirmed before the restart settles after it, exactly once.
@Suite(.timeLimit(.minutes(1))) struct SettlementDurabilityTests {
    @Test func aRestartSettlesPendingDebitsOnce() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("ach.sqlite").path
        let created = Collected()
        // 1. Confirm; settlement is due in an hour, then the server stops.
        let first = try TestApp(ids: .random, databasePath: path, settlementDelayMillis: 3_600_000)
        try await first.run { c in
            let pi = try await c.post(
                "/v1/payment_intents",
                "amount=1000&currency=usd&payment_method=pm_usBankAccount_success&confirm=true&" + ACHTests.mandate
            )
            #expect(pi["status"] == "processing")
            created.append(pi.id)
        }
        // 2. A new server on the same file, two hours later: the job runs once.
        let second = try TestApp(ids: .random, databasePath: path, settlementDelayMillis: 3_600_000)
        second.clock.advance(by: 7200)
        try await second.run { c in
            let id = created.values[0]
            _ = try await c.poll("/v1/payment_intents/\(id)", "status", "succeeded")
            try await Task.sleep(for: .milliseconds(300))
            #expect(
                try await c.eventTypes(for: id) == [
                    "payment_intent.created", "payment_intent.processing", "payment_intent.succeeded",
                ]
            )
        }
        // 3. And a third start finds nothing left to do.
        let third = try TestApp(ids: .random, databasePath: path)
        third.clock.advance(by: 86_400)
        try await third.run { c in
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await c.get("/v1/events?type=payment_intent.succeeded")["data"]?.arrayValue?.count == 1)
        }
    }
}

import Foundation

/// The ACH Direct Debit state machine: PaymentMethods from bank details, confirmation (mandates, verification,
/// blocked accounts), the debit's settlement or return on the clock, disputes and microdeposits. Every function
/// runs inside the caller's transaction and records its events there.
package enum ACHEngine {
    package static let settleJob = "ach.settle"
    package static let disputeJob = "ach.dispute"
    package static let microdepositTimeoutJob = "ach.microdeposit_timeout"
    /// Stripe's minimum ACH debit, in cents.
    package static let minimumAmount = 50
    /// Microdeposits expire after ten days.
    package static let microdepositLifetimeDays = 10
    package static let microdepositLifetimeMillis = 10 * 86_400_000

    // MARK: Time

    /// Makes the request's events carry the clock's time when the object follows a test clock.
    package static func followClock(_ store: Store, _ clock: String?) throws {
        if clock != nil {
            store.eventTime = try now(store, clock: clock)
            store.eventClock = clock
        }
    }

    /// Now on the intent's test clock, or the server's now.
    package static func now(_ store: Store, clock: String?) throws -> Int {
        // Inside a clock's advance the job's own due time is the clock's present.
        if let clock, store.context.runningClock == clock { return store.now }
        if let clock, let c = try store.find(TestClock.self, clock), !c.deleted { return c.frozenTime }
        return store.now
    }

    /// Schedules `kind` for `target` `businessDays` after now on the clock — or, off any clock, after
    /// `offClockMillis` (default: the server's settlement delay).
    static func scheduleOnClock(
        _ store: Store,
        _ kind: String,
        target: String,
        clock: String?,
        businessDays: Int,
        payload: JSONValue = [:],
        offClockMillis: Int? = nil
    ) throws {
        if let clock, try store.find(TestClock.self, clock).map({ !$0.deleted }) == true {
            let due = BusinessDays.add(businessDays, to: try now(store, clock: clock))
            try store.schedule(kind, target: target, dueAtMillis: due * 1000, testClock: clock, payload: payload)
        } else {
            try store.schedule(
                kind,
                target: target,
                dueAtMillis: store.context.nowMillis + (offClockMillis ?? store.context.achSettlementDelayMillis),
                payload: payload
            )
        }
    }

    // MARK: PaymentMethods

    /// Creates a PaymentMethod from `type=us_bank_account` data (raw numbers or a Financial Connections account).
    package static func createPaymentMethod(
        _ p: Params,
        store: Store,
        prefix: String = "",
        customer: String? = nil,
        customerAccount: String? = nil
    ) throws -> PaymentMethod {
        func name(_ n: String) -> String { prefix.isEmpty ? n : "\(prefix)[\(n)]" }
        guard let bank = p.hash("us_bank_account") else { throw StripeError.parameterMissing(name("us_bank_account")) }
        let billing = PaymentMethod.billingJSON(p.hash("billing_details"))
        var pm: PaymentMethod
        if let fcaID = bank.string("financial_connections_account") {
            for raw in ["routing_number", "account_number"] where bank.has(raw) {
                throw StripeError.invalidRequest(
                    "You cannot pass \(raw) together with financial_connections_account.",
                    param: name("us_bank_account[\(raw)]")
                )
            }
            let fca = try store.get(
                FCAccount.self,
                fcaID,
                param: name("us_bank_account[financial_connections_account]")
            )
            guard fca.permissions.contains("payment_method") else {
                throw StripeError.invalidRequest(
                    "The Financial Connections account \(fcaID) was not linked with the `payment_method` permission, so it cannot be used to create a PaymentMethod.",
                    param: name("us_bank_account[financial_connections_account]")
                )
            }
            guard fca.supportedPaymentMethodTypes.contains("us_bank_account"), let routing = fca.routingNumber,
                let account = fca.accountNumber
            else {
                throw StripeError.invalidRequest(
                    "The Financial Connections account \(fcaID) does not support the us_bank_account payment method type.",
                    param: name("us_bank_account[financial_connections_account]")
                )
            }
            if fca.status != .active {
                throw StripeError(
                    status: 400,
                    code: "financial_connections_account_inactive",
                    message:
                        "The Financial Connections account \(fcaID) is \(fca.status.rawValue) and cannot be used to create a PaymentMethod.",
                    param: name("us_bank_account[financial_connections_account]")
                )
            }
            pm = PaymentMethod(
                id: store.ids.make("pm"),
                created: store.now,
                customer: customer,
                customerAccount: customerAccount,
                billingDetails: billing,
                accountHolderType: bank.string("account_holder_type") ?? "individual",
                accountType: fca.subcategory == "savings" ? "savings" : "checking",
                bankName: bankName(routing: routing, institution: fca.institutionName),
                financialConnectionsAccount: fca.id,
                routingNumber: routing,
                accountNumber: account,
                script: fca.debitScript,
                verified: true
            )
        } else {
            guard let routing = bank.string("routing_number") else {
                throw StripeError.parameterMissing(name("us_bank_account[routing_number]"))
            }
            guard let account = bank.string("account_number") else {
                throw StripeError.parameterMissing(name("us_bank_account[account_number]"))
            }
            guard DebitScript.isValidRoutingNumber(routing) else {
                throw StripeError(
                    status: 400,
                    code: "routing_number_invalid",
                    message: "Routing number must have 9 digits and be a valid ABA routing number.",
                    param: name("us_bank_account[routing_number]")
                )
            }
            guard DebitScript.isValidAccountNumber(account) else {
                throw StripeError(
                    status: 400,
                    code: "account_number_invalid",
                    message: "The account number must contain only digits, and be between 4 and 17 digits long.",
                    param: name("us_bank_account[account_number]")
                )
            }
            pm = PaymentMethod(
                id: store.ids.make("pm"),
                created: store.now,
                customer: customer,
                customerAccount: customerAccount,
                billingDetails: billing,
                accountHolderType: bank.string("account_holder_type"),
                accountType: bank.string("account_type") ?? "checking",
                bankName: bankName(routing: routing, institution: nil),
                financialConnectionsAccount: nil,
                routingNumber: routing,
                accountNumber: account,
                script: DebitScript.forRawNumbers(routing: routing, account: account),
                verified: false
            )
        }
        if billing["name"]?.stringValue?.isEmpty ?? true {
            throw StripeError(
                status: 400,
                code: "parameter_missing",
                message:
                    "Missing required param: \(name("billing_details[name]")). A name is required for us_bank_account PaymentMethods.",
                param: name("billing_details[name]")
            )
        }
        if let m = p.metadataUpdate() { pm.metadata = m.applied(to: [:]) }
        if let r = p.string("allow_redisplay") { pm.allowRedisplay = r }
        try store.insert(pm)
        return pm
    }

    /// `payment_method` (an id or test token) or `payment_method_data` (exclusive): the PaymentMethod an intent
    /// will use, resolved or created; nil when neither was sent.
    package static func paymentMethodParam(_ p: Params, store: Store) throws -> PaymentMethod? {
        if p.has("payment_method") && p.has("payment_method_data") {
            throw StripeError.parametersExclusive("payment_method", "payment_method_data")
        }
        if let data = p.hash("payment_method_data") {
            return try createPaymentMethod(data, store: store, prefix: "payment_method_data")
        }
        if let id = p.string("payment_method") {
            return try resolvePaymentMethod(id, store: store, param: "payment_method")
        }
        return nil
    }

    /// An intent's `payment_method_options` with `payment_method_options[us_bank_account]` merged in.
    package static func mergedOptions(_ current: JSONValue, _ p: Params) -> JSONValue {
        guard let options = p.hash("payment_method_options"), case .object(let bank)? = options.json("us_bank_account")
        else { return current }
        var out = current
        var merged = current["us_bank_account"] ?? ["mandate_options": [:], "verification_method": "automatic"]
        for (k, v) in bank { merged[k] = v }
        out["us_bank_account"] = merged
        return out
    }

    static func bankName(routing: String, institution: String?) -> String {
        routing == DebitScript.testRoutingNumber ? "STRIPE TEST BANK" : (institution ?? "UNKNOWN BANK").uppercased()
    }

    /// A PaymentMethod id — or one of Stripe's test tokens (`pm_usBankAccount_success`…), which makes a new,
    /// already verified PaymentMethod as Stripe does.
    package static func resolvePaymentMethod(_ id: String, store: Store, param: String) throws -> PaymentMethod {
        if let account = DebitScript.testTokens[id] {
            let pm = PaymentMethod(
                id: store.ids.make("pm"),
                created: store.now,
                billingDetails: PaymentMethod.billingJSON(Params(["name": .string("Jenny Rosen")])),
                accountHolderType: "individual",
                accountType: "checking",
                bankName: "STRIPE TEST BANK",
                financialConnectionsAccount: nil,
                routingNumber: DebitScript.testRoutingNumber,
                accountNumber: account,
                script: DebitScript.forRawNumbers(routing: DebitScript.testRoutingNumber, account: account),
                verified: true
            )
            try store.insert(pm)
            return pm
        }
        return try store.get(PaymentMethod.self, id, param: param)
    }

    /// Attaches to a customer (v1 or v2); emits `payment_method.attached`.
    package static func attach(
        _ pm: inout PaymentMethod,
        customer: String?,
        customerAccount: String?,
        store: Store
    ) throws {
        if pm.customer == customer && pm.customerAccount == customerAccount
            && (customer != nil || customerAccount != nil)
        {
            return
        }
        if pm.detached {
            throw StripeError.invalidRequest(
                "This PaymentMethod was previously used without being attached to a Customer or was detached from a Customer, and may not be used again.",
                param: "payment_method",
                code: "payment_method_unexpected_state"
            )
        }
        if pm.customer != nil || pm.customerAccount != nil {
            throw StripeError.invalidRequest(
                "The payment method you provided has already been attached to a customer.",
                param: "payment_method",
                code: "payment_method_unexpected_state"
            )
        }
        pm.customer = customer
        pm.customerAccount = customerAccount
        try store.update(pm)
        try store.emit("payment_method.attached", pm.render())
    }

    // MARK: Confirmation

    /// The mandate a confirmation uses: `mandate` (an existing active one for this PaymentMethod),
    /// `mandate_data` (a new one), or an existing multi-use mandate for an off-session payment.
    static func mandate(
        for pm: PaymentMethod,
        params p: Params,
        multiUse: Bool,
        amount: Int?,
        currency: String?,
        store: Store,
        pending: Bool
    ) throws -> Mandate {
        if let id = p.string("mandate") {
            let m = try store.get(Mandate.self, id, param: "mandate")
            guard m.paymentMethod == pm.id, m.status == "active" else {
                throw StripeError.invalidRequest(
                    "The mandate \(id) is not an active mandate for the PaymentMethod \(pm.id).",
                    param: "mandate"
                )
            }
            return m
        }
        if let data = p.hash("mandate_data") {
            var m = Mandate(
                id: store.ids.make("mandate"),
                created: store.now,
                paymentMethod: pm.id,
                customerAcceptance: try Mandate.acceptance(data, now: store.now),
                multiUse: multiUse,
                amount: multiUse ? nil : amount,
                currency: multiUse ? nil : currency
            )
            if pending { m.status = "pending" }
            try store.insert(m)
            return m
        }
        if let existing = try store.all(Mandate.self, where: [.equals("paymentMethod", .text(pm.id))])
            .first(where: { $0.status == "active" && $0.multiUse })
        {
            return existing
        }
        throw StripeError(
            status: 400,
            code: "parameter_missing",
            message:
                "A mandate is required to confirm with a us_bank_account PaymentMethod. Pass mandate_data[customer_acceptance] (or a mandate id) when confirming.",
            param: "mandate_data"
        )
    }

    /// Confirms a PaymentIntent whose PaymentMethod is set: blocked accounts fail with a 402, unverified
    /// accounts wait for microdeposits, verified ones start the debit.
    package static func confirm(_ pi: inout PaymentIntent, params p: Params, store: Store) throws {
        guard let pmID = pi.paymentMethod else {
            throw StripeError(
                status: 400,
                code: "payment_intent_unexpected_state",
                message:
                    "You cannot confirm this PaymentIntent because it's missing a payment method. You can either update the PaymentIntent with a payment method and then confirm it again, or confirm it again directly with a payment method."
            )
        }
        var pm = try store.get(PaymentMethod.self, pmID, param: "payment_method")
        if let owner = pm.customer, let customer = pi.customer, owner != customer {
            throw StripeError.invalidRequest(
                "The provided PaymentMethod belongs to another Customer. Use the Customer it is attached to.",
                param: "payment_method",
                code: "payment_method_invalid_parameter"
            )
        }
        if pm.blocked != nil {
            try failBeforeDebit(&pi, pm: pm, code: "bank_account_unusable", store: store, createCharge: true)
            throw bankAccountUnusable(["payment_intent": pi.render(), "charge": .optional(pi.latestCharge)])
        }
        if pi.verificationMethod == "instant" && !pm.verified {
            throw StripeError.invalidRequest(
                "verification_method=instant requires a PaymentMethod created from a Financial Connections account.",
                param: "payment_method_options[us_bank_account][verification_method]",
                code: "payment_intent_invalid_parameter"
            )
        }
        let multiUse = pi.setupFutureUsage != nil
        let mandate = try mandate(
            for: pm,
            params: p,
            multiUse: multiUse,
            amount: pi.amount,
            currency: pi.currency,
            store: store,
            pending: !pm.verified
        )
        pi.mandate = mandate.id
        pi.lastPaymentError = nil
        if pm.verified {
            try startDebit(&pi, pm: &pm, store: store)
            return
        }
        // Manually entered numbers: microdeposits first.
        if pm.script.microdepositsFail {
            try failBeforeDebit(
                &pi,
                pm: pm,
                code: "payment_method_microdeposit_failed",
                store: store,
                createCharge: false
            )
            return
        }
        let now = try now(store, clock: pi.testClock)
        pi.microdeposits = Microdeposits(
            arrivalDate: BusinessDays.add(1, to: now),
            hostedVerificationURL: "https://payments.stripe.com/microdeposit/pacs_test_\(store.ids.token(24))"
        )
        pi.status = .requiresAction
        try store.update(pi)
        try store.emit("payment_intent.requires_action", pi.render())
        try scheduleOnClock(
            store,
            microdepositTimeoutJob,
            target: pi.id,
            clock: pi.testClock,
            businessDays: microdepositLifetimeDays,
            offClockMillis: microdepositLifetimeMillis
        )
    }

    /// A new charge (`py_…`) of `pi`'s amount on `pm`, at `now`.
    private static func newCharge(
        _ pi: PaymentIntent,
        _ pm: PaymentMethod,
        now: Int,
        store: Store,
        details: JSONValue,
        outcome: JSONValue
    ) -> Charge {
        Charge(
            id: "py_" + store.ids.token(24),
            created: now,
            amount: pi.amount,
            currency: pi.currency,
            customer: pi.customer,
            description: pi.description,
            paymentIntent: pi.id,
            paymentMethod: pm.id,
            billingDetails: pm.billingDetails,
            paymentMethodDetails: details,
            outcome: outcome,
            metadata: pi.metadata
        )
    }

    /// `processing`: a pending charge and the settlement job.
    static func startDebit(_ pi: inout PaymentIntent, pm: inout PaymentMethod, store: Store) throws {
        let now = try now(store, clock: pi.testClock)
        if var mandate = try pi.mandate.flatMap({ try store.find(Mandate.self, $0) }), mandate.status == "pending" {
            mandate.status = "active"
            try store.update(mandate)
        }
        var charge = newCharge(
            pi,
            pm,
            now: now,
            store: store,
            details: pm.chargeDetails(
                mandate: pi.mandate,
                expectedDebitDate: BusinessDays.dateString(BusinessDays.add(pm.script.businessDays, to: now))
            ),
            outcome: Charge.pendingOutcome
        )
        charge.receiptEmail = pi.receiptEmail
        charge.statementDescriptor = pi.statementDescriptor
        try store.insert(charge)
        pi.latestCharge = charge.id
        pi.charges.append(charge.id)
        pi.status = .processing
        pi.microdeposits = nil
        try store.cancelJobs(target: pi.id, kinds: [microdepositTimeoutJob])
        try store.update(pi)
        try store.emit("payment_intent.processing", pi.render())
        try store.emit("charge.pending", charge.render())
        if pi.setupFutureUsage != nil, pi.customer != nil || pi.customerAccount != nil {
            try attach(&pm, customer: pi.customer, customerAccount: pi.customerAccount, store: store)
        }
        if pm.script.kind != .processing {
            try scheduleOnClock(
                store,
                settleJob,
                target: pi.id,
                clock: pi.testClock,
                businessDays: pm.script.businessDays
            )
        }
    }

    /// Back to `requires_payment_method` before any debit (blocked account, microdeposits failed).
    static func failBeforeDebit(
        _ pi: inout PaymentIntent,
        pm: PaymentMethod,
        code: String,
        store: Store,
        createCharge: Bool
    ) throws {
        let now = try now(store, clock: pi.testClock)
        var chargeID: String?
        if createCharge {
            var charge = newCharge(
                pi,
                pm,
                now: now,
                store: store,
                details: pm.chargeDetails(mandate: nil, expectedDebitDate: BusinessDays.dateString(now)),
                outcome: [
                    "network_status": "not_sent_to_network", "reason": "bank_account_unusable",
                    "risk_level": "not_assessed",
                    "seller_message": "The bank account is blocked after an earlier return.", "type": "invalid",
                ]
            )
            charge.status = "failed"
            charge.failureCode = code
            charge.failureMessage = errorMessage(code)
            try store.insert(charge)
            chargeID = charge.id
            pi.latestCharge = charge.id
            pi.charges.append(charge.id)
            try store.emit("charge.failed", charge.render())
        }
        pi.lastPaymentError = paymentError(code: code, pm: pm, charge: chargeID)
        pi.paymentMethod = nil
        pi.status = .requiresPaymentMethod
        pi.microdeposits = nil
        try store.cancelJobs(target: pi.id, kinds: [microdepositTimeoutJob])
        try store.update(pi)
        try store.emit("payment_intent.payment_failed", pi.render())
    }

    /// Confirming with a blocked bank account: Stripe's 402, keeping the failed attempt it records.
    static func bankAccountUnusable(_ extra: [String: JSONValue]) -> StripeError {
        StripeError(
            status: 402,
            type: "card_error",
            code: "bank_account_unusable",
            message:
                "The bank account associated with this PaymentMethod is unusable: an earlier debit was returned. Collect a new bank account from the customer.",
            param: "payment_method",
            extra: extra
        ).committing
    }

    static func errorMessage(_ code: String) -> String {
        switch code {
        case "bank_account_unusable": "The bank account associated with this PaymentMethod is unusable."
        case "payment_method_microdeposit_failed":
            "Microdeposits could not be sent to the bank account. Collect a new bank account from the customer."
        case "payment_method_microdeposit_verification_attempts_exceeded":
            "You have exceeded the number of allowed verification attempts."
        case "payment_method_microdeposit_verification_timeout":
            "Payment method should be verified with microdeposits within the required period."
        default: DebitScript.failureMessage(code)
        }
    }

    /// The `last_payment_error` / `last_setup_error` object.
    static func paymentError(code: String, pm: PaymentMethod, charge: String?) -> JSONValue {
        var e: JSONValue = [
            "type": code.hasPrefix("payment_method_microdeposit") ? "invalid_request_error" : "card_error",
            "code": .string(code), "message": .string(errorMessage(code)),
            "doc_url": .string("https://stripe.com/docs/error-codes/\(code.replacingOccurrences(of: "_", with: "-"))"),
            "payment_method": pm.render(), "payment_method_type": "us_bank_account",
        ]
        if let charge { e["charge"] = .string(charge) }
        return e
    }

    // MARK: Settlement (jobs)

    /// The bank's answer for a processing debit: settle, or return it.
    package static func settle(_ store: Store, _ job: Job) throws {
        guard var pi = try store.find(PaymentIntent.self, job.target), pi.status == .processing,
            let chargeID = pi.latestCharge, var charge = try store.find(Charge.self, chargeID),
            var pm = try store.find(PaymentMethod.self, charge.paymentMethod)
        else { return }
        switch pm.script.kind {
        case .processing:
            return
        case .success, .dispute:
            charge.status = "succeeded"
            charge.balanceTransaction = "txn_" + store.ids.token(24)
            charge.outcome["seller_message"] = "Payment complete."
            try store.update(charge)
            pi.status = .succeeded
            pi.amountReceived = pi.amount
            try store.update(pi)
            try store.emit("charge.succeeded", charge.render(), automatic: true)
            try store.emit("payment_intent.succeeded", pi.render(), automatic: true)
            if pm.script.kind == .dispute {
                try scheduleOnClock(store, disputeJob, target: pi.id, clock: pi.testClock, businessDays: 1)
            }
        case .returned:
            let code = pm.script.failureCode ?? "insufficient_funds"
            charge.status = "failed"
            charge.failureCode = code
            charge.failureMessage = DebitScript.failureMessage(code)
            charge.outcome = [
                "network_status": "declined_by_network",
                "reason": .optional(pm.script.returnCode.map { "ach_return_\($0)" }),
                "risk_level": "not_assessed", "seller_message": .string(DebitScript.failureMessage(code)),
                "type": "issuer_declined",
            ]
            try store.update(charge)
            if let reason = pm.script.blockReason {
                pm.blocked = PaymentMethod.Block(networkCode: pm.script.returnCode, reason: reason)
                try store.update(pm)
                if pm.customer != nil || pm.customerAccount != nil {
                    try store.emit("payment_method.automatically_updated", pm.render(), automatic: true)
                }
                if reason == "debit_not_authorized" { try revokeMandate(pi.mandate, store: store) }
            }
            pi.lastPaymentError = paymentError(code: code, pm: pm, charge: charge.id)
            pi.paymentMethod = nil
            pi.status = .requiresPaymentMethod
            try store.update(pi)
            try store.emit("charge.failed", charge.render(), automatic: true)
            try store.emit("payment_intent.payment_failed", pi.render(), automatic: true)
        }
    }

    /// A dispute after success: `charge.dispute.created`, then `closed` (ACH disputes are final); the mandate is
    /// revoked; a second dispute on the same account blocks it.
    package static func dispute(_ store: Store, _ job: Job) throws {
        guard let pi = try store.find(PaymentIntent.self, job.target), let chargeID = pi.latestCharge,
            var charge = try store.find(Charge.self, chargeID), !charge.disputed,
            var pm = try store.find(PaymentMethod.self, charge.paymentMethod)
        else { return }
        charge.disputed = true
        try store.update(charge)
        var dispute: JSONValue = [
            "id": .string("du_" + store.ids.token(24)), "object": "dispute", "amount": .int(charge.amount),
            "balance_transactions": [], "charge": .string(charge.id), "created": .int(store.now),
            "currency": .string(charge.currency),
            "evidence_details": ["due_by": nil, "has_evidence": false, "past_due": false, "submission_count": 0],
            "is_charge_refundable": false, "livemode": false, "metadata": [:], "payment_intent": .string(pi.id),
            "payment_method_details": ["type": "us_bank_account"], "reason": "debit_not_authorized",
            "status": "needs_response",
        ]
        try store.emit("charge.dispute.created", dispute, automatic: true)
        dispute["status"] = "lost"
        try store.emit("charge.dispute.closed", dispute, automatic: true)
        let earlier = try store.all(Charge.self).filter {
            $0.paymentMethod == pm.id && $0.disputed && $0.id != charge.id
        }
        try revokeMandate(pi.mandate, store: store)
        if !earlier.isEmpty, pm.blocked == nil {
            pm.blocked = PaymentMethod.Block(networkCode: "R10", reason: "debit_not_authorized")
            try store.update(pm)
            try store.emit("payment_method.automatically_updated", pm.render(), automatic: true)
        }
    }

    static func revokeMandate(_ id: String?, store: Store) throws {
        guard let id, var mandate = try store.find(Mandate.self, id), mandate.status != "inactive" else { return }
        let before = mandate.render()
        mandate.status = "inactive"
        try store.update(mandate)
        try store.emit("mandate.updated", mandate.render(), previous: before, automatic: true)
    }

    // MARK: Microdeposits

    package enum VerifyOutcome {
        case verified, exceeded, timeout
        case mismatch(String)
    }

    /// Checks `amounts[]` or `descriptor_code` against Stripe's test values and the attempt limits.
    package static func checkMicrodeposits(_ p: Params, _ md: inout Microdeposits) throws -> VerifyOutcome {
        let amounts = p["amounts"].flatMap { v -> [Int]? in
            if case .array(let a) = v { return a.compactMap { if case .int(let i) = $0 { i } else { nil } } }
            return nil
        }
        let code = p.string("descriptor_code")
        switch (amounts, code) {
        case (nil, nil), (.some, .some):
            throw StripeError(
                status: 400,
                code: "payment_method_microdeposit_verification_amounts_invalid",
                message: "Provide either amounts (two integers, in cents) or descriptor_code, but not both.",
                param: "amounts"
            )
        case (let a?, nil):
            guard a.count == 2 else {
                throw StripeError(
                    status: 400,
                    code: "payment_method_microdeposit_verification_amounts_invalid",
                    message: "Exactly two amounts must be provided; you provided \(a.count).",
                    param: "amounts"
                )
            }
            switch a.sorted() {
            case [32, 45]: return .verified
            case [10, 11]: return .exceeded
            case [40, 41]: return .timeout
            default:
                md.amountAttemptsLeft -= 1
                if md.amountAttemptsLeft <= 0 { return .exceeded }
                return .mismatch(
                    "The amounts provided do not match the amounts that were sent to the bank account. You have \(md.amountAttemptsLeft) verification attempts remaining."
                )
            }
        case (nil, let c?):
            switch c {
            case "SM11AA": return .verified
            case "SM33CC": return .exceeded
            case "SM44DD": return .timeout
            default:
                md.descriptorAttemptsLeft -= 1
                if md.descriptorAttemptsLeft <= 0 { return .exceeded }
                return .mismatch(
                    "The verification code provided does not match the code sent to the bank account. You have \(md.descriptorAttemptsLeft) verification attempts remaining."
                )
            }
        }
    }

    /// `POST /v1/payment_intents/:id/verify_microdeposits`.
    package static func verifyMicrodeposits(_ pi: inout PaymentIntent, params p: Params, store: Store) throws {
        guard pi.status == .requiresAction, var md = pi.microdeposits, let pmID = pi.paymentMethod else {
            throw StripeError(
                status: 400,
                code: "payment_intent_unexpected_state",
                message:
                    "This PaymentIntent's verify_microdeposits action is not allowed: its status is \(pi.status.rawValue), not requires_action with verify_with_microdeposits."
            )
        }
        var pm = try store.get(PaymentMethod.self, pmID, param: "payment_method")
        switch try checkMicrodeposits(p, &md) {
        case .verified:
            pm.verified = true
            try store.update(pm)
            try startDebit(&pi, pm: &pm, store: store)
        case .exceeded:
            let code = "payment_method_microdeposit_verification_attempts_exceeded"
            try failBeforeDebit(&pi, pm: pm, code: code, store: store, createCharge: false)
            throw StripeError(
                status: 400,
                code: code,
                message: errorMessage(code),
                extra: ["payment_intent": pi.render()]
            ).committing
        case .timeout:
            try store.schedule(microdepositTimeoutJob, target: pi.id, dueAtMillis: store.context.nowMillis)
        case .mismatch(let message):
            pi.microdeposits = md
            try store.update(pi)
            throw mismatch(p, message, intent: ["payment_intent": pi.render()])
        }
    }

    /// A wrong microdeposit guess: a 400 that keeps the used-up attempt.
    static func mismatch(_ p: Params, _ message: String, intent: [String: JSONValue]) -> StripeError {
        let amounts = p.has("amounts")
        return StripeError(
            status: 400,
            code: amounts
                ? "payment_method_microdeposit_verification_amounts_mismatch"
                : "payment_method_microdeposit_verification_descriptor_code_mismatch",
            message: message,
            param: amounts ? "amounts" : "descriptor_code",
            extra: intent
        ).committing
    }

    /// Microdeposits were not verified in time.
    package static func microdepositTimeout(_ store: Store, _ job: Job) throws {
        if var pi = try store.find(PaymentIntent.self, job.target) {
            guard pi.status == .requiresAction, let pmID = pi.paymentMethod,
                let pm = try store.find(PaymentMethod.self, pmID)
            else { return }
            try failBeforeDebit(
                &pi,
                pm: pm,
                code: "payment_method_microdeposit_verification_timeout",
                store: store,
                createCharge: false
            )
        } else if var si = try store.find(SetupIntent.self, job.target) {
            guard si.status == .requiresAction, let pmID = si.paymentMethod,
                let pm = try store.find(PaymentMethod.self, pmID)
            else { return }
            try SetupEngine.fail(&si, pm: pm, code: "payment_method_microdeposit_verification_timeout", store: store)
        }
    }
}

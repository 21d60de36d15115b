import Foundation

/// The SetupIntent state machine: saving a bank account for later debits, with the same verification paths as
/// PaymentIntents (instant, microdeposits, blocked accounts).
package enum SetupEngine {
    /// Confirms a SetupIntent whose PaymentMethod is set.
    package static func confirm(_ si: inout SetupIntent, params p: Params, store: Store) throws {
        guard let pmID = si.paymentMethod else {
            throw StripeError(
                status: 400,
                code: "setup_intent_unexpected_state",
                message:
                    "You cannot confirm this SetupIntent because it's missing a payment method. Update the SetupIntent with a payment method and then confirm it again."
            )
        }
        var pm = try store.get(PaymentMethod.self, pmID, param: "payment_method")
        if pm.blocked != nil {
            try fail(&si, pm: pm, code: "bank_account_unusable", store: store)
            throw ACHEngine.bankAccountUnusable(["setup_intent": si.render()])
        }
        if si.verificationMethod == "instant" && !pm.verified {
            throw StripeError.invalidRequest(
                "verification_method=instant requires a PaymentMethod created from a Financial Connections account.",
                param: "payment_method_options[us_bank_account][verification_method]",
                code: "setup_intent_invalid_parameter"
            )
        }
        let mandate = try ACHEngine.mandate(
            for: pm,
            params: p,
            multiUse: true,
            amount: nil,
            currency: nil,
            store: store,
            pending: !pm.verified
        )
        si.mandate = mandate.id
        si.lastSetupError = nil
        if pm.verified {
            try succeed(&si, pm: &pm, store: store)
            return
        }
        if pm.script.microdepositsFail {
            try fail(&si, pm: pm, code: "payment_method_microdeposit_failed", store: store)
            return
        }
        let clock = try customerClock(si, store: store)
        si.microdeposits = Microdeposits(
            arrivalDate: BusinessDays.add(1, to: try ACHEngine.now(store, clock: clock)),
            hostedVerificationURL: "https://payments.stripe.com/microdeposit/sacs_test_\(store.ids.token(24))"
        )
        si.status = .requiresAction
        try store.update(si)
        try store.emit("setup_intent.requires_action", si.render())
        try ACHEngine.scheduleOnClock(
            store,
            ACHEngine.microdepositTimeoutJob,
            target: si.id,
            clock: clock,
            businessDays: ACHEngine.microdepositLifetimeDays,
            offClockMillis: ACHEngine.microdepositLifetimeMillis
        )
    }

    static func customerClock(_ si: SetupIntent, store: Store) throws -> String? {
        try AccountHolder(type: "customer", customer: si.customer, customerAccount: si.customerAccount).testClock(
            in: store
        )
    }

    static func succeed(_ si: inout SetupIntent, pm: inout PaymentMethod, store: Store) throws {
        if var mandate = try si.mandate.flatMap({ try store.find(Mandate.self, $0) }), mandate.status == "pending" {
            mandate.status = "active"
            try store.update(mandate)
        }
        si.status = .succeeded
        si.microdeposits = nil
        try store.cancelJobs(target: si.id, kinds: [ACHEngine.microdepositTimeoutJob])
        try store.update(si)
        if si.customer != nil || si.customerAccount != nil {
            try ACHEngine.attach(&pm, customer: si.customer, customerAccount: si.customerAccount, store: store)
        }
        try store.emit("setup_intent.succeeded", si.render())
    }

    static func fail(_ si: inout SetupIntent, pm: PaymentMethod, code: String, store: Store) throws {
        si.lastSetupError = ACHEngine.paymentError(code: code, pm: pm, charge: nil)
        si.paymentMethod = nil
        si.status = .requiresPaymentMethod
        si.microdeposits = nil
        try store.cancelJobs(target: si.id, kinds: [ACHEngine.microdepositTimeoutJob])
        try store.update(si)
        try store.emit("setup_intent.setup_failed", si.render())
    }

    /// `POST /v1/setup_intents/:id/verify_microdeposits`.
    package static func verifyMicrodeposits(_ si: inout SetupIntent, params p: Params, store: Store) throws {
        guard si.status == .requiresAction, var md = si.microdeposits, let pmID = si.paymentMethod else {
            throw StripeError(
                status: 400,
                code: "setup_intent_unexpected_state",
                message:
                    "This SetupIntent's verify_microdeposits action is not allowed: its status is \(si.status.rawValue), not requires_action with verify_with_microdeposits."
            )
        }
        var pm = try store.get(PaymentMethod.self, pmID, param: "payment_method")
        switch try ACHEngine.checkMicrodeposits(p, &md) {
        case .verified:
            pm.verified = true
            try store.update(pm)
            try succeed(&si, pm: &pm, store: store)
        case .exceeded:
            let code = "payment_method_microdeposit_verification_attempts_exceeded"
            try fail(&si, pm: pm, code: code, store: store)
            throw StripeError(
                status: 400,
                code: code,
                message: ACHEngine.errorMessage(code),
                extra: ["setup_intent": si.render()]
            ).committing
        case .timeout:
            try store.schedule(ACHEngine.microdepositTimeoutJob, target: si.id, dueAtMillis: store.context.nowMillis)
        case .mismatch(let message):
            si.microdeposits = md
            try store.update(si)
            throw ACHEngine.mismatch(p, message, intent: ["setup_intent": si.render()])
        }
    }
}

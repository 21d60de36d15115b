import Foundation

/// Microdeposit verification in progress (`next_action.verify_with_microdeposits`).
package struct Microdeposits: Codable, Sendable, Equatable {
    package var type = "descriptor_code"
    package var arrivalDate: Int
    package var hostedVerificationURL: String
    /// Wrong guesses left: 10 for descriptor codes, 3 for amounts (Stripe's limits).
    package var descriptorAttemptsLeft = 10
    package var amountAttemptsLeft = 3

    package var nextAction: JSONValue {
        [
            "type": "verify_with_microdeposits",
            "verify_with_microdeposits": [
                "arrival_date": .int(arrivalDate), "hosted_verification_url": .string(hostedVerificationURL),
                "microdeposit_type": .string(type),
            ],
        ]
    }
}

/// The statuses PaymentIntents and SetupIntents share.
package enum IntentStatus: String, Codable, Sendable {
    case requiresPaymentMethod = "requires_payment_method"
    case requiresConfirmation = "requires_confirmation"
    case requiresAction = "requires_action"
    case processing, succeeded, canceled

    /// The statuses in which an intent can still be updated or canceled.
    package var isOpen: Bool { [.requiresPaymentMethod, .requiresConfirmation, .requiresAction].contains(self) }
}

/// A PaymentIntent (`pi_`) paid by ACH Direct Debit. Status changes happen only through `ACHEngine`.
package struct PaymentIntent: StoredResource, Equatable {
    package static let table = "paymentIntent"
    package static let objectName = "payment_intent"

    package typealias Status = IntentStatus

    package var id: String
    package var created: Int
    package var clientSecret: String
    package var amount: Int
    package var currency: String
    package var customer: String?
    package var customerAccount: String?
    package var description: String?
    package var metadata: [String: String] = [:]
    package var paymentMethod: String?
    package var paymentMethodTypes: [String]
    package var automaticPaymentMethods: JSONValue?
    package var paymentMethodOptions: JSONValue
    package var setupFutureUsage: String?
    package var status: Status
    package var latestCharge: String?
    package var charges: [String] = []
    package var lastPaymentError: JSONValue?
    package var microdeposits: Microdeposits?
    package var canceledAt: Int?
    package var cancellationReason: String?
    package var amountReceived = 0
    package var receiptEmail: String?
    package var statementDescriptor: String?
    package var shipping: JSONValue?
    package var mandate: String?
    /// The test clock of the customer, fixed at creation: settlement follows it.
    package var testClock: String?

    package var columns: [String: IndexValue] {
        ["customer": .text(customer), "customerAccount": .text(customerAccount), "status": .text(status.rawValue)]
    }

    package static func defaultOptions(verification: String = "automatic") -> JSONValue {
        ["us_bank_account": ["mandate_options": [:], "verification_method": .string(verification)]]
    }

    package var verificationMethod: String {
        paymentMethodOptions["us_bank_account"]?["verification_method"]?.stringValue ?? "automatic"
    }

    /// The wire shape. `charges` (the embedded list) only for API versions before 2022-11-15.
    package func render(embeddedCharges: [JSONValue]? = nil) -> JSONValue {
        var out: JSONValue = [
            "id": .string(id), "object": "payment_intent",
            "amount": .int(amount), "amount_capturable": 0, "amount_details": ["tip": [:]],
            "amount_received": .int(amountReceived),
            "application": nil, "application_fee_amount": nil,
            "automatic_payment_methods": automaticPaymentMethods ?? .null,
            "canceled_at": .optional(canceledAt), "cancellation_reason": .optional(cancellationReason),
            "capture_method": "automatic",
            "client_secret": .string(clientSecret),
            "confirmation_method": "automatic",
            "created": .int(created),
            "currency": .string(currency),
            "customer": .optional(customer),
            "customer_account": .optional(customerAccount),
            "description": .optional(description),
            "excluded_payment_method_types": nil,
            "last_payment_error": lastPaymentError ?? .null,
            "latest_charge": .optional(latestCharge),
            "livemode": false,
            "metadata": .stringMap(metadata),
            "next_action": status == .requiresAction ? (microdeposits?.nextAction ?? .null) : .null,
            "on_behalf_of": nil,
            "payment_method": .optional(paymentMethod),
            "payment_method_configuration_details": nil,
            "payment_method_options": paymentMethodOptions,
            "payment_method_types": .strings(paymentMethodTypes),
            "processing": nil,
            "receipt_email": .optional(receiptEmail),
            "review": nil,
            "setup_future_usage": .optional(setupFutureUsage),
            "shipping": shipping ?? .null,
            "source": nil,
            "statement_descriptor": .optional(statementDescriptor),
            "statement_descriptor_suffix": nil,
            "status": .string(status.rawValue),
            "transfer_data": nil,
            "transfer_group": nil,
        ]
        if let embeddedCharges {
            out["charges"] = [
                "object": "list", "data": .array(embeddedCharges), "has_more": false,
                "total_count": .int(embeddedCharges.count), "url": .string("/v1/charges?payment_intent=\(id)"),
            ]
        }
        return out
    }
}

/// A SetupIntent (`seti_`) saving a bank account for later debits.
package struct SetupIntent: StoredResource, Equatable {
    package static let table = "setupIntent"
    package static let objectName = "setup_intent"

    package typealias Status = IntentStatus

    package var id: String
    package var created: Int
    package var clientSecret: String
    package var customer: String?
    package var customerAccount: String?
    package var description: String?
    package var metadata: [String: String] = [:]
    package var paymentMethod: String?
    package var paymentMethodTypes: [String]
    package var automaticPaymentMethods: JSONValue?
    package var paymentMethodOptions: JSONValue
    package var usage: String
    package var status: Status
    package var lastSetupError: JSONValue?
    package var microdeposits: Microdeposits?
    package var mandate: String?
    package var cancellationReason: String?
    package var flowDirections: [String]?

    package var columns: [String: IndexValue] {
        ["customer": .text(customer), "customerAccount": .text(customerAccount), "paymentMethod": .text(paymentMethod)]
    }

    package var verificationMethod: String {
        paymentMethodOptions["us_bank_account"]?["verification_method"]?.stringValue ?? "automatic"
    }

    package func render() -> JSONValue {
        [
            "id": .string(id), "object": "setup_intent",
            "application": nil, "attach_to_self": false,
            "automatic_payment_methods": automaticPaymentMethods ?? .null,
            "cancellation_reason": .optional(cancellationReason),
            "client_secret": .string(clientSecret),
            "created": .int(created),
            "customer": .optional(customer),
            "customer_account": .optional(customerAccount),
            "description": .optional(description),
            "flow_directions": flowDirections.map(JSONValue.strings) ?? .null,
            "last_setup_error": lastSetupError ?? .null,
            "latest_attempt": nil,
            "livemode": false,
            "mandate": .optional(mandate),
            "metadata": .stringMap(metadata),
            "next_action": status == .requiresAction ? (microdeposits?.nextAction ?? .null) : .null,
            "on_behalf_of": nil,
            "payment_method": .optional(paymentMethod),
            "payment_method_configuration_details": nil,
            "payment_method_options": paymentMethodOptions,
            "payment_method_types": .strings(paymentMethodTypes),
            "single_use_mandate": nil,
            "status": .string(status.rawValue),
            "usage": .string(usage),
        ]
    }
}

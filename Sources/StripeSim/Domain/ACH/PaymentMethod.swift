import Foundation

/// A `us_bank_account` PaymentMethod (`pm_`): from a linked Financial Connections account (instantly verified),
/// from raw routing/account numbers (verified by microdeposits), or from a Stripe test token.
package struct PaymentMethod: StoredResource, Equatable {
    package static let table = "paymentMethod"
    package static let objectName = "payment_method"

    package struct Block: Codable, Sendable, Equatable {
        package var networkCode: String?
        package var reason: String
    }

    package var id: String
    package var created: Int
    package var customer: String?
    package var customerAccount: String?
    package var billingDetails: JSONValue
    package var metadata: [String: String] = [:]
    package var allowRedisplay = "unspecified"
    package var accountHolderType: String?
    package var accountType: String?
    package var bankName: String
    package var financialConnectionsAccount: String?
    package var routingNumber: String
    package var accountNumber: String
    /// What the bank does with debits from this account.
    package var script: DebitScript
    /// Instantly verified (Financial Connections, test tokens) or verified by microdeposits.
    package var verified: Bool
    package var blocked: Block?
    /// Detached PaymentMethods cannot be attached again.
    package var detached = false

    package var columns: [String: IndexValue] {
        ["customer": .text(customer), "customerAccount": .text(customerAccount)]
    }

    package var last4: String { String(accountNumber.suffix(4)) }
    package var fingerprint: String { DebitScript.fingerprint(routing: routingNumber, account: accountNumber) }

    package func render() -> JSONValue {
        var statusDetails: JSONValue = [:]
        if let blocked {
            statusDetails = [
                "blocked": ["network_code": .optional(blocked.networkCode), "reason": .string(blocked.reason)]
            ]
        }
        return [
            "id": .string(id), "object": "payment_method",
            "allow_redisplay": .string(allowRedisplay),
            "billing_details": billingDetails,
            "created": .int(created),
            "customer": .optional(customer),
            "customer_account": .optional(customerAccount),
            "livemode": false,
            "metadata": .stringMap(metadata),
            "type": "us_bank_account",
            "us_bank_account": [
                "account_holder_type": .optional(accountHolderType),
                "account_type": .optional(accountType),
                "bank_name": .string(bankName),
                "financial_connections_account": .optional(financialConnectionsAccount),
                "fingerprint": .string(fingerprint),
                "last4": .string(last4),
                "networks": ["preferred": "ach", "supported": ["ach"]],
                "routing_number": .string(routingNumber),
                "status_details": statusDetails,
            ],
        ]
    }

    /// The `payment_method_details.us_bank_account` of a charge from this PaymentMethod.
    package func chargeDetails(mandate: String?, expectedDebitDate: String) -> JSONValue {
        [
            "type": "us_bank_account",
            "us_bank_account": [
                "account_holder_type": .optional(accountHolderType), "account_type": .optional(accountType),
                "bank_name": .string(bankName), "expected_debit_date": .string(expectedDebitDate),
                "fingerprint": .string(fingerprint), "last4": .string(last4), "mandate": .optional(mandate),
                "payment_reference": nil, "routing_number": .string(routingNumber),
            ],
        ]
    }

    // MARK: Parameters

    package static let billingSchema: ParamSchema = [
        "address": .hash(Customer.addressSchema).isEmptyable, "email": .string(max: 800).isEmptyable,
        "name": .string(max: 5000).isEmptyable, "phone": .string(max: 5000).isEmptyable,
        "tax_id": .string(max: 5000),
    ]

    package static let usBankAccountSchema: ParamSchema = [
        "account_holder_type": .oneOf("individual", "company"), "account_number": .string(max: 5000),
        "account_type": .oneOf("checking", "savings"), "financial_connections_account": .string(max: 5000),
        "routing_number": .string(max: 5000),
    ]

    /// `payment_method_data` / `POST /v1/payment_methods` parameters.
    package static let dataSchema: ParamSchema = [
        "type": Param.oneOf("us_bank_account").isRequired,
        "us_bank_account": .hash(usBankAccountSchema),
        "billing_details": .hash(billingSchema),
        "metadata": .metadata,
        "allow_redisplay": .oneOf("always", "limited", "unspecified"),
    ]

    package static func billingJSON(_ p: Params?) -> JSONValue {
        let p = p ?? Params()
        return [
            "address": Customer.addressJSON(p.hash("address") ?? Params(), over: nil),
            "email": .optional(p.string("email")), "name": .optional(p.string("name")),
            "phone": .optional(p.string("phone")), "tax_id": .optional(p.string("tax_id")),
        ]
    }
}

/// A mandate (`mandate_`): the customer's authorisation to debit.
package struct Mandate: StoredResource, Equatable {
    package static let table = "mandate"
    package static let objectName = "mandate"

    package var id: String
    package var created: Int
    package var paymentMethod: String
    package var customerAcceptance: JSONValue
    package var multiUse: Bool
    package var amount: Int?
    package var currency: String?
    package var status = "active"

    package var columns: [String: IndexValue] { ["paymentMethod": .text(paymentMethod)] }

    /// The wire shape: only the matching one of `multi_use` / `single_use` is present.
    package func render() -> JSONValue {
        var out: JSONValue = [
            "id": .string(id), "object": "mandate",
            "customer_acceptance": customerAcceptance,
            "livemode": false,
            "payment_method": .string(paymentMethod),
            "payment_method_details": ["type": "us_bank_account", "us_bank_account": ["collection_method": nil]],
            "status": .string(status),
            "type": multiUse ? "multi_use" : "single_use",
        ]
        if multiUse {
            out["multi_use"] = [:]
        } else {
            out["single_use"] = ["amount": .optional(amount), "currency": .optional(currency)]
        }
        return out
    }

    package static let dataSchema: ParamSchema = [
        "customer_acceptance": Param.hash([
            "type": Param.oneOf("online", "offline").isRequired,
            "accepted_at": .integer,
            "online": .hash([
                "ip_address": Param.string(max: 5000).isRequired, "user_agent": Param.string(max: 5000).isRequired,
            ]),
            "offline": .hash([:]),
        ]).isRequired
    ]

    /// `customer_acceptance` from `mandate_data`.
    package static func acceptance(_ p: Params, now: Int) throws(StripeError) -> JSONValue {
        let a = p.hash("customer_acceptance") ?? Params()
        let type = a.string("type") ?? "online"
        var out: JSONValue = ["type": .string(type), "accepted_at": .int(a.int("accepted_at") ?? now)]
        if type == "online" {
            guard let online = a.hash("online") else {
                throw .parameterMissing("mandate_data[customer_acceptance][online]")
            }
            out["online"] = [
                "ip_address": .optional(online.string("ip_address")),
                "user_agent": .optional(online.string("user_agent")),
            ]
        } else {
            out["offline"] = [:]
        }
        return out
    }
}

/// An ACH charge (`py_`) under a PaymentIntent.
package struct Charge: StoredResource, Equatable {
    package static let table = "charge"
    package static let objectName = "charge"

    package var id: String
    package var created: Int
    package var amount: Int
    package var currency: String
    package var customer: String?
    package var description: String?
    package var paymentIntent: String
    package var paymentMethod: String
    package var billingDetails: JSONValue
    package var paymentMethodDetails: JSONValue
    package var status = "pending"
    package var failureCode: String?
    package var failureMessage: String?
    package var outcome: JSONValue
    package var disputed = false
    package var balanceTransaction: String?
    package var metadata: [String: String] = [:]
    package var receiptEmail: String?
    package var statementDescriptor: String?
    package var refunded = false

    package var columns: [String: IndexValue] { ["customer": .text(customer), "paymentIntent": .text(paymentIntent)] }

    package static let pendingOutcome: JSONValue = [
        "network_status": "approved_by_network", "reason": nil, "risk_level": "not_assessed",
        "seller_message": "Payment complete.", "type": "authorized",
    ]

    package func render() -> JSONValue {
        [
            "id": .string(id), "object": "charge",
            "amount": .int(amount), "amount_captured": .int(status == "failed" ? 0 : amount), "amount_refunded": 0,
            "application": nil, "application_fee": nil, "application_fee_amount": nil,
            "balance_transaction": .optional(balanceTransaction),
            "billing_details": billingDetails,
            "calculated_statement_descriptor": .optional(statementDescriptor),
            "captured": .bool(status != "failed"),
            "created": .int(created),
            "currency": .string(currency),
            "customer": .optional(customer),
            "description": .optional(description),
            "disputed": .bool(disputed),
            "failure_balance_transaction": nil,
            "failure_code": .optional(failureCode),
            "failure_message": .optional(failureMessage),
            "fraud_details": [:],
            "livemode": false,
            "metadata": .stringMap(metadata),
            "on_behalf_of": nil,
            "outcome": outcome,
            "paid": .bool(status == "succeeded"),
            "payment_intent": .string(paymentIntent),
            "payment_method": .string(paymentMethod),
            "payment_method_details": paymentMethodDetails,
            "receipt_email": .optional(receiptEmail),
            "receipt_number": nil,
            "receipt_url": nil,
            "refunded": .bool(refunded),
            "review": nil,
            "shipping": nil,
            "source": nil,
            "source_transfer": nil,
            "statement_descriptor": .optional(statementDescriptor),
            "statement_descriptor_suffix": nil,
            "status": .string(status),
            "transfer_data": nil,
            "transfer_group": nil,
        ]
    }
}

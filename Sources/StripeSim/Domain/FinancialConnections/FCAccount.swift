import Foundation

/// A linked Financial Connections account (`fca_`). Its data (balance, ownership, transactions) is filled by
/// asynchronous refreshes from the fixture bank account it was linked from.
package struct FCAccount: StoredResource, Equatable {
    package static let table = "fcAccount"
    package static let objectName = "financial_connections.account"

    package enum Status: String, Codable, Sendable { case active, inactive, disconnected }

    /// One feature's refresh state (`balance_refresh`, …).
    package struct Refresh: Codable, Sendable, Equatable {
        package var id: String?
        package var status: String
        package var lastAttemptedAt: Int
        package var nextRefreshAvailableAt: Int?

        package func render() -> JSONValue {
            var out: JSONValue = [
                "status": .string(status), "last_attempted_at": .int(lastAttemptedAt),
                "next_refresh_available_at": .optional(nextRefreshAvailableAt),
            ]
            if let id { out["id"] = .string(id) }
            return out
        }
    }

    package var id: String
    package var created: Int
    package var session: String
    package var accountHolder: AccountHolder
    package var institutionID: String
    package var institutionName: String
    package var fixtureID: String
    package var displayName: String
    package var category: String
    package var subcategory: String
    package var last4: String
    package var routingNumber: String?
    package var accountNumber: String?
    package var permissions: [String]
    package var status = Status.active
    package var supportedPaymentMethodTypes: [String]
    package var balance: JSONValue?
    package var balanceRefresh: Refresh?
    package var ownership: String?
    package var ownershipRefresh: Refresh?
    package var transactionRefresh: Refresh?
    /// Every successful transaction refresh, oldest first (for `transaction_refresh[after]`).
    package var transactionRefreshIDs: [String] = []
    package var subscriptions: [String] = []
    package var accountNumbers: JSONValue?
    package var statusDetails: JSONValue = [:]
    /// What the bank does with ACH debits from this account (from its fixture's script at link time).
    package var debitScript: DebitScript = .success

    package var columns: [String: IndexValue] {
        [
            "session": .text(session), "customer": .text(accountHolder.customer),
            "customerAccount": .text(accountHolder.customerAccount), "connectAccount": .text(accountHolder.account),
            "status": .text(status.rawValue),
        ]
    }

    package func render() -> JSONValue {
        [
            "id": .string(id), "object": "financial_connections.account",
            "account_holder": accountHolder.render(),
            "account_numbers": accountNumbers ?? .null,
            "balance": status == .disconnected ? .null : (balance ?? .null),
            "balance_refresh": balanceRefresh?.render() ?? .null,
            "category": .string(category),
            "created": .int(created),
            "display_name": .string(displayName),
            "institution": .string(institutionID),
            "institution_name": .string(institutionName),
            "last4": .string(last4),
            "livemode": false,
            "ownership": .optional(ownership),
            "ownership_refresh": ownershipRefresh?.render() ?? .null,
            "permissions": .strings(permissions),
            "status": .string(status.rawValue),
            "status_details": statusDetails,
            "subcategory": .string(subcategory),
            "subscriptions": .strings(subscriptions),
            "supported_payment_method_types": .strings(supportedPaymentMethodTypes),
            "transaction_refresh": transactionRefresh?.render() ?? .null,
        ]
    }

    /// The permission a data feature needs.
    package static func permission(for feature: String) -> String {
        switch feature {
        case "balance": "balances"
        case "ownership": "ownership"
        default: "transactions"
        }
    }

    package func requirePermission(_ permission: String, for what: String) throws(StripeError) {
        guard permissions.contains(permission) else {
            throw StripeError(
                status: 400,
                code: "financial_connections_missing_permission",
                message:
                    "You cannot access \(what) on the Financial Connections account \(id) because the `\(permission)` permission was not requested when it was linked. Request it in permissions[] when creating the Financial Connections Session.",
                param: "features"
            )
        }
    }

    /// Refresh and subscribe need an active account.
    package func requireActive() throws(StripeError) {
        switch status {
        case .active: return
        case .inactive:
            throw StripeError(
                status: 400,
                code: "financial_connections_account_inactive",
                message: "Data cannot be refreshed on inactive Financial Connections accounts."
            )
        case .disconnected:
            throw StripeError(
                status: 400,
                code: "financial_connections_account_inactive",
                message: "Data cannot be refreshed on disconnected Financial Connections accounts."
            )
        }
    }
}

/// An ownership snapshot (`fcaowns_`) with its owners (`fcaown_`).
package struct FCOwnership: StoredResource, Equatable {
    package static let table = "fcOwnership"
    package static let objectName = "financial_connections.account_ownership"

    package struct Owner: Codable, Sendable, Equatable {
        package var id: String
        package var name: String
        package var email: String?
        package var phone: String?
        package var rawAddress: String?
    }

    package var id: String
    package var created: Int
    package var account: String
    package var owners: [Owner]

    package var columns: [String: IndexValue] { ["fcAccount": .text(account)] }

    package func renderOwner(_ o: Owner) -> JSONValue {
        [
            "id": .string(o.id), "object": "financial_connections.account_owner", "name": .string(o.name),
            "email": .optional(o.email), "phone": .optional(o.phone), "raw_address": .optional(o.rawAddress),
            "ownership": .string(id), "refreshed_at": .int(created),
        ]
    }

    package func render() -> JSONValue {
        [
            "id": .string(id), "object": "financial_connections.account_ownership", "created": .int(created),
            "owners": [
                "object": "list", "data": .array(owners.map(renderOwner)), "has_more": false,
                "url": .string("/v1/financial_connections/accounts/\(account)/owners?ownership=\(id)"),
            ],
        ]
    }
}

/// A transaction (`fctxn_`) of a linked account.
package struct FCTransaction: StoredResource, Equatable {
    package static let table = "fcTransaction"
    package static let objectName = "financial_connections.transaction"

    package var id: String
    package var created: Int
    package var account: String
    /// The fixture's stable key: later refreshes update this transaction instead of adding a copy.
    package var key: String
    package var amount: Int
    package var currency: String
    package var description: String
    package var status: String
    package var postedAt: Int?
    package var voidAt: Int?
    package var transactedAt: Int
    package var transactionRefresh: String
    /// Position of `transactionRefresh` in the account's refresh history.
    package var refreshIndex: Int
    package var updated: Int

    package var columns: [String: IndexValue] {
        ["fcAccount": .text(account), "transactedAt": .int(transactedAt), "refreshIndex": .int(refreshIndex)]
    }

    package func render() -> JSONValue {
        [
            "id": .string(id), "object": "financial_connections.transaction",
            "account": .string(account), "amount": .int(amount), "currency": .string(currency),
            "description": .string(description), "livemode": false, "status": .string(status),
            "status_transitions": ["posted_at": .optional(postedAt), "void_at": .optional(voidAt)],
            "transacted_at": .int(transactedAt), "transaction_refresh": .string(transactionRefresh),
            "updated": .int(updated),
        ]
    }
}

import Foundation

/// A Financial Connections Session (`fcsess_`): what a user is asked to share, completed once by the hosted
/// flow or the test helper; `accounts` then lists what was linked.
package struct FCSession: StoredResource, Equatable {
    package static let table = "fcSession"
    package static let objectName = "financial_connections.session"
    package static let permissions = ["balances", "ownership", "payment_method", "transactions"]
    package static let prefetchable = ["balances", "ownership", "transactions"]
    package static let subcategories = ["checking", "savings", "mortgage", "line_of_credit", "credit_card"]

    package enum Status: String, Codable, Sendable { case pending, succeeded, failed, cancelled }

    package var id: String
    package var created: Int
    package var clientSecret: String
    package var accountHolder: AccountHolder
    package var permissions: [String]
    package var prefetch: [String]
    package var countries: [String]?
    package var accountSubcategories: [String]?
    package var returnURL: String?
    package var status = Status.pending
    package var accountIDs: [String] = []
    /// For OAuth denials and failures: why the session ended without accounts.
    package var failureReason: String?

    package var columns: [String: IndexValue] {
        ["clientSecret": .text(clientSecret), "status": .text(status.rawValue)]
    }

    package var isCompleted: Bool { status != .pending }

    /// The wire shape; `accounts` are the linked accounts, already rendered.
    package func render(accounts: [JSONValue]) -> JSONValue {
        var out: [String: JSONValue] = [
            "id": .string(id), "object": "financial_connections.session",
            "account_holder": accountHolder.render(),
            "accounts": [
                "object": "list", "data": .array(accounts), "has_more": false,
                "total_count": .int(accounts.count), "url": "/v1/financial_connections/accounts",
            ],
            "client_secret": .string(clientSecret),
            "livemode": false,
            "permissions": .strings(permissions),
            "prefetch": .strings(prefetch),
            "status": .string(status.rawValue),
        ]
        var filters: [String: JSONValue] = [:]
        if let countries { filters["countries"] = .strings(countries) }
        if let accountSubcategories { filters["account_subcategories"] = .strings(accountSubcategories) }
        if !filters.isEmpty { out["filters"] = .object(filters) }
        if let returnURL { out["return_url"] = .string(returnURL) }
        if status == .cancelled {
            out["status_details"] = ["cancelled": ["reason": "other"]]
        }
        return .object(out)
    }
}

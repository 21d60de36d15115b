import Foundation

/// Whose bank accounts a session links: a v1 customer, a v2 account acting as a customer
/// (`customer_account`), or a Connect account.
package struct AccountHolder: Codable, Sendable, Equatable {
    package var type: String
    package var customer: String?
    package var customerAccount: String?
    package var account: String?

    package func render() -> JSONValue {
        var out: [String: JSONValue] = ["type": .string(type)]
        if let customer { out["customer"] = .string(customer) }
        if let customerAccount { out["customer_account"] = .string(customerAccount) }
        if let account { out["account"] = .string(account) }
        return .object(out)
    }

    package static let schema: ParamSchema = [
        "type": Param.oneOf("account", "customer").isRequired,
        "customer": .string(max: 5000),
        "customer_account": .string(max: 5000),
        "account": .string(max: 5000),
    ]

    /// Validates `account_holder[...]` and that what it names exists in this account.
    package static func from(_ p: Params, store: Store, prefix: String = "account_holder") throws -> AccountHolder {
        let type = p.string("type") ?? "customer"
        let holder = AccountHolder(
            type: type,
            customer: p.string("customer"),
            customerAccount: p.string("customer_account"),
            account: p.string("account")
        )
        switch type {
        case "customer":
            if holder.account != nil {
                throw StripeError.invalidRequest(
                    "You cannot set account_holder[account] when account_holder[type] is customer.",
                    param: "\(prefix)[account]"
                )
            }
            if holder.customer != nil && holder.customerAccount != nil {
                throw StripeError.invalidRequest(
                    "You may only specify one of account_holder[customer] and account_holder[customer_account].",
                    param: "\(prefix)[customer]"
                )
            }
            if let c = holder.customer {
                let customer = try store.get(Customer.self, c, param: "\(prefix)[customer]")
                if customer.deleted { throw StripeError.resourceMissing("customer", c, param: "\(prefix)[customer]") }
            } else if let a = holder.customerAccount {
                let account = try store.get(V2Account.self, a, param: "\(prefix)[customer_account]")
                if account.closed || account.customer == nil {
                    throw StripeError.invalidRequest(
                        "The account \(a) has no active customer configuration; apply configuration.customer to use it as customer_account.",
                        param: "\(prefix)[customer_account]"
                    )
                }
            } else {
                throw StripeError.parameterMissing("\(prefix)[customer]")
            }
        default:
            if holder.customer != nil || holder.customerAccount != nil {
                throw StripeError.invalidRequest(
                    "You cannot set account_holder[customer] when account_holder[type] is account.",
                    param: "\(prefix)[customer]"
                )
            }
            guard holder.account != nil else { throw StripeError.parameterMissing("\(prefix)[account]") }
        }
        return holder
    }

    /// The test clock governing this holder's objects, if any (v1 customer or v2 customer configuration).
    package func testClock(in store: Store) throws -> String? {
        if let c = customer { return try store.find(Customer.self, c)?.testClock }
        if let a = customerAccount { return try store.find(V2Account.self, a)?.testClock }
        return nil
    }
}

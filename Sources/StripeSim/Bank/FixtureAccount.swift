import Foundation

/// One account a fixture institution offers in the flow; linking it creates a `financial_connections.account`.
package struct FixtureAccount: Codable, Sendable, Equatable, Identifiable {
    /// Fixture id: short, stable, url-safe (`checking-success`). Unique within its institution; used by the
    /// test helper's `accounts[]` and the flow's `data-testid="account-<id>"`.
    package var id: String
    package var displayName: String
    package var category: Category
    package var subcategory: Subcategory
    package var last4: String
    /// ABA routing number; required when the account supports `us_bank_account`.
    package var routingNumber: String?
    /// Account number (4–17 digits); required when the account supports `us_bank_account`.
    package var accountNumber: String?
    /// Overrides the institution's name as the FC account's `institution_name`.
    package var institutionName: String?
    package var supportedPaymentMethodTypes: [PaymentMethodType]
    package var balance: FixtureBalance
    package var owners: [FixtureOwner]
    /// Explicit history; `nil` means generated (`TransactionGenerator`), `[]` means no transactions.
    package var transactions: [FixtureTransaction]?
    package var behavior: FixtureBehavior

    package init(
        id: String,
        displayName: String,
        category: Category,
        subcategory: Subcategory,
        last4: String,
        routingNumber: String? = nil,
        accountNumber: String? = nil,
        institutionName: String? = nil,
        supportedPaymentMethodTypes: [PaymentMethodType],
        balance: FixtureBalance,
        owners: [FixtureOwner],
        transactions: [FixtureTransaction]? = nil,
        behavior: FixtureBehavior = FixtureBehavior()
    ) {
        self.id = id
        self.displayName = displayName
        self.category = category
        self.subcategory = subcategory
        self.last4 = last4
        self.routingNumber = routingNumber
        self.accountNumber = accountNumber
        self.institutionName = institutionName
        self.supportedPaymentMethodTypes = supportedPaymentMethodTypes
        self.balance = balance
        self.owners = owners
        self.transactions = transactions
        self.behavior = behavior
    }

    /// Whether a `us_bank_account` PaymentMethod can be made from this account.
    package var supportsACH: Bool { supportedPaymentMethodTypes.contains(.usBankAccount) }

    /// Whether the flow offers this account for a session with these `filters[account_subcategories]`
    /// (`nil` or empty: no filter) and, when the session asks for `payment_method`, only ACH-capable accounts.
    package func isEligible(subcategories: [Subcategory]? = nil, requiringPaymentMethod: Bool) -> Bool {
        if let subcategories, !subcategories.isEmpty, !subcategories.contains(subcategory) { return false }
        return !requiringPaymentMethod || supportsACH
    }

    /// A short machine-readable description of the account's script, for the institutions helper endpoint:
    /// `;`-separated entries, each `key:value` or a bare flag, in this order —
    /// `ach:<outcome>` (or `payment_methods:none` / `payment_methods:link` when there is no ACH),
    /// `settlement_days:N`, `refresh_fail:balance,ownership,transactions`, `inactive_after_link`,
    /// `reauth_after_days:N`, `account_numbers:<state>`. Examples: `ach:R01`,
    /// `ach:success;refresh_fail:balance`, `payment_methods:none`.
    package var behaviorSummary: String {
        var parts: [String] = []
        if supportsACH {
            parts.append("ach:\(behavior.ach.rawValue)")
        } else {
            let types = supportedPaymentMethodTypes.map(\.rawValue)
            parts.append("payment_methods:" + (types.isEmpty ? "none" : types.joined(separator: ",")))
        }
        if let days = behavior.settlementDays { parts.append("settlement_days:\(days)") }
        if !behavior.refreshFailures.isEmpty {
            parts.append("refresh_fail:" + behavior.refreshFailures.map(\.rawValue).joined(separator: ","))
        }
        if behavior.goesInactiveAfterLink { parts.append("inactive_after_link") }
        if let days = behavior.effectiveReauthAfterDays { parts.append("reauth_after_days:\(days)") }
        if behavior.accountNumbers != .transactable {
            parts.append("account_numbers:\(behavior.accountNumbers.rawValue)")
        }
        return parts.joined(separator: ";")
    }

    /// The account's transactions as of `now`, newest first: the explicit list when the fixture has one,
    /// otherwise `historyDays` of generated history. Same account and `now` → same list.
    package func transactions(
        now: Date,
        historyDays: Int = TransactionGenerator.defaultHistoryDays
    ) -> [BankTransaction] {
        TransactionGenerator.transactions(for: self, now: now, historyDays: historyDays)
    }

    // MARK: Enums

    package enum Category: String, FixtureEnum {
        case cash, credit, investment, other
    }

    package enum Subcategory: String, FixtureEnum {
        case checking, savings, mortgage
        case lineOfCredit = "line_of_credit"
        case creditCard = "credit_card"
        case other
    }

    package enum PaymentMethodType: String, FixtureEnum {
        case usBankAccount = "us_bank_account"
        case link
    }

    /// Subcategories Stripe allows under each category (`financial_connections.account.subcategory`).
    package static func subcategories(of category: Category) -> [Subcategory] {
        switch category {
        case .cash: [.checking, .savings, .other]
        case .credit: [.mortgage, .lineOfCredit, .creditCard, .other]
        case .investment, .other: [.other]
        }
    }

    // MARK: Codable

    enum CodingKeys: String, CodingKey, CaseIterable {
        case id
        case displayName = "display_name"
        case category, subcategory, last4
        case routingNumber = "routing_number"
        case accountNumber = "account_number"
        case institutionName = "institution_name"
        case supportedPaymentMethodTypes = "supported_payment_method_types"
        case balance, owners, transactions, behavior
    }

    package init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        displayName = try c.decode(String.self, forKey: .displayName)
        category = try c.decode(Category.self, forKey: .category)
        subcategory = try c.decode(Subcategory.self, forKey: .subcategory)
        last4 = try c.decode(String.self, forKey: .last4)
        routingNumber = try c.decodeIfPresent(String.self, forKey: .routingNumber)
        accountNumber = try c.decodeIfPresent(String.self, forKey: .accountNumber)
        institutionName = try c.decodeIfPresent(String.self, forKey: .institutionName)
        supportedPaymentMethodTypes = try c.decode([PaymentMethodType].self, forKey: .supportedPaymentMethodTypes)
        balance = try c.decode(FixtureBalance.self, forKey: .balance)
        owners = try c.decode([FixtureOwner].self, forKey: .owners)
        transactions = try c.decodeIfPresent([FixtureTransaction].self, forKey: .transactions)
        behavior = try c.decodeIfPresent(FixtureBehavior.self, forKey: .behavior) ?? FixtureBehavior()

        guard Self.isValidID(id) else {
            throw c.invalid(
                .id,
                "\"\(id)\" is not a fixture id (1–64 of a-z A-Z 0-9 - _, starting with a letter or digit)"
            )
        }
        if displayName.trimmingCharacters(in: .whitespaces).isEmpty {
            throw c.invalid(.displayName, "must not be empty")
        }
        guard Self.subcategories(of: category).contains(subcategory) else {
            let allowed = Self.subcategories(of: category).map(\.rawValue).joined(separator: ", ")
            throw c.invalid(
                .subcategory,
                "\"\(subcategory.rawValue)\" is not a \(category.rawValue) subcategory (allowed: \(allowed))"
            )
        }
        guard last4.count == 4, last4.allSatisfy(\.isASCIIDigit) else {
            throw c.invalid(.last4, "\"\(last4)\" must be exactly 4 digits")
        }
        if let routingNumber, !DebitScript.isValidRoutingNumber(routingNumber) {
            throw c.invalid(.routingNumber, "\"\(routingNumber)\" is not a valid 9-digit ABA routing number")
        }
        if let accountNumber {
            guard DebitScript.isValidAccountNumber(accountNumber) else {
                throw c.invalid(.accountNumber, "\"\(accountNumber)\" must be 4 to 17 digits")
            }
            guard accountNumber.hasSuffix(last4) else {
                throw c.invalid(
                    .last4,
                    "\"\(last4)\" does not match the last 4 digits of account_number \"\(accountNumber)\""
                )
            }
        }
        if Set(supportedPaymentMethodTypes).count != supportedPaymentMethodTypes.count {
            throw c.invalid(.supportedPaymentMethodTypes, "lists a type twice")
        }
        if supportsACH {
            if routingNumber == nil {
                throw c.invalid(.routingNumber, "is required for an account supporting us_bank_account")
            }
            if accountNumber == nil {
                throw c.invalid(.accountNumber, "is required for an account supporting us_bank_account")
            }
        }
        switch (category, balance.type) {
        case (.cash, .credit): throw c.invalid(.balance, "a cash account needs a balance of type \"cash\"")
        case (.credit, .cash): throw c.invalid(.balance, "a credit account needs a balance of type \"credit\"")
        default: break
        }
        if let name = institutionName, name.trimmingCharacters(in: .whitespaces).isEmpty {
            throw c.invalid(.institutionName, "must not be empty (leave it out to use the institution's name)")
        }
    }

    static func isValidID(_ id: String) -> Bool {
        guard let first = id.unicodeScalars.first, (1...64).contains(id.unicodeScalars.count) else { return false }
        func ok(_ s: Unicode.Scalar) -> Bool {
            ("a"..."z").contains(s) || ("A"..."Z").contains(s) || ("0"..."9").contains(s)
        }
        return ok(first) && id.unicodeScalars.allSatisfy { ok($0) || $0 == "-" || $0 == "_" }
    }
}

// MARK: - Balance, owners, explicit transactions

/// The account's balance in minor units (`balance` in the fixture; `financial_connections.account.balance`).
package struct FixtureBalance: Codable, Sendable, Equatable {
    package var type: Kind
    /// `balance.current`: positive = owed to the holder (a credit card with debt is negative).
    package var current: Int
    /// `balance.cash.available`; only for `type: cash` (`nil` renders as `null`).
    package var available: Int?
    /// `balance.credit.used`; only for `type: credit` (`nil` renders as `null`).
    package var used: Int?
    /// Lowercase ISO code, default `usd`.
    package var currency: String

    package init(type: Kind, current: Int, available: Int? = nil, used: Int? = nil, currency: String = "usd") {
        self.type = type
        self.current = current
        self.available = available
        self.used = used
        self.currency = currency
    }

    package enum Kind: String, FixtureEnum {
        case cash, credit
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case type, current, available, used, currency
    }

    package init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        type = try c.decode(Kind.self, forKey: .type)
        current = try c.decode(Int.self, forKey: .current)
        available = try c.decodeIfPresent(Int.self, forKey: .available)
        used = try c.decodeIfPresent(Int.self, forKey: .used)
        currency = try c.decodeIfPresent(String.self, forKey: .currency) ?? "usd"
        guard currency.count == 3, currency.allSatisfy({ $0.isASCII && $0.isLowercase }) else {
            throw c.invalid(.currency, "\"\(currency)\" must be a lowercase 3-letter currency code")
        }
        if type == .cash, used != nil { throw c.invalid(.used, "only applies to a balance of type \"credit\"") }
        if type == .credit, available != nil {
            throw c.invalid(.available, "only applies to a balance of type \"cash\"")
        }
    }
}

/// One account owner (`financial_connections.account_owner`).
package struct FixtureOwner: Codable, Sendable, Equatable {
    package var name: String
    package var email: String?
    package var phone: String?
    package var rawAddress: String?

    package init(name: String, email: String? = nil, phone: String? = nil, rawAddress: String? = nil) {
        self.name = name
        self.email = email
        self.phone = phone
        self.rawAddress = rawAddress
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, email, phone
        case rawAddress = "raw_address"
    }

    package init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        email = try c.decodeIfPresent(String.self, forKey: .email)
        phone = try c.decodeIfPresent(String.self, forKey: .phone)
        rawAddress = try c.decodeIfPresent(String.self, forKey: .rawAddress)
        if name.trimmingCharacters(in: .whitespaces).isEmpty { throw c.invalid(.name, "must not be empty") }
    }
}

/// A transaction written out in the fixture (instead of generated history).
package struct FixtureTransaction: Codable, Sendable, Equatable {
    /// Minor units, signed: negative = money leaving the account.
    package var amount: Int
    package var description: String
    package var status: Status
    /// How long before `now` it happened, in days (fractions allowed); becomes `transacted_at`.
    package var daysAgo: Double

    package init(amount: Int, description: String, status: Status = .posted, daysAgo: Double) {
        self.amount = amount
        self.description = description
        self.status = status
        self.daysAgo = daysAgo
    }

    package enum Status: String, FixtureEnum {
        case pending, posted, void
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case amount, description, status
        case daysAgo = "days_ago"
    }

    package init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        amount = try c.decode(Int.self, forKey: .amount)
        description = try c.decode(String.self, forKey: .description)
        status = try c.decodeIfPresent(Status.self, forKey: .status) ?? .posted
        daysAgo = try c.decode(Double.self, forKey: .daysAgo)
        if description.trimmingCharacters(in: .whitespaces).isEmpty {
            throw c.invalid(.description, "must not be empty")
        }
        guard daysAgo.isFinite, (0...180).contains(daysAgo) else {
            throw c.invalid(.daysAgo, "must be between 0 and 180 (Stripe keeps up to 180 days of history)")
        }
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}

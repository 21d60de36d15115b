import Foundation

/// The scripted behaviour of one fixture account (`behavior` in the fixture file). Every field is optional in
/// the file; the defaults describe a well-behaved account whose ACH debits succeed.
package struct FixtureBehavior: Codable, Sendable, Equatable {
    /// What happens to an ACH debit from this account (`ach`, default `success`).
    package var ach: ACHOutcome
    /// Business days from confirmation until the debit settles or is returned (`settlement_days`);
    /// `nil` means Stripe's default (4 to settle, 2 for a return: `DebitScript.businessDays`).
    package var settlementDays: Int?
    /// Refreshes that end `failed` for this account (`refresh_failures`), in canonical order.
    package var refreshFailures: [RefreshFeature]
    /// Shortly after linking the account goes `inactive` (`financial_connections.account.deactivated`);
    /// relinking reactivates it (`goes_inactive_after_link`).
    package var goesInactiveAfterLink: Bool
    /// The account's authorization expires and must be renewed by relinking (`requires_reauth`).
    package var requiresReauth: Bool
    /// Days after authorization until it expires when `requiresReauth` (`reauth_after_days`); `nil` means
    /// 1 day for an account that also goes inactive after link (Stripe's "Immediately Requires
    /// Reauthentication"), 30 days otherwise ("Eventually Requires Reauthentication").
    package var reauthAfterDays: Int?
    /// The state of the account number handed out at link time (`account_numbers`).
    package var accountNumbers: AccountNumbers

    package init(
        ach: ACHOutcome = .success,
        settlementDays: Int? = nil,
        refreshFailures: [RefreshFeature] = [],
        goesInactiveAfterLink: Bool = false,
        requiresReauth: Bool = false,
        reauthAfterDays: Int? = nil,
        accountNumbers: AccountNumbers = .transactable
    ) {
        self.ach = ach
        self.settlementDays = settlementDays
        self.refreshFailures = refreshFailures
        self.goesInactiveAfterLink = goesInactiveAfterLink
        self.requiresReauth = requiresReauth
        self.reauthAfterDays = reauthAfterDays
        self.accountNumbers = accountNumbers
    }

    /// The ACH script a linked account (and PaymentMethods made from it) carries: `FCAccount.debitScript`.
    /// Failure codes, block reasons and default timings come from `DebitScript`'s return-code table.
    package var debitScript: DebitScript {
        switch ach {
        case .success: DebitScript(kind: .success, settlementDays: settlementDays)
        case .dispute: DebitScript(kind: .dispute, settlementDays: settlementDays)
        case .processingForever: DebitScript(kind: .processing)
        default:
            // Every return code of ACHOutcome is in DebitScript.returnCodes; the fallback only guards a shrunk table.
            DebitScript.returned(ach.rawValue, settlementDays: settlementDays)
                ?? DebitScript(kind: .returned, returnCode: ach.rawValue, settlementDays: settlementDays)
        }
    }

    /// Days after authorization until reauthentication is required, or `nil` when it never is.
    package var effectiveReauthAfterDays: Int? {
        guard requiresReauth else { return nil }
        return reauthAfterDays ?? (goesInactiveAfterLink ? 1 : 30)
    }

    /// Whether a refresh of `feature` fails for this account.
    package func refreshFails(_ feature: RefreshFeature) -> Bool { refreshFailures.contains(feature) }

    // MARK: Enums

    /// What the bank does with an ACH debit drawn on the account.
    package enum ACHOutcome: String, FixtureEnum {
        case success
        case r01 = "R01"
        case r02 = "R02"
        case r03 = "R03"
        case r04 = "R04"
        case r10 = "R10"
        case r16 = "R16"
        case r20 = "R20"
        case r29 = "R29"
        /// Succeeds, then the customer disputes it (`charge.dispute.created`).
        case dispute
        /// Stays `processing` until canceled (Stripe's `000000000009`).
        case processingForever = "processing_forever"

        /// The NACHA return code, for the returns.
        package var returnCode: String? { isReturn ? rawValue : nil }

        package var isReturn: Bool { rawValue.hasPrefix("R") }
    }

    /// A Financial Connections refresh feature.
    package enum RefreshFeature: String, FixtureEnum, Comparable {
        case balance, ownership, transactions

        package static func < (a: Self, b: Self) -> Bool {
            allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
        }
    }

    /// The state of the account number shared at link time (`account_numbers[]` on the FC account).
    /// Anything but `transactable` makes it a tokenized account number (TAN).
    package enum AccountNumbers: String, FixtureEnum {
        /// A plain account number, usable for ACH.
        case transactable
        /// A TAN that is already `deactivated` (Stripe's "Expired Tokenized Account Number").
        case deactivated
        /// A TAN that expires 30 days after linking (`upcoming_account_number_expiry`).
        case expiringSoon = "expiring_soon"
        /// A TAN that expires right after the session (`account_numbers_updated`).
        case expiresImmediately = "expires_immediately"

        package var isTokenized: Bool { self != .transactable }
    }

    // MARK: Codable

    enum CodingKeys: String, CodingKey, CaseIterable {
        case ach
        case settlementDays = "settlement_days"
        case refreshFailures = "refresh_failures"
        case goesInactiveAfterLink = "goes_inactive_after_link"
        case requiresReauth = "requires_reauth"
        case reauthAfterDays = "reauth_after_days"
        case accountNumbers = "account_numbers"
    }

    package init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        ach = try c.decodeIfPresent(ACHOutcome.self, forKey: .ach) ?? .success
        settlementDays = try c.decodeIfPresent(Int.self, forKey: .settlementDays)
        let failures = try c.decodeIfPresent([RefreshFeature].self, forKey: .refreshFailures) ?? []
        goesInactiveAfterLink = try c.decodeIfPresent(Bool.self, forKey: .goesInactiveAfterLink) ?? false
        requiresReauth = try c.decodeIfPresent(Bool.self, forKey: .requiresReauth) ?? false
        reauthAfterDays = try c.decodeIfPresent(Int.self, forKey: .reauthAfterDays)
        accountNumbers = try c.decodeIfPresent(AccountNumbers.self, forKey: .accountNumbers) ?? .transactable

        if let days = settlementDays, !(0...30).contains(days) {
            throw c.invalid(.settlementDays, "must be between 0 and 30 business days")
        }
        if ach == .processingForever, settlementDays != nil {
            throw c.invalid(.settlementDays, "has no effect with ach \"processing_forever\"")
        }
        if Set(failures).count != failures.count {
            throw c.invalid(.refreshFailures, "lists a feature twice")
        }
        refreshFailures = failures.sorted()
        if let days = reauthAfterDays {
            guard requiresReauth else { throw c.invalid(.reauthAfterDays, "needs \"requires_reauth\": true") }
            guard (1...365).contains(days) else { throw c.invalid(.reauthAfterDays, "must be between 1 and 365") }
        }
    }
}

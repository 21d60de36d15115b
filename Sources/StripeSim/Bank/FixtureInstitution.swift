import Foundation

/// One bank in the flow: a fixture file in `Fixtures/` (format: `Fixtures/README.md`).
package struct FixtureInstitution: Codable, Sendable, Equatable, Identifiable {
    /// `fcinst_…`; the flow's `data-testid="institution-<id>"` and the test helper's `institution`.
    package var id: String
    package var name: String
    package var auth: Auth
    package var status: Status
    /// Shown on the flow's first page without searching.
    package var featured: Bool
    /// Extra words the flow's search matches, besides the name.
    package var searchTerms: [String]
    package var features: FixtureFeatures
    /// What the fake bank OAuth page does when the flow is driven headlessly (`oauth`, default `approve`).
    package var oauth: OAuthOutcome
    /// Sort key for lists and the flow (lower first, then by name); default 1000.
    package var position: Int
    package var accounts: [FixtureAccount]

    package init(
        id: String,
        name: String,
        auth: Auth,
        status: Status = .up,
        featured: Bool = false,
        searchTerms: [String] = [],
        features: FixtureFeatures = FixtureFeatures(),
        oauth: OAuthOutcome = .approve,
        position: Int = 1000,
        accounts: [FixtureAccount]
    ) {
        self.id = id
        self.name = name
        self.auth = auth
        self.status = status
        self.featured = featured
        self.searchTerms = searchTerms
        self.features = features
        self.oauth = oauth
        self.position = position
        self.accounts = accounts
    }

    package func account(id: String) -> FixtureAccount? { accounts.first { $0.id == id } }

    /// The FC account's `institution_name`: the account's override, else the institution's name.
    package func institutionName(for account: FixtureAccount) -> String { account.institutionName ?? name }

    /// Whether the flow's search box finds this institution (case-insensitive substring of the name or a
    /// search term; an empty query matches featured institutions only).
    package func matches(search query: String) -> Bool {
        let q = query.trimmingCharacters(in: .whitespaces).lowercased()
        if q.isEmpty { return featured }
        return ([name] + searchTerms).contains { $0.lowercased().contains(q) }
    }

    // MARK: Enums

    /// How the user signs in: a Stripe-hosted credentials form, or the bank's OAuth popup.
    package enum Auth: String, FixtureEnum {
        case oauth, credentials
    }

    /// `up`, or why signing in fails: a known maintenance window, an unannounced outage, or an error.
    package enum Status: String, FixtureEnum {
        case up
        case downScheduled = "down_scheduled"
        case downUnscheduled = "down_unscheduled"
        case error

        package var isUp: Bool { self == .up }
    }

    package enum OAuthOutcome: String, FixtureEnum {
        case approve, deny
    }

    // MARK: Codable

    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, name, auth, status, featured
        case searchTerms = "search_terms"
        case features, oauth, position, accounts
    }

    package init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        name = try c.decode(String.self, forKey: .name)
        auth = try c.decode(Auth.self, forKey: .auth)
        status = try c.decode(Status.self, forKey: .status)
        featured = try c.decodeIfPresent(Bool.self, forKey: .featured) ?? false
        searchTerms = try c.decodeIfPresent([String].self, forKey: .searchTerms) ?? []
        features = try c.decodeIfPresent(FixtureFeatures.self, forKey: .features) ?? FixtureFeatures()
        oauth = try c.decodeIfPresent(OAuthOutcome.self, forKey: .oauth) ?? .approve
        position = try c.decodeIfPresent(Int.self, forKey: .position) ?? 1000
        accounts = try c.decode([FixtureAccount].self, forKey: .accounts)

        guard Self.isValidID(id) else {
            throw c.invalid(.id, "\"\(id)\" must be \"fcinst_\" followed by letters and digits")
        }
        if name.trimmingCharacters(in: .whitespaces).isEmpty { throw c.invalid(.name, "must not be empty") }
        if oauth == .deny, auth != .oauth { throw c.invalid(.oauth, "\"deny\" needs \"auth\": \"oauth\"") }
        if features.loginKeywords, auth != .credentials {
            throw c.invalid(.features, "\"login_keywords\" needs \"auth\": \"credentials\"")
        }
        var seen = Set<String>()
        for (index, account) in accounts.enumerated() where !seen.insert(account.id).inserted {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: c.codingPath + [CodingKeys.accounts, FixtureCodingKey(intValue: index), CodingKeys.id],
                    debugDescription: "duplicate account id \"\(account.id)\" in this institution"
                )
            )
        }
    }

    static func isValidID(_ id: String) -> Bool {
        guard id.hasPrefix("fcinst_") else { return false }
        let body = id.dropFirst("fcinst_".count)
        return (1...64).contains(body.count) && body.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
    }
}

/// What an institution supports (`features` in the fixture).
package struct FixtureFeatures: Codable, Sendable, Equatable {
    /// Data permissions the institution can grant; a session asking for others links accounts without them.
    /// Default: all four.
    package var permissions: [Permission]
    /// The credentials form treats special words typed in any field as Stripe's "Bank (Non-OAuth)" does:
    /// `options`, `mfa`, `confirm_mfa`, `security_question` add a step, `error` fails the session,
    /// `incorrect` asks again (`login_keywords`, default false).
    package var loginKeywords: Bool

    package init(permissions: [Permission] = Permission.allCases, loginKeywords: Bool = false) {
        self.permissions = permissions
        self.loginKeywords = loginKeywords
    }

    package func supports(_ permission: Permission) -> Bool { permissions.contains(permission) }

    package enum Permission: String, FixtureEnum {
        case balances, ownership
        case paymentMethod = "payment_method"
        case transactions
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case permissions
        case loginKeywords = "login_keywords"
    }

    package init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        permissions = try c.decodeIfPresent([Permission].self, forKey: .permissions) ?? Permission.allCases
        loginKeywords = try c.decodeIfPresent(Bool.self, forKey: .loginKeywords) ?? false
        if Set(permissions).count != permissions.count { throw c.invalid(.permissions, "lists a permission twice") }
    }
}

import Foundation

/// Financial Connections behaviour: completing a session against the bank fixtures (eligibility, OAuth denial,
/// outages, relinking), asynchronous data refreshes, and scripted account life events (going inactive,
/// expiring account numbers).
package enum FCEngine {
    package static let refreshJob = "fc.refresh"
    package static let deactivateJob = "fc.deactivate"
    package static let accountNumbersJob = "fc.account_numbers"
    /// How soon a "goes inactive after linking" account does so.
    package static let inactiveAfterLinkMillis = 1000

    /// Session permission → refresh feature.
    package static let prefetchFeature = [
        "balances": "balance", "ownership": "ownership", "transactions": "transactions",
    ]

    package enum Outcome: String, Sendable { case success, cancelled, failed }

    // MARK: Completing a session

    /// The fixture accounts a session may link at `institution`: the session's subcategory filter, and ACH
    /// support when it asks for the `payment_method` permission.
    package static func eligibility(_ account: FixtureAccount, session: FCSession) -> String? {
        if let subcategories = session.accountSubcategories, !subcategories.isEmpty,
            !subcategories.contains(account.subcategory.rawValue)
        {
            return
                "its subcategory (\(account.subcategory.rawValue)) is not in the session's filters[account_subcategories]"
        }
        if session.permissions.contains("payment_method") && !account.supportsACH {
            return "it does not support ACH debits and the session requests the payment_method permission"
        }
        if let countries = session.countries, !countries.map({ $0.uppercased() }).contains("US") {
            return "the simulated banks are in the US and the session's filters[countries] excludes US"
        }
        return nil
    }

    /// Why an institution cannot be signed in to now, or nil when it is up.
    package static func unavailability(_ institution: FixtureInstitution) -> String? {
        switch institution.status {
        case .up: nil
        case .downScheduled:
            "\(institution.name) is down for scheduled maintenance; try again later or pick another bank."
        case .downUnscheduled: "\(institution.name) is currently unavailable; try again later or pick another bank."
        case .error: "An unexpected error occurred while connecting to \(institution.name); pick another bank."
        }
    }

    /// Completes a pending session once: links the chosen fixture accounts (default: every eligible one), or ends
    /// it cancelled / failed. The same effects whether the hosted flow or the test helper drives it.
    package static func complete(
        _ session: inout FCSession,
        institutionID: String?,
        accountIDs: [String]?,
        outcome: Outcome,
        store: Store
    ) throws -> [FCAccount] {
        guard session.status == .pending else {
            throw StripeError.invalidRequest(
                "The Financial Connections Session \(session.id) has already been completed (status: \(session.status.rawValue)); create a new session to link more accounts.",
                code: "financial_connections_session_completed"
            )
        }
        switch outcome {
        case .cancelled, .failed:
            session.status = outcome == .cancelled ? .cancelled : .failed
            try store.update(session)
            return []
        case .success: break
        }
        let bank = store.context.bank
        let institution: FixtureInstitution
        if let id = institutionID {
            guard let found = bank.institution(id: id) else {
                throw StripeError.resourceMissing("institution", id, param: "institution")
            }
            institution = found
        } else if let first = accountIDs?.first {
            guard let found = bank.institutions.first(where: { $0.status.isUp && $0.account(id: first) != nil }) else {
                throw StripeError.invalidRequest("No institution has an account \(first).", param: "accounts")
            }
            institution = found
        } else {
            guard let found = bank.institutions.first(where: { $0.status.isUp && !$0.accounts.isEmpty }) else {
                throw StripeError.invalidRequest(
                    "The simulator has no institution to link accounts from.",
                    param: "institution"
                )
            }
            institution = found
        }
        if let reason = unavailability(institution) {
            throw StripeError(
                status: 400,
                code: "institution_unavailable",
                message: reason,
                param: "institution",
                extra: ["institution_status": .string(institution.status.rawValue)]
            )
        }
        if institution.auth == .oauth && institution.oauth == .deny {
            // The user denied access on the bank's page: the session ends with nothing linked.
            session.status = .cancelled
            session.failureReason = "oauth_denied"
            try store.update(session)
            return []
        }
        var chosen: [FixtureAccount] = []
        if let ids = accountIDs {
            for (i, id) in ids.enumerated() {
                guard let account = institution.account(id: id) else {
                    throw StripeError.invalidRequest(
                        "\(institution.name) has no account '\(id)'. GET /v1/test_helpers/financial_connections/institutions lists them.",
                        param: "accounts[\(i)]"
                    )
                }
                if let why = eligibility(account, session: session) {
                    throw StripeError.invalidRequest(
                        "The account '\(id)' (\(account.displayName)) cannot be linked to this session: \(why).",
                        param: "accounts[\(i)]"
                    )
                }
                chosen.append(account)
            }
        } else {
            chosen = institution.accounts.filter { eligibility($0, session: session) == nil }
        }
        var linked: [FCAccount] = []
        for fixture in chosen {
            linked.append(try link(fixture, at: institution, session: session, store: store))
        }
        session.status = .succeeded
        session.accountIDs = linked.map(\.id)
        try store.update(session)
        return linked
    }

    /// Links one fixture account: reuses the holder's existing link to it (reactivating an inactive one), or
    /// creates a new `fca_`; then prefetches and schedules the account's scripted events.
    static func link(
        _ fixture: FixtureAccount,
        at institution: FixtureInstitution,
        session: FCSession,
        store: Store
    )
        throws -> FCAccount
    {
        let existing = try store.all(FCAccount.self).first {
            $0.accountHolder == session.accountHolder && $0.institutionID == institution.id
                && $0.fixtureID == fixture.id
                && $0.status != .disconnected
        }
        var account: FCAccount
        if var found = existing {
            let wasInactive = found.status == .inactive
            found.status = .active
            found.session = session.id
            found.permissions = Array(Set(found.permissions).union(session.permissions)).sorted()
            found.statusDetails = [:]
            try store.update(found)
            if wasInactive { try store.emit("financial_connections.account.reactivated", found.render()) }
            account = found
        } else {
            account = FCAccount(
                id: store.ids.make("fca"),
                created: store.now,
                session: session.id,
                accountHolder: session.accountHolder,
                institutionID: institution.id,
                institutionName: institution.institutionName(for: fixture),
                fixtureID: fixture.id,
                displayName: fixture.displayName,
                category: fixture.category.rawValue,
                subcategory: fixture.subcategory.rawValue,
                last4: fixture.last4,
                routingNumber: fixture.supportsACH ? fixture.routingNumber : nil,
                accountNumber: fixture.supportsACH ? fixture.accountNumber : nil,
                permissions: session.permissions,
                supportedPaymentMethodTypes: fixture.supportedPaymentMethodTypes.map(\.rawValue)
            )
            account.debitScript = fixture.behavior.debitScript
            account.accountNumbers = accountNumbers(fixture, now: store.now)
            try store.insert(account)
            try store.emit("financial_connections.account.created", account.render())
        }
        let behavior = fixture.behavior
        if let days = behavior.effectiveReauthAfterDays {
            account.statusDetails = [
                "active": [
                    "action": "relink_required", "cause": "access_expired",
                    "expected_deactivation_date": .int(store.now + days * 86_400),
                ]
            ]
            try store.update(account)
        }
        if behavior.goesInactiveAfterLink {
            try store.schedule(
                deactivateJob,
                target: account.id,
                dueAtMillis: store.context.nowMillis + inactiveAfterLinkMillis
            )
        } else if let days = behavior.effectiveReauthAfterDays {
            try store.schedule(
                deactivateJob,
                target: account.id,
                dueAtMillis: store.context.nowMillis + days * 86_400_000
            )
        }
        switch behavior.accountNumbers {
        case .expiresImmediately, .expiringSoon:
            try store.schedule(accountNumbersJob, target: account.id, dueAtMillis: store.context.nowMillis)
        default: break
        }
        for permission in session.prefetch {
            if let feature = prefetchFeature[permission] { try startRefresh(&account, feature: feature, store: store) }
        }
        return account
    }

    static func accountNumbers(_ fixture: FixtureAccount, now: Int) -> JSONValue? {
        guard fixture.supportsACH else { return nil }
        let tokenized = fixture.behavior.accountNumbers.isTokenized
        var entry: JSONValue = [
            "identifier_type": tokenized ? "tokenized_account_number" : "account_number",
            "status": fixture.behavior.accountNumbers == .deactivated ? "deactivated" : "transactable",
            "supported_networks": ["ach"], "expected_expiry_date": nil,
        ]
        if fixture.behavior.accountNumbers == .expiringSoon { entry["expected_expiry_date"] = .int(now + 30 * 86_400) }
        return [entry]
    }

    // MARK: Refreshes

    /// Starts an asynchronous refresh: `pending` now, `succeeded`/`failed` when the job runs. A refresh already
    /// pending is not started again (Stripe does not initiate it).
    package static func startRefresh(_ account: inout FCAccount, feature: String, store: Store) throws {
        let current: FCAccount.Refresh? =
            switch feature {
            case "balance": account.balanceRefresh
            case "ownership": account.ownershipRefresh
            default: account.transactionRefresh
            }
        if current?.status == "pending" { return }
        var refresh = FCAccount.Refresh(
            id: nil,
            status: "pending",
            lastAttemptedAt: store.now,
            nextRefreshAvailableAt: nil
        )
        switch feature {
        case "balance": account.balanceRefresh = refresh
        case "ownership": account.ownershipRefresh = refresh
        default:
            refresh.id = store.ids.make("fctxnref")
            account.transactionRefresh = refresh
        }
        try store.update(account)
        try store.schedule(
            refreshJob,
            target: account.id,
            dueAtMillis: store.context.nowMillis,
            payload: ["feature": .string(feature)]
        )
    }

    /// Job: finishes a refresh from the fixture account's data, or fails it as scripted.
    package static func finishRefresh(_ store: Store, _ job: Job) throws {
        guard var account = try store.find(FCAccount.self, job.target),
            let feature = job.payload["feature"]?.stringValue
        else { return }
        let fixture = store.context.bank.institution(id: account.institutionID)?.account(id: account.fixtureID)
        let fails =
            account.status != .active || fixture == nil
            || fixture!.behavior.refreshFails(FixtureBehavior.RefreshFeature(rawValue: feature) ?? .balance)
        func finished(_ r: FCAccount.Refresh?) -> FCAccount.Refresh {
            var out =
                r
                ?? FCAccount.Refresh(
                    id: nil,
                    status: "pending",
                    lastAttemptedAt: store.now,
                    nextRefreshAvailableAt: nil
                )
            out.status = fails ? "failed" : "succeeded"
            out.nextRefreshAvailableAt = store.now
            return out
        }
        switch feature {
        case "balance":
            account.balanceRefresh = finished(account.balanceRefresh)
            if !fails, let b = fixture?.balance { account.balance = balanceJSON(b, asOf: store.now) }
            try store.update(account)
            try store.emit("financial_connections.account.refreshed_balance", account.render(), automatic: true)
        case "ownership":
            account.ownershipRefresh = finished(account.ownershipRefresh)
            if !fails, let fixture {
                let ownership = FCOwnership(
                    id: store.ids.make("fcaowns"),
                    created: store.now,
                    account: account.id,
                    owners: fixture.owners.map {
                        FCOwnership.Owner(
                            id: store.ids.make("fcaown"),
                            name: $0.name,
                            email: $0.email,
                            phone: $0.phone,
                            rawAddress: $0.rawAddress
                        )
                    }
                )
                try store.insert(ownership)
                account.ownership = ownership.id
            }
            try store.update(account)
            try store.emit("financial_connections.account.refreshed_ownership", account.render(), automatic: true)
        default:
            let refresh = finished(account.transactionRefresh)
            account.transactionRefresh = refresh
            if !fails, let fixture, let refreshID = refresh.id {
                account.transactionRefreshIDs.append(refreshID)
                try storeTransactions(
                    fixture.transactions(now: Date(timeIntervalSince1970: TimeInterval(store.now))),
                    account: account,
                    refreshID: refreshID,
                    index: account.transactionRefreshIDs.count - 1,
                    store: store
                )
            }
            try store.update(account)
            try store.emit("financial_connections.account.refreshed_transactions", account.render(), automatic: true)
        }
    }

    static func balanceJSON(_ b: FixtureBalance, asOf: Int) -> JSONValue {
        var out: JSONValue = [
            "as_of": .int(asOf), "type": .string(b.type.rawValue), "current": [b.currency: .int(b.current)],
        ]
        if b.type == .cash {
            out["cash"] = ["available": b.available.map { [b.currency: .int($0)] } ?? .null]
        } else {
            out["credit"] = ["used": b.used.map { [b.currency: .int($0)] } ?? .null]
        }
        return out
    }

    /// Inserts new transactions and updates changed ones (by the fixture's stable key), oldest first.
    static func storeTransactions(
        _ fresh: [BankTransaction],
        account: FCAccount,
        refreshID: String,
        index: Int,
        store: Store
    ) throws {
        var known: [String: FCTransaction] = [:]
        for t in try store.all(FCTransaction.self, where: [.equals("fcAccount", .text(account.id))]) {
            known[t.key] = t
        }
        for b in fresh.sorted(by: { $0.transactedAt < $1.transactedAt }) {
            let posted = b.postedAt.map { Int($0.timeIntervalSince1970) }
            let void = b.voidAt.map { Int($0.timeIntervalSince1970) }
            if var t = known[b.key] {
                guard t.status != b.status.rawValue else { continue }
                t.status = b.status.rawValue
                t.postedAt = posted
                t.voidAt = void
                t.transactionRefresh = refreshID
                t.refreshIndex = index
                t.updated = store.now
                try store.update(t)
            } else {
                try store.insert(
                    FCTransaction(
                        id: store.ids.make("fctxn"),
                        created: store.now,
                        account: account.id,
                        key: b.key,
                        amount: b.amount,
                        currency: b.currency,
                        description: b.description,
                        status: b.status.rawValue,
                        postedAt: posted,
                        voidAt: void,
                        transactedAt: Int(b.transactedAt.timeIntervalSince1970),
                        transactionRefresh: refreshID,
                        refreshIndex: index,
                        updated: store.now
                    )
                )
            }
        }
    }

    // MARK: Scripted life events (jobs)

    /// Job: an active account loses its connection (`financial_connections.account.deactivated`).
    package static func deactivate(_ store: Store, _ job: Job) throws {
        guard var account = try store.find(FCAccount.self, job.target), account.status == .active else { return }
        account.status = .inactive
        account.statusDetails = ["inactive": ["action": "relink_required", "cause": "access_expired"]]
        try store.update(account)
        try store.emit("financial_connections.account.deactivated", account.render(), automatic: true)
    }

    /// Job: tokenized account numbers expire now (`account_numbers_updated`) or soon (`upcoming_…_expiry`).
    package static func accountNumbersEvent(_ store: Store, _ job: Job) throws {
        guard var account = try store.find(FCAccount.self, job.target),
            let fixture = store.context.bank.institution(id: account.institutionID)?.account(id: account.fixtureID)
        else { return }
        if fixture.behavior.accountNumbers == .expiresImmediately {
            if case .array(var entries) = account.accountNumbers ?? .null, !entries.isEmpty {
                entries[0]["status"] = "deactivated"
                account.accountNumbers = .array(entries)
            }
            try store.update(account)
            try store.emit("financial_connections.account.account_numbers_updated", account.render(), automatic: true)
        } else {
            try store.emit(
                "financial_connections.account.upcoming_account_number_expiry",
                account.render(),
                automatic: true
            )
        }
    }
}

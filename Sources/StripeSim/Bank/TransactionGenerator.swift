import Foundation

/// A transaction of a fixture account as of some `now`: the source of a `financial_connections.transaction`.
package struct BankTransaction: Codable, Sendable, Equatable {
    /// Stable across refreshes: `<account id>/<yyyy-mm-dd>/<n>` for generated ones (the same key keeps its
    /// amount and description as `now` moves; only `status` and the transition times change),
    /// `<account id>/fixture/<index>` for explicit ones. Use it to update rather than duplicate on refresh.
    package var key: String
    /// Minor units, signed: negative = money leaving the account.
    package var amount: Int
    package var currency: String
    package var description: String
    package var status: FixtureTransaction.Status
    package var transactedAt: Date
    /// `status_transitions.posted_at`.
    package var postedAt: Date?
    /// `status_transitions.void_at`.
    package var voidAt: Date?

    package init(
        key: String,
        amount: Int,
        currency: String,
        description: String,
        status: FixtureTransaction.Status,
        transactedAt: Date,
        postedAt: Date? = nil,
        voidAt: Date? = nil
    ) {
        self.key = key
        self.amount = amount
        self.currency = currency
        self.description = description
        self.status = status
        self.transactedAt = transactedAt
        self.postedAt = postedAt
        self.voidAt = voidAt
    }
}

/// Deterministic, realistic account history for fixture accounts without explicit transactions.
///
/// Each UTC calendar day's transactions come from a PRNG (`SplitMix64`) seeded with the FNV-1a hash of the
/// fixture account id and that day, and account-level constants (payday, rent, employer…) from the hash of
/// the id alone. Nothing else is random, so the same fixture and `now` always give the same list, and a
/// later `now` gives the same transactions for the days both cover (pending ones having posted or voided).
///
/// Signs follow Stripe: negative = money leaving the account. Cash accounts receive payroll and pay rent,
/// utilities, subscriptions and card-style purchases; credit accounts take purchases and interest as
/// negative amounts and payments as positive ones.
package enum TransactionGenerator {
    /// Days of history generated (Stripe offers up to 180; the flow promises at least 90).
    package static let defaultHistoryDays = 120

    /// The account's transactions as of `now`, newest first (explicit ones when the fixture lists any).
    package static func transactions(
        for account: FixtureAccount,
        now: Date,
        historyDays: Int = defaultHistoryDays
    ) -> [BankTransaction] {
        let currency = account.balance.currency
        if let explicit = account.transactions {
            return sortedNewestFirst(
                explicit.enumerated().map { index, t in
                    let at = now.addingTimeInterval(-t.daysAgo * 86_400)
                    return BankTransaction(
                        key: "\(account.id)/fixture/\(index)",
                        amount: t.amount,
                        currency: currency,
                        description: t.description,
                        status: t.status,
                        transactedAt: at,
                        postedAt: t.status == .posted ? at : nil,
                        voidAt: t.status == .void ? at : nil
                    )
                }
            )
        }
        return generate(account: account, now: now, historyDays: historyDays)
    }

    /// 64-bit FNV-1a of the UTF-8 bytes.
    package static func fnv1a64(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash
    }

    // MARK: - Generation

    private static func generate(account: FixtureAccount, now: Date, historyDays: Int) -> [BankTransaction] {
        let nowSeconds = Int(now.timeIntervalSince1970.rounded(.down))
        let today = Int((Double(nowSeconds) / 86_400).rounded(.down))
        let profile = Profile(account: account)
        var out: [BankTransaction] = []
        for day in stride(from: today, to: today - max(historyDays, 0), by: -1) {
            let date = CivilDate(day: day)
            var random = SplitMix64(seed: fnv1a64("\(account.id)|\(date)"))
            for (n, item) in profile.items(on: date, random: &random).enumerated() {
                let at = day * 86_400 + item.secondOfDay
                guard at <= nowSeconds else { continue }
                out.append(
                    item.transaction(
                        key: "\(account.id)/\(date)/\(n)",
                        at: at,
                        now: nowSeconds,
                        currency: account.balance.currency
                    )
                )
            }
        }
        return sortedNewestFirst(out)
    }

    private static func sortedNewestFirst(_ list: [BankTransaction]) -> [BankTransaction] {
        list.sorted { ($0.transactedAt, $1.key) > ($1.transactedAt, $0.key) }
    }

    /// One generated entry before `now` decides its status.
    private struct Item {
        var amount: Int
        var description: String
        var secondOfDay: Int
        /// Seconds after the transaction until it posts (card purchases take a day or two).
        var postsAfter: Int = 0
        /// A hold that is voided instead of posting (e.g. a gas-pump pre-authorisation).
        var voidsAfter: Int?

        func transaction(key: String, at: Int, now: Int, currency: String) -> BankTransaction {
            func date(_ seconds: Int) -> Date { Date(timeIntervalSince1970: TimeInterval(seconds)) }
            var t = BankTransaction(
                key: key,
                amount: amount,
                currency: currency,
                description: description,
                status: .pending,
                transactedAt: date(at)
            )
            if let voidsAfter {
                if at + voidsAfter <= now {
                    t.status = .void
                    t.voidAt = date(at + voidsAfter)
                }
            } else if at + postsAfter <= now {
                t.status = .posted
                t.postedAt = date(at + postsAfter)
            }
            return t
        }
    }

    private struct Merchant {
        var name: String
        var minCents: Int
        var maxCents: Int
        var weight: Int
        var isFuel = false
    }

    private static let everydayMerchants: [Merchant] = [
        Merchant(name: "Whole Foods Market", minCents: 2_500, maxCents: 18_000, weight: 8),
        Merchant(name: "Trader Joe's", minCents: 1_800, maxCents: 12_000, weight: 6),
        Merchant(name: "Safeway", minCents: 1_200, maxCents: 9_500, weight: 5),
        Merchant(name: "Shell", minCents: 3_000, maxCents: 7_500, weight: 5, isFuel: true),
        Merchant(name: "Chevron", minCents: 3_000, maxCents: 7_000, weight: 3, isFuel: true),
        Merchant(name: "Starbucks", minCents: 450, maxCents: 1_400, weight: 8),
        Merchant(name: "Blue Bottle Coffee", minCents: 500, maxCents: 1_200, weight: 2),
        Merchant(name: "Chipotle", minCents: 1_100, maxCents: 2_800, weight: 4),
        Merchant(name: "Sweetgreen", minCents: 1_300, maxCents: 2_200, weight: 3),
        Merchant(name: "DoorDash", minCents: 1_800, maxCents: 6_500, weight: 3),
        Merchant(name: "Amazon.com", minCents: 900, maxCents: 15_000, weight: 7),
        Merchant(name: "Target", minCents: 1_500, maxCents: 12_000, weight: 4),
        Merchant(name: "CVS Pharmacy", minCents: 600, maxCents: 4_500, weight: 3),
        Merchant(name: "Uber", minCents: 900, maxCents: 4_500, weight: 4),
        Merchant(name: "Lyft", minCents: 800, maxCents: 3_800, weight: 2),
        Merchant(name: "Home Depot", minCents: 1_500, maxCents: 20_000, weight: 2),
        Merchant(name: "AMC Theatres", minCents: 1_500, maxCents: 4_500, weight: 1),
    ]

    private static let employers = ["ACME Corp", "Globex Inc", "Initech LLC", "Umbrella Health", "Hooli"]
    private static let landlords = ["Parkview Apartments", "Oakwood Property Mgmt", "Maple Street Rentals"]

    /// What kind of history an account gets, with its account-level constants.
    private struct Profile {
        enum Kind { case checking, savings, creditCard, mortgage, lineOfCredit, investment, other }
        let kind: Kind
        let employer: String
        let landlord: String
        let paycheck: Int
        let payWeekParity: Int
        let rent: Int
        let monthlyPayment: Int
        let transferAmount: Int
        let interestPerMonth: Int
        /// Days of the month for the recurring items (1...28).
        let days: [Int]

        init(account: FixtureAccount) {
            switch (account.category, account.subcategory) {
            case (.cash, .savings): kind = .savings
            case (.cash, _): kind = .checking
            case (.credit, .mortgage): kind = .mortgage
            case (.credit, .lineOfCredit): kind = .lineOfCredit
            case (.credit, _): kind = .creditCard
            case (.investment, _): kind = .investment
            case (.other, _): kind = .other
            }
            var random = SplitMix64(seed: TransactionGenerator.fnv1a64(account.id))
            employer = random.pick(TransactionGenerator.employers)
            landlord = random.pick(TransactionGenerator.landlords)
            paycheck = random.int(180_000, 360_000)
            payWeekParity = random.int(0, 1)
            rent = random.int(14, 26) * 10_000
            monthlyPayment = random.int(kind == .mortgage ? 150_000 : 30_000, kind == .mortgage ? 320_000 : 150_000)
            transferAmount = random.int(2, 10) * 5_000
            let balance = abs(account.balance.current)
            // About 4% a year on savings, 22% on card debt, 6% on loans; at least a cent.
            let rate =
                switch kind {
                case .savings: 4.0
                case .creditCard, .lineOfCredit: 22.0
                case .mortgage: 6.0
                default: 0.0
                }
            interestPerMonth = rate == 0 ? 0 : max(1, Int(Double(balance) * rate / 100 / 12))
            days = (0..<8).map { _ in random.int(1, 28) }
        }

        func items(on date: CivilDate, random: inout SplitMix64) -> [Item] {
            var items: [Item] = []
            func add(_ amount: Int, _ description: String, hour: Int, postsAfterDays: Int = 0) {
                let second = hour * 3_600 + random.int(0, 3_599)
                items.append(
                    Item(
                        amount: amount,
                        description: description,
                        secondOfDay: second,
                        postsAfter: postsAfterDays * 86_400
                    )
                )
            }
            let dom = date.dayOfMonth
            switch kind {
            case .checking:
                if date.weekday == 5, (date.day / 7) % 2 == payWeekParity {
                    add(paycheck, "Payroll \(employer)", hour: 9)
                }
                if dom == 1 { add(-rent, "Rent - \(landlord)", hour: 8) }
                if dom == days[0] { add(-random.int(6_000, 18_000), "PG&E Electric", hour: 7) }
                if dom == days[1] { add(-7_999, "Comcast Xfinity", hour: 7) }
                if dom == days[2] { add(-random.int(3_000, 7_500), "City Water Utility", hour: 7) }
                if dom == days[3] { add(-8_500, "Verizon Wireless", hour: 7) }
                if dom == days[4] { add(-1_549, "Netflix", hour: 6) }
                if dom == days[5] { add(-1_199, "Spotify", hour: 6) }
                if dom == days[6] { add(-transferAmount, "Transfer to Savings", hour: 10) }
                if dom == days[7] { add(-random.int(20_000, 90_000), "Credit Card Payment", hour: 10) }
                purchases(into: &items, count: random.weighted([30, 35, 25, 10]), random: &random)
                if random.chance(0.04) {
                    add(-random.pick([4_000, 6_000, 10_000]), "ATM Withdrawal", hour: random.int(10, 20))
                }
                if random.chance(0.03) { add(random.int(1_000, 8_000), "Venmo Cashout", hour: random.int(10, 20)) }
                if random.chance(0.02) {
                    add(random.int(1_500, 6_000), "Amazon.com Refund", hour: 12, postsAfterDays: 1)
                }
            case .savings:
                if dom == days[6] { add(transferAmount, "Transfer from Checking", hour: 10) }
                if dom == 28 { add(interestPerMonth, "Interest Payment", hour: 3) }
                if random.chance(0.015) { add(-random.int(1, 10) * 10_000, "Transfer to Checking", hour: 11) }
            case .creditCard:
                purchases(into: &items, count: random.weighted([35, 35, 20, 10]), random: &random)
                if dom == days[7] { add(monthlyPayment + random.int(0, 20_000), "Payment - Thank You", hour: 10) }
                if dom == days[0], interestPerMonth > 0 {
                    add(-interestPerMonth, "Interest Charge on Purchases", hour: 2)
                }
                if random.chance(0.02) {
                    add(random.int(1_500, 6_000), "Amazon.com Refund", hour: 12, postsAfterDays: 1)
                }
            case .mortgage:
                if dom == 1 { add(monthlyPayment, "Mortgage Payment - Thank You", hour: 9) }
                if dom == 1 { add(-interestPerMonth, "Interest Charged", hour: 2) }
            case .lineOfCredit:
                if dom == days[7] { add(monthlyPayment, "Payment - Thank You", hour: 10) }
                if dom == days[0], interestPerMonth > 0 { add(-interestPerMonth, "Interest Charged", hour: 2) }
                if random.chance(0.03) { add(-random.int(5, 30) * 10_000, "Advance to Checking", hour: 11) }
            case .investment:
                if dom == days[6] { add(transferAmount * 2, "Contribution from Checking", hour: 10) }
                if dom == 15, date.month % 3 == 0 { add(random.int(4_000, 25_000), "Dividend - VTI", hour: 9) }
                if dom == 28 { add(-random.int(800, 2_500), "Advisory Fee", hour: 3) }
            case .other:
                if dom == days[6] { add(transferAmount, "Deposit", hour: 10) }
                if dom == 28 { add(-500, "Monthly Account Fee", hour: 3) }
            }
            return items.sorted { $0.secondOfDay < $1.secondOfDay }
        }

        /// Card-style purchases: posted a day or two later; some fuel purchases are holds that get voided.
        private func purchases(into items: inout [Item], count: Int, random: inout SplitMix64) {
            for _ in 0..<count {
                let weights = TransactionGenerator.everydayMerchants.map(\.weight)
                let merchant = TransactionGenerator.everydayMerchants[random.weighted(weights)]
                let second = random.int(7, 21) * 3_600 + random.int(0, 3_599)
                if merchant.isFuel, random.chance(0.2) {
                    items.append(
                        Item(amount: -10_000, description: merchant.name, secondOfDay: second, voidsAfter: 86_400)
                    )
                } else {
                    items.append(
                        Item(
                            amount: -random.int(merchant.minCents, merchant.maxCents),
                            description: merchant.name,
                            secondOfDay: second,
                            postsAfter: random.int(1, 2) * 86_400
                        )
                    )
                }
            }
        }
    }
}

/// A UTC calendar day (days since 1970-01-01), without Calendar so the result never depends on locale.
private struct CivilDate: CustomStringConvertible {
    let day: Int
    let year: Int
    let month: Int
    let dayOfMonth: Int
    /// 0 = Sunday … 6 = Saturday.
    var weekday: Int { ((day + 4) % 7 + 7) % 7 }

    /// Howard Hinnant's `civil_from_days`.
    init(day: Int) {
        self.day = day
        let z = day + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        dayOfMonth = doy - (153 * mp + 2) / 5 + 1
        month = mp < 10 ? mp + 3 : mp - 9
        year = yoe + era * 400 + (month <= 2 ? 1 : 0)
    }

    var description: String {
        func pad(_ n: Int, _ width: Int) -> String {
            String(repeating: "0", count: max(0, width - String(n).count)) + String(n)
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(dayOfMonth, 2))"
    }
}

/// Bounded draws done by hand: the standard library's `random(in:using:)` algorithm is not guaranteed to stay
/// the same across Swift releases, and the history must.
extension SplitMix64 {
    fileprivate mutating func int(_ low: Int, _ high: Int) -> Int { low + Int(next() % UInt64(high - low + 1)) }
    fileprivate mutating func chance(_ p: Double) -> Bool { Double(next() >> 11) * 0x1.0p-53 < p }
    fileprivate mutating func pick<T>(_ list: [T]) -> T { list[int(0, list.count - 1)] }
    /// An index drawn with the given relative weights.
    fileprivate mutating func weighted(_ weights: [Int]) -> Int {
        var roll = int(0, weights.reduce(0, +) - 1)
        for (index, weight) in weights.enumerated() {
            if roll < weight { return index }
            roll -= weight
        }
        return weights.count - 1
    }
}
